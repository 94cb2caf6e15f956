"""Exercises of chapter 8, Tighter bounds, richer posteriors, learned priors.

q1  the IWAE loss from log-weights, and its gradient weights (function)
q2  a planar flow's log-determinant (function)
q3  Burda et al.'s VAE log-likelihood in bits per dimension (value)
q4  bits per dimension of 8-bit images from a density on dequantised data (function)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp, softmax

from ._core import Case, Exercise, ExerciseSet, Mistake
from ._helpers import normal_sampler

_f = normal_sampler(8)


# --------------------------------------------------------------------------- q1
def _iwae_loss_and_weights(log_w):
    log_w = np.asarray(log_w, np.float64)
    k = log_w.shape[0]
    return (-(logsumexp(log_w, axis=0) - math.log(k)), softmax(log_w, axis=0))


_Q1_CASES = [
    Case((_f(6, 4, scale=2.0),), "6 samples of 4 examples"),
    Case((_f(1, 3),), "k = 1: the loss is -log w, the one weight is 1"),
    Case((np.array([[-1000.0, 5.0, 0.0], [-1001.0, 5.0, 0.0], [-1003.0, 5.0, 30.0],
                    [-1000.5, 5.0, 0.0], [-1002.0, 5.0, 0.0]], np.float32),),
         "log-weights of -1000 (exp underflows), equal ones, and one sample far ahead"),
    Case((np.array([[200.0, 10.0], [201.0, 12.0], [199.0, 11.0]], np.float32),),
         "log-weights of 200: exp overflows float32"),
]

_Q1_TORCH = '''\
import math

def iwae_loss_and_weights(log_w):
    k = log_w.shape[0]
    loss = -(torch.logsumexp(log_w, dim=0) - math.log(k))  # -L_k, shape (B,)
    weights = torch.softmax(log_w, dim=0)                   # over the k samples
    return loss, weights
'''
_Q1_TF = '''\
import math

def iwae_loss_and_weights(log_w):
    k = log_w.shape[0]
    loss = -(tf.reduce_logsumexp(log_w, axis=0) - math.log(k))  # -L_k, shape (B,)
    weights = tf.nn.softmax(log_w, axis=0)                       # over the k samples
    return loss, weights
'''


def _q1_wrong(lib):
    lse = "torch.logsumexp(log_w, dim=0)" if lib == "torch" else "tf.reduce_logsumexp(log_w, axis=0)"
    soft0 = "torch.softmax(log_w, dim=0)" if lib == "torch" else "tf.nn.softmax(log_w, axis=0)"
    soft1 = "torch.softmax(log_w, dim=1)" if lib == "torch" else "tf.nn.softmax(log_w, axis=1)"
    mean = "log_w.mean(dim=0)" if lib == "torch" else "tf.reduce_mean(log_w, axis=0)"
    ones = "torch.ones_like(log_w) / k" if lib == "torch" else "tf.ones_like(log_w) / k"
    exp = "torch.exp" if lib == "torch" else "tf.exp"
    ksum = ("w.sum(dim=0, keepdim=True)" if lib == "torch"
            else "tf.reduce_sum(w, axis=0, keepdims=True)")
    head = "import math\n\ndef iwae_loss_and_weights(log_w):\n    k = log_w.shape[0]\n"
    return [
        # The VAE's k-sample objective: the log inside the mean, every sample weighted 1/k.
        head + f"    return -{mean}, {ones}\n",
        # log-sum-exp without the 1/k: the loss is log k too small.
        head + f"    return -{lse}, {soft0}\n",
        # The softmax over the batch instead of over the samples.
        head + f"    return -({lse} - math.log(k)), {soft1}\n",
        # Weights normalised by hand from exp(log w): 0/0 or inf/inf at extreme log-weights.
        head + f"    w = {exp}(log_w)\n    return -({lse} - math.log(k)), w / {ksum}\n",
    ]


def _q1_vae_mistake(log_w):
    log_w = np.asarray(log_w, np.float64)
    return (-log_w.mean(axis=0), np.full(log_w.shape, 1.0 / log_w.shape[0]))


def _q1_no_log_k(log_w):
    loss, w = _iwae_loss_and_weights(log_w)
    return (loss - math.log(np.shape(log_w)[0]), w)


def _q1_batch_softmax(log_w):
    loss, _ = _iwae_loss_and_weights(log_w)
    return (loss, softmax(np.asarray(log_w, np.float64), axis=1))


Q1 = Exercise(
    key="q1",
    title="From log-weights of shape (k, B): the IWAE loss -L_k per example, shape (B,), and "
          "the gradient weights w_i / sum_j w_j, shape (k, B)",
    reference=_iwae_loss_and_weights,
    cases=_Q1_CASES,
    hints=[
        "L_k = log (1/k) sum_i w_i = logsumexp_i(log w_i) - log k. The samples are on axis 0; "
        "keep the batch axis. The loss is -L_k.",
        "Differentiate L_k with respect to log w_i: exp(log w_i) / sum_j exp(log w_j), a "
        "softmax over the same axis 0. Your framework's softmax never forms exp of a large "
        "number.",
        "For k = 1 the loss must be -log w and the weight 1; with all log-weights equal, "
        "every weight is 1/k.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={"torch": _q1_wrong("torch"), "tensorflow": _q1_wrong("tf")},
    mistakes=[
        Mistake(_q1_vae_mistake, "that is the VAE's k-sample objective (the mean of log w, "
                "each sample weighted 1/k); the IWAE takes the log of the mean of w"),
        Mistake(_q1_no_log_k, "the loss is log k too small: subtract log k from the "
                "log-sum-exp (the bound has a mean of the weights, not a sum)"),
        Mistake(_q1_batch_softmax, "the weights are normalised over the batch (axis 1); "
                "normalise over the k samples of each example (axis 0)"),
    ],
    answer_name="iwae_loss_and_weights",
    output_names=("loss", "weights"),
    rtol=1e-5,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q2
def _planar_log_det(z, u, w, b):
    z, u, w = (np.asarray(a, np.float64) for a in (z, u, w))
    a = z @ w + float(b)
    psi = (1.0 - np.tanh(a) ** 2)[:, None] * w  # (B, d)
    return np.log(np.abs(1.0 + psi @ u))


def _q2_case(n, d, scale_z=1.0, wu=None):
    z, u, w = _f(n, d, scale=scale_z), _f(d), _f(d)
    if wu is not None:  # move u along w so that w.u equals wu
        w64 = w.astype(np.float64)
        u = (u + (wu - float(w64 @ u)) * w64 / float(w64 @ w64)).astype(np.float32)
    return (z, u, w, np.float32(0.3))


_Q2_CASES = [
    Case(_q2_case(5, 2), "five points in two dimensions"),
    Case(_q2_case(4, 1), "one dimension: f is a scalar function"),
    Case(_q2_case(6, 3, wu=-2.5), "w.u = -2.5: the determinant is negative near w.z + b = 0"),
    Case(_q2_case(4, 4, scale_z=6.0), "points far out, where tanh saturates and det -> 1"),
    Case(_q2_case(3, 5, wu=4.0), "w.u = 4: a strong expansion"),
]

_Q2_TORCH = '''\
def planar_log_det(z, u, w, b):
    a = z @ w + b                              # (B,)
    psi = (1 - torch.tanh(a) ** 2)[:, None] * w  # tanh'(a) w, shape (B, d)
    return torch.log(torch.abs(1 + psi @ u))
'''
_Q2_TF = '''\
def planar_log_det(z, u, w, b):
    a = tf.linalg.matvec(z, w) + b              # (B,)
    psi = (1 - tf.tanh(a) ** 2)[:, None] * w    # tanh'(a) w, shape (B, d)
    return tf.math.log(tf.abs(1 + tf.linalg.matvec(psi, u)))
'''


def _q2_variant(code, old, new):
    assert old in code, old
    return code.replace(old, new)


def _q2_wrong(code, fw):
    abs_call = "torch.abs(1 + psi @ u)" if fw == "torch" else "tf.abs(1 + tf.linalg.matvec(psi, u))"
    no_abs = "(1 + psi @ u)" if fw == "torch" else "(1 + tf.linalg.matvec(psi, u))"
    tanh = "torch.tanh" if fw == "torch" else "tf.tanh"
    return [
        # tanh itself where its derivative belongs.
        _q2_variant(code, f"(1 - {tanh}(a) ** 2)", f"{tanh}(a)"),
        # The log of a negative determinant: NaN where w.u < -1.
        _q2_variant(code, abs_call, no_abs),
        # A "diagonal" Jacobian: the log-determinant summed over dimensions.
        _q2_variant(code, f"return {'torch.log' if fw == 'torch' else 'tf.math.log'}({abs_call})",
                    "return " + ("torch.log(torch.abs(1 + psi * u)).sum(dim=1)" if fw == "torch"
                                 else "tf.reduce_sum(tf.math.log(tf.abs(1 + psi * u)), axis=1)")),
        # tanh'(a) written as 1 - tanh(a), without the square.
        _q2_variant(code, f"(1 - {tanh}(a) ** 2)", f"(1 - {tanh}(a))"),
    ]


def _q2_tanh_not_derivative(z, u, w, b):
    z, u, w = (np.asarray(a, np.float64) for a in (z, u, w))
    a = z @ w + float(b)
    return np.log(np.abs(1.0 + (np.tanh(a)[:, None] * w) @ u))


def _q2_diagonal(z, u, w, b):
    z, u, w = (np.asarray(a, np.float64) for a in (z, u, w))
    psi = (1.0 - np.tanh(z @ w + float(b)) ** 2)[:, None] * w
    return np.log(np.abs(1.0 + psi * u)).sum(axis=1)


def _q2_one_minus_tanh(z, u, w, b):
    z, u, w = (np.asarray(a, np.float64) for a in (z, u, w))
    psi = (1.0 - np.tanh(z @ w + float(b)))[:, None] * w
    return np.log(np.abs(1.0 + psi @ u))


Q2 = Exercise(
    key="q2",
    title="log |det df/dz| of the planar flow f(z) = z + u tanh(w.z + b), for z of shape "
          "(B, d), u and w of shape (d,), a scalar b: one value per row",
    reference=_planar_log_det,
    cases=_Q2_CASES,
    hints=[
        "The Jacobian is I + u psi(z)^T with psi(z) = tanh'(w.z + b) w, a rank-one update of "
        "the identity.",
        "The matrix determinant lemma: det(I + u psi^T) = 1 + psi^T u. So the log-determinant "
        "is log |1 + tanh'(a) (w.u)|, with tanh'(a) = 1 - tanh(a)^2.",
        "Keep the absolute value: here u is the raw parameter, and with w.u < -1 the "
        "determinant is negative near w.z + b = 0 (the map is not invertible there, which is "
        "why the package moves u to u_hat).",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={"torch": _q2_wrong(_Q2_TORCH, "torch"), "tensorflow": _q2_wrong(_Q2_TF, "tf")},
    mistakes=[
        Mistake(_q2_tanh_not_derivative, "tanh(a) where its derivative 1 - tanh(a)^2 belongs"),
        Mistake(_q2_diagonal, "the Jacobian I + u psi^T is not diagonal: its determinant is "
                "1 + psi.u (the matrix determinant lemma), not a product over dimensions"),
        Mistake(_q2_one_minus_tanh, "tanh'(a) is 1 - tanh(a)^2: the square is missing"),
    ],
    answer_name="planar_log_det",
    rtol=1e-4,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q3
_BURDA_VAE_NATS, _MNIST_DIMS = 86.76, 784


def _q3_reference():
    return _BURDA_VAE_NATS / (_MNIST_DIMS * math.log(2))


_Q3_SOLUTION = '''\
import math
nats, pixels = 86.76, 28 * 28
answer = nats / (pixels * math.log(2))   # nats -> bits: divide by log 2; per dimension: by D
'''

Q3 = Exercise(
    key="q3",
    title="Burda et al.'s VAE reaches -86.76 nats per image on binarised MNIST (28 x 28): give "
          "its negative log-likelihood in bits per dimension",
    reference=_q3_reference,
    hints=[
        "One nat is 1 / log 2 bits: a number of nats divided by log 2 is the same amount in bits.",
        "Per dimension means per pixel: divide by the 784 pixels of an image.",
    ],
    solutions={"any": _Q3_SOLUTION},
    wrong={"any": [
        "answer = 86.76 / 784\n",                       # nats per dim, not bits
        "import math\nanswer = 86.76 / math.log(2)\n",  # bits per image
        "import math\nanswer = 86.76 * math.log(2) / 784\n",  # multiplied by log 2
        "import math\nanswer = 86.76 / (28 * math.log(2))\n",  # per row of pixels
    ]},
    mistakes=[
        Mistake(lambda: _BURDA_VAE_NATS / _MNIST_DIMS,
                "that is nats per dimension; one nat is 1/log 2 = 1.44 bits"),
        Mistake(lambda: _BURDA_VAE_NATS / math.log(2),
                "that is bits per image; divide by the number of pixels too"),
        Mistake(lambda: _BURDA_VAE_NATS * math.log(2) / _MNIST_DIMS,
                "multiplied by log 2: nats to bits divides by log 2"),
    ],
    answer_name="answer",
    rtol=1e-4,
    atol=1e-6,
)


# --------------------------------------------------------------------------- q4
def _discrete_bits_per_dim(log_density, n_dims, levels):
    log_density = np.asarray(log_density, np.float64)
    return (-log_density + n_dims * math.log(levels)) / (n_dims * math.log(2))


_Q4_CASES = [
    Case((np.array([0.0, 100.0, -50.0]), 784, 256), "8-bit MNIST-sized images"),
    Case((np.array([2000.0, 3500.0]), 3072, 256), "CIFAR-10-sized images (32 x 32 x 3)"),
    Case((np.array([-20.0, 15.0, 40.0]), 64, 17), "the 8 x 8 digits, 17 levels"),
    Case((np.array([0.0]), 10, 2), "a uniform density on binary data: 1 bit per dimension"),
]

_Q4_SOLUTION = '''\
import math

def discrete_bits_per_dim(log_density, n_dims, levels):
    # -log P(x) <= -log p(y) + D log L  (the density's bins have width 1/L), then nats -> bits/dim.
    nll = -log_density + n_dims * math.log(levels)
    return nll / (n_dims * math.log(2))
'''

Q4 = Exercise(
    key="q4",
    title="A density on images dequantised to [0, 1) gives log p(y) nats per image; give the "
          "bits per dimension of the discrete images (D dimensions, L levels), per image",
    reference=_discrete_bits_per_dim,
    cases=_Q4_CASES,
    hints=[
        "The pixels were rescaled by 1/L, so each discrete value owns a bin of width 1/L: its "
        "probability is about the density times (1/L)^D. In logs: log P(x) >= log p(y) - D log L.",
        "Then the negative log-likelihood in nats, divided by D log 2.",
    ],
    solutions={"torch": _Q4_SOLUTION, "tensorflow": _Q4_SOLUTION},
    wrong={fw: [
        # The density's own number: no D log L, so a sharp density gives negative bits.
        "import math\n\ndef discrete_bits_per_dim(log_density, n_dims, levels):\n"
        "    return -log_density / (n_dims * math.log(2))\n",
        # log(L - 1): the 255 of the /255 scaling instead of the 256 bins.
        "import math\n\ndef discrete_bits_per_dim(log_density, n_dims, levels):\n"
        "    return (-log_density + n_dims * math.log(levels - 1)) / (n_dims * math.log(2))\n",
        # The correction subtracted instead of added.
        "import math\n\ndef discrete_bits_per_dim(log_density, n_dims, levels):\n"
        "    return (-log_density - n_dims * math.log(levels)) / (n_dims * math.log(2))\n",
    ] for fw in ("torch", "tensorflow")},
    mistakes=[
        Mistake(lambda lp, d, L: -np.asarray(lp, np.float64) / (d * math.log(2)),
                "the density on [0, 1) is not a probability of the images: add D log L "
                "(log L bits per dimension)"),
        Mistake(lambda lp, d, L: (-np.asarray(lp, np.float64) + d * math.log(L - 1))
                / (d * math.log(2)),
                "the bins have width 1/L (L levels), not 1/(L - 1)"),
    ],
    answer_name="discrete_bits_per_dim",
    rtol=1e-6,
    atol=1e-8,
)


EXERCISES = ExerciseSet("ch8", [Q1, Q2, Q3, Q4])
