"""Exercises of chapter 1, Autoencoder basics (``load("ch1")``).

q1  the forward pass of a one-hidden-layer encoder, from its weight matrices;
q2  the per-example reconstruction error (mean squared error over the pixels);
q3  the largest principal angle between two subspaces given by spanning columns;
q4  ROC AUC of an anomaly score, as a probability over (normal, anomalous) pairs.

Every case is built in float64 from float32 values, so the NumPy reference and the
reader's float32 tensors see exactly the same numbers.
"""

from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, ExerciseSet


def _f32(a) -> np.ndarray:
    """Round to float32 and back: the values the reader's tensors will hold."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


_rng = np.random.default_rng(1)

# ------------------------------------------------------------------ q1: encoder forward pass


def _encode_ref(x, W1, b1, W2, b2):
    return np.maximum(x @ W1 + b1, 0.0) @ W2 + b2


def _encoder_case(batch, d_in, hidden, d_out, shift=0.0):
    return (
        _f32(_rng.normal(size=(batch, d_in))),
        _f32(_rng.normal(size=(d_in, hidden))),
        _f32(_rng.normal(size=hidden) + shift),
        _f32(_rng.normal(size=(hidden, d_out))),
        _f32(_rng.normal(size=d_out)),
    )


_Q1_CASES = [
    Case(_encoder_case(5, 6, 4, 2), "batch of 5, D=6, H=4, d=2"),
    Case(_encoder_case(1, 8, 5, 3), "a batch of one"),
    Case(_encoder_case(4, 3, 3, 3), "square weights (D = H = d)"),
    Case(_encoder_case(3, 4, 6, 2, shift=-50.0), "every hidden unit inactive: z = b2"),
    Case(_encoder_case(6, 5, 7, 4, shift=+3.0), "most hidden units active"),
]

_Q1_TORCH = '''\
def encode(x, W1, b1, W2, b2):
    h = torch.relu(x @ W1 + b1)   # (B, H): hidden layer
    return h @ W2 + b2            # (B, d): the code, no activation
'''

_Q1_TF = '''\
def encode(x, W1, b1, W2, b2):
    h = tf.nn.relu(tf.matmul(x, W1) + b1)   # (B, H): hidden layer
    return tf.matmul(h, W2) + b2            # (B, d): the code, no activation
'''

_Q1_WRONG_TORCH = [
    # No nonlinearity: a linear encoder.
    "def encode(x, W1, b1, W2, b2):\n    return (x @ W1 + b1) @ W2 + b2\n",
    # ReLU on the code too: codes can never be negative.
    "def encode(x, W1, b1, W2, b2):\n    return torch.relu(torch.relu(x @ W1 + b1) @ W2 + b2)\n",
    # Weights used the nn.Linear way (out, in): transposed.
    "def encode(x, W1, b1, W2, b2):\n    return torch.relu(x @ W1.T + b1) @ W2.T + b2\n",
    # Sigmoid instead of ReLU.
    "def encode(x, W1, b1, W2, b2):\n    return torch.sigmoid(x @ W1 + b1) @ W2 + b2\n",
]

_Q1_WRONG_TF = [
    "def encode(x, W1, b1, W2, b2):\n    return tf.matmul(tf.matmul(x, W1) + b1, W2) + b2\n",
    "def encode(x, W1, b1, W2, b2):\n"
    "    return tf.nn.relu(tf.matmul(tf.nn.relu(tf.matmul(x, W1) + b1), W2) + b2)\n",
    "def encode(x, W1, b1, W2, b2):\n"
    "    return tf.matmul(tf.nn.relu(tf.matmul(x, W1, transpose_b=True) + b1), W2,\n"
    "                     transpose_b=True) + b2\n",
    "def encode(x, W1, b1, W2, b2):\n    return tf.matmul(tf.sigmoid(tf.matmul(x, W1) + b1), W2) + b2\n",
]

q1 = Exercise(
    key="q1",
    title="Write the forward pass of a one-hidden-layer encoder: z = ReLU(x W1 + b1) W2 + b2.",
    reference=_encode_ref,
    cases=_Q1_CASES,
    hints=[
        "Two affine maps with a ReLU between them and nothing after the second: the code z "
        "may be negative.",
        "x has shape (B, D) and W1 has shape (D, H), so x @ W1 (not x @ W1.T) has shape (B, H); "
        "the bias b1 of shape (H,) broadcasts over the batch.",
    ],
    solutions={"torch": _Q1_TORCH, "tensorflow": _Q1_TF},
    wrong={"torch": _Q1_WRONG_TORCH, "tensorflow": _Q1_WRONG_TF},
    answer_name="encode",
)

# ------------------------------------------------------------------ q2: per-example MSE


def _mse_ref(x, x_hat):
    return ((x - x_hat) ** 2).reshape(x.shape[0], -1).mean(axis=1)


def _mse_case(shape, scale=0.2):
    x = _f32(_rng.uniform(size=shape))
    return x, _f32(np.clip(x + scale * _rng.normal(size=shape), 0.0, 1.0))


_x_same = _f32(_rng.uniform(size=(3, 4)))
_Q2_CASES = [
    Case(_mse_case((4, 6)), "flat batch (B=4, D=6)"),
    Case(_mse_case((3, 5, 5)), "images (B=3, 5x5): average over both pixel axes"),
    Case(_mse_case((1, 7)), "a batch of one"),
    Case(_mse_case((5, 5)), "square batch (B = D): averaging over the wrong axis shows"),
    Case((_x_same, _x_same.copy()), "perfect reconstruction: zeros"),
]

_Q2_TORCH = '''\
def reconstruction_error(x, x_hat):
    sq = (x - x_hat) ** 2
    return sq.reshape(sq.shape[0], -1).mean(dim=1)   # (B,): one number per example
'''

_Q2_TF = '''\
def reconstruction_error(x, x_hat):
    sq = tf.square(x - x_hat)
    return tf.reduce_mean(tf.reshape(sq, [tf.shape(sq)[0], -1]), axis=1)   # (B,)
'''

_Q2_WRONG_TORCH = [
    # One number for the whole batch.
    "def reconstruction_error(x, x_hat):\n    return ((x - x_hat) ** 2).mean()\n",
    # Sum instead of mean over pixels.
    "def reconstruction_error(x, x_hat):\n"
    "    return ((x - x_hat) ** 2).reshape(x.shape[0], -1).sum(dim=1)\n",
    # Averaged over the batch axis instead of the pixel axis.
    "def reconstruction_error(x, x_hat):\n    return ((x - x_hat) ** 2).mean(dim=0)\n",
    # Root mean square instead of mean square.
    "def reconstruction_error(x, x_hat):\n"
    "    return ((x - x_hat) ** 2).reshape(x.shape[0], -1).mean(dim=1).sqrt()\n",
]

_Q2_WRONG_TF = [
    "def reconstruction_error(x, x_hat):\n    return tf.reduce_mean(tf.square(x - x_hat))\n",
    "def reconstruction_error(x, x_hat):\n"
    "    return tf.reduce_sum(tf.reshape(tf.square(x - x_hat), [tf.shape(x)[0], -1]), axis=1)\n",
    "def reconstruction_error(x, x_hat):\n    return tf.reduce_mean(tf.square(x - x_hat), axis=0)\n",
    "def reconstruction_error(x, x_hat):\n"
    "    return tf.sqrt(tf.reduce_mean(tf.reshape(tf.square(x - x_hat), [tf.shape(x)[0], -1]),"
    " axis=1))\n",
]

q2 = Exercise(
    key="q2",
    title="Compute the per-example reconstruction error: the mean squared error over the "
    "pixels of each example, shape (B,).",
    reference=_mse_ref,
    cases=_Q2_CASES,
    hints=[
        "The result has one number per example: average over every axis except the first.",
        "Images may come as (B, h, w): flatten each example to (B, h*w) first, then average "
        "over axis 1.",
    ],
    solutions={"torch": _Q2_TORCH, "tensorflow": _Q2_TF},
    wrong={"torch": _Q2_WRONG_TORCH, "tensorflow": _Q2_WRONG_TF},
    answer_name="reconstruction_error",
)

# ------------------------------------------------------------------ q3: principal angle


def _angle_ref(A, B):
    """Largest principal angle between span(A) and span(B), in radians (SciPy's)."""
    from scipy.linalg import subspace_angles

    return np.float64(np.max(subspace_angles(A, B)))


def _plane_at(t):
    """Columns spanning the plane through e1 and cos(t) e2 + sin(t) e3, in R^4."""
    return np.array([[1.0, 0.0], [0.0, np.cos(t)], [0.0, np.sin(t)], [0.0, 0.0]])


_basis = _f32(_rng.normal(size=(5, 2)))
_mix = _f32(np.array([[2.0, 1.0], [-1.0, 0.5]]))
_e = np.eye(4)
_Q3_CASES = [
    Case((_basis, _f32(_basis @ _mix)), "the same plane, two different bases: 0"),
    Case((_e[:, :1], _e[:, 1:2]), "two orthogonal lines: pi/2"),
    Case((_f32([[1.0], [0.0]]), _f32([[3.0], [3.0]])), "two lines at 45 degrees, unnormalised"),
    Case((_f32(_plane_at(0.0) * [1.0, 4.0]), _f32(_plane_at(0.3) * [2.0, 0.5])),
         "planes sharing e1, tilted by 0.3 rad; columns not unit length"),
    Case((_f32(_rng.normal(size=(6, 2))), _f32(_rng.normal(size=(6, 2)))),
         "two random planes in R^6"),
    Case((_f32(_rng.normal(size=(4, 1))), _f32(_rng.normal(size=(4, 3)))),
         "a line and a 3-D subspace of R^4"),
]

_Q3_TORCH = '''\
def largest_principal_angle(A, B):
    qa, _ = torch.linalg.qr(A.double())   # orthonormal bases; float64 for accuracy
    qb, _ = torch.linalg.qr(B.double())
    cosines = torch.linalg.svdvals(qa.T @ qb)   # cosines of the principal angles
    return torch.arccos(torch.clamp(cosines.min(), -1.0, 1.0))
'''

_Q3_TF = '''\
def largest_principal_angle(A, B):
    qa, _ = tf.linalg.qr(tf.cast(A, tf.float64))   # orthonormal bases; float64 for accuracy
    qb, _ = tf.linalg.qr(tf.cast(B, tf.float64))
    cosines = tf.linalg.svd(tf.matmul(qa, qb, transpose_a=True), compute_uv=False)
    return tf.acos(tf.clip_by_value(tf.reduce_min(cosines), -1.0, 1.0))
'''

_Q3_WRONG_TORCH = [
    # The largest cosine: the smallest principal angle.
    "def largest_principal_angle(A, B):\n"
    "    qa, _ = torch.linalg.qr(A.double())\n"
    "    qb, _ = torch.linalg.qr(B.double())\n"
    "    return torch.arccos(torch.clamp(torch.linalg.svdvals(qa.T @ qb).max(), -1.0, 1.0))\n",
    # No orthonormalisation: singular values of A^T B are not cosines.
    "def largest_principal_angle(A, B):\n"
    "    s = torch.linalg.svdvals(A.double().T @ B.double())\n"
    "    return torch.arccos(torch.clamp(s.min(), -1.0, 1.0))\n",
    # Degrees, not radians.
    "def largest_principal_angle(A, B):\n"
    "    qa, _ = torch.linalg.qr(A.double())\n"
    "    qb, _ = torch.linalg.qr(B.double())\n"
    "    s = torch.linalg.svdvals(qa.T @ qb)\n"
    "    return torch.rad2deg(torch.arccos(torch.clamp(s.min(), -1.0, 1.0)))\n",
]

_Q3_WRONG_TF = [
    "def largest_principal_angle(A, B):\n"
    "    qa, _ = tf.linalg.qr(tf.cast(A, tf.float64))\n"
    "    qb, _ = tf.linalg.qr(tf.cast(B, tf.float64))\n"
    "    s = tf.linalg.svd(tf.matmul(qa, qb, transpose_a=True), compute_uv=False)\n"
    "    return tf.acos(tf.clip_by_value(tf.reduce_max(s), -1.0, 1.0))\n",
    "def largest_principal_angle(A, B):\n"
    "    s = tf.linalg.svd(tf.matmul(tf.cast(A, tf.float64), tf.cast(B, tf.float64),\n"
    "                                transpose_a=True), compute_uv=False)\n"
    "    return tf.acos(tf.clip_by_value(tf.reduce_min(s), -1.0, 1.0))\n",
    "def largest_principal_angle(A, B):\n"
    "    qa, _ = tf.linalg.qr(tf.cast(A, tf.float64))\n"
    "    qb, _ = tf.linalg.qr(tf.cast(B, tf.float64))\n"
    "    s = tf.linalg.svd(tf.matmul(qa, qb, transpose_a=True), compute_uv=False)\n"
    "    return tf.acos(tf.clip_by_value(tf.reduce_min(s), -1.0, 1.0)) * 180.0 / np.pi\n",
]

q3 = Exercise(
    key="q3",
    title="Compute the largest principal angle (in radians) between the column spaces of "
    "A (n, k1) and B (n, k2).",
    reference=_angle_ref,
    cases=_Q3_CASES,
    hints=[
        "The columns need not be orthonormal: first get orthonormal bases Q_A, Q_B of the two "
        "column spaces (a reduced QR decomposition does it).",
        "The singular values of Q_A^T Q_B are the cosines of the principal angles. The "
        "largest angle belongs to the smallest singular value; clip it to [-1, 1] before "
        "arccos.",
        "arccos is inaccurate near 1: compute in float64 (answers within 1e-3 rad pass).",
    ],
    solutions={"torch": _Q3_TORCH, "tensorflow": _Q3_TF},
    wrong={"torch": _Q3_WRONG_TORCH, "tensorflow": _Q3_WRONG_TF},
    answer_name="largest_principal_angle",
    # arccos(1 - 6e-8) is 3e-4: a float32 answer for two equal subspaces should still pass.
    rtol=1e-4,
    atol=1e-3,
)

# ------------------------------------------------------------------ q4: ROC AUC by pairs


def _auc_ref(scores_normal, scores_anomalous):
    diff = scores_anomalous[:, None] - scores_normal[None, :]
    return np.float64(np.mean((diff > 0) + 0.5 * (diff == 0)))


_Q4_CASES = [
    Case((_f32([0.1, 0.2, 0.3]), _f32([0.5, 0.9])), "perfectly separated: 1"),
    Case((_f32([0.5, 0.9]), _f32([0.1, 0.2, 0.3])), "the anomalies score lowest: 0"),
    Case((_f32([0.4, 0.4]), _f32([0.4, 0.4, 0.4])), "every score tied: 1/2"),
    Case((_f32([0.1, 0.3, 0.3, 0.7]), _f32([0.3, 0.8])), "some ties count half"),
    Case((_f32([0.2]), _f32([0.25])), "one example of each"),
    Case((_f32(_rng.gamma(2.0, size=40)), _f32(_rng.gamma(3.0, size=25))),
         "overlapping score distributions"),
]

_Q4_TORCH = '''\
def roc_auc(scores_normal, scores_anomalous):
    # Every (anomalous, normal) pair: 1 if the anomaly scores higher, 1/2 for a tie.
    diff = scores_anomalous[:, None] - scores_normal[None, :]
    return ((diff > 0).double() + 0.5 * (diff == 0).double()).mean()
'''

_Q4_TF = '''\
def roc_auc(scores_normal, scores_anomalous):
    # Every (anomalous, normal) pair: 1 if the anomaly scores higher, 1/2 for a tie.
    diff = scores_anomalous[:, None] - scores_normal[None, :]
    wins = tf.cast(diff > 0, tf.float64) + 0.5 * tf.cast(diff == 0, tf.float64)
    return tf.reduce_mean(wins)
'''

_Q4_WRONG_TORCH = [
    # Ties count as losses.
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    diff = scores_anomalous[:, None] - scores_normal[None, :]\n"
    "    return (diff > 0).double().mean()\n",
    # Ties count as wins.
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    diff = scores_anomalous[:, None] - scores_normal[None, :]\n"
    "    return (diff >= 0).double().mean()\n",
    # The roles swapped: the probability that a normal example scores higher.
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    diff = scores_normal[:, None] - scores_anomalous[None, :]\n"
    "    return ((diff > 0).double() + 0.5 * (diff == 0).double()).mean()\n",
    # Compares the means, not the pairs.
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    return (scores_anomalous.mean() > scores_normal.mean()).double()\n",
]

_Q4_WRONG_TF = [
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    diff = scores_anomalous[:, None] - scores_normal[None, :]\n"
    "    return tf.reduce_mean(tf.cast(diff > 0, tf.float64))\n",
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    diff = scores_anomalous[:, None] - scores_normal[None, :]\n"
    "    return tf.reduce_mean(tf.cast(diff >= 0, tf.float64))\n",
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    diff = scores_normal[:, None] - scores_anomalous[None, :]\n"
    "    wins = tf.cast(diff > 0, tf.float64) + 0.5 * tf.cast(diff == 0, tf.float64)\n"
    "    return tf.reduce_mean(wins)\n",
    "def roc_auc(scores_normal, scores_anomalous):\n"
    "    higher = tf.reduce_mean(scores_anomalous) > tf.reduce_mean(scores_normal)\n"
    "    return tf.cast(higher, tf.float64)\n",
]

q4 = Exercise(
    key="q4",
    title="Compute the ROC AUC of an anomaly score: the probability that a random anomalous "
    "example scores higher than a random normal one (ties count 1/2).",
    reference=_auc_ref,
    cases=_Q4_CASES,
    hints=[
        "Compare every anomalous score with every normal score: broadcasting a column "
        "(n_anomalous, 1) against a row (1, n_normal) gives all the pairs at once.",
        "A pair where the anomaly scores higher counts 1, a tie counts 1/2, else 0; the AUC "
        "is the mean over all pairs. Cast booleans to floats before averaging.",
    ],
    solutions={"torch": _Q4_TORCH, "tensorflow": _Q4_TF},
    wrong={"torch": _Q4_WRONG_TORCH, "tensorflow": _Q4_WRONG_TF},
    answer_name="roc_auc",
)

EXERCISES = ExerciseSet("ch1", [q1, q2, q3, q4])
