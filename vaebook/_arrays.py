"""``to_numpy``: one function for PyTorch tensors, TensorFlow tensors and NumPy arrays.

It recognises a tensor by what it can do (``detach`` for PyTorch, ``numpy`` for
TensorFlow), so it imports neither framework; ``vaebook.torch.to_numpy``,
``vaebook.tensorflow.to_numpy`` and the exercise checkers are this one function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._docs import documented


@documented("to_numpy")
def to_numpy(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return type(x)(to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if x is None:
        return None
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # PyTorch
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):  # TensorFlow (eager tensors and variables)
        return x.numpy()
    return np.asarray(x)
