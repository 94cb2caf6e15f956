"""The GAN helpers in both frameworks: losses against SciPy, the frameworks against each
other, the gradient argument for the non-saturating loss, training, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch
from scipy import special

from tests.frameworks import FRAMEWORKS, np_
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

rng = np.random.default_rng(55)


# Discriminator logits: ordinary, extreme (±100) and exactly zero (D = 1/2).
LOGIT_CASES = {
    "ordinary": (rng.normal(size=12) * 3, rng.normal(size=12) * 3),
    "extreme ±100": (np.array([100.0, -100.0, 100.0, -100.0]),
                     np.array([100.0, -100.0, -100.0, 100.0])),
    "D = 1/2": (np.zeros(3), np.zeros(3)),
}


def _d_ref(real, fake):
    """-log D(x) - log(1 - D(G(z))) with D = expit(s), via SciPy's stable log_expit."""
    real, fake = real.astype(np.float64), fake.astype(np.float64)
    return -special.log_expit(real) - special.log_expit(-fake)


def _g_ref(fake, non_saturating):
    fake = fake.astype(np.float64)
    return -special.log_expit(fake) if non_saturating else special.log_expit(-fake)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("case", LOGIT_CASES)
def test_discriminator_loss_matches_scipy(fw, case):
    real, fake = (a.astype(np.float32) for a in LOGIT_CASES[case])
    got = np_(FRAMEWORKS[fw].discriminator_loss(real, fake))
    assert got.shape == real.shape and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, _d_ref(real, fake), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("case", LOGIT_CASES)
@pytest.mark.parametrize("non_saturating", [True, False])
def test_generator_loss_matches_scipy(fw, case, non_saturating):
    fake = LOGIT_CASES[case][1].astype(np.float32)
    got = np_(FRAMEWORKS[fw].generator_loss(fake, non_saturating=non_saturating))
    assert got.shape == fake.shape and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, _g_ref(fake, non_saturating), rtol=1e-5, atol=1e-5)


def test_discriminator_loss_at_d_half_is_log_4():
    # D = 1/2 everywhere: -log(1/2) - log(1/2) = log 4, the value at the game's equilibrium.
    got = np_(vbt.discriminator_loss(np.zeros(2), np.zeros(2)))
    np.testing.assert_allclose(got, np.log(4.0), rtol=1e-6)


@pytest.mark.parametrize("case", LOGIT_CASES)
def test_frameworks_agree_on_the_same_logits(case):
    real, fake = (a.astype(np.float32) for a in LOGIT_CASES[case])
    np.testing.assert_allclose(np_(vbt.discriminator_loss(real, fake)),
                               np_(vbtf.discriminator_loss(real, fake)), rtol=1e-6, atol=1e-6)
    for ns in (True, False):
        np.testing.assert_allclose(np_(vbt.generator_loss(fake, ns)),
                                   np_(vbtf.generator_loss(fake, ns)), rtol=1e-6, atol=1e-6)


def _grad_wrt_logit(fw, d_values, non_saturating):
    """d loss / d logit of the generator loss at logits s = logit(D)."""
    s = special.logit(np.asarray(d_values, np.float64)).astype(np.float32)
    if fw == "torch":
        t = torch.tensor(s, requires_grad=True)
        vbt.generator_loss(t, non_saturating).sum().backward()
        return t.grad.numpy()
    t = tf.Variable(s)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(vbtf.generator_loss(t, non_saturating))
    return tape.gradient(loss, t).numpy()


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_non_saturating_gradient_is_larger_where_the_discriminator_wins(fw):
    d = np.array([1e-4, 1e-2, 0.1])  # D(G(z)) near 0: the generator is losing
    ns = _grad_wrt_logit(fw, d, True)
    mm = _grad_wrt_logit(fw, d, False)
    # Analytic: d/ds softplus(-s) = -(1 - D); d/ds -softplus(s) = -D.
    np.testing.assert_allclose(ns, -(1 - d), rtol=1e-4)
    np.testing.assert_allclose(mm, -d, rtol=1e-3)
    assert np.all(np.abs(ns) > 5 * np.abs(mm))
    assert abs(ns[0]) / abs(mm[0]) > 1000


