"""Per-example losses and the reparameterized sample, in PyTorch.

Each public function checks its arguments and calls an unchecked twin (``_gaussian_kl``
...), which the models and the training loop use, so that checks cost nothing per batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .. import _validate as check
from .._docs import documented
from ._util import minmax, sum_non_batch, tensor

__all__ = ["gaussian_kl", "bernoulli_nll", "gaussian_nll", "reparameterize"]

LOG_2PI = math.log(2.0 * math.pi)


def _gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    # KL(N(mu, sigma^2) || N(0, 1)) = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2), per dimension.
    return 0.5 * sum_non_batch(mu.pow(2) + logvar.exp() - 1.0 - logvar)


@documented("gaussian_kl")
def gaussian_kl(mu, logvar) -> torch.Tensor:
    mu = tensor("gaussian_kl", "mu", mu)
    logvar = tensor("gaussian_kl", "logvar", logvar, like=mu)
    check.paired("gaussian_kl", "mu", mu.shape, "logvar", logvar.shape, "(batch, latent_dim)")
    return _gaussian_kl(mu, logvar)


def _bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    # BCE from logits is max(l, 0) - l*x + log(1 + exp(-|l|)): finite for any logit.
    return sum_non_batch(F.binary_cross_entropy_with_logits(logits, x, reduction="none"))


@documented("bernoulli_nll")
def bernoulli_nll(logits, x) -> torch.Tensor:
    logits = tensor("bernoulli_nll", "logits", logits)
    x = tensor("bernoulli_nll", "x", x, like=logits)
    check.paired("bernoulli_nll", "logits", logits.shape, "x", x.shape)
    check.unit_interval("bernoulli_nll", "x", *minmax(x))
    return _bernoulli_nll(logits, x)


def _gaussian_nll(mean: torch.Tensor, x: torch.Tensor, logvar) -> torch.Tensor:
    return 0.5 * sum_non_batch(LOG_2PI + logvar + (x - mean).pow(2) * torch.exp(-logvar))


@documented("gaussian_nll")
def gaussian_nll(mean, x, logvar=0.0) -> torch.Tensor:
    mean = tensor("gaussian_nll", "mean", mean)
    x = tensor("gaussian_nll", "x", x, like=mean)
    logvar = tensor("gaussian_nll", "logvar", logvar, like=mean)
    check.paired("gaussian_nll", "mean", mean.shape, "x", x.shape)
    check.broadcastable("gaussian_nll", "logvar", logvar.shape, "mean", mean.shape)
    return _gaussian_nll(mean, x, logvar)


def _reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps=None) -> torch.Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    # exp(logvar / 2) is the standard deviation; forgetting the 1/2 uses the variance.
    return mu + torch.exp(0.5 * logvar) * eps


@documented("reparameterize")
def reparameterize(mu, logvar, eps=None) -> torch.Tensor:
    mu = tensor("reparameterize", "mu", mu)
    logvar = tensor("reparameterize", "logvar", logvar, like=mu)
    check.same_shape("reparameterize", "logvar", logvar.shape, "mu", mu.shape)
    if eps is not None:
        eps = tensor("reparameterize", "eps", eps, like=mu)
        check.same_shape("reparameterize", "eps", eps.shape, "mu", mu.shape)
    return _reparameterize(mu, logvar, eps)


def _log_normal_diag(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)), summed over the last dimension: (..., d) -> (...)."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(dim=-1)
