"""Exercises of chapter 9, From hierarchical VAEs to diffusion.

q1  the closed-form marginal q(x_t | x_0): its mean and variance (function)
q2  the posterior mean of q(x_{t-1} | x_t, x_0) (function)
q3  the weight lambda_t that turns the noise loss into the ELBO's term L_{t-1} (function)

Every function takes the schedule as ``betas``, a tensor of beta_1 ... beta_T (so
``betas[t - 1]`` is beta_t), and steps t as Python ints counted from 1, as the chapter
writes them. The cases probe t = 1 (where alpha_bar_{t-1} = alpha_bar_0 = 1 is the empty
product), t = T, and schedules with large steps, where alpha_t and alpha_bar_t are far apart.
"""

from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, ExerciseSet, Mistake
from ._helpers import with_mistake

_rng = np.random.default_rng(9)


def _f(*shape, scale=1.0):
    return (scale * _rng.standard_normal(shape)).astype(np.float32)


def _ab(betas, t):
    """alpha_bar_t = prod_{s <= t} (1 - beta_s), in float64 (alpha_bar_0 = 1)."""
    return float(np.prod(1.0 - np.asarray(betas, np.float64)[:t]))


_LINEAR = np.linspace(0.05, 0.5, 10).astype(np.float32)     # large steps: alpha_t << 1
_SMALL = np.linspace(1e-3, 0.2, 50).astype(np.float32)      # the chapter's scale
_UNEVEN = np.array([0.3, 0.02, 0.6, 0.1, 0.45], np.float32)


# --------------------------------------------------------------------------- q1
def _marginal(x0, betas, t):
    ab = _ab(betas, t)
    return np.sqrt(ab) * np.asarray(x0, np.float64), np.float64(1.0 - ab)


_Q1_CASES = [
    Case((_f(3, 4), _LINEAR, 1), "t = 1: one step, alpha_bar_1 = alpha_1"),
    Case((_f(3, 4), _LINEAR, 4), "t = 4 of 10 large steps"),
    Case((_f(2, 3), _LINEAR, 10), "t = T"),
    Case((_f(2, 5), _SMALL, 30), "50 small steps, t = 30"),
    Case((_f(1, 2), _UNEVEN, 3), "uneven steps"),
]

_Q1_TORCH = '''\
def marginal(x0, betas, t):
    alpha_bar = torch.prod(1.0 - betas[:t])   # alpha_1 ... alpha_t
    return torch.sqrt(alpha_bar) * x0, 1.0 - alpha_bar
'''
_Q1_TF = '''\
def marginal(x0, betas, t):
    alpha_bar = tf.reduce_prod(1.0 - betas[:t])   # alpha_1 ... alpha_t
    return tf.sqrt(alpha_bar) * x0, 1.0 - alpha_bar
'''


def _q1_wrong(code: str, lib: str) -> list[str]:
    prod = "torch.prod" if lib == "torch" else "tf.reduce_prod"
    return [
        # The marginal of one step: alpha_t, not the product up to t.
        with_mistake(code, f"{prod}(1.0 - betas[:t])", "1.0 - betas[t - 1]"),
        # The mean without the square root.
        with_mistake(code, f"{lib}.sqrt(alpha_bar) * x0", "alpha_bar * x0"),
        # The standard deviation returned as the variance.
        with_mistake(code, "1.0 - alpha_bar\n", f"{lib}.sqrt(1.0 - alpha_bar)\n"),
        # Off by one: the product stops at alpha_{t-1}.
        with_mistake(code, "betas[:t]", "betas[:t - 1]"),
    ]


