"""Exercises of chapter 4, The reparameterization trick.

q1  reparameterize: a differentiable draw from N(mu, diag exp(logvar)) (function)
q2  the score-function (REINFORCE) gradient estimate from samples (function)
q3  fix a broken VAE loss: the one-sample negative ELBO of a linear Bernoulli decoder (function)
q4  the variance of a one-sample score-function estimate, for f(z) = exp(z) (value)
"""

from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, ExerciseSet
from ._helpers import reparameterize as _reparameterize
from ._helpers import with_mistake

_rng = np.random.default_rng(4)


def _f(*shape, scale=1.0):
    return (scale * _rng.standard_normal(shape)).astype(np.float32)


# --------------------------------------------------------------------------- q1

_Q1_CASES = [
    Case((_f(4, 3), _f(4, 3, scale=0.5), _f(4, 3)), "random mu, logvar and eps"),
    Case((_f(2, 5), _f(2, 5), np.zeros((2, 5), np.float32)), "eps = 0: z is the mean"),
    Case((_f(3, 2), np.zeros((3, 2), np.float32), _f(3, 2)), "logvar = 0: sigma = 1"),
    Case((np.array([[0.0, 1.0]], np.float32), np.array([[2.0, -2.0]], np.float32),
          np.array([[1.0, 1.0]], np.float32)), "sigma = e and 1/e"),
    Case((_f(2, 2), np.full((2, 2), -30.0, np.float32), _f(2, 2)),
         "logvar = -30: almost no noise"),
]

_Q1_TORCH = '''\
def reparameterize(mu, logvar, eps):
    sigma = torch.exp(0.5 * logvar)  # exp(logvar / 2) is the standard deviation
    return mu + sigma * eps
'''
_Q1_TF = '''\
def reparameterize(mu, logvar, eps):
    sigma = tf.exp(0.5 * logvar)  # exp(logvar / 2) is the standard deviation
    return mu + sigma * eps
'''

