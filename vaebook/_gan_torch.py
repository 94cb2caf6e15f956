"""A small MLP GAN for PyTorch (Goodfellow et al., 2014), with the same names and
semantics as :mod:`vaebook._gan_tensorflow`. Imported into :mod:`vaebook.torch`.

Conventions, as in the rest of the package:

* Losses are **per example** (shape ``(B,)``) and computed from the discriminator's
  logits ``s`` with ``D = sigmoid(s)``: ``-log D = softplus(-s)`` and
  ``-log(1 - D) = softplus(s)``, finite for any logit (±100 included).
* Images may come as ``(B, h, w)`` or flat; the generator returns the shape given at
  construction, with pixel values in [0, 1] (it ends in a sigmoid).
* Public functions validate their arguments and raise ``ValueError`` naming the
  argument, what was expected and what came.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import _validate as check
from ._progress import progress_bar

__all__ = ["GAN", "discriminator_loss", "generator_loss", "fit_gan"]

_LEAK = 0.2  # LeakyReLU slope: keeps gradients flowing through D to G where units are off


def _leaky_mlp(sizes: list[int]) -> list[nn.Module]:
    """Linear layers with LeakyReLU(0.2) between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(_LEAK))
    return layers


def _check_gan_args(input_dim, noise_dim, hidden_dims):
    shape = check.input_shape("GAN", input_dim)
    check.positive_int("GAN", "noise_dim", noise_dim)
    hidden = tuple(hidden_dims)
    for h in hidden:
        check.positive_int("GAN", "hidden_dims", h)
    return shape, hidden


