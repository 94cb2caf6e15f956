"""The autoencoder and the VAE in TensorFlow: encoder + decoder (+ prior) + likelihood.

The same classes as :mod:`vaebook.torch.models`, as subclassed ``keras.Model``s. The
networks work on flat data: the encoder maps (B, D) to (B, d) (or (B, 2d) for a VAE:
mu, then logvar), the decoder (B, d) to (B, D).
"""

from __future__ import annotations

from .. import _validate as check
from .._docs import documented
from ._util import keras, tf
from .distributions import make_likelihood, make_prior
from .losses import _log_normal_diag, _reparameterize

__all__ = ["Autoencoder", "VAE", "mlp"]


def mlp(sizes: list[int], name: str, activation: str = "relu") -> keras.Sequential:
    """Dense layers of the given sizes with `activation` ("relu" or "silu") between them
    (none after the last), built."""
    layers = [
        keras.layers.Dense(b, activation=activation if i < len(sizes) - 2 else None)
        for i, b in enumerate(sizes[1:])
    ]
    net = keras.Sequential(layers, name=name)
    net.build((None, sizes[0]))
    return net


class _Model(check.ModelSpec, keras.Model):
    """Shared plumbing: shapes, input preparation, and the decoder's likelihood."""

    def __init__(self, input_dim, latent_dim, hidden_dims, likelihood, obs_logvar):
        super().__init__()
        self._set_spec(input_dim, latent_dim, hidden_dims, obs_logvar)
        self.likelihood = make_likelihood(type(self).__name__, likelihood, self.obs_logvar)

    def _input(self, x, func: str, name: str = "x"):
        """``x`` flat, (B, D), as float32 (float64 and integers are cast)."""
        x = tf.convert_to_tensor(x)
        if x.dtype != tf.float32:
            x = tf.cast(x, tf.float32)
        check.flat_input(func, name, x.shape, self.input_dim)
        check.non_empty(func, name, x.shape)
        return tf.reshape(x, [-1, self.input_dim])

    def _checked(self, x, func: str):
        """``_input``, plus the values: finite and in the likelihood's support (eagerly)."""
        x = self._input(x, func)
        if not self._data_checked:
            self.likelihood.check_data(func, "x", x)
        return x

    def _unflatten(self, flat):
        return tf.reshape(flat, [-1, *self.data_shape])

    def log_px_given_z(self, x, z):
        out = self.decoder(z)
        return self.likelihood.log_prob(out, tf.cast(tf.reshape(x, [tf.shape(x)[0], -1]),
                                                     out.dtype))

    def decode(self, z):
        return self._unflatten(self.decoder(z))


@documented("Autoencoder")
class Autoencoder(_Model):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
                 obs_logvar=0.0, encoder=None, decoder=None):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        h = list(self.hidden_dims)
        self.encoder = encoder if encoder is not None else mlp(
            [self.input_dim, *h, self.latent_dim], "encoder")
        self.decoder = decoder if decoder is not None else mlp(
            [self.latent_dim, *reversed(h), self.input_dim], "decoder")

    def encode(self, x):
        return self.encoder(self._input(x, f"{type(self).__name__}.encode"))

    def call(self, x):
        return self.decode(self.encode(x))

    def reconstruct(self, x):
        return self.likelihood.mean(self(x))

    def loss_terms(self, x):
        x = self._checked(x, f"{type(self).__name__}.loss_terms")
        return {"loss": -self.log_px_given_z(x, self.encode(x))}


@documented("VAE")
class VAE(_Model):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
                 beta=1.0, obs_logvar=0.0, prior=None, encoder=None, decoder=None):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        name = type(self).__name__
        self.beta = 0.0 if beta == 0 else check.positive_float(name, "beta", beta)
        h = list(self.hidden_dims)
        # One network outputs both mu and logvar: 2*d units, split in encode().
        self.encoder = encoder if encoder is not None else mlp(
            [self.input_dim, *h, 2 * self.latent_dim], "encoder")
        self.decoder = decoder if decoder is not None else mlp(
            [self.latent_dim, *reversed(h), self.input_dim], "decoder")
        self.prior = make_prior(name, prior)
        self.prior.bind(self)

    def encode(self, x):
        mu, logvar = tf.split(self.encoder(self._input(x, f"{type(self).__name__}.encode")),
                              2, axis=1)
        return mu, logvar

    def call(self, x):
        mu, logvar = self.encode(x)
        return self.decode(_reparameterize(mu, logvar))

    def sample_posterior(self, x, eps):
        mu, logvar = self.encode(x)
        eps = tf.cast(eps, mu.dtype)
        check.posterior_noise(f"{type(self).__name__}.sample_posterior", eps.shape, mu.shape)
        z = mu + tf.exp(0.5 * logvar) * eps  # (B, d) broadcast over a leading k
        return z, _log_normal_diag(z, mu, logvar)

    def kl_term(self, mu, logvar, z):
        if hasattr(self.prior, "kl"):
            return self.prior.kl(mu, logvar)
        return _log_normal_diag(z, mu, logvar) - self.prior.log_prob(z)

    def loss_terms(self, x):
        x = self._checked(x, f"{type(self).__name__}.loss_terms")
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar)
        rec = -self.log_px_given_z(x, z)
        kl = self.kl_term(mu, logvar, z)
        return {"loss": rec + self.beta * kl, "reconstruction": rec, "kl": kl}

    def elbo(self, x):
        terms = self.loss_terms(x)
        return -(terms["reconstruction"] + terms["kl"])

    def sample(self, n: int, seed: int | None = None):
        n = check.positive_int(f"{type(self).__name__}.sample", "n", n)
        seed = check.seed(f"{type(self).__name__}.sample", seed, allow_none=True)
        return self.likelihood.mean(self.decode(self.prior.sample(n, seed)))

    def reconstruct(self, x):
        mu, _ = self.encode(x)
        return self.likelihood.mean(self.decode(mu))
