"""Likelihoods and priors: each against an independent reference, and the frameworks agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import logsumexp

from tests.frameworks import FRAMEWORKS
from vaebook import torch as vbt

rng = np.random.default_rng(0)


def _np(t):
    return vbt.to_numpy(t)


def _cb_log_prob_reference(logits, x):
    """scipy-free reference: the continuous Bernoulli density integrated numerically."""
    grid = np.linspace(0.0, 1.0, 200_001)
    out = np.empty(logits.shape)
    for idx in np.ndindex(logits.shape):
        ll = float(logits[idx])
        log_lam, log_1m = -np.logaddexp(0, -ll), -np.logaddexp(0, ll)
        log_unnorm = grid * log_lam + (1 - grid) * log_1m
        top = log_unnorm.max()
        log_norm = top + np.log(np.trapezoid(np.exp(log_unnorm - top), grid))
        out[idx] = x[idx] * log_lam + (1 - x[idx]) * log_1m - log_norm
    return out.reshape(len(logits), -1).sum(1)


LOGITS = np.array([[-8.0, -1.0, -1e-5, 0.0, 1e-3, 0.7, 5.0, 30.0]], np.float32)
X = np.array([[0.1, 0.9, 0.3, 0.5, 0.0, 1.0, 0.42, 0.99]], np.float32)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_continuous_bernoulli_log_prob_is_a_normalised_density(fw):
    vb = FRAMEWORKS[fw]
    got = _np(vb.ContinuousBernoulli().log_prob(vb.to_tensor(LOGITS), vb.to_tensor(X)))
    np.testing.assert_allclose(got, _cb_log_prob_reference(LOGITS, X), rtol=1e-4)


def test_continuous_bernoulli_matches_torch_distributions():
    logits = torch.tensor(LOGITS[:, [0, 1, 5, 6]])
    x = torch.tensor(X[:, [0, 1, 5, 6]])
    ref = torch.distributions.ContinuousBernoulli(logits=logits).log_prob(x).sum(1)
    torch.testing.assert_close(vbt.ContinuousBernoulli().log_prob(logits, x), ref, rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_continuous_bernoulli_mean_and_samples(fw):
    vb = FRAMEWORKS[fw]
    logits = np.array([[-6.0, -0.5, 1e-4, 0.0, 2.0, 40.0]], np.float32)
    lik = vb.ContinuousBernoulli()
    mean = _np(lik.mean(vb.to_tensor(logits)))[0]
    grid = np.linspace(0, 1, 100_001)
    ll = logits[0].astype(np.float64)[:, None]
    # log lam = -softplus(-l), log(1 - lam) = -softplus(l): exact where 1 - lam rounds to 0
    log_dens = -grid * np.logaddexp(0, -ll) - (1 - grid) * np.logaddexp(0, ll)
    dens = np.exp(log_dens - log_dens.max(axis=1, keepdims=True))
    ref = np.trapezoid(dens * grid, grid, axis=1) / np.trapezoid(dens, grid, axis=1)
    np.testing.assert_allclose(mean, ref, atol=2e-4)
    draws = _np(lik.sample(vb.to_tensor(np.repeat(logits, 20_000, axis=0)), seed=0))
    assert draws.min() >= 0 and draws.max() <= 1
    np.testing.assert_allclose(draws.mean(0), ref, atol=0.01)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_bernoulli_and_gaussian_likelihoods(fw):
    vb = FRAMEWORKS[fw]
    logits = rng.normal(size=(4, 5)).astype(np.float32) * 3
    xb = (rng.random((4, 5)) < 0.5).astype(np.float32)
    ref = stats.bernoulli(1 / (1 + np.exp(-logits.astype(np.float64)))).logpmf(xb).sum(1)
    np.testing.assert_allclose(_np(vb.Bernoulli().log_prob(vb.to_tensor(logits),
                                                           vb.to_tensor(xb))), ref, rtol=1e-5)
    g = vb.Gaussian(logvar=-1.0)
    ref = stats.norm(logits, np.exp(-0.5)).logpdf(xb).sum(1)
    np.testing.assert_allclose(_np(g.log_prob(vb.to_tensor(logits), vb.to_tensor(xb))), ref,
                               rtol=1e-5)
    draws = _np(g.sample(vb.to_tensor(np.zeros((20_000, 1), np.float32)), seed=1))
    assert abs(draws.std() - np.exp(-0.5)) < 0.01
    bern = _np(vb.Bernoulli().sample(vb.to_tensor(np.full((20_000, 1), 1.0, np.float32)),
                                     seed=2))
    assert set(np.unique(bern)) <= {0.0, 1.0} and abs(bern.mean() - 0.7311) < 0.01


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_learned_gaussian_variance_is_trained(fw):
    vb = FRAMEWORKS[fw]
    x = (0.3 * rng.normal(size=(512, 6, 6)) + 0.5).astype(np.float32)
    model = vb.Autoencoder((6, 6), 4, (16,), likelihood=vb.Gaussian(logvar=0.0, learned=True))
    vb.fit(model, x, epochs=30, lr=1e-2, progress=False)
    sigma = float(np.exp(0.5 * _np(model.likelihood.logvar)))
    assert sigma < 0.6  # started at 1, moves towards the data's noise level


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_mixture_prior_log_prob_and_samples(fw):
    vb = FRAMEWORKS[fw]
    prior = vb.MixturePrior(3, latent_dim=2, seed=4)
    means, logvars = _np(prior.means), _np(prior.logvars)
    z = rng.normal(size=(7, 2)).astype(np.float32)
    ref = logsumexp([stats.multivariate_normal(means[k], np.diag(np.exp(logvars[k]))).logpdf(z)
                     for k in range(3)], axis=0) - np.log(3)
    np.testing.assert_allclose(_np(prior.log_prob(vb.to_tensor(z))), ref, rtol=1e-5)
    s1, s2 = _np(prior.sample(5000, seed=3)), _np(prior.sample(5000, seed=3))
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_allclose(s1.mean(0), means.mean(0), atol=0.08)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_vamp_prior_is_the_mixture_of_posteriors_at_its_pseudo_inputs(fw):
    vb = FRAMEWORKS[fw]
    model = vb.VAE((4, 4), 2, (8,), prior=vb.VampPrior(5, seed=1))
    u = model.prior.pseudo_inputs()
    assert tuple(u.shape) == (5, 4, 4) and 0 < _np(u).min() and _np(u).max() < 1
    mu, logvar = (_np(t) for t in model.encode(u))
    z = rng.normal(size=(6, 2)).astype(np.float32)
    ref = logsumexp([stats.multivariate_normal(mu[k], np.diag(np.exp(logvar[k]))).logpdf(z)
                     for k in range(5)], axis=0) - np.log(5)
    np.testing.assert_allclose(_np(model.prior.log_prob(vb.to_tensor(z))), ref, rtol=1e-4)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("prior", ["mixture", "vamp"])
def test_learned_priors_train_and_evaluate(fw, prior):
    vb = FRAMEWORKS[fw]
    x = (rng.random((300, 6, 6)) < 0.3).astype(np.float32)
    p = vb.MixturePrior(4) if prior == "mixture" else vb.VampPrior(4)
    model = vb.VAE((6, 6), 2, (16,), prior=p)
    n_params = len(list(model.parameters())) if fw == "torch" else len(model.trainable_variables)
    plain = vb.VAE((6, 6), 2, (16,))
    n_plain = len(list(plain.parameters())) if fw == "torch" else len(plain.trainable_variables)
    assert n_params == n_plain + (3 if prior == "mixture" else 1)  # the prior's own weights
    hist = vb.fit(model, x, epochs=3, progress=False)
    assert np.isfinite(hist["kl"]).all()
    bound = _np(vb.iwae_bound(model, x[:20], k=50, seed=0))
    assert bound.shape == (20,) and np.isfinite(bound).all()
    assert tuple(model.sample(3, seed=0).shape) == (3, 6, 6)


def test_standard_normal_kl_is_closed_form():
    mu = rng.normal(size=(4, 3)).astype(np.float32)
    lv = rng.normal(size=(4, 3)).astype(np.float32)
    for vb in FRAMEWORKS.values():
        np.testing.assert_allclose(_np(vb.StandardNormal(3).kl(vb.to_tensor(mu), vb.to_tensor(lv))),
                                   _np(vb.gaussian_kl(mu, lv)), rtol=1e-6)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_prior_errors_are_named(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match=r"VAE: argument `prior` has latent_dim 3.*is 2"):
        vb.VAE(16, 2, (4,), prior=vb.StandardNormal(3))
    with pytest.raises(ValueError, match=r"VAE: argument `prior` must be None.*got str"):
        vb.VAE(16, 2, (4,), prior="vamp")
    with pytest.raises(ValueError, match="MixturePrior: argument `n_components`"):
        vb.MixturePrior(0)
    with pytest.raises(ValueError, match="Gaussian: argument `learned`"):
        vb.Gaussian(learned="yes")


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_vamp_prior_can_start_at_given_images(fw):
    vb = FRAMEWORKS[fw]
    images = (rng.random((3, 4, 4)) < 0.5).astype(np.float32)
    images[0, 0, 0] = 0.3
    model = vb.VAE((4, 4), 2, (8,), prior=vb.VampPrior(3, init=images))
    got = _np(model.prior.pseudo_inputs())
    np.testing.assert_allclose(got, np.clip(images, 1e-3, 1 - 1e-3), rtol=1e-4)
    flat = vb.VAE(16, 2, (8,), prior=vb.VampPrior(3, init=images.reshape(3, 16)))
    assert tuple(flat.prior.pseudo_inputs().shape) == (3, 16)
    with pytest.raises(ValueError, match=r"VampPrior: argument `init` must have shape \(3, 4, 4\)"):
        vb.VAE((4, 4), 2, (8,), prior=vb.VampPrior(3, init=images[:2]))
    with pytest.raises(ValueError, match=r"VampPrior: argument `init` must hold images in \[0, 1\]"):
        vb.VAE((4, 4), 2, (8,), prior=vb.VampPrior(3, init=images * 255))
