"""Chapter 6 in PyTorch: a VAE whose decoder is autoregressive, and the free-bits KL.

:class:`AutoregressiveVAE` decodes with a MADE (Germain et al., 2015): one masked hidden
layer plus a masked direct connection, so the logit of pixel i sees z and the pixels
before i (in raster order) and nothing else. Such a decoder can model x without z,
the setting in which a VAE's posterior collapses. :func:`free_bits_kl` is the KL term
with the free-bits floor of Kingma et al. (2016).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import _validate as check
from .._docs import documented
from .._made import made_masks
from .models import VAE

__all__ = ["AutoregressiveVAE", "free_bits_kl"]


@documented("free_bits_kl")
def free_bits_kl(mu, logvar, free_bits: float) -> torch.Tensor:
    mu, logvar = torch.as_tensor(mu), torch.as_tensor(logvar)
    lam = check.free_bits_args("free_bits_kl", tuple(mu.shape), tuple(logvar.shape), free_bits)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)  # (B, d)
    # A dimension whose batch-mean KL is under the floor costs the floor: a constant.
    below = (kl.mean(dim=0) < lam).unsqueeze(0)
    return torch.where(below, torch.full_like(kl, lam), kl).sum(dim=1)


class _MADE(nn.Module):
    """logits(z, x) = b + V z + (W_out * M_out) relu((W_in * M_in) x + U z + c) + (A * L) x."""

    def __init__(self, input_dim: int, latent_dim: int, hidden: int):
        super().__init__()
        m_in, m_out, m_direct = made_masks(input_dim, hidden)
        self.register_buffer("m_in", torch.as_tensor(m_in, dtype=torch.float32))
        self.register_buffer("m_out", torch.as_tensor(m_out, dtype=torch.float32))
        self.register_buffer("m_direct", torch.as_tensor(m_direct, dtype=torch.float32))

        def init(*shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        D, d, H = input_dim, latent_dim, hidden
        self.w_in, self.u_in, self.b_in = init(H, D, fan_in=D + d), init(H, d, fan_in=D + d), \
            init(H, fan_in=D + d)
        self.w_out, self.v_out, self.b_out = init(D, H, fan_in=H + d), init(D, d, fan_in=H + d), \
            init(D, fan_in=H + d)
        self.w_direct = nn.Parameter(torch.zeros(D, D))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(x @ (self.w_in * self.m_in).T + z @ self.u_in.T + self.b_in)
        return (h @ (self.w_out * self.m_out).T + z @ self.v_out.T + self.b_out
                + x @ (self.w_direct * self.m_direct).T)


@documented("AutoregressiveVAE")
class AutoregressiveVAE(VAE):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), made_hidden=256,
                 beta=1.0):
        name = type(self).__name__
        made_hidden = check.positive_int(name, "made_hidden", made_hidden)
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood="bernoulli",
                         beta=beta, decoder=nn.Identity())
        self.decoder = _MADE(self.input_dim, self.latent_dim, made_hidden)

    def decoder_logits(self, x, z) -> torch.Tensor:
        p = next(self.parameters())
        x = torch.as_tensor(x).to(device=p.device, dtype=p.dtype)
        z = torch.as_tensor(z).to(device=p.device, dtype=p.dtype)
        return self.decoder(z, x.reshape(x.shape[0], -1))

    def log_px_given_z(self, x, z) -> torch.Tensor:
        x = torch.as_tensor(x)
        logits = self.decoder_logits(x, z)
        return self.likelihood.log_prob(logits, x.reshape(x.shape[0], -1).to(logits))

    def decode(self, z) -> torch.Tensor:
        raise ValueError(f"{type(self).__name__}.decode: an autoregressive decoder has no "
                         "one-pass output for z alone; use `decoder_logits(x, z)` or "
                         "`generate(z, seed)`.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._input(x, f"{type(self).__name__}.forward")
        mu, _ = self.encode(x)
        return self._unflatten(self.decoder(mu, x))

    @torch.no_grad()
    def generate(self, z, seed: int | None = 0) -> torch.Tensor:
        seed = check.seed(f"{type(self).__name__}.generate", seed, allow_none=True)
        p = next(self.parameters())
        z = torch.as_tensor(z).to(device=p.device, dtype=p.dtype)
        n = z.shape[0]
        u = torch.as_tensor(np.random.default_rng(seed).random((n, self.input_dim)),
                            device=p.device, dtype=p.dtype)
        x = torch.zeros(n, self.input_dim, device=p.device, dtype=p.dtype)
        for i in range(self.input_dim):  # pixel i depends only on pixels < i
            logit = self.decoder(z, x)[:, i]
            x[:, i] = (u[:, i] < torch.sigmoid(logit)).to(p.dtype)
        return self._unflatten(x)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int(f"{type(self).__name__}.sample", "n", n)
        seed = check.seed(f"{type(self).__name__}.sample", seed, allow_none=True)
        z = self.prior.sample(n, seed).to(next(self.parameters()).device)
        return self.generate(z, seed)

    @torch.no_grad()
    def reconstruct(self, x) -> torch.Tensor:
        mu, _ = self.encode(x)
        return self.generate(mu, 0)
