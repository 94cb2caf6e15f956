"""The importance-weighted bound on log p(x) (Burda et al., 2016), in TensorFlow."""

from __future__ import annotations

import math
import weakref

from .. import _validate as check
from .._docs import documented
from ._util import tensor, tf
from .distributions import StandardNormal
from .losses import _log_normal_diag

__all__ = ["iwae_bound"]

_OUTPUTS_PER_PASS = 1 << 22  # decoder outputs per pass when chunk_size is None
# One compiled chunk function per model, so that repeated calls do not trace again.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _chunk_function(model, prior):
    d = model.latent_dim

    @tf.function(reduce_retracing=True)
    def chunk_lse(xr, mu, logvar, eps):
        """log sum_i w_i over the m samples of one chunk: eps (m, b, d) -> (b,)."""
        m, b = tf.shape(eps)[0], tf.shape(xr)[0]
        z = mu + tf.exp(0.5 * logvar) * eps
        zf = tf.reshape(z, [m * b, d])
        log_px = tf.reshape(model.log_px_given_z(tf.tile(xr, [m, 1]), zf), [m, b])
        log_pz = tf.reshape(prior.log_prob(zf), [m, b])
        log_qz = _log_normal_diag(z, mu, logvar)
        return tf.reduce_logsumexp(log_px + log_pz - log_qz, axis=0)

    return chunk_lse


def _weight_function(model):
    """The chunk function of a model with ``log_weight(x, eps)`` (a TwoLevelVAE)."""
    d = model.latent_dim

    @tf.function(reduce_retracing=True)
    def chunk_lse(xr, eps):
        m, b = tf.shape(eps)[0], tf.shape(xr)[0]
        log_w = model.log_weight(tf.tile(xr, [m, 1]), tf.reshape(eps, [m * b, d]))
        return tf.reduce_logsumexp(tf.reshape(log_w, [m, b]), axis=0)

    return chunk_lse


@documented("iwae_bound")
def iwae_bound(model, x, k: int = 1000, batch_size: int = 500, chunk_size=None,
               seed: int | None = None) -> tf.Tensor:
    k, batch_size, chunk_size, seed = check.iwae_args(k, batch_size, chunk_size, seed)
    x = tf.cast(tensor("iwae_bound", "x", x), tf.float32)
    check.flat_input("iwae_bound", "x", x.shape, model.input_dim)
    check.non_empty("iwae_bound", "x", x.shape)
    likelihood = getattr(model, "likelihood", None)
    if hasattr(likelihood, "check_data"):
        likelihood.check_data("iwae_bound", "x", x)
    prior = getattr(model, "prior", None)
    if prior is None:
        prior = StandardNormal(model.latent_dim)
    # A model with log_weight(x, eps) computes its own weights (a TwoLevelVAE); a VAE's
    # come from its encoder, decoder and prior, encoding each x once.
    generic = hasattr(model, "log_weight")
    if model not in _COMPILED:
        _COMPILED[model] = _weight_function(model) if generic else _chunk_function(model, prior)
    chunk_lse = _COMPILED[model]
    out = []
    n, d = int(x.shape[0]), model.latent_dim
    calls = 0
    for start in range(0, n, batch_size):
        xb = x[start : start + batch_size]
        b = int(xb.shape[0])
        c = chunk_size or max(1, min(k, _OUTPUTS_PER_PASS // (b * model.input_dim)))
        if not generic:
            mu, logvar = check.posterior("iwae_bound", model, model.encode(xb))
        xr = tf.reshape(xb, [b, -1])
        chunks = []
        for s in range(0, k, c):
            m = min(c, k - s)
            shape = [m, b, d]
            eps = (tf.random.normal(shape) if seed is None
                   else tf.random.stateless_normal(shape, seed=[seed, calls]))
            calls += 1
            chunks.append(chunk_lse(xr, eps) if generic else chunk_lse(xr, mu, logvar, eps))
        out.append(tf.reduce_logsumexp(tf.stack(chunks), axis=0) - math.log(k))
    return tf.concat(out, axis=0)
