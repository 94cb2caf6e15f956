"""Checked exercises: the reader writes a function or a value, a checker says why it is wrong.

Usage in a chapter notebook::

    from vaebook.exercises import load
    ex = load("ch3")
    ex.q1.check(my_gaussian_kl, framework="torch")   # ✓, ✗ with input/expected/got, or "not attempted"
    ex.q1.hint()                                      # the next hint
    ex.q1.solution("tensorflow")                      # the solution, as code

Checkers test *behaviour*: a function answer is called on several inputs (edge cases
included, converted to the reader's framework) and compared with a NumPy reference;
a value answer is compared with the computed value. A stub that still raises
``NotImplementedError`` (or an answer left as ``None`` / ``...``) is reported as
"not attempted yet", never as a traceback, so a book built from untouched stubs is
clean. Every exercise stores its solutions and at least two plausible wrong answers
as code; ``tests/test_exercises.py`` proves each checker accepts the one and
rejects the others, in both frameworks.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from .._arrays import to_numpy
from ._core import (
    FRAMEWORKS,
    Case,
    Exercise,
    ExerciseSet,
    Mistake,
    Result,
    framework_key,
    to_framework,
)

__all__ = ["load", "Exercise", "ExerciseSet", "Case", "Mistake", "Result", "FRAMEWORKS",
           "CHAPTERS", "to_framework", "to_numpy", "framework_key"]

#: Chapter key -> the module of this package that holds its ExerciseSet.
CHAPTERS = {
    "ch1": "ch1_autoencoders",
    "ch2": "ch2_losses",
    "ch3": "ch3_elbo",
    "ch4": "ch4_reparameterization",
    "ch5": "ch5_vae_vs_gan",
    "ch6": "ch6_kl_in_practice",
    "ch7": "ch7_disentanglement",
    "ch8": "ch8_bounds_flows_priors",
    "ch9": "ch9_diffusion",
    "appendix": "appendix_mistakes",
}


def load(chapter: str) -> ExerciseSet:
    """The :class:`ExerciseSet` of a chapter: a key of :data:`CHAPTERS` (``"ch1"`` …, ``"appendix"``)."""
    if chapter not in CHAPTERS:
        raise ValueError(
            f"load: argument `chapter` must be one of {sorted(CHAPTERS)}; got {chapter!r}."
        )
    module = importlib.import_module(f"{__name__}.{CHAPTERS[chapter]}")
    return module.EXERCISES


def run_code(code: str, framework: str | None, name: str) -> Any:
    """Execute solution/wrong-answer ``code`` and return the object bound to ``name``.

    Used by the tests; the namespace holds ``np`` and, for a framework, ``torch`` or
    ``tf`` (code may import more itself).
    """
    ns: dict[str, Any] = {"np": np}
    if framework == "torch":
        import torch

        ns["torch"] = torch
    elif framework == "tensorflow":
        from .._quiet_tensorflow import import_tensorflow

        ns["tf"] = import_tensorflow()
    exec(compile(code, f"<{name}>", "exec"), ns)
    return ns[name]