class GAN(nn.Module):
    """Generator and discriminator, two MLPs.

    The generator maps noise z ~ N(0, I) of size ``noise_dim`` through ``hidden_dims``
    reversed to ``prod(input_dim)`` pixels and a sigmoid; the discriminator maps an
    image through ``hidden_dims`` to one logit ``s`` (``D(x) = sigmoid(s)`` is the
    probability that x is real). Hidden layers use LeakyReLU(0.2).

    Args:
        input_dim: number of pixels, or an image shape such as (8, 8).
        noise_dim: size of the generator's input noise z.
        hidden_dims: widths of the discriminator's hidden layers; the generator
            mirrors them.

    Shapes: ``generator`` (B, noise_dim) -> (B, prod(input_dim)) in [0, 1];
    ``discriminator`` (B, prod(input_dim)) -> (B, 1) logits; see :meth:`generate`,
    :meth:`discriminate`.
    """

    def __init__(self, input_dim, noise_dim, hidden_dims=(256, 128)):
        super().__init__()
        self.data_shape, self.hidden_dims = _check_gan_args(input_dim, noise_dim, hidden_dims)
        self.input_dim = math.prod(self.data_shape)
        self.noise_dim = int(noise_dim)
        h = list(self.hidden_dims)
        self.generator = nn.Sequential(
            *_leaky_mlp([self.noise_dim, *reversed(h), self.input_dim]), nn.Sigmoid()
        )
        self.discriminator = nn.Sequential(*_leaky_mlp([self.input_dim, *h, 1]))

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws z ~ N(0, I), shape (n, noise_dim), on the model's device."""
        n = check.positive_int("GAN.noise", "n", n)
        z = torch.randn(n, self.noise_dim, generator=generator, device="cpu")
        return z.to(self._device())

    def _tensor(self, value) -> torch.Tensor:
        if torch.is_tensor(value):
            return value
        return torch.as_tensor(value, dtype=torch.float32, device=self._device())

    def decode(self, z) -> torch.Tensor:
        """G(z): (B, noise_dim) -> images (B, *input) in [0, 1] (differentiable)."""
        z = self._tensor(z)
        check.flat_input("GAN.decode", "z", tuple(z.shape), self.noise_dim)
        return self.generator(z).reshape(z.shape[0], *self.data_shape)

    def discriminate(self, x) -> torch.Tensor:
        """Discriminator logits s(x): (B, *input) -> (B,); D(x) = sigmoid(s)."""
        x = self._tensor(x)
        check.flat_input("GAN.discriminate", "x", tuple(x.shape), self.input_dim)
        return self.discriminator(x.reshape(x.shape[0], self.input_dim)).squeeze(1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)

    @torch.no_grad()
    def generate(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples G(z), z ~ N(0, I): images in [0, 1], shape (n, *input)."""
        return self.decode(self.noise(n, generator))


def _discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    # -log D(x) - log(1 - D(G(z))) = softplus(-s_real) + softplus(s_fake)
    return F.softplus(-real_logits) + F.softplus(fake_logits)


def _generator_loss(fake_logits: torch.Tensor, non_saturating: bool) -> torch.Tensor:
    if non_saturating:
        return F.softplus(-fake_logits)  # -log D(G(z))
    return -F.softplus(fake_logits)  # log(1 - D(G(z))), the minimax game's own term


def _logits(func: str, name: str, value) -> torch.Tensor:
    t = value if torch.is_tensor(value) else torch.as_tensor(value, dtype=torch.float32)
    if t.dim() != 1:
        raise ValueError(
            f"{func}: argument `{name}` must be discriminator logits of shape (batch,); "
            f"got shape {tuple(t.shape)}."
        )
    if t.numel():
        check.finite_range(func, name, float(t.detach().min()), float(t.detach().max()))
    return t


def discriminator_loss(real_logits, fake_logits) -> torch.Tensor:
    """The discriminator's per-example loss, ``-log D(x) - log(1 - D(G(z)))``.

    Computed from logits as ``softplus(-real_logits) + softplus(fake_logits)``, so it
    is finite for any logit. Its batch mean estimates ``-V(D, G)``, minus the value of the
    minimax game; the optimal discriminator reaches ``log 4 - 2 JS(p_data || p_g)``.

    Args:
        real_logits: discriminator logits on real data, shape (B,).
        fake_logits: discriminator logits on generated data, shape (B,).

    Returns:
        Tensor of shape (B,), in nats.
    """
    real_logits = _logits("discriminator_loss", "real_logits", real_logits)
    fake_logits = _logits("discriminator_loss", "fake_logits", fake_logits)
    check.same_shape(
        "discriminator_loss", "fake_logits", fake_logits.shape, "real_logits", real_logits.shape
    )
    return _discriminator_loss(real_logits, fake_logits)


def generator_loss(fake_logits, non_saturating: bool = True) -> torch.Tensor:
    """The generator's per-example loss, from the discriminator's logits on G(z).

    ``non_saturating=True`` (the default, what GANs are trained with): ``-log D(G(z))
    = softplus(-s)``; its gradient with respect to the logit tends to -1 when D(G(z))
    is near 0, where the generator most needs it. ``non_saturating=False``: the
    minimax game's own ``log(1 - D(G(z))) = -softplus(s)``, whose gradient ``-D(G(z))``
    vanishes there.

    Args:
        fake_logits: discriminator logits on generated data, shape (B,).
        non_saturating: which of the two losses.

    Returns:
        Tensor of shape (B,), in nats.
    """
    fake_logits = _logits("generator_loss", "fake_logits", fake_logits)
    if not isinstance(non_saturating, bool):
        raise ValueError(
            f"generator_loss: argument `non_saturating` must be True or False; "
            f"got {non_saturating!r}."
        )
    return _generator_loss(fake_logits, non_saturating)


def fit_gan(
    gan: GAN,
    x_train,
    epochs: int,
    batch_size: int = 128,
    lr: float = 2e-4,
    seed: int = 0,
    progress: bool = True,
    non_saturating: bool = True,
    callback=None,
) -> dict[str, list[float]]:
    """Train ``gan`` on ``x_train``: alternate one discriminator and one generator step.

    Each step draws a batch of real images and as many noise vectors z, takes an Adam
    step (betas 0.5, 0.999, the usual choice for GANs) on the batch mean of
    :func:`discriminator_loss` with G(z) held fixed, then one on the batch mean of
    :func:`generator_loss` through the updated discriminator. Data stay on the device
    and epoch totals are read back once per epoch: no per-batch host synchronisation.

    Args:
        gan: a :class:`GAN`.
        x_train: real images in [0, 1], shape (N, *input) (NumPy array or tensor).
        epochs: passes over the data.
        batch_size: real (and generated) examples per step.
        lr: Adam learning rate of both players.
        seed: seeds the shuffling and the noise.
        progress: show a tqdm progress bar over epochs.
        non_saturating: train the generator with ``-log D(G(z))`` (True) or with the
            minimax ``log(1 - D(G(z)))`` (False).
        callback: optional ``callback(epoch, gan)`` called after each epoch (epoch
            counts from 1), e.g. to keep samples over training.

    Returns:
        ``{"d_loss", "g_loss", "d_real", "d_fake"}``, one float per epoch each: the mean
        per-example losses, and the mean of D(x) on real and of D(G(z)) on generated
        images (seen by the discriminator step).
    """
    from .torch import _as_tensor, _minmax, device, set_seed

    if not isinstance(gan, GAN):
        raise ValueError(f"fit_gan: argument `gan` must be a GAN; got {type(gan).__name__}.")
    epochs = check.positive_int("fit_gan", "epochs", epochs)
    batch_size = check.positive_int("fit_gan", "batch_size", batch_size)
    lr = check.positive_float("fit_gan", "lr", lr)
    if not isinstance(non_saturating, bool):
        raise ValueError(
            f"fit_gan: argument `non_saturating` must be True or False; got {non_saturating!r}."
        )
    dev = device()
    gan.to(dev)
    x = _as_tensor("x_train", x_train).to(dev, torch.float32)
    check.flat_input("fit_gan", "x_train", tuple(x.shape), gan.input_dim)
    # The generator ends in a sigmoid: data outside [0, 1] could never be matched.
    check.unit_interval("fit_gan", "x_train", *_minmax(x))
    x = x.reshape(x.shape[0], gan.input_dim)
    set_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    n = x.shape[0]
    keys = ("d_loss", "g_loss", "d_real", "d_fake")
    history: dict[str, list[float]] = {k: [] for k in keys}
    bar = progress_bar(range(epochs), desc="GAN (torch)", disable=not progress)
    gan.train()
    for epoch_index in bar:
        perm = torch.randperm(n, generator=gen).to(dev)
        totals = torch.zeros(4, device=dev)
        for start in range(0, n, batch_size):
            xb = x[perm[start : start + batch_size]]
            z = torch.randn(xb.shape[0], gan.noise_dim, device=dev)
            fake = gan.generator(z)
            # Discriminator step; detach() keeps this step's gradient out of G.
            real_logits = gan.discriminator(xb).squeeze(1)
            fake_logits = gan.discriminator(fake.detach()).squeeze(1)
            d_loss = _discriminator_loss(real_logits, fake_logits)
            opt_d.zero_grad(set_to_none=True)
            d_loss.mean().backward()
            opt_d.step()
            # Generator step through the discriminator just updated.
            g_loss = _generator_loss(gan.discriminator(fake).squeeze(1), non_saturating)
            opt_g.zero_grad(set_to_none=True)
            g_loss.mean().backward()
            opt_g.step()
            with torch.no_grad():
                totals += torch.stack([
                    d_loss.sum(), g_loss.sum(),
                    torch.sigmoid(real_logits).sum(), torch.sigmoid(fake_logits).sum(),
                ])
        epoch = dict(zip(keys, (totals / n).tolist(), strict=True))
        if not (math.isfinite(epoch["d_loss"]) and math.isfinite(epoch["g_loss"])):
            raise FloatingPointError(
                f"fit_gan: the losses became {epoch['d_loss']}, {epoch['g_loss']} in epoch "
                f"{epoch_index + 1}; lower `lr`."
            )
        for key, val in epoch.items():
            history[key].append(val)
        bar.set_postfix(d_loss=f"{epoch['d_loss']:.3f}", g_loss=f"{epoch['g_loss']:.3f}")
        if callback is not None:
            gan.eval()
            callback(epoch_index + 1, gan)
            gan.train()
    gan.eval()
    return history
