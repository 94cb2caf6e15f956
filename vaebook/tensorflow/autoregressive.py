"""Chapter 6 in TensorFlow: a VAE whose decoder is autoregressive, and the free-bits KL.

The same model and function as :mod:`vaebook.torch.autoregressive`: a MADE decoder
(Germain et al., 2015) whose logit of pixel i sees z and the pixels before i, and the
KL term with the free-bits floor of Kingma et al. (2016). Weights are stored in the
PyTorch layout (out, in), so the two frameworks' weights copy one to one.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as check
from .._docs import documented
from .._made import made_masks
from ._util import keras, tf
from .models import VAE

__all__ = ["AutoregressiveVAE", "free_bits_kl"]


@documented("free_bits_kl")
def free_bits_kl(mu, logvar, free_bits: float):
    mu = tf.convert_to_tensor(mu, dtype=tf.float32)
    logvar = tf.convert_to_tensor(logvar, dtype=tf.float32)
    lam = check.free_bits_args("free_bits_kl", tuple(mu.shape), tuple(logvar.shape), free_bits)
    kl = 0.5 * (tf.square(mu) + tf.exp(logvar) - 1.0 - logvar)  # (B, d)
    # A dimension whose batch-mean KL is under the floor costs the floor: a constant.
    below = tf.reduce_mean(kl, axis=0, keepdims=True) < lam
    return tf.reduce_sum(tf.where(below, tf.fill(tf.shape(kl), lam), kl), axis=1)


class _MADE(keras.layers.Layer):
    """logits(z, x) = b + V z + (W_out * M_out) relu((W_in * M_in) x + U z + c) + (A * L) x."""

    def __init__(self, input_dim: int, latent_dim: int, hidden: int):
        super().__init__(name="made")
        m_in, m_out, m_direct = made_masks(input_dim, hidden)
        self.m_in, self.m_out = tf.constant(m_in), tf.constant(m_out)
        self.m_direct = tf.constant(m_direct)
        D, d, H = input_dim, latent_dim, hidden

        def weight(name, shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            init = keras.initializers.RandomUniform(-bound, bound)
            return self.add_weight(name=name, shape=shape, initializer=init)

        self.w_in = weight("w_in", (H, D), D + d)
        self.u_in = weight("u_in", (H, d), D + d)
        self.b_in = weight("b_in", (H,), D + d)
        self.w_out = weight("w_out", (D, H), H + d)
        self.v_out = weight("v_out", (D, d), H + d)
        self.b_out = weight("b_out", (D,), H + d)
        self.w_direct = self.add_weight(name="w_direct", shape=(D, D), initializer="zeros")

    def call(self, z, x):
        h = tf.nn.relu(tf.matmul(x, self.w_in * self.m_in, transpose_b=True)
                       + tf.matmul(z, self.u_in, transpose_b=True) + self.b_in)
        return (tf.matmul(h, self.w_out * self.m_out, transpose_b=True)
                + tf.matmul(z, self.v_out, transpose_b=True) + self.b_out
                + tf.matmul(x, self.w_direct * self.m_direct, transpose_b=True))


@documented("AutoregressiveVAE")
class AutoregressiveVAE(VAE):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), made_hidden=256,
                 beta=1.0):
        name = type(self).__name__
        made_hidden = check.positive_int(name, "made_hidden", made_hidden)
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood="bernoulli",
                         beta=beta, decoder=keras.layers.Identity())
        self.decoder = _MADE(self.input_dim, self.latent_dim, made_hidden)

    def decoder_logits(self, x, z):
        x = tf.cast(tf.convert_to_tensor(x), tf.float32)
        z = tf.cast(tf.convert_to_tensor(z), tf.float32)
        return self.decoder(z, tf.reshape(x, [tf.shape(x)[0], -1]))

    def log_px_given_z(self, x, z):
        x = tf.cast(tf.convert_to_tensor(x), tf.float32)
        logits = self.decoder_logits(x, z)
        return self.likelihood.log_prob(logits, tf.reshape(x, [tf.shape(x)[0], -1]))

    def decode(self, z):
        raise ValueError(f"{type(self).__name__}.decode: an autoregressive decoder has no "
                         "one-pass output for z alone; use `decoder_logits(x, z)` or "
                         "`generate(z, seed)`.")

    def call(self, x):
        x = self._input(x, f"{type(self).__name__}.call")
        mu, _ = self.encode(x)
        return self._unflatten(self.decoder(mu, x))

    def generate(self, z, seed: int | None = 0):
        seed = check.seed(f"{type(self).__name__}.generate", seed, allow_none=True)
        z = tf.cast(tf.convert_to_tensor(z), tf.float32)
        n, D = int(z.shape[0]), self.input_dim
        u = np.random.default_rng(seed).random((n, D)).astype(np.float32)
        x = np.zeros((n, D), np.float32)
        for i in range(D):  # pixel i depends only on pixels < i
            logit = self.decoder(z, tf.constant(x))[:, i]
            x[:, i] = (u[:, i] < tf.sigmoid(logit).numpy()).astype(np.float32)
        return self._unflatten(tf.constant(x))

    def sample(self, n: int, seed: int | None = None):
        n = check.positive_int(f"{type(self).__name__}.sample", "n", n)
        seed = check.seed(f"{type(self).__name__}.sample", seed, allow_none=True)
        return self.generate(self.prior.sample(n, seed), seed)

    def reconstruct(self, x):
        mu, _ = self.encode(x)
        return self.generate(mu, 0)
