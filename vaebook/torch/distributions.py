"""The probabilistic parts of a model, in PyTorch: likelihoods p(x|z) and priors p(z).

A likelihood turns the decoder's outputs into a distribution over the data; a prior is
the distribution of the code. A :class:`~vaebook.torch.VAE` is built from an encoder,
a decoder, one of each, as in Tomczak's *Deep Generative Modeling*. Both kinds are
``nn.Module``s, so a learned variance, mixture or pseudo-input is trained with the
model that holds it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import _validate as check
from .._docs import documented
from ._util import generator, minmax, randn
from .losses import LOG_2PI, _bernoulli_nll, _gaussian_kl, _gaussian_nll, _log_normal_diag

__all__ = [
    "Bernoulli", "Gaussian", "ContinuousBernoulli", "StandardNormal", "MixturePrior",
    "VampPrior", "make_likelihood", "make_prior",
]

# ----------------------------------------------------------------------------- likelihoods


class _Likelihood(nn.Module):
    def __init__(self):
        super().__init__()

    def check_data(self, func: str, name: str, x: torch.Tensor) -> None:
        check.finite_range(func, name, *minmax(x))

    def _uniform(self, out: torch.Tensor, seed: int | None) -> torch.Tensor:
        u = torch.rand(*out.shape, generator=generator(seed, f"{type(self).__name__}.sample"))
        return u.to(device=out.device, dtype=out.dtype)


@documented("Bernoulli")
class Bernoulli(_Likelihood):

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return -_bernoulli_nll(out, x)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(out)

    def sample(self, out: torch.Tensor, seed: int | None = None) -> torch.Tensor:
        return (self._uniform(out, seed) < torch.sigmoid(out)).to(out.dtype)

    def check_data(self, func: str, name: str, x: torch.Tensor) -> None:
        check.unit_interval(func, name, *minmax(x))


@documented("Gaussian")
class Gaussian(_Likelihood):

    def __init__(self, logvar: float = 0.0, learned: bool = False):
        super().__init__()
        value = check.finite_number("Gaussian", "logvar", logvar)
        self.learned = check.boolean("Gaussian", "learned", learned)
        # A fixed variance is a plain number, not a buffer: models with and without it
        # keep the same state_dict (the chapters copy weights between models).
        self.logvar = nn.Parameter(torch.tensor(value)) if learned else value

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        logvar = self.logvar if self.learned else torch.tensor(self.logvar, dtype=out.dtype,
                                                               device=out.device)
        return -_gaussian_nll(out, x, logvar)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        return out

    def sample(self, out: torch.Tensor, seed: int | None = None) -> torch.Tensor:
        eps = randn(out.shape, seed, "Gaussian.sample", like=out)
        return out + torch.exp(0.5 * torch.as_tensor(self.logvar)) * eps


def _cb_log_norm(logits: torch.Tensor) -> torch.Tensor:
    """log C(l) = log(l / tanh(l/2)), elementwise, stable for every l (log 2 at l = 0)."""
    a = logits.abs()
    small = a < 1e-4
    a_safe = torch.where(small, torch.ones_like(a), a)
    # log(a / tanh(a/2)) with tanh(a/2) = -expm1(-a) / (1 + exp(-a))
    big = torch.log(a_safe) - torch.log(-torch.expm1(-a_safe)) + torch.log1p(torch.exp(-a_safe))
    taylor = math.log(2.0) + torch.log1p(logits * logits / 12.0)  # l / tanh(l/2) = 2 + l^2/6 + ...
    return torch.where(small, taylor, big)


def _cb_mean(logits: torch.Tensor) -> torch.Tensor:
    small = logits.abs() < 1e-2
    safe = torch.where(small, torch.ones_like(logits), logits)
    exact = torch.sigmoid(safe) / torch.tanh(safe / 2) - 1.0 / safe
    return torch.where(small, 0.5 + logits / 12.0, exact)


@documented("ContinuousBernoulli")
class ContinuousBernoulli(_Likelihood):

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return -_bernoulli_nll(out, x) + _cb_log_norm(out).reshape(out.shape[0], -1).sum(dim=1)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        return _cb_mean(out)

    def sample(self, out: torch.Tensor, seed: int | None = None) -> torch.Tensor:
        # Inverse CDF, x = log1p(u expm1(l)) / l, evaluated at -|l| (no overflow) and
        # mirrored: x ~ CB(l) exactly when 1 - x ~ CB(-l).
        u = self._uniform(out, seed)
        a = -out.abs()
        small = a > -1e-4
        a_safe = torch.where(small, -torch.ones_like(a), a)
        y = torch.where(small, u, torch.log1p(u * torch.expm1(a_safe)) / a_safe)
        return torch.where(out > 0, 1.0 - y, y)

    def check_data(self, func: str, name: str, x: torch.Tensor) -> None:
        check.unit_interval(func, name, *minmax(x), what="continuous Bernoulli data")


_LIKELIHOOD_NAMES = dict(zip(check.LIKELIHOODS, (Bernoulli, Gaussian, ContinuousBernoulli),
                             strict=True))


def make_likelihood(cls: str, likelihood, obs_logvar: float) -> _Likelihood:
    """A likelihood object from a model's ``likelihood`` argument (a name or an object)."""
    if isinstance(likelihood, _Likelihood):
        return likelihood
    check.one_of(cls, "likelihood", likelihood, check.LIKELIHOODS)
    if likelihood == "gaussian":
        return Gaussian(logvar=obs_logvar)
    return _LIKELIHOOD_NAMES[likelihood]()


