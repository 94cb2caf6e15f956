"""TensorFlow half of ``vaebook``: the same names and semantics as :mod:`vaebook.torch`.

Models are subclassed ``tf.keras.Model`` objects; losses are plain TensorFlow
functions. Every loss is **per example** (summed over data or latent dimensions,
shape ``(B,)``); the caller averages over the batch. See :mod:`vaebook.torch` for
the conventions shared by both modules.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as check
from ._progress import progress_bar
from ._quiet_tensorflow import import_tensorflow

tf = import_tensorflow()  # without its start-up log lines (see _quiet_tensorflow)
keras = tf.keras

__all__ = [
    "gaussian_kl",
    "bernoulli_nll",
    "gaussian_nll",
    "reparameterize",
    "Autoencoder",
    "VAE",
    "iwae_bound",
    "fit",
    "set_seed",
    "device",
    "to_tensor",
    "to_numpy",
    "GAN",
    "discriminator_loss",
    "generator_loss",
    "fit_gan",
]

LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- utilities
def device() -> str:
    """The device the book's code runs on: ``"/GPU:0"`` if there is a GPU, else ``"/CPU:0"``."""
    return "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's ops deterministic."""
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def to_tensor(x, dtype=tf.float32) -> tf.Tensor:
    """NumPy array (or tensor) -> tensor of ``dtype`` on :func:`device`."""
    with tf.device(device()):
        return tf.identity(tf.convert_to_tensor(x, dtype=dtype))


def to_numpy(x) -> np.ndarray:
    """Tensor -> NumPy array on the host."""
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def _sum_non_batch(t: tf.Tensor) -> tf.Tensor:
    """(B, ...) -> (B,): sum over every dimension but the first."""
    return tf.reduce_sum(tf.reshape(t, [tf.shape(t)[0], -1]), axis=1)


def _as_tensor(value, like: tf.Tensor | None = None) -> tf.Tensor:
    if isinstance(value, tf.Tensor | tf.Variable):
        return tf.convert_to_tensor(value)
    dtype = like.dtype if like is not None else tf.float32
    return tf.convert_to_tensor(np.asarray(value), dtype=dtype)


def _minmax(t: tf.Tensor) -> tuple[float, float]:
    return float(tf.reduce_min(t)), float(tf.reduce_max(t))


# --------------------------------------------------------------------------- losses
def _gaussian_kl(mu, logvar):
    # KL(N(mu, sigma^2) || N(0, 1)) = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2), per dimension.
    return 0.5 * _sum_non_batch(tf.square(mu) + tf.exp(logvar) - 1.0 - logvar)


