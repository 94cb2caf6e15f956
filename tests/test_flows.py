"""Planar flows and the flow posterior: determinants against autograd's full Jacobian.

Each log-determinant is checked against log |det J| of the Jacobian that autograd
computes (torch.autograd.functional.jacobian, tf.GradientTape.batch_jacobian), for one
flow and for the whole stack of a FlowVAE's posterior; the invertibility condition of
Rezende & Mohamed (2015) is checked where the raw u breaks it; the frameworks agree on
the same weights; and the flow VAE works with fit and iwae_bound.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch
from scipy import stats

from tests.frameworks import FRAMEWORKS, np_
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

rng = np.random.default_rng(0)


def _params(d, n, seed, break_condition=False):
    r = np.random.default_rng(seed)
    w = r.normal(size=(n, d))
    u = r.normal(size=(n, d))
    if break_condition:  # w.u well below -1: the raw map folds over itself
        u = -3.0 * w / (w * w).sum(1, keepdims=True) + 0.1 * u
    return u, w, r.normal(size=n)


def _torch_flow_jacobian_logdet(z, u, w, b):
    """log |det df/dz| of vaebook's planar flow, per example, from torch's full Jacobian."""
    out = []
    for i in range(len(z)):
        def f(zi, i=i):
            return vbt.planar_flow(zi, u[i], w[i], b[i])[0]
        jac = torch.autograd.functional.jacobian(f, z[i])
        out.append(np.linalg.slogdet(jac.numpy())[1])
    return np.array(out)


@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("broken", [False, True])
def test_planar_log_det_matches_the_full_jacobian_torch(d, broken):
    u, w, b = (torch.tensor(a) for a in _params(d, 6, seed=d, break_condition=broken))
    z = torch.tensor(rng.normal(size=(6, d)) * 2)  # float64 throughout
    new, log_det = vbt.planar_flow(z, u, w, b)
    assert new.dtype == torch.float64 and tuple(log_det.shape) == (6,)
    np.testing.assert_allclose(log_det.numpy(), _torch_flow_jacobian_logdet(z, u, w, b),
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("broken", [False, True])
def test_planar_log_det_matches_the_full_jacobian_tensorflow(d, broken):
    u, w, b = (tf.constant(a) for a in _params(d, 5, seed=10 + d, break_condition=broken))
    z = tf.constant(rng.normal(size=(5, d)) * 2)
    with tf.GradientTape() as tape:
        tape.watch(z)
        new, log_det = vbtf.planar_flow(z, u, w, b)
    jac = tape.batch_jacobian(new, z).numpy()  # (5, d, d)
    np.testing.assert_allclose(log_det.numpy(), np.linalg.slogdet(jac)[1], rtol=1e-8,
                               atol=1e-10)


def test_invertibility_condition_is_enforced():
    """With w.u < -1 the raw map has det 1 + tanh'(a) w.u < 0 near a = 0; u_hat does not."""
    u, w, b = _params(3, 200, seed=3, break_condition=True)
    assert ((u * w).sum(1) < -1).all()
    z = -(b[:, None] * w / (w * w).sum(1, keepdims=True))  # w.z + b = 0: tanh' = 1
    raw_det = 1.0 + (u * w).sum(1)  # what log |.| of the unconstrained map would see
    assert (raw_det < 0).all()
    for vb in FRAMEWORKS.values():
        _, log_det = vb.planar_flow(*(vb.to_tensor(a) for a in (z, u, w, b)))
        assert np.isfinite(np_(log_det)).all()
    # The constrained map is monotone along w: invertible (tested on a line through z).
    ut, wt, bt = (torch.tensor(a[0]) for a in (u, w, b))
    ts = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    line = ts[:, None] * wt / wt.norm()
    proj = (vbt.planar_flow(line, ut, wt, bt)[0] @ wt) / wt.norm()
    assert (proj.diff() > 0).all()


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_log_det_stays_finite_where_det_nears_zero(fw):
    vb = FRAMEWORKS[fw]
    w = np.array([[1.0, 0.0]], np.float32)
    u = np.array([[-40.0, 0.0]], np.float32)  # softplus(w.u) = 4e-18: det -> tanh(a)^2
    z, b = np.array([[0.0, 0.0]], np.float32), np.array([0.0], np.float32)
    _, log_det = vb.planar_flow(z, u, w, b)
    assert np.isfinite(np_(log_det)).all() and np_(log_det)[0] < -30


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_shapes_broadcast_over_samples(fw):
    vb = FRAMEWORKS[fw]
    u, w, b = (a.astype(np.float32) for a in _params(3, 4, seed=5))
    z = rng.normal(size=(7, 4, 3)).astype(np.float32)  # k = 7 samples of 4 examples
    new, log_det = vb.planar_flow(z, u, w, b)
    assert tuple(new.shape) == (7, 4, 3) and tuple(log_det.shape) == (7, 4)
    one = vb.planar_flow(z[2], u, w, b)
    np.testing.assert_allclose(np_(log_det)[2], np_(one[1]), rtol=1e-6)
    shared = vb.planar_flow(z[0], u[0], w[0], b[0])  # one flow for the whole batch
    assert tuple(shared[1].shape) == (4,)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_planar_flow_errors_are_named(fw):
    vb = FRAMEWORKS[fw]
    z = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"planar_flow: argument `u` must .*broadcast"):
        vb.planar_flow(z, np.zeros((4, 2), np.float32), np.zeros(3, np.float32), 0.0)
    with pytest.raises(ValueError, match=r"planar_flow: argument `b` must .*broadcast"):
        vb.planar_flow(z, np.zeros(3, np.float32), np.zeros(3, np.float32),
                       np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"planar_flow: argument `w` must be finite"):
        vb.planar_flow(z, np.zeros(3, np.float32), np.full(3, np.nan, np.float32), 0.0)
    with pytest.raises(ValueError, match=r"FlowVAE: argument `n_flows` must be a non-negative"):
        vb.FlowVAE(16, 2, (8,), n_flows=-1)
    with pytest.raises(ValueError, match=r"FlowVAE.kl_term: a flow posterior"):
        vb.FlowVAE(16, 2, (8,)).kl_term(z[:, :2], z[:, :2], z[:, :2])