Q1 = Exercise(
    key="q1",
    title="reparameterize(mu, logvar, eps): z = mu + sigma * eps with sigma^2 = exp(logvar)",
    reference=_reparameterize,
    cases=_Q1_CASES,
    hints=[
        "The encoder gives the log-variance. The standard deviation is its exponential "
        "taken at half the value: sigma = exp(logvar / 2).",
        "Scale the noise, then shift it: z = mu + sigma * eps, elementwise. All three "
        "inputs have shape (B, d), and so has z.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={
        fw: [
            # The variance used as the standard deviation (the 1/2 forgotten).
            with_mistake(code, "exp(0.5 * logvar)", "exp(logvar)"),
            # No noise at all: z = mu * sigma.
            with_mistake(code, "return mu + sigma * eps", "return mu * sigma"),
            # The log-variance itself used as the standard deviation.
            with_mistake(code, f"sigma = {lib}.exp(0.5 * logvar)", "sigma = logvar"),
        ]
        for fw, code, lib in (("torch", _Q1_TORCH, "torch"), ("tensorflow", _Q1_TF, "tf"))
    },
    answer_name="reparameterize",
    rtol=1e-5,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q2
def _score_function(fz, z, mu, logvar):
    fz, z, mu, logvar = (np.asarray(a, np.float64) for a in (fz, z, mu, logvar))
    var = np.exp(logvar)
    score_mu = (z - mu) / var
    score_logvar = 0.5 * ((z - mu) ** 2 / var - 1.0)
    return ((fz[:, None] * score_mu).mean(axis=0), (fz[:, None] * score_logvar).mean(axis=0))


def _q2_case(S, d, scale=1.0, fz=None):
    mu, logvar = _f(d), _f(d, scale=0.5)
    z = (mu + np.exp(0.5 * logvar) * _f(S, d)).astype(np.float32)
    fz = (z**2).sum(axis=1).astype(np.float32) if fz is None else fz
    return (fz, z, mu, logvar)


_Q2_CASES = [
    Case(_q2_case(64, 3), "64 samples of f(z) = |z|^2 in 3 dimensions"),
    Case(_q2_case(1, 2), "a single sample"),
    Case(_q2_case(8, 2, fz=np.full(8, 3.0, np.float32)),
         "f constant: the estimate is not 0 for finitely many samples"),
    Case((np.array([2.0, -1.0], np.float32), np.array([[0.5], [-2.0]], np.float32),
          np.array([0.0], np.float32), np.array([0.0], np.float32)),
         "mu = 0, sigma = 1, two samples"),
    Case((np.array([1.0, 4.0, 0.5], np.float32), np.array([[1.2], [1.9], [0.4]], np.float32),
          np.array([1.0], np.float32), np.array([-1.5], np.float32)),
         "a narrow q: sigma^2 = exp(-1.5)"),
]

_Q2_TORCH = '''\
def score_function_grads(fz, z, mu, logvar):
    var = torch.exp(logvar)
    score_mu = (z - mu) / var                              # d log q / d mu, shape (S, d)
    score_logvar = 0.5 * ((z - mu) ** 2 / var - 1.0)       # d log q / d logvar
    w = fz[:, None]                                        # (S, 1): one f(z) per sample
    return (w * score_mu).mean(dim=0), (w * score_logvar).mean(dim=0)
'''
_Q2_TF = '''\
def score_function_grads(fz, z, mu, logvar):
    var = tf.exp(logvar)
    score_mu = (z - mu) / var                              # d log q / d mu, shape (S, d)
    score_logvar = 0.5 * ((z - mu) ** 2 / var - 1.0)       # d log q / d logvar
    w = fz[:, None]                                        # (S, 1): one f(z) per sample
    return tf.reduce_mean(w * score_mu, axis=0), tf.reduce_mean(w * score_logvar, axis=0)
'''

Q2 = Exercise(
    key="q2",
    title="The score-function estimates of d/d mu and d/d logvar of E_q[f(z)], from S samples",
    reference=_score_function,
    cases=_Q2_CASES,
    hints=[
        "The estimator is the average over samples of f(z_s) times the gradient of "
        "log q(z_s) with respect to the parameter, with z_s held fixed.",
        "For q = N(mu, sigma^2) in one dimension: d log q / d mu = (z - mu) / sigma^2 and "
        "d log q / d log sigma^2 = ((z - mu)^2 / sigma^2 - 1) / 2. Dimensions are independent.",
        "fz has shape (S,), z has shape (S, d): give fz a trailing axis, fz[:, None], before "
        "multiplying, and average over axis 0.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={
        fw: [
            # Dividing by the standard deviation instead of the variance.
            with_mistake(code, "score_mu = (z - mu) / var", f"score_mu = (z - mu) / {lib}.sqrt(var)"),
            # The -1 of the log-variance score dropped (it is what makes the score average 0).
            with_mistake(code, "((z - mu) ** 2 / var - 1.0)", "((z - mu) ** 2 / var)"),
            # The factor 1/2 of the log-variance score forgotten.
            with_mistake(code, "score_logvar = 0.5 * (", "score_logvar = ("),
        ]
        for fw, code, lib in (("torch", _Q2_TORCH, "torch"), ("tensorflow", _Q2_TF, "tf"))
    },
    answer_name="score_function_grads",
    rtol=1e-4,
    atol=1e-4,
)


# --------------------------------------------------------------------------- q3
def _negative_elbo(x, mu, logvar, eps, W, b):
    x, mu, logvar, eps, W, b = (np.asarray(a, np.float64) for a in (x, mu, logvar, eps, W, b))
    z = mu + np.exp(0.5 * logvar) * eps
    logits = z @ W + b
    rec = (np.logaddexp(0.0, logits) - x * logits).sum(axis=1)  # -log Bernoulli, stable
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar).sum(axis=1)
    return rec + kl


