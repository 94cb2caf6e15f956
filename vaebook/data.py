"""Data sets for the book, as NumPy arrays: images in [0, 1] and their labels.

One entry point, :func:`load_dataset`, serves six data sets:

- ``"digits"``: scikit-learn's handwritten digits, 8 x 8, 1438 train / 359 test;
  shipped with scikit-learn, no network.
- ``"font_digits"``: synthetic MNIST-like digits, 28 x 28 grey levels, rendered here
  from the fonts matplotlib ships (:mod:`vaebook.font_digits`), 10000 train / 2000
  test by default and as many as MNIST's 60000 / 10000 on request; no network.
- ``"shapes"``: squares, ellipses and triangles generated here (dSprites-style),
  28 x 28, binary, 6000 train / 1000 test by default; no network.
- ``"mnist"``, ``"fashion_mnist"``: 28 x 28, 60000 train / 10000 test; downloaded
  once with ``pooch``, checked against published MD5 checksums, and cached.
- ``"dsprites"``: Matthey et al.'s (2017) dSprites, 64 x 64, binary, every one of the
  737280 combinations of its five factors once; downloaded once (26 MB), checked
  against an MD5 checksum, and cached. 10 % is held out as a fixed test split.

The three offline data sets (:data:`OFFLINE_DATASETS`) are the defaults of every
chapter, so the book builds and runs with no network at all. ``binarize=True`` gives
a fixed Bernoulli draw of any of them (:func:`binarize`), the data on which a
Bernoulli decoder's log-likelihood is a log-likelihood.

Nothing here imports PyTorch or TensorFlow: the arrays go into either framework.
"""

from __future__ import annotations

import gzip
import operator
import os
import socket
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "DSPRITES_SHAPE_NAMES",
    "OFFLINE_DATASETS",
    "SHAPE_NAMES",
    "SPLITS",
    "DownloadError",
    "binarize",
    "cache_directory",
    "load_dataset",
    "make_shapes",
    "render_shapes",
    "rotation_phase",
]

DATASETS = ("digits", "font_digits", "shapes", "mnist", "fashion_mnist", "dsprites")
"""Every name :func:`load_dataset` accepts."""

OFFLINE_DATASETS = ("digits", "font_digits", "shapes")
"""The data sets that need no network (shipped with scikit-learn, or generated here)."""

SPLITS = ("train", "test")

SHAPE_NAMES = ("square", "ellipse", "triangle")
"""Names of the ``"shapes"`` classes; ``labels["shape"]`` indexes this tuple."""

DSPRITES_SHAPE_NAMES = ("square", "ellipse", "heart")
"""Names of the ``"dsprites"`` classes; ``labels["shape"]`` indexes this tuple."""

# The rotation after which each shape looks the same again, in radians, by class: the
# image determines the rotation only modulo this period (see rotation_phase).
_ROTATION_PERIODS = {
    "shapes": (np.pi / 2, np.pi, 2 * np.pi / 3),
    "dsprites": (np.pi / 2, np.pi, 2 * np.pi),
}

# Fraction of each digit class held out for the test split, and the seed of that
# split. The split is fixed once and for all (it does not follow `seed`), so that a
# test set never leaks into training when a reader changes the seed.
_DIGITS_TEST_FRACTION = 0.2
_SPLIT_SEED = 20240

