"""Every exercise checker accepts its own solutions and rejects the plausible wrong answers.

The exercises live in ``vaebook/exercises/<chapter>.py``; each stores its solutions and
at least two wrong answers as code, so this file needs no per-chapter knowledge.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from vaebook import exercises as exmod


def _available():
    out = []
    for chapter, module in exmod.CHAPTERS.items():
        try:
            importlib.import_module(f"vaebook.exercises.{module}")
        except ModuleNotFoundError as err:
            if err.name == f"vaebook.exercises.{module}":
                continue  # chapter not written yet
            raise
        for ex in exmod.load(chapter):
            out.append(pytest.param(chapter, ex.key, id=f"{chapter}-{ex.key}"))
    return out


EXERCISES = _available()


def _frameworks(ex):
    """(framework passed to check, key of the stored code) pairs to try."""
    if "any" in ex.solutions:
        return [(None if not ex.is_function else fw, "any") for fw in
                ((None,) if not ex.is_function else exmod.FRAMEWORKS)]
    return [(fw, fw) for fw in exmod.FRAMEWORKS]


@pytest.mark.parametrize("chapter,key", EXERCISES)
def test_exercise_is_complete(chapter, key):
    ex = getattr(exmod.load(chapter), key)
    assert ex.title and ex.hints, "every exercise needs a title and at least one hint"
    if "any" not in ex.solutions:
        assert set(exmod.FRAMEWORKS) <= set(ex.solutions), "solutions in both frameworks"
    for _, code_key in _frameworks(ex):
        assert len(ex.wrong.get(code_key, ())) >= 2, f"need >= 2 wrong answers for {code_key}"


@pytest.mark.parametrize("chapter,key", EXERCISES)
def test_solution_is_accepted(chapter, key):
    ex = getattr(exmod.load(chapter), key)
    for fw, code_key in _frameworks(ex):
        answer = exmod.run_code(ex.solutions[code_key], fw, ex.answer_name)
        result = ex.evaluate(answer, fw)
        assert result.status == "correct", f"{fw}: {result.message}"


@pytest.mark.parametrize("chapter,key", EXERCISES)
def test_wrong_answers_are_rejected(chapter, key):
    ex = getattr(exmod.load(chapter), key)
    for fw, code_key in _frameworks(ex):
        for code in ex.wrong[code_key]:
            answer = exmod.run_code(code, fw, ex.answer_name)
            result = ex.evaluate(answer, fw)
            assert result.status == "wrong", f"{fw} accepted a wrong answer:\n{code}"
            assert "expected" in result.message or "raised" in result.message


@pytest.mark.parametrize("chapter,key", EXERCISES)
def test_untouched_stub_reads_not_attempted(chapter, key):
    ex = getattr(exmod.load(chapter), key)
    if ex.is_function:
        def stub(*args):
            raise NotImplementedError
        for fw in exmod.FRAMEWORKS:
            assert ex.evaluate(stub, fw).status == "not attempted"
    assert ex.evaluate(None).status == "not attempted"


# ---------------------------------------------------------------- the machinery itself
def _square_exercise():
    return exmod.Exercise(
        key="q0",
        title="square the input",
        reference=lambda a: a**2,
        cases=[exmod.Case((np.array([1.0, -2.0]),), "small"),
               exmod.Case((np.array([[3.0]]),), "2-D")],
        hints=["multiply"],
        solutions={"torch": "def f(a):\n    return a * a\n",
                   "tensorflow": "def f(a):\n    return a * a\n"},
        answer_name="f",
    )


@pytest.mark.parametrize("framework", exmod.FRAMEWORKS)
def test_checker_reports_input_expected_and_got(framework, capsys):
    ex = _square_exercise()
    ex.check(lambda a: a * 2, framework=framework)
    out = capsys.readouterr().out
    assert out.startswith("✗") and "input:" in out and "expected:" in out and "got:" in out
    ex.check(lambda a: a * a, framework=framework)
    assert capsys.readouterr().out.startswith("✓")


def test_checker_reports_shape_and_exceptions():
    ex = _square_exercise()
    res = ex.evaluate(lambda a: (a * a).reshape(-1, 1), "torch")
    assert res.status == "wrong" and "shape" in res.message
    res = ex.evaluate(lambda a: a.nonexistent(), "torch")
    assert res.status == "wrong" and "raised AttributeError" in res.message


def test_check_needs_framework_for_functions():
    with pytest.raises(ValueError, match="framework"):
        _square_exercise().evaluate(lambda a: a, None)
    with pytest.raises(ValueError, match="framework"):
        _square_exercise().evaluate(lambda a: a, "jax")


def test_hints_cycle_and_solution_prints_both(capsys):
    ex = _square_exercise()
    ex.hint()
    ex.hint()
    out = capsys.readouterr().out
    assert out.count("Hint 1/1") == 2
    ex.solution()
    out = capsys.readouterr().out
    assert "# --- torch ---" in out and "# --- tensorflow ---" in out


def test_value_exercise():
    ex = exmod.Exercise(key="v", title="pi", reference=lambda: np.pi, hints=["3.14..."])
    assert ex.evaluate(3.14159265).status == "correct"
    assert ex.evaluate(3.0).status == "wrong"
    assert ex.evaluate(...).status == "not attempted"


def test_unknown_chapter():
    with pytest.raises(ValueError, match="ch1"):
        exmod.load("ch9")
