"""Per-example losses and the reparameterized sample, in TensorFlow.

Each public function checks its arguments and calls an unchecked twin (``_gaussian_kl``
...), which the models and the training step use. Checks that read values back (NaN,
the [0, 1] range) run eagerly only: inside a ``tf.function`` they are skipped.
"""

from __future__ import annotations

import math

from .. import _validate as check
from .._docs import documented
from ._util import eager, minmax, sum_non_batch, tensor, tf

__all__ = ["gaussian_kl", "bernoulli_nll", "gaussian_nll", "reparameterize"]

LOG_2PI = math.log(2.0 * math.pi)


def _gaussian_kl(mu, logvar):
    # KL(N(mu, sigma^2) || N(0, 1)) = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2), per dimension.
    return 0.5 * sum_non_batch(tf.square(mu) + tf.exp(logvar) - 1.0 - logvar)


@documented("gaussian_kl")
def gaussian_kl(mu, logvar) -> tf.Tensor:
    mu = tensor("gaussian_kl", "mu", mu)
    logvar = tensor("gaussian_kl", "logvar", logvar, like=mu)
    check.paired("gaussian_kl", "mu", mu.shape, "logvar", logvar.shape, "(batch, latent_dim)")
    return _gaussian_kl(mu, logvar)


def _bernoulli_nll(logits, x):
    # sigmoid_cross_entropy_with_logits is max(l, 0) - l*x + log(1 + exp(-|l|)).
    return sum_non_batch(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits))


@documented("bernoulli_nll")
def bernoulli_nll(logits, x) -> tf.Tensor:
    logits = tensor("bernoulli_nll", "logits", logits)
    x = tensor("bernoulli_nll", "x", x, like=logits)
    check.paired("bernoulli_nll", "logits", logits.shape, "x", x.shape)
    if eager():
        check.unit_interval("bernoulli_nll", "x", *minmax(x))
    return _bernoulli_nll(logits, x)


def _gaussian_nll(mean, x, logvar):
    return 0.5 * sum_non_batch(LOG_2PI + logvar + tf.square(x - mean) * tf.exp(-logvar))


@documented("gaussian_nll")
def gaussian_nll(mean, x, logvar=0.0) -> tf.Tensor:
    mean = tensor("gaussian_nll", "mean", mean)
    x = tensor("gaussian_nll", "x", x, like=mean)
    logvar = tensor("gaussian_nll", "logvar", logvar, like=mean)
    check.paired("gaussian_nll", "mean", mean.shape, "x", x.shape)
    check.broadcastable("gaussian_nll", "logvar", logvar.shape, "mean", mean.shape)
    return _gaussian_nll(mean, x, logvar)


def _reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu), dtype=mu.dtype)
    # exp(logvar / 2) is the standard deviation; forgetting the 1/2 uses the variance.
    return mu + tf.exp(0.5 * logvar) * eps


@documented("reparameterize")
def reparameterize(mu, logvar, eps=None) -> tf.Tensor:
    mu = tensor("reparameterize", "mu", mu)
    logvar = tensor("reparameterize", "logvar", logvar, like=mu)
    check.same_shape("reparameterize", "logvar", logvar.shape, "mu", mu.shape)
    if eps is not None:
        eps = tensor("reparameterize", "eps", eps, like=mu)
        check.same_shape("reparameterize", "eps", eps.shape, "mu", mu.shape)
    return _reparameterize(mu, logvar, eps)


def _log_normal_diag(z, mu, logvar):
    """log N(z; mu, diag exp(logvar)), summed over the last dimension: (..., d) -> (...)."""
    return -0.5 * tf.reduce_sum(LOG_2PI + logvar + tf.square(z - mu) * tf.exp(-logvar), axis=-1)