# Geometry of the generated shapes, in pixels of a 28 x 28 image whose pixel (i, j)
# covers [j, j + 1] x [i, i + 1]. Every shape fits in a disc of radius
# `_MAX_RADIUS * scale` about its centre, and the centre stays in
# [_CENTRE_LO, _CENTRE_HI], so the shape never touches the outermost pixels.
_SHAPES_SIZE = 28
_MAX_RADIUS = 9.0
_MIN_SCALE, _MAX_SCALE = 0.5, 1.0
_CENTRE_LO = _MAX_RADIUS + 1.0
_CENTRE_HI = _SHAPES_SIZE - _MAX_RADIUS - 1.0
_SHAPES_DEFAULT_SIZE = {"train": 6000, "test": 1000}
_FONT_DIGITS_DEFAULT_SIZE = {"train": 10000, "test": 2000}
_FONT_DIGITS_VERSION = 1  # part of the cache file's name: bump it when the recipe changes
_DSPRITES_DEFAULT_SIZE = {"train": 10000, "test": 2000}
_DSPRITES_TEST_FRACTION = 0.1
_NPZ_CHUNK_ROWS = 8192  # dSprites images decompressed at once: 32 MB
_SHAPES_CHUNK = 2048  # images rendered at once: bounds memory for large n

# Seconds to wait for a name lookup or a stalled socket before calling the network
# absent. The tests lower it.
_TIMEOUT = 5.0

