"""The masks of a MADE (Germain et al., 2015), framework-free (NumPy).

Pixel i (raster order, 1-based degree i) may depend only on pixels 1..i-1. Hidden unit
k gets a degree m_k in [1, D-1]; it sees the inputs of degree <= m_k, and output i sees
the hidden units of degree < i. The direct input-to-output connection is strictly lower
triangular. Both frameworks build their decoders from these arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["made_masks"]


def made_masks(input_dim: int, hidden: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (hidden, D), (D, hidden) and (D, D) as float32 arrays of 0 and 1."""
    D = int(input_dim)
    deg_in = np.arange(1, D + 1)
    deg_hidden = 1 + (np.arange(hidden) * max(D - 1, 1)) // hidden  # in [1, D-1]
    m_in = (deg_hidden[:, None] >= deg_in[None, :]).astype(np.float32)
    m_out = (deg_in[:, None] > deg_hidden[None, :]).astype(np.float32)
    m_direct = (deg_in[:, None] > deg_in[None, :]).astype(np.float32)
    return m_in, m_out, m_direct
