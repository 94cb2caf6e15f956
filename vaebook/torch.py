"""PyTorch half of ``vaebook``: losses, models, evaluation and a training loop.

Conventions, the same as in :mod:`vaebook.tensorflow`:

* Every loss is **per example**: summed over data (or latent) dimensions, never
  averaged over the batch. A batch of ``B`` examples gives a tensor of shape ``(B,)``
  and the caller takes the mean. This keeps the reconstruction term and the KL term
  on the same scale, which is where many published VAEs go wrong.
* Images may come as ``(B, h, w)`` or flat ``(B, h*w)``; models flatten internally
  and return decoder outputs in the shape they were given at construction.
* Public functions validate their arguments and raise ``ValueError`` naming the
  argument, what was expected and what came. The training loop calls unchecked
  internals (``_gaussian_kl`` …) so validation costs nothing per batch.
"""

from __future__ import annotations

import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import _validate as check
from ._progress import progress_bar

__all__ = [
    "gaussian_kl",
    "bernoulli_nll",
    "gaussian_nll",
    "reparameterize",
    "Autoencoder",
    "VAE",
    "iwae_bound",
    "fit",
    "set_seed",
    "device",
    "to_tensor",
    "to_numpy",
    "GAN",
    "discriminator_loss",
    "generator_loss",
    "fit_gan",
]

LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- utilities
def device() -> torch.device:
    """The device the book's code runs on: the first CUDA GPU if there is one, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so that a run is repeatable."""
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def to_tensor(x, dtype=torch.float32) -> torch.Tensor:
    """NumPy array (or tensor) -> tensor of ``dtype`` on :func:`device`."""
    return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=dtype).to(
        device()
    )


def to_numpy(x) -> np.ndarray:
    """Tensor -> NumPy array on the host (detached)."""
    return x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)


def _sum_non_batch(t: torch.Tensor) -> torch.Tensor:
    """(B, ...) -> (B,): sum over every dimension but the first."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def _as_tensor(name: str, value, like: torch.Tensor | None = None) -> torch.Tensor:
    if torch.is_tensor(value):
        return value
    if like is not None:
        return torch.as_tensor(value, dtype=like.dtype, device=like.device)
    return torch.as_tensor(np.asarray(value, dtype=np.float32))


def _minmax(t: torch.Tensor) -> tuple[float, float]:
    t = t.detach()
    return float(t.min()), float(t.max())


# --------------------------------------------------------------------------- losses
def _gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    # KL(N(mu, sigma^2) || N(0, 1)) = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2), per dimension.
    return 0.5 * _sum_non_batch(mu.pow(2) + logvar.exp() - 1.0 - logvar)


def gaussian_kl(mu, logvar) -> torch.Tensor:
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ), summed over latent dimensions.

    Args:
        mu: means, shape (B, d).
        logvar: log-variances, same shape as ``mu``.

    Returns:
        Tensor of shape (B,). Equals ``-1/2 * sum(1 + logvar - mu**2 - exp(logvar))``.
    """
    mu = _as_tensor("mu", mu)
    logvar = _as_tensor("logvar", logvar, like=mu)
    check.batched("gaussian_kl", "mu", mu.shape, "(batch, latent_dim)")
    check.same_shape("gaussian_kl", "logvar", logvar.shape, "mu", mu.shape)
    return _gaussian_kl(mu, logvar)


def _bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    # BCE from logits uses max(l, 0) - l*x + log(1 + exp(-|l|)): finite for any logit.
    return _sum_non_batch(F.binary_cross_entropy_with_logits(logits, x, reduction="none"))


def bernoulli_nll(logits, x) -> torch.Tensor:
    """-log Bernoulli(x; sigmoid(logits)), summed over data dimensions.

    Computed from logits, so it is finite for any logit (±100 included). Targets may
    be grey levels in [0, 1] (then it is the cross-entropy, whose minimum is the
    entropy of ``x``, not zero).

    Args:
        logits: decoder outputs before the sigmoid, shape (B, ...).
        x: targets in [0, 1], same shape as ``logits``.

    Returns:
        Tensor of shape (B,).
    """
    logits = _as_tensor("logits", logits)
    x = _as_tensor("x", x, like=logits)
    check.batched("bernoulli_nll", "logits", logits.shape)
    check.same_shape("bernoulli_nll", "x", x.shape, "logits", logits.shape)
    check.unit_interval("bernoulli_nll", "x", *_minmax(x))
    return _bernoulli_nll(logits, x)


def _gaussian_nll(mean: torch.Tensor, x: torch.Tensor, logvar) -> torch.Tensor:
    return 0.5 * _sum_non_batch(LOG_2PI + logvar + (x - mean).pow(2) * torch.exp(-logvar))