# The standard IDX files and their MD5 checksums, as published by the data sets'
# authors and listed in torchvision's `datasets/mnist.py`.
_REMOTE = {
    "mnist": {
        "base_url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "train": (
            ("train-images-idx3-ubyte.gz", "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            ("train-labels-idx1-ubyte.gz", "md5:d53e105ee54ea40749a09fcbcd1e9432"),
        ),
        "test": (
            ("t10k-images-idx3-ubyte.gz", "md5:9fb629c4189551a2d022fa330f9573f3"),
            ("t10k-labels-idx1-ubyte.gz", "md5:ec29112dd5afa0611ce80d1b7f02629c"),
        ),
    },
    "fashion_mnist": {
        "base_url": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "train": (
            ("train-images-idx3-ubyte.gz", "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("train-labels-idx1-ubyte.gz", "md5:25c81989df183df01b3e8a0aad5dffbe"),
        ),
        "test": (
            ("t10k-images-idx3-ubyte.gz", "md5:bef4ecab320f06d8554ea6380940ec79"),
            ("t10k-labels-idx1-ubyte.gz", "md5:bb300cfdad3c16e7a12a480ee83cd310"),
        ),
    },
    # One archive holds both splits. Its authors publish no checksum (their README and
    # example notebook give none); this MD5 is the one independent dSprites loaders agree
    # on (at least eight public projects, one pinning the file to a commit of the
    # authors' repository). It was not recomputed here: this machine has no network.
    "dsprites": {
        "base_url": "https://raw.githubusercontent.com/google-deepmind/dsprites-dataset/master/",
        "file": ("dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz",
                 "md5:7da33b31b13a06f4b04a70402ce90c2e"),
    },
}


class DownloadError(ConnectionError):
    """A data set could not be downloaded (no network, host unreachable, HTTP error)."""


# --------------------------------------------------------------------------- API


def load_dataset(
    name: str,
    split: str = "train",
    *,
    n: int | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    binarize: bool = False,
) -> tuple[np.ndarray, np.ndarray | dict[str, np.ndarray]]:
    """Load one split of a data set as ``(images, labels)``.

    Parameters
    ----------
    name
        One of :data:`DATASETS`: ``"digits"``, ``"font_digits"``, ``"shapes"``,
        ``"mnist"``, ``"fashion_mnist"``, ``"dsprites"``. The first three need no
        network.
    split
        ``"train"`` or ``"test"``. For ``"digits"`` the split is a fixed, stratified
        80/20 split (20 % of every class is held out); it does not depend on `seed`,
        so train and test never overlap whatever the seed. MNIST and Fashion-MNIST
        keep their official 60000/10000 split. ``"shapes"`` draws train and test
        from independent random streams.
    n
        How many examples to return; ``None`` returns the whole split. For the
        stored data sets the split is shuffled with `seed` and the first `n`
        examples are kept, so ``load_dataset(name, n=100, seed=s)`` equals the first
        100 of ``load_dataset(name, seed=s)``. For ``"shapes"`` `n` is the number
        of images generated (default 6000 train, 1000 test), and for
        ``"font_digits"`` too (default 10000 train, 2000 test); the first `n`
        images do not depend on how many are asked for either. For ``"dsprites"``
        ``None`` gives 10000 train or 2000 test images, drawn with `seed` from the
        split (the whole train split would take 11 GB as float32); ask for more
        with `n`.
    seed
        A non-negative integer. The order of the examples (stored data sets), or
        the whole generated data set (``"shapes"``). Same seed, same arrays.
    cache_dir
        Where downloads (and generated ``"font_digits"``) are kept. Default: the
        environment variable ``VAEBOOK_DATA`` if set, else the user cache directory
        (``pooch.os_cache("vaebook")``); see :func:`cache_directory`.
    binarize
        Return one fixed Bernoulli draw of the images (each pixel 1 with probability
        its grey level), the same for the same `seed` and `split`: a binary test set
        for likelihoods, as Burda et al. (2016) used for MNIST. To train on a fresh
        draw every epoch instead, pass the grey images to ``fit(..., binarize=True)``.

    Returns
    -------
    images : np.ndarray, float32, shape (n, h, w), values in [0, 1]
        (8, 8) images for ``"digits"`` (0..16 divided by 16), (64, 64) for
        ``"dsprites"`` (binary), (28, 28) for the
        others (0..255 divided by 255; ``"shapes"`` is binary, exactly 0 or 1;
        ``"font_digits"`` has anti-aliased grey levels). Exactly 0 or 1 everywhere
        with ``binarize=True``.
    labels : np.ndarray of int64, shape (n,), or dict of np.ndarray
        The class (0..9) for ``"digits"``, ``"font_digits"``, ``"mnist"`` and
        ``"fashion_mnist"``.
        For ``"shapes"``, a dict of the generative factors, each of shape (n,):

        - ``"shape"``: int64 in {0, 1, 2}, indexing :data:`SHAPE_NAMES`
          (square, ellipse, triangle);
        - ``"scale"``: float32 in [0.5, 1]; the shape's circumscribed radius is
          ``9 * scale`` pixels;
        - ``"rotation"``: float32 in [0, 2*pi), radians, counter-clockwise as
          displayed by ``imshow``. The square repeats every pi/2, the triangle
          every 2*pi/3 and the ellipse every pi, so the image determines the
          rotation only modulo that period;
        - ``"x"``: float32 in [0, 1], horizontal centre, 0 left-most, 1 right-most
          (centre column ``10 + 8 * x`` pixels from the left edge);
        - ``"y"``: float32 in [0, 1], vertical centre, 0 top-most, 1 bottom-most
          (centre ``10 + 8 * y`` pixels from the top edge).

        For ``"dsprites"``, the same five keys, as the authors stored them:
        ``"shape"`` int64 in {0, 1, 2} indexing :data:`DSPRITES_SHAPE_NAMES`
        (square, ellipse, heart); ``"scale"`` one of 6 values in [0.5, 1];
        ``"rotation"`` one of 40 values spaced evenly over [0, 2*pi], both ends
        included (so 0 and 2*pi are the same image); ``"x"`` and ``"y"`` one of
        32 values in [0, 1]. All float32 but ``"shape"``. The periods of
        :func:`rotation_phase` apply (the heart repeats only every 2*pi).

    Raises
    ------
    ValueError
        An unknown `name` or `split`, or a bad `n` or `seed`.
    DownloadError
        (a :class:`ConnectionError`) ``"mnist"``, ``"fashion_mnist"`` or
        ``"dsprites"`` is not cached and cannot be downloaded. It fails within seconds, names the URL and
        the offline data sets.

    Examples
    --------
    >>> x, y = load_dataset("digits", "train")
    >>> x.shape, x.dtype, y.shape
    ((1438, 8, 8), dtype('float32'), (1438,))
    >>> x, factors = load_dataset("shapes", "test", n=5)
    >>> x.shape, sorted(factors)
    ((5, 28, 28), ['rotation', 'scale', 'shape', 'x', 'y'])
    """
    name = _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"load_dataset: argument `split` must be one of {SPLITS}; got {split!r}.")
    n = _check_n(n)
    seed = _check_seed(seed)
    if not isinstance(binarize, bool):
        raise ValueError(f"load_dataset: argument `binarize` must be True or False; got {binarize!r}.")
    images, labels = _load(name, split, n, seed, cache_dir)
    if binarize:
        images = _bernoulli_draw(images, (seed, SPLITS.index(split)))
    return images, labels


