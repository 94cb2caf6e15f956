"""The KL decomposition and the beta-TC-VAE, against exact values and across frameworks.

The exact case: a data set of N = 4 points with known Gaussian posteriors in d = 2. Its
aggregate posterior is a mixture of 4 Gaussians, so every term of the decomposition is
an integral over the plane, computed here on a fine grid (an independent reference: no
sampling, no estimator). The estimators must agree with it within their Monte Carlo
error, and the three terms must add up to the closed-form KL.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
import torch
from scipy.special import logsumexp
from scipy.stats import norm

from tests.frameworks import FRAMEWORKS
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

MU = np.array([[-1.5, 0.5], [0.0, 1.5], [1.0, -1.0], [2.0, 0.5]])
LOGVAR = np.log(np.array([[0.5, 0.3], [0.2, 0.8], [1.0, 0.4], [0.3, 0.3]]))


def _exact_terms(mu, logvar, half_width=9.0, points=1201):
    """(mi, tc, dim_kl, mean closed-form kl) of the mixture's aggregate posterior, by quadrature."""
    u = np.linspace(-half_width, half_width, points)
    du = u[1] - u[0]
    sd = np.exp(0.5 * logvar)
    # Per-dimension component densities on the grid: (N, d, points).
    comp = norm.pdf(u[None, None, :], mu[:, :, None], sd[:, :, None])
    n = len(mu)
    q_joint = np.einsum("ni,nj->nij", comp[:, 0], comp[:, 1])  # q(z | x_n) on the plane
    q = q_joint.mean(axis=0)  # aggregate posterior q(z)
    q1, q2 = comp[:, 0].mean(axis=0), comp[:, 1].mean(axis=0)  # its marginals
    prior = norm.pdf(u)
    tiny = 1e-300
    mi = sum((q_joint[k] * (np.log(q_joint[k] + tiny) - np.log(q + tiny))).sum() * du * du
             for k in range(n)) / n
    tc = (q * (np.log(q + tiny) - np.log(np.outer(q1, q2) + tiny))).sum() * du * du
    dim_kl = sum((qk * (np.log(qk + tiny) - np.log(prior))).sum() * du for qk in (q1, q2))
    kl = (0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar).sum(axis=1)).mean()
    return mi, tc, dim_kl, kl


def test_the_three_terms_add_up_to_the_kl_on_the_exact_case():
    mi, tc, dim_kl, kl = _exact_terms(MU, LOGVAR)
    assert mi > 0 and tc > 0 and dim_kl > 0
    assert mi <= math.log(len(MU)) + 1e-9  # the index carries at most log N nats
    assert mi + tc + dim_kl == pytest.approx(kl, abs=1e-6)


def _draws(s: int, seed: int = 0):
    """The data set repeated s times, one posterior sample each: (4 s, 2) arrays."""
    rng = np.random.default_rng(seed)
    mu, logvar = np.tile(MU, (s, 1)), np.tile(LOGVAR, (s, 1))
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape)
    return mu, logvar, z


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_stratified_estimates_match_the_exact_terms(fw):
    # Copies of the data set leave q(z) as it is; with the whole (repeated) data set in
    # the batch the stratified q(z_i) is exact, and only the sampling of z remains.
    mi, tc, dim_kl, kl = _exact_terms(MU, LOGVAR)
    mu, logvar, z = _draws(500)
    out = {k: FRAMEWORKS[fw].to_numpy(v).astype(np.float64) for k, v in
           FRAMEWORKS[fw].kl_decomposition(mu.astype(np.float32), logvar.astype(np.float32),
                                           z.astype(np.float32)).items()}
    for key, exact in (("mi", mi), ("tc", tc), ("dim_kl", dim_kl), ("kl", kl)):
        est = out[key]
        se = est.std() / math.sqrt(len(est))
        assert abs(est.mean() - exact) < 4 * se + 1e-3, (key, est.mean(), exact, se)
    np.testing.assert_allclose(out["mi"] + out["tc"] + out["dim_kl"], out["kl"], atol=1e-4)


