"""The probabilistic parts of a model, in TensorFlow: likelihoods p(x|z) and priors p(z).

The same classes as :mod:`vaebook.torch.distributions`, as Keras layers, so that a
learned variance, mixture or pseudo-input is trained with the model that holds it.
"""

from __future__ import annotations

import math

from .. import _validate as check
from .._docs import documented
from ._util import eager, keras, minmax, normal, tf, uniform
from .losses import LOG_2PI, _bernoulli_nll, _gaussian_kl, _gaussian_nll, _log_normal_diag

__all__ = [
    "Bernoulli", "Gaussian", "ContinuousBernoulli", "StandardNormal", "MixturePrior",
    "VampPrior", "make_likelihood", "make_prior",
]

# ----------------------------------------------------------------------------- likelihoods


class _Likelihood(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.built = True  # its weights, if any, are made in __init__ (no build() to wait for)

    def check_data(self, func: str, name: str, x) -> None:
        if eager():
            check.finite_range(func, name, *minmax(x))


@documented("Bernoulli")
class Bernoulli(_Likelihood):
    def log_prob(self, out, x):
        return -_bernoulli_nll(out, x)

    def mean(self, out):
        return tf.sigmoid(out)

    def sample(self, out, seed: int | None = None):
        u = uniform(tf.shape(out), seed, "Bernoulli.sample", out.dtype)
        return tf.cast(u < tf.sigmoid(out), out.dtype)

    def check_data(self, func: str, name: str, x) -> None:
        if eager():
            check.unit_interval(func, name, *minmax(x))


@documented("Gaussian")
class Gaussian(_Likelihood):
    def __init__(self, logvar: float = 0.0, learned: bool = False):
        super().__init__()
        value = check.finite_number("Gaussian", "logvar", logvar)
        self.learned = check.boolean("Gaussian", "learned", learned)
        # A fixed variance is a plain number, not a weight: models with and without it
        # have the same weights (the chapters copy weights between models).
        self.logvar = (self.add_weight(shape=(), initializer=keras.initializers.Constant(value),
                                       name="logvar") if learned else value)

    def log_prob(self, out, x):
        return -_gaussian_nll(out, x, tf.cast(self.logvar, out.dtype))

    def mean(self, out):
        return out

    def sample(self, out, seed: int | None = None):
        eps = normal(tf.shape(out), seed, "Gaussian.sample", out.dtype)
        return out + tf.exp(0.5 * tf.cast(self.logvar, out.dtype)) * eps


def _cb_log_norm(logits):
    """log C(l) = log(l / tanh(l/2)), elementwise, stable for every l (log 2 at l = 0)."""
    a = tf.abs(logits)
    small = a < 1e-4
    a_safe = tf.where(small, tf.ones_like(a), a)
    # log(a / tanh(a/2)) with tanh(a/2) = -expm1(-a) / (1 + exp(-a))
    big = tf.math.log(a_safe) - tf.math.log(-tf.math.expm1(-a_safe)) + tf.math.log1p(tf.exp(-a_safe))
    taylor = math.log(2.0) + tf.math.log1p(logits * logits / 12.0)  # 2 + l^2/6 + ...
    return tf.where(small, taylor, big)


def _cb_mean(logits):
    small = tf.abs(logits) < 1e-2
    safe = tf.where(small, tf.ones_like(logits), logits)
    exact = tf.sigmoid(safe) / tf.tanh(safe / 2) - 1.0 / safe
    return tf.where(small, 0.5 + logits / 12.0, exact)


@documented("ContinuousBernoulli")
class ContinuousBernoulli(_Likelihood):
    def log_prob(self, out, x):
        norm = tf.reduce_sum(tf.reshape(_cb_log_norm(out), [tf.shape(out)[0], -1]), axis=1)
        return -_bernoulli_nll(out, x) + norm

    def mean(self, out):
        return _cb_mean(out)

    def sample(self, out, seed: int | None = None):
        # Inverse CDF, x = log1p(u expm1(l)) / l, evaluated at -|l| (no overflow) and
        # mirrored: x ~ CB(l) exactly when 1 - x ~ CB(-l).
        u = uniform(tf.shape(out), seed, "ContinuousBernoulli.sample", out.dtype)
        a = -tf.abs(out)
        small = a > -1e-4
        a_safe = tf.where(small, -tf.ones_like(a), a)
        y = tf.where(small, u, tf.math.log1p(u * tf.math.expm1(a_safe)) / a_safe)
        return tf.where(out > 0, 1.0 - y, y)

    def check_data(self, func: str, name: str, x) -> None:
        if eager():
            check.unit_interval(func, name, *minmax(x), what="continuous Bernoulli data")


_LIKELIHOOD_NAMES = dict(zip(check.LIKELIHOODS, (Bernoulli, Gaussian, ContinuousBernoulli),
                             strict=True))


def make_likelihood(cls: str, likelihood, obs_logvar: float) -> _Likelihood:
    """A likelihood object from a model's ``likelihood`` argument (a name or an object)."""
    if isinstance(likelihood, _Likelihood):
        return likelihood
    check.one_of(cls, "likelihood", likelihood, check.LIKELIHOODS)
    if likelihood == "gaussian":
        return Gaussian(logvar=obs_logvar)
    return _LIKELIHOOD_NAMES[likelihood]()


# ----------------------------------------------------------------------------- priors


class _Prior(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.built = True  # its weights are made in __init__ or bind() (no build() to wait for)

    def bind(self, model) -> None:
        """Called once by the model that holds the prior: learn its latent size."""
        self.latent_dim = model.latent_dim


def _mismatch(model, prior_dim):
    return ValueError(
        f"{type(model).__name__}: argument `prior` has latent_dim {prior_dim}, "
        f"but the model's latent_dim is {model.latent_dim}."
    )


@documented("StandardNormal")
class StandardNormal(_Prior):
    def __init__(self, latent_dim: int | None = None):
        super().__init__()
        self.latent_dim = None if latent_dim is None else check.positive_int(
            "StandardNormal", "latent_dim", latent_dim)

    def bind(self, model) -> None:
        if self.latent_dim not in (None, model.latent_dim):
            raise _mismatch(model, self.latent_dim)
        self.latent_dim = model.latent_dim

    def log_prob(self, z):
        return -0.5 * tf.reduce_sum(LOG_2PI + tf.square(z), axis=-1)

    def sample(self, n: int, seed: int | None = None):
        n = check.positive_int("StandardNormal.sample", "n", n)
        return normal([n, self.latent_dim], seed, "StandardNormal.sample")

    def kl(self, mu, logvar):
        return _gaussian_kl(mu, logvar)


@documented("MixturePrior")
class MixturePrior(_Prior):
    def __init__(self, n_components: int, latent_dim: int | None = None, seed: int = 0):
        super().__init__()
        self.n_components = check.positive_int("MixturePrior", "n_components", n_components)
        self.seed = check.seed("MixturePrior", seed)
        self.latent_dim = None
        if latent_dim is not None:
            self._build(check.positive_int("MixturePrior", "latent_dim", latent_dim))

    def _build(self, d: int) -> None:
        self.latent_dim = d
        k = self.n_components
        init = normal([k, d], self.seed, "MixturePrior").numpy()
        self.means = self.add_weight(shape=(k, d), name="means",
                                     initializer=keras.initializers.Constant(init))
        self.logvars = self.add_weight(shape=(k, d), initializer="zeros", name="logvars")
        self.logits = self.add_weight(shape=(k,), initializer="zeros", name="logits")

    def bind(self, model) -> None:
        if self.latent_dim is None:
            self._build(model.latent_dim)
        elif self.latent_dim != model.latent_dim:
            raise _mismatch(model, self.latent_dim)

    def log_prob(self, z):
        # log sum_k pi_k N(z; m_k, s_k^2): (..., 1, d) against (K, d), then over k.
        per_k = _log_normal_diag(tf.expand_dims(z, -2), self.means, self.logvars)
        return tf.reduce_logsumexp(per_k + tf.nn.log_softmax(self.logits), axis=-1)

    def sample(self, n: int, seed: int | None = None):
        n = check.positive_int("MixturePrior.sample", "n", n)
        check.seed("MixturePrior.sample", seed, allow_none=True)
        logits = tf.expand_dims(tf.nn.log_softmax(self.logits), 0)
        if seed is None:
            k = tf.random.categorical(logits, n)[0]
        else:
            k = tf.random.stateless_categorical(logits, n, seed=[seed, 1])[0]
        eps = normal([n, self.latent_dim], seed, "MixturePrior.sample")
        return tf.gather(self.means, k) + tf.exp(0.5 * tf.gather(self.logvars, k)) * eps


@documented("VampPrior")
class VampPrior(_Prior):
    def __init__(self, n_components: int, seed: int = 0, init=None):
        super().__init__()
        self.n_components = check.positive_int("VampPrior", "n_components", n_components)
        self.seed = check.seed("VampPrior", seed)
        self.latent_dim = None
        self._init = init

    def bind(self, model) -> None:
        self.latent_dim = model.latent_dim
        # A plain attribute (a bound method), not a sub-layer: the model owns the prior.
        self._encode = model.encode
        # Pseudo-inputs are sigmoid(u): always valid data in (0, 1), grey at the start
        # unless images to start from are given.
        shape = (self.n_components, *model.data_shape)
        if self._init is None:
            init = 0.1 * normal(shape, self.seed, "VampPrior").numpy()
        else:
            init = check.pseudo_input_logits(self._init, self.n_components, model.data_shape)
        self.u = self.add_weight(shape=shape, name="u",
                                 initializer=keras.initializers.Constant(init))

    def pseudo_inputs(self):
        return tf.sigmoid(self.u)

    def log_prob(self, z):
        mu, logvar = self._encode(self.pseudo_inputs())  # (K, d) each
        per_k = _log_normal_diag(tf.expand_dims(z, -2), mu, logvar)
        return tf.reduce_logsumexp(per_k, axis=-1) - math.log(self.n_components)

    def sample(self, n: int, seed: int | None = None):
        n = check.positive_int("VampPrior.sample", "n", n)
        check.seed("VampPrior.sample", seed, allow_none=True)
        if seed is None:
            k = tf.random.uniform([n], 0, self.n_components, dtype=tf.int32)
        else:
            k = tf.random.stateless_uniform([n], [seed, 1], 0, self.n_components, dtype=tf.int32)
        eps = normal([n, self.latent_dim], seed, "VampPrior.sample")
        mu, logvar = self._encode(self.pseudo_inputs())
        return tf.gather(mu, k) + tf.exp(0.5 * tf.gather(logvar, k)) * eps


def make_prior(cls: str, prior) -> _Prior:
    """The prior object of a model's ``prior`` argument (None: the standard normal)."""
    if prior is None:
        return StandardNormal()
    if not isinstance(prior, _Prior):
        raise ValueError(
            f"{cls}: argument `prior` must be None, StandardNormal, MixturePrior or "
            f"VampPrior; got {type(prior).__name__}."
        )
    return prior
