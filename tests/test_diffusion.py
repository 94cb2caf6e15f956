"""Diffusion as a hierarchical VAE: every formula of the fixed encoder against an independent
computation, and the DDPM's ELBO term by term, in both frameworks and against each other.

* the marginal q(x_t | x_0) against simulating the chain step by step;
* the posterior q(x_{t-1} | x_t, x_0) against Bayes' rule on a 1-D grid;
* lambda_t against the KL between two Gaussians written out in full;
* the ELBO as a sum of KL terms against the definition E_q[log p(x_{0:T}) - log q(x_{1:T} | x_0)]
  estimated from whole forward trajectories;
* a model whose network knows nothing (F = 0) against the quadrature of the Bayes-optimal
  lone-pixel bound, where its answer is known.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
import torch
from scipy import stats

from tests.frameworks import FRAMEWORKS, np_
from vaebook import diffusion, toy
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt
from vaebook.diffusion import NoiseSchedule, noise_schedule, time_embedding


def _schedule(T=6):
    """A short schedule with large steps, so that every term matters."""
    return NoiseSchedule(np.linspace(0.05, 0.5, T))


# ------------------------------------------------------------------ the schedule's formulas
@pytest.mark.parametrize("t", [1, 3, 10])
def test_marginal_matches_simulating_the_chain(t):
    s = noise_schedule("linear", 10, 0.05, 0.3)
    x0 = np.array([[1.5, -0.7]])
    rng = np.random.default_rng(t)
    x = np.repeat(x0, 100_000, axis=0)
    for step in range(1, t + 1):
        mean, var = s.step(x, step)
        x = mean + np.sqrt(var) * rng.standard_normal(x.shape)
    mean, var = s.marginal(x0, t)
    n = len(x)
    assert np.all(np.abs(x.mean(0) - mean[0]) < 4 * np.sqrt(var / n))
    assert np.all(np.abs(x.var(0) / var - 1) < 4 * math.sqrt(2 / n))
    assert stats.kstest((x[:, 0] - mean[0, 0]) / math.sqrt(var), "norm").pvalue > 1e-3
    # The control: the marginal of one step (alpha_t instead of alpha_bar_t) is rejected.
    if t > 1:
        wrong = math.sqrt(s.alpha[t]) * x0[0]
        assert np.any(np.abs(x.mean(0) - wrong) > 4 * np.sqrt(var / n))


@pytest.mark.parametrize("t", [2, 5, 10])
def test_posterior_matches_bayes_rule_on_a_grid(t):
    s = noise_schedule("linear", 10, 0.05, 0.3)
    x0, xt = 0.8, -0.3
    grid = np.linspace(-8, 8, 200_001)
    m_prev, v_prev = s.marginal(np.array([[x0]]), t - 1)     # q(x_{t-1} | x_0)
    log_post = (stats.norm.logpdf(xt, math.sqrt(s.alpha[t]) * grid, math.sqrt(s.beta[t]))
                + stats.norm.logpdf(grid, m_prev[0, 0], math.sqrt(v_prev)))
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    grid_mean = (w * grid).sum()
    grid_var = (w * (grid - grid_mean) ** 2).sum()
    mean, var = s.posterior(np.array([[x0]]), np.array([[xt]]), t)
    assert abs(mean[0, 0] - grid_mean) < 1e-6 and abs(var - grid_var) < 1e-6
    # The control: the two coefficients swapped give another mean.
    swapped = s.posterior_coef_xt[t] * x0 + s.posterior_coef_x0[t] * xt
    assert abs(swapped - grid_mean) > 1e-2


def test_posterior_at_t1_is_the_data_and_arrays_of_steps_broadcast():
    s = _schedule()
    x0 = np.array([[0.3, -1.0], [2.0, 0.5]])
    mean, var = s.posterior(x0, x0 + 1.0, 1)
    np.testing.assert_allclose(mean, x0)
    assert var == 0.0
    mean, var = s.marginal(x0, np.array([0, 6]))
    np.testing.assert_allclose(mean[0], x0[0])
    np.testing.assert_allclose(mean[1], math.sqrt(s.alpha_bar[6]) * x0[1])
    assert var.shape == (2, 1) and var[0, 0] == 0.0


def _gauss_kl(m1, v1, m2, v2):
    """KL(N(m1, v1) || N(m2, v2)) per dimension, written out in full."""
    return 0.5 * (np.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1.0)


@pytest.mark.parametrize("reverse_var", ["posterior", "beta"])
def test_elbo_weight_turns_the_noise_loss_into_the_kl_term(reverse_var):
    s = noise_schedule("cosine", 20)
    rng = np.random.default_rng(0)
    x0, eps, eps_hat = rng.standard_normal((3, 1, 5))
    lam, const = s.elbo_weight(reverse_var), s.elbo_constant(reverse_var)
    assert np.isnan(lam[:2]).all()
    for t in (2, 7, 20):
        xt = math.sqrt(s.alpha_bar[t]) * x0 + math.sqrt(1 - s.alpha_bar[t]) * eps
        mu_q, var_q = s.posterior(x0, xt, t)
        # The model's mean, written through its noise prediction.
        mu_p = (xt - s.beta[t] / math.sqrt(1 - s.alpha_bar[t]) * eps_hat) / math.sqrt(s.alpha[t])
        var_p = s.posterior_var[t] if reverse_var == "posterior" else s.beta[t]
        kl = _gauss_kl(mu_q, var_q, mu_p, var_p).sum()
        assert kl == pytest.approx(lam[t] * ((eps - eps_hat) ** 2).sum() + 5 * const[t],
                                   rel=1e-9)
        if reverse_var == "posterior":  # Kingma et al. (2021): (SNR(t-1) / SNR(t) - 1) / 2
            assert lam[t] == pytest.approx(0.5 * (s.snr[t - 1] / s.snr[t] - 1), rel=1e-9)
            assert const[t] == 0.0
        else:
            assert const[t] > 0
    with pytest.raises(ValueError, match="`reverse_var`.*'sigma'"):
        s.elbo_weight("sigma")


def test_prior_kl_against_scipy_and_schedules():
    s = noise_schedule("linear", 100)
    assert s.beta[1] == pytest.approx(1e-3) and s.beta[-1] == pytest.approx(0.2)
    assert noise_schedule("linear", 1000).beta[-1] == pytest.approx(0.02)
    c = noise_schedule("cosine", 50)
    f = np.cos(0.5 * np.pi * (np.arange(51) / 50 + 0.008) / 1.008) ** 2
    np.testing.assert_allclose(c.alpha_bar[1:-1], (f / f[0])[1:-1], rtol=1e-10)
    x0 = np.random.default_rng(0).standard_normal((4, 3))
    ab = s.alpha_bar[-1]
    ref = [sum(stats.entropy(stats.norm.pdf(g, math.sqrt(ab) * v, math.sqrt(1 - ab)),
                             stats.norm.pdf(g, 0, 1)) for v in row) for row in x0
           for g in [np.linspace(-12, 12, 400_001)]]
    np.testing.assert_allclose(s.prior_kl(x0), ref, rtol=1e-5, atol=1e-7)


def test_schedule_errors():
    with pytest.raises(ValueError, match="`betas`.*\\(0, 1\\)"):
        NoiseSchedule([0.1, 1.2])
    with pytest.raises(ValueError, match="`betas`"):
        NoiseSchedule([])
    with pytest.raises(ValueError, match="`kind`.*'quadratic'"):
        noise_schedule("quadratic", 10)
    with pytest.raises(ValueError, match="`steps`"):
        noise_schedule("linear", 0)
    with pytest.raises(ValueError, match="`beta_end`.*steps=10"):
        noise_schedule("linear", 10)
    with pytest.raises(ValueError, match="`t`.*\\[1, 6\\]"):
        _schedule().posterior(np.zeros((1, 2)), np.zeros((1, 2)), 0)
    with pytest.raises(ValueError, match="`t`.*\\[0, 6\\]"):
        _schedule().marginal(np.zeros((1, 2)), 7)
    with pytest.raises(ValueError, match="`p`"):
        _schedule().binary_pixel_bound(1.0)


def test_time_embedding():
    e = time_embedding(np.arange(11), 8, 10)
    assert e.shape == (11, 8) and e.dtype == np.float32
    np.testing.assert_allclose(e[0], [0, 0, 0, 0, 1, 1, 1, 1])
    assert np.allclose((e**2).reshape(11, 2, 4).sum(1), 1.0)  # sin^2 + cos^2
    assert len({tuple(np.round(r, 5)) for r in e}) == 11      # every step told apart
    # The same position on the 0..1000 scale gives the same features whatever T.
    np.testing.assert_allclose(time_embedding(5, 8, 10), time_embedding(50, 8, 100), atol=1e-5)
    with pytest.raises(ValueError, match="`dim`"):
        time_embedding(1, 7, 10)
    with pytest.raises(ValueError, match="`t`"):
        time_embedding(11, 8, 10)


def test_gaussian_ring():
    ring = toy.GaussianRing()
    x = ring.sample(5000, seed=1)
    assert x.shape == (5000, 2) and abs(x.var(0).mean() - 1.0) < 0.05
    mix = [stats.multivariate_normal(m, 0.01 * np.eye(2)) for m in ring.modes]
    ref = np.log(np.mean([d.pdf(x[:50]) for d in mix], axis=0))
    np.testing.assert_allclose(ring.log_prob(x[:50]), ref, rtol=1e-6)
    k, dist = ring.nearest_mode(x)
    assert np.bincount(k, minlength=8).min() > 500
    assert abs((dist < 3).mean() - (1 - math.exp(-4.5))) < 0.005
    # The control: points spread uniformly over the square are mostly far from every mode.
    u = np.random.default_rng(0).uniform(-2, 2, (5000, 2))
    assert (ring.nearest_mode(u)[1] < 3).mean() < 0.3
    assert ring.log_prob(u).mean() < -ring.entropy(20_000) - 5
    with pytest.raises(ValueError, match="`x`"):
        ring.log_prob(np.zeros((3, 3)))


@pytest.mark.parametrize("alpha_bar", [0.95, 0.5, 0.05])
def test_ring_posterior_mean_against_importance_sampling(alpha_bar):
    ring = toy.GaussianRing()
    x0 = ring.sample(400_000, seed=2).astype(np.float64)
    xt = np.array([[1.0, 0.3], [-0.2, -1.5]])
    m, v = math.sqrt(alpha_bar), 1 - alpha_bar
    for point, ours in zip(xt, ring.posterior_mean(xt, alpha_bar), strict=True):
        log_w = -((point - m * x0) ** 2).sum(1) / (2 * v)      # q(x_t | x_0), up to a constant
        w = np.exp(log_w - log_w.max())
        ref = (w[:, None] * x0).sum(0) / w.sum()
        ess = w.sum() ** 2 / (w**2).sum()
        assert np.all(np.abs(ours - ref) < 5 * x0.std(0) / math.sqrt(ess) + 1e-3), (ours, ref)
    # The control: the prior mean (no denoising) is far from it at low noise.
    if alpha_bar > 0.9:
        assert np.abs(ring.posterior_mean(xt, alpha_bar) - 0).max() > 0.5


def test_ideal_bound_lies_between_the_entropy_and_a_worse_model():
    ring, s = toy.GaussianRing(), noise_schedule("cosine", 30)
    x0 = ring.sample(5000, seed=3)
    ideal = diffusion.ideal_bound_terms(s, x0, ring.posterior_mean)
    neg_elbo = ideal["reconstruction"] + ideal["diffusion"].sum(1) + ideal["prior"]
    se = neg_elbo.std() / math.sqrt(len(x0))
    assert -neg_elbo.mean() < -ring.entropy(50_000) + 4 * se
    # A worse denoiser (it does not move x_t at all) has a worse bound.
    worse = diffusion.ideal_bound_terms(s, x0, lambda x, ab: x / math.sqrt(ab))
    assert (worse["reconstruction"] + worse["diffusion"].sum(1)).mean() > neg_elbo.mean() + 1


# ------------------------------------------------------------------ the DDPM
def _copy_torch_to_tf(pt, tfm):
    pt_lin = [m for m in pt.net if isinstance(m, torch.nn.Linear)]
    assert len(pt_lin) == len(tfm.net.layers)
    for lin, dense in zip(pt_lin, tfm.net.layers, strict=True):
        dense.set_weights([lin.weight.detach().numpy().T, lin.bias.detach().numpy()])


def _pair(likelihood, parameterization=None, T=6, D=3):
    vbt.set_seed(0)
    kw = dict(schedule=_schedule(T), hidden_dims=(16, 16), time_dim=8, likelihood=likelihood,
              parameterization=parameterization)
    pt, tfm = vbt.DDPM(D, **kw), vbtf.DDPM(D, **kw)
    _copy_torch_to_tf(pt, tfm)
    return pt, tfm


def _data(likelihood, n, D=3, seed=0):
    rng = np.random.default_rng(seed)
    if likelihood == "bernoulli":
        return (rng.random((n, D)) < 0.3).astype(np.float32)
    return rng.standard_normal((n, D)).astype(np.float32)


CASES = [("bernoulli", None), ("bernoulli", "noise"), ("gaussian", None)]


@pytest.mark.parametrize("likelihood,param", CASES)
def test_same_weights_give_the_same_ddpm_in_both_frameworks(likelihood, param):
    pt, tfm = _pair(likelihood, param)
    x = _data(likelihood, 20)
    y = np.random.default_rng(1).standard_normal((20, 3)).astype(np.float32)
    t = np.random.default_rng(2).integers(1, 7, 20)
    np.testing.assert_allclose(np_(pt.predict_noise(torch.tensor(y), torch.tensor(t))),
                               np_(tfm.predict_noise(tf.constant(y), t)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_(pt.reverse_mean(torch.tensor(y), 3)),
                               np_(tfm.reverse_mean(tf.constant(y), 3)), rtol=1e-4, atol=1e-5)
    for step in (1, 2, 6):
        np.testing.assert_allclose(np_(pt.elbo_term(x, step, y)), np_(tfm.elbo_term(x, step, y)),
                                   rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("likelihood,param", CASES)
def test_each_elbo_term_is_the_kl_between_two_gaussians(fw, likelihood, param):
    model = _pair(likelihood, param)[0 if fw == "torch" else 1]
    s = model.schedule
    x = _data(likelihood, 8)
    y0 = 2 * x - 1 if likelihood == "bernoulli" else x
    eps = np.random.default_rng(3).standard_normal(x.shape).astype(np.float32)
    for t in range(2, s.T + 1):
        yt = (math.sqrt(s.alpha_bar[t]) * y0 + math.sqrt(1 - s.alpha_bar[t]) * eps)
        mu_q, var_q = s.posterior(y0, yt, t)
        mu_p = np_(model.reverse_mean(FRAMEWORKS[fw].to_tensor(yt.astype(np.float32)), t))
        ref = _gauss_kl(mu_q, var_q, mu_p, s.posterior_var[t]).sum(1)
        np.testing.assert_allclose(np_(model.elbo_term(x, t, eps)), ref, rtol=2e-3, atol=2e-4)
    # t = 1: minus the log-likelihood of the decoder, from SciPy.
    y1 = math.sqrt(s.alpha_bar[1]) * y0 + math.sqrt(1 - s.alpha_bar[1]) * eps
    m = np_(model.reverse_mean(FRAMEWORKS[fw].to_tensor(y1.astype(np.float32)), 1))
    sd = math.sqrt(s.beta[1])
    if likelihood == "bernoulli":
        ref = -stats.norm.logcdf(np.where(x > 0.5, m, -m) / sd).sum(1)
    else:
        ref = -stats.norm.logpdf(x, m, sd).sum(1)
    np.testing.assert_allclose(np_(model.elbo_term(x, 1, eps)), ref, rtol=1e-4, atol=1e-3)


def _trajectory_elbo(model, x, n, seed=0):
    """E_q[log p(x_{0:T}) - log q(x_{1:T} | x_0)] from n whole forward trajectories, in NumPy."""
    s, to = model.schedule, FRAMEWORKS["torch" if isinstance(model, vbt.DDPM) else "tensorflow"]
    rng = np.random.default_rng(seed)
    binary = model.likelihood_name == "bernoulli"
    x = np.repeat(x, n, axis=0)
    y0 = 2 * x - 1 if binary else x
    ys = [y0]
    log_q = 0.0
    for t in range(1, s.T + 1):
        mean, var = s.step(ys[-1], t)
        ys.append(mean + math.sqrt(var) * rng.standard_normal(y0.shape))
        log_q = log_q + stats.norm.logpdf(ys[-1], mean, math.sqrt(var)).sum(1)
    log_p = stats.norm.logpdf(ys[-1]).sum(1)
    for t in range(s.T, 1, -1):
        mu = np_(model.reverse_mean(to.to_tensor(ys[t].astype(np.float32)), t))
        log_p = log_p + stats.norm.logpdf(ys[t - 1], mu, math.sqrt(s.posterior_var[t])).sum(1)
    m = np_(model.reverse_mean(to.to_tensor(ys[1].astype(np.float32)), 1))
    sd = math.sqrt(s.beta[1])
    if binary:
        log_p = log_p + stats.norm.logcdf(np.where(x > 0.5, m, -m) / sd).sum(1)
    else:
        log_p = log_p + stats.norm.logpdf(x, m, sd).sum(1)
    w = (log_p - log_q).reshape(-1, n)
    return w.mean(1), w.std(1) / math.sqrt(n)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_elbo_as_kl_terms_equals_the_trajectory_definition(fw, likelihood):
    model = _pair(likelihood)[0 if fw == "torch" else 1]
    x = _data(likelihood, 2, seed=4)
    ref, se_ref = _trajectory_elbo(model, x, 20_000)
    draws = np.concatenate([np_(model.elbo(np.repeat(x, 5000, axis=0), seed=s)).reshape(2, -1)
                            for s in range(4)], axis=1)
    ours, se = draws.mean(1), draws.std(1) / math.sqrt(draws.shape[1])
    tol = 4 * np.sqrt(se**2 + se_ref**2)
    assert np.all(np.abs(ours - ref) < tol), (ours, ref, tol)
    # The control: dropping one term (the last KL, the smallest) is seen by the comparison.
    terms = model.elbo_terms(np.repeat(x, 5000, axis=0), seed=0)
    assert np.all(np_(terms["diffusion"]).reshape(2, 5000, -1).mean(1)[:, -1] > tol)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("p", [0.5, 0.2])
def test_a_network_that_knows_nothing_has_the_lone_pixel_bound(fw, p):
    """F = log(p / (1 - p)) / 2 everywhere: x0_hat is E[x_0 | x_t] for independent pixels."""
    vb = FRAMEWORKS[fw]
    s = noise_schedule("cosine", 20)
    vb.set_seed(0)
    model = vb.DDPM(4, s, hidden_dims=(8,), time_dim=4)
    last = model.net[-1] if fw == "torch" else model.net.layers[-1]
    if fw == "torch":
        with torch.no_grad():
            last.weight.zero_()
            last.bias.fill_(0.5 * math.log(p / (1 - p)))
    else:
        w, b = last.get_weights()
        last.set_weights([np.zeros_like(w), np.full_like(b, 0.5 * math.log(p / (1 - p)))])
    x = (np.random.default_rng(5).random((4000, 4)) < p).astype(np.float32)
    terms = {k: np_(v) for k, v in model.elbo_terms(x, seed=0).items()}
    ref = s.binary_pixel_bound(p)
    total = terms["reconstruction"] + terms["diffusion"].sum(1) + terms["prior"]
    ref_total = 4 * (ref["reconstruction"] + ref["diffusion"].sum() + ref["prior"])
    assert abs(total.mean() - ref_total) < 4 * total.std() / math.sqrt(len(x)) + 1e-3
    assert np.all(np.abs(terms["diffusion"].mean(0) - 4 * ref["diffusion"])
                  < 5 * terms["diffusion"].std(0) / math.sqrt(len(x)) + 1e-4)
    # The bound sits above the entropy of four independent pixels: the Gaussian steps' gap.
    entropy = -4 * (p * math.log(p) + (1 - p) * math.log(1 - p))
    assert ref_total > entropy


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_sampling_is_seeded_and_keeps_the_steps_asked_for(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    model = vb.DDPM((2, 2), _schedule(), hidden_dims=(8,), time_dim=4)
    a = np_(model.sample(5, seed=3))
    b, states = model.sample_steps(5, (6, 2, 1), seed=3)
    assert a.shape == (5, 2, 2) and np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(a, np_(b), atol=1e-6)
    assert sorted(states) == [1, 2, 6] and np_(states[6]).shape == (5, 2, 2)
    assert not np.allclose(a, np_(model.sample(5, seed=4)))
    with pytest.raises(ValueError, match="`times`"):
        model.sample_steps(2, (0, 3))


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_ddpm_errors(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match="`schedule`.*NoiseSchedule"):
        vb.DDPM(4, schedule=100)
    with pytest.raises(ValueError, match="`parameterization`.*'binary_x0'.*gaussian"):
        vb.DDPM(4, _schedule(), likelihood="gaussian", parameterization="binary_x0")
    with pytest.raises(ValueError, match="`time_dim`"):
        vb.DDPM(4, _schedule(), time_dim=5)
    with pytest.raises(ValueError, match="`loss`.*'vlb'"):
        vb.DDPM(4, _schedule(), loss="vlb")
    model = vb.DDPM(4, _schedule(), hidden_dims=(8,), time_dim=4)
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="`t`.*\\[1, 6\\].*7"):
        model.elbo_term(x, 7, x)
    with pytest.raises(ValueError, match="`t`.*\\[1, 6\\]"):
        model.predict_noise(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="`x`.*\\[0, 1\\]"):
        model.elbo(x + 2.0)
    with pytest.raises(ValueError, match="`x_train`.*\\[0, 1\\]"):
        vb.fit(model, x - 1.0, 1, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_a_small_ddpm_learns_the_ring(fw):
    vb = FRAMEWORKS[fw]
    ring = toy.GaussianRing()
    vb.set_seed(0)
    model = vb.DDPM(2, noise_schedule("cosine", 50), hidden_dims=(64, 64), time_dim=16,
                    likelihood="gaussian")
    before = ring.nearest_mode(np_(model.sample(2000, seed=0)))[1]
    history = vb.fit(model, ring.sample(4000, seed=0), 60, batch_size=500, lr=3e-3,
                     progress=False)
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    k, dist = ring.nearest_mode(np_(model.sample(2000, seed=0)))
    # Half a second of training: samples gather at the modes (none did before), all 8 of them.
    assert (before < 3).mean() < 0.02 and (dist < 3).mean() > 0.12
    assert np.bincount(k, minlength=8).min() > 100
    # The bound on held-out points stays below minus the entropy (Gibbs' inequality).
    # The bound on held-out points stays below the best means' bound, which stays below
    # minus the entropy (Gibbs' inequality).
    held_out = ring.sample(1000, seed=9)
    elbo = np_(model.elbo(held_out, seed=0)).mean()
    ideal = diffusion.ideal_bound_terms(model.schedule, held_out, ring.posterior_mean)
    assert elbo < -(ideal["reconstruction"] + ideal["diffusion"].sum(1) + ideal["prior"]).mean()
    assert elbo < -ring.entropy(50_000)
    assert diffusion.SCHEDULES == ("linear", "cosine")


def test_chapter_exercises_agree_with_the_schedule():
    """The exercise checkers' references and vaebook.diffusion are one set of formulas."""
    from vaebook.exercises import ch9_diffusion as ex

    betas = np.array([0.3, 0.02, 0.6, 0.1, 0.45])
    s = NoiseSchedule(betas)
    x0, xt = np.random.default_rng(0).standard_normal((2, 3, 4))
    for t in range(1, 6):
        mean, var = ex._marginal(x0, betas, t)
        ref_mean, ref_var = s.marginal(x0, t)
        np.testing.assert_allclose(mean, ref_mean)
        assert var == pytest.approx(ref_var)
        np.testing.assert_allclose(ex._posterior_mean(x0, xt, betas, t), s.posterior(x0, xt, t)[0])
    np.testing.assert_allclose(ex._weights(betas), s.elbo_weight()[2:])
    np.testing.assert_allclose(ex._weights(betas, "beta"), s.elbo_weight("beta")[2:])
