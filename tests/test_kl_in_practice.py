"""Chapter 6's package pieces: the MADE decoder's masks, the AutoregressiveVAE in both
frameworks on the same weights, free bits against NumPy, and fit's KL-weight schedule."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch

from tests.frameworks import FRAMEWORKS, np_
from vaebook import _made
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

D, d = 12, 3


def _binary(n=40, seed=0, dim=D):
    return (np.random.default_rng(seed).random((n, dim)) < 0.4).astype(np.float32)


def _pair(made_hidden=16):
    """A PyTorch and a TensorFlow AutoregressiveVAE with the same weights (random, not zero)."""
    vbt.set_seed(0)
    pt = vbt.AutoregressiveVAE(D, d, hidden_dims=(8,), made_hidden=made_hidden)
    with torch.no_grad():
        pt.decoder.w_direct.normal_(0.0, 0.3)
    tfm = vbtf.AutoregressiveVAE(D, d, hidden_dims=(8,), made_hidden=made_hidden)
    lin = [m for m in pt.encoder.modules() if isinstance(m, torch.nn.Linear)]
    for layer, m in zip(tfm.encoder.layers, lin, strict=True):
        layer.set_weights([np_(m.weight).T, np_(m.bias)])
    for name in ("w_in", "u_in", "b_in", "w_out", "v_out", "b_out", "w_direct"):
        getattr(tfm.decoder, name).assign(np_(getattr(pt.decoder, name)))
    return pt, tfm


def _jacobian(fw, model, x, z):
    if fw == "torch":
        xt = torch.tensor(x, requires_grad=True)
        jac = torch.autograd.functional.jacobian(
            lambda v: model.decoder_logits(v, torch.tensor(z))[0], xt)
        return np_(jac)[:, 0, :]
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = model.decoder_logits(xt, tf.constant(z))[0]
    return tape.jacobian(out, xt).numpy()[:, 0, :]


def test_made_masks_allow_exactly_the_earlier_pixels():
    m_in, m_out, m_direct = _made.made_masks(D, 16)
    reach = (m_out @ m_in > 0) | (m_direct > 0)  # output i reaches input j
    assert np.array_equal(reach, np.tril(np.ones((D, D)), -1) > 0)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_pixel_i_depends_only_on_pixels_before_it(fw):
    pt, tfm = _pair()
    model = pt if fw == "torch" else tfm
    x = _binary(1)
    z = np.random.default_rng(1).normal(size=(1, d)).astype(np.float32)
    jac = _jacobian(fw, model, x, z)  # (D outputs, D inputs)
    assert np.all(jac[np.triu_indices(D)] == 0.0)  # no pixel sees itself or a later one
    assert np.all(np.abs(jac[np.tril_indices(D, -1)]) > 0)  # and it sees every earlier one


def test_same_weights_give_the_same_autoregressive_vae_in_both_frameworks():
    pt, tfm = _pair()
    x = _binary(30)
    z = np.random.default_rng(2).normal(size=(30, d)).astype(np.float32)
    np.testing.assert_allclose(np_(pt.decoder_logits(x, z)),
                               tfm.decoder_logits(x, z).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_(pt.log_px_given_z(x, z)),
                               tfm.log_px_given_z(x, z).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(np_(pt.generate(z[:4], seed=3)),
                                  tfm.generate(z[:4], seed=3).numpy())
    s = np_(pt.sample(5, seed=1))
    assert s.shape == (5, D) and set(np.unique(s)) <= {0.0, 1.0}
    assert np_(pt.reconstruct(x[:3])).shape == (3, D)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_autoregressive_vae_trains_and_gives_an_iwae_bound(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    model = vb.AutoregressiveVAE(D, d, hidden_dims=(8,), made_hidden=16)
    x = _binary(200)
    hist = vb.fit(model, x, epochs=3, batch_size=50, lr=3e-3, progress=False)
    assert hist["loss"][-1] < hist["loss"][0]
    bound = np_(vb.iwae_bound(model, x[:20], k=8, seed=0))
    elbo = np_(model.elbo(x[:20]))
    assert bound.shape == (20,) and np.isfinite(bound).all()
    assert bound.mean() > elbo.mean() - 1.0
    with pytest.raises(ValueError, match="AutoregressiveVAE.decode"):
        model.decode(np.zeros((2, d), np.float32))
    with pytest.raises(ValueError, match="made_hidden"):
        vb.AutoregressiveVAE(D, d, made_hidden=0)


def _free_bits_numpy(mu, logvar, lam):
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)
    below = kl.mean(axis=0) < lam
    return np.where(below[None, :], lam, kl).sum(axis=1)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("lam", [0.0, 0.1, 0.5, 3.0])
def test_free_bits_kl_matches_numpy(fw, lam):
    rng = np.random.default_rng(4)
    mu = (rng.normal(size=(16, 5)) * np.array([0.05, 0.3, 1.0, 2.0, 0.0])).astype(np.float32)
    logvar = (rng.normal(size=(16, 5)) * 0.2 - 0.1).astype(np.float32)
    got = np_(FRAMEWORKS[fw].free_bits_kl(mu, logvar, lam))
    np.testing.assert_allclose(got, _free_bits_numpy(mu, logvar, lam), rtol=1e-5, atol=1e-6)
    mean = _free_bits_numpy(mu, logvar, lam).mean()
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)
    np.testing.assert_allclose(mean, np.maximum(lam, kl.mean(0)).sum(), rtol=1e-5)
    if lam == 0.0:
        np.testing.assert_allclose(got, np_(FRAMEWORKS[fw].gaussian_kl(mu, logvar)),
                                   rtol=1e-5, atol=1e-6)


def test_free_bits_gives_no_gradient_below_the_floor():
    mu = torch.tensor([[0.01, 2.0], [-0.01, 1.0]], requires_grad=True)
    logvar = torch.zeros(2, 2, requires_grad=True)
    vbt.free_bits_kl(mu, logvar, 0.5).sum().backward()
    assert torch.all(mu.grad[:, 0] == 0) and torch.all(mu.grad[:, 1] != 0)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_free_bits_kl_bad_inputs(fw):
    f = FRAMEWORKS[fw].free_bits_kl
    mu = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match=r"free_bits_kl: argument `free_bits`.*got -1"):
        f(mu, mu, -1)
    with pytest.raises(ValueError, match=r"free_bits_kl: argument `free_bits`"):
        f(mu, mu, "a lot")
    with pytest.raises(ValueError, match=r"free_bits_kl: argument `logvar`.*\(4, 3\)"):
        f(mu, np.zeros((4, 3), np.float32), 0.1)
    with pytest.raises(ValueError, match=r"free_bits_kl: argument `mu`"):
        f(np.zeros(4, np.float32), np.zeros(4, np.float32), 0.1)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_kl_weight_schedule(fw):
    vb = FRAMEWORKS[fw]
    x = _binary(120)
    runs = {}
    for name, kw in {"beta": {"beta": 0.5}, "weight": {}}.items():
        vb.set_seed(1)
        model = vb.VAE(D, d, hidden_dims=(8,), **kw)
        weight = (lambda step: 0.5) if name == "weight" else None
        runs[name] = vb.fit(model, x, epochs=2, batch_size=40, seed=1, progress=False,
                            kl_weight=weight)
    # A constant weight of 0.5 trains as beta = 0.5 does.
    np.testing.assert_allclose(runs["beta"]["loss"], runs["weight"]["loss"], rtol=1e-5)
    steps = []
    vb.fit(vb.VAE(D, d, hidden_dims=(8,)), x, epochs=2, batch_size=40, progress=False,
           kl_weight=lambda s: steps.append(s) or 0.0)
    assert steps == list(range(6))
    model = vb.VAE(D, d, hidden_dims=(8,))
    with pytest.raises(ValueError, match="fit: argument `kl_weight` must be None or"):
        vb.fit(model, x, epochs=1, progress=False, kl_weight=0.5)
    with pytest.raises(ValueError, match="fit: argument `kl_weight` must return"):
        vb.fit(model, x, epochs=1, progress=False, kl_weight=lambda s: -1.0)
    ae = vb.Autoencoder(D, d, hidden_dims=(8,))
    with pytest.raises(ValueError, match="'reconstruction' and 'kl'"):
        vb.fit(ae, x, epochs=1, progress=False, kl_weight=lambda s: 1.0)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_free_bits_checker_names_an_answer_that_is_the_same_for_every_example(fw):
    """Exercise 1: a constant answer is told it does not vary over the examples (not only
    "too small"), and a batch-mean answer that it has the right mean; the right answer
    passes, and no message gives the right values away beyond the failing case's."""
    from vaebook.exercises import load

    q1 = load("ch6").q1
    t = fw == "torch"
    full = (lambda mu, v: torch.full((mu.shape[0],), float(v))) if t else (
        lambda mu, v: tf.fill(tf.shape(mu)[:1], float(v)))

    def right(mu, logvar, lam):
        return (vbt if t else vbtf).free_bits_kl(mu, logvar, float(lam))

    def batch_mean(mu, logvar, lam):
        return full(mu, float(np.mean(np_(right(mu, logvar, lam)))))

    assert q1.evaluate(right, framework=fw).status == "correct"
    for answer, says_mean in [(batch_mean, True), (lambda mu, lv, lam: full(mu, 0.0), False),
                              (lambda mu, lv, lam: full(mu, 3.0), False)]:
        result = q1.evaluate(answer, framework=fw)
        assert result.status == "wrong"
        assert "the same value for every example" in result.message
        assert ("your batch mean is right" in result.message) == says_mean
        assert "worst element" not in result.message
    # a wrong answer that varies over the examples keeps the usual message
    wrong = q1.evaluate(lambda mu, lv, lam: right(mu, lv, lam) * 2.0, framework=fw)
    assert wrong.status == "wrong" and "same value for every example" not in wrong.message
