"""The autoencoder and the VAE in PyTorch: encoder + decoder (+ prior) + likelihood.

The networks work on flat data: the encoder maps (B, D) to (B, d) (or (B, 2d) for a
VAE: mu, then logvar), the decoder (B, d) to (B, D). Models accept (B, *input) or flat
(B, D) and give decoder outputs back in the input shape they were built for. The MLP
networks are the default; the conv models of :mod:`.conv` pass their own.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate as check
from .._docs import documented
from .distributions import make_likelihood, make_prior
from .losses import _log_normal_diag, _reparameterize

__all__ = ["Autoencoder", "VAE", "mlp"]


_ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU}


def mlp(sizes: list[int], activation: str = "relu") -> nn.Sequential:
    """Linear layers of the given sizes with `activation` ("relu" or "silu") between them
    (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class _Model(check.ModelSpec, nn.Module):
    """Shared plumbing: shapes, input preparation, and the decoder's likelihood."""

    def __init__(self, input_dim, latent_dim, hidden_dims, likelihood, obs_logvar):
        super().__init__()
        self._set_spec(input_dim, latent_dim, hidden_dims, obs_logvar)
        self.likelihood = make_likelihood(type(self).__name__, likelihood, self.obs_logvar)

    def _input(self, x, func: str, name: str = "x") -> torch.Tensor:
        """``x`` flat, (B, D), in the model's dtype and on its device (float64 is cast)."""
        p = next(self.parameters())
        if not torch.is_tensor(x):
            x = torch.as_tensor(x)
        if x.dtype != p.dtype or x.device != p.device:
            x = x.to(device=p.device, dtype=p.dtype)
        check.flat_input(func, name, x.shape, self.input_dim)
        check.non_empty(func, name, x.shape)
        return x.reshape(x.shape[0], self.input_dim)

    def _checked(self, x, func: str) -> torch.Tensor:
        """``_input``, plus the values: finite and in the likelihood's support."""
        x = self._input(x, func)
        if not self._data_checked:
            self.likelihood.check_data(func, "x", x)
        return x

    def _unflatten(self, flat: torch.Tensor) -> torch.Tensor:
        return flat.reshape(flat.shape[0], *self.data_shape)

    def log_px_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(z):  # NumPy arrays are accepted wherever a tensor is
            z = torch.as_tensor(z, dtype=next(self.parameters()).dtype)
        z = z.to(next(self.parameters()).device)
        out = self.decoder(z)
        x = torch.as_tensor(x, device=out.device)
        return self.likelihood.log_prob(out, x.reshape(x.shape[0], -1).to(out.dtype))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self._unflatten(self.decoder(z))


@documented("Autoencoder")
class Autoencoder(_Model):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
                 obs_logvar=0.0, encoder=None, decoder=None):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        h = list(self.hidden_dims)
        self.encoder = encoder if encoder is not None else mlp(
            [self.input_dim, *h, self.latent_dim])
        self.decoder = decoder if decoder is not None else mlp(
            [self.latent_dim, *reversed(h), self.input_dim])

    def encode(self, x) -> torch.Tensor:
        return self.encoder(self._input(x, f"{type(self).__name__}.encode"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def reconstruct(self, x) -> torch.Tensor:
        return self.likelihood.mean(self(x))

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        x = self._checked(x, f"{type(self).__name__}.loss_terms")
        return {"loss": -self.log_px_given_z(x, self.encode(x))}


@documented("VAE")
class VAE(_Model):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
                 beta=1.0, obs_logvar=0.0, prior=None, encoder=None, decoder=None):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        name = type(self).__name__
        self.beta = 0.0 if beta == 0 else check.positive_float(name, "beta", beta)
        h = list(self.hidden_dims)
        # One network outputs both mu and logvar: 2*d units, split in encode().
        self.encoder = encoder if encoder is not None else mlp(
            [self.input_dim, *h, 2 * self.latent_dim])
        self.decoder = decoder if decoder is not None else mlp(
            [self.latent_dim, *reversed(h), self.input_dim])
        self.prior = make_prior(name, prior)
        self.prior.bind(self)

    def encode(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(self._input(x, f"{type(self).__name__}.encode")).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        return self.decode(_reparameterize(mu, logvar))

    def sample_posterior(self, x, eps) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        eps = torch.as_tensor(eps).to(device=mu.device, dtype=mu.dtype)
        check.posterior_noise(f"{type(self).__name__}.sample_posterior", eps.shape, mu.shape)
        z = mu + torch.exp(0.5 * logvar) * eps  # (B, d) broadcast over a leading k
        return z, _log_normal_diag(z, mu, logvar)

    def kl_term(self, mu, logvar, z) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example: closed form if the prior has one, else at ``z``."""
        if hasattr(self.prior, "kl"):
            return self.prior.kl(mu, logvar)
        return _log_normal_diag(z, mu, logvar) - self.prior.log_prob(z)

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        x = self._checked(x, f"{type(self).__name__}.loss_terms")
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar)
        rec = -self.log_px_given_z(x, z)
        kl = self.kl_term(mu, logvar, z)
        return {"loss": rec + self.beta * kl, "reconstruction": rec, "kl": kl}

    def elbo(self, x) -> torch.Tensor:
        terms = self.loss_terms(x)
        return -(terms["reconstruction"] + terms["kl"])

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int(f"{type(self).__name__}.sample", "n", n)
        seed = check.seed(f"{type(self).__name__}.sample", seed, allow_none=True)
        z = self.prior.sample(n, seed).to(next(self.parameters()).device)
        return self.likelihood.mean(self.decode(z))

    @torch.no_grad()
    def reconstruct(self, x) -> torch.Tensor:
        mu, _ = self.encode(x)
        return self.likelihood.mean(self.decode(mu))
