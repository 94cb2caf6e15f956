"""GANs in PyTorch (Goodfellow et al., 2014): an MLP GAN, its per-example losses, and
the training loop that alternates the two players.

Losses are computed from the discriminator's logits ``s`` with ``D = sigmoid(s)``:
``-log D = softplus(-s)`` and ``-log(1 - D) = softplus(s)``, finite for any logit.
The generator returns images in [0, 1] (it ends in a sigmoid), in the shape given at
construction. The networks work on flat data, so :class:`~vaebook.torch.ConvGAN` only
swaps them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import _validate as check
from .._docs import documented
from .._progress import progress_bar
from ._util import device, minmax, randn, set_seed, tensor

__all__ = ["GAN", "discriminator_loss", "generator_loss", "fit_gan"]

_LEAK = 0.2  # LeakyReLU slope: keeps gradients flowing through D to G where units are off


def leaky_mlp(sizes: list[int]) -> list[nn.Module]:
    """Linear layers with LeakyReLU(0.2) between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(_LEAK))
    return layers


@documented("GAN")
class GAN(nn.Module):
    def __init__(self, input_dim, noise_dim, hidden_dims=(256, 128)):
        super().__init__()
        self.data_shape, self.hidden_dims = check.model_args("GAN", input_dim, noise_dim,
                                                             hidden_dims, latent_name="noise_dim")
        self.input_dim = math.prod(self.data_shape)
        self.noise_dim = int(noise_dim)
        self._build()

    def _build(self) -> None:
        h = list(self.hidden_dims)
        self.generator = nn.Sequential(
            *leaky_mlp([self.noise_dim, *reversed(h), self.input_dim]), nn.Sigmoid())
        self.discriminator = nn.Sequential(*leaky_mlp([self.input_dim, *h, 1]))

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        n = check.positive_int(f"{type(self).__name__}.noise", "n", n)
        return randn((n, self.noise_dim), seed, f"{type(self).__name__}.noise").to(self._device())

    def decode(self, z) -> torch.Tensor:
        name = f"{type(self).__name__}.decode"
        z = tensor(name, "z", z).to(self._device())
        check.flat_input(name, "z", tuple(z.shape), self.noise_dim)
        # Inference mode, as in TensorFlow: BatchNorm's running statistics, so an image
        # does not depend on the rest of the batch (fit_gan trains in training mode).
        mode = self.generator.training
        self.generator.eval()
        try:
            out = self.generator(z)
        finally:
            self.generator.train(mode)
        return out.reshape(z.shape[0], *self.data_shape)

    def discriminate(self, x) -> torch.Tensor:
        name = f"{type(self).__name__}.discriminate"
        x = tensor(name, "x", x).to(self._device(), torch.float32)
        check.flat_input(name, "x", tuple(x.shape), self.input_dim)
        return self.discriminator(x.reshape(x.shape[0], self.input_dim)).squeeze(1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None) -> torch.Tensor:
        return self.decode(self.noise(n, seed))


def _discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    # -log D(x) - log(1 - D(G(z))) = softplus(-s_real) + softplus(s_fake)
    return F.softplus(-real_logits) + F.softplus(fake_logits)


def _generator_loss(fake_logits: torch.Tensor, non_saturating: bool) -> torch.Tensor:
    if non_saturating:
        return F.softplus(-fake_logits)  # -log D(G(z))
    return -F.softplus(fake_logits)  # log(1 - D(G(z))), the minimax game's own term


def _logits(func: str, name: str, value) -> torch.Tensor:
    t = tensor(func, name, value)
    if t.dim() != 1:
        raise ValueError(
            f"{func}: argument `{name}` must be discriminator logits of shape (batch,); "
            f"got shape {tuple(t.shape)}."
        )
    return t


@documented("discriminator_loss")
def discriminator_loss(real_logits, fake_logits) -> torch.Tensor:
    real_logits = _logits("discriminator_loss", "real_logits", real_logits)
    fake_logits = _logits("discriminator_loss", "fake_logits", fake_logits)
    check.same_shape(
        "discriminator_loss", "fake_logits", fake_logits.shape, "real_logits", real_logits.shape
    )
    return _discriminator_loss(real_logits, fake_logits)


@documented("generator_loss")
def generator_loss(fake_logits, non_saturating: bool = True) -> torch.Tensor:
    fake_logits = _logits("generator_loss", "fake_logits", fake_logits)
    check.boolean("generator_loss", "non_saturating", non_saturating)
    return _generator_loss(fake_logits, non_saturating)


@documented("fit_gan")
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
    if not isinstance(gan, GAN):
        raise ValueError(f"fit_gan: argument `gan` must be a GAN; got {type(gan).__name__}.")
    epochs, batch_size, lr, seed = check.training_args("fit_gan", epochs, batch_size, lr, seed)
    check.boolean("fit_gan", "non_saturating", non_saturating)
    dev = device()
    gan.to(dev)
    x = tensor("fit_gan", "x_train", x_train).to(dev, torch.float32)
    check.flat_input("fit_gan", "x_train", tuple(x.shape), gan.input_dim)
    check.non_empty("fit_gan", "x_train", x.shape)
    # The generator ends in a sigmoid: data outside [0, 1] could never be matched.
    check.unit_interval("fit_gan", "x_train", *minmax(x))
    x = x.reshape(x.shape[0], gan.input_dim)
    set_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    n = x.shape[0]
    check.batch_norm_batches("fit_gan", gan, int(n), batch_size)
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
