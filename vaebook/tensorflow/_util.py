"""TensorFlow utilities: the device, seeding, tensor conversion and checked inputs."""

from __future__ import annotations

import numpy as np

from .. import _validate as check
from .._docs import documented
from .._quiet_tensorflow import import_tensorflow

tf = import_tensorflow()  # without its start-up log lines (see vaebook._quiet_tensorflow)
keras = tf.keras

__all__ = ["device", "set_seed", "to_tensor"]


@documented("device")
def device() -> str:
    return "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"


@documented("set_seed")
def set_seed(seed: int) -> None:
    seed = check.seed("set_seed", seed)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


@documented("to_tensor")
def to_tensor(x, dtype=tf.float32) -> tf.Tensor:
    with tf.device(device()):
        return tf.identity(tf.convert_to_tensor(x, dtype=dtype))


def normal(shape, seed: int | None, func: str, dtype=tf.float32) -> tf.Tensor:
    """Standard-normal noise of ``shape``: stateless from ``seed``, or the global stream."""
    seed = check.seed(func, seed, allow_none=True)
    if seed is None:
        return tf.random.normal(shape, dtype=dtype)
    return tf.random.stateless_normal(shape, seed=[seed, 0], dtype=dtype)


def uniform(shape, seed: int | None, func: str, dtype=tf.float32) -> tf.Tensor:
    """Uniform noise on [0, 1) of ``shape``: stateless from ``seed``, or the global stream."""
    seed = check.seed(func, seed, allow_none=True)
    if seed is None:
        return tf.random.uniform(shape, dtype=dtype)
    return tf.random.stateless_uniform(shape, seed=[seed, 0], dtype=dtype)


def sum_non_batch(t: tf.Tensor) -> tf.Tensor:
    """(B, ...) -> (B,): sum over every dimension but the first."""
    return tf.reduce_sum(tf.reshape(t, [tf.shape(t)[0], -1]), axis=1)


def minmax(t: tf.Tensor) -> tuple[float, float]:
    return float(tf.reduce_min(t)), float(tf.reduce_max(t))


def eager() -> bool:
    """Whether values can be read back (not while a ``tf.function`` is being traced)."""
    return tf.executing_eagerly()


def tensor(func: str, name: str, value, like: tf.Tensor | None = None,
           finite: bool = True) -> tf.Tensor:
    """``value`` as a floating tensor (of ``like``'s dtype, when given), checked.

    Raises ``ValueError`` naming ``func`` and ``name`` if it holds NaN or inf (unless
    ``finite=False``; the check runs eagerly only). Mixed precision is resolved by
    casting to ``like``'s dtype.
    """
    if isinstance(value, tf.Tensor | tf.Variable):
        t = tf.convert_to_tensor(value)
        if like is not None and t.dtype != like.dtype:
            t = tf.cast(t, like.dtype)
        elif not t.dtype.is_floating:
            t = tf.cast(t, tf.float32)
    else:
        dtype = like.dtype if like is not None else tf.float32
        t = tf.convert_to_tensor(np.asarray(value), dtype=dtype)
    if finite and eager() and t.shape.num_elements():
        check.finite_range(func, name, *minmax(t))
    return t
