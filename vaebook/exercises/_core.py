"""The checking engine behind every exercise: cases, comparisons and what a reader is told.

What a reader is told, by design:

* A **function** answer is called on each :class:`Case` in turn. On the first case it
  gets wrong the checker shows that input, the expected and the obtained output (the
  function is the exercise, so an output for one input gives nothing away), says which
  output is off and how, and names the likely mistake when a known one explains it.
* A **value** answer is never shown the expected value. The checker says which output
  is off, in which direction and roughly by how much (in bands: under 1 %, a few per
  cent, ...), and names a known mistake when the answer matches one (a
  :class:`Mistake` declared with the exercise, e.g. "784x too small: did you average
  over pixels?"). The answer itself comes only from ``.solution()``.
* Value answers may be numbers, tuples, lists, NumPy arrays or tensors; a string (say
  ``"11.9"``) is refused with a message naming the type that was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._arrays import to_numpy

FRAMEWORKS = ("torch", "tensorflow")
_ALIASES = {"torch": "torch", "pytorch": "torch", "pt": "torch",
            "tensorflow": "tensorflow", "tf": "tensorflow", "keras": "tensorflow"}


def framework_key(framework: str | None, required: bool) -> str | None:
    """'torch' or 'tensorflow' from a reader's spelling (None where none is needed)."""
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


