"""The per-example losses against independent references, in both frameworks.

References: torch.distributions, SciPy, and plain NumPy formulas. Inputs are ordinary
random values and extreme legal ones (logits of ±100, log-variances of ±30).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special, stats

from tests.frameworks import FRAMEWORKS, np_
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

rng = np.random.default_rng(1234)


def _kl_ref(mu, logvar):
    """KL(N(mu, e^logvar) || N(0, 1)) per dimension via torch.distributions, summed."""
    q = torch.distributions.Normal(torch.tensor(mu, dtype=torch.float64),
                                   torch.exp(0.5 * torch.tensor(logvar, dtype=torch.float64)))
    p = torch.distributions.Normal(0.0, 1.0)
    return torch.distributions.kl_divergence(q, p).sum(-1).numpy()


KL_CASES = {
    "ordinary": (rng.normal(size=(16, 5)), rng.normal(size=(16, 5))),
    "extreme logvar": (rng.normal(size=(4, 3)) * 3, np.array([[-30.0, 0.0, 30.0]] * 4)),
    "prior itself": (np.zeros((2, 4)), np.zeros((2, 4))),
}


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("case", KL_CASES)
def test_gaussian_kl_matches_torch_distributions(fw, case):
    mu, logvar = (a.astype(np.float32) for a in KL_CASES[case])
    got = np_(FRAMEWORKS[fw].gaussian_kl(mu, logvar))
    ref = _kl_ref(mu.astype(np.float64), logvar.astype(np.float64))
    assert got.shape == (mu.shape[0],)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-4)


def test_gaussian_kl_against_monte_carlo():
    mu, logvar = np.array([[0.7, -1.2]]), np.array([[-0.5, 0.4]])
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((400_000, 2))
    log_q = stats.norm.logpdf(z, mu, np.exp(0.5 * logvar)).sum(1)
    log_p = stats.norm.logpdf(z).sum(1)
    mc = np.mean(log_q - log_p)
    assert abs(float(vbt.gaussian_kl(mu, logvar)[0]) - mc) < 0.01


def _bern_ref(logits, x):
    """-log Bernoulli(x; sigmoid(logits)) with SciPy's stable log_expit, summed."""
    logits, x = logits.astype(np.float64), x.astype(np.float64)
    ll = x * special.log_expit(logits) + (1 - x) * special.log_expit(-logits)
    return -ll.reshape(len(x), -1).sum(1)


BERN_CASES = {
    "binary": (rng.normal(size=(8, 4, 4)) * 3, (rng.random((8, 4, 4)) > 0.5) * 1.0),
    "grey levels": (rng.normal(size=(8, 10)), rng.random((8, 10))),
    "logits ±100": (np.array([[100.0, -100.0, 100.0, -100.0]]), np.array([[1.0, 0.0, 0.0, 1.0]])),
}


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("case", BERN_CASES)
def test_bernoulli_nll_matches_scipy(fw, case):
    logits, x = (a.astype(np.float32) for a in BERN_CASES[case])
    got = np_(FRAMEWORKS[fw].bernoulli_nll(logits, x))
    assert got.shape == (len(x),) and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, _bern_ref(logits, x), rtol=1e-5, atol=1e-4)


def test_bernoulli_nll_matches_torch_distributions_on_binary_data():
    logits, x = (torch.tensor(a, dtype=torch.float32) for a in BERN_CASES["binary"])
    ref = -torch.distributions.Bernoulli(logits=logits).log_prob(x).sum((1, 2))
    torch.testing.assert_close(vbt.bernoulli_nll(logits, x), ref)


def test_bernoulli_nll_extreme_wrong_side_is_large_not_inf():
    got = float(vbt.bernoulli_nll(np.array([[-100.0]]), np.array([[1.0]]))[0])
    assert got == pytest.approx(100.0, rel=1e-6)


GAUSS_CASES = {
    "unit variance": (rng.normal(size=(6, 7)), rng.normal(size=(6, 7)), 0.0),
    "per-pixel logvar": (rng.normal(size=(6, 7)), rng.normal(size=(6, 7)), rng.normal(size=(7,))),
    "extreme logvar": (rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), np.array([-30.0, 30.0])),
}


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("case", GAUSS_CASES)
def test_gaussian_nll_matches_scipy(fw, case):
    mean, x, logvar = GAUSS_CASES[case]
    mean, x = mean.astype(np.float32), x.astype(np.float32)
    logvar = np.asarray(logvar, dtype=np.float32)
    ref = -stats.norm.logpdf(x.astype(np.float64), mean.astype(np.float64),
                             np.exp(0.5 * logvar.astype(np.float64))).sum(1)
    got = np_(FRAMEWORKS[fw].gaussian_nll(mean, x, logvar))
    assert got.shape == (len(x),) and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-3)


def test_gaussian_nll_is_half_squared_error_plus_constant():
    mean, x = rng.normal(size=(5, 9)), rng.normal(size=(5, 9))
    got = vbt.to_numpy(vbt.gaussian_nll(mean, x))
    expected = 0.5 * ((x - mean) ** 2).sum(1) + 0.5 * 9 * np.log(2 * np.pi)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


# ------------------------------------------------------------------ torch vs tensorflow
@pytest.mark.parametrize("name", ["gaussian_kl", "bernoulli_nll", "gaussian_nll"])
def test_frameworks_agree(name):
    a = rng.normal(size=(32, 12)).astype(np.float32) * 4
    b = rng.random((32, 12)).astype(np.float32)
    pt = np_(getattr(vbt, name)(a, b))
    tf_ = np_(getattr(vbtf, name)(a, b))
    np.testing.assert_allclose(pt, tf_, rtol=2e-6, atol=1e-4)


def test_reparameterize_agrees_and_uses_the_standard_deviation():
    mu, logvar, eps = (rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3))
    pt = np_(vbt.reparameterize(mu, logvar, eps))
    tf_ = np_(vbtf.reparameterize(mu, logvar, eps))
    np.testing.assert_allclose(pt, mu + np.exp(0.5 * logvar) * eps, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pt, tf_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_reparameterize_samples_have_the_right_moments(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    mu = np.full((200_000, 1), 1.5, np.float32)
    logvar = np.full((200_000, 1), np.log(0.25), np.float32)
    z = np_(vb.reparameterize(mu, logvar))
    assert abs(z.mean() - 1.5) < 0.01 and abs(z.std() - 0.5) < 0.01


def test_reparameterize_gradients_are_the_analytic_ones():
    mu = torch.tensor([[0.3, -0.2]], requires_grad=True)
    logvar = torch.tensor([[0.5, -1.0]], requires_grad=True)
    eps = torch.tensor([[1.1, -0.7]])
    vbt.reparameterize(mu, logvar, eps).sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones_like(mu))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


# ------------------------------------------------------------------ bad input
BAD = [
    ("gaussian_kl", (np.zeros((2, 3)), np.zeros((2, 4))), r"`logvar`.*\(2, 3\).*\(2, 4\)"),
    ("gaussian_kl", (np.zeros(3), np.zeros(3)), r"`mu`.*batch"),
    ("bernoulli_nll", (np.zeros((2, 3)), np.zeros((3, 2))), r"`x`.*same shape"),
    ("bernoulli_nll", (np.zeros((2, 3)), np.full((2, 3), 255.0)), r"`x`.*\[0, 1\].*255"),
    ("bernoulli_nll", (np.zeros((2, 3)), np.full((2, 3), -0.5)), r"`x`.*\[0, 1\]"),
    ("bernoulli_nll", (np.zeros((1, 2)), np.array([[np.nan, 0.5]])), r"`x`.*finite"),
    ("gaussian_nll", (np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(4)), r"`logvar`.*broadcast"),
    ("reparameterize", (np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2))), r"`eps`"),
]


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("name,args,pattern", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_named(fw, name, args, pattern):
    with pytest.raises(ValueError, match=pattern) as err:
        getattr(FRAMEWORKS[fw], name)(*[a.astype(np.float32) for a in args])
    assert name in str(err.value)


def test_tensorflow_losses_work_inside_tf_function():
    import tensorflow as tf

    @tf.function
    def total(logits, x, mu, logvar):
        return (vbtf.bernoulli_nll(logits, x) + vbtf.gaussian_kl(mu, logvar)
                + vbtf.gaussian_nll(logits, x) + vbtf.reparameterize(mu, logvar)[:, 0])

    a = rng.normal(size=(3, 4)).astype(np.float32)
    b = rng.random((3, 4)).astype(np.float32)
    eager = (vbtf.bernoulli_nll(a, b) + vbtf.gaussian_kl(a, a) + vbtf.gaussian_nll(a, b))
    graph = total(a, b, a, a) - vbtf.to_numpy(total(a, b, a, a)) + total(a, b, a, a)
    assert np.all(np.isfinite(vbtf.to_numpy(graph)))
    assert np.all(np.isfinite(vbtf.to_numpy(eager)))