def gaussian_nll(mean, x, logvar=0.0) -> torch.Tensor:
    """-log N(x; mean, diag(exp(logvar))), summed over data dimensions, constants included.

    Args:
        mean: predicted means, shape (B, ...).
        x: observations, same shape as ``mean``.
        logvar: log-variance; a float, or a tensor that broadcasts to ``mean``
            (e.g. one learned value per pixel, shape (...)).

    Returns:
        Tensor of shape (B,). With ``logvar=0`` this is ``0.5*||x - mean||^2 + D/2 log(2 pi)``:
        the squared error up to a constant and a factor 1/2.
    """
    mean = _as_tensor("mean", mean)
    x = _as_tensor("x", x, like=mean)
    logvar = _as_tensor("logvar", logvar, like=mean)
    check.batched("gaussian_nll", "mean", mean.shape)
    check.same_shape("gaussian_nll", "x", x.shape, "mean", mean.shape)
    check.broadcastable("gaussian_nll", "logvar", logvar.shape, "mean", mean.shape)
    return _gaussian_nll(mean, x, logvar)


def _reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps=None) -> torch.Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    # exp(logvar / 2) is the standard deviation; forgetting the 1/2 uses the variance.
    return mu + torch.exp(0.5 * logvar) * eps


def reparameterize(mu, logvar, eps=None) -> torch.Tensor:
    """Draw z ~ N(mu, diag(exp(logvar))) as a differentiable function of (mu, logvar).

    Args:
        mu: means, shape (B, d).
        logvar: log-variances, same shape.
        eps: optional standard-normal noise of the same shape; drawn fresh when None.

    Returns:
        ``mu + exp(logvar / 2) * eps``, shape (B, d).
    """
    mu = _as_tensor("mu", mu)
    logvar = _as_tensor("logvar", logvar, like=mu)
    check.same_shape("reparameterize", "logvar", logvar.shape, "mu", mu.shape)
    if eps is not None:
        eps = _as_tensor("eps", eps, like=mu)
        check.same_shape("reparameterize", "eps", eps.shape, "mu", mu.shape)
    return _reparameterize(mu, logvar, eps)


# --------------------------------------------------------------------------- models
_LIKELIHOODS = ("bernoulli", "gaussian")


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _check_model_args(cls: str, input_dim, latent_dim, hidden_dims, likelihood):
    shape = check.input_shape(cls, input_dim)
    check.positive_int(cls, "latent_dim", latent_dim)
    hidden = tuple(hidden_dims)
    for h in hidden:
        check.positive_int(cls, "hidden_dims", h)
    if likelihood not in _LIKELIHOODS:
        raise ValueError(
            f"{cls}: argument `likelihood` must be one of {_LIKELIHOODS}; got {likelihood!r}."
        )
    return shape, hidden