def _q3_case(B, D, d, w_scale=1.0, eps_zero=False):
    x = (_rng.random((B, D)) < 0.4).astype(np.float32)
    eps = np.zeros((B, d), np.float32) if eps_zero else _f(B, d)
    return (x, _f(B, d), _f(B, d, scale=0.5) - 0.5, eps, _f(d, D, scale=w_scale), _f(D, scale=0.1))


_Q3_CASES = [
    Case(_q3_case(4, 6, 2), "a batch of 4 binary images of 6 pixels"),
    Case(_q3_case(3, 5, 3, eps_zero=True), "eps = 0: z is the mean of q"),
    Case(_q3_case(1, 1, 1), "one pixel, one latent dimension"),
    Case(_q3_case(2, 4, 2, w_scale=60.0),
         "large weights: logits far beyond +-20, where log(sigmoid) rounds to log 0"),
]

_Q3_TORCH = '''\
import torch.nn.functional as F

def negative_elbo(x, mu, logvar, eps, W, b):
    z = mu + torch.exp(0.5 * logvar) * eps                       # std = exp(logvar / 2)
    logits = z @ W + b
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)   # KL >= 0
    return rec + kl
'''
_Q3_TF = '''\
def negative_elbo(x, mu, logvar, eps, W, b):
    z = mu + tf.exp(0.5 * logvar) * eps                          # std = exp(logvar / 2)
    logits = z @ W + b
    rec = tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)
    kl = -0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)  # KL >= 0
    return rec + kl
'''

# The broken loss the reader starts from (shown in the stub cell, one per framework).
BROKEN = {
    "torch": '''\
z = mu + torch.exp(logvar) * eps
probs = torch.sigmoid(z @ W + b)
rec = -(x * torch.log(probs) + (1 - x) * torch.log(1 - probs)).mean(dim=1)
kl = 0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)
return rec + kl
''',
    "tensorflow": '''\
z = mu + tf.exp(logvar) * eps
probs = tf.sigmoid(z @ W + b)
rec = -tf.reduce_mean(
    x * tf.math.log(probs) + (1 - x) * tf.math.log(1 - probs), axis=1)
kl = 0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
return rec + kl
''',
}

_Q3_WRONG = {
    "torch": [
        # Only the 1/2 left unfixed.
        with_mistake(_Q3_TORCH, "torch.exp(0.5 * logvar) * eps", "torch.exp(logvar) * eps"),
        # Only the KL sign left unfixed.
        with_mistake(_Q3_TORCH, "kl = -0.5 * (", "kl = 0.5 * ("),
        # Only the average over pixels left unfixed.
        with_mistake(_Q3_TORCH, 'reduction="none").sum(dim=1)', 'reduction="none").mean(dim=1)'),
        # Only the cross-entropy through log(sigmoid) left unfixed: inf for large logits.
        with_mistake(_Q3_TORCH,
                 'rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)',
                 "probs = torch.sigmoid(logits)\n"
                 "    rec = -(x * torch.log(probs) + (1 - x) * torch.log(1 - probs)).sum(dim=1)"),
    ],
    "tensorflow": [
        with_mistake(_Q3_TF, "tf.exp(0.5 * logvar) * eps", "tf.exp(logvar) * eps"),
        with_mistake(_Q3_TF, "kl = -0.5 * tf.reduce_sum(", "kl = 0.5 * tf.reduce_sum("),
        with_mistake(_Q3_TF, "rec = tf.reduce_sum(", "rec = tf.reduce_mean("),
        with_mistake(_Q3_TF,
                 "rec = tf.reduce_sum(\n"
                 "        tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)",
                 "probs = tf.sigmoid(logits)\n"
                 "    rec = -tf.reduce_sum(x * tf.math.log(probs) + (1 - x) * tf.math.log(1 - probs),"
                 " axis=1)"),
    ],
}

