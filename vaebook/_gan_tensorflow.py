"""A small MLP GAN for TensorFlow (Goodfellow et al., 2014), with the same names and
semantics as :mod:`vaebook._gan_torch`. Imported into :mod:`vaebook.tensorflow`.

Losses are **per example** (shape ``(B,)``) and computed from the discriminator's
logits ``s`` with ``D = sigmoid(s)``: ``-log D = softplus(-s)`` and
``-log(1 - D) = softplus(s)``, finite for any logit (±100 included). The generator
returns images in [0, 1] in the shape given at construction.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as check
from ._progress import progress_bar
from ._quiet_tensorflow import import_tensorflow

tf = import_tensorflow()

keras = tf.keras

__all__ = ["GAN", "discriminator_loss", "generator_loss", "fit_gan"]

_LEAK = 0.2  # LeakyReLU slope: keeps gradients flowing through D to G where units are off


def _leaky_mlp(sizes: list[int], name: str, out_activation=None) -> keras.Sequential:
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


def _check_gan_args(input_dim, noise_dim, hidden_dims):
    shape = check.input_shape("GAN", input_dim)
    check.positive_int("GAN", "noise_dim", noise_dim)
    hidden = tuple(hidden_dims)
    for h in hidden:
        check.positive_int("GAN", "hidden_dims", h)
    return shape, hidden


class GAN(keras.Model):
    """Generator and discriminator, two MLPs (same arguments as ``vaebook.torch.GAN``).

    The generator maps noise z ~ N(0, I) of size ``noise_dim`` through ``hidden_dims``
    reversed to ``prod(input_dim)`` pixels and a sigmoid; the discriminator maps an
    image through ``hidden_dims`` to one logit ``s`` (``D(x) = sigmoid(s)``). Hidden
    layers use LeakyReLU(0.2).

    Shapes: ``generator`` (B, noise_dim) -> (B, prod(input_dim)) in [0, 1];
    ``discriminator`` (B, prod(input_dim)) -> (B, 1) logits; see :meth:`generate`,
    :meth:`discriminate`.
    """

    def __init__(self, input_dim, noise_dim, hidden_dims=(256, 128)):
        super().__init__()
        self.data_shape, self.hidden_dims = _check_gan_args(input_dim, noise_dim, hidden_dims)
        self.input_dim = math.prod(self.data_shape)
        self.noise_dim = int(noise_dim)
        h = list(self.hidden_dims)
        self.generator = _leaky_mlp(
            [self.noise_dim, *reversed(h), self.input_dim], "generator", "sigmoid"
        )
        self.discriminator = _leaky_mlp([self.input_dim, *h, 1], "discriminator")

    def noise(self, n: int, seed: int | None = None) -> tf.Tensor:
        """n draws z ~ N(0, I), shape (n, noise_dim)."""
        n = check.positive_int("GAN.noise", "n", n)
        return tf.random.normal([n, self.noise_dim], seed=seed)

    def decode(self, z) -> tf.Tensor:
        """G(z): (B, noise_dim) -> images (B, *input) in [0, 1] (differentiable)."""
        z = tf.convert_to_tensor(z, tf.float32)
        check.flat_input("GAN.decode", "z", tuple(z.shape), self.noise_dim)
        return tf.reshape(self.generator(z), [-1, *self.data_shape])

    def discriminate(self, x) -> tf.Tensor:
        """Discriminator logits s(x): (B, *input) -> (B,); D(x) = sigmoid(s)."""
        x = tf.convert_to_tensor(x, tf.float32)
        check.flat_input("GAN.discriminate", "x", tuple(x.shape), self.input_dim)
        return tf.squeeze(self.discriminator(tf.reshape(x, [-1, self.input_dim])), axis=1)

    def call(self, z):
        return self.decode(z)

    def generate(self, n: int, seed: int | None = None) -> tf.Tensor:
        """n samples G(z), z ~ N(0, I): images in [0, 1], shape (n, *input)."""
        return self.decode(self.noise(n, seed))


def _discriminator_loss(real_logits, fake_logits):
    # -log D(x) - log(1 - D(G(z))) = softplus(-s_real) + softplus(s_fake)
    return tf.nn.softplus(-real_logits) + tf.nn.softplus(fake_logits)


def _generator_loss(fake_logits, non_saturating: bool):
    if non_saturating:
        return tf.nn.softplus(-fake_logits)  # -log D(G(z))
    return -tf.nn.softplus(fake_logits)  # log(1 - D(G(z))), the minimax game's own term


def _logits(func: str, name: str, value) -> tf.Tensor:
    if isinstance(value, tf.Tensor | tf.Variable):
        t = tf.convert_to_tensor(value)
    else:
        t = tf.convert_to_tensor(np.asarray(value), dtype=tf.float32)
    if t.shape.rank != 1:
        raise ValueError(
            f"{func}: argument `{name}` must be discriminator logits of shape (batch,); "
            f"got shape {tuple(t.shape)}."
        )
    # The finiteness check reads values back, so it runs eagerly only (not while tracing).
    if tf.executing_eagerly() and t.shape[0]:
        check.finite_range(func, name, float(tf.reduce_min(t)), float(tf.reduce_max(t)))
    return t


def discriminator_loss(real_logits, fake_logits) -> tf.Tensor:
    """The discriminator's per-example loss, ``-log D(x) - log(1 - D(G(z)))``.

    Computed from logits as ``softplus(-real_logits) + softplus(fake_logits)``, so it
    is finite for any logit. Its batch mean estimates ``-V(D, G)``; the optimal
    discriminator reaches ``log 4 - 2 JS(p_data || p_g)``.

    Args:
        real_logits: discriminator logits on real data, shape (B,).
        fake_logits: discriminator logits on generated data, shape (B,).

    Returns:
        Tensor of shape (B,), in nats.
    """
    real_logits = _logits("discriminator_loss", "real_logits", real_logits)
    fake_logits = _logits("discriminator_loss", "fake_logits", fake_logits)
    check.same_shape(
        "discriminator_loss", "fake_logits", fake_logits.shape, "real_logits", real_logits.shape
    )
    return _discriminator_loss(real_logits, fake_logits)


def generator_loss(fake_logits, non_saturating: bool = True) -> tf.Tensor:
    """The generator's per-example loss, from the discriminator's logits on G(z).

    ``non_saturating=True``: ``-log D(G(z)) = softplus(-s)`` (gradient -> -1 as
    D(G(z)) -> 0); ``non_saturating=False``: the minimax ``log(1 - D(G(z))) =
    -softplus(s)`` (gradient ``-D(G(z))`` -> 0 there). See ``vaebook.torch.generator_loss``.

    Args:
        fake_logits: discriminator logits on generated data, shape (B,).
        non_saturating: which of the two losses.

    Returns:
        Tensor of shape (B,), in nats.
    """
    fake_logits = _logits("generator_loss", "fake_logits", fake_logits)
    if not isinstance(non_saturating, bool):
        raise ValueError(
            f"generator_loss: argument `non_saturating` must be True or False; "
            f"got {non_saturating!r}."
        )
    return _generator_loss(fake_logits, non_saturating)


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
    """Train ``gan`` on ``x_train``: alternate one discriminator and one generator step.

    Same algorithm, arguments and return value as ``vaebook.torch.fit_gan``: Adam
    (betas 0.5, 0.999) on the batch mean of :func:`discriminator_loss` with G(z) held
    fixed, then on the batch mean of :func:`generator_loss` through the updated
    discriminator. The step is one compiled ``tf.function`` (traced once: the batch
    dimension is left open), the data stay on the device, and epoch totals are read
    back once per epoch.

    Returns:
        ``{"d_loss", "g_loss", "d_real", "d_fake"}``, one float per epoch each.
    """
    from .tensorflow import _minmax, set_seed, to_tensor

    if not isinstance(gan, GAN):
        raise ValueError(f"fit_gan: argument `gan` must be a GAN; got {type(gan).__name__}.")
    epochs = check.positive_int("fit_gan", "epochs", epochs)
    batch_size = check.positive_int("fit_gan", "batch_size", batch_size)
    lr = check.positive_float("fit_gan", "lr", lr)
    if not isinstance(non_saturating, bool):
        raise ValueError(
            f"fit_gan: argument `non_saturating` must be True or False; got {non_saturating!r}."
        )
    set_seed(seed)
    x = to_tensor(x_train)
    check.flat_input("fit_gan", "x_train", tuple(x.shape), gan.input_dim)
    # The generator ends in a sigmoid: data outside [0, 1] could never be matched.
    check.unit_interval("fit_gan", "x_train", *_minmax(x))
    x = tf.reshape(x, [-1, gan.input_dim])
    n = int(x.shape[0])
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
        fake = gan.generator(z, training=True)
        with tf.GradientTape() as tape:
            real_logits = tf.squeeze(gan.discriminator(xb, training=True), axis=1)
            fake_logits = tf.squeeze(gan.discriminator(fake, training=True), axis=1)
            d_loss = _discriminator_loss(real_logits, fake_logits)
            d_mean = tf.reduce_mean(d_loss)
        opt_d.apply_gradients(zip(tape.gradient(d_mean, d_vars), d_vars, strict=True))
        # Generator step through the discriminator just updated (same z).
        with tf.GradientTape() as tape:
            fake = gan.generator(z, training=True)
            g_logits = tf.squeeze(gan.discriminator(fake, training=True), axis=1)
            g_loss = _generator_loss(g_logits, non_saturating)
            g_mean = tf.reduce_mean(g_loss)
        opt_g.apply_gradients(zip(tape.gradient(g_mean, g_vars), g_vars, strict=True))
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
