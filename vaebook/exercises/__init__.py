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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["load", "Exercise", "ExerciseSet", "Case", "Result", "FRAMEWORKS", "CHAPTERS"]

FRAMEWORKS = ("torch", "tensorflow")
_ALIASES = {"torch": "torch", "pytorch": "torch", "pt": "torch",
            "tensorflow": "tensorflow", "tf": "tensorflow", "keras": "tensorflow"}
# Chapter key -> module in this package holding its ExerciseSet.
CHAPTERS = {
    "ch1": "ch1_autoencoders",
    "ch2": "ch2_losses",
    "ch3": "ch3_elbo",
    "ch4": "ch4_reparameterization",
    "ch5": "ch5_vae_vs_gan",
    "appendix": "appendix_mistakes",
}


def _framework(framework: str | None, required: bool) -> str | None:
    if framework is None:
        if required:
            raise ValueError(
                "check: argument `framework` must be 'torch' or 'tensorflow' for an exercise "
                "that calls your function on tensors; got None."
            )
        return None
    key = _ALIASES.get(str(framework).lower())
    if key is None:
        raise ValueError(
            f"check: argument `framework` must be one of {sorted(_ALIASES)}; got {framework!r}."
        )
    return key


def to_framework(value: Any, framework: str | None) -> Any:
    """NumPy arrays (also inside tuples/lists/dicts) -> float32 tensors of ``framework``."""
    if isinstance(value, tuple | list):
        return type(value)(to_framework(v, framework) for v in value)
    if isinstance(value, dict):
        return {k: to_framework(v, framework) for k, v in value.items()}
    if not isinstance(value, np.ndarray) or framework is None:
        return value
    dtype = np.float32 if value.dtype.kind == "f" else value.dtype
    if framework == "torch":
        import torch

        return torch.as_tensor(value.astype(dtype))
    from .._quiet_tensorflow import import_tensorflow

    return import_tensorflow().constant(value.astype(dtype))


def to_numpy(value: Any) -> Any:
    """Tensors (also inside tuples/lists) -> NumPy arrays; plain numbers stay numbers."""
    if isinstance(value, tuple | list):
        return type(value)(to_numpy(v) for v in value)
    if hasattr(value, "detach"):  # torch
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):  # tensorflow
        return value.numpy()
    return value


