"""What the framework tests share: the two packages by name, one way back to NumPy,
and a small binary data set a VAE learns in a few steps."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import torch

from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

FRAMEWORKS = {"torch": vbt, "tensorflow": vbtf}


def np_(t) -> np.ndarray:
    """A torch or TensorFlow tensor (or anything array-like) as a NumPy array."""
    if torch.is_tensor(t):
        return vbt.to_numpy(t)
    if tf.is_tensor(t) or isinstance(t, tf.Variable):
        return vbtf.to_numpy(t)
    return np.asarray(t)


def blobs(n: int = 400, seed: int = 0) -> np.ndarray:
    """Binary 6x6 images of two kinds (left or right half lit), with 5% pixel noise."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 6, 6), np.float32)
    kind = rng.integers(0, 2, n)
    x[kind == 0, :, :3] = 1.0
    x[kind == 1, :, 3:] = 1.0
    flip = rng.random(x.shape) < 0.05
    return np.where(flip, 1.0 - x, x).astype(np.float32)