def _load(name, split, n, seed, cache_dir):
    if name == "shapes":
        count = _SHAPES_DEFAULT_SIZE[split] if n is None else n
        return make_shapes(count, seed=seed, stream=SPLITS.index(split))

    if name == "font_digits":
        count = _FONT_DIGITS_DEFAULT_SIZE[split] if n is None else n
        return _font_digits(count, seed, SPLITS.index(split), cache_dir)

    if name == "dsprites":
        count = _DSPRITES_DEFAULT_SIZE[split] if n is None else n
        return _dsprites(split, count, seed, cache_directory(cache_dir))

    if name == "digits":
        images, labels = _digits(split)
    else:
        images, labels = _idx_dataset(name, split, cache_directory(cache_dir))

    order = np.random.default_rng(seed).permutation(len(labels))
    if n is not None:
        if n > len(labels):
            raise ValueError(
                f"load_dataset: argument `n` must be at most {len(labels)}, the size of "
                f"the {name!r} {split!r} split; got {n}."
            )
        order = order[:n]
    return np.ascontiguousarray(images[order]), labels[order]


def binarize(images: np.ndarray, seed=0) -> np.ndarray:
    """One Bernoulli draw of ``images``: each pixel 1 with probability its grey level.

    Parameters
    ----------
    images
        Grey levels in [0, 1], any shape.
    seed
        A non-negative integer (or a tuple of them) for the draw: the same seed gives
        the same binary images.

    Returns
    -------
    np.ndarray, float32, the shape of `images`, values exactly 0 or 1.
    """
    return _bernoulli_draw(images, seed)


def _bernoulli_draw(images, seed) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.size and (not np.isfinite(images).all() or images.min() < 0 or images.max() > 1):
        raise ValueError(
            "binarize: argument `images` must hold grey levels in [0, 1]; got values in "
            f"[{np.nanmin(images):.4g}, {np.nanmax(images):.4g}]."
        )
    rng = np.random.default_rng(seed)
    return (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)


