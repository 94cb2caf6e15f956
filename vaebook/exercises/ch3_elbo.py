"""Exercises of chapter 3, The ELBO.

q1  the KL divergence between two diagonal Gaussians (function)
q2  a Monte Carlo estimate of the ELBO of the linear-Gaussian model (function)
q3  the q that makes the bound tight for a one-dimensional model (value)
q4  the importance-weighted bound from log-weights, computed stably (function)
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ._core import Case, Exercise, ExerciseSet

_rng = np.random.default_rng(3)


def _f(*shape, scale=1.0):
    return (scale * _rng.standard_normal(shape)).astype(np.float32)


# --------------------------------------------------------------------------- q1
def _kl_diag(mu_q, logvar_q, mu_p, logvar_p):
    mu_q, logvar_q, mu_p, logvar_p = (np.asarray(a, np.float64) for a in
                                      (mu_q, logvar_q, mu_p, logvar_p))
    per_dim = 0.5 * (logvar_p - logvar_q
                     + (np.exp(logvar_q) + (mu_q - mu_p) ** 2) / np.exp(logvar_p) - 1.0)
    return per_dim.sum(axis=1)


_mu, _lv = _f(4, 3), _f(4, 3, scale=0.5)
_Q1_CASES = [
    Case((_mu, _lv, _f(4, 3), _f(4, 3, scale=0.5)), "random q and p"),
    Case((_mu, _lv, _mu.copy(), _lv.copy()), "q equal to p: the KL is 0"),
    Case((_mu, _lv, np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32)),
         "p = N(0, I): the chapter's gaussian_kl"),
    Case((np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32),
          np.array([[3.0, 0.0], [0.0, -2.0]], np.float32),
          np.array([[-2.0, 1.0], [0.0, 0.0]], np.float32)),
         "q = N(0, I), p shifted and scaled"),
    Case((_f(1, 1), np.array([[4.0]], np.float32), _f(1, 1), np.array([[-4.0]], np.float32)),
         "one dimension, variances far apart"),
]

_Q1_TORCH = '''\
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_ratio = torch.exp(logvar_q - logvar_p)
    mean_term = (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
    return 0.5 * (var_ratio + mean_term - 1.0 - (logvar_q - logvar_p)).sum(dim=1)
'''
_Q1_TF = '''\
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_ratio = tf.exp(logvar_q - logvar_p)
    mean_term = (mu_q - mu_p) ** 2 / tf.exp(logvar_p)
    return 0.5 * tf.reduce_sum(var_ratio + mean_term - 1.0 - (logvar_q - logvar_p), axis=1)
'''


def _q1_wrong(lib: str, sum_call: str) -> list[str]:
    exp = f"{lib}.exp"
    return [
        # KL(p || q): the arguments the wrong way round.
        f'''\
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_ratio = {exp}(logvar_p - logvar_q)
    mean_term = (mu_q - mu_p) ** 2 / {exp}(logvar_q)
    return 0.5 * {sum_call.format("var_ratio + mean_term - 1.0 - (logvar_p - logvar_q)")}
''',
        # The mean term not divided by p's variance (right only when p has unit variance).
        f'''\
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_ratio = {exp}(logvar_q - logvar_p)
    mean_term = (mu_q - mu_p) ** 2
    return 0.5 * {sum_call.format("var_ratio + mean_term - 1.0 - (logvar_q - logvar_p)")}
''',
        # The sign error that circulates, carried over to two Gaussians.
        f'''\
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_ratio = {exp}(logvar_q - logvar_p)
    mean_term = (mu_q - mu_p) ** 2 / {exp}(logvar_p)
    return 0.5 * {sum_call.format("1.0 + (logvar_q - logvar_p) - mean_term - var_ratio")}
''',
    ]


Q1 = Exercise(
    key="q1",
    title="KL(N(mu_q, diag exp(logvar_q)) || N(mu_p, diag exp(logvar_p))), one value per row",
    reference=_kl_diag,
    cases=_Q1_CASES,
    hints=[
        "Work one dimension at a time: KL = E_q[log q(z) - log p(z)] with both densities "
        "Gaussian. Expand the logs and use E_q[(z - mu_p)^2] = sigma_q^2 + (mu_q - mu_p)^2.",
        "Per dimension: 1/2 [ log(sigma_p^2 / sigma_q^2) + (sigma_q^2 + (mu_q - mu_p)^2) / "
        "sigma_p^2 - 1 ]. Sum over dimension 1, keep the batch dimension.",
        "With mu_p = 0 and logvar_p = 0 your function must give the chapter's gaussian_kl.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={
        "torch": _q1_wrong("torch", "({}).sum(dim=1)"),
        "tensorflow": _q1_wrong("tf", "tf.reduce_sum({}, axis=1)"),
    },
    answer_name="kl_diag_gaussians",
    rtol=1e-4,
    atol=1e-4,
)


# --------------------------------------------------------------------------- q2
def _mc_elbo(x, W, b, obs_logvar, mu, logvar, eps):
    x, W, b, mu, logvar, eps = (np.asarray(a, np.float64) for a in (x, W, b, mu, logvar, eps))
    z = mu + np.exp(0.5 * logvar) * eps  # (S, B, d)
    mean = z @ W.T + b  # (S, B, D)
    D = x.shape[1]
    log_lik = -0.5 * (D * (np.log(2 * np.pi) + obs_logvar)
                      + ((x - mean) ** 2).sum(axis=2) / np.exp(obs_logvar))  # (S, B)
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar).sum(axis=1)
    return log_lik.mean(axis=0) - kl


def _q2_case(S, B, D, d, obs_logvar, eps_zero=False):
    eps = np.zeros((S, B, d), np.float32) if eps_zero else _f(S, B, d)
    return (_f(B, D, scale=0.5), _f(D, d), _f(D, scale=0.1), float(obs_logvar),
            _f(B, d), _f(B, d, scale=0.5) - 1.0, eps)


_Q2_CASES = [
    Case(_q2_case(8, 3, 5, 2, -1.0), "8 noise draws"),
    Case(_q2_case(1, 4, 6, 3, 0.0), "a single draw (what a VAE uses per step)"),
    Case(_q2_case(3, 2, 4, 2, -2.0, eps_zero=True), "eps = 0: z is the mean of q"),
    Case(_q2_case(5, 2, 1, 1, 0.5), "one pixel, one latent dimension"),
]

_Q2_TORCH = '''\
import math

def mc_elbo(x, W, b, obs_logvar, mu, logvar, eps):
    z = mu + torch.exp(0.5 * logvar) * eps              # (S, B, d)
    mean = z @ W.T + b                                  # (S, B, D)
    D = x.shape[1]
    sq = ((x - mean) ** 2).sum(dim=2)                   # (S, B)
    log_lik = -0.5 * (D * (math.log(2 * math.pi) + obs_logvar) + sq / math.exp(obs_logvar))
    kl = 0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(dim=1)
    return log_lik.mean(dim=0) - kl
'''
_Q2_TF = '''\
import math

def mc_elbo(x, W, b, obs_logvar, mu, logvar, eps):
    z = mu + tf.exp(0.5 * logvar) * eps                 # (S, B, d)
    mean = tf.einsum("sbk,dk->sbd", z, W) + b           # (S, B, D)
    D = x.shape[1]
    sq = tf.reduce_sum((x - mean) ** 2, axis=2)         # (S, B)
    log_lik = -0.5 * (D * (math.log(2 * math.pi) + obs_logvar) + sq / math.exp(obs_logvar))
    kl = 0.5 * tf.reduce_sum(mu**2 + tf.exp(logvar) - 1.0 - logvar, axis=1)
    return tf.reduce_mean(log_lik, axis=0) - kl
'''


def _q2_variant(code: str, old: str, new: str) -> str:
    assert old in code, old
    return code.replace(old, new)


Q2 = Exercise(
    key="q2",
    title="Monte Carlo ELBO of the linear-Gaussian model: reconstruction averaged over eps, "
          "minus the closed-form KL",
    reference=_mc_elbo,
    cases=_Q2_CASES,
    hints=[
        "Turn the noise into samples first: z = mu + exp(logvar / 2) * eps, shape (S, B, d). "
        "Broadcasting does the rest.",
        "log N(x; W z + b, exp(obs_logvar) I) summed over the D pixels is "
        "-1/2 [D (log 2 pi + obs_logvar) + ||x - W z - b||^2 / exp(obs_logvar)]. "
        "Average it over the S draws (axis 0).",
        "Subtract the KL to N(0, I): 1/2 sum(mu^2 + exp(logvar) - 1 - logvar). The ELBO is "
        "reconstruction MINUS KL; the training loss is its negative.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={
        fw: [
            # The KL added instead of subtracted.
            _q2_variant(code, "return log_lik.mean(dim=0) - kl" if fw == "torch"
                        else "return tf.reduce_mean(log_lik, axis=0) - kl",
                        "return log_lik.mean(dim=0) + kl" if fw == "torch"
                        else "return tf.reduce_mean(log_lik, axis=0) + kl"),
            # The variance used as the standard deviation.
            _q2_variant(code, "exp(0.5 * logvar) * eps", "exp(logvar) * eps"),
            # Squared error only: the Gaussian's normalising constant dropped.
            _q2_variant(code, "D * (math.log(2 * math.pi) + obs_logvar) + ", ""),
        ]
        for fw, code in (("torch", _Q2_TORCH), ("tensorflow", _Q2_TF))
    },
    answer_name="mc_elbo",
    rtol=1e-4,
    atol=1e-3,
)


# --------------------------------------------------------------------------- q3
# z ~ N(0, 1), x | z ~ N(a z, s2); one observation x.
A, S2, X = 2.0, 0.5, 1.5


def _q3_reference():
    precision = A**2 / S2 + 1.0
    return (A * X / S2 / precision, 1.0 / precision)


_Q3_SOLUTION = '''\
a, s2, x = 2.0, 0.5, 1.5
# Posterior of a linear-Gaussian model: precision = prior precision + a^2 / s2.
v = 1.0 / (1.0 + a**2 / s2)
m = v * a * x / s2
answer = (m, v)
'''

Q3 = Exercise(
    key="q3",
    title="For z ~ N(0, 1), x | z ~ N(2 z, 0.5) and x = 1.5, give (m, v) such that "
          "q = N(m, v) makes the ELBO equal log p(x)",
    reference=_q3_reference,
    hints=[
        "The bound is tight exactly when q is the true posterior p(z | x).",
        "Multiply the two Gaussians in z: the posterior precision is 1 + a^2 / s2, and the "
        "posterior mean is (a x / s2) divided by that precision.",
    ],
    solutions={"any": _Q3_SOLUTION},
    wrong={"any": [
        # The prior: a bound, but not a tight one.
        "answer = (0.0, 1.0)\n",
        # Inverting the decoder and forgetting the prior.
        "a, s2, x = 2.0, 0.5, 1.5\nanswer = (x / a, s2 / a**2)\n",
        # Precision and variance confused.
        "a, s2, x = 2.0, 0.5, 1.5\nanswer = (a * x / (a**2 + s2), 1.0 + a**2 / s2)\n",
    ]},
    answer_name="answer",
    rtol=1e-6,
    atol=1e-6,
)


# --------------------------------------------------------------------------- q4
def _iwae_from_log_weights(log_w):
    log_w = np.asarray(log_w, np.float64)
    return logsumexp(log_w, axis=0) - np.log(log_w.shape[0])


_Q4_CASES = [
    Case((_f(16, 5, scale=2.0),), "16 weights for 5 examples"),
    Case((_f(1, 4),), "K = 1: the ELBO itself"),
    Case((np.array([[-1000.0, 3.0], [-1001.0, 2.0], [-1002.0, 1.0]], np.float32),),
         "log-weights of -1000: exp underflows to 0"),
    Case((np.array([[200.0], [201.0], [199.5], [200.5]], np.float32),),
         "log-weights of 200: exp overflows float32"),
]

_Q4_TORCH = '''\
import math

def iwae_from_log_weights(log_w):
    k = log_w.shape[0]
    return torch.logsumexp(log_w, dim=0) - math.log(k)
'''
_Q4_TF = '''\
import math

def iwae_from_log_weights(log_w):
    k = log_w.shape[0]
    return tf.reduce_logsumexp(log_w, axis=0) - math.log(k)
'''

Q4 = Exercise(
    key="q4",
    title="The importance-weighted bound log (1/K) sum_k w_k from log-weights of shape (K, B), "
          "stable for any log-weights",
    reference=_iwae_from_log_weights,
    cases=_Q4_CASES,
    hints=[
        "log (1/K) sum_k exp(l_k) = log sum_k exp(l_k) - log K, and your framework has a "
        "log-sum-exp that never forms exp(l_k) of a large number.",
        "The average of the log-weights is the ELBO, a smaller number: the log goes outside "
        "the mean here.",
    ],
    solutions={"torch": _Q4_TORCH, "tensorflow": _Q4_TF},
    wrong={
        "torch": [
            "def iwae_from_log_weights(log_w):\n    return torch.log(torch.exp(log_w).mean(dim=0))\n",
            "def iwae_from_log_weights(log_w):\n    return log_w.mean(dim=0)\n",
            "def iwae_from_log_weights(log_w):\n    return torch.logsumexp(log_w, dim=0)\n",
        ],
        "tensorflow": [
            "def iwae_from_log_weights(log_w):\n"
            "    return tf.math.log(tf.reduce_mean(tf.exp(log_w), axis=0))\n",
            "def iwae_from_log_weights(log_w):\n    return tf.reduce_mean(log_w, axis=0)\n",
            "def iwae_from_log_weights(log_w):\n    return tf.reduce_logsumexp(log_w, axis=0)\n",
        ],
    },
    answer_name="iwae_from_log_weights",
    rtol=1e-5,
    atol=1e-4,
)


EXERCISES = ExerciseSet("ch3", [Q1, Q2, Q3, Q4])