def gaussian_kl(mu, logvar) -> tf.Tensor:
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ), summed over latent dimensions.

    Args:
        mu: means, shape (B, d).
        logvar: log-variances, same shape as ``mu``.

    Returns:
        Tensor of shape (B,). Equals ``-1/2 * sum(1 + logvar - mu**2 - exp(logvar))``.
    """
    mu = _as_tensor(mu)
    logvar = _as_tensor(logvar, like=mu)
    check.batched("gaussian_kl", "mu", mu.shape, "(batch, latent_dim)")
    check.same_shape("gaussian_kl", "logvar", logvar.shape, "mu", mu.shape)
    return _gaussian_kl(mu, logvar)


def _bernoulli_nll(logits, x):
    # sigmoid_cross_entropy_with_logits uses max(l, 0) - l*x + log(1 + exp(-|l|)).
    return _sum_non_batch(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits))


def bernoulli_nll(logits, x) -> tf.Tensor:
    """-log Bernoulli(x; sigmoid(logits)), summed over data dimensions.

    Computed from logits, so it is finite for any logit (±100 included).

    Args:
        logits: decoder outputs before the sigmoid, shape (B, ...).
        x: targets in [0, 1], same shape as ``logits``.

    Returns:
        Tensor of shape (B,).
    """
    logits = _as_tensor(logits)
    x = _as_tensor(x, like=logits)
    check.batched("bernoulli_nll", "logits", logits.shape)
    check.same_shape("bernoulli_nll", "x", x.shape, "logits", logits.shape)
    if tf.executing_eagerly():  # values cannot be read back while tracing a tf.function
        check.unit_interval("bernoulli_nll", "x", *_minmax(x))
    return _bernoulli_nll(logits, x)


def _gaussian_nll(mean, x, logvar):
    return 0.5 * _sum_non_batch(LOG_2PI + logvar + tf.square(x - mean) * tf.exp(-logvar))


def gaussian_nll(mean, x, logvar=0.0) -> tf.Tensor:
    """-log N(x; mean, diag(exp(logvar))), summed over data dimensions, constants included.

    Args:
        mean: predicted means, shape (B, ...).
        x: observations, same shape as ``mean``.
        logvar: a float, or a tensor that broadcasts to ``mean``.

    Returns:
        Tensor of shape (B,).
    """
    mean = _as_tensor(mean)
    x = _as_tensor(x, like=mean)
    logvar = _as_tensor(logvar, like=mean)
    check.batched("gaussian_nll", "mean", mean.shape)
    check.same_shape("gaussian_nll", "x", x.shape, "mean", mean.shape)
    check.broadcastable("gaussian_nll", "logvar", logvar.shape, "mean", mean.shape)
    return _gaussian_nll(mean, x, logvar)


def _reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu), dtype=mu.dtype)
    # exp(logvar / 2) is the standard deviation; forgetting the 1/2 uses the variance.
    return mu + tf.exp(0.5 * logvar) * eps


def reparameterize(mu, logvar, eps=None) -> tf.Tensor:
    """Draw z ~ N(mu, diag(exp(logvar))) as a differentiable function of (mu, logvar).

    Args:
        mu: means, shape (B, d).
        logvar: log-variances, same shape.
        eps: optional standard-normal noise of the same shape; drawn fresh when None.

    Returns:
        ``mu + exp(logvar / 2) * eps``, shape (B, d).
    """
    mu = _as_tensor(mu)
    logvar = _as_tensor(logvar, like=mu)
    check.same_shape("reparameterize", "logvar", logvar.shape, "mu", mu.shape)
    if eps is not None:
        eps = _as_tensor(eps, like=mu)
        check.same_shape("reparameterize", "eps", eps.shape, "mu", mu.shape)
    return _reparameterize(mu, logvar, eps)


# --------------------------------------------------------------------------- models
_LIKELIHOODS = ("bernoulli", "gaussian")


def _mlp(sizes: list[int], name: str) -> keras.Sequential:
    """Dense layers with ReLU between them (none after the last), built for sizes[0] inputs."""
    layers = [
        keras.layers.Dense(b, activation="relu" if i < len(sizes) - 2 else None)
        for i, b in enumerate(sizes[1:])
    ]
    net = keras.Sequential(layers, name=name)
    net.build((None, sizes[0]))
    return net


def _check_model_args(cls: str, input_dim, latent_dim, hidden_dims, likelihood):
    shape = check.input_shape(cls, input_dim)
    check.positive_int(cls, "latent_dim", latent_dim)
    hidden = tuple(hidden_dims)
    for h in hidden:
        check.positive_int(cls, "hidden_dims", h)
    if likelihood not in _LIKELIHOODS:
        raise ValueError(
            f"{cls}: argument `likelihood` must be one of {_LIKELIHOODS}; got {likelihood!r}."
        )
    return shape, hidden


class _Base(keras.Model):
    """Shared plumbing: input shapes, flattening, and the decoder's likelihood."""

    def __init__(self, input_dim, latent_dim, hidden_dims, likelihood, obs_logvar):
        super().__init__()
        name = type(self).__name__
        self.data_shape, self.hidden_dims = _check_model_args(
            name, input_dim, latent_dim, hidden_dims, likelihood
        )
        self.input_dim = math.prod(self.data_shape)
        self.latent_dim = int(latent_dim)
        self.likelihood = likelihood
        self.obs_logvar = float(obs_logvar)

    def _flatten(self, x, name: str = "x"):
        x = _as_tensor(x)
        check.flat_input(type(self).__name__, name, x.shape, self.input_dim)
        return tf.reshape(x, [-1, self.input_dim])

    def _unflatten(self, flat):
        return tf.reshape(flat, [-1, *self.data_shape])

    def _mean(self, out):
        """Decoder output -> mean of p(x|z): sigmoid for Bernoulli logits, identity else."""
        return tf.sigmoid(out) if self.likelihood == "bernoulli" else out

    def log_px_given_z(self, x, z):
        """log p(x | z), shape (B,), for x of shape (B, ...) and z of shape (B, d)."""
        out = tf.reshape(self.decode(z), [tf.shape(z)[0], -1])
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        if self.likelihood == "bernoulli":
            return -_bernoulli_nll(out, x)
        return -_gaussian_nll(out, x, tf.constant(self.obs_logvar, out.dtype))


