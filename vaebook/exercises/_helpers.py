"""Builders the chapters' exercise modules share: test inputs and NumPy references."""

from __future__ import annotations

import numpy as np


def normal_sampler(seed: int):
    """``draw(*shape, scale=1.0)``: float32 standard-normal arrays from one seeded stream."""
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=1.0):
        return (scale * rng.standard_normal(shape)).astype(np.float32)

    return draw


def as_float32(a) -> np.ndarray:
    """Round to float32 and back: the values the reader's tensors will hold."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps, in float64 (the reference of chapter 4's trick)."""
    mu, logvar, eps = (np.asarray(a, np.float64) for a in (mu, logvar, eps))
    return mu + np.exp(0.5 * logvar) * eps


def bce_with_logits(logits, x):
    """-log Bernoulli(x; sigmoid(l)) elementwise, stable: max(l, 0) - l x + log(1 + e^-|l|)."""
    logits, x = np.asarray(logits, np.float64), np.asarray(x, np.float64)
    return np.maximum(logits, 0.0) - logits * x + np.log1p(np.exp(-np.abs(logits)))


def with_mistake(code: str, old: str, new: str) -> str:
    """``code`` with one mistake put in: ``old`` replaced by ``new`` (``old`` must be there)."""
    if old not in code:
        raise ValueError(f"with_mistake: the line to change, {old!r}, is not in the code")
    return code.replace(old, new)
