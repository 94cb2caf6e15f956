"""vaebook: the helper package of the vaebook Jupyter Book.

``import vaebook`` imports neither PyTorch nor TensorFlow. Pick a framework
explicitly; both modules expose the same public names::

    from vaebook import torch as vbt        # PyTorch
    from vaebook import tensorflow as vbtf  # TensorFlow / Keras

Framework-free helpers live in :mod:`vaebook.data`, :mod:`vaebook.plotting`,
:mod:`vaebook.metrics`, :mod:`vaebook.disentanglement`, :mod:`vaebook.diffusion`,
:mod:`vaebook.toy` and :mod:`vaebook.exercises`.
"""

__version__ = "0.1.0"

# Names every framework module provides, with the same signatures and docstrings
# (tests/test_api.py holds both modules to this list).
PUBLIC_API = (
    "gaussian_kl", "bernoulli_nll", "gaussian_nll", "reparameterize",
    "Bernoulli", "Gaussian", "ContinuousBernoulli",
    "StandardNormal", "MixturePrior", "VampPrior",
    "Autoencoder", "VAE", "ConvAutoencoder", "ConvVAE",
    "iwae_bound", "fit",
    "GAN", "ConvGAN", "discriminator_loss", "generator_loss", "fit_gan",
    "TwoLevelVAE", "DDPM",
    "set_seed", "device", "to_tensor", "to_numpy",
    "kl_decomposition", "BetaTCVAE",
    "log_importance_weights", "iwae_loss", "importance_weights", "iwae_terms",
    "planar_flow", "FlowVAE",
    "AutoregressiveVAE", "free_bits_kl",
)
