"""Exercises of the appendix, Common VAE mistakes.

q1  spot and fix a broken negative ELBO: three of the appendix's mistakes in one loss (function)
q2  the variance of the aggregate posterior q(z), the measure of section 4 (function)
q3  the effective beta of a loss that averages both terms (value)
q4  count the active latent dimensions, the test for posterior collapse (function)
"""

from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, ExerciseSet, Mistake

_rng = np.random.default_rng(9)


def _f(*shape, scale=1.0):
    return (scale * _rng.standard_normal(shape)).astype(np.float32)


def _u(*shape):
    return _rng.uniform(0.0, 1.0, shape).astype(np.float32)


# --------------------------------------------------------------------------- q1
def _negative_elbo(logits, x, mu, logvar):
    logits, x, mu, logvar = (np.asarray(a, np.float64) for a in (logits, x, mu, logvar))
    # -log Bernoulli(x; sigmoid(l)) = max(l, 0) - l x + log(1 + exp(-|l|)), finite for any l.
    rec = (np.maximum(logits, 0.0) - logits * x + np.log1p(np.exp(-np.abs(logits)))).sum(axis=1)
    kl = -0.5 * (1.0 + logvar - mu**2 - np.exp(logvar)).sum(axis=1)
    return rec + kl


_Q1_CASES = [
    Case((_f(4, 6, scale=2.0), _u(4, 6), _f(4, 3), _f(4, 3, scale=0.5)),
         "grey-level targets, random logits and posterior"),
    Case((_f(3, 5, scale=2.0), (_u(3, 5) > 0.5).astype(np.float32),
          np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)),
         "binary targets, q equal to the prior: the KL is 0"),
    Case((np.array([[100.0, -100.0, 100.0, -100.0]], np.float32),
          np.array([[0.0, 1.0, 1.0, 0.0]], np.float32),
          np.array([[0.5]], np.float32), np.array([[-1.0]], np.float32)),
         "logits of +-100: must stay finite"),
    Case((np.zeros((2, 64), np.float32), _u(2, 64), _f(2, 4, scale=2.0), _f(2, 4, scale=2.0)),
         "64 pixels, a posterior far from the prior"),
]

_Q1_TORCH = '''\
import torch.nn.functional as F

def negative_elbo(logits, x, mu, logvar):
    # Cross-entropy from the logits (no sigmoid first), summed over pixels.
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    # The minus sign in front: this is KL(q || p) >= 0.
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - torch.exp(logvar), dim=1)
    return rec + kl
'''
_Q1_TF = '''\
def negative_elbo(logits, x, mu, logvar):
    # Cross-entropy from the logits (no sigmoid first), summed over pixels.
    rec = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)
    # The minus sign in front: this is KL(q || p) >= 0.
    kl = -0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
    return rec + kl
'''

_Q1_WRONG_TORCH = [
    # The KL sign error (section 1).
    '''\
import torch.nn.functional as F

def negative_elbo(logits, x, mu, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = 0.5 * torch.sum(1 + logvar - mu**2 - torch.exp(logvar), dim=1)
    return rec + kl
''',
    # The reconstruction averaged over pixels while the KL is summed (section 7).
    '''\
import torch.nn.functional as F

def negative_elbo(logits, x, mu, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(dim=1)
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - torch.exp(logvar), dim=1)
    return rec + kl
''',
    # A sigmoid before a loss that applies its own (section 3).
    '''\
import torch.nn.functional as F

def negative_elbo(logits, x, mu, logvar):
    x_hat = torch.sigmoid(logits)
    rec = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none").sum(dim=1)
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - torch.exp(logvar), dim=1)
    return rec + kl
''',
    # Only the x log x_hat half of the cross-entropy (section 6).
    '''\
def negative_elbo(logits, x, mu, logvar):
    x_hat = torch.sigmoid(logits)
    rec = -torch.sum(x * torch.log(x_hat), dim=1)
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - torch.exp(logvar), dim=1)
    return rec + kl
''',
    # Both halves, but through log(sigmoid): log(0) at logits of +-100.
    '''\
def negative_elbo(logits, x, mu, logvar):
    x_hat = torch.sigmoid(logits)
    rec = -torch.sum(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat), dim=1)
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - torch.exp(logvar), dim=1)
    return rec + kl
''',
]
_Q1_WRONG_TF = [
    '''\
def negative_elbo(logits, x, mu, logvar):
    rec = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)
    kl = 0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
    return rec + kl
''',
    '''\
def negative_elbo(logits, x, mu, logvar):
    rec = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)
    kl = -0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
    return rec + kl
''',
    '''\
def negative_elbo(logits, x, mu, logvar):
    x_hat = tf.sigmoid(logits)
    rec = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x_hat), axis=1)
    kl = -0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
    return rec + kl
''',
    '''\
def negative_elbo(logits, x, mu, logvar):
    x_hat = tf.sigmoid(logits)
    rec = -tf.reduce_sum(x * tf.math.log(x_hat), axis=1)
    kl = -0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
    return rec + kl
''',
    '''\
def negative_elbo(logits, x, mu, logvar):
    x_hat = tf.sigmoid(logits)
    rec = -tf.reduce_sum(x * tf.math.log(x_hat) + (1 - x) * tf.math.log(1 - x_hat), axis=1)
    kl = -0.5 * tf.reduce_sum(1 + logvar - mu**2 - tf.exp(logvar), axis=1)
    return rec + kl
''',
]

