"""MIG and DCI on codes whose answers are known: the factors themselves, rotations of them, noise.

The rotated codes have computed answers: for DCI with linear regressors the importances
of a code rotated by theta are |cos theta| and |sin theta|, so D = C = 1 - H_2(cos /
(cos + sin)) exactly; for MIG an independent count of the same histograms gives the
exact value, and the continuum limit log(cot theta) / log(bins) the approximate one.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from vaebook import disentanglement as dis


def _grid(m: int = 60) -> np.ndarray:
    """Two independent factors on a full m x m grid, standardised: exactly uncorrelated."""
    g = np.stack(np.meshgrid(np.arange(m), np.arange(m), indexing="ij"), -1).reshape(-1, 2)
    g = g.astype(np.float64)
    return (g - g.mean(0)) / g.std(0)


def _rotate(v: np.ndarray, degrees: float) -> np.ndarray:
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    return v @ np.array([[c, -s], [s, c]]).T


# ------------------------------------------------------------------ discretisation and MI
def test_discretize_known_bins_and_affine_invariance():
    v = np.array([0.0, 0.24, 0.25, 0.5, 0.99, 1.0])
    assert dis.discretize(v, 4).tolist() == [0, 0, 1, 2, 3, 3]  # the maximum joins the last bin
    assert dis.discretize(np.full(5, 3.0), 4).tolist() == [0] * 5
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 3))
    bins = dis.discretize(z, 7)
    # A shift and a positive scale keep every bin; a negative scale reverses their order.
    assert np.array_equal(dis.discretize(3.0 * z - 2.0, 7), bins)
    assert np.array_equal(dis.discretize(-z, 7), 6 - bins)
    with pytest.raises(ValueError, match=r"discretize: argument `bins` must be an integer >= 2"):
        dis.discretize(z, 1)
    with pytest.raises(ValueError, match=r"discretize: argument `values`.*NaN"):
        dis.discretize(np.array([0.0, np.nan]), 4)


def test_mutual_information_matches_scikit_learn_and_a_hand_count():
    rng = np.random.default_rng(1)
    v = rng.integers(0, 4, size=(2000, 2))
    z = np.column_stack([v[:, 0] + 0.3 * rng.random(2000), rng.random(2000)])
    mi = dis.mutual_information(z, v, bins=8)
    zb = dis.discretize(z, 8)
    for j in range(2):
        for k in range(2):
            assert mi[j, k] == pytest.approx(mutual_info_score(zb[:, j], v[:, k]), abs=1e-12)
    # z = v1 + v2 of two fair coins: z is 0, 1, 2 with 1/4, 1/2, 1/4; given v1 it is one
    # of two values, so I(z; v1) = H(z) - H(z | v1) = 1.5 - 1 = 0.5 bits.
    coins = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    mi = dis.mutual_information((coins.sum(1))[:, None] * np.ones((1, 2)), coins, bins=3)
    np.testing.assert_allclose(mi, 0.5 * math.log(2.0), atol=1e-12)
    np.testing.assert_allclose(dis.entropy(coins), math.log(2.0), atol=1e-12)


# ------------------------------------------------------------------ MIG
def test_mig_of_the_factors_themselves_is_one_whatever_the_order_and_units():
    v = _grid()
    assert dis.mig(v, v).score == pytest.approx(1.0, abs=1e-12)
    code = np.column_stack([-3.0 * v[:, 1] + 5.0, 0.1 * v[:, 0]])  # swapped, scaled, flipped
    result = dis.mig(code, v)
    assert result.score == pytest.approx(1.0, abs=1e-12)
    assert result.best.tolist() == [1, 0]
    # As a dict with an integer (categorical) factor: the labels of load_dataset("shapes").
    labels = {"shape": np.repeat(np.arange(3), 400), "x": np.tile(np.linspace(0, 1, 400), 3)}
    code = np.column_stack([labels["shape"] * 1.0, labels["x"], np.zeros(1200)])
    result = dis.mig(code, labels)
    assert result.names == ("shape", "x") and result.score == pytest.approx(1.0, abs=1e-12)


def _mig_by_counting(codes, factors, bins):
    """MIG from scratch: bins by hand, probabilities by counting (a reference, not the code)."""
    n, d = codes.shape

    def binned(col):
        lo, hi = min(col), max(col)
        return [min(int((x - lo) / (hi - lo) * bins), bins - 1) for x in col]

    def h(labels):
        return -sum(c / n * math.log(c / n) for c in Counter(labels).values())

    zs = [binned(codes[:, j].tolist()) for j in range(d)]
    gaps = []
    for k in range(factors.shape[1]):
        vk = binned(factors[:, k].tolist())
        mis = sorted((h(z) + h(vk) - h(list(zip(z, vk, strict=True))) for z in zs),
                     reverse=True)
        gaps.append((mis[0] - mis[1]) / h(vk))
    return sum(gaps) / len(gaps)


@pytest.mark.parametrize("degrees", [10.0, 20.0, 30.0, 40.0])
def test_a_rotated_code_scores_lower_by_the_computed_amount(degrees):
    v, bins = _grid(), 20
    score = dis.mig(_rotate(v, degrees), v, bins=bins).score
    assert score == pytest.approx(_mig_by_counting(_rotate(v, degrees), v, bins), abs=1e-9)
    # For uniform factors the continuum gap is I(z1; v1) - I(z2; v1) = log cot(theta)
    # nats; the factor's entropy in `bins` bins is log(bins).
    if degrees >= 20:
        continuum = math.log(1.0 / math.tan(math.radians(degrees))) / math.log(bins)
        assert score == pytest.approx(continuum, rel=0.15)


def test_mig_falls_with_the_angle_and_vanishes_at_45_degrees():
    v = _grid()
    scores = [dis.mig(_rotate(v, a), v).score for a in (0, 5, 15, 25, 35, 45)]
    assert scores[0] == pytest.approx(1.0, abs=1e-12)
    assert all(a > b for a, b in zip(scores, scores[1:], strict=False))
    assert scores[-1] < 1e-3  # two dimensions share each factor equally: no gap


def test_mig_of_noise_is_about_zero_and_a_duplicate_halves_it():
    rng = np.random.default_rng(2)
    v = rng.random((5000, 4))
    assert dis.mig(rng.normal(size=(5000, 10)), v).score < 0.01
    # A factor copied into two dimensions has no gap: MIG does not reward redundancy.
    g = _grid()
    code = np.column_stack([g[:, 0], g[:, 0], g[:, 1]])
    result = dis.mig(code, g)
    np.testing.assert_allclose(result.per_factor, [0.0, 1.0], atol=1e-12)
    assert result.score == pytest.approx(0.5, abs=1e-12)


def test_mig_from_mi_by_hand():
    mi = np.array([[2.0, 0.1, 0.0],
                   [0.5, 0.9, 0.0],
                   [0.1, 0.3, 0.2]])
    h = np.array([2.0, 1.0, 0.4])
    np.testing.assert_allclose(dis.mig_from_mi(mi, h), [(2.0 - 0.5) / 2, (0.9 - 0.3) / 1,
                                                        (0.2 - 0.0) / 0.4])
    with pytest.raises(ValueError, match=r"mig_from_mi: argument `mi` must have shape \(d, K\) "
                                         r"with d >= 2"):
        dis.mig_from_mi(mi[:1], h)
    with pytest.raises(ValueError, match=r"mig_from_mi: argument `entropies`"):
        dis.mig_from_mi(mi, [1.0, 0.0, 1.0])


def test_mig_bad_input_is_named():
    v = _grid(5)
    with pytest.raises(ValueError, match=r"mig: argument `codes` must have d >= 2"):
        dis.mig(v[:, :1], v)
    with pytest.raises(ValueError, match=r"mig: factor 'x' must have shape \(25,\)"):
        dis.mig(v, {"x": np.zeros(3)})
    with pytest.raises(ValueError, match=r"mig: factor\(s\) \['c'\] take a single value"):
        dis.mig(v, {"c": np.ones(25)})
    with pytest.raises(ValueError, match=r"mig: argument `codes` must be finite"):
        dis.mig(np.full((25, 2), np.nan), v)
    with pytest.raises(ValueError, match=r"mutual_information: argument `bins`"):
        dis.mutual_information(v, v, bins=0)


# ------------------------------------------------------------------ DCI
def _one_minus_binary_entropy(p: float) -> float:
    return 1.0 + p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p)


@pytest.mark.parametrize("degrees", [0.0, 10.0, 30.0, 45.0])
def test_linear_dci_of_a_rotated_code_is_exact(degrees):
    v = _grid(30)
    result = dis.dci(_rotate(v, degrees), v, regressor="linear")
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    # v = R^T z: code 1 has weights (c, s) for the two factors, code 2 (s, c).
    expected = 1.0 if degrees == 0 else _one_minus_binary_entropy(c / (c + s))
    np.testing.assert_allclose(result.importance, [[c, s], [s, c]], atol=1e-9)
    assert result.disentanglement == pytest.approx(expected, abs=1e-9)
    assert result.completeness == pytest.approx(expected, abs=1e-9)
    assert result.informativeness == pytest.approx(1.0, abs=1e-9)  # nothing is lost


def test_dci_of_the_factors_and_of_noise():
    rng = np.random.default_rng(3)
    v = rng.random((3000, 3))
    code = np.column_stack([v[:, 2], v[:, 0], v[:, 1], rng.normal(size=3000)])
    forest = dis.dci(code, v, regressor="forest", seed=0)
    assert forest.disentanglement > 0.9 and forest.completeness > 0.9
    assert forest.informativeness > 0.95
    assert forest.importance.argmax(axis=0).tolist() == [1, 2, 0]
    assert forest.code_weight[3] < 0.05  # the unused noise dimension carries no weight
    noise = dis.dci(rng.normal(size=(3000, 6)), v, regressor="forest", seed=0)
    assert noise.disentanglement < 0.05 and noise.completeness < 0.05
    assert noise.informativeness < 0.05
    # Least squares on noise: its importances are random, so D and C mean nothing there,
    # and informativeness is what says so.
    assert dis.dci(rng.normal(size=(3000, 6)), v, regressor="linear").informativeness < 0.02


def test_dci_bad_input_is_named():
    v = _grid(5)
    with pytest.raises(ValueError, match=r"dci: argument `regressor` must be one of"):
        dis.dci(v, v, regressor="lasso")
    with pytest.raises(ValueError, match=r"dci: argument `test_fraction` must lie in \(0, 1\)"):
        dis.dci(v, v, test_fraction=1.0)
    with pytest.raises(ValueError, match=r"dci: factor\(s\) \['c'\] take a single value"):
        dis.dci(v, {"c": np.ones(25)})
    with pytest.raises(ValueError, match=r"dci: argument `seed`"):
        dis.dci(v, v, seed=-1)
    with pytest.raises(ValueError, match=r"dci: argument `codes` must have shape \(N, d\)"):
        dis.dci(np.zeros(5), v)