def cache_directory(cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder downloads go to: `cache_dir`, else ``$VAEBOOK_DATA``, else the user cache.

    Each data set gets a subfolder (``<cache>/mnist/``, ``<cache>/fashion_mnist/``,
    ``<cache>/dsprites/``) holding the original files (``*-ubyte.gz``, the dSprites
    ``.npz``); copying those files there by hand makes a machine with no network work
    too.
    """
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("VAEBOOK_DATA")
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("vaebook"))


def make_shapes(
    n: int, *, seed: int = 0, stream: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Generate `n` binary 28 x 28 images of squares, ellipses and triangles.

    The five factors (shape, scale, rotation, x, y) are drawn independently and
    uniformly (see :func:`load_dataset` for their ranges and meaning). A pixel is on
    when its centre falls inside the shape: the pixel centres are moved into the
    shape's own frame (translate, rotate back, divide by the radius) and tested
    against the unit shape, for all images at once.

    Parameters
    ----------
    n
        Number of images, >= 0.
    seed, stream
        Non-negative integers selecting the random stream; ``load_dataset`` uses
        stream 0 for train and 1 for test. Row ``i`` of the result depends only on
        ``(seed, stream, i)``, not on `n`.

    Returns
    -------
    images : np.ndarray, float32, shape (n, 28, 28), values exactly 0 or 1
    factors : dict of np.ndarray, each shape (n,)
    """
    n = _check_seed(n, "n", "make_shapes")
    rng = np.random.default_rng(
        [_check_seed(seed, "seed", "make_shapes"), _check_seed(stream, "stream", "make_shapes")]
    )
    # One row of uniforms per image, filled row by row, so image i does not depend on n.
    u = rng.random((n, 5))
    factors = {
        "shape": np.minimum((u[:, 0] * len(SHAPE_NAMES)).astype(np.int64), len(SHAPE_NAMES) - 1),
        "scale": (_MIN_SCALE + (_MAX_SCALE - _MIN_SCALE) * u[:, 1]).astype(np.float32),
        "rotation": (2.0 * np.pi * u[:, 2]).astype(np.float32) % np.float32(2.0 * np.pi),
        "x": u[:, 3].astype(np.float32),
        "y": u[:, 4].astype(np.float32),
    }
    images = np.empty((len(u), _SHAPES_SIZE, _SHAPES_SIZE), dtype=np.float32)
    for start in range(0, len(u), _SHAPES_CHUNK):
        part = slice(start, start + _SHAPES_CHUNK)
        images[part] = render_shapes(
            *(factors[k][part] for k in ("shape", "scale", "rotation", "x", "y"))
        )
    return images, factors


# ------------------------------------------------------------------ validation


def _check_name(name) -> str:
    key = name.lower().replace("-", "_") if isinstance(name, str) else name
    if key not in DATASETS:
        raise ValueError(
            f"load_dataset: argument `name` must be one of {DATASETS} "
            f"(offline: {OFFLINE_DATASETS}); got {name!r}."
        )
    return key


def _check_n(n) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool):
        raise ValueError(
            f"load_dataset: argument `n` must be a positive integer or None; got {n!r}."
        )
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(
            f"load_dataset: argument `n` must be a positive integer or None; got {n!r}."
        ) from None
    if n < 1:
        raise ValueError(
            f"load_dataset: argument `n` must be a positive integer or None; got {n!r}."
        )
    return n


def _check_seed(seed, what: str = "seed", func: str = "load_dataset") -> int:
    try:
        value = operator.index(seed)
    except TypeError:
        value = -1
    if isinstance(seed, bool) or value < 0:
        raise ValueError(f"{func}: argument `{what}` must be a non-negative integer; got {seed!r}.")
    return value


# -------------------------------------------------------------------- font digits


def _font_digits(n: int, seed: int, stream: int, cache_dir) -> tuple[np.ndarray, np.ndarray]:
    """Generated once (seconds), then read back from the cache (a fraction of a second)."""
    from .font_digits import make_font_digits

    path = (cache_directory(cache_dir) / "font_digits"
            / f"v{_FONT_DIGITS_VERSION}-seed{seed}-stream{stream}-n{n}.npz")
    if path.exists():
        try:
            with np.load(path) as stored:
                return stored["images"], stored["labels"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: make the data again
    images, labels = make_font_digits(n, seed=seed, stream=stream)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, images=images, labels=labels)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache: the data are still returned
    return images, labels


# -------------------------------------------------------------------- digits


def _digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    images = (x.reshape(-1, 8, 8) / 16.0).astype(np.float32)
    labels = y.astype(np.int64)
    rng = np.random.default_rng(_SPLIT_SEED)
    is_test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        is_test[members[: round(_DIGITS_TEST_FRACTION * len(members))]] = True
    keep = is_test if split == "test" else ~is_test
    return images[keep], labels[keep]


# -------------------------------------------------------------------- shapes


