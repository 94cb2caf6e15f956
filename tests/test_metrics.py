"""Sample-quality measures: each on images whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from vaebook import metrics
from vaebook.data import load_dataset


def test_sharpness_known_values():
    assert metrics.sharpness(np.zeros((3, 4, 4))) == 0.0
    checker = (np.indices((4, 4)).sum(0) % 2).astype(float)[None]
    assert metrics.sharpness(checker) == 1.0  # every neighbour differs by 1
    stripes = np.tile([0.0, 1.0], (4, 2))[None]  # vertical stripes: horizontal pairs differ
    assert metrics.sharpness(stripes) == pytest.approx(12 / 24)
    x, _ = load_dataset("font_digits", "test", n=200)
    from scipy.ndimage import gaussian_filter

    blurred = gaussian_filter(x, sigma=(0, 1, 1))
    assert metrics.sharpness(blurred) < 0.5 * metrics.sharpness(x)
    with pytest.raises(ValueError, match=r"sharpness: argument `images`"):
        metrics.sharpness(np.zeros((3, 16)))


def test_coverage_known_values():
    ref = np.full(4, 0.25)
    assert metrics.coverage([10, 10, 10, 10], ref) == (0.0, 4)
    assert metrics.coverage([40, 0, 0, 0], ref) == (0.75, 1)
    tv, covered = metrics.coverage([13, 12, 10, 5], ref)
    assert tv == pytest.approx(0.5 * (0.075 + 0.05 + 0 + 0.125)) and covered == 4
    with pytest.raises(ValueError, match="coverage"):
        metrics.coverage([1, 2], ref)


@pytest.mark.slow
def test_digit_classifier_recognises_digits_and_not_noise():
    x, y = load_dataset("font_digits", "train", n=4000)
    xt, yt = load_dataset("font_digits", "test", n=1000)
    clf = metrics.DigitClassifier(x, y)
    assert clf.accuracy(xt, yt) > 0.9
    real = clf.report(xt)
    assert real.confidence > 0.85
    # Confidence alone says nothing of noise: uniform noise is one confident class, which
    # coverage (and sharpness) give away.
    noise = clf.report(np.random.default_rng(0).random((1000, 28, 28)))
    assert metrics.coverage(noise.counts, np.full(10, 0.1))[1] <= 2
    assert metrics.sharpness(np.random.default_rng(0).random((10, 28, 28))) > 4 * \
        metrics.sharpness(xt)
    only_ones = clf.report(xt[yt == 1])
    assert metrics.coverage(only_ones.counts, np.full(10, 0.1))[1] <= 2
    assert real.counts.sum() == 1000 and np.isclose(real.share.sum(), 1.0)


def test_digit_classifier_measure_is_report_coverage_and_sharpness_together():
    x, y = load_dataset("font_digits", "train", n=600)
    xt, yt = load_dataset("font_digits", "test", n=200)
    clf = metrics.DigitClassifier(x, y)
    m = clf.measure(xt, yt)
    rep = clf.report(xt)
    share = np.bincount(y, minlength=10) / len(y)
    assert m["confidence"] == rep.confidence
    assert (m["tv"], m["covered"]) == metrics.coverage(rep.counts, share)
    assert m["sharpness"] == metrics.sharpness(xt)
    assert m["accuracy"] == clf.accuracy(xt, yt)
    flat = clf.measure(xt.reshape(len(xt), -1))  # flat images of the trained shape
    assert flat == {k: v for k, v in m.items() if k != "accuracy"}
    # one digit only: few classes covered, far from the data's shares
    ones = clf.measure(xt[yt == 1])
    assert ones["covered"] <= 2 and ones["tv"] > 0.5
    with pytest.raises(ValueError, match=r"measure: images must have 784 pixels; got 64"):
        clf.measure(np.zeros((3, 8, 8)))
    flat_clf = metrics.DigitClassifier(x.reshape(len(x), -1), y)
    with pytest.raises(ValueError, match="trained on flat images"):
        flat_clf.measure(xt)