class _Base(nn.Module):
    """Shared plumbing: input shapes, flattening, and the decoder's likelihood."""

    def __init__(self, input_dim, latent_dim, hidden_dims, likelihood, obs_logvar):
        super().__init__()
        name = type(self).__name__
        self.data_shape, self.hidden_dims = _check_model_args(
            name, input_dim, latent_dim, hidden_dims, likelihood
        )
        self.input_dim = math.prod(self.data_shape)
        self.latent_dim = int(latent_dim)
        self.likelihood = likelihood
        # Fixed decoder log-variance for the Gaussian likelihood (0.0: unit variance).
        self.obs_logvar = float(obs_logvar)

    def _flatten(self, x: torch.Tensor, name: str = "x") -> torch.Tensor:
        check.flat_input(type(self).__name__, name, x.shape, self.input_dim)
        return x.reshape(x.shape[0], self.input_dim)

    def _unflatten(self, flat: torch.Tensor) -> torch.Tensor:
        return flat.reshape(flat.shape[0], *self.data_shape)

    def _mean(self, out: torch.Tensor) -> torch.Tensor:
        """Decoder output -> mean of p(x|z): sigmoid for Bernoulli logits, identity else."""
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def log_px_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | z), shape (B,), for x of shape (B, ...) and z of shape (B, d)."""
        out = self.decode(z).reshape(z.shape[0], -1)
        x = x.reshape(x.shape[0], -1)
        if self.likelihood == "bernoulli":
            return -_bernoulli_nll(out, x)
        return -_gaussian_nll(out, x, torch.tensor(self.obs_logvar, device=out.device))


class Autoencoder(_Base):
    """A deterministic MLP autoencoder.

    Args:
        input_dim: number of input features, or an image shape such as (28, 28).
        latent_dim: size d of the code z.
        hidden_dims: widths of the encoder's hidden layers; the decoder mirrors them.
            ``()`` gives a linear autoencoder (which learns the PCA subspace under MSE).
        likelihood: ``"bernoulli"`` (decoder outputs logits, loss is cross-entropy) or
            ``"gaussian"`` (decoder outputs means, loss is the Gaussian NLL, i.e. squared
            error up to constants).

    Shapes: ``encode`` (B, *input) -> (B, d); ``decode`` (B, d) -> (B, *input).
    """

    def __init__(
        self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
        obs_logvar=0.0,
    ):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        h = list(self.hidden_dims)
        self.encoder = _mlp([self.input_dim, *h, self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *reversed(h), self.input_dim])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, *input) -> codes (B, d)."""
        return self.encoder(self._flatten(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, d) -> logits (Bernoulli) or means (Gaussian), shape (B, *input)."""
        return self._unflatten(self.decoder(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions in data space (probabilities or means), shape (B, *input)."""
        return self._mean(self(x))

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-example training loss ``-log p(x | z = encode(x))``, under key "loss"."""
        nll = -self.log_px_given_z(x, self.encode(x))
        return {"loss": nll}


class VAE(_Base):
    """A variational autoencoder with MLP encoder and decoder (Kingma & Welling, 2014).

    Encoder q(z|x) = N(mu(x), diag(exp(logvar(x)))); prior p(z) = N(0, I); decoder
    p(x|z) Bernoulli (logits) or Gaussian with fixed variance ``exp(obs_logvar)``.

    Args:
        input_dim: number of input features, or an image shape such as (28, 28).
        latent_dim: size d of z.
        hidden_dims: widths of the encoder's hidden layers; the decoder mirrors them.
        likelihood: ``"bernoulli"`` or ``"gaussian"``.
        beta: weight of the KL term in the training loss (1.0 is the ELBO; Higgins et
            al., 2017 use beta > 1). :meth:`elbo` always uses 1.
    """

    def __init__(
        self, input_dim, latent_dim, hidden_dims=(256, 128), likelihood="bernoulli",
        beta=1.0, obs_logvar=0.0,
    ):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, obs_logvar)
        self.beta = check.positive_float("VAE", "beta", beta) if beta != 0 else 0.0
        h = list(self.hidden_dims)
        # One network outputs both mu and logvar: 2*d units, split in encode().
        self.encoder = _mlp([self.input_dim, *h, 2 * self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *reversed(h), self.input_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, *input) -> (mu, logvar), each (B, d)."""
        mu, logvar = self.encoder(self._flatten(x)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, d) -> logits (Bernoulli) or means (Gaussian), shape (B, *input)."""
        return self._unflatten(self.decoder(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        return self.decode(_reparameterize(mu, logvar))

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-example terms of the negative ELBO, each shape (B,).

        ``reconstruction`` = -log p(x|z) at one reparameterized sample z ~ q(z|x);
        ``kl`` = KL(q(z|x) || p(z)) in closed form; ``loss`` = reconstruction + beta * kl.
        """
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar)
        rec = -self.log_px_given_z(x, z)
        kl = _gaussian_kl(mu, logvar)
        return {"loss": rec + self.beta * kl, "reconstruction": rec, "kl": kl}

    def elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Single-sample estimate of the ELBO, shape (B,). Maximise it; the loss is -ELBO."""
        terms = self.loss_terms(x)
        return -(terms["reconstruction"] + terms["kl"])

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode n draws z ~ p(z); returns means of p(x|z), shape (n, *input)."""
        n = check.positive_int("VAE.sample", "n", n)
        dev = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device="cpu").to(dev)
        return self._mean(self.decode(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean of each x; returns means of p(x|z), shape (B, *input)."""
        mu, _ = self.encode(x)
        return self._mean(self.decode(mu))


# --------------------------------------------------------------------------- evaluation
@torch.no_grad()
def iwae_bound(model: VAE, x, k: int = 1000, batch_size: int = 500, chunk_size=None):
    """Importance-weighted lower bound on log p(x) (Burda et al., 2016), per example.

    ``log (1/k) sum_i p(x, z_i) / q(z_i | x)`` with z_i ~ q(z|x). k=1 is the ELBO (with
    the KL estimated by Monte Carlo); the bound rises towards log p(x) as k grows.
    Samples are processed in chunks, so memory stays flat as k grows.

    Args:
        model: a :class:`VAE`, or any ``nn.Module`` with ``encode``, ``log_px_given_z``,
            ``input_dim`` and ``latent_dim`` (it is put in ``eval()`` mode for the call).
        x: data, shape (N, *input).
        k: number of importance samples.
        batch_size: examples per pass.
        chunk_size: samples per pass; chosen to keep about 2**22 decoder outputs.

    Returns:
        Tensor of shape (N,), in nats.
    """
    k = check.positive_int("iwae_bound", "k", k)
    batch_size = check.positive_int("iwae_bound", "batch_size", batch_size)
    dev = next(model.parameters()).device
    x = _as_tensor("x", x).to(dev)
    check.flat_input("iwae_bound", "x", x.shape, model.input_dim)
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start : start + batch_size]
        b = xb.shape[0]
        c = chunk_size or max(1, min(k, (1 << 22) // (b * model.input_dim)))
        mu, logvar = model.encode(xb)
        xr = xb.reshape(b, -1)
        chunks = []
        for s in range(0, k, c):
            m = min(c, k - s)
            # (m, b, d) samples, flattened to (m*b, d) for one decoder pass.
            eps = torch.randn(m, b, model.latent_dim, device=dev)
            z = mu + torch.exp(0.5 * logvar) * eps
            zf = z.reshape(m * b, -1)
            log_px = model.log_px_given_z(xr.repeat(m, 1), zf).reshape(m, b)
            log_pz = -_gaussian_nll(torch.zeros_like(zf), zf, torch.zeros(())).reshape(m, b)
            log_qz = -_gaussian_nll(
                mu.repeat(m, 1), zf, logvar.repeat(m, 1)
            ).reshape(m, b)
            chunks.append(torch.logsumexp(log_px + log_pz - log_qz, dim=0))
        out.append(torch.logsumexp(torch.stack(chunks), dim=0) - math.log(k))
    model.train(was_training)
    return torch.cat(out)


# --------------------------------------------------------------------------- training
def fit(
    model: nn.Module,
    x_train,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    x_valid=None,
    loss_fn=None,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` with Adam on ``x_train`` and return the per-epoch history.

    The data are moved to :func:`device` once and shuffled there, and epoch totals
    stay on the device until the epoch ends: no per-batch host synchronisation.

    Args:
        model: an :class:`Autoencoder`, a :class:`VAE`, or any module with a
            ``loss_terms(x)`` method returning a dict of per-example tensors with a
            ``"loss"`` key.
        x_train: training data, shape (N, *input) (NumPy array or tensor).
        epochs: passes over the data.
        batch_size: examples per step; the loss is the batch mean of the per-example loss.
        lr: Adam learning rate.
        seed: seeds shuffling and the sampling noise.
        x_valid: optional validation data; its mean terms are logged as ``valid_*``.
        loss_fn: optional ``loss_fn(model, x) -> dict`` replacing ``model.loss_terms``
            (the book uses it to train with deliberately broken losses).
        progress: show a tqdm progress bar over epochs.

    Returns:
        ``{"loss": [...], ...}``: the mean of each term per epoch (one float per epoch).
    """
    epochs = check.positive_int("fit", "epochs", epochs)
    batch_size = check.positive_int("fit", "batch_size", batch_size)
    lr = check.positive_float("fit", "lr", lr)
    terms_of = loss_fn or (lambda m, xb: m.loss_terms(xb))
    dev = device()
    model.to(dev)
    x = _as_tensor("x_train", x_train).to(dev, torch.float32)
    check.flat_input("fit", "x_train", x.shape, getattr(model, "input_dim", x[0].numel()))
    check.finite_range("fit", "x_train", *_minmax(x))
    xv = None if x_valid is None else _as_tensor("x_valid", x_valid).to(dev, torch.float32)
    set_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    history: dict[str, list[float]] = {}
    bar = progress_bar(range(epochs), desc=f"{type(model).__name__} (torch)", disable=not progress)
    for _ in bar:
        model.train()
        perm = torch.randperm(n, generator=gen).to(dev)
        totals: dict[str, torch.Tensor] = {}
        for start in range(0, n, batch_size):
            xb = x[perm[start : start + batch_size]]
            terms = terms_of(model, xb)
            loss = terms["loss"].mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            for key, val in terms.items():
                totals[key] = totals.get(key, 0.0) + val.detach().sum()
        epoch = {key: float(val) / n for key, val in totals.items()}
        if xv is not None:
            model.eval()
            with torch.no_grad():
                vterms = terms_of(model, xv)
            epoch.update({f"valid_{k}": float(v.mean()) for k, v in vterms.items()})
        if not math.isfinite(epoch["loss"]):
            raise FloatingPointError(
                f"fit: the training loss became {epoch['loss']} in epoch {len(history.get('loss', [])) + 1}; "
                "lower `lr` or check the loss function."
            )
        for key, val in epoch.items():
            history.setdefault(key, []).append(val)
        bar.set_postfix(loss=f"{epoch['loss']:.2f}")
    model.eval()
    return history


from ._gan_torch import GAN, discriminator_loss, fit_gan, generator_loss  # noqa: E402,F401
