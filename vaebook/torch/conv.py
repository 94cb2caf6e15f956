"""Convolutional models in PyTorch: the contract of the MLP ones, conv networks inside.

Each network keeps the flat interface of the MLP ones ((B, D) in, (B, D) out) and
reshapes to images internally, so ``fit``, ``iwae_bound`` and ``fit_gan`` need nothing
new. The layers are the same as in :mod:`vaebook.tensorflow.conv` (4x4 kernels,
stride 2, padding 1 here and "same" there, which pad alike), so weights carry over.
"""

from __future__ import annotations

from torch import nn

from .. import _validate as check
from .._docs import documented
from .gan import _LEAK, GAN
from .models import VAE, Autoencoder

__all__ = ["ConvAutoencoder", "ConvVAE", "ConvGAN", "conv_encoder", "conv_decoder"]


def _sizes(shape, channels, cls: str):
    c1, c2 = check.channels(cls, channels)
    h, w = shape
    return c1, c2, h // 4, w // 4


# BatchNorm as in vaebook.tensorflow.conv: PyTorch's momentum 0.1 weighs the new batch
# as Keras' momentum 0.9 does (Keras keeps 0.9 of the old statistics).
_BN_EPS, _BN_MOMENTUM = 1e-5, 0.1


def conv_encoder(shape, channels, out_dim: int, leak: float = 0.0) -> nn.Sequential:
    """(B, h*w) -> (B, out_dim): two stride-2 convolutions (h -> h/4), then a linear layer."""
    c1, c2, h4, w4 = _sizes(shape, channels, "conv_encoder")
    act = (lambda: nn.LeakyReLU(leak)) if leak else nn.ReLU
    return nn.Sequential(
        nn.Unflatten(1, (1, *shape)),
        nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),
        nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),
        nn.Flatten(),
        nn.Linear(c2 * h4 * w4, out_dim),
    )


def conv_decoder(shape, channels, in_dim: int, sigmoid: bool = False,
                 batch_norm: bool = False) -> nn.Sequential:
    """(B, in_dim) -> (B, h*w): a linear layer to (c2, h/4, w/4), two transposed convolutions.

    With `batch_norm`, BatchNorm before each ReLU: per unit after the linear layer, per
    channel after the first transposed convolution, as in Radford et al.'s (2016) MNIST
    DCGAN (ConvGAN's generator)."""
    c1, c2, h4, w4 = _sizes(shape, channels, "conv_decoder")

    def norm(kind, n: int) -> list:
        return [kind(n, eps=_BN_EPS, momentum=_BN_MOMENTUM)] if batch_norm else []

    layers = [
        nn.Linear(in_dim, c2 * h4 * w4), *norm(nn.BatchNorm1d, c2 * h4 * w4), nn.ReLU(),
        nn.Unflatten(1, (c2, h4, w4)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), *norm(nn.BatchNorm2d, c1),
        nn.ReLU(),
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
        nn.Flatten(),
    ]
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def _glorot_init(*nets: nn.Module) -> None:
    """Glorot-uniform weights, zero biases: Keras' defaults, so that both frameworks'
    conv VAEs start from the same distribution. PyTorch's default (U(+-1/sqrt(fan_in))
    weights and biases) trained a conv VAE about 2 nats worse in the benchmark (issue 19).
    Glorot's bound depends on fan_in + fan_out only, so the transposed kernels' fans
    (counted the other way round in the two frameworks) give the same bound. ConvGAN
    keeps PyTorch's default."""
    for net in nets:
        for m in net.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)


@documented("ConvAutoencoder")
class ConvAutoencoder(Autoencoder):
    def __init__(self, input_dim=(28, 28), latent_dim=16, channels=(32, 64),
                 likelihood="bernoulli", obs_logvar=0.0):
        shape = check.image_shape("ConvAutoencoder", input_dim, 4)
        self.channels = check.channels("ConvAutoencoder", channels)
        super().__init__(
            shape, latent_dim, (), likelihood, obs_logvar,
            encoder=conv_encoder(shape, channels, check.positive_int(
                "ConvAutoencoder", "latent_dim", latent_dim)),
            decoder=conv_decoder(shape, channels, latent_dim),
        )
        _glorot_init(self.encoder, self.decoder)


@documented("ConvVAE")
class ConvVAE(VAE):
    def __init__(self, input_dim=(28, 28), latent_dim=16, channels=(32, 64),
                 likelihood="bernoulli", beta=1.0, obs_logvar=0.0, prior=None):
        shape = check.image_shape("ConvVAE", input_dim, 4)
        self.channels = check.channels("ConvVAE", channels)
        d = check.positive_int("ConvVAE", "latent_dim", latent_dim)
        super().__init__(
            shape, d, (), likelihood, beta, obs_logvar, prior,
            encoder=conv_encoder(shape, channels, 2 * d),
            decoder=conv_decoder(shape, channels, d),
        )
        _glorot_init(self.encoder, self.decoder)


@documented("ConvGAN")
class ConvGAN(GAN):
    def __init__(self, input_dim=(28, 28), noise_dim=32, channels=(32, 64),
                 batch_norm=True):
        self.channels = check.channels("ConvGAN", channels)
        check.image_shape("ConvGAN", input_dim, 4)
        self.batch_norm = check.boolean("ConvGAN", "batch_norm", batch_norm)
        super().__init__(input_dim, noise_dim, ())

    def _build(self) -> None:
        self.generator = conv_decoder(self.data_shape, self.channels, self.noise_dim,
                                      sigmoid=True, batch_norm=self.batch_norm)
        self.discriminator = conv_encoder(self.data_shape, self.channels, 1, leak=_LEAK)
