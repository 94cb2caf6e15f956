"""GANs in TensorFlow (Goodfellow et al., 2014): the same names and semantics as
:mod:`vaebook.torch.gan`.

Losses are computed from the discriminator's logits ``s`` with ``D = sigmoid(s)``:
``-log D = softplus(-s)`` and ``-log(1 - D) = softplus(s)``, finite for any logit.
The generator returns images in [0, 1] in the shape given at construction. The
networks work on flat data, so :class:`~vaebook.tensorflow.ConvGAN` only swaps them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as check
from .._docs import documented
from .._progress import progress_bar
from ._util import keras, minmax, normal, set_seed, tensor, tf, to_tensor

__all__ = ["GAN", "discriminator_loss", "generator_loss", "fit_gan"]

_LEAK = 0.2  # LeakyReLU slope: keeps gradients flowing through D to G where units are off


def leaky_mlp(sizes: list[int], name: str, out_activation=None) -> keras.Sequential:
    """Dense layers with LeakyReLU(0.2) between them, built for ``sizes[0]`` inputs."""
    layers = []
    for i, b in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        layers.append(keras.layers.Dense(b, activation=out_activation if last else None))
        if not last:
            layers.append(keras.layers.LeakyReLU(negative_slope=_LEAK))
    net = keras.Sequential(layers, name=name)
    net.build((None, sizes[0]))
    return net


@documented("GAN")
class GAN(keras.Model):
    def __init__(self, input_dim, noise_dim, hidden_dims=(256, 128)):
        super().__init__()
        self.data_shape, self.hidden_dims = check.model_args("GAN", input_dim, noise_dim,
                                                             hidden_dims, latent_name="noise_dim")
        self.input_dim = math.prod(self.data_shape)
        self.noise_dim = int(noise_dim)
        self._build()

    def _build(self) -> None:
        h = list(self.hidden_dims)
        self.generator = leaky_mlp(
            [self.noise_dim, *reversed(h), self.input_dim], "generator", "sigmoid")
        self.discriminator = leaky_mlp([self.input_dim, *h, 1], "discriminator")

    def noise(self, n: int, seed: int | None = None) -> tf.Tensor:
        n = check.positive_int(f"{type(self).__name__}.noise", "n", n)
        return normal([n, self.noise_dim], seed, f"{type(self).__name__}.noise")

    def decode(self, z) -> tf.Tensor:
        name = f"{type(self).__name__}.decode"
        z = tensor(name, "z", z)
        check.flat_input(name, "z", tuple(z.shape), self.noise_dim)
        # Inference mode, as in PyTorch: BatchNorm's moving statistics.
        return tf.reshape(self.generator(z, training=False), [-1, *self.data_shape])

    def discriminate(self, x) -> tf.Tensor:
        name = f"{type(self).__name__}.discriminate"
        x = tf.cast(tensor(name, "x", x), tf.float32)
        check.flat_input(name, "x", tuple(x.shape), self.input_dim)
        return tf.squeeze(self.discriminator(tf.reshape(x, [-1, self.input_dim])), axis=1)

    def call(self, z):
        return self.decode(z)

    def generate(self, n: int, seed: int | None = None) -> tf.Tensor:
        return self.decode(self.noise(n, seed))


def _discriminator_loss(real_logits, fake_logits):
    # -log D(x) - log(1 - D(G(z))) = softplus(-s_real) + softplus(s_fake)
    return tf.nn.softplus(-real_logits) + tf.nn.softplus(fake_logits)


def _generator_loss(fake_logits, non_saturating: bool):
    if non_saturating:
        return tf.nn.softplus(-fake_logits)  # -log D(G(z))
    return -tf.nn.softplus(fake_logits)  # log(1 - D(G(z))), the minimax game's own term


def _logits(func: str, name: str, value) -> tf.Tensor:
    t = tensor(func, name, value)  # the finiteness check runs eagerly only
    if t.shape.rank != 1:
        raise ValueError(
            f"{func}: argument `{name}` must be discriminator logits of shape (batch,); "
            f"got shape {tuple(t.shape)}."
        )
    return t


@documented("discriminator_loss")
def discriminator_loss(real_logits, fake_logits) -> tf.Tensor:
    real_logits = _logits("discriminator_loss", "real_logits", real_logits)
    fake_logits = _logits("discriminator_loss", "fake_logits", fake_logits)
    check.same_shape(
        "discriminator_loss", "fake_logits", fake_logits.shape, "real_logits", real_logits.shape
    )
    return _discriminator_loss(real_logits, fake_logits)


@documented("generator_loss")
def generator_loss(fake_logits, non_saturating: bool = True) -> tf.Tensor:
    fake_logits = _logits("generator_loss", "fake_logits", fake_logits)
    check.boolean("generator_loss", "non_saturating", non_saturating)
    return _generator_loss(fake_logits, non_saturating)


@documented("fit_gan")
def fit_gan(
    gan: GAN,
    x_train,
    epochs: int,
    batch_size: int = 128,
    lr: float = 2e-4,
    seed: int = 0,
    progress: bool = True,
    non_saturating: bool = True,
    callback=None,
) -> dict[str, list[float]]:
    if not isinstance(gan, GAN):
        raise ValueError(f"fit_gan: argument `gan` must be a GAN; got {type(gan).__name__}.")
    epochs, batch_size, lr, seed = check.training_args("fit_gan", epochs, batch_size, lr, seed)
    check.boolean("fit_gan", "non_saturating", non_saturating)
    set_seed(seed)
    x = to_tensor(tensor("fit_gan", "x_train", x_train))
    check.flat_input("fit_gan", "x_train", tuple(x.shape), gan.input_dim)
    check.non_empty("fit_gan", "x_train", x.shape)
    # The generator ends in a sigmoid: data outside [0, 1] could never be matched.
    check.unit_interval("fit_gan", "x_train", *minmax(x))
    x = tf.reshape(x, [-1, gan.input_dim])
    n = int(x.shape[0])
    check.batch_norm_batches("fit_gan", gan, int(n), batch_size)
    d_vars = gan.discriminator.trainable_variables
    g_vars = gan.generator.trainable_variables
    opt_d = keras.optimizers.Adam(learning_rate=lr, beta_1=0.5, beta_2=0.999)
    opt_g = keras.optimizers.Adam(learning_rate=lr, beta_1=0.5, beta_2=0.999)
    opt_d.build(d_vars)
    opt_g.build(g_vars)
    rng = np.random.default_rng(seed)
    noise_dim = gan.noise_dim

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def train_step(idx):
        xb = tf.gather(x, idx)
        z = tf.random.normal([tf.shape(idx)[0], noise_dim])
        # One generator pass per step, as in PyTorch (BatchNorm's statistics move once):
        # the discriminator step holds it fixed, the generator step differentiates it.
        with tf.GradientTape() as g_tape:
            fake = gan.generator(z, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as tape:
                real_logits = tf.squeeze(gan.discriminator(xb, training=True), axis=1)
                fake_logits = tf.squeeze(gan.discriminator(fake, training=True), axis=1)
                d_loss = _discriminator_loss(real_logits, fake_logits)
                d_mean = tf.reduce_mean(d_loss)
            with g_tape.stop_recording():
                opt_d.apply_gradients(
                    zip(tape.gradient(d_mean, d_vars), d_vars, strict=True))
            # Generator step through the discriminator just updated.
            g_logits = tf.squeeze(gan.discriminator(fake, training=True), axis=1)
            g_loss = _generator_loss(g_logits, non_saturating)
            g_mean = tf.reduce_mean(g_loss)
        opt_g.apply_gradients(zip(g_tape.gradient(g_mean, g_vars), g_vars, strict=True))
        return tf.stack([
            tf.reduce_sum(d_loss), tf.reduce_sum(g_loss),
            tf.reduce_sum(tf.sigmoid(real_logits)), tf.reduce_sum(tf.sigmoid(fake_logits)),
        ])

    keys = ("d_loss", "g_loss", "d_real", "d_fake")
    history: dict[str, list[float]] = {k: [] for k in keys}
    bar = progress_bar(range(epochs), desc="GAN (tensorflow)", disable=not progress)
    for epoch_index in bar:
        perm = tf.constant(rng.permutation(n).astype(np.int32))
        totals = tf.zeros(4)
        for start in range(0, n, batch_size):
            totals = totals + train_step(perm[start : start + batch_size])
        epoch = dict(zip(keys, (totals / n).numpy().tolist(), strict=True))
        if not (math.isfinite(epoch["d_loss"]) and math.isfinite(epoch["g_loss"])):
            raise FloatingPointError(
                f"fit_gan: the losses became {epoch['d_loss']}, {epoch['g_loss']} in epoch "
                f"{epoch_index + 1}; lower `lr`."
            )
        for key, val in epoch.items():
            history[key].append(val)
        bar.set_postfix(d_loss=f"{epoch['d_loss']:.3f}", g_loss=f"{epoch['g_loss']:.3f}")
        if callback is not None:
            callback(epoch_index + 1, gan)
    return history