# ----------------------------------------------------------------------------- priors


class _Prior(nn.Module):
    def __init__(self):
        super().__init__()

    def bind(self, model) -> None:
        """Called once by the model that holds the prior: learn its latent size."""
        self.latent_dim = model.latent_dim

    def _device(self) -> torch.device:
        p = next(self.parameters(), None)
        return p.device if p is not None else torch.device("cpu")


@documented("StandardNormal")
class StandardNormal(_Prior):
    def __init__(self, latent_dim: int | None = None):
        super().__init__()
        self.latent_dim = None if latent_dim is None else check.positive_int(
            "StandardNormal", "latent_dim", latent_dim)

    def bind(self, model) -> None:
        if self.latent_dim not in (None, model.latent_dim):
            raise ValueError(
                f"{type(model).__name__}: argument `prior` has latent_dim {self.latent_dim}, "
                f"but the model's latent_dim is {model.latent_dim}."
            )
        self.latent_dim = model.latent_dim

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (LOG_2PI + z.pow(2)).sum(dim=-1)

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int("StandardNormal.sample", "n", n)
        return randn((n, self.latent_dim), seed, "StandardNormal.sample")

    def kl(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        return _gaussian_kl(mu, logvar)


@documented("MixturePrior")
class MixturePrior(_Prior):
    def __init__(self, n_components: int, latent_dim: int | None = None, seed: int = 0):
        super().__init__()
        self.n_components = check.positive_int("MixturePrior", "n_components", n_components)
        self.seed = check.seed("MixturePrior", seed)
        self.latent_dim = None
        if latent_dim is not None:
            self._build(check.positive_int("MixturePrior", "latent_dim", latent_dim))

    def _build(self, d: int) -> None:
        self.latent_dim = d
        self.means = nn.Parameter(randn((self.n_components, d), self.seed, "MixturePrior"))
        self.logvars = nn.Parameter(torch.zeros(self.n_components, d))
        self.logits = nn.Parameter(torch.zeros(self.n_components))

    def bind(self, model) -> None:
        if self.latent_dim is None:
            self._build(model.latent_dim)
        elif self.latent_dim != model.latent_dim:
            raise ValueError(
                f"{type(model).__name__}: argument `prior` has latent_dim {self.latent_dim}, "
                f"but the model's latent_dim is {model.latent_dim}."
            )

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        # log sum_k pi_k N(z; m_k, s_k^2): (..., 1, d) against (K, d), then over k.
        per_k = _log_normal_diag(z.unsqueeze(-2), self.means, self.logvars)
        return torch.logsumexp(per_k + F.log_softmax(self.logits, dim=0), dim=-1)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int("MixturePrior.sample", "n", n)
        gen = generator(seed, "MixturePrior.sample")
        k = torch.multinomial(F.softmax(self.logits, 0).cpu(), n, True, generator=gen)
        eps = torch.randn(n, self.latent_dim, generator=gen).to(self._device())
        k = k.to(self._device())
        return self.means[k] + torch.exp(0.5 * self.logvars[k]) * eps


@documented("VampPrior")
class VampPrior(_Prior):
    def __init__(self, n_components: int, seed: int = 0, init=None):
        super().__init__()
        self.n_components = check.positive_int("VampPrior", "n_components", n_components)
        self.seed = check.seed("VampPrior", seed)
        self.latent_dim = None
        self._init = init

    def bind(self, model) -> None:
        self.latent_dim = model.latent_dim
        # Held as a plain attribute (a bound method), not a submodule: the model owns the prior.
        self._encode = model.encode
        # Pseudo-inputs are sigmoid(u): always valid data in (0, 1), grey at the start
        # unless images to start from are given.
        if self._init is None:
            u = 0.1 * randn((self.n_components, *model.data_shape), self.seed, "VampPrior")
        else:
            u = torch.as_tensor(check.pseudo_input_logits(self._init, self.n_components,
                                                          model.data_shape))
        self.u = nn.Parameter(u.to(next(model.parameters()).device))

    def pseudo_inputs(self) -> torch.Tensor:
        return torch.sigmoid(self.u)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        mu, logvar = self._encode(self.pseudo_inputs())  # (K, d) each
        per_k = _log_normal_diag(z.unsqueeze(-2), mu, logvar)
        return torch.logsumexp(per_k, dim=-1) - math.log(self.n_components)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int("VampPrior.sample", "n", n)
        gen = generator(seed, "VampPrior.sample")
        k = torch.randint(self.n_components, (n,), generator=gen).to(self._device())
        eps = torch.randn(n, self.latent_dim, generator=gen).to(self._device())
        mu, logvar = self._encode(self.pseudo_inputs())
        return mu[k] + torch.exp(0.5 * logvar[k]) * eps


def make_prior(cls: str, prior) -> _Prior:
    """The prior object of a model's ``prior`` argument (None: the standard normal)."""
    if prior is None:
        return StandardNormal()
    if not isinstance(prior, _Prior):
        raise ValueError(
            f"{cls}: argument `prior` must be None, StandardNormal, MixturePrior or "
            f"VampPrior; got {type(prior).__name__}."
        )
    return prior