def test_kl_is_log_q_minus_log_p_by_torch_distributions():
    mu, logvar, z = (torch.tensor(a, dtype=torch.float64) for a in _draws(3))
    out = vbt.kl_decomposition(mu, logvar, z, dataset_size=100)
    q = torch.distributions.Independent(torch.distributions.Normal(mu, (0.5 * logvar).exp()), 1)
    p = torch.distributions.Independent(
        torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    torch.testing.assert_close(out["kl"], q.log_prob(z) - p.log_prob(z))


def test_weighted_sampling_is_off_by_log_n_when_the_batch_is_the_data_set():
    mu, logvar, z = (a.astype(np.float32) for a in _draws(50))
    n, d = len(mu), mu.shape[1]
    mss = {k: v.numpy() for k, v in vbt.kl_decomposition(mu, logvar, z, estimator="mss").items()}
    mws = {k: v.numpy() for k, v in vbt.kl_decomposition(mu, logvar, z, estimator="mws").items()}
    # Each of M = N terms is weighted 1/N^2 instead of 1/N: log q(z_i) and every log q(z_ik)
    # come out log N too low.
    np.testing.assert_allclose(mws["mi"], mss["mi"] + math.log(n), rtol=1e-5)
    np.testing.assert_allclose(mws["tc"], mss["tc"] + (d - 1) * math.log(n), rtol=1e-5)
    np.testing.assert_allclose(mws["dim_kl"], mss["dim_kl"] - d * math.log(n), rtol=1e-5)
    np.testing.assert_allclose(mws["kl"], mss["kl"], rtol=1e-6)


def test_stratified_q_is_unbiased_over_every_batch_and_weighted_sampling_is_not():
    # Six examples, batches of three: average the estimate of q(z_0) over every batch that
    # holds example 0 (the ten pairs of others it can be drawn with).
    rng = np.random.default_rng(4)
    mu, logvar = rng.normal(size=(6, 2)), rng.normal(scale=0.3, size=(6, 2))
    z0 = mu[0] + np.exp(0.5 * logvar[0]) * rng.standard_normal(2)
    log_q = norm.logpdf(z0, mu, np.exp(0.5 * logvar)).sum(axis=1)  # log q(z_0 | x_n)
    exact = logsumexp(log_q) - math.log(6)
    # The marginal of z_0 alone is q(z_0) - q(z_0 | x_0)/N + ...: read it back from mi,
    # since mi_0 = log q(z_0 | x_0) - log q_hat(z_0).
    for estimator, unbiased in (("mss", True), ("mws", False)):
        q_hats = []
        for others in itertools.combinations(range(1, 6), 2):
            idx = [0, *others]
            b_mu, b_lv = mu[idx], logvar[idx]
            b_z = np.vstack([z0, b_mu[1:]])  # z of the others does not enter q_hat(z_0)
            out = vbt.kl_decomposition(torch.tensor(b_mu), torch.tensor(b_lv),
                                       torch.tensor(b_z), dataset_size=6, estimator=estimator)
            q_hats.append(math.exp(log_q[0] - float(out["mi"][0])))
        mean = math.log(np.mean(q_hats))
        if unbiased:
            assert mean == pytest.approx(exact, abs=1e-10)
        else:
            assert abs(mean - exact) > 0.3


@pytest.mark.parametrize("estimator", ["mss", "mws"])
@pytest.mark.parametrize("dataset_size", [None, 1000])
def test_same_inputs_give_the_same_terms_in_both_frameworks(estimator, dataset_size):
    rng = np.random.default_rng(5)
    mu = rng.normal(size=(64, 6)).astype(np.float32)
    logvar = rng.normal(scale=0.5, size=(64, 6)).astype(np.float32) - 1.0
    z = (mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape)).astype(np.float32)
    pt = vbt.kl_decomposition(mu, logvar, z, dataset_size, estimator)
    tf_ = vbtf.kl_decomposition(mu, logvar, z, dataset_size, estimator)
    assert sorted(pt) == sorted(tf_) == ["dim_kl", "kl", "mi", "tc"]
    for key in pt:
        np.testing.assert_allclose(vbt.to_numpy(pt[key]), vbtf.to_numpy(tf_[key]),
                                   rtol=1e-5, atol=1e-4)


def test_tensorflow_decomposition_works_inside_a_traced_function():
    rng = np.random.default_rng(6)
    mu, lv = rng.normal(size=(2, 10, 3)).astype(np.float32)
    z = mu + 0.1

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)] * 3)
    def traced(mu, lv, z):
        return vbtf.kl_decomposition(mu, lv, z, dataset_size=50)

    eager = vbtf.kl_decomposition(mu, lv, z, dataset_size=50)
    for key, value in traced(mu, lv, z).items():
        np.testing.assert_allclose(value.numpy(), eager[key].numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="`dataset_size` must be given"):
        tf.function(lambda a, b, c: vbtf.kl_decomposition(a, b, c)).get_concrete_function(
            *[tf.TensorSpec([None, 3], tf.float32)] * 3)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_one_example_batch_keeps_only_its_own_term(fw):
    vb = FRAMEWORKS[fw]
    mu = np.array([[0.3, -0.2]], np.float32)
    lv = np.array([[-1.0, 0.5]], np.float32)
    z = np.array([[0.1, 0.4]], np.float32)
    out = {k: float(vb.to_numpy(v)[0]) for k, v in vb.kl_decomposition(mu, lv, z, 10).items()}
    # q_hat(z) = q(z|x)/N and each q_hat(z_k) = q(z_k|x)/N: mi = log N, tc = (d-1) log N.
    assert out["mi"] == pytest.approx(math.log(10), rel=1e-5)
    assert out["tc"] == pytest.approx(math.log(10), rel=1e-5)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_decomposition_bad_input_is_named(fw):
    vb = FRAMEWORKS[fw]
    a = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match=r"kl_decomposition: argument `dataset_size` must be at "
                                         r"least the batch size 4"):
        vb.kl_decomposition(a, a, a, dataset_size=3)
    with pytest.raises(ValueError, match=r"kl_decomposition: argument `estimator` must be one of"):
        vb.kl_decomposition(a, a, a, estimator="exact")
    with pytest.raises(ValueError, match=r"kl_decomposition: argument `z` must have the same shape"):
        vb.kl_decomposition(a, a, a[:, :1])
    with pytest.raises(ValueError, match=r"kl_decomposition: argument `logvar` must be finite"):
        vb.kl_decomposition(a, np.full((4, 2), np.nan, np.float32), a)
    with pytest.raises(ValueError, match=r"kl_decomposition: argument `dataset_size` must be a "
                                         r"positive integer"):
        vb.kl_decomposition(a, a, a, dataset_size=0)


