"""Training with the importance-weighted bound (Burda et al., 2016), in PyTorch.

The k importance weights of an example are w_i = p(x, z_i) / q(z_i | x) with
z_i ~ q(z|x). Their log-mean-exp is the bound L_k; its gradient is the sum of the
gradients of log w_i weighted by the *normalised* weights w_i / sum_j w_j
(:func:`importance_weights`), where the VAE's k-sample objective weights every
sample by 1/k. :func:`iwae_terms` trains either with ``fit``.
"""

from __future__ import annotations

import math

import torch

from .. import _validate as check
from .._docs import documented
from ._util import randn, tensor
from .evaluate import _log_weights

__all__ = ["log_importance_weights", "iwae_loss", "importance_weights", "iwae_terms"]


def _needs_posterior(func: str, model) -> None:
    if not hasattr(model, "sample_posterior"):
        raise ValueError(
            f"{func}: argument `model` must have a posterior q(z|x) with "
            f"sample_posterior(x, eps), as VAE and FlowVAE do; got {type(model).__name__}."
        )


@documented("log_importance_weights")
def log_importance_weights(model, x, k: int = 1, seed: int | None = None) -> torch.Tensor:
    func = "log_importance_weights"
    _needs_posterior(func, model)
    k = check.positive_int(func, "k", k)
    seed = check.seed(func, seed, allow_none=True)
    x = model._checked(x, func)
    b, d = x.shape[0], model.latent_dim
    if seed is None:
        eps = torch.randn(k, b, d, device=x.device, dtype=x.dtype)
    else:
        eps = randn((k, b, d), seed, func, like=x)
    return _log_weights(model, model.prior, lambda e: model.sample_posterior(x, e), x, eps)


def _iwae_bound_from(log_w: torch.Tensor) -> torch.Tensor:
    # log (1/k) sum_i w_i, with the log-sum-exp that never forms exp of a large number.
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])


def _checked_log_w(func: str, log_w) -> torch.Tensor:
    log_w = tensor(func, "log_w", log_w)
    check.log_weights(func, log_w.shape)
    return log_w


@documented("iwae_loss")
def iwae_loss(log_w) -> torch.Tensor:
    return -_iwae_bound_from(_checked_log_w("iwae_loss", log_w))


@documented("importance_weights")
def importance_weights(log_w) -> torch.Tensor:
    return torch.softmax(_checked_log_w("importance_weights", log_w), dim=0)


@documented("iwae_terms")
def iwae_terms(model, x, k: int = 5, objective: str = "iwae",
               seed: int | None = None) -> dict[str, torch.Tensor]:
    check.one_of("iwae_terms", "objective", objective, check.IWAE_OBJECTIVES)
    log_w = log_importance_weights(model, x, k, seed)
    bound = _iwae_bound_from(log_w)
    elbo = log_w.mean(dim=0)
    w = torch.softmax(log_w.detach(), dim=0)
    ess = 1.0 / w.pow(2).sum(dim=0)
    loss = -bound if objective == "iwae" else -elbo
    return {"loss": loss, "iwae": bound, "elbo": elbo, "ess": ess}
