"""Exercises of chapter 6, The KL term in practice.

q1  the free-bits KL of a batch (function)
q2  counting active units (function)
q3  the effective beta of a loss scaled like a popular implementation's (value)
q4  how much rate, in bits, free bits leave without cost (value)
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Case, Exercise, ExerciseSet, Mistake
from ._helpers import normal_sampler

_f = normal_sampler(6)


# --------------------------------------------------------------------------- q1
def _kl_dims(mu, logvar):
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)


def _free_bits(mu, logvar, lam):
    kl = _kl_dims(mu, logvar)
    below = kl.mean(axis=0) < float(lam)
    return np.where(below[None, :], float(lam), kl).sum(axis=1)


def _q1_case(n, d, scales, lam):
    mu = (_f(n, d) * np.asarray(scales, np.float32)).astype(np.float32)
    logvar = (0.2 * _f(n, d) - 0.1).astype(np.float32)
    return (mu, logvar, np.float32(lam))


_Q1_CASES = [
    Case(_q1_case(6, 4, [0.05, 0.5, 1.0, 2.0], 0.25), "one dimension below the floor"),
    Case(_q1_case(5, 3, [1.0, 1.5, 2.0], 0.1), "every dimension above the floor"),
    Case(_q1_case(4, 3, [0.01, 0.02, 0.03], 0.5), "every dimension below the floor"),
    Case(_q1_case(8, 2, [0.6, 0.0], 0.2),
         "a dimension whose KL crosses the floor for some examples only"),
]

_Q1_TORCH = '''\
def free_bits(mu, logvar, lam):
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)   # (B, d): KL per dimension
    below = kl.mean(dim=0, keepdim=True) < lam       # batch-mean KL under the floor
    return torch.where(below, torch.full_like(kl, float(lam)), kl).sum(dim=1)
'''
_Q1_TF = '''\
def free_bits(mu, logvar, lam):
    kl = 0.5 * (mu**2 + tf.exp(logvar) - 1 - logvar)           # (B, d)
    below = tf.reduce_mean(kl, axis=0, keepdims=True) < lam   # under the floor
    return tf.reduce_sum(tf.where(below, tf.fill(tf.shape(kl), lam), kl), axis=1)
'''


def _q1_wrong(fw):
    t = fw == "torch"
    kl = ("    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)\n" if t
          else "    kl = 0.5 * (mu**2 + tf.exp(logvar) - 1 - logvar)\n")
    head = "def free_bits(mu, logvar, lam):\n" + kl
    if t:
        return [
            head + "    return torch.clamp(kl.mean(0), min=float(lam)).sum()"
                   " * torch.ones(len(mu))\n",
            head + "    return torch.clamp(kl, min=float(lam)).sum(dim=1)\n",
            head + "    return torch.clamp(kl.sum(dim=1), min=float(lam))\n",
            head + "    return torch.clamp(kl, max=float(lam)).sum(dim=1)\n",
        ]
    return [
        head + "    m = tf.reduce_sum(tf.maximum(tf.reduce_mean(kl, 0), lam))\n"
               "    return m * tf.ones(tf.shape(mu)[0])\n",
        head + "    return tf.reduce_sum(tf.maximum(kl, lam), axis=1)\n",
        head + "    return tf.maximum(tf.reduce_sum(kl, axis=1), lam)\n",
        head + "    return tf.reduce_sum(tf.minimum(kl, lam), axis=1)\n",
    ]


class _PerExampleExercise(Exercise):
    """q1's checker: an answer that is the same for every example is told so.

    The default message compares the worst element ("too small by 50 to 100%"), which
    steers a reader who returned one number for the whole batch toward rescaling it; the
    problem is that the result does not vary over the examples while the right one does.
    """

    def _compare(self, expected, got, args=(), i=0, n=1):
        reason = super()._compare(expected, got, args, i, n)
        if reason is None:
            return None
        try:
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return reason
        exp_arr = np.asarray(expected, dtype=np.float64)
        if got_arr.shape != exp_arr.shape or got_arr.size < 2:
            return reason
        if np.ptp(got_arr) > 1e-6 * (1.0 + np.abs(got_arr).max()) or np.ptp(exp_arr) < 1e-6:
            return reason
        message = ("the result has the same value for every example, but here the right "
                   "values differ from one example to the next: a dimension whose batch-mean "
                   "KL is above the floor costs each example its own KL")
        if np.isclose(got_arr.mean(), exp_arr.mean(), rtol=self.rtol, atol=self.atol):
            message += (" (your batch mean is right: the floor is decided on the batch, the "
                        "cost is not shared out evenly)")
        return message


Q1 = _PerExampleExercise(
    key="q1",
    title="The free-bits KL of a batch, per example, shape (B,), from mu, logvar (B, d) and "
          "a floor lam in nats per dimension (Kingma et al., 2016)",
    reference=_free_bits,
    cases=_Q1_CASES,
    hints=[
        "First the KL of each dimension of each example, shape (B, d): "
        "0.5 (mu^2 + exp(logvar) - 1 - logvar).",
        "The floor applies to the batch mean of each dimension's KL, not to each example: a "
        "dimension whose mean is under lam costs lam for every example.",
        "Sum over the d dimensions at the end; the batch mean of your result should be "
        "sum_j max(lam, mean_x KL_j).",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={"torch": _q1_wrong("torch"), "tensorflow": _q1_wrong("tf")},
    mistakes=[
        Mistake(lambda mu, lv, lam: np.maximum(_kl_dims(mu, lv), float(lam)).sum(axis=1),
                "the floor is applied to each example's KL; Kingma et al. apply it to the "
                "batch mean of each dimension"),
        Mistake(lambda mu, lv, lam: np.maximum(_kl_dims(mu, lv).sum(axis=1), float(lam)),
                "the floor is applied to the total KL; free bits floor each dimension"),
        Mistake(lambda mu, lv, lam: np.minimum(_kl_dims(mu, lv), float(lam)).sum(axis=1),
                "that caps the KL from above; free bits is a floor (max, not min)"),
    ],
    answer_name="free_bits",
    rtol=1e-5,
    atol=1e-5,
)


# --------------------------------------------------------------------------- q2
def _active_units(mu, threshold):
    return int((np.asarray(mu, np.float64).var(axis=0) > float(threshold)).sum())


def _q2_case(n, scales, threshold=0.01, shift=0.0):
    mu = (_f(n, len(scales)) * np.asarray(scales, np.float32) + shift).astype(np.float32)
    return (mu, np.float32(threshold))


_Q2_CASES = [
    Case(_q2_case(200, [1.0, 0.05, 0.5, 0.001]), "two of four dimensions active"),
    Case(_q2_case(200, [0.06, 0.2, 0.0], shift=3.0),
         "a constant offset of 3 (a mean far from 0 is not activity)"),
    Case(_q2_case(100, [0.3, 0.3], threshold=0.2), "a larger threshold"),
    Case(_q2_case(50, [0.0, 0.0, 0.0]), "no dimension active"),
]

_Q2_TORCH = '''\
def active_units(mu, threshold):
    variance = mu.var(dim=0, unbiased=False)  # over the data, per dimension
    return int((variance > threshold).sum())
'''
_Q2_TF = '''\
def active_units(mu, threshold):
    variance = tf.math.reduce_variance(mu, axis=0)  # over the data, per dimension
    return int(tf.reduce_sum(tf.cast(variance > threshold, tf.int32)))
'''

Q2 = Exercise(
    key="q2",
    title="Count the active units of posterior means mu (N, d): the dimensions whose variance "
          "over the data exceeds the threshold (Burda et al., 2016)",
    reference=_active_units,
    cases=_Q2_CASES,
    hints=[
        "Activity is Var_x E_q[z_u | x]: the spread of each dimension's posterior mean over "
        "the N examples (axis 0).",
        "Compare the variance, not the standard deviation and not the mean, with the "
        "threshold, and count the dimensions above it.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={
        "torch": [
            "def active_units(mu, threshold):\n"
            "    return int((mu.std(dim=0) > threshold).sum())\n",
            "def active_units(mu, threshold):\n"
            "    return int((mu.abs().mean(dim=0) > threshold).sum())\n",
            "def active_units(mu, threshold):\n"
            "    return int((mu.var(dim=1) > threshold).sum())\n",
        ],
        "tensorflow": [
            "def active_units(mu, threshold):\n"
            "    s = tf.math.reduce_std(mu, axis=0)\n"
            "    return int(tf.reduce_sum(tf.cast(s > threshold, tf.int32)))\n",
            "def active_units(mu, threshold):\n"
            "    m = tf.reduce_mean(tf.abs(mu), axis=0)\n"
            "    return int(tf.reduce_sum(tf.cast(m > threshold, tf.int32)))\n",
            "def active_units(mu, threshold):\n"
            "    v = tf.math.reduce_variance(mu, axis=1)\n"
            "    return int(tf.reduce_sum(tf.cast(v > threshold, tf.int32)))\n",
        ],
    },
    mistakes=[
        Mistake(lambda mu, t: int((np.asarray(mu, np.float64).std(axis=0) > float(t)).sum()),
                "the standard deviation is compared with the threshold; Burda et al. "
                "threshold the variance"),
        Mistake(lambda mu, t: int((np.abs(np.asarray(mu, np.float64)).mean(axis=0)
                                   > float(t)).sum()),
                "a mean far from zero is not activity: a dimension is active when its "
                "posterior mean varies over the data"),
        Mistake(lambda mu, t: int((np.asarray(mu, np.float64).var(axis=1) > float(t)).sum()),
                "the variance is taken over the dimensions of each example (axis 1); take it "
                "over the examples (axis 0)"),
    ],
    answer_name="active_units",
    rtol=0.0,
    atol=0.0,
)


# --------------------------------------------------------------------------- q3
# Numbers the chapter's table does not print, so that the answer is worked, not read off.
_KLD_WEIGHT, _PIXELS, _LATENTS = 0.005, 32 * 32, 16

_Q3_SOLUTION = '''\
kld_weight, pixels, latents = 0.005, 32 * 32, 16
# loss = mean over pixels of -log p(x_i|z) + kld_weight * (KL summed over dims) / latents.
# Multiply by the pixel count to sum the reconstruction over pixels, as the ELBO does:
# pixels * loss = rec + (pixels * kld_weight / latents) * KL.
answer = pixels * kld_weight / latents
'''

Q3 = Exercise(
    key="q3",
    title="A loss for 32 x 32 binary images averages the Bernoulli reconstruction over the "
          "1024 pixels of each image and adds kld_weight * KL with kld_weight = 0.005, the "
          "KL averaged (not summed) over the d = 16 latent dimensions; both terms are "
          "averaged over the batch. Which beta of the beta-VAE objective (reconstruction "
          "summed over pixels + beta * KL summed over dimensions) does it train?",
    reference=lambda: _PIXELS * _KLD_WEIGHT / _LATENTS,
    hints=[
        "Two losses that differ by a positive factor have the same minimiser: scale this one "
        "until its reconstruction is summed over pixels, as in the ELBO.",
        "Averaging over the batch is the same in both terms, so it changes nothing; the "
        "average over latent dimensions is the KL summed, divided by d.",
    ],
    solutions={"any": _Q3_SOLUTION},
    wrong={"any": [
        "answer = 0.005\n",
        "answer = 1024 * 0.005\n",
        "answer = 0.005 / 16\n",
        "answer = 16 / (1024 * 0.005)\n",
        "answer = 1024 * 0.005 * 16\n",
    ]},
    mistakes=[
        Mistake(lambda: _KLD_WEIGHT, "that is the weight as written; the pixel average "
                "shrinks the reconstruction by the number of pixels as well"),
        Mistake(lambda: _PIXELS * _KLD_WEIGHT, "the pixel average is accounted for, but "
                "the KL is averaged over the latent dimensions too, which divides it by d"),
        Mistake(lambda: _KLD_WEIGHT / _LATENTS, "the latent average is accounted for, but "
                "not the pixel average, which divides the reconstruction"),
        Mistake(lambda: _LATENTS / (_PIXELS * _KLD_WEIGHT), "that is the inverse: the "
                "weight the reconstruction gets if the KL is held at weight 1"),
        Mistake(lambda: _PIXELS * _KLD_WEIGHT * _LATENTS, "averaging the KL over the d "
                "dimensions divides it by d: it weakens the KL, it does not strengthen it"),
    ],
    answer_name="answer",
    rtol=1e-4,
    atol=1e-8,
)


# --------------------------------------------------------------------------- q4
_D_LATENT, _LAMBDA = 16, 0.5

_Q4_SOLUTION = '''\
import math
d, lam = 16, 0.5
# Below the floor a dimension costs lam whatever its KL: a rate of d * lam nats is free,
# and one nat is 1 / log 2 bits.
answer = d * lam / math.log(2)
'''

Q4 = Exercise(
    key="q4",
    title="A VAE with d = 16 latent dimensions is trained with free bits, lam = 0.5 nats per "
          "dimension. Up to what total rate, in bits (the KL of the code summed over the "
          "dimensions, spread evenly over them), does the free-bits KL term cost no more than "
          "it does for an unused code, of rate zero?",
    reference=lambda: _D_LATENT * _LAMBDA / math.log(2),
    hints=[
        "Under the floor a dimension pays lam nats whatever its KL (its rate) is.",
        "Add the floors over the dimensions, then convert nats to bits (divide by log 2).",
    ],
    solutions={"any": _Q4_SOLUTION},
    wrong={"any": [
        "answer = 16 * 0.5\n",
        "import math\nanswer = 0.5 / math.log(2)\n",
        "import math\nanswer = 16 * 0.5 * math.log(2)\n",
        "answer = 0.0\n",
    ]},
    mistakes=[
        Mistake(lambda: _D_LATENT * _LAMBDA, "that is in nats; the question asks for bits"),
        Mistake(lambda: _LAMBDA / math.log(2), "that is one dimension's floor; add the "
                "floors of all the dimensions"),
        Mistake(lambda: _D_LATENT * _LAMBDA * math.log(2),
                "multiplied by log 2: nats to bits divides by log 2"),
        Mistake(lambda: 0.0, "zero is what an unused code costs in the plain ELBO; free "
                "bits charge the floor for it, so a rate up to the floor is free"),
    ],
    answer_name="answer",
    rtol=1e-4,
    atol=1e-8,
)


EXERCISES = ExerciseSet("ch6", [Q1, Q2, Q3, Q4])
