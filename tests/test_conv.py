"""Convolutional models: the MLP models' contract, and the same network in both frameworks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch

from tests.frameworks import FRAMEWORKS
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt


def _np(t):
    return vbt.to_numpy(t)


def _bars(n=256, seed=0):
    """Binary 12x12 images: a horizontal or a vertical bar at a random place."""
    r = np.random.default_rng(seed)
    x = np.zeros((n, 12, 12), np.float32)
    for i in range(n):
        j = r.integers(2, 10)
        if r.random() < 0.5:
            x[i, j - 1 : j + 1, 2:10] = 1
        else:
            x[i, 2:10, j - 1 : j + 1] = 1
    return x


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_conv_models_keep_the_contract(fw):
    vb = FRAMEWORKS[fw]
    x = vb.to_tensor(_bars(5))
    vae = vb.ConvVAE((12, 12), 3, channels=(4, 8))
    mu, logvar = vae.encode(x)
    assert tuple(mu.shape) == (5, 3) and tuple(logvar.shape) == (5, 3)
    assert tuple(vae.decode(mu).shape) == (5, 12, 12)
    assert set(vae.loss_terms(x)) == {"loss", "reconstruction", "kl"}
    assert tuple(vae.elbo(vb.to_tensor(_bars(5).reshape(5, -1))).shape) == (5,)
    assert tuple(vae.sample(2, seed=0).shape) == (2, 12, 12)
    ae = vb.ConvAutoencoder((12, 12), 3, channels=(4, 8), likelihood="gaussian")
    assert tuple(ae.encode(x).shape) == (5, 3)
    assert tuple(ae.reconstruct(x).shape) == (5, 12, 12)
    gan = vb.ConvGAN((12, 12), 6, channels=(4, 8))
    img = _np(gan.generate(3, seed=1))
    assert img.shape == (3, 12, 12) and 0 <= img.min() and img.max() <= 1
    assert tuple(gan.discriminate(x).shape) == (5,)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_conv_argument_errors(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match=r"ConvVAE: argument `input_dim`.*divisible by 4.*30"):
        vb.ConvVAE((30, 30), 2)
    with pytest.raises(ValueError, match=r"ConvVAE: argument `input_dim`.*\(h, w\).*784"):
        vb.ConvVAE(784, 2)
    with pytest.raises(ValueError, match=r"ConvGAN: argument `channels`.*two positive"):
        vb.ConvGAN((28, 28), 8, channels=(8,))
    for bad in (1, "yes", None):
        with pytest.raises(ValueError, match=r"ConvGAN: argument `batch_norm`.*True or False"):
            vb.ConvGAN((28, 28), 8, batch_norm=bad)


def _norm_layers(fw, gan):
    if fw == "torch":
        return [m for m in gan.generator if isinstance(m, torch.nn.BatchNorm1d
                                                       | torch.nn.BatchNorm2d)]
    return [la for la in gan.generator.layers
            if isinstance(la, tf.keras.layers.BatchNormalization)]


def _discriminator_layers(fw, gan):
    net = gan.discriminator
    return [type(m).__name__ for m in (net if fw == "torch" else net.layers)]


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_conv_gan_batch_norm_changes_the_generator_only(fw):
    vb = FRAMEWORKS[fw]
    with_bn = vb.ConvGAN((12, 12), 6, channels=(4, 8))
    without = vb.ConvGAN((12, 12), 6, channels=(4, 8), batch_norm=False)
    assert with_bn.batch_norm is True and without.batch_norm is False
    norms = _norm_layers(fw, with_bn)
    # After the linear layer (8 x 3 x 3 units) and the first transposed conv (4 channels).
    sizes = [m.num_features if fw == "torch" else m.gamma.shape[0] for m in norms]
    assert sizes == [72, 4] and _norm_layers(fw, without) == []
    for m in norms:  # the same eps and averaging in both frameworks
        if fw == "torch":
            assert (m.eps, m.momentum) == (1e-5, 0.1)
        else:
            assert (m.epsilon, m.momentum) == (1e-5, 0.9)
    assert _discriminator_layers(fw, with_bn) == _discriminator_layers(fw, without)


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_conv_gan_samples_in_inference_mode(fw):
    vb = FRAMEWORKS[fw]
    vb.set_seed(0)
    gan = vb.ConvGAN((12, 12), 4, channels=(4, 8))
    vb.fit_gan(gan, _bars(64), epochs=1, batch_size=16, progress=False)
    if fw == "torch":
        gan.train()  # the model's mode does not matter to generate and decode
    a, b = _np(gan.generate(6, seed=3)), _np(gan.generate(6, seed=3))
    np.testing.assert_array_equal(a, b)
    # Running statistics: an image does not depend on the others in its batch.
    z = _np(gan.noise(6, seed=3))
    np.testing.assert_allclose(_np(gan.decode(z)), a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(gan.decode(z[:1])), a[:1], rtol=1e-5, atol=1e-6)
    if fw == "torch":
        assert gan.generator.training  # the mode is put back
        batch = vbt.to_numpy(gan.generator(torch.tensor(z))).reshape(a.shape)
    else:
        batch = gan.generator(tf.constant(z), training=True).numpy().reshape(a.shape)
    # fit_gan moved the running statistics away from the initial (0, 1): batch ones differ.
    assert np.abs(batch - a).max() > 1e-4


def _copy_conv(pt_net, tf_net, flat_shapes):
    """Copy a torch conv net into the Keras one: conv kernels (out, in, kh, kw) -> (kh, kw, in,
    out), transposed ones (in, out, kh, kw) -> (kh, kw, out, in), dense weights transposed with
    their (C, H, W)-ordered side reordered to Keras' (H, W, C); BatchNorm's scale, shift and
    running statistics as they are, reordered likewise where they are per unit."""
    pt_layers = [m for m in pt_net if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d
                                                   | torch.nn.Linear | torch.nn.BatchNorm1d
                                                   | torch.nn.BatchNorm2d)]
    tf_layers = [layer for layer in tf_net.layers if layer.weights]
    assert len(pt_layers) == len(tf_layers)
    for m, layer in zip(pt_layers, tf_layers, strict=True):
        w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
        if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
            stats = [w, b, m.running_mean.numpy(), m.running_var.numpy()]
            c, h, wd = flat_shapes
            if w.shape[0] == c * h * wd:  # per unit of a flattened feature map: reorder
                stats = [v.reshape(c, h, wd).transpose(1, 2, 0).reshape(-1) for v in stats]
            layer.set_weights(stats)
            continue
        if isinstance(m, torch.nn.Conv2d):
            w = w.transpose(2, 3, 1, 0)
        elif isinstance(m, torch.nn.ConvTranspose2d):
            # Keras' Conv2DTranspose kernel is (kh, kw, out, in), flipped relative to torch's.
            w = w.transpose(2, 3, 1, 0)
        else:
            w = w.T.copy()
            c, h, wd = flat_shapes
            if w.shape[0] == c * h * wd:  # flattened feature map in, reorder the rows
                w = w.reshape(c, h, wd, -1).transpose(1, 2, 0, 3).reshape(c * h * wd, -1)
            if w.shape[1] == c * h * wd:  # feature map out, reorder the columns and bias
                w = w.reshape(-1, c, h, wd).transpose(0, 2, 3, 1).reshape(-1, c * h * wd)
                b = b.reshape(c, h, wd).transpose(1, 2, 0).reshape(-1)
        layer.set_weights([w, b])


def test_same_weights_give_the_same_conv_vae_in_both_frameworks():
    vbt.set_seed(0)
    pt = vbt.ConvVAE((12, 12), 3, channels=(4, 8))
    tfm = vbtf.ConvVAE((12, 12), 3, channels=(4, 8))
    _copy_conv(pt.encoder, tfm.encoder, (8, 3, 3))
    _copy_conv(pt.decoder, tfm.decoder, (8, 3, 3))
    x = _bars(10)
    for a, b in zip(pt.encode(torch.tensor(x)), tfm.encode(tf.constant(x)), strict=True):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-4, atol=1e-5)
    z = np.random.default_rng(1).normal(size=(10, 3)).astype(np.float32)
    np.testing.assert_allclose(_np(pt.decode(torch.tensor(z))), _np(tfm.decode(tf.constant(z))),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(pt.log_px_given_z(torch.tensor(x), torch.tensor(z))),
                               _np(tfm.log_px_given_z(tf.constant(x), tf.constant(z))),
                               rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_same_weights_give_the_same_conv_gan_in_both_frameworks(batch_norm):
    vbt.set_seed(0)
    pt = vbt.ConvGAN((12, 12), 5, channels=(4, 8), batch_norm=batch_norm)
    tfm = vbtf.ConvGAN((12, 12), 5, channels=(4, 8), batch_norm=batch_norm)
    if batch_norm:  # running statistics away from (0, 1), so that eval mode shows them
        r = np.random.default_rng(2)
        for m in pt.generator:
            if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.tensor(r.normal(size=m.num_features)))
                m.running_var.copy_(torch.tensor(r.uniform(0.5, 2, m.num_features)))
                m.weight.data.copy_(torch.tensor(r.uniform(0.5, 2, m.num_features)))
                m.bias.data.copy_(torch.tensor(r.normal(size=m.num_features)))
    _copy_conv(pt.generator, tfm.generator, (8, 3, 3))
    _copy_conv(pt.discriminator, tfm.discriminator, (8, 3, 3))
    z = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
    for get in (lambda m, t: m.decode(t), lambda m, t: m(t)):
        np.testing.assert_allclose(_np(get(pt, torch.tensor(z))), _np(get(tfm, tf.constant(z))),
                                   rtol=1e-4, atol=1e-5)
    x = _bars(7)
    np.testing.assert_allclose(_np(pt.discriminate(torch.tensor(x))),
                               _np(tfm.discriminate(tf.constant(x))), rtol=1e-4, atol=1e-4)
    # Training mode (batch statistics) agrees too.
    pt.generator.train()
    np.testing.assert_allclose(_np(pt.generator(torch.tensor(z))),
                               _np(tfm.generator(tf.constant(z), training=True)),
                               rtol=1e-3, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_conv_vae_and_gan_train(fw):
    vb = FRAMEWORKS[fw]
    x = _bars(512)
    vae = vb.ConvVAE((12, 12), 2, channels=(8, 16))
    hist = vb.fit(vae, x, epochs=8, lr=3e-3, progress=False)
    assert hist["loss"][-1] < 0.8 * hist["loss"][0]
    bound = _np(vb.iwae_bound(vae, x[:50], k=50, seed=0))
    assert np.isfinite(bound).all() and bound.mean() > -hist["loss"][-1] - 5
    gan = vb.ConvGAN((12, 12), 4, channels=(8, 16))
    out = vb.fit_gan(gan, x, epochs=2, progress=False)
    assert np.isfinite(out["d_loss"]).all()


def _glorot_bound(shape_in, shape_out, kh=1, kw=1):
    return np.sqrt(6.0 / ((shape_in + shape_out) * kh * kw))


@pytest.mark.parametrize("cls", ["ConvVAE", "ConvAutoencoder"])
def test_conv_models_start_from_the_same_distribution_in_both_frameworks(cls):
    """Glorot-uniform weights and zero biases in both frameworks, layer by layer: the
    same bound, the std of U(-a, a) (a / sqrt(3)) and zero biases."""
    vbt.set_seed(0)
    pt = getattr(vbt, cls)((28, 28), 16, channels=(16, 32))
    tfm = getattr(vbtf, cls)((28, 28), 16, channels=(16, 32))
    for pt_net, tf_net in ((pt.encoder, tfm.encoder), (pt.decoder, tfm.decoder)):
        pt_layers = [m for m in pt_net if isinstance(
            m, torch.nn.Conv2d | torch.nn.ConvTranspose2d | torch.nn.Linear)]
        tf_layers = [layer for layer in tf_net.layers if layer.weights]
        assert len(pt_layers) == len(tf_layers) == 3
        for m, layer in zip(pt_layers, tf_layers, strict=True):
            w_pt = m.weight.detach().numpy()
            w_tf, b_tf = (v.numpy() for v in layer.weights)
            assert w_pt.size == w_tf.size
            if w_pt.ndim == 4:  # torch (out|in, in|out, kh, kw): the sum of fans alike
                a = _glorot_bound(w_pt.shape[0], w_pt.shape[1], *w_pt.shape[2:])
            else:
                a = _glorot_bound(*w_pt.shape)
            for w in (w_pt, w_tf):
                assert np.abs(w).max() <= a * (1 + 1e-6)
                assert np.abs(w).max() > 0.9 * a
                np.testing.assert_allclose(w.std(), a / np.sqrt(3), rtol=0.1)
            assert not m.bias.detach().numpy().any() and not b_tf.any()