def render_shapes(shape, scale, rotation, x, y) -> np.ndarray:
    """Draw shapes from given factors (for example, to sweep one factor and hold the rest).

    Arguments are array-likes broadcast to a common shape (m,) (scalars are fine),
    with the meaning and ranges of the ``"shapes"`` labels described in
    :func:`load_dataset`: `shape` in {0, 1, 2}, `scale` in [0.5, 1], `rotation` in
    radians, `x` and `y` in [0, 1].

    Returns
    -------
    np.ndarray, float32, shape (m, 28, 28), values exactly 0 or 1
    """
    shape, scale, rotation, x, y = (
        np.atleast_1d(a) for a in np.broadcast_arrays(shape, scale, rotation, x, y)
    )
    shape = shape.astype(np.int64)
    scale, rotation, x, y = (np.asarray(a, dtype=np.float32) for a in (scale, rotation, x, y))
    for arg, value, lo, hi in (
        ("shape", shape, 0, len(SHAPE_NAMES) - 1),
        ("scale", scale, _MIN_SCALE, _MAX_SCALE),
        ("x", x, 0.0, 1.0),
        ("y", y, 0.0, 1.0),
    ):
        if value.size and not (value.min() >= lo and value.max() <= hi):
            raise ValueError(
                f"render_shapes: argument `{arg}` must lie in [{lo}, {hi}]; "
                f"got values in [{value.min()}, {value.max()}]."
            )
    if not np.all(np.isfinite(rotation)):
        raise ValueError("render_shapes: argument `rotation` must be finite; got NaN or inf.")
    centres = np.arange(_SHAPES_SIZE, dtype=np.float32) + np.float32(0.5)
    cx = _CENTRE_LO + (_CENTRE_HI - _CENTRE_LO) * x
    cy = _CENTRE_LO + (_CENTRE_HI - _CENTRE_LO) * y
    radius = (_MAX_RADIUS * scale)[:, None, None]
    dx = centres[None, None, :] - cx[:, None, None]  # (m, 1, w)
    up = cy[:, None, None] - centres[None, :, None]  # (m, h, 1); rows grow downwards
    cos = np.cos(rotation)[:, None, None]
    sin = np.sin(rotation)[:, None, None]
    # Rotating the pixel grid by -rotation is the same as rotating the shape by +rotation.
    u = (cos * dx + sin * up) / radius
    v = (cos * up - sin * dx) / radius

    # Unit shapes, all inscribed in the unit disc: a square of half-side 1/sqrt(2),
    # an ellipse with semi-axes 1 and 1/2, an equilateral triangle pointing up.
    half = np.float32(np.sqrt(0.5))
    h = np.float32(np.sqrt(3.0) / 2.0)
    inside = np.where(
        (shape == 0)[:, None, None],
        np.maximum(np.abs(u), np.abs(v)) <= half,
        np.where(
            (shape == 1)[:, None, None],
            u * u + 4.0 * v * v <= 1.0,
            (v >= -0.5) & (h * u + 0.5 * v <= 0.5) & (-h * u + 0.5 * v <= 0.5),
        ),
    )
    return inside.astype(np.float32)


