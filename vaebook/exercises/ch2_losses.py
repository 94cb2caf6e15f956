"""Exercises of chapter 2, MSE vs. cross-entropy (``load("ch2")``).

q1  binary cross-entropy from logits, per example, stable at logits of ±100;
q2  the scale and the constant that turn a squared error into a Gaussian NLL (a value);
q3  the gradients of the two losses with respect to the logit, through a sigmoid;
q4  the floor of binary cross-entropy on grey-level targets: their entropy.

Every case is built in float64 from float32 values, so the NumPy reference and the
reader's float32 tensors see exactly the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Case, Exercise, ExerciseSet


def _f32(a) -> np.ndarray:
    """Round to float32 and back: the values the reader's tensors will hold."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def _per_example(t: np.ndarray) -> np.ndarray:
    """(B, ...) -> (B,): sum over every axis but the first."""
    return t.reshape(t.shape[0], -1).sum(axis=1)


_rng = np.random.default_rng(2)

# ------------------------------------------------------------------ q1: stable BCE from logits


def _bce_ref(logits, x):
    # max(l, 0) - l x + log(1 + exp(-|l|)): no exp of a large positive number anywhere.
    return _per_example(np.maximum(logits, 0.0) - logits * x + np.log1p(np.exp(-np.abs(logits))))


_extreme_logits = _f32([[100.0, -100.0, 100.0, -100.0], [30.0, -30.0, 20.0, -20.0]])
_extreme_x = _f32([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]])

_Q1_CASES = [
    Case((_f32(_rng.normal(0, 3, (4, 6))), _f32(_rng.integers(0, 2, (4, 6)))),
         "binary targets, moderate logits (B=4, D=6)"),
    Case((_f32(_rng.normal(0, 2, (3, 5))), _f32(_rng.uniform(size=(3, 5)))),
         "grey-level targets in [0, 1]"),
    Case((_extreme_logits, _extreme_x),
         "logits of ±100, ±30, ±20, half of them confidently wrong"),
    Case((_f32(_rng.normal(0, 4, (2, 3, 3))), _f32(_rng.integers(0, 2, (2, 3, 3)))),
         "images (B=2, 3x3): sum over both pixel axes"),
    Case((np.zeros((1, 5)), _f32(_rng.integers(0, 2, (1, 5)))),
         "logits 0: every pixel costs log 2"),
]

_Q1_TORCH = '''\
def bce_from_logits(logits, x):
    # max(l, 0) - l*x + log(1 + exp(-|l|)): exp never sees a large positive number.
    per_pixel = torch.clamp(logits, min=0) - logits * x + torch.log1p(torch.exp(-logits.abs()))
    return per_pixel.reshape(per_pixel.shape[0], -1).sum(dim=1)   # (B,): sum over pixels
'''

_Q1_TF = '''\
def bce_from_logits(logits, x):
    # max(l, 0) - l*x + log(1 + exp(-|l|)): exp never sees a large positive number.
    per_pixel = tf.maximum(logits, 0.0) - logits * x + tf.math.log1p(tf.exp(-tf.abs(logits)))
    return tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(per_pixel)[0], -1]), axis=1)
'''

_Q1_WRONG_TORCH = [
    # Through the probabilities: 1 - sigmoid(20) is 0 in float32, and log 0 = -inf.
    "def bce_from_logits(logits, x):\n"
    "    p = torch.sigmoid(logits)\n"
    "    nll = -(x * torch.log(p) + (1 - x) * torch.log(1 - p))\n"
    "    return nll.reshape(nll.shape[0], -1).sum(dim=1)\n",
    # The (1 - x) log(1 - p) term dropped.
    "def bce_from_logits(logits, x):\n"
    "    nll = -x * torch.nn.functional.logsigmoid(logits)\n"
    "    return nll.reshape(nll.shape[0], -1).sum(dim=1)\n",
    # log(1 + exp(l)) written out: exp(100) overflows float32.
    "def bce_from_logits(logits, x):\n"
    "    nll = torch.log1p(torch.exp(logits)) - logits * x\n"
    "    return nll.reshape(nll.shape[0], -1).sum(dim=1)\n",
    # Averaged over pixels, as nn.BCEWithLogitsLoss does by default.
    "def bce_from_logits(logits, x):\n"
    "    nll = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction='none')\n"
    "    return nll.reshape(nll.shape[0], -1).mean(dim=1)\n",
]

