"""The benchmark's own measurements: they must be able to show a cost when there is one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import run as bench

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("fw", ["torch", "tensorflow"])
def test_memory_measure_sees_an_unchunked_evaluation(fw):
    """Chunked iwae_bound stays small; all k samples in one pass (the control) does not.

    300 images x 200 samples x 784 pixels is 180 MiB per float32 tensor, so a memory
    measure that reads ~0 for the control would be broken, not the evaluation flat.
    """
    if fw == "torch":
        from vaebook import torch as vb
    else:
        from vaebook import tensorflow as vb
    vb.set_seed(0)
    model = vb.VAE(784, 8, hidden_dims=(32,))
    x = (np.random.default_rng(0).random((300, 784)) < 0.3).astype(np.float32)
    chunked = bench._iwae_timed(fw, model, x, 200, None)
    control = bench._iwae_timed(fw, model, x, 200, 200)
    assert control["extra_peak_mib"] > 150, control
    assert chunked["extra_peak_mib"] < control["extra_peak_mib"] / 2, (chunked, control)


def test_frameworks_option_rejects_an_unknown_name():
    out = subprocess.run([sys.executable, "-m", "benchmarks.run", "--frameworks", "jax"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode != 0
    assert "--frameworks" in out.stderr and "'jax'" in out.stderr
