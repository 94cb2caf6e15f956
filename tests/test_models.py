"""Models, training and evaluation in both frameworks, and the two held to each other."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import torch

import vaebook
from tests.frameworks import FRAMEWORKS, np_
from tests.frameworks import blobs as _blobs
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt


# ------------------------------------------------------------------ API
def test_import_vaebook_imports_no_framework():
    code = "import sys, vaebook, vaebook.data, vaebook.plotting, vaebook.exercises;" \
           "print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_both_frameworks_expose_the_same_names():
    for name in vaebook.PUBLIC_API:
        assert hasattr(vbt, name) and hasattr(vbtf, name), name
    assert sorted(vbt.__all__) == sorted(vbtf.__all__)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("input_dim,x_shape", [((6, 6), (5, 6, 6)), (36, (5, 36)), ((6, 6), (5, 36))])
def test_shapes(fw, input_dim, x_shape):
    vb = FRAMEWORKS[fw]
    x = vb.to_tensor(np.random.default_rng(0).random(x_shape))
    vae = vb.VAE(input_dim, 3, hidden_dims=(16,))
    mu, logvar = vae.encode(x)
    assert tuple(mu.shape) == (5, 3) and tuple(logvar.shape) == (5, 3)
    out_shape = (5, *((input_dim,) if isinstance(input_dim, int) else input_dim))
    assert tuple(vae.decode(mu).shape) == out_shape
    assert tuple(vae.elbo(x).shape) == (5,)
    assert tuple(vae.sample(4).shape) == (4, *out_shape[1:])
    ae = vb.Autoencoder(input_dim, 2, hidden_dims=())
    assert tuple(ae.encode(x).shape) == (5, 2)
    assert tuple(ae.reconstruct(x).shape) == out_shape
    terms = vae.loss_terms(x)
    assert set(terms) == {"loss", "reconstruction", "kl"}
    assert all(tuple(v.shape) == (5,) for v in terms.values())


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_model_argument_errors(fw):
    vb = FRAMEWORKS[fw]
    with pytest.raises(ValueError, match="`latent_dim`.*positive integer.*0"):
        vb.VAE(36, 0)
    with pytest.raises(ValueError, match="`likelihood`.*'poisson'"):
        vb.VAE(36, 2, likelihood="poisson")
    with pytest.raises(ValueError, match="`input_dim`"):
        vb.Autoencoder("28x28", 2)
    vae = vb.VAE((6, 6), 2, hidden_dims=(8,))
    with pytest.raises(ValueError, match=r"`x`.*\(batch, 36\).*\(3, 7, 7\)"):
        vae.encode(vb.to_tensor(np.zeros((3, 7, 7))))
    with pytest.raises(ValueError, match="fit: argument `epochs`"):
        vb.fit(vae, np.zeros((4, 6, 6), np.float32), epochs=0)
    with pytest.raises(ValueError, match="fit: argument `x_train`.*finite"):
        vb.fit(vae, np.full((4, 6, 6), np.nan, np.float32), epochs=1, progress=False)
    with pytest.raises(ValueError, match="iwae_bound: argument `k`"):
        vb.iwae_bound(vae, np.zeros((2, 36), np.float32), k=0)


# ------------------------------------------------------------------ torch vs tensorflow
def _copy_torch_to_tf(pt_model, tf_model):
    """Copy each torch Linear (weight (out, in)) into the matching Keras Dense (kernel (in, out))."""
    pt_linear = [m for m in pt_model.modules() if isinstance(m, torch.nn.Linear)]
    tf_dense = [layer for net in (tf_model.encoder, tf_model.decoder) for layer in net.layers]
    assert len(pt_linear) == len(tf_dense)
    for lin, dense in zip(pt_linear, tf_dense, strict=True):
        dense.set_weights([lin.weight.detach().numpy().T, lin.bias.detach().numpy()])


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_same_weights_give_the_same_vae_in_both_frameworks(likelihood):
    vbt.set_seed(0)
    pt = vbt.VAE((6, 6), 3, hidden_dims=(16, 8), likelihood=likelihood)
    tfm = vbtf.VAE((6, 6), 3, hidden_dims=(16, 8), likelihood=likelihood)
    _copy_torch_to_tf(pt, tfm)
    x = _blobs(20)
    mu_pt, lv_pt = (np_(t) for t in pt.encode(torch.tensor(x)))
    mu_tf, lv_tf = (np_(t) for t in tfm.encode(tf.constant(x)))
    np.testing.assert_allclose(mu_pt, mu_tf, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lv_pt, lv_tf, rtol=1e-4, atol=1e-5)
    z = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    lp_pt = np_(pt.log_px_given_z(torch.tensor(x), torch.tensor(z)))
    lp_tf = np_(tfm.log_px_given_z(tf.constant(x), tf.constant(z)))
    np.testing.assert_allclose(lp_pt, lp_tf, rtol=1e-4, atol=1e-3)


# ------------------------------------------------------------------ training
@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_lowers_the_loss_and_is_repeatable(fw):
    vb = FRAMEWORKS[fw]
    x = _blobs(300)
    runs = []
    for _ in range(2):
        vb.set_seed(3)
        model = vb.VAE((6, 6), 2, hidden_dims=(32,))
        runs.append(vb.fit(model, x, epochs=6, batch_size=64, lr=3e-3, seed=3, x_valid=x[:50],
                           progress=False))
    hist = runs[0]
    assert set(hist) >= {"loss", "reconstruction", "kl", "valid_loss"}
    assert all(len(v) == 6 for v in hist.values())
    assert hist["loss"][-1] < 0.8 * hist["loss"][0]
    np.testing.assert_allclose(runs[0]["loss"], runs[1]["loss"], rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_fit_accepts_a_custom_loss(fw):
    vb = FRAMEWORKS[fw]
    model = vb.Autoencoder((6, 6), 2, hidden_dims=(16,), likelihood="gaussian")
    mod = torch if fw == "torch" else tf

    def mse(m, xb):
        err = m(xb) - xb
        return {"loss": mod.reshape(err * err, (err.shape[0], -1)).sum(1) if fw == "torch"
                else tf.reduce_sum(tf.reshape(err * err, (tf.shape(err)[0], -1)), 1)}

    hist = vb.fit(model, _blobs(200), epochs=4, loss_fn=mse, progress=False, lr=3e-3)
    assert hist["loss"][-1] < hist["loss"][0]


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_iwae_bound_is_above_the_elbo_and_grows_with_k(fw):
    vb = FRAMEWORKS[fw]
    x = _blobs(300)
    vb.set_seed(0)
    model = vb.VAE((6, 6), 2, hidden_dims=(32,))
    vb.fit(model, x, epochs=8, batch_size=64, lr=3e-3, progress=False)
    xt = vb.to_tensor(_blobs(100, seed=1))
    elbo = np.mean([np_(model.elbo(xt)).mean() for _ in range(20)])
    bounds = {k: np_(vb.iwae_bound(model, xt, k=k)).mean() for k in (1, 10, 200)}
    assert abs(bounds[1] - elbo) < 0.5  # k=1 is the ELBO (MC KL instead of closed form)
    assert bounds[10] > elbo and bounds[200] > bounds[10]
    # Chunking changes the memory, not the estimate (up to Monte Carlo noise).
    chunked = np_(vb.iwae_bound(model, xt, k=200, chunk_size=7)).mean()
    assert abs(chunked - bounds[200]) < 0.2


def test_device_is_usable():
    assert torch.zeros(1, device=vbt.device()).device.type in ("cpu", "cuda")
    with tf.device(vbtf.device()):
        assert tf.zeros(1).shape == (1,)


# ------------------------------------------------------------------ a reader's mistakes
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_bernoulli_models_refuse_0_to_255_pixels_everywhere(fw):
    """fit, iwae_bound and loss_terms say what bernoulli_nll says, instead of training on it."""
    vb = FRAMEWORKS[fw]
    pixels = np.full((8, 36), 255.0, np.float32)
    with pytest.raises(ValueError) as ref:
        vb.bernoulli_nll(np.zeros((8, 36), np.float32), pixels)
    expected = str(ref.value).split(": ", 1)[1]  # the message after the function's name
    vae = vb.VAE(36, 2, (8,))
    for call, func in ((lambda: vb.fit(vae, pixels, epochs=1, progress=False), "fit"),
                       (lambda: vb.iwae_bound(vae, pixels, k=2), "iwae_bound"),
                       (lambda: vae.loss_terms(pixels), "VAE.loss_terms"),
                       (lambda: vb.Autoencoder(36, 2).loss_terms(pixels),
                        "Autoencoder.loss_terms")):
        with pytest.raises(ValueError) as err:
            call()
        func_name, message = str(err.value).split(": ", 1)
        assert func_name == func
        assert message.replace("`x_train`", "`x`") == expected, message
    # The Gaussian likelihood takes any finite data.
    vb.fit(vb.VAE(36, 2, (8,), likelihood="gaussian"), pixels / 255, epochs=1, progress=False)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_clear_errors_for_bad_arguments(fw):
    vb = FRAMEWORKS[fw]
    vae = vb.VAE(36, 2, (8,))
    x = np.random.default_rng(0).random((4, 36)).astype(np.float32)
    cases = [
        (lambda: vb.set_seed(-1), r"set_seed: argument `seed` must be an integer in \[0, 2\*\*32\)"),
        (lambda: vb.set_seed(1.5), r"set_seed: argument `seed`.*got 1.5"),
        (lambda: vb.iwae_bound(vae, x, k=4, chunk_size=0), r"iwae_bound: argument `chunk_size`"),
        (lambda: vb.iwae_bound(vb.Autoencoder(36, 2), x, k=4),
         r"iwae_bound: argument `model` must have a posterior.*Autoencoder"),
        (lambda: vb.fit(vae, np.zeros((0, 36), np.float32), epochs=1),
         r"fit: argument `x_train` must hold at least one example; got shape \(0, 36\)"),
        (lambda: vb.gaussian_kl(np.zeros((0, 2)), np.zeros((0, 2))),
         r"gaussian_kl: argument `mu` must hold at least one example"),
        (lambda: vb.gaussian_kl(np.array([[np.inf, 0.0]]), np.zeros((1, 2))),
         r"gaussian_kl: argument `mu` must be finite"),
        (lambda: vb.gaussian_nll(np.zeros((1, 2)), np.array([[np.nan, 0.0]])),
         r"gaussian_nll: argument `x` must be finite"),
        (lambda: vb.reparameterize(np.array([[np.nan]]), np.zeros((1, 1))),
         r"reparameterize: argument `mu` must be finite"),
        (lambda: vb.fit(vae, x, epochs=1, seed=-3), r"fit: argument `seed`"),
        (lambda: vae.sample(2, seed=-1), r"VAE.sample: argument `seed`"),
    ]
    for call, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            call()


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_float64_and_mixed_inputs_are_cast(fw):
    vb = FRAMEWORKS[fw]
    x64 = np.random.default_rng(0).random((4, 36))  # float64
    vae = vb.VAE(36, 2, (8,))
    mu, _ = vae.encode(x64)
    assert "float32" in str(mu.dtype)
    assert tuple(vae.loss_terms(x64)["loss"].shape) == (4,)
    assert np.isfinite(np_(vb.iwae_bound(vae, x64, k=3))).all()
    vb.fit(vae, x64, epochs=1, progress=False)
    logits = vb.to_tensor(np.zeros((4, 36)))  # float32
    mixed = vb.bernoulli_nll(logits, vb.to_tensor(x64, dtype=torch.float64 if fw == "torch"
                                                  else tf.float64))
    np.testing.assert_allclose(np_(mixed), 36 * np.log(2), rtol=1e-5)
    # log p(x|z) takes NumPy arrays too, and gives what it gives for tensors.
    z = np.zeros((4, 2), np.float32)
    np.testing.assert_allclose(np_(vae.log_px_given_z(x64, z)),
                               np_(vae.log_px_given_z(vb.to_tensor(x64), vb.to_tensor(z))),
                               rtol=1e-6)


def test_tensorflow_fit_traces_its_step_once_per_model_and_shape():
    from vaebook.tensorflow import train

    x = _blobs(64)
    model = vbtf.VAE((6, 6), 2, (8,))
    vbtf.fit(model, x, epochs=1, progress=False)
    step = train._STEPS[model][1]
    assert step.experimental_get_tracing_count() == 1
    vbtf.fit(model, x[:40], epochs=2, batch_size=16, progress=False)  # other n, other batch
    assert train._STEPS[model][1] is step and step.experimental_get_tracing_count() == 1
    vbtf.fit(model, x.reshape(64, 36), epochs=1, progress=False)  # another data shape
    assert train._STEPS[model][1] is not step


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_seeded_sampling_is_repeatable(fw):
    vb = FRAMEWORKS[fw]
    vae = vb.VAE(36, 2, (8,))
    a, b, c = (np_(vae.sample(5, seed=s)) for s in (7, 7, 8))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    gan = vb.GAN(36, 3, (8,))
    np.testing.assert_array_equal(np_(gan.generate(4, seed=1)), np_(gan.generate(4, seed=1)))
    x = _blobs(10).reshape(10, 36)
    np.testing.assert_array_equal(np_(vb.iwae_bound(vae, x, k=5, seed=3)),
                                  np_(vb.iwae_bound(vae, x, k=5, seed=3)))


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_dynamic_binarisation_trains_on_binary_draws(fw):
    vb = FRAMEWORKS[fw]
    grey = np.full((256, 36), 0.3, np.float32)
    seen = []

    def record(model, xb):
        seen.append(np_(xb) if fw == "torch" else None)
        return model.loss_terms(xb)

    vae = vb.VAE(36, 2, (8,))
    if fw == "torch":
        vb.fit(vae, grey, epochs=2, loss_fn=record, binarize=True, progress=False)
        batch = np.concatenate(seen)
        assert set(np.unique(batch)) == {0.0, 1.0}
        assert abs(batch.mean() - 0.3) < 0.02
    hist = vb.fit(vae, grey, epochs=3, binarize=True, progress=False)
    # A constant image of 0.3 seen as Bernoulli draws: the best loss is 36 * H(0.3) nats.
    assert hist["reconstruction"][-1] > 36 * 0.6108 - 0.5
    with pytest.raises(ValueError, match="fit: argument `x_train` must hold probabilities"):
        vb.fit(vb.VAE(36, 2, (8,), likelihood="gaussian"), grey * 4, epochs=1, binarize=True)
