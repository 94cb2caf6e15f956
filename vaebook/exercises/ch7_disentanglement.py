"""Exercises of chapter 7, Disentanglement, measured.

q1  the total correlation of each sample, when the batch is the whole data set (function)
q2  MIG from a given mutual-information matrix and the factors' entropies (function)
q3  a traversal of an ideal code: how far the shape moves, in pixels (value)
q4  the bias of minibatch-weighted sampling on the total correlation (value)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

from ._core import Case, Exercise, ExerciseSet, Mistake

_rng = np.random.default_rng(7)


def _f(*shape, scale=1.0, shift=0.0):
    return (shift + scale * _rng.standard_normal(shape)).astype(np.float32)


# --------------------------------------------------------------------------- q1
def _log_q_pairs(mu, logvar, z):
    """log q(z_ij | x_m), shape (N, N, d): sample i, example m, dimension j."""
    mu, logvar, z = (np.asarray(a, np.float64) for a in (mu, logvar, z))
    return -0.5 * (math.log(2 * math.pi) + logvar[None]
                   + (z[:, None] - mu[None]) ** 2 * np.exp(-logvar[None]))


def _total_correlation(mu, logvar, z):
    lq, n = _log_q_pairs(mu, logvar, z), len(mu)
    log_qz = logsumexp(lq.sum(axis=2), axis=1) - math.log(n)
    log_marginals = (logsumexp(lq, axis=1) - math.log(n)).sum(axis=1)
    return log_qz - log_marginals


def _tc_no_log_n(mu, logvar, z):
    lq = _log_q_pairs(mu, logvar, z)
    return logsumexp(lq.sum(axis=2), axis=1) - logsumexp(lq, axis=1).sum(axis=1)


def _tc_weighted_sampling(mu, logvar, z):
    return _total_correlation(mu, logvar, z) + (mu.shape[1] - 1) * math.log(len(mu))


def _tc_own_marginals(mu, logvar, z):
    lq, n = _log_q_pairs(mu, logvar, z), len(mu)
    own = np.einsum("iik->i", lq)
    return logsumexp(lq.sum(axis=2), axis=1) - math.log(n) - own


def _posteriors(n, d, spread, logvar_shift=-1.0):
    mu = _f(n, d, scale=spread)
    logvar = _f(n, d, scale=0.3, shift=logvar_shift)
    z = (mu + np.exp(0.5 * logvar) * _rng.standard_normal((n, d))).astype(np.float32)
    return mu, logvar, z


_same_mu, _same_lv = _f(1, 3), _f(1, 3, scale=0.3)
_same = (np.repeat(_same_mu, 5, 0), np.repeat(_same_lv, 5, 0))
_wide = _posteriors(6, 24, 1.0, logvar_shift=8.0)

_Q1_CASES = [
    Case(_posteriors(8, 3, 1.0), "8 examples, 3 dimensions, overlapping posteriors"),
    Case(_posteriors(6, 2, 4.0), "posteriors far apart: each sample's own term dominates"),
    Case((*_same, (_same[0] + 0.5 * _rng.standard_normal((5, 3))).astype(np.float32)),
         "every example has the same posterior: q(z) is one diagonal Gaussian, TC = 0"),
    Case(_posteriors(5, 1, 1.0), "a 1-dimensional code: the joint is its own marginal, TC = 0"),
    Case(_wide, "24 dimensions with wide posteriors: the densities underflow float32"),
]

_Q1_TORCH = '''\
import math

def total_correlation(mu, logvar, z):
    n = mu.shape[0]
    # log q(z_ij | x_m) for every sample i, example m and dimension j: (n, n, d)
    log_q = -0.5 * (math.log(2 * math.pi) + logvar[None]
                    + (z[:, None] - mu[None]) ** 2 * torch.exp(-logvar[None]))
    # q(z_i) = 1/N sum_m q(z_i | x_m): the joint over the dimensions, mixed over examples
    log_qz = torch.logsumexp(log_q.sum(dim=2), dim=1) - math.log(n)
    # each marginal q(z_ij) = 1/N sum_m q(z_ij | x_m) is a mixture too
    log_marginals = (torch.logsumexp(log_q, dim=1) - math.log(n)).sum(dim=1)
    return log_qz - log_marginals
'''
_Q1_TF = '''\
import math

def total_correlation(mu, logvar, z):
    n = mu.shape[0]
    # log q(z_ij | x_m) for every sample i, example m and dimension j: (n, n, d)
    log_q = -0.5 * (math.log(2 * math.pi) + logvar[None]
                    + (z[:, None] - mu[None]) ** 2 * tf.exp(-logvar[None]))
    # q(z_i) = 1/N sum_m q(z_i | x_m): the joint over the dimensions, mixed over examples
    log_qz = tf.reduce_logsumexp(tf.reduce_sum(log_q, axis=2), axis=1) - math.log(n)
    # each marginal q(z_ij) = 1/N sum_m q(z_ij | x_m) is a mixture too
    log_marginals = tf.reduce_sum(tf.reduce_logsumexp(log_q, axis=1) - math.log(n), axis=1)
    return log_qz - log_marginals
'''

_LOG_Q = '''\
import math

def log_pairs(mu, logvar, z):
    return -0.5 * (math.log(2 * math.pi) + logvar[None]
                   + (z[:, None] - mu[None]) ** 2 * {exp}(-logvar[None]))
'''


def _q1_wrong(lib: str, lse: str, total: str) -> list[str]:
    head = _LOG_Q.format(exp=f"{lib}.exp")
    dim = "dim" if lib == "torch" else "axis"
    log = f"{lib}.log" if lib == "torch" else "tf.math.log"
    return [
        # Densities summed directly: log(0) once they underflow.
        head + f'''
def total_correlation(mu, logvar, z):
    n = mu.shape[0]
    log_q = log_pairs(mu, logvar, z)
    q_joint = {lib}.exp({total}(log_q, {dim}=2))
    log_qz = {log}({total}(q_joint, {dim}=1) / n)
    log_marginals = {total}({log}({total}({lib}.exp(log_q), {dim}=1) / n), {dim}=1)
    return log_qz - log_marginals
''',
        # The 1/N of the mixtures left out.
        head + f'''
def total_correlation(mu, logvar, z):
    log_q = log_pairs(mu, logvar, z)
    return {lse}({total}(log_q, {dim}=2), {dim}=1) - {total}({lse}(log_q, {dim}=1), {dim}=1)
''',
        # Minibatch-weighted sampling's 1/(N M), here with M = N.
        head + f'''
def total_correlation(mu, logvar, z):
    n = mu.shape[0]
    log_q = log_pairs(mu, logvar, z)
    log_qz = {lse}({total}(log_q, {dim}=2), {dim}=1) - 2 * math.log(n)
    log_marginals = {total}({lse}(log_q, {dim}=1) - 2 * math.log(n), {dim}=1)
    return log_qz - log_marginals
''',
        # The marginals of each sample's own posterior, not of the aggregate: minus the MI.
        head + f'''
def total_correlation(mu, logvar, z):
    n = mu.shape[0]
    log_qz = {lse}({total}(log_pairs(mu, logvar, z), {dim}=2), {dim}=1) - math.log(n)
    own = -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 * {lib}.exp(-logvar))
    return log_qz - {total}(own, {dim}=1)
''',
    ]


Q1 = Exercise(
    key="q1",
    title="the total correlation log q(z_i) - sum_j log q(z_ij) of each sample, the batch "
          "being the whole data set",
    reference=_total_correlation,
    cases=_Q1_CASES,
    hints=[
        "The aggregate posterior is the mixture q(z) = 1/N sum_m q(z | x_m), and its j-th "
        "marginal is q(z_j) = 1/N sum_m q(z_j | x_m): both mixtures run over every example m, "
        "not just the one the sample came from.",
        "Build log q(z_ij | x_m) for every pair (i, m) at once with broadcasting: z[:, None] - "
        "mu[None] has shape (N, N, d). Sum it over j for the joint, and take a logsumexp over "
        "m; never exponentiate the densities themselves (in 24 dimensions they underflow).",
        "Return one value per sample, shape (N,). With N examples in the batch each mixture "
        "weight is 1/N: subtract log N once for the joint and once for each marginal.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={
        "torch": _q1_wrong("torch", "torch.logsumexp", "torch.sum"),
        "tensorflow": _q1_wrong("tf", "tf.reduce_logsumexp", "tf.reduce_sum"),
    },
    mistakes=[
        Mistake(_tc_no_log_n, "the mixtures' 1/N is missing: with it left out of the joint and "
                              "of every marginal the result is (d - 1) log N too small"),
        Mistake(_tc_weighted_sampling, "each term weighted 1/(N M), as minibatch-weighted "
                                       "sampling does: with the whole data set in the batch "
                                       "that is (d - 1) log N too large"),
        Mistake(_tc_own_marginals, "the marginals of the sample's own posterior q(z_ij | x_i): "
                                   "the marginals of q(z) are mixtures over every example "
                                   "(what you computed is minus the index-code MI)"),
    ],
    answer_name="total_correlation",
    rtol=1e-3,
    atol=2e-3,
)


# --------------------------------------------------------------------------- q2
def _mig(mi, entropies):
    mi, h = np.asarray(mi, np.float64), np.asarray(entropies, np.float64)
    top2 = -np.sort(-mi, axis=0)[:2]
    return float(((top2[0] - top2[1]) / h).mean())


def _mig_unnormalised(mi, entropies):
    top2 = -np.sort(-np.asarray(mi, np.float64), axis=0)[:2]
    return float((top2[0] - top2[1]).mean())


def _mig_per_code(mi, entropies):
    mi = np.asarray(mi, np.float64)
    top2 = -np.sort(-mi, axis=1)[:, :2]
    return float(((top2[:, 0] - top2[:, 1]) / np.asarray(entropies).mean()).mean())


def _mig_best_only(mi, entropies):
    return float((np.asarray(mi, np.float64).max(axis=0) / np.asarray(entropies)).mean())


_Q2_CASES = [
    Case((np.array([[1.2, 0.05, 0.1],
                    [0.3, 0.9, 0.0],
                    [0.1, 0.4, 0.02],
                    [0.0, 0.1, 0.6]], np.float32),
          np.array([2.3, 1.1, 1.6], np.float32)),
         "four code dimensions, three factors of different entropies"),
    Case((np.array([[0.8, 0.2], [0.8, 0.1], [0.0, 0.5]], np.float32),
          np.array([1.0, 0.7], np.float32)),
         "factor 1 shared equally by two dimensions: its gap is 0"),
    Case((np.array([[1.5, 1.4, 0.9], [0.2, 0.3, 0.1]], np.float32),
          np.array([2.0, 1.5, 3.0], np.float32)),
         "one dimension is the best for every factor"),
    Case((np.array([[0.0, 0.0], [0.0, 0.0], [0.3, 0.0]], np.float32),
          np.array([0.5, 2.0], np.float32)),
         "a factor no dimension knows anything about"),
]

_Q2_TORCH = '''\
def mig_from_mi(mi, entropies):
    # per factor (a column): the largest and second-largest MI over code dimensions
    top2 = torch.topk(mi, k=2, dim=0).values
    gaps = (top2[0] - top2[1]) / entropies
    return gaps.mean()
'''
_Q2_TF = '''\
def mig_from_mi(mi, entropies):
    # per factor (a row of the transpose): the two largest MIs over code dimensions
    top2 = tf.math.top_k(tf.transpose(mi), k=2).values
    gaps = (top2[:, 0] - top2[:, 1]) / entropies
    return tf.reduce_mean(gaps)
'''
_Q2_WRONG_TORCH = [
    # The gap in nats: factors with more entropy count for more.
    '''\
def mig_from_mi(mi, entropies):
    top2 = torch.topk(mi, k=2, dim=0).values
    return (top2[0] - top2[1]).mean()
''',
    # The gap taken along each code dimension (over factors) instead of each factor.
    '''\
def mig_from_mi(mi, entropies):
    top2 = torch.topk(mi, k=2, dim=1).values
    return ((top2[:, 0] - top2[:, 1]) / entropies.mean()).mean()
''',
    # How much the best dimension knows, with no runner-up subtracted.
    '''\
def mig_from_mi(mi, entropies):
    return (mi.max(dim=0).values / entropies).mean()
''',
    # The best minus the worst dimension, not the runner-up.
    '''\
def mig_from_mi(mi, entropies):
    return ((mi.max(dim=0).values - mi.min(dim=0).values) / entropies).mean()
''',
]
_Q2_WRONG_TF = [
    '''\
def mig_from_mi(mi, entropies):
    top2 = tf.math.top_k(tf.transpose(mi), k=2).values
    return tf.reduce_mean(top2[:, 0] - top2[:, 1])
''',
    '''\
def mig_from_mi(mi, entropies):
    top2 = tf.math.top_k(mi, k=2).values
    return tf.reduce_mean((top2[:, 0] - top2[:, 1]) / tf.reduce_mean(entropies))
''',
    '''\
def mig_from_mi(mi, entropies):
    return tf.reduce_mean(tf.reduce_max(mi, axis=0) / entropies)
''',
    '''\
def mig_from_mi(mi, entropies):
    return tf.reduce_mean((tf.reduce_max(mi, axis=0) - tf.reduce_min(mi, axis=0)) / entropies)
''',
]

Q2 = Exercise(
    key="q2",
    title="MIG = mean over factors of (largest - second-largest I(z_j; v_k)) / H(v_k)",
    reference=_mig,
    cases=_Q2_CASES,
    hints=[
        "The matrix has one row per code dimension j and one column per factor k. The gap "
        "belongs to a factor: look down each column.",
        "For factor k take the largest and the second-largest entry of column k, subtract, "
        "and divide by H(v_k) so that every factor counts the same, whatever its entropy. "
        "MIG is the mean of these K numbers.",
        "torch.topk(mi, k=2, dim=0) or tf.math.top_k(tf.transpose(mi), k=2) give the two "
        "largest entries of each column.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={"torch": _Q2_WRONG_TORCH, "tensorflow": _Q2_WRONG_TF},
    mistakes=[
        Mistake(_mig_unnormalised, "the gaps are in nats: divide each by its factor's "
                                   "entropy H(v_k)"),
        Mistake(_mig_per_code, "the gap was taken along each code dimension (a row); MIG takes "
                               "it for each factor (a column)"),
        Mistake(_mig_best_only, "that is how much the best dimension knows; MIG subtracts the "
                                "runner-up, so that a factor spread over two dimensions scores 0"),
    ],
    answer_name="mig_from_mi",
    rtol=1e-4,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q3
# The ideal code of a "shapes" image: each factor has its own dimension, with the prior's
# N(0, 1) mapped onto the factor's uniform range by the normal CDF, x = Phi(z_x). The
# centre column is 10 + 8 x pixels from the left edge (vaebook.data.load_dataset).
def _q3_reference():
    return 8.0 * (norm.cdf(1.0) - norm.cdf(-1.0))


Q3 = Exercise(
    key="q3",
    title="an ideal code maps z_x ~ N(0, 1) to x = Phi(z_x); by how many pixels does the shape's "
          "centre move as z_x goes from -1 to +1?",
    reference=_q3_reference,
    hints=[
        "The centre column of a 'shapes' image is 10 + 8 x pixels from the left edge, for x in "
        "[0, 1] (see load_dataset's docstring).",
        "x = Phi(z), the standard normal CDF, so z = -1 and z = +1 give x = Phi(-1) and "
        "Phi(1): scipy.stats.norm.cdf. The move is 8 (Phi(1) - Phi(-1)) pixels: the traversal "
        "moves fastest near z = 0, where most of the prior's mass is.",
    ],
    solutions={"any": '''\
from scipy.stats import norm

# centre column = 10 + 8 x, and x = Phi(z): the offset 10 cancels in the difference
answer = 8 * (norm.cdf(1.0) - norm.cdf(-1.0))   # 5.46 pixels: 68% of the 8-pixel range
'''},
    wrong={"any": [
        # A linear map of z in [-2, 2] onto [0, 1]: half the range.
        "answer = 8 * 0.5\n",
        # The factor's change, not the pixels'.
        "from scipy.stats import norm\nanswer = norm.cdf(1.0) - norm.cdf(-1.0)\n",
        # One side of the traversal only.
        "from scipy.stats import norm\nanswer = 8 * (norm.cdf(1.0) - norm.cdf(0.0))\n",
        # The whole range.
        "answer = 8.0\n",
    ]},
    mistakes=[
        Mistake(lambda: 4.0, "that maps z linearly onto [0, 1]; the ideal code maps it by the "
                             "normal CDF, x = Phi(z)"),
        Mistake(lambda: norm.cdf(1.0) - norm.cdf(-1.0),
                "that is the change of x, in [0, 1]; the centre moves 8 pixels per unit of x"),
        Mistake(lambda: 8.0, "that is the whole range of x; z from -1 to +1 covers Phi(1) - "
                             "Phi(-1) of it"),
    ],
    answer_name="answer",
    rtol=1e-3,
    atol=1e-3,
)


# --------------------------------------------------------------------------- q4
def _q4_reference():
    # With M = N every term is weighted 1/N^2 instead of 1/N: log q(z_i) and each of the
    # d marginals come out log N too low, so TC = log q - sum_j log q_j gains (d - 1) log N.
    n, d = 1000, 10
    return (d - 1) * math.log(n)


Q4 = Exercise(
    key="q4",
    title="a batch holds all N = 1000 examples and the code has d = 10 dimensions: by how many "
          "nats does minibatch-weighted sampling overestimate the total correlation?",
    reference=_q4_reference,
    hints=[
        "With the whole data set in the batch the stratified estimate of q(z_i) is exact: 1/N "
        "times the sum of the N posteriors. Minibatch-weighted sampling weighs every one of the "
        "M = N terms by 1/(N M) instead.",
        "So its log q(z_i) is log M = log N too low, and so is each of the d marginals log "
        "q(z_ij). TC = log q(z_i) - sum_j log q(z_ij): count how many log N's survive.",
    ],
    solutions={"any": '''\
import math

n, d = 1000, 10
# joint: -log N; each of the d marginals: -log N; TC = joint - sum of marginals
answer = (d - 1) * math.log(n)   # 62.2 nats
'''},
    wrong={"any": [
        "import math\nanswer = 10 * math.log(1000)\n",
        "import math\nanswer = math.log(1000)\n",
        "import math\nanswer = -9 * math.log(1000)\n",
        "import math\nanswer = 9 * math.log2(1000)\n",
    ]},
    mistakes=[
        Mistake(lambda: 10 * math.log(1000), "the joint's log N cancels one of the d marginals' "
                                             "log N: d - 1 remain"),
        Mistake(lambda: math.log(1000), "every one of the d marginals is log N too low as well "
                                        "as the joint"),
        Mistake(lambda: -9 * math.log(1000), "the sign: log q(z) is too low, the marginals are "
                                             "too low d times over, so TC comes out too high"),
        Mistake(lambda: 9 * math.log2(1000), "that is in bits; the book's logs are natural, in "
                                             "nats"),
    ],
    answer_name="answer",
    rtol=1e-4,
    atol=1e-4,
)


EXERCISES = ExerciseSet("ch7", [Q1, Q2, Q3, Q4])
