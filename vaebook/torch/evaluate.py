"""The importance-weighted bound on log p(x) (Burda et al., 2016), in PyTorch."""

from __future__ import annotations

import math

import torch

from .. import _validate as check
from .._docs import documented
from ._util import tensor
from .distributions import StandardNormal
from .losses import _log_normal_diag

__all__ = ["iwae_bound"]

_OUTPUTS_PER_PASS = 1 << 22  # decoder outputs per pass when chunk_size is None


def _posterior_sampler(model, xb: torch.Tensor):
    """``eps (m, b, d) -> (z, log q(z|x))`` for the batch ``xb``.

    A model with ``sample_posterior`` (VAE, FlowVAE) draws its own posterior; a model with
    ``log_weight(x, eps)`` (a TwoLevelVAE) computes its weights itself (None here); any
    other model's ``encode`` must give the (mu, logvar) of a diagonal Gaussian.
    """
    if hasattr(model, "log_weight"):
        return None
    if hasattr(model, "sample_posterior"):
        return lambda eps: model.sample_posterior(xb, eps)
    mu, logvar = check.posterior("iwae_bound", model, model.encode(xb))

    def gaussian(eps):
        z = mu + torch.exp(0.5 * logvar) * eps
        return z, _log_normal_diag(z, mu, logvar)

    return gaussian


def _log_weights(model, prior, posterior, xr: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """log p(x|z) + log p(z) - log q(z|x) at z = posterior(eps): eps (m, b, d) -> (m, b)."""
    m, b = eps.shape[0], xr.shape[0]
    if posterior is None:  # the model's own importance weights
        return model.log_weight(xr.repeat(m, 1), eps.reshape(m * b, -1)).reshape(m, b)
    z, log_qz = posterior(eps)
    zf = z.reshape(m * b, -1)  # one decoder pass; x.repeat(m, 1) stacks m copies likewise
    log_px = model.log_px_given_z(xr.repeat(m, 1), zf).reshape(m, b)
    log_pz = prior.log_prob(zf).reshape(m, b)
    return log_px + log_pz - log_qz


@documented("iwae_bound")
@torch.no_grad()
def iwae_bound(model, x, k: int = 1000, batch_size: int = 500, chunk_size=None,
               seed: int | None = None) -> torch.Tensor:
    k, batch_size, chunk_size, seed = check.iwae_args(k, batch_size, chunk_size, seed)
    dev = next(model.parameters()).device
    x = tensor("iwae_bound", "x", x).to(dev, torch.float32)
    check.flat_input("iwae_bound", "x", x.shape, model.input_dim)
    check.non_empty("iwae_bound", "x", x.shape)
    likelihood = getattr(model, "likelihood", None)
    if hasattr(likelihood, "check_data"):
        likelihood.check_data("iwae_bound", "x", x)
    prior = getattr(model, "prior", None)
    if prior is None:
        prior = StandardNormal(model.latent_dim)
    gen = None if seed is None else torch.Generator(device=dev).manual_seed(seed)
    was_training = model.training
    model.eval()
    out = []
    try:
        for start in range(0, x.shape[0], batch_size):
            xb = x[start : start + batch_size]
            b = xb.shape[0]
            c = chunk_size or max(1, min(k, _OUTPUTS_PER_PASS // (b * model.input_dim)))
            posterior = _posterior_sampler(model, xb)
            xr = xb.reshape(b, -1)
            chunks = []
            for s in range(0, k, c):
                m = min(c, k - s)
                eps = torch.randn(m, b, model.latent_dim, device=dev, generator=gen)
                log_w = _log_weights(model, prior, posterior, xr, eps)
                chunks.append(torch.logsumexp(log_w, dim=0))
            out.append(torch.logsumexp(torch.stack(chunks), dim=0) - math.log(k))
    finally:
        model.train(was_training)
    return torch.cat(out)
