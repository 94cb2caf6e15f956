"""Units of a log-likelihood, and dequantisation, framework-free (NumPy).

Papers on images report a negative log-likelihood either in nats per image (binary
MNIST: Burda et al. 2016) or in bits per dimension (grey or colour images), and the
second only means something for a discrete likelihood. A density p(y) on ``[0, 1]**D``
can grow without bound on data that sits on a grid of pixel levels; adding uniform
noise inside each level's bin (dequantisation, Theis et al. 2016; Uria et al. 2013)
makes the data continuous, and then

    log P(x) >= E_u[ log p((x + u) / L) ] - D log L,    u ~ U[0, 1)^D,

for pixels x in {0, ..., L - 1} (Jensen's inequality on the bin's probability):
the density's log-likelihood minus D log L bounds the discrete one from below.

Chapter 8 introduces these helpers.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["bits_per_dim", "dequantize", "discrete_nll"]


def _number(func: str, name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{func}: argument `{name}` must be an integer >= {minimum}; "
                         f"got {value!r}.")
    return int(value)


def bits_per_dim(nll_nats, n_dims: int):
    """A negative log-likelihood in nats per example, as bits per dimension.

    ``nll / (D log 2)``: divide by log 2 for bits, by D for "per dimension". Burda et
    al.'s 86.76 nats on 784 binary pixels are 0.160 bits/dim.

    Args:
        nll_nats: -log p(x) per example, in nats (a number or an array).
        n_dims: D, the number of dimensions (pixels times channels).

    Returns:
        A float or an array of the shape of ``nll_nats``.
    """
    n_dims = _number("bits_per_dim", "n_dims", n_dims, 1)
    nll = np.asarray(nll_nats, dtype=np.float64)
    if not np.isfinite(nll).all():
        raise ValueError("bits_per_dim: argument `nll_nats` must be finite (NaN or inf found).")
    out = nll / (n_dims * math.log(2.0))
    return float(out) if out.ndim == 0 else out


def dequantize(x, levels: int, seed: int = 0) -> np.ndarray:
    """Uniform dequantisation: data on L levels in [0, 1] -> continuous values in [0, 1).

    A pixel stored as ``i / (L - 1)`` (i in 0 .. L-1; the book's data sets) becomes
    ``(i + u) / L`` with u ~ U[0, 1): each level fills its own bin of width 1/L.

    Args:
        x: data whose values are ``i / (L - 1)``, any shape.
        levels: L, the number of levels (256 for 8-bit images, 17 for ``"digits"``).
        seed: seeds the noise.

    Returns:
        A float32 array of the shape of ``x``, in [0, 1).

    Raises:
        ValueError: if ``x`` is outside [0, 1] or not on the L-level grid.
    """
    levels = _number("dequantize", "levels", levels, 2)
    x = np.asarray(x, dtype=np.float64)
    i = np.rint(x * (levels - 1))
    if x.size and (x.min() < 0 or x.max() > 1 or np.abs(x * (levels - 1) - i).max() > 1e-3):
        raise ValueError(f"dequantize: argument `x` must hold levels i / {levels - 1} in [0, 1] "
                         f"(i = 0 .. {levels - 1}); got values off that grid.")
    u = np.random.default_rng(seed).random(x.shape)
    # float32 rounding may carry (i + u) / L up to exactly 1; keep the interval half-open.
    y = ((i + u) / levels).astype(np.float32)
    return np.minimum(y, np.float32(1.0) - np.finfo(np.float32).epsneg)


def discrete_nll(density_nll_nats, n_dims: int, levels: int):
    """-log P(x) of the pixel levels from a density's -log p(y) on the dequantised data.

    ``-log p(y) + D log L``: an upper bound on the discrete negative log-likelihood
    (see the module docstring), in nats. The density's number alone is not a
    likelihood of the images; this one is (with ``bits_per_dim`` for bits/dim).

    Args:
        density_nll_nats: -log p(y) per example for y = :func:`dequantize` (x), in nats.
        n_dims: D.
        levels: L.

    Returns:
        A float or an array of the shape of ``density_nll_nats``, in nats.
    """
    n_dims = _number("discrete_nll", "n_dims", n_dims, 1)
    levels = _number("discrete_nll", "levels", levels, 2)
    nll = np.asarray(density_nll_nats, dtype=np.float64)
    if not np.isfinite(nll).all():
        raise ValueError("discrete_nll: argument `density_nll_nats` must be finite.")
    out = nll + n_dims * math.log(levels)
    return float(out) if out.ndim == 0 else out
