"""vaebook.toy.Banana: its exact evidence, closed-form ELBO, best Gaussian and errors.

(GaussianRing is tested with the diffusion code, in tests/test_diffusion.py.)
"""

import math

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.special import logsumexp

from vaebook.toy import Banana


@pytest.fixture(scope="module")
def banana():
    return Banana(curvature=1.0, noise_sd=0.3)


def grid_log_px(model, x, h=0.01, half_width=8.0):
    """log p(x) as a Riemann sum of p(x, z) over a 2-D grid of codes."""
    axis = np.arange(-half_width, half_width + h / 2, h)
    z = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1)
    return logsumexp(model.log_joint(x, z)) + 2 * math.log(h)


@pytest.mark.parametrize("x", [-2.0, 0.0, 1.0, 3.0, 6.0])
def test_log_px_matches_a_grid_sum_over_both_latents(banana, x):
    assert banana.log_px([x])[0] == pytest.approx(grid_log_px(banana, x), abs=1e-8)


def test_log_px_matches_monte_carlo_from_the_prior(banana):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((400_000, 2))
    for x in (0.5, 2.0):
        log_w = banana.log_joint(x, z) - (-0.5 * (2 * math.log(2 * math.pi) + (z**2).sum(1)))
        w = np.exp(log_w - log_w.max())
        estimate = logsumexp(log_w) - math.log(len(z))
        se = w.std() / w.mean() / math.sqrt(len(z))  # of the log, by the delta method
        assert abs(estimate - banana.log_px([x])[0]) < 4 * se


def test_the_evidence_integrates_to_one(banana):
    total, _ = integrate.quad(lambda x: math.exp(banana.log_px([x])[0]), -15, 60, limit=200)
    assert total == pytest.approx(1.0, abs=1e-9)


def test_log_px_is_finite_far_in_the_tails():
    model = Banana(2.0, 0.1)
    values = model.log_px([-30.0, 0.0, 200.0])
    assert np.all(np.isfinite(values)) and values[0] < -400 and values[2] < -40
    # far out, a grid centred on the arm still agrees
    assert values[2] == pytest.approx(
        _arm_grid_log_px(model, 200.0), abs=1e-6)


def _arm_grid_log_px(model, x):
    """log p(x) by a fine 1-D grid over z_1 around the arm (z_2 integrated out)."""
    a, s2 = model.curvature, 1 + model.noise_sd**2
    peak = math.sqrt(x / a)
    t = np.linspace(peak - 1.0, peak + 1.0, 400_001)
    log_f = -0.5 * (math.log(2 * math.pi) + t**2) - 0.5 * (
        math.log(2 * math.pi * s2) + (x - a * t**2) ** 2 / s2)
    return logsumexp(log_f) + math.log(t[1] - t[0]) + math.log(2)


def test_sample_has_the_model_moments(banana):
    z, x = banana.sample(200_000, seed=1)
    assert z.shape == (200_000, 2) and x.shape == (200_000,)
    assert x.mean() == pytest.approx(1.0, abs=0.02)  # E[z_2 + z_1^2] = 1
    var = 1.0 + 2.0 + 0.3**2  # Var z_2 + Var z_1^2 + sigma^2
    assert x.var() == pytest.approx(var, rel=0.02)
    assert np.array_equal(banana.sample(5, seed=3)[1], banana.sample(5, seed=3)[1])


def test_elbo_closed_form_matches_monte_carlo_and_stays_below_the_evidence(banana):
    rng = np.random.default_rng(2)
    x = np.array([-0.5, 1.0, 3.0])
    mean = rng.normal(size=(3, 2))
    logvar = rng.normal(scale=0.5, size=(3, 2)) - 1.0
    closed = banana.elbo(x, mean, logvar)
    assert np.all(closed < banana.log_px(x))
    eps = rng.standard_normal((200_000, 3, 2))
    z = mean + np.exp(0.5 * logvar) * eps
    log_q = -0.5 * (math.log(2 * math.pi) + logvar + eps**2).sum(-1)
    log_w = banana.log_joint(x, z) - log_q
    se = log_w.std(0) / math.sqrt(len(z))
    assert np.all(np.abs(log_w.mean(0) - closed) < 4 * se)