def rotation_phase(labels, name: str = "shapes") -> np.ndarray:
    """The part of each rotation an image shows: rotation modulo its shape's period, in [0, 1).

    A square looks the same after a quarter turn, an ellipse after a half turn, a
    triangle after a third (a dSprites heart only after a full turn), so the raw
    ``labels["rotation"]`` cannot be read off an image, and a measure of how well a code
    carries it would blame the code for the data. ``rotation mod period / period`` is
    what the image determines. It is still circular: 0.99 and 0.01 look alike.

    Args:
        labels: a dict with ``"shape"`` and ``"rotation"`` arrays of shape (n,), as
            :func:`load_dataset` returns for ``"shapes"`` or ``"dsprites"``.
        name: ``"shapes"`` (periods pi/2, pi, 2*pi/3 for square, ellipse, triangle) or
            ``"dsprites"`` (pi/2, pi, 2*pi for square, ellipse, heart).

    Returns:
        np.ndarray, float32, shape (n,), values in [0, 1).
    """
    if name not in _ROTATION_PERIODS:
        raise ValueError(f"rotation_phase: argument `name` must be one of "
                         f"{tuple(_ROTATION_PERIODS)}; got {name!r}.")
    try:
        shape = np.asarray(labels["shape"])
        rotation = np.asarray(labels["rotation"], dtype=np.float64)
    except (KeyError, TypeError, IndexError):
        raise ValueError("rotation_phase: argument `labels` must be a dict with 'shape' and "
                         "'rotation' arrays (the labels of load_dataset('shapes')).") from None
    periods = np.asarray(_ROTATION_PERIODS[name])
    if shape.shape != rotation.shape or shape.dtype.kind not in "iu" or (
            shape.size and (shape.min() < 0 or shape.max() >= len(periods))):
        raise ValueError(f"rotation_phase: `labels['shape']` must hold class indices 0..."
                         f"{len(periods) - 1}, one per rotation; got shape {shape.shape} "
                         f"and dtype {shape.dtype}.")
    phase = np.mod(rotation / periods[shape], 1.0)
    # A rotation of exactly one period (dSprites stores 2*pi as well as 0) can land a hair
    # below 1 in floating point; it is phase 0.
    return np.where(phase > 1.0 - 1e-6, 0.0, phase).astype(np.float32)


# ------------------------------------------------------------ dSprites


def _dsprites(split: str, count: int, seed: int, root: Path):
    fname, known_hash = _REMOTE["dsprites"]["file"]
    path = _fetch("dsprites", fname, known_hash, root)
    with np.load(path, allow_pickle=False) as archive:  # "metadata" (a pickle) is not read
        values = archive["latents_values"]
    total = len(values)
    order = np.random.default_rng(_SPLIT_SEED).permutation(total)
    n_test = int(round(_DSPRITES_TEST_FRACTION * total))
    pool = order[:n_test] if split == "test" else order[n_test:]
    if count > len(pool):
        raise ValueError(
            f"load_dataset: argument `n` must be at most {len(pool)}, the size of the "
            f"'dsprites' {split!r} split; got {count}."
        )
    rows = pool[np.random.default_rng(seed).permutation(len(pool))[:count]]
    images = _npz_rows(path, "imgs", rows, total).astype(np.float32)
    v = values[rows]
    labels = {
        "shape": v[:, 1].astype(np.int64) - 1,  # stored as 1, 2, 3
        "scale": v[:, 2].astype(np.float32),
        "rotation": v[:, 3].astype(np.float32),
        "x": v[:, 4].astype(np.float32),
        "y": v[:, 5].astype(np.float32),
    }
    return images, labels


def _npz_rows(path: Path, key: str, rows: np.ndarray, expected: int) -> np.ndarray:
    """Rows ``rows`` of array ``key`` in an .npz archive, decompressed chunk by chunk.

    np.load would decompress the whole array (3 GB of dSprites images) to pick a few
    thousand rows; reading the .npy stream sequentially keeps memory at one chunk.
    """
    import zipfile

    wanted = np.argsort(rows, kind="stable")
    sorted_rows = rows[wanted]
    with zipfile.ZipFile(path) as archive, archive.open(key + ".npy") as stream:
        version = np.lib.format.read_magic(stream)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(stream)
        if fortran or len(shape) < 2 or shape[0] != expected:
            raise ValueError(
                f"load_dataset: {path} holds {key!r} of shape {shape} (Fortran order: "
                f"{fortran}); expected {expected} images in C order."
            )
        row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
        out = np.empty((len(rows), *shape[1:]), dtype=dtype)
        done = 0
        for start in range(0, shape[0], _NPZ_CHUNK_ROWS):
            if done == len(rows):
                break
            stop = min(start + _NPZ_CHUNK_ROWS, shape[0])
            chunk = np.frombuffer(stream.read((stop - start) * row_bytes), dtype=dtype)
            chunk = chunk.reshape(stop - start, *shape[1:])
            upto = np.searchsorted(sorted_rows, stop)
            out[wanted[done:upto]] = chunk[sorted_rows[done:upto] - start]
            done = upto
    return out