Q1 = Exercise(
    key="q1",
    title="marginal(x0, betas, t): the mean (shape of x0) and the variance (one number) of "
          "q(x_t | x_0)",
    reference=_marginal,
    cases=_Q1_CASES,
    hints=[
        "Unroll two steps: x_2 = sqrt(alpha_2) x_1 + sqrt(beta_2) e_2 with x_1 = sqrt(alpha_1) "
        "x_0 + sqrt(beta_1) e_1. The noise terms add as independent Gaussians.",
        "The mean shrinks by sqrt(alpha_s) at every step, the variances add up to "
        "1 - alpha_1 alpha_2 ... alpha_t. Let alpha_bar_t be that product.",
        "betas[t - 1] is beta_t, so alpha_1 ... alpha_t are 1 - betas[:t]. Return the variance, "
        "not the standard deviation.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={"torch": _q1_wrong(_Q1_TORCH, "torch"), "tensorflow": _q1_wrong(_Q1_TF, "tf")},
    mistakes=[
        Mistake(lambda x0, betas, t: (np.sqrt(1 - betas[t - 1]) * x0, 1.0 - (1 - betas[t - 1])),
                "that is q(x_t | x_{t-1}), one step: the marginal multiplies every alpha_s "
                "for s = 1 ... t."),
        Mistake(lambda x0, betas, t: (_ab(betas, t) * x0, 1.0 - _ab(betas, t)),
                "the mean scales with sqrt(alpha_bar_t), not alpha_bar_t: x_t = "
                "sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps."),
        Mistake(lambda x0, betas, t: (np.sqrt(_ab(betas, t)) * x0, np.sqrt(1.0 - _ab(betas, t))),
                "you returned the standard deviation sqrt(1 - alpha_bar_t); the variance is "
                "1 - alpha_bar_t."),
        Mistake(lambda x0, betas, t: (np.sqrt(_ab(betas, t - 1)) * x0, 1.0 - _ab(betas, t - 1)),
                "off by one: alpha_bar_t includes alpha_t (betas[:t], not betas[:t - 1])."),
    ],
    answer_name="marginal",
    output_names=("mean", "var"),
    rtol=1e-4,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q2
def _posterior_mean(x0, xt, betas, t):
    b = float(np.asarray(betas, np.float64)[t - 1])
    ab, ab_prev = _ab(betas, t), _ab(betas, t - 1)
    c0 = np.sqrt(ab_prev) * b / (1.0 - ab)
    ct = np.sqrt(1.0 - b) * (1.0 - ab_prev) / (1.0 - ab)
    return c0 * np.asarray(x0, np.float64) + ct * np.asarray(xt, np.float64)


def _q2_case(betas, t, b=3, d=4):
    return (_f(b, d), _f(b, d), betas, t)


_Q2_CASES = [
    Case(_q2_case(_LINEAR, 1), "t = 1: the mean is x_0 itself"),
    Case(_q2_case(_LINEAR, 2), "t = 2 of 10 large steps"),
    Case(_q2_case(_LINEAR, 10), "t = T"),
    Case(_q2_case(_SMALL, 25, 2, 3), "50 small steps, t = 25"),
    Case(_q2_case(_UNEVEN, 4, 1, 2), "uneven steps"),
]

_Q2_TORCH = '''\
def posterior_mean(x0, xt, betas, t):
    beta = betas[t - 1]
    alpha_bar = torch.prod(1.0 - betas[:t])
    alpha_bar_prev = torch.prod(1.0 - betas[:t - 1])   # 1 at t = 1 (empty product)
    c0 = torch.sqrt(alpha_bar_prev) * beta / (1.0 - alpha_bar)
    ct = torch.sqrt(1.0 - beta) * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
    return c0 * x0 + ct * xt
'''
_Q2_TF = '''\
def posterior_mean(x0, xt, betas, t):
    beta = betas[t - 1]
    alpha_bar = tf.reduce_prod(1.0 - betas[:t])
    alpha_bar_prev = tf.reduce_prod(1.0 - betas[:t - 1])   # 1 at t = 1 (empty product)
    c0 = tf.sqrt(alpha_bar_prev) * beta / (1.0 - alpha_bar)
    ct = tf.sqrt(1.0 - beta) * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
    return c0 * x0 + ct * xt
'''


def _q2_wrong(code: str, lib: str) -> list[str]:
    return [
        # alpha_bar_t where alpha_bar_{t-1} belongs, in the coefficient of x_0.
        with_mistake(code, f"c0 = {lib}.sqrt(alpha_bar_prev)", f"c0 = {lib}.sqrt(alpha_bar)"),
        # The two coefficients swapped.
        with_mistake(code, "return c0 * x0 + ct * xt", "return ct * x0 + c0 * xt"),
        # alpha_t without its square root.
        with_mistake(code, f"ct = {lib}.sqrt(1.0 - beta)", "ct = (1.0 - beta)"),
        # The marginal's mean of x_{t-1}: x_t ignored.
        with_mistake(code, "return c0 * x0 + ct * xt", f"return {lib}.sqrt(alpha_bar_prev) * x0"),
    ]


def _q2_mistake(fn):
    def wrong(x0, xt, betas, t):
        b = float(np.asarray(betas, np.float64)[t - 1])
        return fn(np.asarray(x0, np.float64), np.asarray(xt, np.float64), b, _ab(betas, t),
                  _ab(betas, t - 1))
    return wrong


Q2 = Exercise(
    key="q2",
    title="posterior_mean(x0, xt, betas, t): the mean of q(x_{t-1} | x_t, x_0), shape of x0",
    reference=_posterior_mean,
    cases=_Q2_CASES,
    hints=[
        "Bayes' rule: q(x_{t-1} | x_t, x_0) is proportional to q(x_t | x_{t-1}) q(x_{t-1} | x_0), "
        "two Gaussians in x_{t-1}: N(x_t; sqrt(alpha_t) x_{t-1}, beta_t) and N(x_{t-1}; "
        "sqrt(alpha_bar_{t-1}) x_0, 1 - alpha_bar_{t-1}).",
        "Add the precisions (alpha_t / beta_t + 1 / (1 - alpha_bar_{t-1})) and weight each mean "
        "by its precision; simplify with 1 - alpha_bar_t = 1 - alpha_bar_{t-1} alpha_t.",
        "Result: sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0 + sqrt(alpha_t) "
        "(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t. At t = 1, alpha_bar_0 = 1.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={"torch": _q2_wrong(_Q2_TORCH, "torch"), "tensorflow": _q2_wrong(_Q2_TF, "tf")},
    mistakes=[
        Mistake(_q2_mistake(lambda x0, xt, b, ab, abp:
                            np.sqrt(ab) * b / (1 - ab) * x0
                            + np.sqrt(1 - b) * (1 - abp) / (1 - ab) * xt),
                "the coefficient of x_0 has sqrt(alpha_bar_{t-1}), the prior of x_{t-1}, not "
                "sqrt(alpha_bar_t)."),
        Mistake(_q2_mistake(lambda x0, xt, b, ab, abp:
                            np.sqrt(1 - b) * (1 - abp) / (1 - ab) * x0
                            + np.sqrt(abp) * b / (1 - ab) * xt),
                "the two coefficients are swapped: at t = 1 the mean must be x_0 itself."),
        Mistake(_q2_mistake(lambda x0, xt, b, ab, abp:
                            np.sqrt(abp) * b / (1 - ab) * x0 + (1 - b) * (1 - abp) / (1 - ab) * xt),
                "the coefficient of x_t has sqrt(alpha_t): x_t = sqrt(alpha_t) x_{t-1} + noise."),
        Mistake(_q2_mistake(lambda x0, xt, b, ab, abp: np.sqrt(abp) * x0),
                "that is the mean of q(x_{t-1} | x_0), which ignores x_t; the posterior also "
                "conditions on x_t."),
    ],
    answer_name="posterior_mean",
    rtol=1e-4,
    atol=1e-4,
)


# --------------------------------------------------------------------------- q3
def _weights(betas, which="posterior"):
    b = np.asarray(betas, np.float64)
    ab = np.cumprod(1.0 - b)
    t = np.arange(1, len(b))                  # array index of beta_2 ... beta_T
    beta, alpha, ab_t, ab_prev = b[t], 1.0 - b[t], ab[t], ab[t - 1]
    if which == "posterior":
        return beta / (2.0 * alpha * (1.0 - ab_prev))
    if which == "beta":
        return beta / (2.0 * alpha * (1.0 - ab_t))
    if which == "snr":                        # the weight of ||x_0 - x0_hat||^2, not of eps
        return 0.5 * (ab_prev / (1 - ab_prev) - ab_t / (1 - ab_t))
    if which == "no_alpha":
        return beta / (2.0 * (1.0 - ab_prev))
    raise AssertionError(which)


_Q3_CASES = [
    Case((_LINEAR,), "10 large steps"),
    Case((_SMALL,), "50 small steps"),
    Case((_UNEVEN,), "uneven steps"),
    Case((np.array([0.2, 0.2], np.float32),), "T = 2: one weight"),
]

_Q3_TORCH = '''\
def elbo_weight(betas):
    alpha = 1.0 - betas
    alpha_bar = torch.cumprod(alpha, dim=0)
    # sigma_t^2 = beta_tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t, so
    # beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)) = beta_t / (2 alpha_t (1 - alpha_bar_{t-1})).
    return betas[1:] / (2.0 * alpha[1:] * (1.0 - alpha_bar[:-1]))
'''
_Q3_TF = '''\
def elbo_weight(betas):
    alpha = 1.0 - betas
    alpha_bar = tf.math.cumprod(alpha)
    # sigma_t^2 = beta_tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t, so
    # beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)) = beta_t / (2 alpha_t (1 - alpha_bar_{t-1})).
    return betas[1:] / (2.0 * alpha[1:] * (1.0 - alpha_bar[:-1]))
'''


def _q3_wrong(code: str) -> list[str]:
    ret = "return betas[1:] / (2.0 * alpha[1:] * (1.0 - alpha_bar[:-1]))"
    return [
        # The weight of sigma_t^2 = beta_t: 1 - alpha_bar_t in the denominator.
        with_mistake(code, ret, "return betas[1:] / (2.0 * alpha[1:] * (1.0 - alpha_bar[1:]))"),
        # The factor 1/2 of the Gaussian KL left out.
        with_mistake(code, ret, "return betas[1:] / (alpha[1:] * (1.0 - alpha_bar[:-1]))"),
        # The SNR difference: the weight of the x_0-prediction error, not of the noise's.
        with_mistake(code, ret, "snr = alpha_bar / (1.0 - alpha_bar)\n"
                            "    return 0.5 * (snr[:-1] - snr[1:])"),
        # alpha_t dropped from mu_theta's 1 / sqrt(alpha_t).
        with_mistake(code, ret, "return betas[1:] / (2.0 * (1.0 - alpha_bar[:-1]))"),
    ]


Q3 = Exercise(
    key="q3",
    title="elbo_weight(betas): lambda_2 ... lambda_T, so that lambda_t ||eps - eps_theta||^2 is "
          "L_{t-1} when sigma_t^2 = beta_tilde_t",
    reference=_weights,
    cases=_Q3_CASES,
    hints=[
        "Write both means through the noise: mu_tilde = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) "
        "/ sqrt(alpha_t) and mu_theta the same with eps_theta. Their difference is "
        "beta_t / (sqrt(alpha_t) sqrt(1 - alpha_bar_t)) (eps_theta - eps).",
        "Two Gaussians with the same variance sigma_t^2: KL = ||mu_tilde - mu_theta||^2 / "
        "(2 sigma_t^2). So lambda_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)).",
        "Put in sigma_t^2 = beta_tilde_t = (1 - alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) and "
        "simplify; return T - 1 weights, for t = 2 ... T (t = 1 is the decoder's term).",
    ],
    solutions={"torch": _Q3_TORCH, "tensorflow": _Q3_TF},
    wrong={"torch": _q3_wrong(_Q3_TORCH), "tensorflow": _q3_wrong(_Q3_TF)},
    mistakes=[
        Mistake(lambda betas: _weights(betas, "beta"),
                "that is lambda_t for sigma_t^2 = beta_t (1 - alpha_bar_t in the denominator); "
                "with sigma_t^2 = beta_tilde_t it is 1 - alpha_bar_{t-1}."),
        Mistake(lambda betas: 2 * _weights(betas),
                "the KL between two Gaussians has a factor 1/2: ||mu_tilde - mu_theta||^2 / "
                "(2 sigma_t^2)."),
        Mistake(lambda betas: _weights(betas, "snr"),
                "(SNR(t-1) - SNR(t)) / 2 weighs the error in x_0, ||x_0 - x0_hat||^2; the noise's "
                "error needs (SNR(t-1) / SNR(t) - 1) / 2."),
        Mistake(lambda betas: _weights(betas, "no_alpha"),
                "mu_theta divides by sqrt(alpha_t), so its square brings 1 / alpha_t into the "
                "weight."),
    ],
    answer_name="elbo_weight",
    rtol=1e-4,
    atol=1e-6,
)


EXERCISES = ExerciseSet("chapter 9", [Q1, Q2, Q3])
