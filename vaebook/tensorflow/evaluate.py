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
# One compiled chunk function per model and prior, so that repeated calls do not trace
# again; a prior swapped into the model (chapter 8 fits one after training) gets its own.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _log_weights(model, prior, posterior, xr, eps):
    """log p(x|z) + log p(z) - log q(z|x) at z = posterior(eps): eps (m, b, d) -> (m, b)."""
    m, b = tf.shape(eps)[0], tf.shape(xr)[0]
    if posterior is None:  # the model's own importance weights
        log_w = model.log_weight(tf.tile(xr, [m, 1]), tf.reshape(eps, [m * b, model.latent_dim]))
        return tf.reshape(log_w, [m, b])
    z, log_qz = posterior(eps)
    zf = tf.reshape(z, [m * b, model.latent_dim])  # one decoder pass; tile stacks m copies
    log_px = tf.reshape(model.log_px_given_z(tf.tile(xr, [m, 1]), zf), [m, b])
    log_pz = tf.reshape(prior.log_prob(zf), [m, b])
    return log_px + log_pz - log_qz


def _posterior_sampler(model, xr, params):
    """``eps (m, b, d) -> (z, log q(z|x))`` for the batch ``xr``.

    A model with ``sample_posterior`` (VAE, FlowVAE) draws its own posterior; a model with
    ``log_weight(x, eps)`` (a TwoLevelVAE) computes its weights itself (None here); any
    other model gives the (mu, logvar) of a diagonal Gaussian, ``params``, from ``encode``.
    """
    if hasattr(model, "log_weight"):
        return None
    if not params:
        return lambda eps: model.sample_posterior(xr, eps)
    mu, logvar = params

    def gaussian(eps):
        z = mu + tf.exp(0.5 * logvar) * eps
        return z, _log_normal_diag(z, mu, logvar)

    return gaussian


def _chunk_function(model, prior):
    def chunk_lse(xr, eps, *params):
        """log sum_i w_i over the m samples of one chunk: eps (m, b, d) -> (b,)."""
        log_w = _log_weights(model, prior, _posterior_sampler(model, xr, params), xr, eps)
        return tf.reduce_logsumexp(log_w, axis=0)

    if hasattr(model, "sample_posterior") or hasattr(model, "log_weight"):
        # One trace for every batch and chunk size (the last chunk is usually shorter).
        spec = [tf.TensorSpec([None, model.input_dim], tf.float32),
                tf.TensorSpec([None, None, model.latent_dim], tf.float32)]
        return tf.function(chunk_lse, input_signature=spec)
    return tf.function(chunk_lse, reduce_retracing=True)


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
    cached = _COMPILED.get(model)
    if cached is None or cached[0] is not prior:
        cached = (prior, _chunk_function(model, prior))
        _COMPILED[model] = cached
    chunk_lse = cached[1]
    out = []
    n, d = int(x.shape[0]), model.latent_dim
    calls = 0
    for start in range(0, n, batch_size):
        xb = x[start : start + batch_size]
        b = int(xb.shape[0])
        c = chunk_size or max(1, min(k, _OUTPUTS_PER_PASS // (b * model.input_dim)))
        own = hasattr(model, "sample_posterior") or hasattr(model, "log_weight")
        params = () if own else tuple(
            check.posterior("iwae_bound", model, model.encode(xb)))
        xr = tf.reshape(xb, [b, -1])
        chunks = []
        for s in range(0, k, c):
            m = min(c, k - s)
            shape = [m, b, d]
            eps = (tf.random.normal(shape) if seed is None
                   else tf.random.stateless_normal(shape, seed=[seed, calls]))
            calls += 1
            chunks.append(chunk_lse(xr, eps, *params))
        out.append(tf.reduce_logsumexp(tf.stack(chunks), axis=0) - math.log(k))
    return tf.concat(out, axis=0)
