"""Import TensorFlow without its start-up log lines reaching a reader.

TensorFlow 2.21 writes a few lines to file descriptor 2 while it loads, through absl
*before* absl's logging is initialised, so ``TF_CPP_MIN_LOG_LEVEL`` does not apply to
them::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. ...
    I0000 ... cpu_feature_guard.cc:...] This TensorFlow binary is optimized to use ...

The oneDNN line appears only on CPUs where TensorFlow turns oneDNN on by default
(AVX-512 VNNI/BF16 or AMX; any CPU with ``TF_ENABLE_ONEDNN_OPTS=1``), which is why
some machines, Colab's among them, print it and others never do. In a Jupyter kernel
fd 2 is forwarded into the cell's output, so the lines would land on the book's pages.

:func:`import_tensorflow` holds fd 2 while TensorFlow loads, then writes back every line
that is not one of those start-up messages: a real error printed during the import
still shows. Python warnings go through ``sys.stderr`` (a Python object, not fd 2 in
a kernel) and are not touched.

oneDNN itself stays as TensorFlow chose: measured on a 2-core AVX-512 machine, the
book's models (an MLP VAE, a small conv VAE, one thread) train at the same speed with
it on or off, larger models of a reader's are faster with it, and it does not buy or
cost reproducibility (runs stay deterministic on one machine; across CPUs the last
digits differ either way, which is why the chapters print rounded numbers).
``TF_ENABLE_ONEDNN_OPTS`` set by the reader wins.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile

# The start-up lines, and nothing else: each pattern is anchored on a message text
# TensorFlow or absl prints while loading.
NOISE = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"^[IWE]\d{4} .*\] oneDNN custom operations are on"),
    re.compile(r"^[IWE]\d{4} .*cpu_feature_guard\.cc"),
    re.compile(r"^To enable the following instructions: .* rebuild TensorFlow"),
    re.compile(r"^[IWE]\d{4} .*Unable to register cu(DNN|FFT|BLAS) factory"),
    re.compile(r"^[IWE]\d{4} .*computation placer already registered"),
    re.compile(r"^[IWE]\d{4} .*TF-TRT Warning: Could not find TensorRT"),
)


def is_noise(line: str) -> bool:
    """Whether ``line`` is one of TensorFlow's start-up messages."""
    return any(p.search(line) for p in NOISE)


@contextlib.contextmanager
def filtered_fd2():
    """Hold what is written to file descriptor 2; on exit, write back all but the noise."""
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode(errors="replace")
            kept = [line for line in text.splitlines(keepends=True) if not is_noise(line)]
            if kept:
                os.write(2, "".join(kept).encode())


def import_tensorflow():
    """``import tensorflow`` with its start-up lines dropped; returns the module.

    Also sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless the reader set it) so that the C++
    runtime's later INFO/WARNING/ERROR lines (TensorFlow raises real errors as Python
    exceptions) stay out of cell outputs, and quiets TensorFlow's Python logger.
    """
    if "tensorflow" in sys.modules:  # imported before us: its lines are already out
        tf = sys.modules["tensorflow"]
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with filtered_fd2():
            import tensorflow as tf
    tf.get_logger().setLevel(logging.ERROR)
    return tf
