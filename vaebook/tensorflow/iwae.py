"""Training with the importance-weighted bound (Burda et al., 2016), in TensorFlow.

The same functions as :mod:`vaebook.torch.iwae`: the k log importance weights of each
example, the bound's loss from them, its gradient weights (the normalised importance
weights), and :func:`iwae_terms` for ``fit``'s ``loss_fn``.
"""

from __future__ import annotations

from .. import _validate as check
from .._docs import documented
from ._util import normal, tensor, tf
from .evaluate import _log_weights

__all__ = ["log_importance_weights", "iwae_loss", "importance_weights", "iwae_terms"]


def _needs_posterior(func: str, model) -> None:
    if not hasattr(model, "sample_posterior"):
        raise ValueError(
            f"{func}: argument `model` must have a posterior q(z|x) with "
            f"sample_posterior(x, eps), as VAE and FlowVAE do; got {type(model).__name__}."
        )


@documented("log_importance_weights")
def log_importance_weights(model, x, k: int = 1, seed: int | None = None) -> tf.Tensor:
    func = "log_importance_weights"
    _needs_posterior(func, model)
    k = check.positive_int(func, "k", k)
    seed = check.seed(func, seed, allow_none=True)
    x = model._checked(x, func)
    eps = normal([k, tf.shape(x)[0], model.latent_dim], seed, func, x.dtype)
    return _log_weights(model, model.prior, lambda e: model.sample_posterior(x, e), x, eps)


def _iwae_bound_from(log_w):
    # log (1/k) sum_i w_i, with the log-sum-exp that never forms exp of a large number.
    k = tf.cast(tf.shape(log_w)[0], log_w.dtype)
    return tf.reduce_logsumexp(log_w, axis=0) - tf.math.log(k)


def _checked_log_w(func: str, log_w):
    log_w = tensor(func, "log_w", log_w)
    check.log_weights(func, log_w.shape)
    return log_w


@documented("iwae_loss")
def iwae_loss(log_w) -> tf.Tensor:
    return -_iwae_bound_from(_checked_log_w("iwae_loss", log_w))


@documented("importance_weights")
def importance_weights(log_w) -> tf.Tensor:
    return tf.nn.softmax(_checked_log_w("importance_weights", log_w), axis=0)


@documented("iwae_terms")
def iwae_terms(model, x, k: int = 5, objective: str = "iwae",
               seed: int | None = None) -> dict[str, tf.Tensor]:
    check.one_of("iwae_terms", "objective", objective, check.IWAE_OBJECTIVES)
    log_w = log_importance_weights(model, x, k, seed)
    bound = _iwae_bound_from(log_w)
    elbo = tf.reduce_mean(log_w, axis=0)
    w = tf.nn.softmax(tf.stop_gradient(log_w), axis=0)
    ess = 1.0 / tf.reduce_sum(tf.square(w), axis=0)
    loss = -bound if objective == "iwae" else -elbo
    return {"loss": loss, "iwae": bound, "elbo": elbo, "ess": ess}
