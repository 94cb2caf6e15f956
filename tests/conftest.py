"""Shared test set-up: a non-interactive matplotlib backend and quiet TensorFlow."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

# The tools/ helpers (notebook rules) are importable from the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
