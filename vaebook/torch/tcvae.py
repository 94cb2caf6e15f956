"""The ELBO's KL term taken apart, and the beta-TC-VAE that weighs one part, in PyTorch.

Averaged over the data, KL(q(z|x) || p(z)) is the index-code mutual information
I_q(x; z), plus the total correlation KL(q(z) || prod_k q(z_k)) of the aggregate
posterior q(z) = 1/N sum_n q(z|x_n), plus the dimension-wise KL sum_k KL(q(z_k) || p(z_k))
(Hoffman & Johnson, 2016; Chen et al., 2018). q(z) is a mixture over the whole data
set; in a minibatch it is estimated from the batch (``estimator``).
"""

from __future__ import annotations

import math

import torch

from .. import _validate as check
from .._docs import documented
from ._util import tensor
from .losses import LOG_2PI, _reparameterize
from .models import VAE

__all__ = ["kl_decomposition", "BetaTCVAE"]


def _log_weights(b: int, n: int, estimator: str, like: torch.Tensor) -> torch.Tensor:
    """log w_ij, (b, b): the weight of q(z_i | x_j) in the estimate of q(z_i)."""
    if estimator == "mws":
        # Chen et al.'s minibatch-weighted sampling: every term 1 / (N M).
        return torch.full((b, b), -math.log(n * b), dtype=like.dtype, device=like.device)
    # Stratified: the example's own posterior is 1/N of q(z_i) exactly; the other N - 1
    # examples' share, (N - 1)/N, is estimated by the mean over the b - 1 others in the
    # batch, a uniform draw from them. Unbiased for q(z_i); exact when the batch is the
    # whole data set (b = N).
    other = math.log((n - 1) / (n * (b - 1))) if b > 1 and n > 1 else -math.inf
    w = torch.full((b, b), other, dtype=like.dtype, device=like.device)
    w.fill_diagonal_(-math.log(n))
    return w


def _kl_decomposition(mu, logvar, z, n: int, estimator: str) -> dict[str, torch.Tensor]:
    b = mu.shape[0]
    # log q(z_ik | x_j) for every pair (sample i, example j) and dimension k: (b, b, d).
    lq = -0.5 * (LOG_2PI + logvar[None] + (z[:, None] - mu[None]).pow(2)
                 * torch.exp(-logvar[None]))
    logw = _log_weights(b, n, estimator, mu)
    log_qz_x = torch.diagonal(lq, dim1=0, dim2=1).sum(dim=0)  # log q(z_i | x_i)
    log_qz = torch.logsumexp(lq.sum(dim=2) + logw, dim=1)  # log q(z_i)
    log_prod = torch.logsumexp(lq + logw[..., None], dim=1).sum(dim=1)  # sum_k log q(z_ik)
    log_pz = -0.5 * (LOG_2PI + z.pow(2)).sum(dim=1)
    return {
        "mi": log_qz_x - log_qz,
        "tc": log_qz - log_prod,
        "dim_kl": log_prod - log_pz,
        "kl": log_qz_x - log_pz,
    }


@documented("kl_decomposition")
def kl_decomposition(mu, logvar, z, dataset_size=None, estimator="mss") -> dict:
    func = "kl_decomposition"
    mu = tensor(func, "mu", mu)
    logvar = tensor(func, "logvar", logvar, like=mu)
    z = tensor(func, "z", z, like=mu)
    check.paired(func, "mu", mu.shape, "logvar", logvar.shape, "(batch, latent_dim)")
    check.same_shape(func, "z", z.shape, "mu", mu.shape)
    if mu.ndim != 2:
        raise ValueError(f"{func}: argument `mu` must have shape (batch, latent_dim); got "
                         f"shape {tuple(mu.shape)}.")
    n = check.tc_args(func, mu.shape[0], dataset_size, estimator)
    return _kl_decomposition(mu, logvar, z, n, estimator)


@documented("BetaTCVAE")
class BetaTCVAE(VAE):
    def __init__(self, input_dim, latent_dim, dataset_size, hidden_dims=(256, 128),
                 likelihood="bernoulli", beta=1.0, estimator="mss", obs_logvar=0.0,
                 encoder=None, decoder=None):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, 1.0, obs_logvar,
                         None, encoder, decoder)
        name = type(self).__name__
        self.beta = 0.0 if beta == 0 else check.positive_float(name, "beta", beta)
        self.dataset_size = check.positive_int(name, "dataset_size", dataset_size)
        check.one_of(name, "estimator", estimator, check.TC_ESTIMATORS)
        self.estimator = estimator

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        func = f"{type(self).__name__}.loss_terms"
        x = self._checked(x, func)
        n = check.tc_args(func, x.shape[0], self.dataset_size, self.estimator)
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar)
        rec = -self.log_px_given_z(x, z)
        kl = self.kl_term(mu, logvar, z)
        parts = _kl_decomposition(mu, logvar, z, n, self.estimator)
        # -ELBO + (beta - 1) TC: the closed-form KL keeps the rest of the gradient's
        # variance as low as the VAE's; only the total correlation needs the estimator.
        return {"loss": rec + kl + (self.beta - 1.0) * parts["tc"], "reconstruction": rec,
                "kl": kl, "mi": parts["mi"], "tc": parts["tc"], "dim_kl": parts["dim_kl"]}