# ------------------------------------------------------------------ the flow posterior
def test_flow_posterior_log_q_is_the_change_of_variables_torch():
    """log q(z_L|x) = log N(z_0) - log |det dz_L/dz_0|, with the whole stack's Jacobian."""
    vbt.set_seed(1)
    model = vbt.FlowVAE(10, 3, (16,), n_flows=5).double()
    x = torch.tensor((rng.random((4, 10)) < 0.4).astype(np.float64))
    eps = torch.tensor(rng.normal(size=(4, 3)))
    z, log_q = model.sample_posterior(x, eps)
    mu, logvar = model.encode(x)
    for i in range(4):
        def push(z0, i=i):
            e = (z0 - mu[i]) * torch.exp(-0.5 * logvar[i])  # the eps that gives z0
            full = eps.clone()
            full[i] = e
            return model.sample_posterior(x, full)[0][i]
        z0 = mu[i] + torch.exp(0.5 * logvar[i]) * eps[i]
        jac = torch.autograd.functional.jacobian(push, z0.detach()).detach().numpy()
        log_q0 = stats.norm(mu[i].detach().numpy(),
                            np.exp(0.5 * logvar[i].detach().numpy())).logpdf(
            z0.detach().numpy()).sum()
        np.testing.assert_allclose(log_q[i].item(), log_q0 - np.linalg.slogdet(jac)[1],
                                   rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_flow_posterior_is_a_normalised_density(fw):
    """E_q[p(z) / q(z)] = 1 for any normalised q covering p (importance sampling of 1)."""
    vb = FRAMEWORKS[fw]
    vb.set_seed(2)
    model = vb.FlowVAE(6, 2, (8,), n_flows=3)
    r = np.random.default_rng(5)
    x = (r.random((1, 6)) < 0.5).astype(np.float32)
    eps = r.normal(size=(100_000, 1, 2)).astype(np.float32)
    z, log_q = model.sample_posterior(x, eps)
    z64 = np_(z).astype(np.float64)
    # A density narrower than q (its base has sigma near 1): p / q stays bounded, so the
    # importance-sampling estimate of the integral of p has a finite variance.
    target = stats.norm(z64.mean(axis=(0, 1)), 0.5)
    log_p = target.logpdf(z64).sum(-1)
    ratio = np.exp(log_p - np_(log_q))
    se = ratio.std() / np.sqrt(ratio.size)
    assert abs(ratio.mean() - 1.0) < 4 * se + 0.01
    # The control: a log q that forgets the determinants is not normalised.
    _, log_q0 = vb.VAE.sample_posterior(model, x, eps)
    wrong = np.exp(log_p - np_(log_q0)).mean()
    assert abs(wrong - 1.0) > 10 * se


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_zero_flows_is_the_gaussian_posterior(fw):
    vb = FRAMEWORKS[fw]
    model = vb.FlowVAE(8, 2, (8,), n_flows=0)
    x = (rng.random((3, 8)) < 0.5).astype(np.float32)
    eps = rng.normal(size=(5, 3, 2)).astype(np.float32)
    z, log_q = (np_(t) for t in model.sample_posterior(x, eps))
    mu, logvar = (np_(t).astype(np.float64) for t in model.encode(x))
    np.testing.assert_allclose(z, mu + np.exp(0.5 * logvar) * eps, rtol=1e-5, atol=1e-6)
    ref = stats.norm(mu, np.exp(0.5 * logvar)).logpdf(z.astype(np.float64)).sum(-1)
    np.testing.assert_allclose(log_q, ref, rtol=1e-5, atol=1e-4)


def _copy_flow_vae(pt, tfm):
    pt_linear = [m for m in pt.modules() if isinstance(m, torch.nn.Linear)]
    tf_dense = [layer for net in (tfm.encoder, tfm.decoder) for layer in net.layers]
    assert len(pt_linear) == len(tf_dense)
    for lin, dense in zip(pt_linear, tf_dense, strict=True):
        dense.set_weights([lin.weight.detach().numpy().T, lin.bias.detach().numpy()])


def test_same_weights_give_the_same_flow_posterior_in_both_frameworks():
    vbt.set_seed(3)
    pt = vbt.FlowVAE(12, 3, (16,), n_flows=4)
    tfm = vbtf.FlowVAE(12, 3, (16,), n_flows=4)
    _copy_flow_vae(pt, tfm)
    x = (rng.random((6, 12)) < 0.3).astype(np.float32)
    eps = rng.normal(size=(2, 6, 3)).astype(np.float32)
    z_pt, lq_pt = (np_(t) for t in pt.sample_posterior(torch.tensor(x), torch.tensor(eps)))
    z_tf, lq_tf = (np_(t) for t in tfm.sample_posterior(tf.constant(x), tf.constant(eps)))
    np.testing.assert_allclose(z_pt, z_tf, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lq_pt, lq_tf, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np_(pt.reconstruct(x)), np_(tfm.reconstruct(x)), atol=1e-5)
    # The flows move the sample: the flow posterior is not its base Gaussian.
    assert np.abs(z_pt - np_(vbt.VAE.sample_posterior(pt, torch.tensor(x),
                                                      torch.tensor(eps))[0])).max() > 1e-2


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_flow_vae_trains_with_fit_and_is_evaluated_by_iwae_bound(fw):
    vb = FRAMEWORKS[fw]
    x = (np.random.default_rng(4).random((300, 16)) < 0.3).astype(np.float32)
    x[:150, :8] = 1.0
    vb.set_seed(0)
    model = vb.FlowVAE(16, 2, (32,), n_flows=2)
    hist = vb.fit(model, x, epochs=8, batch_size=50, lr=3e-3, progress=False)
    assert set(hist) == {"loss", "reconstruction", "kl"}
    assert hist["loss"][-1] < hist["loss"][0] - 1.0
    elbo = np.mean([np_(model.elbo(x[:100])).mean() for _ in range(10)])
    b1 = np_(vb.iwae_bound(model, x[:100], k=1, seed=0)).mean()
    b100 = np_(vb.iwae_bound(model, x[:100], k=100, seed=0)).mean()
    assert abs(b1 - elbo) < 0.5 and b100 > elbo
    assert np.isfinite(np_(vb.iwae_terms(model, x[:10], k=3)["loss"])).all()