Q1 = Exercise(
    key="q1",
    title="Fix the broken loss: the negative ELBO per example, from decoder logits",
    reference=_negative_elbo,
    cases=_Q1_CASES,
    hints=[
        "There are three bugs, each one a section of this appendix: look at the sign in front "
        "of the KL, at what the reconstruction term is averaged or summed over, and at what "
        "goes into a loss that is computed 'with logits'.",
        "The loss of one example is -log p(x | z) + KL(q || p): the first summed over the D "
        "pixels, the second summed over the d latent dimensions, both in nats. Average over "
        "the batch only outside this function.",
        "A loss 'with logits' applies the sigmoid itself and stays finite for logits of +-100; "
        "give it the decoder's raw outputs.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={"torch": _Q1_WRONG_TORCH, "tensorflow": _Q1_WRONG_TF},
    answer_name="negative_elbo",
    rtol=1e-4,
    atol=1e-3,
)


# --------------------------------------------------------------------------- q2
def _aggregate_variance(mu, logvar):
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    # The law of total variance over the mixture q(z) = (1/N) sum_i q(z | x_i): the spread of
    # the centres plus the average spread of each Gaussian.
    return mu.var(axis=0) + np.exp(logvar).mean(axis=0)


def _agg_var_means_only(mu, logvar):
    return np.asarray(mu, np.float64).var(axis=0)


def _agg_var_sigma(mu, logvar):
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return mu.var(axis=0) + np.exp(0.5 * logvar).mean(axis=0)


_Q2_CASES = [
    Case((_f(50, 3), _f(50, 3, scale=0.5)), "random means and log-variances"),
    Case((np.zeros((20, 2), np.float32), np.zeros((20, 2), np.float32)),
         "every posterior is the prior: q(z) is N(0, I), variance 1"),
    Case((_f(40, 4, scale=2.0), np.full((40, 4), -20.0, np.float32)),
         "nearly deterministic posteriors: only the means spread"),
    Case((np.full((30, 3), 2.0, np.float32), _f(30, 3)),
         "the same mean for every example: only the posteriors' own spread counts"),
    Case((_f(10, 5), np.full((10, 5), 2.0, np.float32)),
         "log-variance 2: the variance is e^2, not e"),
]

_Q2_TORCH = '''\
def aggregate_variance(mu, logvar):
    # The spread of the centres over the data (divisor N) plus each posterior's own
    # variance sigma^2 = exp(logvar), averaged over the data.
    return mu.var(dim=0, unbiased=False) + torch.exp(logvar).mean(dim=0)
'''
_Q2_TF = '''\
def aggregate_variance(mu, logvar):
    # The spread of the centres over the data plus each posterior's own variance
    # sigma^2 = exp(logvar), averaged over the data.
    return tf.math.reduce_variance(mu, axis=0) + tf.reduce_mean(tf.exp(logvar), axis=0)
'''

Q2 = Exercise(
    key="q2",
    title="The variance of each dimension of the aggregate posterior, from (mu, logvar) of N examples",
    reference=_aggregate_variance,
    cases=_Q2_CASES,
    hints=[
        "q(z) is a mixture of N Gaussians, one per example. A draw from it picks an example, "
        "then a code around that example's mean: two sources of spread.",
        "Law of total variance: Var[z_j] = Var_x[mu_j(x)] + E_x[sigma_j(x)^2], with "
        "sigma^2 = exp(logvar); both over the examples (the first axis).",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={
        "torch": [
            # Only the spread of the means: each posterior's own variance is missing.
            "def aggregate_variance(mu, logvar):\n    return mu.var(dim=0, unbiased=False)\n",
            # Only the posteriors' own variance: the spread of the means is missing.
            "def aggregate_variance(mu, logvar):\n    return torch.exp(logvar).mean(dim=0)\n",
            # The standard deviation where the variance belongs.
            "def aggregate_variance(mu, logvar):\n"
            "    return mu.var(dim=0, unbiased=False) + torch.exp(0.5 * logvar).mean(dim=0)\n",
            # Over the latent dimensions instead of the examples.
            "def aggregate_variance(mu, logvar):\n"
            "    return mu.var(dim=1, unbiased=False) + torch.exp(logvar).mean(dim=1)\n",
        ],
        "tensorflow": [
            "def aggregate_variance(mu, logvar):\n    return tf.math.reduce_variance(mu, axis=0)\n",
            "def aggregate_variance(mu, logvar):\n    return tf.reduce_mean(tf.exp(logvar), axis=0)\n",
            "def aggregate_variance(mu, logvar):\n"
            "    return tf.math.reduce_variance(mu, axis=0) "
            "+ tf.reduce_mean(tf.exp(0.5 * logvar), axis=0)\n",
            "def aggregate_variance(mu, logvar):\n"
            "    return tf.math.reduce_variance(mu, axis=1) + tf.reduce_mean(tf.exp(logvar), axis=1)\n",
        ],
    },
    mistakes=[
        Mistake(_agg_var_means_only, "only the spread of the means: each posterior's own "
                "variance, E_x[sigma^2], belongs in it too"),
        Mistake(_agg_var_sigma, "sigma where sigma^2 belongs: the variance of q(z | x) is "
                "exp(logvar), not exp(logvar / 2)"),
    ],
    answer_name="aggregate_variance",
)


# --------------------------------------------------------------------------- q3
_Q3_D = 28 * 28  # pixels of an MNIST image
_Q3_LATENT = 20  # latent dimensions


def _effective_beta():
    # loss = rec_sum / D + kl_sum / d = (rec_sum + (D / d) kl_sum) / D: the same minimiser
    # as rec_sum + beta kl_sum with beta = D / d.
    return _Q3_D / _Q3_LATENT


Q3 = Exercise(
    key="q3",
    title="The beta that a loss averaging both terms really trains with (28x28 images, d = 20)",
    reference=_effective_beta,
    hints=[
        "Write both terms as sums: a mean over D pixels is the sum divided by D, a mean over "
        "d latent dimensions is the sum divided by d.",
        "Multiplying a loss by a positive constant does not change its minimiser: multiply by "
        "D and read off the weight of the summed KL.",
    ],
    solutions={"any": "answer = (28 * 28) / 20\n"},
    wrong={"any": [
        "answer = 28 * 28  # forgot that the KL is averaged over latent dimensions too\n",
        "answer = 20 / (28 * 28)  # the ratio upside down\n",
        "answer = 1.0  # 'both are means, so they balance'\n",
    ]},
    answer_name="answer",
    rtol=1e-6,
    atol=1e-9,
)


# --------------------------------------------------------------------------- q4
def _active_units(mu):
    mu = np.asarray(mu, np.float64)
    return float((mu.var(axis=0) > 0.01).sum())


def _q4_mu(n, stds, offsets=None):
    cols = _rng.standard_normal((n, len(stds))) * np.asarray(stds)
    if offsets is not None:
        cols = cols + np.asarray(offsets)
    return cols.astype(np.float32)


_Q4_CASES = [
    Case((_q4_mu(200, [1.0, 0.5, 0.0, 0.0]),), "two active, two collapsed dimensions"),
    Case((_q4_mu(200, [1.0, 0.03, 0.001]),), "standard deviation 0.03: variance 0.0009 is inactive"),
    Case((_q4_mu(100, [0.0, 0.0, 0.0], offsets=[5.0, -3.0, 0.0]),),
         "constant but nonzero means: nothing varies, nothing is active"),
    Case((np.zeros((50, 6), np.float32),), "a fully collapsed encoder"),
    Case((_q4_mu(300, [2.0, 1.0, 0.5, 0.3, 0.2]),), "every dimension active"),
    Case((_q4_mu(8, [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),),
         "more latent dimensions than examples"),
]

_Q4_TORCH = '''\
def active_units(mu):
    # Variance over the data (dimension 0) of each latent mean; divisor N.
    var = mu.var(dim=0, unbiased=False)
    return (var > 0.01).sum()
'''
_Q4_TF = '''\
def active_units(mu):
    # Variance over the data (axis 0) of each latent mean.
    var = tf.math.reduce_variance(mu, axis=0)
    return tf.reduce_sum(tf.cast(var > 0.01, tf.int32))
'''

Q4 = Exercise(
    key="q4",
    title="Active units: how many latent dimensions have Var_x[mu_j(x)] > 0.01",
    reference=_active_units,
    cases=_Q4_CASES,
    hints=[
        "A dimension is active when the encoder's mean for it changes from one example to the "
        "next: take the variance over the examples (the first axis), one value per latent "
        "dimension.",
        "Compare the variance, not the standard deviation, with 0.01, and count the dimensions "
        "above it. A mean that is large but the same for every example is not active.",
    ],
    solutions={"torch": _Q4_TORCH, "tensorflow": _Q4_TF},
    wrong={
        "torch": [
            "def active_units(mu):\n    return (mu.var(dim=1) > 0.01).sum()  # over latent dims\n",
            "def active_units(mu):\n    return (mu.std(dim=0) > 0.01).sum()  # std, not variance\n",
            "def active_units(mu):\n    return (mu.abs().mean(dim=0) > 0.01).sum()  # size, not spread\n",
        ],
        "tensorflow": [
            "def active_units(mu):\n"
            "    return tf.reduce_sum(tf.cast(tf.math.reduce_variance(mu, axis=1) > 0.01, tf.int32))\n",
            "def active_units(mu):\n"
            "    return tf.reduce_sum(tf.cast(tf.math.reduce_std(mu, axis=0) > 0.01, tf.int32))\n",
            "def active_units(mu):\n"
            "    return tf.reduce_sum(tf.cast(tf.reduce_mean(tf.abs(mu), axis=0) > 0.01, tf.int32))\n",
        ],
    },
    answer_name="active_units",
)

EXERCISES = ExerciseSet("appendix", [Q1, Q2, Q3, Q4])