def _images(n=96, seed=0):
    """Binary 4x4 images: a lit row or a lit column, with 5% pixel noise."""
    r = np.random.default_rng(seed)
    x = np.zeros((n, 4, 4), np.float32)
    idx = r.integers(0, 4, n)
    rows = r.random(n) < 0.5
    x[rows, idx[rows], :] = 1.0
    x[~rows, :, idx[~rows]] = 1.0
    flip = r.random(x.shape) < 0.05
    return np.where(flip, 1.0 - x, x).astype(np.float32)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_gan_shapes_and_range(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    gan = vb.GAN((4, 4), 3, hidden_dims=(8,))
    out = np_(gan.generate(5))
    assert out.shape == (5, 4, 4) and out.min() >= 0.0 and out.max() <= 1.0
    assert np_(gan.discriminate(_images(7))).shape == (7,)
    assert np_(gan.discriminate(_images(7).reshape(7, 16))).shape == (7,)
    assert np_(gan.decode(np.zeros((2, 3), np.float32))).shape == (2, 4, 4)


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_gan_returns_a_finite_history_and_is_repeatable(fw):
    vb = FRAMEWORKS[fw]
    x = _images()
    runs, seen = [], []
    for _ in range(2):
        vb.set_seed(1)
        gan = vb.GAN((4, 4), 3, hidden_dims=(16,))
        runs.append(vb.fit_gan(gan, x, epochs=2, batch_size=40, lr=1e-3, seed=1,
                               progress=False, callback=lambda e, g: seen.append(e)))
    hist = runs[0]
    assert set(hist) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in hist.values())
    assert all(0.0 < v < 1.0 for v in hist["d_real"] + hist["d_fake"])
    assert seen == [1, 2, 1, 2]
    for key in hist:
        np.testing.assert_allclose(runs[0][key], runs[1][key], rtol=1e-5)
    # The minimax generator loss is negative: log(1 - D) < 0.
    h = vb.fit_gan(gan, x, epochs=1, batch_size=96, non_saturating=False, progress=False)
    assert h["g_loss"][0] < 0


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_bad_input_gives_clear_errors(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match="same shape"):
        vb.discriminator_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(batch,\)"):
        vb.discriminator_loss(np.zeros((3, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="finite"):
        vb.generator_loss(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="non_saturating"):
        vb.generator_loss(np.zeros(2), non_saturating="yes")
    with pytest.raises(ValueError, match="noise_dim"):
        vb.GAN((4, 4), 0)
    with pytest.raises(ValueError, match="hidden_dims"):
        vb.GAN((4, 4), 2, hidden_dims=(8, -1))
    with pytest.raises(ValueError, match="input_dim"):
        vb.GAN((4, 0), 2)
    gan = vb.GAN((4, 4), 2, hidden_dims=(8,))
    x = _images(10)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vb.fit_gan(gan, x * 255.0, epochs=1, progress=False)
    with pytest.raises(ValueError, match="x_train"):
        vb.fit_gan(gan, np.zeros((10, 5, 5), np.float32), epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        vb.fit_gan(gan, x, epochs=0, progress=False)
    with pytest.raises(ValueError, match="lr"):
        vb.fit_gan(gan, x, epochs=1, lr=-1.0, progress=False)
    with pytest.raises(ValueError, match="must be a GAN"):
        vb.fit_gan(vb.VAE((4, 4), 2, hidden_dims=(8,)), x, epochs=1, progress=False)
    with pytest.raises(ValueError, match="`n`"):
        gan.generate(0)


def test_tensorflow_losses_work_inside_tf_function():
    @tf.function
    def mean_losses(real, fake):
        return (tf.reduce_mean(vbtf.discriminator_loss(real, fake)),
                tf.reduce_mean(vbtf.generator_loss(fake)))

    real, fake = (a.astype(np.float32) for a in LOGIT_CASES["ordinary"])
    d, g = (float(t) for t in mean_losses(tf.constant(real), tf.constant(fake)))
    assert d == pytest.approx(_d_ref(real, fake).mean(), rel=1e-5)
    assert g == pytest.approx(_g_ref(fake, True).mean(), rel=1e-5)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_gan_moves_batch_norm_statistics_once_per_step(fw):
    # A generator whose first layer outputs 1 for every z: its batch mean is 1, its
    # variance 0, so one step of running averages gives mean 0.1, variance 0.9 (two: 0.19).
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    gan = vb.ConvGAN((8, 8), 3, channels=(2, 4))
    if fw == "torch":
        linear, norm = gan.generator[0], gan.generator[1]
        with torch.no_grad():
            linear.weight.zero_()
            linear.bias.fill_(1.0)
    else:
        linear, norm = gan.generator.layers[0], gan.generator.layers[1]
        linear.set_weights([np.zeros_like(w) for w in linear.get_weights()[:1]]
                           + [np.ones_like(linear.get_weights()[1])])
    x = _images(8, seed=1)
    x = np.kron(x, np.ones((2, 2), np.float32))  # 8x8 images
    vb.fit_gan(gan, x, epochs=1, batch_size=8, progress=False)  # one step
    if fw == "torch":
        mean, var = norm.running_mean.numpy(), norm.running_var.numpy()
        assert int(norm.num_batches_tracked) == 1
    else:
        mean, var = norm.moving_mean.numpy(), norm.moving_variance.numpy()
    np.testing.assert_allclose(mean, 0.1, rtol=1e-5)
    np.testing.assert_allclose(var, 0.9, rtol=1e-5)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_gan_refuses_a_batch_of_one_under_batch_norm(fw):
    vb = FRAMEWORKS[fw]
    x = np.kron(_images(9, seed=1), np.ones((2, 2), np.float32))  # nine 8x8 images
    gan = vb.ConvGAN((8, 8), 3, channels=(2, 4))
    # 9 = 2 x 4 + 1: the last batch would hold one image.
    with pytest.raises(ValueError, match=r"fit_gan: argument `batch_size`.*9 images and "
                                         r"batch_size=4"):
        vb.fit_gan(gan, x, epochs=1, batch_size=4, progress=False)
    # Without batch normalisation, and with a batch size that leaves no single image,
    # the same data trains.
    plain = vb.ConvGAN((8, 8), 3, channels=(2, 4), batch_norm=False)
    assert len(vb.fit_gan(plain, x, epochs=1, batch_size=4, progress=False)["d_loss"]) == 1
    assert len(vb.fit_gan(gan, x, epochs=1, batch_size=3, progress=False)["d_loss"]) == 1