Q3 = Exercise(
    key="q3",
    title="Fix a broken VAE loss: the one-sample negative ELBO of a linear Bernoulli decoder, "
          "one value per example",
    reference=_negative_elbo,
    cases=_Q3_CASES,
    hints=[
        "There are four mistakes, one per line of the broken code but the last. Check the "
        "standard deviation, the cross-entropy for large logits, how the pixels are combined, "
        "and the sign of the KL.",
        "exp(logvar) is the variance; the noise is scaled by the standard deviation, "
        "exp(logvar / 2).",
        "log(sigmoid(l)) rounds to log(0) = -inf once sigmoid(l) rounds to 0 or 1 in float32. "
        "Your framework has a cross-entropy that takes the logits and never forms the sigmoid.",
        "-log p(x | z) is a sum over pixels (the mean divides it by D and shrinks it against "
        "the KL), and the KL to N(0, I) is -1/2 sum(1 + logvar - mu^2 - exp(logvar)), which "
        "is never negative.",
    ],
    solutions={"torch": _Q3_TORCH, "tensorflow": _Q3_TF},
    wrong=_Q3_WRONG,
    answer_name="negative_elbo",
    rtol=1e-4,
    atol=1e-3,
)


# --------------------------------------------------------------------------- q4
# f(z) = exp(z), q = N(MU, VAR). The one-sample score-function estimate of d/d mu is
# g = exp(z) (z - mu) / var; with z = mu + sigma eps and E[exp(t eps) eps^2] = (1 + t^2)
# exp(t^2 / 2): E[g^2] = exp(2 mu) (1 + 4 var) exp(2 var) / var and E[g] = exp(mu + var / 2).
MU, VAR = 0.0, 0.25


def _q4_reference():
    second_moment = np.exp(2 * MU) * (1 + 4 * VAR) * np.exp(2 * VAR) / VAR
    mean = np.exp(MU + VAR / 2)
    return float(second_moment - mean**2)


_Q4_SOLUTION = '''\
# Gauss-Hermite quadrature: sum_i w_i h(x_i) approximates E[h(eps)] for eps ~ N(0, 1).
nodes, weights = np.polynomial.hermite_e.hermegauss(80)
weights = weights / weights.sum()
mu, var = 0.0, 0.25
z = mu + np.sqrt(var) * nodes
g = np.exp(z) * (z - mu) / var          # one-sample score-function estimate at each node
answer = np.sum(weights * g**2) - np.sum(weights * g) ** 2
'''

_Q4_WRONG = [
    # The variance of the pathwise estimate exp(z) instead.
    with_mistake(_Q4_SOLUTION, "g = np.exp(z) * (z - mu) / var", "g = np.exp(z)"),
    # The second moment, without subtracting the squared mean.
    with_mistake(_Q4_SOLUTION, "answer = np.sum(weights * g**2) - np.sum(weights * g) ** 2",
             "answer = np.sum(weights * g**2)"),
    # The score divided by the standard deviation instead of the variance.
    with_mistake(_Q4_SOLUTION, "(z - mu) / var", "(z - mu) / np.sqrt(var)"),
]

Q4 = Exercise(
    key="q4",
    title="The variance of the one-sample score-function estimate of d/d mu E[exp(z)], "
          "z ~ N(0, 0.25)",
    reference=_q4_reference,
    hints=[
        "One sample gives g = f(z) (z - mu) / sigma^2 with z = mu + sigma eps. Its variance is "
        "E[g^2] - (E[g])^2, and E[g] is the true gradient, d/d mu exp(mu + sigma^2 / 2).",
        "Numerically: Gauss-Hermite quadrature (numpy.polynomial.hermite_e.hermegauss) turns "
        "an expectation over eps ~ N(0, 1) into a weighted sum; divide the weights by their sum. "
        "A Monte Carlo average over a million draws is also close enough.",
        "In closed form: E[exp(t eps) eps^2] = (1 + t^2) exp(t^2 / 2).",
    ],
    solutions={"any": _Q4_SOLUTION},
    wrong={"any": _Q4_WRONG},
    answer_name="answer",
    rtol=0.02,
    atol=0.0,
)


EXERCISES = ExerciseSet("ch4", [Q1, Q2, Q3, Q4])
