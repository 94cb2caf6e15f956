"""Framework-free argument checks shared by ``vaebook.torch`` and ``vaebook.tensorflow``.

Every message names the function, the argument, what was expected and what came,
so that a reader's mistake is caught where it is made instead of showing up later
as a NaN or a broadcasting surprise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._arrays import to_numpy


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


def unit_interval(func: str, name: str, lo: float, hi: float,
                  what: str = "Bernoulli targets") -> None:
    """Raise ``ValueError`` unless ``0 <= lo <= hi <= 1`` (Bernoulli targets)."""
    finite_range(func, name, lo, hi)
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{func}: argument `{name}` must hold {what} in [0, 1]; "
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


def non_negative_int(func: str, name: str, value) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"{func}: argument `{name}` must be a non-negative integer; got {value!r}.")
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


def finite_number(func: str, name: str, value) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it is a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(f"{func}: argument `{name}` must be a finite number; got {value!r}.")
    return number


def input_shape(func: str, input_dim) -> tuple[int, ...]:
    """Normalise a model's ``input_dim`` (an int, or an image shape such as (28, 28))."""
    dims = (input_dim,) if isinstance(input_dim, int) else tuple(input_dim)
    if not dims or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
        raise ValueError(
            f"{func}: argument `input_dim` must be a positive int or a shape such as "
            f"(28, 28); got {input_dim!r}."
        )
    return dims


def seed(func: str, value, name: str = "seed", allow_none: bool = False) -> int | None:
    """Return ``value`` as an int seed in [0, 2**32), or raise ``ValueError``.

    NumPy, PyTorch and TensorFlow all accept such a seed; a negative or float one is
    refused by some of them with an unrelated message, so it is refused here first.
    """
    if value is None and allow_none:
        return None
    ok = (isinstance(value, int) and not isinstance(value, bool)) or (
        hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0 and value.dtype.kind in "iu")
    if not ok or not 0 <= int(value) < 2**32:
        expected = "an integer in [0, 2**32)" + (" or None" if allow_none else "")
        raise ValueError(f"{func}: argument `{name}` must be {expected}; got {value!r}.")
    return int(value)


def non_empty(func: str, name: str, shape) -> None:
    """Raise ``ValueError`` if the batch dimension of ``shape`` is 0."""
    shape = _shape(shape)
    if shape and shape[0] == 0:
        raise ValueError(
            f"{func}: argument `{name}` must hold at least one example; got shape {shape}."
        )


