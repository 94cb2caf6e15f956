"""PyTorch utilities: the device, seeding, tensor conversion and checked inputs."""

from __future__ import annotations

import random

import numpy as np
import torch

from .. import _validate as check
from .._arrays import to_numpy
from .._docs import documented

__all__ = ["device", "set_seed", "to_tensor", "to_numpy"]

@documented("device")
def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@documented("set_seed")
def set_seed(seed: int) -> None:
    seed = check.seed("set_seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


@documented("to_tensor")
def to_tensor(x, dtype=torch.float32) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=dtype).to(
        device()
    )


def generator(seed: int | None, func: str) -> torch.Generator | None:
    """A CPU ``torch.Generator`` seeded with ``seed`` (None: use the global stream)."""
    seed = check.seed(func, seed, allow_none=True)
    return None if seed is None else torch.Generator(device="cpu").manual_seed(seed)


def randn(shape, seed: int | None, func: str, like: torch.Tensor | None = None) -> torch.Tensor:
    """Standard-normal noise of ``shape``, from ``seed`` (drawn on the CPU, so the same
    seed gives the same numbers on a GPU), on the device and dtype of ``like``."""
    z = torch.randn(*shape, generator=generator(seed, func), device="cpu")
    if like is not None:
        z = z.to(device=like.device, dtype=like.dtype)
    return z


def sum_non_batch(t: torch.Tensor) -> torch.Tensor:
    """(B, ...) -> (B,): sum over every dimension but the first."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def minmax(t: torch.Tensor) -> tuple[float, float]:
    t = t.detach()
    return float(t.min()), float(t.max())


def tensor(func: str, name: str, value, like: torch.Tensor | None = None,
           finite: bool = True) -> torch.Tensor:
    """``value`` as a floating tensor (of ``like``'s dtype and device, when given), checked.

    Raises ``ValueError`` naming ``func`` and ``name`` if it holds NaN or inf (unless
    ``finite=False``). Mixed precision is resolved by casting to ``like``'s dtype.
    """
    if torch.is_tensor(value):
        t = value
        if like is not None and (t.dtype != like.dtype or t.device != like.device):
            t = t.to(device=like.device, dtype=like.dtype)
        elif not t.is_floating_point():
            t = t.float()
    elif like is not None:
        t = torch.as_tensor(np.asarray(value), dtype=like.dtype, device=like.device)
    else:
        t = torch.as_tensor(np.asarray(value, dtype=np.float32))
    if finite and t.numel():
        check.finite_range(func, name, *minmax(t))
    return t