_Q1_WRONG_TF = [
    "def bce_from_logits(logits, x):\n"
    "    p = tf.sigmoid(logits)\n"
    "    nll = -(x * tf.math.log(p) + (1 - x) * tf.math.log(1 - p))\n"
    "    return tf.reduce_sum(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=1)\n",
    "def bce_from_logits(logits, x):\n"
    "    nll = -x * tf.math.log_sigmoid(logits)\n"
    "    return tf.reduce_sum(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=1)\n",
    "def bce_from_logits(logits, x):\n"
    "    nll = tf.math.log1p(tf.exp(logits)) - logits * x\n"
    "    return tf.reduce_sum(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=1)\n",
    # Keras' binary_crossentropy averages over the last axis.
    "def bce_from_logits(logits, x):\n"
    "    nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)\n"
    "    return tf.reduce_mean(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=1)\n",
]

q1 = Exercise(
    key="q1",
    title="Write binary cross-entropy from logits, summed over the pixels of each example, "
          "finite for logits of ±100.",
    reference=_bce_ref,
    cases=_Q1_CASES,
    hints=[
        "Do not form sigmoid(logits) at all: in float32, sigmoid(20) rounds to 1 and "
        "log(1 - 1) = -inf. Write -x log sigmoid(l) - (1 - x) log(1 - sigmoid(l)) in terms of l.",
        "The per-pixel loss simplifies to l - l*x + log(1 + exp(-l)). For very negative l "
        "(below about -88 in float32), exp(-l) overflows to inf; rewrite it as "
        "max(l, 0) - l*x + log(1 + exp(-|l|)), which never exponentiates a positive number.",
        "Return one number per example: reshape to (B, -1) and sum over the second axis "
        "(a sum, not a mean: the book's losses are per example, summed over pixels).",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={"torch": _Q1_WRONG_TORCH, "tensorflow": _Q1_WRONG_TF},
    answer_name="bce_from_logits",
)

# ------------------------------------------------------------------ q2: Gaussian NLL constants

_Q2_D, _Q2_SIGMA = 784, 0.1


def _constants_ref():
    scale = 1.0 / (2.0 * _Q2_SIGMA**2)
    constant = _Q2_D / 2.0 * math.log(2.0 * math.pi * _Q2_SIGMA**2)
    return (scale, constant)


_Q2_SOLUTION = '''\
import math

D, sigma_x = 784, 0.1
# -log N(x; x_hat, sigma^2 I) = ||x - x_hat||^2 / (2 sigma^2) + D/2 * log(2 pi sigma^2)
nll_constants = (1 / (2 * sigma_x**2), D / 2 * math.log(2 * math.pi * sigma_x**2))
'''

_Q2_WRONG = [
    # The 1/2 forgotten in the scale.
    "import math\nnll_constants = (1 / 0.1**2, 784 / 2 * math.log(2 * math.pi * 0.1**2))\n",
    # The variance left out of the constant (the unit-variance constant).
    "import math\nnll_constants = (1 / (2 * 0.1**2), 784 / 2 * math.log(2 * math.pi))\n",
    # Standard deviation where the variance belongs.
    "import math\nnll_constants = (1 / (2 * 0.1), 784 / 2 * math.log(2 * math.pi * 0.1))\n",
    # The constant's sign flipped (a log-likelihood's constant, not the NLL's).
    "import math\nnll_constants = (1 / (2 * 0.1**2), -784 / 2 * math.log(2 * math.pi * 0.1**2))\n",
]

q2 = Exercise(
    key="q2",
    title="For D = 784 pixels and sigma_x = 0.1, write -log N(x; x_hat, sigma_x^2 I) as "
          "a * ||x - x_hat||^2 + b and give (a, b).",
    reference=_constants_ref,
    hints=[
        "Write the density of one pixel, (2 pi sigma^2)^(-1/2) exp(-(x - x_hat)^2 / (2 sigma^2)), "
        "take minus its log, and sum over the D independent pixels.",
        "a multiplies the squared error; b collects everything that does not depend on x_hat. "
        "With sigma_x < 1/sqrt(2 pi) the constant b is negative: a density can exceed 1.",
    ],
    solutions={"any": _Q2_SOLUTION},
    wrong={"any": _Q2_WRONG},
    answer_name="nll_constants",
)

# ------------------------------------------------------------------ q3: gradients wrt the logit


def _sigmoid(logits):
    return 0.5 * (1.0 + np.tanh(0.5 * logits))  # no overflow for any logit


def _grads_ref(logits, x):
    p = _sigmoid(logits)
    return ((p - x) * p * (1.0 - p), p - x)


_Q3_CASES = [
    Case((_f32(_rng.normal(0, 2, (3, 4))), _f32(_rng.integers(0, 2, (3, 4)))),
         "binary targets, moderate logits"),
    Case((_f32([[-12.0, -8.0, 8.0, 12.0]]), _f32([[1.0, 1.0, 0.0, 0.0]])),
         "saturated on the wrong side"),
    Case((_f32([[-12.0, -6.0, 6.0, 12.0]]), _f32([[0.0, 0.0, 1.0, 1.0]])),
         "saturated on the right side"),
    Case((_f32(_rng.normal(0, 1, (2, 5))), _f32(_rng.uniform(size=(2, 5)))),
         "grey-level targets"),
    Case((np.zeros((2, 2)), _f32([[0.0, 1.0], [0.25, 0.5]])), "logit 0: prediction 1/2"),
]

_Q3_TORCH = '''\
def logit_gradients(logits, x):
    x_hat = torch.sigmoid(logits)
    grad_sq = (x_hat - x) * x_hat * (1 - x_hat)   # chain rule through the sigmoid
    grad_bce = x_hat - x                          # the sigmoid's slope cancels
    return grad_sq, grad_bce
'''

_Q3_TF = '''\
def logit_gradients(logits, x):
    x_hat = tf.sigmoid(logits)
    grad_sq = (x_hat - x) * x_hat * (1 - x_hat)   # chain rule through the sigmoid
    grad_bce = x_hat - x                          # the sigmoid's slope cancels
    return grad_sq, grad_bce
'''

_Q3_WRONG_TORCH = [
    # The sigmoid's derivative forgotten: the squared error's gradient with respect to x_hat.
    "def logit_gradients(logits, x):\n"
    "    x_hat = torch.sigmoid(logits)\n"
    "    return x_hat - x, x_hat - x\n",
    # BCE differentiated with respect to x_hat instead of the logit.
    "def logit_gradients(logits, x):\n"
    "    x_hat = torch.sigmoid(logits)\n"
    "    return (x_hat - x) * x_hat * (1 - x_hat), (x_hat - x) / (x_hat * (1 - x_hat))\n",
    # The squared error without its 1/2.
    "def logit_gradients(logits, x):\n"
    "    x_hat = torch.sigmoid(logits)\n"
    "    return 2 * (x_hat - x) * x_hat * (1 - x_hat), x_hat - x\n",
    # The two outputs swapped.
    "def logit_gradients(logits, x):\n"
    "    x_hat = torch.sigmoid(logits)\n"
    "    return x_hat - x, (x_hat - x) * x_hat * (1 - x_hat)\n",
]

_Q3_WRONG_TF = [
    "def logit_gradients(logits, x):\n"
    "    x_hat = tf.sigmoid(logits)\n"
    "    return x_hat - x, x_hat - x\n",
    "def logit_gradients(logits, x):\n"
    "    x_hat = tf.sigmoid(logits)\n"
    "    return (x_hat - x) * x_hat * (1 - x_hat), (x_hat - x) / (x_hat * (1 - x_hat))\n",
    "def logit_gradients(logits, x):\n"
    "    x_hat = tf.sigmoid(logits)\n"
    "    return 2 * (x_hat - x) * x_hat * (1 - x_hat), x_hat - x\n",
    "def logit_gradients(logits, x):\n"
    "    x_hat = tf.sigmoid(logits)\n"
    "    return x_hat - x, (x_hat - x) * x_hat * (1 - x_hat)\n",
]

q3 = Exercise(
    key="q3",
    title="Return the gradients, with respect to the logit l, of 1/2 (sigmoid(l) - x)^2 and "
          "of the binary cross-entropy, element by element.",
    reference=_grads_ref,
    cases=_Q3_CASES,
    hints=[
        "Chain rule: d/dl = d/dx_hat * dx_hat/dl, and the sigmoid's slope is "
        "dx_hat/dl = x_hat (1 - x_hat).",
        "For the cross-entropy, d/dx_hat = (x_hat - x) / (x_hat (1 - x_hat)): the sigmoid's "
        "slope cancels it exactly. For the squared error it stays, and it is tiny where "
        "the sigmoid is flat.",
        "Return a pair (grad_sq, grad_bce), each with the shape of the logits. Autodiff "
        "(torch.autograd.grad, tf.GradientTape) of the summed losses gives the same numbers.",
    ],
    solutions={"torch": _Q3_TORCH, "tensorflow": _Q3_TF},
    wrong={"torch": _Q3_WRONG_TORCH, "tensorflow": _Q3_WRONG_TF},
    answer_name="logit_gradients",
    # Saturated gradients are ~1e-6: an absolute tolerance of 1e-5 would let 0 pass.
    rtol=1e-3,
    atol=1e-7,
)

# ------------------------------------------------------------------ q4: the entropy floor


def _entropy_ref(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(x > 0, x * np.log(x), 0.0) + np.where(x < 1, (1 - x) * np.log1p(-x), 0.0))
    return _per_example(h)


_Q4_CASES = [
    Case((_f32(_rng.uniform(size=(3, 5))),), "grey levels in (0, 1)"),
    Case((_f32([[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]),),
         "binary targets: the floor is 0 (0 log 0 counts as 0)"),
    Case((_f32([[0.0, 0.25, 0.5, 0.75, 1.0]]),), "a mix of 0, 1 and grey levels"),
    Case((np.full((2, 6), 0.5),), "every pixel 1/2: D log 2"),
    Case((_f32(_rng.uniform(size=(2, 3, 4))),), "images (B=2, 3x4): sum over both axes"),
]

_Q4_TORCH = '''\
def bce_floor(x):
    # xlogy(a, a) = a log a, and 0 where a == 0: the limit of a log a at 0.
    h = -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))
    return h.reshape(h.shape[0], -1).sum(dim=1)   # (B,): nats per example
'''

_Q4_TF = '''\
def bce_floor(x):
    # xlogy(a, a) = a log a, and 0 where a == 0: the limit of a log a at 0.
    h = -(tf.math.xlogy(x, x) + tf.math.xlogy(1 - x, 1 - x))
    return tf.reduce_sum(tf.reshape(h, [tf.shape(h)[0], -1]), axis=1)
'''

_Q4_WRONG_TORCH = [
    # 0 * log 0 = 0 * (-inf) = NaN on binary pixels.
    "def bce_floor(x):\n"
    "    h = -(x * torch.log(x) + (1 - x) * torch.log(1 - x))\n"
    "    return h.reshape(h.shape[0], -1).sum(dim=1)\n",
    # Only the x log x half of the entropy.
    "def bce_floor(x):\n"
    "    h = -torch.special.xlogy(x, x)\n"
    "    return h.reshape(h.shape[0], -1).sum(dim=1)\n",
    # In bits, not nats.
    "def bce_floor(x):\n"
    "    h = -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x)) / np.log(2)\n"
    "    return h.reshape(h.shape[0], -1).sum(dim=1)\n",
    # Averaged over pixels.
    "def bce_floor(x):\n"
    "    h = -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))\n"
    "    return h.reshape(h.shape[0], -1).mean(dim=1)\n",
]

_Q4_WRONG_TF = [
    "def bce_floor(x):\n"
    "    h = -(x * tf.math.log(x) + (1 - x) * tf.math.log(1 - x))\n"
    "    return tf.reduce_sum(tf.reshape(h, [tf.shape(h)[0], -1]), axis=1)\n",
    "def bce_floor(x):\n"
    "    h = -tf.math.xlogy(x, x)\n"
    "    return tf.reduce_sum(tf.reshape(h, [tf.shape(h)[0], -1]), axis=1)\n",
    "def bce_floor(x):\n"
    "    h = -(tf.math.xlogy(x, x) + tf.math.xlogy(1 - x, 1 - x)) / np.log(2)\n"
    "    return tf.reduce_sum(tf.reshape(h, [tf.shape(h)[0], -1]), axis=1)\n",
    "def bce_floor(x):\n"
    "    h = -(tf.math.xlogy(x, x) + tf.math.xlogy(1 - x, 1 - x))\n"
    "    return tf.reduce_mean(tf.reshape(h, [tf.shape(h)[0], -1]), axis=1)\n",
]

q4 = Exercise(
    key="q4",
    title="Return the smallest binary cross-entropy any decoder can reach on targets x: "
          "the entropy of Bernoulli(x), summed over pixels, one number per example.",
    reference=_entropy_ref,
    cases=_Q4_CASES,
    hints=[
        "The cross-entropy -[x log x_hat + (1 - x) log(1 - x_hat)] is smallest at x_hat = x, "
        "where it equals the entropy H(x) = -[x log x + (1 - x) log(1 - x)].",
        "At x = 0 or x = 1 the entropy is 0, but 0 * log 0 evaluates to NaN. Use xlogy "
        "(torch.special.xlogy, tf.math.xlogy), which defines 0 * log 0 as 0.",
        "Natural logarithms (nats), summed over the pixels of each example.",
    ],
    solutions={"torch": _Q4_TORCH, "tensorflow": _Q4_TF},
    wrong={"torch": _Q4_WRONG_TORCH, "tensorflow": _Q4_WRONG_TF},
    answer_name="bce_floor",
)

EXERCISES = ExerciseSet("ch2", [q1, q2, q3, q4])