def model_args(cls: str, input_dim, latent_dim, hidden_dims, latent_name: str = "latent_dim"
               ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The data shape and hidden widths of a model, checked: ``(data_shape, hidden_dims)``."""
    shape = input_shape(cls, input_dim)
    positive_int(cls, latent_name, latent_dim)
    try:
        hidden = tuple(hidden_dims)
    except TypeError:
        raise ValueError(
            f"{cls}: argument `hidden_dims` must be a sequence of positive integers; "
            f"got {hidden_dims!r}."
        ) from None
    for h in hidden:
        positive_int(cls, "hidden_dims", h)
    return shape, hidden


def image_shape(cls: str, input_dim, divisor: int) -> tuple[int, int]:
    """An (h, w) image shape whose sides ``divisor`` divides (a conv net halves them twice)."""
    shape = input_shape(cls, input_dim)
    if len(shape) != 2 or shape[0] % divisor or shape[1] % divisor:
        raise ValueError(
            f"{cls}: argument `input_dim` must be an image shape (h, w) with h and w "
            f"divisible by {divisor}, such as (28, 28); got {input_dim!r}."
        )
    return shape


def one_of(func: str, name: str, value, allowed) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{func}: argument `{name}` must be one of {tuple(allowed)}; got {value!r}.")


def boolean(func: str, name: str, value) -> bool:
    """Return ``value`` or raise ``ValueError`` unless it is True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{func}: argument `{name}` must be True or False; got {value!r}.")
    return value


def batch_norm_batches(func: str, model, n: int, batch_size: int) -> None:
    """Raise unless every batch of ``n`` examples holds two or more, when ``model``
    normalises over its batches (a ConvGAN with ``batch_norm``): the statistics of a
    single example are undefined (PyTorch raises deep inside, Keras silently outputs
    the layer's offset)."""
    if getattr(model, "batch_norm", False) and n % batch_size == 1:
        raise ValueError(
            f"{func}: argument `batch_size` must leave no batch of one image when the "
            f"generator uses batch normalisation; got {n} images and batch_size="
            f"{batch_size}, so the last batch of each epoch holds one. Choose another "
            "batch_size, or drop or add an image."
        )


def channels(cls: str, value) -> tuple[int, int]:
    """A conv net's (c1, c2) channel counts, checked."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in pair):
        raise ValueError(
            f"{cls}: argument `channels` must be two positive integers (c1, c2); got {value!r}."
        )
    return pair


def paired(func: str, name: str, shape, other: str, other_shape,
           what: str = "(batch, ...)") -> None:
    """``name`` has a non-empty batch dimension and ``other`` has the same shape."""
    batched(func, name, shape, what)
    non_empty(func, name, shape)
    same_shape(func, other, other_shape, name, shape)


def training_args(func: str, epochs, batch_size, lr, seed_value) -> tuple[int, int, float, int]:
    """The arguments every training loop takes, checked: (epochs, batch_size, lr, seed)."""
    return (positive_int(func, "epochs", epochs), positive_int(func, "batch_size", batch_size),
            positive_float(func, "lr", lr), seed(func, seed_value))


def iwae_args(k, batch_size, chunk_size, seed_value) -> tuple[int, int, int | None, int | None]:
    """``iwae_bound``'s sampling arguments, checked: (k, batch_size, chunk_size, seed)."""
    k = positive_int("iwae_bound", "k", k)
    batch_size = positive_int("iwae_bound", "batch_size", batch_size)
    if chunk_size is not None:
        chunk_size = positive_int("iwae_bound", "chunk_size", chunk_size)
    return k, batch_size, chunk_size, seed("iwae_bound", seed_value, allow_none=True)


def log_weights(func: str, shape) -> None:
    """Log-weights have shape (k, B): k >= 1 samples (axis 0) of B >= 1 examples."""
    shape = _shape(shape)
    if len(shape) != 2 or 0 in shape:
        raise ValueError(
            f"{func}: argument `log_w` must have shape (k, batch), samples on axis 0, with "
            f"k >= 1 and batch >= 1; got shape {shape}."
        )


def posterior_noise(func: str, shape, mu_shape) -> None:
    """Base noise of a posterior sample: (B, d) or (k, B, d), for means of shape (B, d)."""
    shape, mu_shape = _shape(shape), _shape(mu_shape)
    tail = shape[-2:]
    known = all(s is not None for s in tail + mu_shape)  # unknown while tracing
    if len(shape) not in (2, 3) or (known and tail != mu_shape):
        raise ValueError(
            f"{func}: argument `eps` must have shape (batch, latent_dim) = {mu_shape} or "
            f"(k, batch, latent_dim); got shape {shape}."
        )


IWAE_OBJECTIVES = ("iwae", "vae")
"""What :func:`iwae_terms` trains: the bound L_k, or the mean of the k ELBO samples."""


def posterior(func: str, model, out):
    """``out = model.encode(x)`` as (mu, logvar), or an error for a model without a posterior."""
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise ValueError(
            f"{func}: argument `model` must have a posterior q(z|x): encode(x) returning "
            f"(mu, logvar), as a VAE does; {type(model).__name__}.encode returned a single "
            "tensor (a deterministic code has no likelihood bound)."
        )
    return out


def pseudo_input_logits(init, n_components: int, data_shape) -> np.ndarray:
    """``VampPrior(init=...)``'s images as the logits u of the pseudo-inputs sigmoid(u).

    ``init`` holds K images in [0, 1], shape (K, *data_shape) or (K, D); they are clipped
    to [1e-3, 1 - 1e-3] (a logit of 0 or 1 is infinite). Returns float32 (K, *data_shape).
    """
    a = np.asarray(to_numpy(init), dtype=np.float64)
    want = (n_components, *data_shape)
    if a.shape not in (want, (n_components, math.prod(data_shape))):
        raise ValueError(
            f"VampPrior: argument `init` must have shape {want} (n_components images of the "
            f"model's data shape); got shape {a.shape}."
        )
    unit_interval("VampPrior", "init", float(a.min()), float(a.max()), what="images")
    a = np.clip(a, 1e-3, 1.0 - 1e-3).reshape(want)
    return np.log(a / (1.0 - a)).astype(np.float32)


LIKELIHOODS = ("bernoulli", "gaussian", "continuous_bernoulli")
"""The likelihood names a model accepts (or a likelihood object)."""


class ModelSpec:
    """Framework-free part of every model's set-up: its shapes, sizes and fixed variance."""

    def _set_spec(self, input_dim, latent_dim, hidden_dims, obs_logvar) -> None:
        name = type(self).__name__
        self.data_shape, self.hidden_dims = model_args(name, input_dim, latent_dim, hidden_dims)
        self.input_dim = math.prod(self.data_shape)
        self.latent_dim = int(latent_dim)
        self.obs_logvar = finite_number(name, "obs_logvar", obs_logvar)
        # fit() checks the whole data set once and sets this, so that loss_terms does not
        # read values back from the device on every batch.
        self._data_checked = False


TC_ESTIMATORS = ("mss", "mws")
"""Estimators of the aggregate posterior q(z) in a minibatch: stratified or weighted sampling."""


def tc_args(func: str, batch: int | None, dataset_size, estimator) -> int | None:
    """``kl_decomposition``'s data-set size (None: the batch is the data set) and estimator."""
    one_of(func, "estimator", estimator, TC_ESTIMATORS)
    if dataset_size is None:
        return batch
    n = positive_int(func, "dataset_size", dataset_size)
    if batch is not None and n < batch:
        raise ValueError(
            f"{func}: argument `dataset_size` must be at least the batch size {batch} (a "
            f"batch is drawn from the data set); got {n}."
        )
    return n
def latent_pair(cls: str, value) -> tuple[int, int]:
    """A two-level model's latent sizes (d1, d2), checked: z1 next to the data, z2 on top."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or any(isinstance(d, bool) or not isinstance(d, int) or d < 1
                             for d in pair):
        raise ValueError(
            f"{cls}: argument `latent_dims` must be two positive integers (d1, d2), the sizes "
            f"of z1 and z2; got {value!r}."
        )
    return pair


def even_int(func: str, name: str, value) -> int:
    """Return ``value`` or raise ``ValueError`` unless it is a positive even integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 2 or value % 2:
        raise ValueError(f"{func}: argument `{name}` must be a positive even integer; "
                         f"got {value!r}.")
    return value


def diffusion_step(func: str, t, T: int) -> int:
    """One diffusion step t, an integer in [1, T] (a 0-d integer array is accepted)."""
    ok = (isinstance(t, int) and not isinstance(t, bool)) or (
        hasattr(t, "dtype") and getattr(t, "ndim", 1) == 0 and t.dtype.kind in "iu")
    if not ok or not 1 <= int(t) <= T:
        raise ValueError(f"{func}: argument `t` must be an integer step in [1, {T}]; got {t!r}.")
    return int(t)


def step_times(func: str, times, T: int) -> tuple[int, ...]:
    """Steps at which to keep a sampling chain's state: distinct integers in [1, T]."""
    try:
        ts = tuple(times)
    except TypeError:
        ts = None
    if ts is None or any(isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= T
                         for t in ts) or len(set(ts)) != len(ts):
        raise ValueError(f"{func}: argument `times` must be distinct integer steps in "
                         f"[1, {T}]; got {times!r}.")
    return ts


DDPM_LIKELIHOODS = ("bernoulli", "gaussian")
"""The decoders p(x_0 | x_1) a DDPM offers: binary data, or real-valued data."""

DDPM_LOSSES = ("simple", "elbo")
"""A DDPM's training losses: Ho et al.'s unweighted noise loss, or the weighted one (-ELBO)."""

DDPM_PARAMETERIZATIONS = ("noise", "binary_x0")
"""What a DDPM's network outputs: the noise itself, or (binary data) a correction to x_0's log-odds."""


def free_bits_args(func: str, mu_shape, logvar_shape, free_bits) -> float:
    """Check (mu, logvar) of shape (B, d) and a free-bits floor >= 0 (nats per dimension)."""
    mu_shape, logvar_shape = _shape(mu_shape), _shape(logvar_shape)
    if len(mu_shape) != 2 or mu_shape[0] == 0:
        raise ValueError(f"{func}: argument `mu` must have shape (B, d) with B >= 1; "
                         f"got shape {mu_shape}.")
    if logvar_shape != mu_shape:
        raise ValueError(f"{func}: argument `logvar` must have the shape of `mu` {mu_shape}; "
                         f"got shape {logvar_shape}.")
    try:
        value = float(free_bits)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(free_bits, bool) or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{func}: argument `free_bits` must be a non-negative number "
                         f"(nats per latent dimension); got {free_bits!r}.")
    return value


def kl_weight(func: str, value):
    """``None`` or a callable ``step -> weight``; raise ``ValueError`` otherwise."""
    if value is not None and not callable(value):
        raise ValueError(f"{func}: argument `kl_weight` must be None or a function of the "
                         f"step (0, 1, 2, ...) returning the KL weight; got {value!r}.")
    return value


def kl_weight_value(func: str, step: int, value) -> float:
    """The weight a ``kl_weight`` schedule gives at ``step``: a finite number >= 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{func}: argument `kl_weight` must return a non-negative number; "
                         f"at step {step} it returned {value!r}.")
    return number


def kl_terms(func: str, terms) -> None:
    """A ``kl_weight`` schedule needs the terms "reconstruction" and "kl"."""
    missing = [k for k in ("reconstruction", "kl") if k not in terms]
    if missing:
        raise ValueError(f"{func}: argument `kl_weight` needs loss terms with keys "
                         f"'reconstruction' and 'kl'; the model's terms lack {missing}.")
