"""The benchmark's own measurements: they must be able to show a cost when there is one."""

from __future__ import annotations

import json
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


def test_torch_cells_run_a_chapter_without_pytorch_failures(tmp_path):
    """The runner used on GPU machines without TensorFlow: every pytorch cell of a chapter
    runs; the untagged statements that fail are the ones that need TensorFlow's results."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.torch_cells", "--only", "03_elbo",
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "torch_cells.json").read_text())
    (chapter,) = report.values()
    assert chapter["device"] in ("cpu", "cuda")
    assert chapter["pytorch_cells"] >= 5 and chapter["pytorch_cell_failures"] == []
    errors = [f["error"] for f in chapter["untagged_statement_failures"]]
    assert errors, "untagged cells compare both frameworks: some must miss TensorFlow's results"
    assert all(e.startswith(("NameError", "KeyError")) for e in errors), errors
