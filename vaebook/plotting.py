"""Figures for the book: NumPy arrays in, a :class:`matplotlib.figure.Figure` out.

Every function draws one self-contained figure with a title, and labels its axes
wherever the axes mean something (latent coordinates, epochs, losses); image grids
have no ticks. Nothing here imports PyTorch or TensorFlow: pass
``tensor.detach().cpu().numpy()`` (PyTorch) or ``tensor.numpy()`` (TensorFlow).

=========================  ====================================================
:func:`image_grid`          a grid of images, optionally titled one by one
:func:`compare_rows`        rows of images with a label on the left of each row
:func:`latent_scatter`      2-D codes, coloured by class or by a continuous label
:func:`latent_manifold`     decoded images over a grid of 2-D latent points
:func:`training_curves`     per-epoch curves of one or several training runs
=========================  ====================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, MaxNLocator

__all__ = [
    "compare_rows",
    "image_grid",
    "latent_manifold",
    "latent_scatter",
    "training_curves",
]

_CELL_INCHES = 1.0  # side of one image in a grid
_MAX_CLASSES = 20  # integer labels with more distinct values get a colour bar


# ------------------------------------------------------------------ helpers


def _as_images(func: str, name: str, images, shape: tuple[int, int] | None) -> np.ndarray:
    """Return images as a float array (n, h, w), from (n, h, w), (n, h*w) or a channel axis."""
    arr = np.asarray(images)
    if arr.ndim == 4 and 1 in (arr.shape[1], arr.shape[3]):
        arr = arr[:, 0] if arr.shape[1] == 1 else arr[..., 0]  # (n, 1, h, w) or (n, h, w, 1)
    if arr.ndim == 2:
        if shape is None:
            raise ValueError(
                f"{func}: argument `{name}` has shape {arr.shape}, a batch of flat vectors; "
                f"pass shape=(h, w) with h*w = {arr.shape[1]}, or images shaped (n, h, w)."
            )
        h, w = (int(s) for s in shape)
        if h * w != arr.shape[1]:
            raise ValueError(
                f"{func}: argument `shape` must satisfy h*w = {arr.shape[1]} (the length of "
                f"each vector in `{name}`); got shape={tuple(shape)}."
            )
        arr = arr.reshape(len(arr), h, w)
    if arr.ndim != 3:
        raise ValueError(
            f"{func}: argument `{name}` must have shape (n, h, w), or (n, h*w) with "
            f"shape=(h, w); got shape {arr.shape}."
        )
    if len(arr) == 0:
        raise ValueError(f"{func}: argument `{name}` holds no images; got shape {arr.shape}.")
    return arr.astype(np.float64, copy=False)


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _value_range(arr: np.ndarray, vmin, vmax) -> tuple[float, float]:
    # Images in [0, 1] keep a fixed scale, so grey means the same in every panel;
    # anything else (e.g. standardised data) is scaled to its own range.
    lo = float(np.nanmin(arr)) if vmin is None else vmin
    hi = float(np.nanmax(arr)) if vmax is None else vmax
    if vmin is None and vmax is None and lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, hi


# ------------------------------------------------------------------ images


def image_grid(
    images,
    nrows: int | None = None,
    ncols: int | None = None,
    *,
    title: str = "Images",
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
    shape: tuple[int, int] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Show images in a grid, without ticks.

    Parameters
    ----------
    images
        Array (n, h, w); or (n, h*w) together with ``shape=(h, w)``; a single
        channel axis, (n, 1, h, w) or (n, h, w, 1), is dropped.
    nrows, ncols
        Grid size. By default at most 10 columns and as many rows as needed. When
        both are given, the first ``nrows * ncols`` images are shown.
    title
        Title of the figure.
    titles
        Optional caption for each shown image (e.g. its label), length >= shown.
    cmap, vmin, vmax
        Colour map and value range. Images within [0, 1] are drawn on [0, 1];
        other data on its own min..max, the same for every panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    arr = _as_images("image_grid", "images", images, shape)
    for arg, value in (("nrows", nrows), ("ncols", ncols)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(
                f"image_grid: argument `{arg}` must be a positive integer or None; got {value!r}."
            )
    n = len(arr)
    if nrows is not None and ncols is not None:
        n = min(n, nrows * ncols)
    elif ncols is not None:
        nrows = math.ceil(n / ncols)
    elif nrows is not None:
        ncols = math.ceil(n / nrows)
    else:
        ncols = min(n, 10)
        nrows = math.ceil(n / ncols)
    if titles is not None and len(titles) < n:
        raise ValueError(
            f"image_grid: argument `titles` must hold one caption per shown image, "
            f"{n}; got {len(titles)}."
        )
    lo, hi = _value_range(arr[:n], vmin, vmax)

    caption_space = 0.25 if titles is not None else 0.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * _CELL_INCHES, nrows * (_CELL_INCHES + caption_space) + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for i, ax in enumerate(axes.flat):
        if i < n:
            ax.imshow(arr[i], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
            _bare(ax)
        else:
            ax.set_axis_off()
    fig.suptitle(title)
    return fig


def compare_rows(
    rows: Mapping[str, object],
    *,
    title: str = "Originals and reconstructions",
    ncols: int | None = None,
    cmap: str = "gray",
    shape: tuple[int, int] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Show rows of images, one row per entry, labelled on the left.

    Typical use: ``compare_rows({"original": x[:8], "reconstruction": x_hat[:8]})``,
    so that column j shows example j under each treatment.

    Parameters
    ----------
    rows
        Row label -> images (n, h, w), or (n, h*w) with ``shape=(h, w)``. All rows
        must hold the same number of images unless `ncols` is given, in which case
        the first `ncols` of each row are shown.
    title
        Title of the figure.
    ncols
        Number of images per row.
    cmap, vmin, vmax
        As in :func:`image_grid`; one value range is shared by all rows, so equal
        grey means equal value across rows.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(rows, Mapping) or not rows:
        raise ValueError(
            "compare_rows: argument `rows` must be a non-empty dict of label -> images; "
            f"got {type(rows).__name__} {rows!r:.60}."
        )
    arrays = {
        str(label): _as_images("compare_rows", f"rows[{label!r}]", imgs, shape)
        for label, imgs in rows.items()
    }
    lengths = {label: len(a) for label, a in arrays.items()}
    if ncols is None:
        if len(set(lengths.values())) > 1:
            raise ValueError(
                "compare_rows: every row must hold the same number of images, or pass "
                f"ncols; got {lengths}."
            )
        ncols = next(iter(lengths.values()))
    elif (
        isinstance(ncols, bool)
        or not isinstance(ncols, int)
        or ncols < 1
        or min(lengths.values()) < ncols
    ):
        raise ValueError(
            f"compare_rows: argument `ncols` must be a positive integer no larger than the "
            f"shortest row; got ncols={ncols!r} with rows of length {lengths}."
        )
    shown = np.concatenate([a[:ncols] for a in arrays.values()])
    lo, hi = _value_range(shown, vmin, vmax)

    nrows = len(arrays)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * _CELL_INCHES + 1.2, nrows * _CELL_INCHES + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for r, (label, arr) in enumerate(arrays.items()):
        for c in range(ncols):
            ax = axes[r, c]
            ax.imshow(arr[c], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
            _bare(ax)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ latent space


def _new_axes(ax: Axes | None, figsize) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def latent_scatter(
    z,
    labels=None,
    *,
    title: str = "Latent codes",
    ax: Axes | None = None,
    label_names: Sequence[str] | None = None,
    colorbar_label: str = "label",
    s: float = 6.0,
    alpha: float = 0.7,
) -> Figure:
    """Scatter 2-D codes, coloured by label.

    Parameters
    ----------
    z
        Codes, shape (n, 2) (for a VAE, usually the posterior means).
    labels
        Optional, shape (n,). Integer labels with at most 20 distinct values are
        drawn as classes with a legend (named by `label_names[k]` if given);
        anything else (e.g. a rotation angle) is drawn on a colour scale with a
        colour bar titled `colorbar_label`.
    title
        Title of the axes.
    ax
        Axes to draw into; by default a new figure.
    s, alpha
        Marker size and opacity.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes, with x label ``$z_1$`` and y label ``$z_2$``.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(
            "latent_scatter: argument `z` must have shape (n, 2), two latent dimensions; "
            f"got shape {z.shape}. For more dimensions, plot two of them, e.g. z[:, :2]."
        )
    fig, ax = _new_axes(ax, (5.6, 4.6))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, linewidths=0)
    else:
        labels = np.asarray(labels)
        if labels.shape != (len(z),):
            raise ValueError(
                f"latent_scatter: argument `labels` must have shape ({len(z)},), one per "
                f"code; got shape {labels.shape}."
            )
        classes = np.unique(labels)
        discrete = np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool
        if discrete and len(classes) <= _MAX_CLASSES:
            colours = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
            for k, c in enumerate(classes):
                mask = labels == c
                name = label_names[int(c)] if label_names is not None else str(c)
                ax.scatter(
                    z[mask, 0], z[mask, 1], s=s, alpha=alpha, linewidths=0,
                    color=colours(k), label=name,
                )  # fmt: skip
            # A fixed location: "best" scans every point, which is slow for big n.
            ax.legend(
                loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                markerscale=2.5, frameon=False,
            )  # fmt: skip
        else:
            points = ax.scatter(
                z[:, 0], z[:, 1], c=labels.astype(np.float64), s=s, alpha=alpha,
                linewidths=0, cmap="viridis",
            )  # fmt: skip
            fig.colorbar(points, ax=ax, label=colorbar_label)
    # Equal units on both axes: a round prior N(0, I) should look round.
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    return fig