class Autoencoder(_Base):
    """A deterministic MLP autoencoder (same arguments as ``vaebook.torch.Autoencoder``).

    Shapes: ``encode`` (B, *input) -> (B, d); ``decode`` (B, d) -> (B, *input).
    ``hidden_dims=()`` gives a linear autoencoder.
    """

    def __init__(
        self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
        obs_logvar=0.0,
    ):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        h = list(self.hidden_dims)
        self.encoder = _mlp([self.input_dim, *h, self.latent_dim], "encoder")
        self.decoder = _mlp([self.latent_dim, *reversed(h), self.input_dim], "decoder")

    def encode(self, x):
        """(B, *input) -> codes (B, d)."""
        return self.encoder(self._flatten(x))

    def decode(self, z):
        """(B, d) -> logits (Bernoulli) or means (Gaussian), shape (B, *input)."""
        return self._unflatten(self.decoder(z))

    def call(self, x):
        return self.decode(self.encode(x))

    def reconstruct(self, x):
        """Reconstructions in data space (probabilities or means), shape (B, *input)."""
        return self._mean(self(x))

    def loss_terms(self, x):
        """Per-example training loss ``-log p(x | z = encode(x))``, under key "loss"."""
        return {"loss": -self.log_px_given_z(x, self.encode(x))}


class VAE(_Base):
    """A variational autoencoder with MLP encoder and decoder (Kingma & Welling, 2014).

    Same arguments and methods as ``vaebook.torch.VAE``: ``encode(x) -> (mu, logvar)``,
    ``decode(z) -> logits``, ``loss_terms(x)``, ``elbo(x)``, ``sample(n)``,
    ``reconstruct(x)``, ``log_px_given_z(x, z)``.
    """

    def __init__(
        self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
        beta=1.0, obs_logvar=0.0,
    ):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        self.beta = check.positive_float("VAE", "beta", beta) if beta != 0 else 0.0
        h = list(self.hidden_dims)
        self.encoder = _mlp([self.input_dim, *h, 2 * self.latent_dim], "encoder")
        self.decoder = _mlp([self.latent_dim, *reversed(h), self.input_dim], "decoder")

    def encode(self, x):
        """(B, *input) -> (mu, logvar), each (B, d)."""
        mu, logvar = tf.split(self.encoder(self._flatten(x)), 2, axis=1)
        return mu, logvar

    def decode(self, z):
        """(B, d) -> logits (Bernoulli) or means (Gaussian), shape (B, *input)."""
        return self._unflatten(self.decoder(z))

    def call(self, x):
        mu, logvar = self.encode(x)
        return self.decode(_reparameterize(mu, logvar))

    def loss_terms(self, x):
        """Per-example terms of the negative ELBO, each shape (B,).

        ``reconstruction`` = -log p(x|z) at one reparameterized z ~ q(z|x);
        ``kl`` = KL(q(z|x) || p(z)) in closed form; ``loss`` = reconstruction + beta * kl.
        """
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar)
        rec = -self.log_px_given_z(x, z)
        kl = _gaussian_kl(mu, logvar)
        return {"loss": rec + self.beta * kl, "reconstruction": rec, "kl": kl}

    def elbo(self, x):
        """Single-sample estimate of the ELBO, shape (B,). Maximise it; the loss is -ELBO."""
        terms = self.loss_terms(x)
        return -(terms["reconstruction"] + terms["kl"])

    def sample(self, n: int, seed: int | None = None):
        """Decode n draws z ~ p(z); returns means of p(x|z), shape (n, *input)."""
        n = check.positive_int("VAE.sample", "n", n)
        z = tf.random.normal([n, self.latent_dim], seed=seed)
        return self._mean(self.decode(z))

    def reconstruct(self, x):
        """Decode the posterior mean of each x; returns means of p(x|z), shape (B, *input)."""
        mu, _ = self.encode(x)
        return self._mean(self.decode(mu))


