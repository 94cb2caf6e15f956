"""Shared test set-up: a non-interactive matplotlib backend.

TensorFlow is left as a reader gets it (no TF_CPP_* variables): vaebook.tensorflow
must keep its log lines out by itself.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

# Tests import TensorFlow themselves too; the first import goes through vaebook so that
# its start-up lines stay out of the test log.
from vaebook._quiet_tensorflow import import_tensorflow  # noqa: E402

import_tensorflow()

# The tools/ helpers (notebook rules) are importable from the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
