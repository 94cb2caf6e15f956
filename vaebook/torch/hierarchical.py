"""A two-level VAE with a top-down inference path, in PyTorch (chapter 9).

Generative model z2 -> z1 -> x: p(z2) = N(0, I), p(z1 | z2) = N(mu_p(z2), diag
sigma_p^2(z2)), p(x | z1) a likelihood over the decoder's outputs. Inference runs the
same way down, as in the Ladder VAE (Sonderby et al., 2016) and NVAE (Vahdat & Kautz,
2020): q(z2 | x), then q(z1 | x, z2). That order makes both KL terms of the ELBO
closed-form Gaussians, the form a diffusion model's ELBO takes at every step.
"""

from __future__ import annotations

import torch

from .. import _validate as check
from .._docs import documented
from ._util import generator
from .losses import _gaussian_kl, _log_normal_diag, _reparameterize
from .models import _Model, mlp

__all__ = ["TwoLevelVAE"]


def _kl_diag(mu_q, logvar_q, mu_p, logvar_p) -> torch.Tensor:
    """KL(N(mu_q, diag e^logvar_q) || N(mu_p, diag e^logvar_p)), summed over the last axis."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2))
                  * torch.exp(-logvar_p) - 1.0).sum(dim=-1)


@documented("TwoLevelVAE")
class TwoLevelVAE(_Model):
    def __init__(self, input_dim, latent_dims=(16, 4), hidden_dims=(256, 128),
                 likelihood="bernoulli", obs_logvar=0.0):
        d1, d2 = check.latent_pair("TwoLevelVAE", latent_dims)
        super().__init__(input_dim, d1 + d2, hidden_dims, likelihood, obs_logvar)
        self.latent_dims = (d1, d2)
        h, D = list(self.hidden_dims), self.input_dim
        self.encoder_z2 = mlp([D, *h, 2 * d2])           # q(z2 | x)
        self.encoder_z1 = mlp([D + d2, *h, 2 * d1])      # q(z1 | x, z2)
        self.prior_z1_net = mlp([d2, *reversed(h), 2 * d1])  # p(z1 | z2)
        self.decoder = mlp([d1, *reversed(h), D])         # p(x | z1)

    def posterior_z2(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._input(x, "TwoLevelVAE.posterior_z2")
        mu, logvar = self.encoder_z2(x).chunk(2, dim=1)
        return mu, logvar

    def posterior_z1(self, x, z2) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._input(x, "TwoLevelVAE.posterior_z1")
        z2 = torch.as_tensor(z2, dtype=x.dtype, device=x.device)
        mu, logvar = self.encoder_z1(torch.cat([x, z2], dim=1)).chunk(2, dim=1)
        return mu, logvar

    def prior_z1(self, z2) -> tuple[torch.Tensor, torch.Tensor]:
        p = next(self.parameters())
        z2 = torch.as_tensor(z2, dtype=p.dtype, device=p.device)
        mu, logvar = self.prior_z1_net(z2).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self._ancestral(x)[2])

    def _ancestral(self, x, eps2=None, eps1=None):
        """Posterior parameters and samples, top down: (mu2, lv2, z1, z2, mu1, lv1)."""
        mu2, lv2 = self.posterior_z2(x)
        z2 = _reparameterize(mu2, lv2, eps2)
        mu1, lv1 = self.posterior_z1(x, z2)
        z1 = _reparameterize(mu1, lv1, eps1)
        return mu2, lv2, z1, z2, mu1, lv1

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        x = self._checked(x, "TwoLevelVAE.loss_terms")
        mu2, lv2, z1, z2, mu1, lv1 = self._ancestral(x)
        rec = -self.log_px_given_z(x, z1)
        kl_z2 = _gaussian_kl(mu2, lv2)
        kl_z1 = _kl_diag(mu1, lv1, *self.prior_z1(z2))
        kl = kl_z2 + kl_z1
        return {"loss": rec + kl, "reconstruction": rec, "kl_z2": kl_z2, "kl_z1": kl_z1,
                "kl": kl}

    def elbo(self, x) -> torch.Tensor:
        terms = self.loss_terms(x)
        return -(terms["reconstruction"] + terms["kl"])

    def log_weight(self, x, eps) -> torch.Tensor:
        x = self._input(x, "TwoLevelVAE.log_weight")
        d1, d2 = self.latent_dims
        check.same_shape("TwoLevelVAE.log_weight", "eps", tuple(eps.shape), "(B, d1 + d2)",
                         (x.shape[0], d1 + d2))
        eps = torch.as_tensor(eps, dtype=x.dtype, device=x.device)
        mu2, lv2, z1, z2, mu1, lv1 = self._ancestral(x, eps[:, :d2], eps[:, d2:])
        log_p = (self.log_px_given_z(x, z1) + _log_normal_diag(z1, *self.prior_z1(z2))
                 + _log_normal_diag(z2, torch.zeros_like(z2), torch.zeros_like(z2)))
        log_q = _log_normal_diag(z2, mu2, lv2) + _log_normal_diag(z1, mu1, lv1)
        return log_p - log_q

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int("TwoLevelVAE.sample", "n", n)
        gen = generator(seed, "TwoLevelVAE.sample")
        d1, d2 = self.latent_dims
        dev = next(self.parameters()).device
        eps = torch.randn(n, d2 + d1, generator=gen).to(dev)
        z2 = eps[:, :d2]
        z1 = _reparameterize(*self.prior_z1(z2), eps[:, d2:])
        return self.likelihood.mean(self.decode(z1))

    @torch.no_grad()
    def reconstruct(self, x) -> torch.Tensor:
        mu2, _ = self.posterior_z2(x)
        mu1, _ = self.posterior_z1(x, mu2)
        return self.likelihood.mean(self.decode(mu1))
