"""A denoising diffusion model (Ho et al., 2020) as a hierarchical VAE, in PyTorch (chapter 9).

The encoder is fixed (the noise schedule, :mod:`vaebook.diffusion`); what is learned is
the decoder chain p(x_{t-1} | x_t) = N(mu_theta(x_t, t), sigma_t^2 I), through an MLP
that predicts the noise: mu_theta = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta) /
sqrt(alpha_t). The model works in its own space y: y = 2x - 1 for binary data (so
y_0 is -1 or +1), y = x for real-valued data.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import _validate as check
from .._docs import documented
from ..diffusion import DDPMSpec
from ._util import generator
from .distributions import Bernoulli, Gaussian
from .models import _Model, mlp

__all__ = ["DDPM"]

_ROWS_PER_PASS = 1 << 14  # network rows per pass when the ELBO is summed over all steps


@documented("DDPM")
class DDPM(DDPMSpec, nn.Module):
    def __init__(self, input_dim, schedule=None, hidden_dims=(256, 256), time_dim=32,
                 likelihood="bernoulli", loss="simple", parameterization=None):
        nn.Module.__init__(self)
        self._set_ddpm_spec(input_dim, schedule, hidden_dims, time_dim, likelihood, loss,
                            parameterization)
        self.net = mlp([self.input_dim + self.time_dim, *self.hidden_dims, self.input_dim],
                       activation="silu")
        for key, arr in self._tables.items():
            # Not persistent: the state_dict holds the network's weights only.
            self.register_buffer(f"_{key}", torch.from_numpy(arr), persistent=False)
        self.likelihood = (Bernoulli() if likelihood == "bernoulli"
                           else Gaussian(logvar=self._decoder_logvar))

    # Input handling as for every model of the book (shape, dtype, device, support).
    _input = _Model._input
    _checked = _Model._checked
    _unflatten = _Model._unflatten

    # ------------------------------------------------------------------ pieces
    def _to_model(self, x: torch.Tensor) -> torch.Tensor:
        return 2.0 * x - 1.0 if self.likelihood_name == "bernoulli" else x

    def _steps(self, func: str, t, b: int) -> torch.Tensor:
        """``t`` (an int or B of them) as a long tensor of shape (B,), checked."""
        dev = self._sqrt_ab.device
        if torch.is_tensor(t) or isinstance(t, np.ndarray):
            arr = np.asarray(t.detach().cpu() if torch.is_tensor(t) else t)
            if arr.shape not in ((), (b,)):
                raise ValueError(f"{func}: argument `t` must be one step or {b} of them; "
                                 f"got shape {arr.shape}.")
            if arr.shape == ():
                return torch.full((b,), check.diffusion_step(func, arr[()], self.T),
                                  device=dev, dtype=torch.long)
            for s in np.unique(arr):
                check.diffusion_step(func, s, self.T)
            return torch.as_tensor(arr, dtype=torch.long, device=dev)
        return torch.full((b,), check.diffusion_step(func, t, self.T), device=dev,
                          dtype=torch.long)

    def _net(self, y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """eps_theta(y_t, t): the network's output, or (binary data) the noise its x_0 implies."""
        out = self.net(torch.cat([y, self._embedding[t]], dim=1))
        if self.parameterization == "noise":
            return out
        x0 = torch.tanh(out + self._skip[t, None] * y)
        return (y - self._sqrt_ab[t, None] * x0) / self._sqrt_1mab[t, None]

    def _x0_pred(self, y, e, t):
        """The data the noise prediction implies: (y_t - sqrt(1 - alpha_bar_t) e) / sqrt(alpha_bar_t)."""
        return (y - self._sqrt_1mab[t, None] * e) / self._sqrt_ab[t, None]

    def _decoder_out(self, m: torch.Tensor) -> torch.Tensor:
        """The decoder p(x_0 | x_1) as its likelihood's parameters, from its mean m (model space).

        Binary data: P(x = 1) = P(N(m, beta_1) > 0) = Phi(m / sqrt(beta_1)), whose logit is
        log Phi(a) - log Phi(-a); real data: the mean itself.
        """
        if self.likelihood_name == "bernoulli":
            a = m / self._sigma[1]
            return torch.special.log_ndtr(a) - torch.special.log_ndtr(-a)
        return m

    def _prior_kl(self, y0: torch.Tensor) -> torch.Tensor:
        ab = self._ab_T
        return 0.5 * (ab * y0.pow(2) + (1.0 - ab) - 1.0 - self._log_1mab_T).sum(dim=1)

    def _terms(self, x, y0, t, eps):
        """Per row: the ELBO term of step t at noise eps (L_0 at t = 1, else L_{t-1}), and
        the noise loss ||eps - eps_theta||^2."""
        yt = self._sqrt_ab[t, None] * y0 + self._sqrt_1mab[t, None] * eps
        e = self._net(yt, t)
        mse = (eps - e).pow(2).sum(dim=1)
        term = self._lam[t] * mse
        if bool((t == 1).any()):
            rec = -self.likelihood.log_prob(self._decoder_out(self._x0_pred(yt, e, t)), x)
            term = torch.where(t == 1, rec, term)
        return term, mse

    # ------------------------------------------------------------------ public
    def predict_noise(self, x_t, t) -> torch.Tensor:
        y = self._input(x_t, "DDPM.predict_noise", "x_t")
        return self._net(y, self._steps("DDPM.predict_noise", t, y.shape[0])).reshape(
            x_t.shape)

    def reverse_mean(self, x_t, t) -> torch.Tensor:
        y = self._input(x_t, "DDPM.reverse_mean", "x_t")
        tv = self._steps("DDPM.reverse_mean", t, y.shape[0])
        e = self._net(y, tv)
        mean = self._mean_coef[tv, None] * (y - self._eps_coef[tv, None] * e)
        return mean.reshape(x_t.shape)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self._net(x_t, t)

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        x = self._checked(x, "DDPM.loss_terms")
        y0 = self._to_model(x)
        t = torch.randint(1, self.T + 1, (x.shape[0],), device=x.device)
        eps = torch.randn_like(y0)
        term, mse = self._terms(x, y0, t, eps)
        loss = mse if self.loss == "simple" else self.T * term + self._prior_kl(y0)
        return {"loss": loss, "noise_mse": mse}

    def elbo_term(self, x, t, eps) -> torch.Tensor:
        x = self._checked(x, "DDPM.elbo_term")
        eps = self._input(eps, "DDPM.elbo_term", "eps")
        check.same_shape("DDPM.elbo_term", "eps", tuple(eps.shape), "x", tuple(x.shape))
        check.finite_range("DDPM.elbo_term", "eps", float(eps.min()), float(eps.max()))
        term, _ = self._terms(x, self._to_model(x), self._steps("DDPM.elbo_term", t, x.shape[0]),
                              eps)
        return term

    @torch.no_grad()
    def elbo_terms(self, x, seed: int | None = None) -> dict[str, torch.Tensor]:
        x = self._checked(x, "DDPM.elbo_terms")
        gen = generator(seed, "DDPM.elbo_terms")
        y0 = self._to_model(x)
        b, d, T = x.shape[0], self.input_dim, self.T
        per_step = torch.empty(b, T, device=x.device, dtype=x.dtype)
        chunk = max(1, _ROWS_PER_PASS // b)
        for start in range(1, T + 1, chunk):
            k = min(chunk, T + 1 - start)
            eps = torch.randn(k, b, d, generator=gen).to(x.device, x.dtype).reshape(k * b, d)
            t = torch.arange(start, start + k, device=x.device).repeat_interleave(b)
            term, _ = self._terms(x.repeat(k, 1), y0.repeat(k, 1), t, eps)
            per_step[:, start - 1 : start - 1 + k] = term.reshape(k, b).T
        return {"reconstruction": per_step[:, 0], "diffusion": per_step[:, 1:],
                "prior": self._prior_kl(y0)}

    def elbo(self, x, seed: int | None = None) -> torch.Tensor:
        terms = self.elbo_terms(x, seed)
        return -(terms["reconstruction"] + terms["diffusion"].sum(dim=1) + terms["prior"])

    @torch.no_grad()
    def _chain(self, func: str, n, seed, times):
        n = check.positive_int(func, "n", n)
        gen = generator(seed, func)
        dev = self._sqrt_ab.device
        y = torch.randn(n, self.input_dim, generator=gen).to(dev)
        kept = {}
        for t in range(self.T, 1, -1):
            if t in times:
                kept[t] = self._unflatten(y)
            tv = torch.full((n,), t, device=dev, dtype=torch.long)
            mean = self._mean_coef[t] * (y - self._eps_coef[t] * self._net(y, tv))
            y = mean + self._sigma[t] * torch.randn(n, self.input_dim, generator=gen).to(dev)
        if 1 in times:
            kept[1] = self._unflatten(y)
        tv = torch.ones(n, device=dev, dtype=torch.long)
        m = self._x0_pred(y, self._net(y, tv), tv)
        return self._unflatten(self.likelihood.mean(self._decoder_out(m))), kept

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        return self._chain("DDPM.sample", n, seed, ())[0]

    def sample_steps(self, n: int, times, seed: int | None = None
                     ) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        times = check.step_times("DDPM.sample_steps", times, self.T)
        return self._chain("DDPM.sample_steps", n, seed, times)