# ------------------------------------------------------------------ the model
def _binary(n=256, seed=0):
    """6x6 images of a bar at one of six positions, horizontal or vertical."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 6, 6), np.float32)
    pos, vertical = rng.integers(0, 6, n), rng.integers(0, 2, n).astype(bool)
    x[vertical, :, pos[vertical]] = 1.0
    x[~vertical, pos[~vertical], :] = 1.0
    return x


def test_beta_one_is_the_vae_loss():
    x = torch.tensor(_binary(32))
    vbt.set_seed(0)
    vae = vbt.VAE((6, 6), 3, hidden_dims=(16,))
    tcvae = vbt.BetaTCVAE((6, 6), 3, dataset_size=256, hidden_dims=(16,), beta=1.0)
    tcvae.load_state_dict(vae.state_dict())
    torch.manual_seed(1)
    a = vae.loss_terms(x)
    torch.manual_seed(1)
    b = tcvae.loss_terms(x)
    for key in ("loss", "reconstruction", "kl"):
        torch.testing.assert_close(a[key], b[key])
    assert set(b) == {"loss", "reconstruction", "kl", "mi", "tc", "dim_kl"}


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_loss_is_the_negative_elbo_plus_beta_minus_one_tc(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    model = vb.BetaTCVAE((6, 6), 3, dataset_size=256, hidden_dims=(16,), beta=5.0)
    terms = {k: vb.to_numpy(v) for k, v in model.loss_terms(_binary(40)).items()}
    np.testing.assert_allclose(terms["loss"],
                               terms["reconstruction"] + terms["kl"] + 4.0 * terms["tc"],
                               rtol=1e-5)
    # The three parts are a one-sample estimate of the KL: equal on average, not each time.
    parts = terms["mi"] + terms["tc"] + terms["dim_kl"]
    assert abs(parts.mean() - terms["kl"].mean()) < 4 * parts.std() / math.sqrt(40) + 0.05


def _squares(n=1024, seed=0):
    """8x8 images of a 3x3 square at one of 6 x 6 positions: two independent factors."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 8, 8), np.float32)
    for i, (px, py) in enumerate(rng.integers(0, 6, size=(n, 2))):
        x[i, py:py + 3, px:px + 3] = 1.0
    return x


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_a_large_beta_lowers_the_total_correlation_at_a_cost(fw):
    vb = FRAMEWORKS[fw]
    x = _squares()
    tc, rec = {}, {}
    for beta in (1.0, 10.0):
        vb.set_seed(0)
        model = vb.BetaTCVAE((8, 8), 4, dataset_size=len(x), hidden_dims=(64,), beta=beta)
        hist = vb.fit(model, x, epochs=10, batch_size=64, lr=5e-3, seed=0, progress=False)
        tc[beta], rec[beta] = float(np.mean(hist["tc"][-3:])), hist["reconstruction"][-1]
    # Measured: TC 0.9 nats at beta = 1 and 0.01 to 0.05 at beta = 10, in both frameworks;
    # the reconstruction cost rises from about 5 to 9 nats.
    assert tc[10.0] < 0.25 * tc[1.0], tc
    assert rec[10.0] > rec[1.0], rec


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_beta_tc_vae_bad_arguments_are_named(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match=r"BetaTCVAE: argument `dataset_size` must be a positive"):
        vb.BetaTCVAE((6, 6), 3, dataset_size=0)
    with pytest.raises(ValueError, match=r"BetaTCVAE: argument `estimator` must be one of"):
        vb.BetaTCVAE((6, 6), 3, dataset_size=10, estimator="iwae")
    with pytest.raises(ValueError, match=r"BetaTCVAE: argument `beta` must be a positive number"):
        vb.BetaTCVAE((6, 6), 3, dataset_size=10, beta=-1.0)
    model = vb.BetaTCVAE((6, 6), 3, dataset_size=10, hidden_dims=(8,))
    with pytest.raises(ValueError, match=r"BetaTCVAE.loss_terms: argument `dataset_size` must be "
                                         r"at least the batch size 20"):
        model.loss_terms(_binary(20))