def test_elbo_grad_is_the_derivative_of_elbo(banana):
    rng = np.random.default_rng(3)
    for _ in range(5):
        p, x = rng.normal(size=4), float(rng.normal(1.0, 1.5))
        value, grad = banana.elbo_grad(x, p)
        assert value == pytest.approx(banana.elbo([x], p[None, :2], p[None, 2:])[0], abs=1e-12)
        numeric = optimize.approx_fprime(p, lambda q, x=x: banana.elbo_grad(x, q)[0], 1e-7)
        assert np.allclose(grad, numeric, atol=1e-5)


def test_best_gaussian_is_a_maximum_that_leaves_a_gap(banana):
    x = np.array([0.5, 1.5, 3.0])
    mean, logvar, elbo = banana.best_gaussian(x)
    assert mean.shape == logvar.shape == (3, 2) and elbo.shape == (3,)
    assert np.allclose(elbo, banana.elbo(x, mean, logvar), atol=1e-12)
    assert np.all(mean[:, 0] >= 0)
    gap = banana.log_px(x) - elbo
    assert np.all(gap > 0.3)  # a diagonal Gaussian cannot follow the curve
    # no small move of q raises the ELBO, and for x = 3 q sits on one arm
    rng = np.random.default_rng(4)
    for _ in range(20):
        step = 1e-3 * rng.standard_normal((3, 4))
        moved = banana.elbo(x, mean + step[:, :2], logvar + step[:, 2:])
        assert np.all(moved <= elbo + 1e-10)
    assert mean[0, 0] < 1e-4 and mean[2, 0] > 1.0
    # the optimal posterior variance of z_2 is sigma^2 / (1 + sigma^2) for every x
    assert np.allclose(np.exp(logvar[:, 1]), 0.09 / 1.09, rtol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(curvature=0.0), "`curvature` must be a positive finite number; got 0.0"),
    (dict(curvature=-1), "`curvature` must be a positive finite number; got -1"),
    (dict(curvature=float("nan")), "`curvature` must be a positive finite number"),
    (dict(curvature="1"), "`curvature` must be a positive finite number; got '1'"),
    (dict(noise_sd=0), "`noise_sd` must be a positive finite number; got 0"),
    (dict(noise_sd=True), "`noise_sd` must be a positive finite number; got True"),
])
def test_bad_model_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(")):
        Banana(**kwargs)


def test_bad_inputs_are_named(banana):
    with pytest.raises(ValueError, match=r"Banana.sample: argument `n` must be a positive "
                                         r"integer; got 0"):
        banana.sample(0)
    with pytest.raises(ValueError, match=r"argument `n`.*got 2.5"):
        banana.sample(2.5)
    with pytest.raises(ValueError, match=r"Banana.log_px: argument `x` must be finite "
                                         r"scalars of shape \(n,\); got shape \(2, 1\)"):
        banana.log_px(np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"got shape \(2,\) with non-finite values"):
        banana.log_px([1.0, np.nan])
    with pytest.raises(ValueError, match=r"Banana.elbo: argument `mean` must be finite, of "
                                         r"shape \(n, 2\) = \(3, 2\) for x of shape \(3,\); "
                                         r"got shape \(3,\)"):
        banana.elbo(np.zeros(3), np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"argument `logvar`.*got shape \(3, 2\) with "
                                         r"non-finite values"):
        banana.elbo(np.zeros(3), np.zeros((3, 2)), np.full((3, 2), np.inf))
    with pytest.raises(ValueError, match=r"Banana.log_joint: argument `z` must have shape "
                                         r"\(\.\.\., 2\); got shape \(4, 3\)"):
        banana.log_joint(0.0, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Banana.log_joint: argument `x` must broadcast to "
                                         r"z.shape\[:-1\] = \(4,\); got shape \(3,\)"):
        banana.log_joint(np.zeros(3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"Banana.best_gaussian: argument `x`"):
        banana.best_gaussian([[1.0]])
    with pytest.raises(ValueError, match=r"Banana.elbo_grad: argument `params` must be 4 "
                                         r"finite numbers"):
        banana.elbo_grad(1.0, [0.0, 0.0])


def test_repr():
    assert repr(Banana(2, 0.5)) == "Banana(curvature=2.0, noise_sd=0.5)"