# --------------------------------------------------------------------------- evaluation
def iwae_bound(model: VAE, x, k: int = 1000, batch_size: int = 500, chunk_size=None):
    """Importance-weighted lower bound on log p(x) (Burda et al., 2016), per example.

    Same definition and arguments as ``vaebook.torch.iwae_bound``; samples are taken
    in chunks so memory stays flat as k grows. Returns a tensor of shape (N,), in nats.
    """
    k = check.positive_int("iwae_bound", "k", k)
    batch_size = check.positive_int("iwae_bound", "batch_size", batch_size)
    x = _as_tensor(x)
    check.flat_input("iwae_bound", "x", x.shape, model.input_dim)
    d = model.latent_dim

    @tf.function
    def chunk_lse(xr, mu, logvar, m):
        b = tf.shape(xr)[0]
        eps = tf.random.normal([m, b, d])
        z = mu + tf.exp(0.5 * logvar) * eps
        zf = tf.reshape(z, [m * b, d])
        log_px = tf.reshape(model.log_px_given_z(tf.tile(xr, [m, 1]), zf), [m, b])
        log_pz = tf.reshape(-_gaussian_nll(tf.zeros_like(zf), zf, 0.0), [m, b])
        log_qz = tf.reshape(
            -_gaussian_nll(tf.tile(mu, [m, 1]), zf, tf.tile(logvar, [m, 1])), [m, b]
        )
        return tf.reduce_logsumexp(log_px + log_pz - log_qz, axis=0)

    out = []
    n = int(x.shape[0])
    for start in range(0, n, batch_size):
        xb = x[start : start + batch_size]
        b = int(xb.shape[0])
        c = chunk_size or max(1, min(k, (1 << 22) // (b * model.input_dim)))
        mu, logvar = model.encode(xb)
        xr = tf.reshape(xb, [b, -1])
        chunks = [
            chunk_lse(xr, mu, logvar, tf.constant(min(c, k - s))) for s in range(0, k, c)
        ]
        out.append(tf.reduce_logsumexp(tf.stack(chunks), axis=0) - math.log(k))
    return tf.concat(out, axis=0)


# --------------------------------------------------------------------------- training
def fit(
    model: keras.Model,
    x_train,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    x_valid=None,
    loss_fn=None,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` with Adam on ``x_train`` and return the per-epoch history.

    The step is one compiled ``tf.function`` (traced once: the batch dimension is
    left open), the data stay on the device, and epoch totals are read back once
    per epoch. Arguments and return value as in ``vaebook.torch.fit``.
    """
    epochs = check.positive_int("fit", "epochs", epochs)
    batch_size = check.positive_int("fit", "batch_size", batch_size)
    lr = check.positive_float("fit", "lr", lr)
    terms_of = loss_fn or (lambda m, xb: m.loss_terms(xb))
    set_seed(seed)
    x = to_tensor(x_train)
    check.flat_input("fit", "x_train", x.shape, getattr(model, "input_dim", x.shape[1:].num_elements()))
    check.finite_range("fit", "x_train", *_minmax(x))
    xv = None if x_valid is None else to_tensor(x_valid)
    n = int(x.shape[0])
    opt = keras.optimizers.Adam(learning_rate=lr)
    opt.build(model.trainable_variables)
    rng = np.random.default_rng(seed)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def train_step(idx):
        xb = tf.gather(x, idx)
        with tf.GradientTape() as tape:
            terms = terms_of(model, xb)
            loss = tf.reduce_mean(terms["loss"])
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return {key: tf.reduce_sum(val) for key, val in terms.items()}

    @tf.function
    def valid_terms(xb):
        return {key: tf.reduce_mean(val) for key, val in terms_of(model, xb).items()}

    history: dict[str, list[float]] = {}
    bar = progress_bar(range(epochs), desc=f"{type(model).__name__} (tensorflow)", disable=not progress)
    for _ in bar:
        perm = tf.constant(rng.permutation(n).astype(np.int32))
        totals: dict[str, tf.Tensor] = {}
        for start in range(0, n, batch_size):
            sums = train_step(perm[start : start + batch_size])
            for key, val in sums.items():
                totals[key] = totals[key] + val if key in totals else val
        epoch = {key: float(val) / n for key, val in totals.items()}
        if xv is not None:
            epoch.update({f"valid_{k}": float(v) for k, v in valid_terms(xv).items()})
        if not math.isfinite(epoch["loss"]):
            raise FloatingPointError(
                f"fit: the training loss became {epoch['loss']} in epoch "
                f"{len(history.get('loss', [])) + 1}; lower `lr` or check the loss function."
            )
        for key, val in epoch.items():
            history.setdefault(key, []).append(val)
        bar.set_postfix(loss=f"{epoch['loss']:.2f}")
    return history


from ._gan_tensorflow import GAN, discriminator_loss, fit_gan, generator_loss  # noqa: E402,F401
