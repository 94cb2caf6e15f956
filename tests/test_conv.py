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


def _copy_conv(pt_net, tf_net, flat_shapes):
    """Copy a torch conv net into the Keras one: conv kernels (out, in, kh, kw) -> (kh, kw, in,
    out), transposed ones (in, out, kh, kw) -> (kh, kw, out, in), dense weights transposed with
    their (C, H, W)-ordered side reordered to Keras' (H, W, C)."""
    pt_layers = [m for m in pt_net if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d
                                                   | torch.nn.Linear)]
    tf_layers = [layer for layer in tf_net.layers if layer.weights]
    assert len(pt_layers) == len(tf_layers)
    for m, layer in zip(pt_layers, tf_layers, strict=True):
        w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
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