# ------------------------------------------------------------ MNIST-style files


def _idx_dataset(name: str, split: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    (images_file, images_hash), (labels_file, labels_hash) = _REMOTE[name][split]
    images = _read_idx(_fetch(name, images_file, images_hash, root))
    labels = _read_idx(_fetch(name, labels_file, labels_hash, root))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"load_dataset: the {name!r} {split!r} files hold images of shape "
            f"{images.shape} and labels of shape {labels.shape}; expected (n, h, w) and (n,)."
        )
    return (images / np.float32(255.0)).astype(np.float32), labels.astype(np.int64)


def _fetch(name: str, fname: str, known_hash: str, root: Path) -> Path:
    """Return the path of a verified cached file, downloading it first if needed."""
    import pooch

    folder = root / name
    path = folder / fname
    algorithm, _, digest = known_hash.partition(":")
    # A verified file in the cache is used as is: no network is touched.
    if path.is_file() and pooch.file_hash(str(path), alg=algorithm) == digest:
        return path

    url = _REMOTE[name]["base_url"] + fname
    try:
        _check_host(url, _TIMEOUT)
        downloaded = pooch.retrieve(
            url,
            known_hash=known_hash,
            fname=fname,
            path=folder,
            downloader=pooch.HTTPDownloader(timeout=_TIMEOUT, progressbar=False),
        )
    except ValueError as err:  # pooch's checksum mismatch
        raise ValueError(
            f"load_dataset: the file downloaded from {url} does not match its known "
            f"checksum {known_hash}; the download was corrupted or the file changed. "
            f"Try again, or place a good copy in {folder}. ({err})"
        ) from err
    except OSError as err:  # requests' errors are OSErrors too
        raise DownloadError(
            f"load_dataset: the download of {name!r} failed: could not fetch {url} "
            f"({type(err).__name__}: {err}). Check the network connection, or use a data "
            f"set that needs no download: {', '.join(repr(d) for d in OFFLINE_DATASETS)} "
            f"(e.g. load_dataset('digits')). To work offline, copy {fname} into {folder}."
        ) from err
    return Path(downloaded)


def _check_host(url: str, timeout: float) -> None:
    """Raise ``OSError`` unless the URL's host name resolves within `timeout` seconds.

    A socket timeout does not cover name resolution, which can hang for tens of
    seconds on a machine with no network; so resolve in a helper thread and stop
    waiting for it. Behind a proxy the proxy resolves names, so nothing is checked.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
        return
    outcome: dict[str, BaseException] = {}

    def resolve() -> None:
        try:
            socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as err:
            outcome["error"] = err

    worker = threading.Thread(target=resolve, name="vaebook-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"looking up the host {host!r} took longer than {timeout:g} s")
    if "error" in outcome:
        raise OSError(f"cannot resolve the host {host!r}: {outcome['error']}")


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_idx(path: Path) -> np.ndarray:
    """Parse a gzipped IDX file (the MNIST format) into an array of its stored shape.

    Layout: two zero bytes, a type code, the number of dimensions d, then d
    big-endian uint32 sizes, then the values in C order, big-endian.
    """
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"load_dataset: {path} is not an IDX file (bad header {raw[:4]!r}).")
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    values = np.frombuffer(raw, dtype=_IDX_TYPES[raw[2]], offset=4 + 4 * ndim)
    if values.size != int(np.prod(dims)):
        raise ValueError(
            f"load_dataset: {path} declares shape {dims} but holds {values.size} values."
        )
    return values.reshape(dims).astype(values.dtype.newbyteorder("="))
