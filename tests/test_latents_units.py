"""The framework-free helpers of chapter 8: codes and priors (vaebook.latents), units
(vaebook.units). Each metric is tested on cases whose answer is known, and different."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from vaebook import latents, units

rng = np.random.default_rng(0)


# ------------------------------------------------------------------ active units
def test_active_units_counts_dimensions_whose_mean_varies():
    mu = rng.normal(size=(500, 4)) * np.array([1.0, 0.5, 0.05, 0.0]) + 3.0
    assert latents.active_units(mu) == 2  # variance 0.0025 < 0.01: inactive
    assert latents.active_units(mu, threshold=1e-3) == 3
    assert latents.active_units(np.zeros((10, 6))) == 0
    with pytest.raises(ValueError, match="active_units: argument `mu` must have shape"):
        latents.active_units(np.zeros(5))
    with pytest.raises(ValueError, match="active_units: argument `threshold`"):
        latents.active_units(mu, threshold=0)


# ------------------------------------------------------------------ aggregate posterior
def test_aggregate_log_density_against_scipy():
    mu, logvar = rng.normal(size=(7, 3)), rng.normal(size=(7, 3)) * 0.5
    z = rng.normal(size=(300, 3)) * 2
    ref = logsumexp([stats.multivariate_normal(mu[n], np.diag(np.exp(logvar[n]))).logpdf(z)
                     for n in range(7)], axis=0) - np.log(7)
    np.testing.assert_allclose(latents.aggregate_log_density(z, mu, logvar, chunk=64), ref,
                               rtol=1e-10)
    # Far from every component: no underflow to -inf.
    assert np.isfinite(latents.aggregate_log_density(np.full((1, 3), 200.0), mu, logvar)).all()


def test_sample_aggregate_has_the_mixture_moments():
    mu = np.array([[-3.0, 0.0], [3.0, 1.0]])
    logvar = np.log(np.array([[0.25, 1.0], [0.25, 4.0]]))
    z = latents.sample_aggregate(mu, logvar, 200_000, seed=1)
    np.testing.assert_allclose(z.mean(0), [0.0, 0.5], atol=0.02)
    # Var of a mixture: mean of the variances plus the variance of the means.
    np.testing.assert_allclose(z.var(0), [0.25 + 9.0, 2.5 + 0.25], rtol=0.02)


# ------------------------------------------------------------------ rate = MI + marginal KL
def _codes(mu, logvar, s, seed=0):
    r = np.random.default_rng(seed)
    return mu + np.exp(0.5 * logvar) * r.standard_normal((s, *mu.shape))


def test_rate_terms_identical_posteriors_carry_no_information():
    mu, logvar = np.zeros((50, 2)), np.zeros((50, 2))
    z = _codes(mu, logvar, 20)
    t = latents.rate_terms(z, mu, logvar, stats.norm().logpdf(z).sum(-1))
    assert abs(t["rate"]) < 1e-12 and abs(t["mutual_information"]) < 1e-12
    assert abs(t["marginal_kl"]) < 1e-12


def test_rate_terms_separated_posteriors_carry_log_n():
    n = 40
    mu = np.stack([np.arange(n) * 10.0, np.zeros(n)], axis=1)
    logvar = np.full((n, 2), np.log(0.01))
    z = _codes(mu, logvar, 10)
    t = latents.rate_terms(z, mu, logvar, stats.norm().logpdf(z).sum(-1))
    np.testing.assert_allclose(t["mutual_information"], np.log(n), rtol=1e-6)
    np.testing.assert_allclose(t["rate"], t["mutual_information"] + t["marginal_kl"],
                               rtol=1e-12)


def test_rate_terms_shifted_prior_gives_the_gaussian_kl():
    """Every posterior N(m, I), prior N(0, I): q(z) = N(m, I), so KL(q(z) || p) = |m|^2 / 2."""
    m = np.array([1.0, -2.0])
    mu, logvar = np.tile(m, (30, 1)), np.zeros((30, 2))
    z = _codes(mu, logvar, 2000, seed=2)
    t = latents.rate_terms(z, mu, logvar, stats.norm().logpdf(z).sum(-1))
    np.testing.assert_allclose(t["marginal_kl"], 0.5 * (m @ m), rtol=0.02)
    assert abs(t["mutual_information"]) < 1e-10
    with pytest.raises(ValueError, match="rate_terms: argument `log_pz` must have shape"):
        latents.rate_terms(z, mu, logvar, np.zeros(30))


# ------------------------------------------------------------------ prior holes
def test_prior_hole_fraction_is_the_level_for_a_matching_prior():
    mu = rng.normal(size=(200, 2)) * 2
    logvar = np.full((200, 2), np.log(0.3))
    matching = latents.sample_aggregate(mu, logvar, 20000, seed=9)
    frac = latents.prior_hole_fraction(matching, mu, logvar, level=0.05, seed=3)
    assert abs(frac - 0.05) < 0.01


def test_prior_hole_fraction_sees_a_prior_that_misses_the_codes():
    # Codes on a ring of radius 3; the prior N(0, I) puts most of its mass in the hole.
    angle = rng.uniform(0, 2 * np.pi, 300)
    mu = 3.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    logvar = np.full((300, 2), np.log(0.05))
    prior = rng.normal(size=(5000, 2))
    assert latents.prior_hole_fraction(prior, mu, logvar, level=0.01) > 0.5
    with pytest.raises(ValueError, match="prior_hole_fraction: argument `level`"):
        latents.prior_hole_fraction(prior, mu, logvar, level=1.5)
    with pytest.raises(ValueError, match=r"prior_hole_fraction: argument `z` must have shape \(M, 2\)"):
        latents.prior_hole_fraction(prior[:, :1], mu, logvar)


def test_posterior_arguments_are_checked():
    with pytest.raises(ValueError, match="aggregate_log_density: argument `logvar` must have"):
        latents.aggregate_log_density(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="sample_aggregate: arguments `mu` and `logvar` must be finite"):
        latents.sample_aggregate(np.full((2, 2), np.nan), np.zeros((2, 2)), 3)


# ------------------------------------------------------------------ units
def test_bits_per_dim():
    # Burda et al.'s VAE: 86.76 nats on 784 binary pixels.
    assert abs(units.bits_per_dim(86.76, 784) - 86.76 / 784 / math.log(2)) < 1e-12
    assert abs(units.bits_per_dim(86.76, 784) - 0.15966) < 1e-4
    # A fair coin per pixel is exactly one bit per dimension.
    assert units.bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)
    np.testing.assert_allclose(units.bits_per_dim(np.array([0.0, 64 * math.log(2)]), 64),
                               [0.0, 1.0])
    with pytest.raises(ValueError, match="bits_per_dim: argument `n_dims`"):
        units.bits_per_dim(1.0, 0)


def test_dequantize_fills_each_bin():
    levels = 17  # the "digits" data: i / 16
    x = rng.integers(0, levels, size=(2000, 8)) / (levels - 1)
    y = units.dequantize(x, levels, seed=1)
    assert y.dtype == np.float32 and y.min() >= 0 and y.max() < 1
    i = np.rint(x * (levels - 1))
    assert (np.floor(y * levels) == i).all()  # each value stays in its own bin
    np.testing.assert_allclose((y * levels - i).mean(), 0.5, atol=0.01)  # uniform inside
    with pytest.raises(ValueError, match="dequantize: argument `x` must hold levels i / 16"):
        units.dequantize(np.array([0.5 / 16]), levels)


def test_discrete_nll_of_a_uniform_density_is_eight_bits():
    # The uniform density on [0, 1)^D: -log p = 0, so -log P = D log 256: 8 bits/dim.
    nll = units.discrete_nll(0.0, 784, 256)
    assert units.bits_per_dim(nll, 784) == pytest.approx(8.0)


def test_discrete_nll_is_exact_for_a_histogram_and_a_bound_for_a_gaussian():
    levels, d = 8, 3
    probs = rng.dirichlet(np.ones(levels), size=d)  # a categorical per pixel
    x_int = np.stack([rng.choice(levels, 500, p=probs[j]) for j in range(d)], axis=1)
    exact = -np.log(probs[np.arange(d), x_int]).sum(1)
    # The piecewise-constant density with those bin masses: density = P * L in each bin.
    y = units.dequantize(x_int / (levels - 1), levels, seed=0)
    bins = np.floor(y * levels).astype(int)
    density_nll = -np.log(probs[np.arange(d), bins] * levels).sum(1)
    np.testing.assert_allclose(units.discrete_nll(density_nll, d, levels), exact, rtol=1e-6)
    # A Gaussian density: the bound is above the exact -log P of its bins (Jensen), and close.
    g = stats.norm(0.5, 0.3)
    edges = np.arange(levels + 1) / levels
    exact_g = -np.log(g.cdf(edges[x_int + 1]) - g.cdf(edges[x_int])).sum(1)
    noisy = np.mean([-g.logpdf(units.dequantize(x_int / (levels - 1), levels, seed=s)).sum(1)
                     for s in range(200)], axis=0)
    bound = units.discrete_nll(noisy, d, levels)
    assert (bound.mean() >= exact_g.mean()) and (bound.mean() - exact_g.mean() < 0.1)
