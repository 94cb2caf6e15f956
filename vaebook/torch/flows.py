"""A flow posterior in PyTorch: planar flows (Rezende & Mohamed, 2015) after a Gaussian.

q(z|x) is a diagonal Gaussian sample z_0 pushed through L planar maps
f(z) = z + u_hat tanh(w.z + b), whose parameters the encoder outputs for each x
(amortised, as in the paper). The density follows from the change of variables,
log q(z_L | x) = log N(z_0; mu, sigma^2) - sum_l log |det df_l/dz|, and each
determinant is a scalar, 1 + u_hat . psi(z) with psi(z) = tanh'(w.z + b) w.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .. import _validate as check
from .._docs import documented
from ._util import tensor
from .losses import _log_normal_diag
from .models import VAE, mlp

__all__ = ["planar_flow", "FlowVAE"]


def _planar_flow(z: torch.Tensor, u: torch.Tensor, w: torch.Tensor, b: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    wu = (w * u).sum(dim=-1, keepdim=True)
    ww = (w * w).sum(dim=-1, keepdim=True).clamp_min(1e-12)  # w = 0 leaves u as it is
    # Invertibility (the paper's appendix A): move u along w until w.u_hat = m(w.u) =
    # softplus(w.u) - 1 > -1.
    u_hat = u + (F.softplus(wu) - 1.0 - wu) * w / ww
    h = torch.tanh((w * z).sum(dim=-1) + b)
    z_new = z + u_hat * h.unsqueeze(-1)
    # det = 1 + tanh'(a) w.u_hat = tanh(a)^2 + (1 - tanh(a)^2) softplus(w.u): a sum of
    # non-negative terms, so it is positive, and computed without cancelling 1 - 1.
    det = h.pow(2) + (1.0 - h.pow(2)) * F.softplus(wu.squeeze(-1))
    return z_new, torch.log(det)


@documented("planar_flow")
def planar_flow(z, u, w, b) -> tuple[torch.Tensor, torch.Tensor]:
    func = "planar_flow"
    z = tensor(func, "z", z)
    u, w, b = (tensor(func, name, v, like=z) for name, v in (("u", u), ("w", w), ("b", b)))
    check.batched(func, "z", (1, *z.shape), "(..., d)")
    for name, t in (("u", u), ("w", w)):
        check.broadcastable(func, name, t.shape, "z", z.shape)
    check.broadcastable(func, "b", b.shape, "z without its last axis", z.shape[:-1])
    return _planar_flow(z, u, w, b)


@documented("FlowVAE")
class FlowVAE(VAE):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), n_flows=4,
                 likelihood="bernoulli", beta=1.0, obs_logvar=0.0, prior=None):
        name = type(self).__name__
        shape, hidden = check.model_args(name, input_dim, latent_dim, hidden_dims)
        n_flows = check.non_negative_int(name, "n_flows", n_flows)
        d = latent_dim
        # One network outputs mu, logvar and, per flow, (u, w, b): 2d + L (2d + 1) units.
        encoder = mlp([math.prod(shape), *hidden, 2 * d + n_flows * (2 * d + 1)])
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, beta, obs_logvar,
                         prior, encoder=encoder)
        self.n_flows = n_flows

    def _posterior_params(self, x):
        out = self.encoder(self._input(x, f"{type(self).__name__}.encode"))
        d = self.latent_dim
        mu, logvar = out[:, :d], out[:, d : 2 * d]
        flows = out[:, 2 * d :].reshape(out.shape[0], self.n_flows, 2 * d + 1)
        return mu, logvar, flows

    def encode(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar, _ = self._posterior_params(x)
        return mu, logvar

    def sample_posterior(self, x, eps) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar, flows = self._posterior_params(x)
        eps = torch.as_tensor(eps).to(device=mu.device, dtype=mu.dtype)
        check.posterior_noise(f"{type(self).__name__}.sample_posterior", eps.shape, mu.shape)
        d = self.latent_dim
        z = mu + torch.exp(0.5 * logvar) * eps
        log_q = _log_normal_diag(z, mu, logvar)
        for layer in range(self.n_flows):
            p = flows[:, layer]
            z, log_det = _planar_flow(z, p[:, :d], p[:, d : 2 * d], p[:, 2 * d])
            log_q = log_q - log_det
        return z, log_q

    def kl_term(self, mu, logvar, z) -> torch.Tensor:
        raise ValueError(
            f"{type(self).__name__}.kl_term: a flow posterior is not N(mu, exp(logvar)); its "
            "KL needs log q(z|x) from sample_posterior(x, eps) (loss_terms does this)."
        )

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        x = self._checked(x, f"{type(self).__name__}.loss_terms")
        eps = torch.randn(x.shape[0], self.latent_dim, device=x.device, dtype=x.dtype)
        z, log_q = self.sample_posterior(x, eps)
        rec = -self.log_px_given_z(x, z)
        kl = log_q - self.prior.log_prob(z)
        return {"loss": rec + self.beta * kl, "reconstruction": rec, "kl": kl}

    @torch.no_grad()
    def reconstruct(self, x) -> torch.Tensor:
        mu, _ = self.encode(x)
        z, _ = self.sample_posterior(x, torch.zeros_like(mu))
        return self.likelihood.mean(self.decode(z))
