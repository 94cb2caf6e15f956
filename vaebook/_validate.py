"""Framework-free argument checks shared by ``vaebook.torch`` and ``vaebook.tensorflow``.

Every message names the function, the argument, what was expected and what came,
so that a reader's mistake is caught where it is made instead of showing up later
as a NaN or a broadcasting surprise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _shape(shape: Sequence[int | None]) -> tuple[int | None, ...]:
    # None marks a dimension unknown until run time (a traced TensorFlow batch).
    return tuple(None if s is None else int(s) for s in shape)


def same_shape(func: str, name: str, shape, ref_name: str, ref_shape) -> None:
    """Raise ``ValueError`` unless ``shape == ref_shape``."""
    shape, ref_shape = _shape(shape), _shape(ref_shape)
    if shape != ref_shape:
        raise ValueError(
            f"{func}: argument `{name}` must have the same shape as `{ref_name}`; "
            f"expected {ref_shape}, got {shape}."
        )


def broadcastable(func: str, name: str, shape, ref_name: str, ref_shape) -> None:
    """Raise ``ValueError`` unless ``shape`` broadcasts to ``ref_shape`` without growing it."""
    shape, ref_shape = _shape(shape), _shape(ref_shape)
    ok = len(shape) <= len(ref_shape) and all(
        s in (1, r) for s, r in zip(reversed(shape), reversed(ref_shape), strict=False)
    )
    if not ok:
        raise ValueError(
            f"{func}: argument `{name}` must be a scalar or broadcast to the shape of "
            f"`{ref_name}` {ref_shape}; got shape {shape}."
        )


def batched(func: str, name: str, shape, what: str = "(batch, ...)") -> None:
    """Raise ``ValueError`` unless the tensor has a batch dimension and at least one more."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(
            f"{func}: argument `{name}` must have shape {what} with a leading batch "
            f"dimension; got shape {shape}."
        )


def finite_range(func: str, name: str, lo: float, hi: float) -> None:
    """Raise ``ValueError`` if a tensor's min ``lo`` or max ``hi`` is NaN or infinite."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(
            f"{func}: argument `{name}` must be finite; got values in [{lo}, {hi}] "
            "(NaN or inf)."
        )


def unit_interval(func: str, name: str, lo: float, hi: float) -> None:
    """Raise ``ValueError`` unless ``0 <= lo <= hi <= 1`` (Bernoulli targets)."""
    finite_range(func, name, lo, hi)
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{func}: argument `{name}` must hold Bernoulli targets in [0, 1]; "
            f"got values in [{lo:.4g}, {hi:.4g}]. Scale the data to [0, 1] first "
            "(e.g. divide 8-bit pixels by 255)."
        )


def flat_input(func: str, name: str, shape, input_dim: int) -> None:
    """Raise ``ValueError`` unless ``shape`` is (batch, ...) with ``input_dim`` features."""
    shape = _shape(shape)
    if len(shape) >= 2 and None in shape[1:]:
        return  # feature sizes unknown while tracing; checked again eagerly
    if len(shape) < 2 or math.prod(shape[1:]) != input_dim:
        raise ValueError(
            f"{func}: argument `{name}` must have shape (batch, {input_dim}) or "
            f"(batch, h, w) with h*w = {input_dim}; got shape {shape}."
        )


def positive_int(func: str, name: str, value) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{func}: argument `{name}` must be a positive integer; got {value!r}.")
    return value


def positive_float(func: str, name: str, value) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it is finite and > 0."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{func}: argument `{name}` must be a positive number; got {value!r}."
        ) from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{func}: argument `{name}` must be a positive number; got {value!r}.")
    return value


def input_shape(func: str, input_dim) -> tuple[int, ...]:
    """Normalise a model's ``input_dim`` (an int, or an image shape such as (28, 28))."""
    dims = (input_dim,) if isinstance(input_dim, int) else tuple(input_dim)
    if not dims or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
        raise ValueError(
            f"{func}: argument `input_dim` must be a positive int or a shape such as "
            f"(28, 28); got {input_dim!r}."
        )
    return dims
