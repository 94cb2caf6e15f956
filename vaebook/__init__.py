"""vaebook: the helper package of the vaebook Jupyter Book.

``import vaebook`` imports neither PyTorch nor TensorFlow. Pick a framework
explicitly; both modules expose the same public names::

    from vaebook import torch as vbt        # PyTorch
    from vaebook import tensorflow as vbtf  # TensorFlow / Keras

Framework-free helpers live in :mod:`vaebook.data`, :mod:`vaebook.plotting`
and :mod:`vaebook.exercises`.
"""

__version__ = "0.1.0"

# Names every framework module provides (tests/test_api.py holds both to it).
PUBLIC_API = (
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
)
