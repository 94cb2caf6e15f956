"""TensorFlow's start-up lines never reach a reader, on any CPU; real messages still do.

TensorFlow prints its oneDNN line only on CPUs where it turns oneDNN on by default
(AVX-512 VNNI/BF16, AMX). ``TF_ENABLE_ONEDNN_OPTS=1`` turns it on everywhere, so these
tests reproduce on any x86-64 machine what those CPUs show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from vaebook._quiet_tensorflow import filtered_fd2, is_noise

NOISE_WORDS = ("absl", "oneDNN", "cpu_feature_guard", "rebuild TensorFlow")


def _run(code: str, **env) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose environment has no TF_CPP_* variable."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP_")}
    clean.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=clean,
                          capture_output=True, text=True, timeout=300)


def test_plain_import_is_noisy_with_onednn_on():
    """The control: without vaebook, TensorFlow does print the lines (else the test below proves nothing)."""
    proc = _run("import tensorflow", TF_ENABLE_ONEDNN_OPTS="1")
    assert proc.returncode == 0, proc.stderr
    assert "oneDNN custom operations are on" in proc.stderr


@pytest.mark.parametrize("onednn", ["1", "0"])
def test_vaebook_tensorflow_import_is_silent(onednn):
    proc = _run("""
        from vaebook import tensorflow as vbtf
        import numpy as np
        x = np.random.default_rng(0).random((64, 8, 8)).astype("float32")
        vbtf.fit(vbtf.VAE((8, 8), 2, (16,)), x, epochs=1, progress=False)
        print("ok")
        """, TF_ENABLE_ONEDNN_OPTS=onednn)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    noisy = [line for line in proc.stderr.splitlines() if any(w in line for w in NOISE_WORDS)]
    assert not noisy, f"TensorFlow log lines on stderr: {noisy}"


def test_exercises_import_tensorflow_quietly():
    proc = _run("""
        import numpy as np
        from vaebook.exercises import to_framework
        to_framework(np.zeros(3), "tensorflow")
        """, TF_ENABLE_ONEDNN_OPTS="1")
    assert proc.returncode == 0, proc.stderr
    assert not any(w in proc.stderr for w in NOISE_WORDS), proc.stderr


def test_real_warnings_and_errors_still_show():
    proc = _run("""
        import os, warnings
        from vaebook import tensorflow as vbtf
        warnings.warn("a warning of our own")
        os.write(2, b"a line written to fd 2 after the import\\n")
        vbtf.VAE(64, latent_dim=0)
        """, TF_ENABLE_ONEDNN_OPTS="1")
    assert proc.returncode != 0
    assert "UserWarning: a warning of our own" in proc.stderr
    assert "a line written to fd 2 after the import" in proc.stderr
    assert "ValueError: VAE: argument `latent_dim`" in proc.stderr


def test_filter_keeps_what_is_not_noise(capfd):
    with filtered_fd2():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are "
                    b"written to STDERR\n")
        os.write(2, b"I0000 00:00:1.2 3981 port.cc:153] oneDNN custom operations are on. x\n")
        os.write(2, b"E0000 00:00:1.2 3981 some_kernel.cc:12] a real error\n")
        os.write(2, b"Traceback (most recent call last):\n")
    err = capfd.readouterr().err
    assert "a real error" in err and "Traceback" in err
    assert "absl" not in err and "oneDNN" not in err


@pytest.mark.parametrize("line, noise", [
    ("I0000 00:00:1796.2 4313 cpu_feature_guard.cc:227] This TensorFlow binary is", True),
    ("To enable the following instructions: AVX2 FMA, in other operations, rebuild "
     "TensorFlow with the appropriate compiler flags.", True),
    ("E0000 00:00:1.0 1 op_kernel.cc:1] OOM when allocating tensor", False),
    ("ValueError: oneDNN", False),
])
def test_is_noise(line, noise):
    assert is_noise(line) is noise
