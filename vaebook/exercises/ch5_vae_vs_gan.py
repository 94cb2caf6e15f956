"""Exercises of chapter 5, VAEs and GANs.

q1  the discriminator's per-example loss with one-sided label smoothing, from logits (function)
q2  the optimal discriminator of two known Gaussians, finite far in the tails (function)
q3  the effective number of modes of a class histogram, to spot collapse (function)
q4  the optimal discriminator's loss and the JS divergence for disjoint supports (value)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from ._core import Case, Exercise, ExerciseSet

_rng = np.random.default_rng(5)


# --------------------------------------------------------------------------- q1
# One-sided label smoothing (Salimans et al. 2016): real images get the target 0.9, not 1;
# generated ones keep the target 0. Section 5.1 writes the unsmoothed loss out; this one
# is not in the chapter.
_SMOOTH = 0.9


def _discriminator_loss(real_logits, fake_logits):
    real, fake = (np.asarray(a, np.float64) for a in (real_logits, fake_logits))
    # -log sigmoid(s) = log(1 + e^-s); -log(1 - sigmoid(s)) = log(1 + e^s)
    return (_SMOOTH * np.logaddexp(0.0, -real) + (1 - _SMOOTH) * np.logaddexp(0.0, real)
            + np.logaddexp(0.0, fake))


_Q1_CASES = [
    Case(((3 * _rng.standard_normal(6)).astype(np.float32),
          (3 * _rng.standard_normal(6)).astype(np.float32)), "ordinary logits"),
    Case((np.zeros(3, np.float32), np.zeros(3, np.float32)), "D = 1/2 everywhere: log 4 each"),
    Case((np.array([100.0, -100.0, 100.0], np.float32),
          np.array([-100.0, 100.0, 100.0], np.float32)), "logits of ±100"),
    Case((np.array([30.0], np.float32), np.array([-30.0], np.float32)),
         "one example, a confident and right discriminator: smoothing charges it 0.1 x 30"),
]

_Q1_TORCH = '''\
import torch.nn.functional as F

def discriminator_loss(real_logits, fake_logits):
    # target 0.9 on real images: -0.9 log D(x) - 0.1 log(1 - D(x)); target 0 on fakes
    real = 0.9 * F.softplus(-real_logits) + 0.1 * F.softplus(real_logits)
    return real + F.softplus(fake_logits)
'''
_Q1_TF = '''\
def discriminator_loss(real_logits, fake_logits):
    # target 0.9 on real images: -0.9 log D(x) - 0.1 log(1 - D(x)); target 0 on fakes
    real = 0.9 * tf.nn.softplus(-real_logits) + 0.1 * tf.nn.softplus(real_logits)
    return real + tf.nn.softplus(fake_logits)
'''


def _q1_wrong(lib: str, softplus: str, mean: str) -> list[str]:
    log = f"{lib}.math.log" if lib == "tf" else f"{lib}.log"
    return [
        # Through the sigmoid: log(0) = -inf once a logit reaches about ±17 in float32.
        f'''\
def discriminator_loss(real_logits, fake_logits):
    d_real, d_fake = {lib}.sigmoid(real_logits), {lib}.sigmoid(fake_logits)
    return -0.9 * {log}(d_real) - 0.1 * {log}(1.0 - d_real) - {log}(1.0 - d_fake)
''',
        # No smoothing: section 5.1's loss, target 1 on real images.
        f'''\
def discriminator_loss(real_logits, fake_logits):
    return {softplus}(-real_logits) + {softplus}(fake_logits)
''',
        # The real term scaled by 0.9 only: the 0.1 log(1 - D(x)) of the target 0.9 is lost.
        f'''\
def discriminator_loss(real_logits, fake_logits):
    return 0.9 * {softplus}(-real_logits) + {softplus}(fake_logits)
''',
        # Two-sided: the fakes' target smoothed to 0.1 as well.
        f'''\
def discriminator_loss(real_logits, fake_logits):
    real = 0.9 * {softplus}(-real_logits) + 0.1 * {softplus}(real_logits)
    return real + 0.9 * {softplus}(fake_logits) + 0.1 * {softplus}(-fake_logits)
''',
        # Averaged over the batch: one number, not one per example.
        f'''\
def discriminator_loss(real_logits, fake_logits):
    real = 0.9 * {softplus}(-real_logits) + 0.1 * {softplus}(real_logits)
    return {mean}(real + {softplus}(fake_logits))
''',
    ]


Q1 = Exercise(
    key="q1",
    title="the discriminator's loss per example, from logits, with one-sided label smoothing "
          "(target 0.9 on real images)",
    reference=_discriminator_loss,
    cases=_Q1_CASES,
    hints=[
        "The binary cross-entropy of a logit s against a target t is "
        "-t log sigmoid(s) - (1 - t) log(1 - sigmoid(s)). Real images have t = 0.9, "
        "generated ones t = 0, so only the real term changes from section 5.1's loss.",
        "-log sigmoid(s) = softplus(-s) and -log(1 - sigmoid(s)) = softplus(s). Your framework's "
        "softplus is finite for any s; log(sigmoid(s)) is -inf once sigmoid(s) rounds to 0.",
        "Return one value per example, shape (B,): no mean over the batch.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={
        "torch": _q1_wrong("torch", "torch.nn.functional.softplus", "torch.mean"),
        "tensorflow": _q1_wrong("tf", "tf.nn.softplus", "tf.reduce_mean"),
    },
    answer_name="discriminator_loss",
    rtol=1e-4,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q2
def _log_normal(x, mu, sd):
    return -0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)


def _optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    x = np.asarray(x, np.float64)
    return expit(_log_normal(x, mu_data, sd_data) - _log_normal(x, mu_g, sd_g))


_Q2_CASES = [
    Case((np.linspace(-3, 3, 7).astype(np.float32), 0.0, 1.0, 1.0, 0.5),
         "p_data = N(0, 1), p_g = N(1, 0.5^2)"),
    Case((_rng.standard_normal(5).astype(np.float32), 0.5, 2.0, 0.5, 2.0),
         "p_g equal to p_data: D* = 1/2 everywhere"),
    Case((np.array([0.0, 2.0, 6.0], np.float32), 0.0, 1.0, 0.0, 3.0),
         "same mean, p_g three times wider"),
    Case((np.array([-40.0, 40.0, 60.0], np.float32), 0.0, 1.0, 2.0, 1.0),
         "far in the tails, where both densities underflow to 0"),
]

_Q2_TORCH = '''\
import math

def optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    def log_normal(x, mu, sd):
        return -0.5 * ((x - mu) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)
    # p_data / (p_data + p_g) = sigmoid(log p_data - log p_g): no 0 / 0 in the tails
    return torch.sigmoid(log_normal(x, mu_data, sd_data) - log_normal(x, mu_g, sd_g))
'''
_Q2_TF = '''\
import math

def optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    def log_normal(x, mu, sd):
        return -0.5 * ((x - mu) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)
    # p_data / (p_data + p_g) = sigmoid(log p_data - log p_g): no 0 / 0 in the tails
    return tf.sigmoid(log_normal(x, mu_data, sd_data) - log_normal(x, mu_g, sd_g))
'''


def _q2_wrong(lib: str) -> list[str]:
    helper = '''\
import math

def log_normal(x, mu, sd):
    return -0.5 * ((x - mu) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)
'''
    return [
        # The densities themselves: right in the bulk, 0 / 0 = NaN far in the tails.
        helper + f'''
def optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    p_data = {lib}.exp(log_normal(x, mu_data, sd_data))
    p_g = {lib}.exp(log_normal(x, mu_g, sd_g))
    return p_data / (p_data + p_g)
''',
        # The other way round: the probability that x is *generated*.
        helper + f'''
def optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    return {lib}.sigmoid(log_normal(x, mu_g, sd_g) - log_normal(x, mu_data, sd_data))
''',
        # The density ratio p_data / p_g is not a probability.
        helper + f'''
def optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    return {lib}.exp(log_normal(x, mu_data, sd_data) - log_normal(x, mu_g, sd_g))
''',
        # The Gaussians without their normalising 1/sd: wrong when the widths differ.
        f'''\
def optimal_discriminator(x, mu_data, sd_data, mu_g, sd_g):
    return {lib}.sigmoid(-0.5 * ((x - mu_data) / sd_data) ** 2 + 0.5 * ((x - mu_g) / sd_g) ** 2)
''',
    ]


Q2 = Exercise(
    key="q2",
    title="the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x)) for two 1-D Gaussians",
    reference=_optimal_discriminator,
    cases=_Q2_CASES,
    hints=[
        "D*(x) = p_data(x) / (p_data(x) + p_g(x)). Divide the numerator and the denominator by "
        "p_data(x): D* = 1 / (1 + p_g / p_data) = sigmoid(log p_data(x) - log p_g(x)).",
        "Work with log-densities: log N(x; mu, sd^2) = -((x - mu) / sd)^2 / 2 - log sd - "
        "log(2 pi) / 2. At x = 40 both densities are below the smallest float32, but their log "
        "ratio is an ordinary number.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={"torch": _q2_wrong("torch"), "tensorflow": _q2_wrong("tf")},
    answer_name="optimal_discriminator",
    rtol=1e-4,
    atol=1e-6,
)


# --------------------------------------------------------------------------- q3
def _effective_modes(counts):
    c = np.asarray(counts, np.float64)
    p = c / c.sum(axis=1, keepdims=True)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.exp(-plogp.sum(axis=1))


_Q3_CASES = [
    Case((np.array([[100.0] * 10, [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100]], np.float32),),
         "ten classes, evenly and unevenly covered"),
    Case((np.array([[0.0, 0, 0, 1000, 0, 0, 0, 0, 0, 0]], np.float32),),
         "collapsed onto one class: 0 log 0 counts as 0"),
    Case((np.array([[0.0, 312, 0, 0, 355, 0, 0, 333, 0, 0],
                    [95.0, 104, 99, 101, 96, 105, 98, 102, 97, 103]], np.float32),),
         "three classes with the rest empty, and a nearly uniform histogram"),
    Case((np.array([[1.0, 3.0], [2.0, 6.0], [5.0, 0.0]], np.float32),),
         "two classes; raw counts, not probabilities"),
]

_Q3_TORCH = '''\
def effective_modes(counts):
    p = counts / counts.sum(dim=1, keepdim=True)
    # 0 log 0 = 0: xlogy gives 0 where p is 0 (p * log(p) would give 0 * -inf = nan)
    entropy = -torch.special.xlogy(p, p).sum(dim=1)
    return torch.exp(entropy)
'''
_Q3_TF = '''\
def effective_modes(counts):
    p = counts / tf.reduce_sum(counts, axis=1, keepdims=True)
    # 0 log 0 = 0: xlogy gives 0 where p is 0 (p * log(p) would give 0 * -inf = nan)
    entropy = -tf.reduce_sum(tf.math.xlogy(p, p), axis=1)
    return tf.exp(entropy)
'''

_Q3_WRONG_TORCH = [
    # 0 * log 0 = 0 * -inf = nan for every empty class.
    '''\
def effective_modes(counts):
    p = counts / counts.sum(dim=1, keepdim=True)
    return torch.exp(-(p * torch.log(p)).sum(dim=1))
''',
    # The entropy itself, in nats: 2.3 for ten even classes, not 10.
    '''\
def effective_modes(counts):
    p = counts / counts.sum(dim=1, keepdim=True)
    return -torch.special.xlogy(p, p).sum(dim=1)
''',
    # The number of classes seen at all: blind to a class with 1 sample in 1000.
    '''\
def effective_modes(counts):
    return (counts > 0).sum(dim=1).to(counts.dtype)
''',
    # Counts not normalised into probabilities.
    '''\
def effective_modes(counts):
    return torch.exp(-torch.special.xlogy(counts, counts).sum(dim=1))
''',
]
_Q3_WRONG_TF = [
    '''\
def effective_modes(counts):
    p = counts / tf.reduce_sum(counts, axis=1, keepdims=True)
    return tf.exp(-tf.reduce_sum(p * tf.math.log(p), axis=1))
''',
    '''\
def effective_modes(counts):
    p = counts / tf.reduce_sum(counts, axis=1, keepdims=True)
    return -tf.reduce_sum(tf.math.xlogy(p, p), axis=1)
''',
    '''\
def effective_modes(counts):
    return tf.reduce_sum(tf.cast(counts > 0, counts.dtype), axis=1)
''',
    '''\
def effective_modes(counts):
    return tf.exp(-tf.reduce_sum(tf.math.xlogy(counts, counts), axis=1))
''',
]

Q3 = Exercise(
    key="q3",
    title="the effective number of modes exp(H(p)) of each row of a class histogram",
    reference=_effective_modes,
    cases=_Q3_CASES,
    hints=[
        "Normalise each row into probabilities p_k = counts_k / sum_k counts_k, take the "
        "entropy H = -sum_k p_k log p_k in nats, and return exp(H). Ten even classes give 10; "
        "one class gives 1.",
        "An empty class contributes 0 (the limit of p log p as p -> 0), but p * log(p) computes "
        "0 * (-inf) = nan. torch.special.xlogy(p, p) and tf.math.xlogy(p, p) return 0 there.",
    ],
    solutions={"torch": _Q3_TORCH, "tensorflow": _Q3_TF},
    wrong={"torch": _Q3_WRONG_TORCH, "tensorflow": _Q3_WRONG_TF},
    answer_name="effective_modes",
    rtol=1e-4,
    atol=1e-4,
)


# --------------------------------------------------------------------------- q4
def _q4_reference():
    # Disjoint supports: D* is 1 on the data and 0 on the generated points, so both terms
    # of -V vanish, and V(D*, G) = 2 JS - log 4 = 0 gives JS = log 2.
    d_loss = 0.0
    js = (math.log(4.0) - d_loss) / 2.0
    return (d_loss, js)


Q4 = Exercise(
    key="q4",
    title="disjoint supports: the optimal discriminator's mean loss and JS(p_data || p_g)",
    reference=_q4_reference,
    hints=[
        "Where p_g(x) = 0 and p_data(x) > 0, D*(x) = 1; where p_data(x) = 0, D*(x) = 0. "
        "What is -log D(x) on real data and -log(1 - D(G(z))) on generated data then?",
        "The chapter's identity: the optimal discriminator's mean loss is -V(D*, G) = "
        "log 4 - 2 JS(p_data || p_g). Solve it for JS; the answer is in nats.",
    ],
    solutions={"any": '''\
import math

d_loss = 0.0                       # D* = 1 on every real x and 0 on every generated one
js = (math.log(4.0) - d_loss) / 2  # from -V(D*, G) = log 4 - 2 JS
answer = (d_loss, js)              # (0, log 2 = 0.693...): JS is at its maximum
'''},
    wrong={"any": [
        # JS in bits: log2(2) = 1.
        "answer = (0.0, 1.0)\n",
        # The equilibrium values p_g = p_data, not disjoint supports.
        "import math\nanswer = (math.log(4.0), 0.0)\n",
        # Forgot the factor 2 of V = 2 JS - log 4.
        "import math\nanswer = (0.0, math.log(4.0))\n",
    ]},
    answer_name="answer",
    rtol=1e-4,
    atol=1e-6,
)


EXERCISES = ExerciseSet("ch5", [Q1, Q2, Q3, Q4])
