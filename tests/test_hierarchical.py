"""The two-level VAE: its ELBO against a model whose log p(x) and posterior are known exactly,
its KL terms against torch.distributions, the analytic-KL ELBO against the plain Monte Carlo
one, and the two frameworks against each other with the same weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
import torch
from scipy import stats

from tests.frameworks import FRAMEWORKS, np_
from tests.frameworks import blobs as _blobs
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt
from vaebook.tensorflow import hierarchical as hier_tf
from vaebook.torch import hierarchical as hier_pt

# ------------------------------------------------------------------ a model known exactly
# z2 ~ N(0, 1); z1 | z2 ~ N(a z2 + b, s2); x | z1 ~ N(w z1 + c, sx2 I), D = 3. With one
# latent dimension per level every posterior is a 1-D Gaussian with constant variance and a
# mean linear in (x, z2): the linear networks of hidden_dims=() can hold it exactly.
A, B, S2 = 1.5, 0.3, 0.4
W, C, SX2 = np.array([1.0, -0.5, 2.0]), np.array([0.2, 0.0, -0.3]), 0.25


def _joint():
    """Mean and covariance of (z2, z1, x)."""
    mean = np.concatenate([[0.0, B], W * B + C])
    L = np.zeros((5, 5))  # (z2, z1, x) = L @ (e2, e1, ex) + mean, with unit-normal e
    L[0, 0] = 1.0
    L[1, 0], L[1, 1] = A, math.sqrt(S2)
    L[2:, 0], L[2:, 1] = W * A, W * math.sqrt(S2)
    L[2:, 2:] = math.sqrt(SX2) * np.eye(3)
    return mean, L @ L.T


def _condition(mean, cov, target, given):
    """Coefficients K, offset and variance of target | given in a joint Gaussian."""
    k = cov[np.ix_(target, given)] @ np.linalg.inv(cov[np.ix_(given, given)])
    var = cov[np.ix_(target, target)] - k @ cov[np.ix_(given, target)]
    return k, mean[target] - k @ mean[given], var


def _exact_weights(q_shift=0.0):
    """Layer weights (out, in) and biases of the four networks, q exact (or shifted)."""
    mean, cov = _joint()
    k2, o2, v2 = _condition(mean, cov, [0], [2, 3, 4])          # p(z2 | x)
    k1, o1, v1 = _condition(mean, cov, [1], [2, 3, 4, 0])       # p(z1 | x, z2)
    return {
        "encoder_z2": (np.vstack([k2, np.zeros((1, 3))]), np.array([o2[0] + q_shift,
                                                                     math.log(v2[0, 0])])),
        "encoder_z1": (np.vstack([k1, np.zeros((1, 4))]), np.array([o1[0], math.log(v1[0, 0])])),
        "prior_z1": (np.array([[A], [0.0]]), np.array([B, math.log(S2)])),
        "decoder": (W[:, None], C),
    }


def _exact_model(fw, q_shift=0.0):
    vb = FRAMEWORKS[fw]
    model = vb.TwoLevelVAE(3, (1, 1), hidden_dims=(), likelihood="gaussian",
                           obs_logvar=math.log(SX2))
    nets = {"encoder_z2": model.encoder_z2, "encoder_z1": model.encoder_z1,
            "prior_z1": model.prior_z1_net, "decoder": model.decoder}
    for key, (w, b) in _exact_weights(q_shift).items():
        if fw == "torch":
            with torch.no_grad():
                nets[key][0].weight.copy_(torch.tensor(w, dtype=torch.float32))
                nets[key][0].bias.copy_(torch.tensor(b, dtype=torch.float32))
        else:
            nets[key].layers[0].set_weights([w.T.astype(np.float32), b.astype(np.float32)])
    return model


def _log_px(x):
    mean, cov = _joint()
    return stats.multivariate_normal(mean[2:], cov[2:, 2:]).logpdf(x)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_exact_posterior_makes_every_bound_log_px(fw):
    model = _exact_model(fw)
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32) * 2
    ref = _log_px(x)
    # With q the true posterior every importance weight is p(x): any k gives log p(x).
    for k in (1, 7):
        np.testing.assert_allclose(np_(FRAMEWORKS[fw].iwae_bound(model, x, k=k, seed=1)), ref,
                                   rtol=1e-4, atol=1e-3)
    # The analytic-KL ELBO has variance (its reconstruction does) but the same mean.
    draws = np.stack([np_(model.elbo(np.repeat(x, 2000, axis=0))).reshape(6, 2000)
                      for _ in range(3)], axis=-1).reshape(6, -1)
    se = draws.std(1) / math.sqrt(draws.shape[1])
    assert np.all(np.abs(draws.mean(1) - ref) < 4 * se + 1e-3)
    # The control: a q whose mean of z2 is off by 0.7 is a looser bound, and k = 50 recovers
    # most of what it loses.
    off = _exact_model(fw, q_shift=0.7)
    k1 = np_(FRAMEWORKS[fw].iwae_bound(off, np.repeat(x, 2000, 0), k=1, seed=1))
    k50 = np_(FRAMEWORKS[fw].iwae_bound(off, np.repeat(x, 200, 0), k=50, seed=1))
    k1, k50 = k1.reshape(6, -1).mean(1), k50.reshape(6, -1).mean(1)
    assert np.all(k1 < ref - 0.05) and np.all(k50 > ref - 0.5 * (ref - k1)), (ref, k1, k50)


def test_kl_of_two_diagonal_gaussians_against_torch_distributions():
    rng = np.random.default_rng(0)
    mu_q, lv_q, mu_p, lv_p = (rng.normal(size=(5, 4)).astype(np.float32) for _ in range(4))
    d = torch.distributions
    ref = d.kl_divergence(d.Normal(torch.tensor(mu_q), torch.tensor(np.exp(0.5 * lv_q))),
                          d.Normal(torch.tensor(mu_p), torch.tensor(np.exp(0.5 * lv_p)))).sum(1)
    ours_pt = hier_pt._kl_diag(*(torch.tensor(a) for a in (mu_q, lv_q, mu_p, lv_p)))
    ours_tf = hier_tf._kl_diag(*(tf.constant(a) for a in (mu_q, lv_q, mu_p, lv_p)))
    np.testing.assert_allclose(np_(ours_pt), ref.numpy(), rtol=1e-5)
    np.testing.assert_allclose(np_(ours_tf), ref.numpy(), rtol=1e-5)
    # The control: the KL the wrong way round differs.
    back = d.kl_divergence(d.Normal(torch.tensor(mu_p), torch.tensor(np.exp(0.5 * lv_p))),
                           d.Normal(torch.tensor(mu_q), torch.tensor(np.exp(0.5 * lv_q)))).sum(1)
    assert not np.allclose(back.numpy(), ref.numpy(), rtol=1e-2)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_analytic_kl_elbo_has_the_mean_of_the_monte_carlo_one(fw):
    """E[rec + KL(q(z2|x)||p(z2)) + KL(q(z1|x,z2)||p(z1|z2))] = E[-log w]: the decomposition."""
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    model = vb.TwoLevelVAE((6, 6), (3, 2), hidden_dims=(16,))
    x = np.repeat(_blobs(2), 4000, axis=0)
    terms = {k: np_(v).reshape(2, -1) for k, v in model.loss_terms(x).items()}
    np.testing.assert_allclose(terms["kl"], terms["kl_z2"] + terms["kl_z1"], rtol=1e-5)
    assert np.all(terms["kl_z2"] >= 0) and np.all(terms["kl_z1"] >= 0)
    analytic = terms["loss"]
    eps = np.random.default_rng(1).standard_normal((len(x), 5)).astype(np.float32)
    mc = -np_(model.log_weight(x, eps)).reshape(2, -1)
    tol = 4 * np.sqrt(analytic.var(1) / analytic.shape[1] + mc.var(1) / mc.shape[1])
    assert np.all(np.abs(analytic.mean(1) - mc.mean(1)) < tol)
    # The control: leaving out the lower level's KL is seen.
    assert np.all(terms["kl_z1"].mean(1) > tol)


def _copy(pt, tfm):
    for name in ("encoder_z2", "encoder_z1", "prior_z1_net", "decoder"):
        lin = [m for m in getattr(pt, name) if isinstance(m, torch.nn.Linear)]
        dense = getattr(tfm, name).layers
        assert len(lin) == len(dense)
        for a, b in zip(lin, dense, strict=True):
            b.set_weights([a.weight.detach().numpy().T, a.bias.detach().numpy()])


def test_same_weights_give_the_same_two_level_vae_in_both_frameworks():
    vbt.set_seed(0)
    pt = vbt.TwoLevelVAE((6, 6), (3, 2), hidden_dims=(16, 8))
    tfm = vbtf.TwoLevelVAE((6, 6), (3, 2), hidden_dims=(16, 8))
    _copy(pt, tfm)
    x = _blobs(20)
    eps = np.random.default_rng(1).standard_normal((20, 5)).astype(np.float32)
    np.testing.assert_allclose(np_(pt.log_weight(torch.tensor(x), torch.tensor(eps))),
                               np_(tfm.log_weight(tf.constant(x), tf.constant(eps))),
                               rtol=1e-4, atol=1e-3)
    for a, b in zip(pt.posterior_z2(torch.tensor(x)), tfm.posterior_z2(tf.constant(x)),
                    strict=True):
        np.testing.assert_allclose(np_(a), np_(b), rtol=1e-4, atol=1e-5)
    z2 = eps[:, :2]
    for a, b in zip(pt.prior_z1(torch.tensor(z2)), tfm.prior_z1(tf.constant(z2)), strict=True):
        np.testing.assert_allclose(np_(a), np_(b), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_(pt.reconstruct(torch.tensor(x))),
                               np_(tfm.reconstruct(tf.constant(x))), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_sample_and_the_importance_weighted_bound(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    model = vb.TwoLevelVAE((6, 6), (3, 2), hidden_dims=(32,))
    x = _blobs(400)
    history = vb.fit(model, x, 15, batch_size=50, lr=3e-3, progress=False)
    assert set(history) == {"loss", "reconstruction", "kl_z2", "kl_z1", "kl"}
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    k1 = np_(vb.iwae_bound(model, x[:100], k=1, seed=0)).mean()
    k100 = np_(vb.iwae_bound(model, x[:100], k=100, seed=0)).mean()
    elbo = np.mean([np_(model.elbo(x[:100])).mean() for _ in range(20)])
    assert abs(k1 - elbo) < 1.0 and k100 > k1
    s = np_(model.sample(4, seed=2))
    assert s.shape == (4, 6, 6) and np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s, np_(model.sample(4, seed=2)))
    assert np_(model.reconstruct(x[:3])).shape == (3, 6, 6)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_two_level_vae_errors(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match="`latent_dims`.*\\(d1, d2\\).*4"):
        vb.TwoLevelVAE(36, 4)
    with pytest.raises(ValueError, match="`latent_dims`.*\\(3, 0\\)"):
        vb.TwoLevelVAE(36, (3, 0))
    model = vb.TwoLevelVAE((6, 6), (3, 2), hidden_dims=(8,))
    x = _blobs(4)
    with pytest.raises(ValueError, match="`eps`.*\\(4, 5\\)"):
        model.log_weight(x, np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="`x`.*\\[0, 1\\]"):
        model.loss_terms(x * 3)