def short(value: Any) -> str:
    """A compact description of an input or output for a failure message."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(short(v) for v in value) + ")"
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
class Mistake:
    """A known wrong answer and what to tell the reader who made it.

    For a function exercise, ``reference`` is a NumPy function with the signature of
    the exercise's reference that makes the mistake; for a value exercise, a
    zero-argument function returning the value the mistake gives. ``says`` is the
    message, e.g. ``"784x too small: did you average over pixels instead of summing?"``.
    """

    reference: Callable[..., Any]
    says: str


@dataclass
class Result:
    """Outcome of checking an answer. ``status`` is "correct", "wrong" or "not attempted"."""

    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"


# --------------------------------------------------------------------------- comparing


def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _band(rel: float) -> str:
    """A relative difference, said coarsely: enough to steer, not enough to recover the answer."""
    if rel < 0.01:
        return "by less than 1%"
    if rel < 0.1:
        return "by a few per cent (1 to 10%)"
    if rel < 0.5:
        return "by 10 to 50%"
    if rel < 1.0:
        return "by 50 to 100%"
    return "by more than a factor of 2"


def direction(expected: np.ndarray, got: np.ndarray) -> str:
    """Which way and roughly how far ``got`` is off, without the expected value."""
    diff = got - expected
    scale = np.maximum(np.abs(expected), 1e-12)
    worst = int(np.argmax(np.abs(diff) / scale))
    rel = float(np.abs(diff).flat[worst] / scale.flat[worst])
    if np.all(np.sign(expected) == -np.sign(got)) and np.any(expected != 0):
        return "has the wrong sign"
    way = "too large" if diff.flat[worst] > 0 else "too small"
    where = "" if expected.size == 1 else " (the worst element)"
    return f"is {way} {_band(rel)}{where}"


def _constant_ratio(expected: np.ndarray, got: np.ndarray) -> float | None:
    """``expected / got`` when it is the same for every element (and not 1), else None."""
    if expected.shape != got.shape:
        return None
    mask = (np.abs(got) > 1e-9) & (np.abs(expected) > 1e-9)
    if mask.sum() < 2 or not np.array_equal(
            mask, np.abs(expected) > 1e-9):
        return None
    ratios = expected[mask] / got[mask]
    r = float(np.median(ratios))
    if not np.allclose(ratios, r, rtol=1e-3) or abs(r - 1) < 1e-3:
        return None
    return r


def generic_diagnosis(expected: np.ndarray, got: np.ndarray, args: tuple = ()) -> str | None:
    """Name a mistake of a shape every exercise meets: a sign, a mean for a sum, a batch mean."""
    if got.shape == () and expected.ndim >= 1 and np.isclose(got, expected.mean(), rtol=1e-4):
        return "one number for the whole batch: return one value per example, no mean over the batch"
    if got.shape == () and expected.ndim >= 1 and np.isclose(got, expected.sum(), rtol=1e-4):
        return "one number for the whole batch: return one value per example, no sum over the batch"
    r = _constant_ratio(expected, got)
    if r is None:
        return None
    if abs(r + 1) < 1e-3:
        return "the sign is flipped everywhere"
    sizes = sorted({int(s) for a in args if isinstance(a, np.ndarray) for s in a.shape[1:]}
                   | {int(np.prod(a.shape[1:])) for a in args
                      if isinstance(a, np.ndarray) and a.ndim > 1})
    for n in sizes:
        if n > 1 and abs(r - n) < 1e-3 * n:
            return f"{n}x too small: did you average over {n} values instead of summing?"
        if n > 1 and abs(1 / r - n) < 1e-3 * n:
            return f"{n}x too large: did you sum over {n} values where a mean was wanted?"
    if abs(r - 2) < 2e-3:
        return "half of the right value everywhere: a missing factor of 2?"
    if abs(r - 0.5) < 1e-3:
        return "twice the right value everywhere: a factor 1/2 missing?"
    return None


# --------------------------------------------------------------------------- the exercise


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
        wrong: plausible wrong answers, as code in the same form (tests prove they fail).
        mistakes: known mistakes the checker recognises and names.
        answer_name: the name the solution code binds (a function name, or a variable).
        output_names: names of the outputs of a tuple answer, for messages ("m", "v").
        rtol, atol: tolerance of the comparison.
        compare: optional ``compare(expected, got) -> str | None`` returning a reason
            when ``got`` is wrong (default: shapes, then ``np.allclose``).
    """

    key: str
    title: str
    reference: Callable[..., Any]
    cases: Sequence[Case] = ()
    hints: Sequence[str] = ()
    solutions: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, Sequence[str]] = field(default_factory=dict)
    mistakes: Sequence[Mistake] = ()
    answer_name: str = "answer"
    output_names: Sequence[str] = ()
    rtol: float = 1e-4
    atol: float = 1e-5
    compare: Callable[[Any, Any], str | None] | None = None
    _hint_index: int = field(default=0, repr=False)

    @property
    def is_function(self) -> bool:
        return bool(self.cases)

    # ------------------------------------------------------------------ comparing
    def _name(self, i: int, n: int) -> str:
        if n == 1:
            return "the result"
        label = f" ({self.output_names[i]})" if i < len(self.output_names) else ""
        return f"output {i + 1}{label}"

    def _compare(self, expected: Any, got: Any, args: tuple = (), i: int = 0,
                 n: int = 1) -> str | None:
        """None if ``got`` matches ``expected``, else what is wrong (never the expected value)."""
        if self.compare is not None:
            return self.compare(expected, got)
        if isinstance(expected, tuple | list):
            if not isinstance(got, tuple | list) or len(got) != len(expected):
                return (f"expected {len(expected)} outputs as a tuple, got "
                        f"{type(got).__name__}" + (f" of length {len(got)}"
                                                    if isinstance(got, tuple | list) else ""))
            reasons = []
            for j, (e, g) in enumerate(zip(expected, got, strict=True)):
                reason = self._compare(e, g, args, j, len(expected))
                if reason:
                    reasons.append(reason)
            if reasons and len(expected) == 2 and self._compare(expected[0], got[1]) is None \
                    and self._compare(expected[1], got[0]) is None:
                return "the two outputs are swapped"
            return "; ".join(reasons) or None
        name = self._name(i, n)
        try:
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{name}: expected a number or an array, got {type(got).__name__}"
        exp_arr = np.asarray(expected, dtype=np.float64)
        if got_arr.shape != exp_arr.shape:
            diagnosis = generic_diagnosis(exp_arr, got_arr.reshape(got_arr.shape), args)
            base = f"{name} has shape {got_arr.shape}, expected shape {exp_arr.shape}"
            return f"{base}: {diagnosis}" if diagnosis else base
        if not np.all(np.isfinite(got_arr) | ~np.isfinite(exp_arr)):
            return f"{name} holds NaN or inf where the answer is finite"
        if not np.allclose(got_arr, exp_arr, rtol=self.rtol, atol=self.atol):
            diagnosis = generic_diagnosis(exp_arr, got_arr, args)
            return f"{name} {direction(exp_arr, got_arr)}" + (f": {diagnosis}" if diagnosis else "")
        return None

    def _known_mistake(self, got: Any, args: tuple | None) -> str | None:
        for mistake in self.mistakes:
            try:
                wrong = mistake.reference(*args) if args is not None else mistake.reference()
            except Exception:  # noqa: BLE001 (a mistake's reference may not apply to every case)
                continue
            if _same(wrong, got, self.rtol, self.atol):
                return mistake.says
        return None

    # ------------------------------------------------------------------ checking
    def evaluate(self, answer: Any, framework: str | None = None) -> Result:
        """Check ``answer`` and return a :class:`Result` (no printing)."""
        if answer is None or answer is Ellipsis:
            return Result("not attempted", f"{self.key}: not attempted yet.")
        if not self.is_function:
            return self._evaluate_value(answer)
        fw = framework_key(framework, required=True)
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
                    f"  input:    {short(case.args)}",
                )
            reason = self._compare(expected, got, case.args)
            if reason:
                known = self._known_mistake(got, case.args)
                return Result(
                    "wrong",
                    f"{self.key}: {what} is wrong: {reason}.\n"
                    + (f"  likely mistake: {known}\n" if known else "")
                    + f"  input:    {short(case.args)}\n"
                    f"  expected: {short(expected)}\n"
                    f"  got:      {short(got)}",
                )
        return Result("correct", f"{self.key}: correct on all {len(self.cases)} cases.")

    def _evaluate_value(self, answer: Any) -> Result:
        problem = _value_type_problem(answer)
        if problem:
            return Result("wrong", f"{self.key}: not yet. {problem}")
        try:
            expected = self.reference()
        except NotImplementedError:
            return Result("not attempted", f"{self.key}: not attempted yet.")
        got = to_numpy(answer)
        if isinstance(expected, tuple) and isinstance(got, np.ndarray) and got.ndim == 1:
            got = tuple(got)  # a tuple answer given as np.array([a, b])
        if isinstance(expected, tuple) and isinstance(got, list):
            got = tuple(got)
        reason = self._compare(expected, got)
        if not reason:
            return Result("correct", f"{self.key}: correct.")
        known = self._known_mistake(got, None)
        if known and not known.endswith((".", "?", "!")):
            known += "."  # the hint offer follows: keep the sentences apart
        return Result("wrong", f"{self.key}: not yet. {reason}."
                      + (f" Likely mistake: {known}" if known else ""))

    def check(self, answer: Any, framework: str | None = None) -> None:
        """Check ``answer`` and print ✓, ✗ with what is wrong, or ○ for not attempted."""
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
        fw = framework_key(framework, required=False)
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