def latent_manifold(
    decode: Callable[[np.ndarray], np.ndarray],
    n: int = 15,
    *,
    span: float = 2.5,
    grid: str = "quantile",
    image_shape: tuple[int, int] = (28, 28),
    title: str = "Decoded latent grid",
    ax: Axes | None = None,
    cmap: str = "gray",
) -> Figure:
    """Decode an n x n grid of 2-D latent points and tile the images into one picture.

    Parameters
    ----------
    decode
        Maps a NumPy array of latent points (m, 2) to images (m, h, w) or
        (m, h*w), values in [0, 1] (for a Bernoulli decoder: the sigmoid of the
        logits, not the logits). For a latent space of more dimensions, wrap the
        decoder so that it fills in the others.
    n
        Points per axis; the decoder is called once, on all n*n points.
    span
        The grid covers [-span, span] on each axis.
    grid
        ``"quantile"`` (default): points equally spaced in *probability* under the
        prior N(0, 1) of each coordinate, z = Phi^-1(p) (``scipy.stats.norm.ppf``)
        for p evenly spaced from Phi(-span) to Phi(span). Each cell then covers the
        same prior mass, so the picture spends its area where the prior (and a
        well-trained VAE's codes) puts its probability, and the grid is denser near
        0. ``"linear"``: points evenly spaced in z.
    image_shape
        (h, w) of one decoded image.
    title
        Title of the axes.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One image: column j is z_1 = grid[j] (increasing to the right), row i is
        z_2 = grid[n-1-i] (increasing upwards, as in :func:`latent_scatter`). The
        ticks sit at cell centres and name their z values.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"latent_manifold: argument `n` must be an integer >= 2; got {n!r}.")
    try:
        span_ok = math.isfinite(float(span)) and float(span) > 0
    except (TypeError, ValueError):
        span_ok = False
    if not span_ok:
        raise ValueError(
            f"latent_manifold: argument `span` must be a positive number; got {span!r}."
        )
    if grid == "quantile":
        from scipy.stats import norm

        values = norm.ppf(np.linspace(norm.cdf(-span), norm.cdf(span), n))
    elif grid == "linear":
        values = np.linspace(-span, span, n)
    else:
        raise ValueError(
            f"latent_manifold: argument `grid` must be 'quantile' or 'linear'; got {grid!r}."
        )
    h, w = (int(d) for d in image_shape)

    z1, z2 = np.meshgrid(values, values[::-1])  # top row: largest z_2
    points = np.stack([z1.ravel(), z2.ravel()], axis=1)
    decoded = np.asarray(decode(points), dtype=np.float64)
    if decoded.size != n * n * h * w:
        raise ValueError(
            f"latent_manifold: `decode` must map points (m, 2) to images (m, {h}, {w}) "
            f"(image_shape={(h, w)}); for m = {n * n} it returned shape {decoded.shape}."
        )
    # (n*n, h, w) -> (n, n, h, w) -> (n*h, n*w): cell (i, j) is grid point (i, j).
    canvas = decoded.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)

    fig, ax = _new_axes(ax, (6.0, 6.0))
    ax.imshow(canvas, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    # About five ticks, always including both ends of the grid.
    picks = np.unique(np.round(np.linspace(0, n - 1, min(n, 5))).astype(int))
    ax.set_xticks(picks * w + (w - 1) / 2, [f"{values[j]:.2g}" for j in picks])
    ax.set_yticks(picks * h + (h - 1) / 2, [f"{values[::-1][i]:.2g}" for i in picks])
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    return fig


# ------------------------------------------------------------------ training


def training_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]] | Mapping[str, Sequence[float]],
    keys: Sequence[str] | None = None,
    *,
    title: str = "Training curves",
    logy: bool = False,
    ylabel: str = "loss (nats per example)",
    ax: Axes | None = None,
) -> Figure:
    """Plot per-epoch curves, one line per (run, key).

    Parameters
    ----------
    histories
        Run name -> history, where a history maps a key (``"loss"``,
        ``"val_loss"``, ...) to one value per epoch, as ``fit`` returns it. A single
        history (key -> values) is accepted too.
    keys
        Which keys to draw; by default every key of every history. Each run gets
        one colour, each key one line style.
    title
        Title of the axes.
    logy
        Logarithmic y axis (all drawn values must then be > 0).
    ylabel
        Label of the y axis.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        x label ``"epoch"`` (the first epoch is 1), y label `ylabel`.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError(
            "training_curves: argument `histories` must be a non-empty dict "
            "(run name -> {key: values per epoch}, or one {key: values per epoch})."
        )
    single = all(not isinstance(h, Mapping) for h in histories.values())
    runs = {"": histories} if single else dict(histories)
    for run, history in runs.items():
        if not isinstance(history, Mapping):
            raise ValueError(
                f"training_curves: history {run!r} must be a dict of key -> values per "
                f"epoch; got {type(history).__name__}."
            )
    if keys is None:
        keys = list(dict.fromkeys(k for h in runs.values() for k in h))
    else:
        keys = list(keys)
        known = {k for h in runs.values() for k in h}
        missing = [k for k in keys if k not in known]
        if missing:
            raise ValueError(
                f"training_curves: argument `keys` names {missing}, found in no history; "
                f"expected some of {sorted(known)}."
            )

    fig, ax = _new_axes(ax, (6.0, 4.0))
    styles = ["-", "--", ":", "-."]
    drawn = []
    for r, (run, history) in enumerate(runs.items()):
        for k, key in enumerate(keys):
            if key not in history:
                continue
            values = np.asarray(history[key], dtype=np.float64).ravel()
            if logy and np.any(values <= 0):
                raise ValueError(
                    f"training_curves: argument `logy` needs positive values, but "
                    f"{run + ': ' if run else ''}{key} has a minimum of {values.min():.4g}; "
                    "pass logy=False."
                )
            epochs = np.arange(1, len(values) + 1)
            label = f"{run}: {key}" if run else key
            ax.plot(
                epochs, values, color=f"C{r % 10}", linestyle=styles[k % len(styles)],
                marker="o" if len(values) <= 20 else None, markersize=3, label=label,
            )  # fmt: skip
            drawn.append(values)
    if logy:
        ax.set_yscale("log")
        # Plain numbers ("60", not "6 x 10^1"), also on the minor ticks that a
        # range of less than a decade is labelled with.
        ax.yaxis.set_major_formatter(LogFormatter())
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(drawn) > 1:
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig
