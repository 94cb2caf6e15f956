"""Training with the importance-weighted bound: each piece against an independent reference.

The bound against SciPy's logsumexp, its gradient weights against autograd, the
log-weights of a VAE against a NumPy/SciPy computation of log p(x|z) + log p(z) -
log q(z|x) from the same noise, k = 1 against the one-sample negative ELBO with a
Monte Carlo KL, and the two frameworks against each other.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import tensorflow as tf
import torch
from scipy import stats
from scipy.special import logsumexp, softmax

from tests.frameworks import FRAMEWORKS, np_
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

rng = np.random.default_rng(0)


def _binary(n, dim, seed=0):
    return (np.random.default_rng(seed).random((n, dim)) < 0.3).astype(np.float32)


# Log-weights where a naive log(mean(exp)) fails: underflow at -1000, overflow at 200,
# one sample far ahead of the others, and k = 1.
LOG_W = [
    rng.normal(size=(7, 5)).astype(np.float32) * 3,
    np.array([[-1000.0, 3.0], [-1001.0, 2.0], [-1002.0, 1.0]], np.float32),
    np.array([[200.0, 0.0], [201.0, -30.0], [150.0, 0.0]], np.float32),
    rng.normal(size=(1, 4)).astype(np.float32),
]


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("case", range(len(LOG_W)))
def test_iwae_loss_and_weights_match_numpy(fw, case):
    vb = FRAMEWORKS[fw]
    log_w = LOG_W[case]
    k = log_w.shape[0]
    ref_loss = -(logsumexp(log_w.astype(np.float64), axis=0) - np.log(k))
    np.testing.assert_allclose(np_(vb.iwae_loss(log_w)), ref_loss, rtol=1e-5, atol=1e-4)
    weights = np_(vb.importance_weights(log_w))
    np.testing.assert_allclose(weights, softmax(log_w.astype(np.float64), axis=0), atol=1e-6)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-6)
    assert np.isfinite(np_(vb.iwae_loss(log_w))).all()


def test_iwae_loss_is_not_the_mean_log_weight():
    """The control: the bound is above the k-sample ELBO, equal only when the weights are."""
    log_w = LOG_W[0]
    bound = -np_(vbt.iwae_loss(log_w))
    assert (bound > log_w.mean(axis=0) + 0.1).all()
    flat = np.tile(log_w[:1], (4, 1))
    np.testing.assert_allclose(-np_(vbt.iwae_loss(flat)), flat[0], rtol=1e-6)


def test_gradient_weights_are_the_normalised_weights_torch():
    log_w = torch.tensor(LOG_W[0], requires_grad=True)
    vbt.iwae_loss(log_w).sum().backward()
    # d(-L_k)/d log w_i = -w_i / sum_j w_j, column by column.
    np.testing.assert_allclose(-log_w.grad.numpy(), np_(vbt.importance_weights(LOG_W[0])),
                               atol=1e-6)


def test_gradient_weights_are_the_normalised_weights_tensorflow():
    log_w = tf.Variable(LOG_W[2])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(vbtf.iwae_loss(log_w))
    grad = tape.gradient(loss, log_w).numpy()
    np.testing.assert_allclose(-grad, np_(vbtf.importance_weights(LOG_W[2])), atol=1e-6)
    # The 1/k of the k-sample ELBO is a different answer.
    assert not np.allclose(-grad, 1.0 / 3.0, atol=0.1)


def _noise(fw, k, b, d, seed):
    """The noise log_importance_weights draws from ``seed`` (its documented streams)."""
    if fw == "torch":
        from vaebook.torch._util import randn
        return randn((k, b, d), seed, "test").numpy()
    return tf.random.stateless_normal([k, b, d], seed=[seed, 0]).numpy()


def _reference_log_weights(model, fw, x, eps):
    """log p(x|z) + log p(z) - log q(z|x) with SciPy, from the model's encoder and decoder."""
    mu, logvar = (np_(t) for t in model.encode(x))
    mu, sigma = mu.astype(np.float64), np.exp(0.5 * logvar.astype(np.float64))
    z = mu + sigma * eps  # (k, B, d)
    k, b, d = z.shape
    z_t = FRAMEWORKS[fw].to_tensor(z.reshape(k * b, d).astype(np.float32))
    logits = np_(model.decoder(z_t)).astype(np.float64)
    p = 1.0 / (1.0 + np.exp(-logits))
    log_px = stats.bernoulli(p).logpmf(np.tile(x, (k, 1))).sum(axis=1).reshape(k, b)
    log_pz = stats.norm().logpdf(z).sum(axis=-1)
    log_qz = stats.norm(mu, sigma).logpdf(z).sum(axis=-1)
    return log_px + log_pz - log_qz


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_log_weights_of_a_vae_match_scipy(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(1)
    model = vb.VAE(12, 3, (16,))
    x = _binary(6, 12)
    got = np_(vb.log_importance_weights(model, x, k=4, seed=7))
    assert got.shape == (4, 6)
    ref = _reference_log_weights(model, fw, x, _noise(fw, 4, 6, 3, 7))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-3)
    # Seeded: the same twice, another seed another draw.
    np.testing.assert_array_equal(got, np_(vb.log_importance_weights(model, x, k=4, seed=7)))
    assert not np.allclose(got, np_(vb.log_importance_weights(model, x, k=4, seed=8)))


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_k1_is_the_one_sample_negative_elbo_with_a_monte_carlo_kl(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(2)
    model = vb.VAE(12, 3, (16,), prior=vb.MixturePrior(3))  # no closed-form KL
    x = vb.to_tensor(_binary(5, 12, seed=1))
    eps = vb.to_tensor(_noise(fw, 1, 5, 3, 11))
    loss = np_(vb.iwae_loss(vb.log_importance_weights(model, x, k=1, seed=11)))
    mu, logvar = model.encode(x)
    z, _ = model.sample_posterior(x, eps[0])
    neg_elbo = -model.log_px_given_z(x, z) + model.kl_term(mu, logvar, z)
    np.testing.assert_allclose(loss, np_(neg_elbo), rtol=1e-5, atol=1e-4)
    terms = vb.iwae_terms(model, x, k=1, seed=11)
    vae_terms = vb.iwae_terms(model, x, k=1, objective="vae", seed=11)
    np.testing.assert_allclose(np_(terms["loss"]), np_(vae_terms["loss"]), rtol=1e-6)
    np.testing.assert_allclose(np_(terms["ess"]), 1.0, rtol=1e-6)


def test_the_monte_carlo_kl_averages_to_the_closed_form():
    """Over many samples, mean(log q - log p) is gaussian_kl (the VAE's closed form)."""
    vbt.set_seed(3)
    model = vbt.VAE(12, 3, (16,))
    x = torch.tensor(_binary(4, 12, seed=2))
    eps = torch.randn(20000, 4, 3)
    z, log_q = model.sample_posterior(x, eps)
    mc_kl = (log_q - model.prior.log_prob(z)).mean(0)
    mu, logvar = model.encode(x)
    closed = vbt.gaussian_kl(mu, logvar)
    se = (log_q - model.prior.log_prob(z)).std(0) / np.sqrt(20000)
    assert (torch.abs(mc_kl - closed) < 4 * se + 1e-3).all()


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_iwae_terms(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(4)
    model = vb.VAE(12, 3, (16,))
    x = _binary(8, 12, seed=3)
    t = {key: np_(v) for key, v in vb.iwae_terms(model, x, k=6, seed=0).items()}
    assert set(t) == {"loss", "iwae", "elbo", "ess"} and all(v.shape == (8,) for v in t.values())
    log_w = np_(vb.log_importance_weights(model, x, k=6, seed=0)).astype(np.float64)
    np.testing.assert_allclose(t["iwae"], logsumexp(log_w, 0) - np.log(6), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(t["elbo"], log_w.mean(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(t["ess"], 1.0 / (softmax(log_w, 0) ** 2).sum(0), rtol=1e-4)
    np.testing.assert_allclose(t["loss"], -t["iwae"], rtol=1e-6)
    assert (t["iwae"] >= t["elbo"] - 1e-5).all()  # Jensen
    assert ((t["ess"] >= 1 - 1e-5) & (t["ess"] <= 6 + 1e-5)).all()
    vae = {key: np_(v) for key, v in vb.iwae_terms(model, x, k=6, objective="vae",
                                                   seed=0).items()}
    np.testing.assert_allclose(vae["loss"], -t["elbo"], rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_trains_an_iwae_and_its_bound_rises(fw):
    vb = FRAMEWORKS[fw]
    x = _binary(300, 16, seed=5)
    x[:150, :8] = 1.0  # two kinds of images: something for the code to carry
    vb.set_seed(0)
    model = vb.VAE(16, 2, (32,))
    hist = vb.fit(model, x, epochs=8, batch_size=50, lr=3e-3, progress=False,
                  loss_fn=functools.partial(vb.iwae_terms, k=5))
    assert set(hist) >= {"loss", "iwae", "elbo", "ess"}
    assert hist["loss"][-1] < hist["loss"][0] - 1.0
    np.testing.assert_allclose(hist["loss"], [-v for v in hist["iwae"]], rtol=1e-6)
    bounds = [np_(vb.iwae_bound(model, x[:100], k=k, seed=0)).mean() for k in (1, 50)]
    assert bounds[1] > bounds[0]


def test_same_weights_same_log_weights_in_both_frameworks():
    from test_models import _copy_torch_to_tf

    vbt.set_seed(5)
    pt = vbt.VAE(12, 3, (16, 8))
    tfm = vbtf.VAE(12, 3, (16, 8))
    _copy_torch_to_tf(pt, tfm)
    x = _binary(6, 12, seed=6)
    eps = rng.normal(size=(5, 6, 3)).astype(np.float32)
    z_pt, lq_pt = (np_(t) for t in pt.sample_posterior(torch.tensor(x), torch.tensor(eps)))
    z_tf, lq_tf = (np_(t) for t in tfm.sample_posterior(tf.constant(x), tf.constant(eps)))
    np.testing.assert_allclose(z_pt, z_tf, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lq_pt, lq_tf, rtol=1e-4, atol=1e-4)
    # The same log-weights give the same loss and gradient weights.
    log_w = _reference_log_weights(pt, "torch", x, eps.astype(np.float64)).astype(np.float32)
    np.testing.assert_allclose(np_(vbt.iwae_loss(log_w)), np_(vbtf.iwae_loss(log_w)), rtol=1e-6)
    np.testing.assert_allclose(np_(vbt.importance_weights(log_w)),
                               np_(vbtf.importance_weights(log_w)), atol=1e-6)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_iwae_bound_of_a_vae_is_unchanged_by_sample_posterior(fw):
    """iwae_bound now draws through sample_posterior: the old Gaussian formula, same numbers."""
    vb = FRAMEWORKS[fw]
    vb.set_seed(6)
    model = vb.VAE(12, 3, (16,))
    x = _binary(10, 12, seed=7)

    class GaussianOnly:  # the duck-typed model iwae_bound has always accepted
        input_dim, latent_dim, prior, likelihood = 12, 3, model.prior, model.likelihood
        encode, log_px_given_z = model.encode, model.log_px_given_z
        if fw == "torch":
            parameters, training, train, eval = (model.parameters, False,
                                                 lambda self, mode=True: None,
                                                 lambda self: None)

    new = np_(vb.iwae_bound(model, x, k=30, chunk_size=7, seed=3))
    old = np_(vb.iwae_bound(GaussianOnly(), x, k=30, chunk_size=7, seed=3))
    np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_bad_input_is_named(fw):
    vb = FRAMEWORKS[fw]
    model = vb.VAE(12, 3, (16,))
    x = _binary(4, 12)
    cases = [
        (lambda: vb.iwae_loss(np.zeros(5, np.float32)), r"iwae_loss: argument `log_w` must "
         r"have shape \(k, batch\).*got shape \(5,\)"),
        (lambda: vb.iwae_loss(np.zeros((0, 3), np.float32)), r"iwae_loss: argument `log_w`"),
        (lambda: vb.importance_weights(np.array([[np.nan, 0.0]], np.float32)),
         r"importance_weights: argument `log_w` must be finite"),
        (lambda: vb.iwae_terms(model, x, objective="elbo"),
         r"iwae_terms: argument `objective` must be one of \('iwae', 'vae'\); got 'elbo'"),
        (lambda: vb.log_importance_weights(model, x, k=0),
         r"log_importance_weights: argument `k` must be a positive integer"),
        (lambda: vb.log_importance_weights(model, x * 3, k=2),
         r"log_importance_weights: argument `x` must hold Bernoulli targets"),
        (lambda: vb.log_importance_weights(vb.Autoencoder(12, 3), x),
         r"log_importance_weights: argument `model` must have a posterior.*Autoencoder"),
        (lambda: model.sample_posterior(x, np.zeros((4, 2), np.float32)),
         r"VAE.sample_posterior: argument `eps` must have shape"),
    ]
    for call, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            call()


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_iwae_bound_uses_a_prior_swapped_in_after_a_first_call(fw):
    """Chapter 8 fits a prior to a trained model: iwae_bound must see the new one."""
    vb = FRAMEWORKS[fw]
    vb.set_seed(7)
    model = vb.VAE(12, 2, (16,))
    x = _binary(10, 12, seed=8)
    before = np_(vb.iwae_bound(model, x, k=20, seed=0)).mean()
    far = vb.MixturePrior(1, latent_dim=2, seed=0)
    if fw == "torch":
        with torch.no_grad():
            far.means.fill_(8.0)
    else:
        far.means.assign(np.full((1, 2), 8.0, np.float32))
    model.prior = far
    after = np_(vb.iwae_bound(model, x, k=20, seed=0)).mean()
    # log N(z; 8, 1) is about 64 nats below log N(z; 0, 1) near z = 0.
    assert after < before - 30
