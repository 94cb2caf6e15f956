"""The synthetic 28 x 28 digits: MNIST-like statistics, determinism, speed, caching."""

from __future__ import annotations

import time

import numpy as np
import pytest

from vaebook import data
from vaebook.font_digits import FACES, MEAN_PIXEL, make_font_digits


@pytest.fixture(scope="module")
def sample():
    return make_font_digits(6000, seed=0)


def test_arrays_and_classes(sample):
    x, y = sample
    assert x.shape == (6000, 28, 28) and x.dtype == np.float32
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    assert 0.0 <= x.min() and x.max() <= 1.0
    # Grey levels, not a binary image: anti-aliased edges.
    assert ((x > 0.05) & (x < 0.95)).mean() > 0.02
    counts = np.bincount(y, minlength=10) / len(y)
    assert counts.min() > 0.08 and counts.max() < 0.12


def test_pixel_statistics_are_mnist_like(sample):
    x, _ = sample
    assert abs(x.mean() - MEAN_PIXEL) < 0.015  # MNIST: 0.1307
    ink = (x > 0.5).mean(axis=(1, 2))
    assert ink.min() > 0.02  # no empty or vanishing digits (a thin 1 has about 3%)
    # Centred as MNIST: centre of mass near the middle; a margin of empty pixels.
    grid = np.arange(28) - 13.5
    mass = x.sum(axis=(1, 2))
    com_y = (x.sum(axis=2) * grid).sum(1) / mass
    com_x = (x.sum(axis=1) * grid).sum(1) / mass
    assert np.percentile(np.abs(com_y), 99) < 1.5 and np.percentile(np.abs(com_x), 99) < 1.5
    edge = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)
    assert (edge.max(axis=1) > 0.5).mean() < 0.01


def test_classes_are_told_apart_by_a_simple_classifier(sample):
    """Digits, not noise: a linear classifier on pixels gets most of the test digits right."""
    from sklearn.linear_model import LogisticRegression

    x, y = sample
    xt, yt = make_font_digits(1000, seed=0, stream=1)
    clf = LogisticRegression(max_iter=300).fit(x.reshape(len(x), -1)[:4000], y[:4000])
    assert clf.score(xt.reshape(len(xt), -1), yt) > 0.8


def test_determinism_and_prefix():
    a, la = make_font_digits(5000, seed=3)
    b, lb = make_font_digits(5000, seed=3)
    np.testing.assert_array_equal(a, b)
    c, lc = make_font_digits(4200, seed=3)
    np.testing.assert_array_equal(a[:4200], c)
    np.testing.assert_array_equal(la[:4200], lc)
    d, _ = make_font_digits(10, seed=4)
    assert not np.allclose(a[:10], d)
    test, _ = make_font_digits(10, seed=3, stream=1)
    assert not np.allclose(a[:10], test)


def test_generation_is_fast():
    make_font_digits(10)  # the glyph fields, once per process
    start = time.perf_counter()
    make_font_digits(10_000)
    assert time.perf_counter() - start < 15  # about 3 s on a 2-core CI machine


def test_every_face_is_a_font_matplotlib_ships():
    from pathlib import Path

    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    assert all((folder / f"{face}.ttf").exists() for face in FACES)


def test_load_dataset_caches_and_binarizes(tmp_path):
    x, y = data.load_dataset("font_digits", "test", n=300, cache_dir=tmp_path)
    files = list((tmp_path / "font_digits").glob("*.npz"))
    assert len(files) == 1
    again, _ = data.load_dataset("font_digits", "test", n=300, cache_dir=tmp_path)
    np.testing.assert_array_equal(x, again)
    xb, yb = data.load_dataset("font_digits", "test", n=300, cache_dir=tmp_path, binarize=True)
    assert set(np.unique(xb)) == {0.0, 1.0}
    np.testing.assert_array_equal(yb, y)
    assert abs(xb.mean() - x.mean()) < 0.01
    xb2, _ = data.load_dataset("font_digits", "test", n=300, cache_dir=tmp_path, binarize=True)
    np.testing.assert_array_equal(xb, xb2)  # one fixed draw
    train, _ = data.load_dataset("font_digits", "train", n=300, cache_dir=tmp_path)
    assert not np.allclose(train, x)
    files[0].write_bytes(b"not an npz")  # a damaged cache is made again
    np.testing.assert_array_equal(data.load_dataset("font_digits", "test", n=300,
                                                    cache_dir=tmp_path)[0], x)


def test_binarize_checks_its_input():
    with pytest.raises(ValueError, match=r"binarize: argument `images`.*\[0, 1\].*255"):
        data.binarize(np.full((2, 2), 255.0))
    with pytest.raises(ValueError, match="load_dataset: argument `binarize`"):
        data.load_dataset("digits", binarize="yes")
    b = data.binarize(np.full((1000,), 0.25), seed=1)
    assert abs(b.mean() - 0.25) < 0.05