def _short(value: Any) -> str:
    """A compact description of an input or output for a failure message."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    if isinstance(value, np.ndarray):
        body = np.array2string(value, precision=4, threshold=8, edgeitems=2, suppress_small=True)
        body = " ".join(body.split())
        return f"array{value.shape} {body}" if value.ndim else body
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


@dataclass
class Case:
    """One input for a function exercise: the arguments and what they probe."""

    args: tuple
    label: str = ""


@dataclass
class Result:
    """Outcome of checking an answer. ``status`` is one of
    "correct", "wrong", "not attempted"."""

    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"


@dataclass
class Exercise:
    """One checked exercise.

    Args:
        key: short name, e.g. ``"q1"``.
        title: one line saying what to do.
        reference: for a function exercise, a NumPy function computing the right output
            from the NumPy arguments of a :class:`Case`; for a value exercise, a
            zero-argument function returning the right value.
        cases: inputs a function answer is called on (empty for a value exercise).
        hints: shown one at a time by :meth:`hint`.
        solutions: code per framework ("torch", "tensorflow", or "any") defining
            ``answer_name``.
        wrong: plausible wrong answers, as code in the same form (tests use them).
        answer_name: the name the solution code binds (a function name, or a variable).
        rtol, atol: tolerance of the comparison.
        compare: optional ``compare(expected, got) -> str | None`` returning a reason
            when ``got`` is wrong (default: shape check then ``np.allclose``).
    """

    key: str
    title: str
    reference: Callable[..., Any]
    cases: Sequence[Case] = ()
    hints: Sequence[str] = ()
    solutions: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, Sequence[str]] = field(default_factory=dict)
    answer_name: str = "answer"
    rtol: float = 1e-4
    atol: float = 1e-5
    compare: Callable[[Any, Any], str | None] | None = None
    _hint_index: int = field(default=0, repr=False)

    @property
    def is_function(self) -> bool:
        return bool(self.cases)

    # ------------------------------------------------------------------ checking
    def _compare(self, expected: Any, got: Any) -> str | None:
        if self.compare is not None:
            return self.compare(expected, got)
        if isinstance(expected, tuple | list):
            if not isinstance(got, tuple | list) or len(got) != len(expected):
                return f"expected {len(expected)} outputs, got {_short(got)}"
            for i, (e, g) in enumerate(zip(expected, got, strict=True)):
                reason = self._compare(e, g)
                if reason:
                    return f"output {i}: {reason}"
            return None
        try:
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return f"expected a number or array, got {type(got).__name__}"
        exp_arr = np.asarray(expected, dtype=np.float64)
        if got_arr.shape != exp_arr.shape:
            return f"expected shape {exp_arr.shape}, got shape {got_arr.shape}"
        if not np.all(np.isfinite(got_arr) | ~np.isfinite(exp_arr)):
            return "got NaN or inf where the answer is finite"
        if not np.allclose(got_arr, exp_arr, rtol=self.rtol, atol=self.atol):
            return "values differ"
        return None

    def evaluate(self, answer: Any, framework: str | None = None) -> Result:
        """Check ``answer`` and return a :class:`Result` (no printing)."""
        if answer is None or answer is Ellipsis:
            return Result("not attempted", f"{self.key}: not attempted yet.")
        if not self.is_function:
            try:
                got = to_numpy(answer)
                reason = self._compare(self.reference(), got)
            except NotImplementedError:
                return Result("not attempted", f"{self.key}: not attempted yet.")
            if reason:
                return Result(
                    "wrong",
                    f"{self.key}: not yet. {reason}: expected {_short(self.reference())}, "
                    f"got {_short(got)}.",
                )
            return Result("correct", f"{self.key}: correct.")
        fw = _framework(framework, required=True)
        if not callable(answer):
            return Result("wrong", f"{self.key}: expected a function, got {type(answer).__name__}.")
        for i, case in enumerate(self.cases, 1):
            expected = self.reference(*case.args)
            what = f"case {i}" + (f" ({case.label})" if case.label else "")
            try:
                got = to_numpy(answer(*to_framework(case.args, fw)))
            except NotImplementedError:
                return Result("not attempted", f"{self.key}: not attempted yet (the stub "
                              "still raises NotImplementedError).")
            except Exception as err:  # the reader's code failed: say how, no traceback
                return Result(
                    "wrong",
                    f"{self.key}: {what} raised {type(err).__name__}: {err}\n"
                    f"  input:    {_short(case.args)}",
                )
            reason = self._compare(expected, got)
            if reason:
                return Result(
                    "wrong",
                    f"{self.key}: {what} is wrong: {reason}.\n"
                    f"  input:    {_short(case.args)}\n"
                    f"  expected: {_short(expected)}\n"
                    f"  got:      {_short(got)}",
                )
        return Result("correct", f"{self.key}: correct on all {len(self.cases)} cases.")

    def check(self, answer: Any, framework: str | None = None) -> None:
        """Check ``answer`` and print ✓ or ✗ with the failing input, expected and got."""
        result = self.evaluate(answer, framework)
        mark = {"correct": "✓", "wrong": "✗", "not attempted": "○"}[result.status]
        extra = " Call .hint() for a hint." if result.status == "wrong" else ""
        print(f"{mark} {result.message}{extra}")

    # ------------------------------------------------------------------ help
    def hint(self) -> None:
        """Print the next hint (cycling back to the first after the last)."""
        if not self.hints:
            print(f"{self.key}: no hints for this one.")
            return
        i = self._hint_index % len(self.hints)
        self._hint_index += 1
        print(f"Hint {i + 1}/{len(self.hints)}: {self.hints[i]}")

    def solution_code(self, framework: str | None = None) -> str:
        """The solution as code for ``framework`` (or the framework-free one)."""
        fw = _framework(framework, required=False)
        if fw in self.solutions:
            return self.solutions[fw]
        if "any" in self.solutions:
            return self.solutions["any"]
        raise KeyError(f"{self.key}: no solution for framework {framework!r}.")

    def solution(self, framework: str | None = None) -> None:
        """Print the solution (both frameworks when ``framework`` is None)."""
        if framework is None and "any" not in self.solutions:
            for fw in FRAMEWORKS:
                print(f"# --- {fw} ---\n{self.solutions[fw].strip()}\n")
            return
        print(self.solution_code(framework).strip())


class ExerciseSet:
    """The exercises of one chapter; ``ex.q1`` … by key, iterable in order."""

    def __init__(self, chapter: str, exercises: Iterable[Exercise]):
        self.chapter = chapter
        self._items = {e.key: e for e in exercises}

    def __getattr__(self, key: str) -> Exercise:
        try:
            return self.__dict__["_items"][key]
        except KeyError:
            raise AttributeError(
                f"{self.__dict__.get('chapter')}: no exercise {key!r}; "
                f"available: {list(self.__dict__.get('_items', {}))}"
            ) from None

    def __iter__(self):
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        lines = [f"Exercises of {self.chapter}:"]
        lines += [f"  {e.key}: {e.title}" for e in self]
        return "\n".join(lines)


def load(chapter: str) -> ExerciseSet:
    """The :class:`ExerciseSet` of a chapter: ``"ch1"`` … ``"ch5"`` or ``"appendix"``."""
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
