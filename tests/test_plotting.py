"""Tests of vaebook.plotting: every function returns a titled Figure with labelled axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from vaebook import plotting as vp  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


RNG = np.random.default_rng(0)
IMAGES = RNG.random((12, 8, 8)).astype(np.float32)


# ------------------------------------------------------------------ image grids


def test_image_grid_draws_each_image_without_ticks():
    fig = vp.image_grid(IMAGES, title="Twelve images")
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "Twelve images"
    axes = _image_axes(fig)
    assert len(axes) == 12
    assert np.allclose(axes[5].images[0].get_array(), IMAGES[5])
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in axes)
    assert axes[0].images[0].get_clim() == (0.0, 1.0)


def test_image_grid_layout_captions_and_flat_input():
    fig = vp.image_grid(
        IMAGES.reshape(12, 64), nrows=2, ncols=3, shape=(8, 8), titles=list("abcdef")
    )
    axes = _image_axes(fig)
    assert len(axes) == 6  # the first nrows * ncols images
    assert [ax.get_title() for ax in axes] == list("abcdef")
    assert axes[0].get_subplotspec().get_gridspec().get_geometry() == (2, 3)
    fig = vp.image_grid(IMAGES[:7], ncols=3)
    assert len(_image_axes(fig)) == 7 and len(fig.axes) == 9  # 3 x 3, two left blank


def test_image_grid_bad_input():
    with pytest.raises(ValueError, match=r"pass shape=\(h, w\) with h\*w = 64"):
        vp.image_grid(IMAGES.reshape(12, 64))
    with pytest.raises(ValueError, match="h\\*w = 64"):
        vp.image_grid(IMAGES.reshape(12, 64), shape=(7, 7))
    with pytest.raises(ValueError, match="`ncols`"):
        vp.image_grid(IMAGES, ncols=0)
    with pytest.raises(ValueError, match="`titles`"):
        vp.image_grid(IMAGES, titles=["only one"])


def test_compare_rows_labels_each_row():
    recon = np.clip(IMAGES + 0.1, 0, 1)
    fig = vp.compare_rows({"original": IMAGES[:5], "reconstruction": recon[:5]}, title="AE")
    assert fig.get_suptitle() == "AE"
    axes = _image_axes(fig)
    assert len(axes) == 10
    assert axes[0].get_ylabel() == "original" and axes[5].get_ylabel() == "reconstruction"
    assert np.allclose(axes[6].images[0].get_array(), recon[1])


def test_compare_rows_lengths():
    with pytest.raises(ValueError, match="same number of images"):
        vp.compare_rows({"a": IMAGES[:4], "b": IMAGES[:5]})
    fig = vp.compare_rows({"a": IMAGES[:4], "b": IMAGES[:5]}, ncols=3)
    assert len(_image_axes(fig)) == 6
    with pytest.raises(ValueError, match="`ncols`"):
        vp.compare_rows({"a": IMAGES[:4]}, ncols=5)


# ------------------------------------------------------------------ latent space


def test_latent_scatter_classes_get_a_legend():
    z = RNG.normal(size=(200, 2))
    labels = np.arange(200) % 3
    fig = vp.latent_scatter(z, labels, title="Codes", label_names=["sq", "el", "tr"])
    ax = fig.axes[0]
    assert ax.get_title() == "Codes"
    assert ax.get_xlabel() == "$z_1$" and ax.get_ylabel() == "$z_2$"
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["sq", "el", "tr"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 200


def test_latent_scatter_continuous_labels_get_a_colorbar():
    z = RNG.normal(size=(50, 2))
    fig = vp.latent_scatter(z, np.linspace(0, 6, 50), colorbar_label="rotation")
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "rotation"
    assert fig.axes[0].get_legend() is None


def test_latent_scatter_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    out = vp.latent_scatter(RNG.normal(size=(10, 2)), ax=right, title="right")
    assert out is fig and right.get_title() == "right" and not left.collections


def test_latent_scatter_bad_input():
    with pytest.raises(ValueError, match=r"shape \(n, 2\).*got shape \(10, 3\)"):
        vp.latent_scatter(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(10,\)"):
        vp.latent_scatter(np.zeros((10, 2)), np.zeros(9, dtype=int))


def test_latent_manifold_grid_and_orientation():
    calls = []

    def decode(points):
        calls.append(points)
        # Image value 1 where z_1 > 0, so the right half of the canvas is white;
        # first pixel row 1 where z_2 > 0 as well, marking the upper half.
        img = np.zeros((len(points), 4, 5))
        img[points[:, 0] > 0] = 1.0
        img[points[:, 1] > 0, 0, :] = 1.0
        return img

    fig = vp.latent_manifold(decode, n=7, span=2.0, image_shape=(4, 5), title="Grid")
    assert len(calls) == 1 and calls[0].shape == (49, 2)
    values = np.unique(calls[0][:, 0])
    assert np.isclose(values.min(), -2.0) and np.isclose(values.max(), 2.0)
    gaps = np.diff(values)
    assert gaps[0] > gaps[3]  # equal prior mass per cell: denser near 0
    ax = fig.axes[0]
    assert ax.get_title() == "Grid"
    assert ax.get_xlabel() == "$z_1$" and ax.get_ylabel() == "$z_2$"
    canvas = np.asarray(ax.images[0].get_array())
    assert canvas.shape == (28, 35)
    # Left three columns of cells (z_1 < 0): black but for the marker row of the three
    # upper rows of cells (z_2 > 0); the middle row and column (z = 0) are left out.
    assert canvas[:12, :15].sum() == 3 * 15 and canvas[16:, :15].sum() == 0
    assert np.all(canvas[:, 20:] == 1.0)  # right half: z_1 > 0
    assert canvas[0, 0] == 1.0 and canvas[-4, 0] == 0.0  # top row of cells has z_2 > 0


def test_latent_manifold_linear_grid_and_errors():
    seen = []
    vp.latent_manifold(lambda p: seen.append(p) or np.zeros((len(p), 3, 3)), n=5, span=1.0,
                       grid="linear", image_shape=(3, 3))  # fmt: skip
    assert np.allclose(np.unique(seen[0][:, 0]), [-1.0, -0.5, 0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"returned shape \(25, 4\)"):
        vp.latent_manifold(lambda p: np.zeros((len(p), 4)), n=5, image_shape=(3, 3))
    with pytest.raises(ValueError, match="`grid`"):
        vp.latent_manifold(lambda p: p, grid="log")


# ------------------------------------------------------------------ training curves


def test_training_curves_one_line_per_run_and_key():
    histories = {
        "AE": {"loss": [5.0, 4.0, 3.5], "val_loss": [5.5, 4.6, 4.0]},
        "VAE": {"loss": [9.0, 7.0, 6.0]},
    }
    fig = vp.training_curves(histories, title="Losses")
    ax = fig.axes[0]
    assert ax.get_title() == "Losses"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss (nats per example)"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["AE: loss", "AE: val_loss", "VAE: loss"]
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert list(ax.get_lines()[2].get_ydata()) == [9.0, 7.0, 6.0]
    assert ax.get_legend() is not None


def test_training_curves_keys_single_history_and_logy():
    fig = vp.training_curves({"loss": [3.0, 2.0], "kl": [1.0, 0.5]}, keys=["kl"], logy=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["kl"]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="`logy` needs positive values"):
        vp.training_curves({"loss": [1.0, -2.0]}, logy=True)
    with pytest.raises(ValueError, match=r"`keys` names \['elbo'\]"):
        vp.training_curves({"loss": [1.0]}, keys=["elbo"])
