"""Convolutional models in TensorFlow: the contract of the MLP ones, conv networks inside.

The same layers as :mod:`vaebook.torch.conv` (4x4 kernels, stride 2, "same" padding,
which pads like PyTorch's padding 1), so weights carry over; only the order of a
feature map's axes differs (channels last here). The autoencoder and the VAE keep Keras'
default initialisation (Glorot-uniform weights, zero biases), which the PyTorch ones copy.
"""

from __future__ import annotations

from .. import _validate as check
from .._docs import documented
from ._util import keras
from .gan import _LEAK, GAN
from .models import VAE, Autoencoder

__all__ = ["ConvAutoencoder", "ConvVAE", "ConvGAN", "conv_encoder", "conv_decoder"]


def _sizes(shape, channels, cls: str):
    c1, c2 = check.channels(cls, channels)
    h, w = shape
    return c1, c2, h // 4, w // 4


# BatchNorm as in vaebook.torch.conv: Keras' momentum 0.9 keeps 0.9 of the old
# statistics, as PyTorch's momentum 0.1 does; the same eps.
_BN_EPS, _BN_MOMENTUM = 1e-5, 0.9


def conv_encoder(shape, channels, out_dim: int, leak: float = 0.0,
                 name: str = "encoder") -> keras.Sequential:
    """(B, h*w) -> (B, out_dim): two stride-2 convolutions (h -> h/4), then a dense layer."""
    c1, c2, _, _ = _sizes(shape, channels, "conv_encoder")
    act = (lambda: keras.layers.LeakyReLU(negative_slope=leak)) if leak else (
        lambda: keras.layers.ReLU())
    net = keras.Sequential([
        keras.layers.Reshape((*shape, 1)),
        keras.layers.Conv2D(c1, 4, strides=2, padding="same"), act(),
        keras.layers.Conv2D(c2, 4, strides=2, padding="same"), act(),
        keras.layers.Flatten(),
        keras.layers.Dense(out_dim),
    ], name=name)
    net.build((None, shape[0] * shape[1]))
    return net


def conv_decoder(shape, channels, in_dim: int, sigmoid: bool = False,
                 name: str = "decoder", batch_norm: bool = False) -> keras.Sequential:
    """(B, in_dim) -> (B, h*w): a dense layer to (h/4, w/4, c2), two transposed convolutions.

    With `batch_norm`, BatchNorm before each ReLU: per unit after the dense layer, per
    channel after the first transposed convolution, as in Radford et al.'s (2016) MNIST
    DCGAN (ConvGAN's generator)."""
    c1, c2, h4, w4 = _sizes(shape, channels, "conv_decoder")
    # Without batch_norm the ReLU stays inside the layer, so the layers (and their
    # indices) are those of the conv VAE's decoder.
    act = None if batch_norm else "relu"

    def norm_relu() -> list:
        if not batch_norm:
            return []
        return [keras.layers.BatchNormalization(momentum=_BN_MOMENTUM, epsilon=_BN_EPS),
                keras.layers.ReLU()]

    layers = [
        keras.layers.Dense(c2 * h4 * w4, activation=act), *norm_relu(),
        keras.layers.Reshape((h4, w4, c2)),
        keras.layers.Conv2DTranspose(c1, 4, strides=2, padding="same", activation=act),
        *norm_relu(),
        keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same"),
        keras.layers.Flatten(),
    ]
    if sigmoid:
        layers.append(keras.layers.Activation("sigmoid"))
    net = keras.Sequential(layers, name=name)
    net.build((None, in_dim))
    return net


@documented("ConvAutoencoder")
class ConvAutoencoder(Autoencoder):
    def __init__(self, input_dim=(28, 28), latent_dim=16, channels=(32, 64),
                 likelihood="bernoulli", obs_logvar=0.0):
        shape = check.image_shape("ConvAutoencoder", input_dim, 4)
        channels = check.channels("ConvAutoencoder", channels)
        d = check.positive_int("ConvAutoencoder", "latent_dim", latent_dim)
        super().__init__(shape, d, (), likelihood, obs_logvar,
                         encoder=conv_encoder(shape, channels, d),
                         decoder=conv_decoder(shape, channels, d))
        self.channels = channels


@documented("ConvVAE")
class ConvVAE(VAE):
    def __init__(self, input_dim=(28, 28), latent_dim=16, channels=(32, 64),
                 likelihood="bernoulli", beta=1.0, obs_logvar=0.0, prior=None):
        shape = check.image_shape("ConvVAE", input_dim, 4)
        channels = check.channels("ConvVAE", channels)
        d = check.positive_int("ConvVAE", "latent_dim", latent_dim)
        super().__init__(shape, d, (), likelihood, beta, obs_logvar, prior,
                         encoder=conv_encoder(shape, channels, 2 * d),
                         decoder=conv_decoder(shape, channels, d))
        self.channels = channels


@documented("ConvGAN")
class ConvGAN(GAN):
    def __init__(self, input_dim=(28, 28), noise_dim=32, channels=(32, 64),
                 batch_norm=True):
        check.image_shape("ConvGAN", input_dim, 4)
        self._channels = check.channels("ConvGAN", channels)
        self._batch_norm = check.boolean("ConvGAN", "batch_norm", batch_norm)
        super().__init__(input_dim, noise_dim, ())
        self.channels = self._channels
        self.batch_norm = self._batch_norm

    def _build(self) -> None:
        self.generator = conv_decoder(self.data_shape, self._channels, self.noise_dim,
                                      sigmoid=True, name="generator",
                                      batch_norm=self._batch_norm)
        self.discriminator = conv_encoder(self.data_shape, self._channels, 1, leak=_LEAK,
                                          name="discriminator")
