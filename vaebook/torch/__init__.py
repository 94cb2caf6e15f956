"""PyTorch half of ``vaebook``: losses, likelihoods and priors, models, evaluation, training.

The same public names, signatures and docstrings as :mod:`vaebook.tensorflow` (the
tests compare them); see ``vaebook.PUBLIC_API``. Every loss is per example: summed
over data (or latent) dimensions, never averaged over the batch, so a batch of B
examples gives a tensor of shape (B,) and the caller takes the mean.

Modules: ``losses`` (the per-example losses), ``distributions`` (likelihoods and
priors), ``models`` (MLP autoencoder and VAE), ``conv`` (conv models), ``gan``,
``evaluate`` (``iwae_bound``), ``iwae`` (training with the importance-weighted
bound), ``flows`` (planar flows, ``FlowVAE``), ``train`` (``fit``), ``tcvae`` (the KL
decomposition and the beta-TC-VAE), ``_util`` (device, seeds, tensors).
"""

from .._arrays import to_numpy
from ._util import device, set_seed, to_tensor
from .autoregressive import AutoregressiveVAE, free_bits_kl
from .conv import ConvAutoencoder, ConvGAN, ConvVAE
from .diffusion import DDPM
from .distributions import (
    Bernoulli,
    ContinuousBernoulli,
    Gaussian,
    MixturePrior,
    StandardNormal,
    VampPrior,
)
from .evaluate import iwae_bound
from .flows import FlowVAE, planar_flow
from .gan import GAN, discriminator_loss, fit_gan, generator_loss
from .hierarchical import TwoLevelVAE
from .iwae import importance_weights, iwae_loss, iwae_terms, log_importance_weights
from .losses import bernoulli_nll, gaussian_kl, gaussian_nll, reparameterize
from .models import VAE, Autoencoder
from .tcvae import BetaTCVAE, kl_decomposition
from .train import fit

# The same list as vaebook.PUBLIC_API (tests/test_api.py holds them equal).
__all__ = [
    "gaussian_kl", "bernoulli_nll", "gaussian_nll", "reparameterize", "Bernoulli",
    "Gaussian", "ContinuousBernoulli", "StandardNormal", "MixturePrior", "VampPrior",
    "Autoencoder", "VAE", "ConvAutoencoder", "ConvVAE", "iwae_bound", "fit", "GAN",
    "ConvGAN", "discriminator_loss", "generator_loss", "fit_gan", "TwoLevelVAE", "DDPM",
    "set_seed", "device", "to_tensor", "to_numpy", "kl_decomposition", "BetaTCVAE",
    "log_importance_weights", "iwae_loss", "importance_weights", "iwae_terms",
    "planar_flow", "FlowVAE", "AutoregressiveVAE", "free_bits_kl",
]