def _same(a: Any, b: Any, rtol: float, atol: float) -> bool:
    """Whether two outputs (numbers, arrays or tuples of them) agree."""
    if isinstance(a, tuple | list):
        return (isinstance(b, tuple | list) and len(a) == len(b)
                and all(_same(x, y, rtol, atol) for x, y in zip(a, b, strict=True)))
    try:
        a_arr, b_arr = np.asarray(a, np.float64), np.asarray(b, np.float64)
    except (TypeError, ValueError):
        return False
    return _close(b_arr, a_arr, rtol, atol)


def _value_type_problem(answer: Any) -> str | None:
    """Why ``answer`` is not a number, a sequence of numbers or an array, or None."""
    if isinstance(answer, str | bytes):
        return (f"Expected a number (or a tuple, list or array of numbers), got a string "
                f"{answer!r}: write the number without quotes.")
    if isinstance(answer, bool):
        return "Expected a number, got True or False."
    if isinstance(answer, dict):
        return "Expected a number (or a tuple, list or array of numbers), got a dict."
    if isinstance(answer, tuple | list):
        for item in answer:
            problem = _value_type_problem(item)
            if problem:
                return problem
        return None
    if isinstance(answer, numbers.Number | np.ndarray | np.generic) or hasattr(answer, "shape"):
        return None
    return (f"Expected a number (or a tuple, list or array of numbers), got "
            f"{type(answer).__name__}.")


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
