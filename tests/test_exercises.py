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
            if ex.is_function:
                assert "expected" in result.message or "raised" in result.message
            else:
                assert not _reveals(result.message, ex.reference()), result.message


@pytest.mark.parametrize("chapter,key", EXERCISES)
def test_untouched_stub_reads_not_attempted(chapter, key):
    ex = getattr(exmod.load(chapter), key)
    if ex.is_function:
        def stub(*args):
            raise NotImplementedError
        for fw in exmod.FRAMEWORKS:
            assert ex.evaluate(stub, fw).status == "not attempted"
    assert ex.evaluate(None).status == "not attempted"


def _numbers(value):
    if isinstance(value, tuple | list):
        return [x for v in value for x in _numbers(v)]
    return [float(x) for x in np.ravel(np.asarray(value, dtype=np.float64))]


def _reveals(message: str, expected) -> bool:
    """Whether ``message`` prints an expected number in a usual format (2 to 6 digits)."""
    for x in _numbers(expected):
        if x in (0.0, 1.0, -1.0):  # too common to tell anything
            continue
        forms = {f"{x:.{d}f}" for d in range(1, 7)} | {f"{x:.{d}g}" for d in range(2, 7)}
        forms = {f for f in forms if len(f.strip("-0.")) >= 2}
        if any(f in message for f in forms):
            return True
    return False


def test_reveals_can_fail():
    assert _reveals("expected 11.9057, got 12.19", 11.905712)
    assert not _reveals("the result is too large by a few per cent", 11.905712)


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
        exmod.load("ch99")


# ---------------------------------------------------------------- what a reader is told
def _pair_exercise():
    return exmod.Exercise(
        key="v2", title="(m, v) of a posterior", reference=lambda: (0.8888889, 0.1111111),
        hints=["multiply the Gaussians"], output_names=("m", "v"),
        mistakes=[exmod.Mistake(lambda: (0.8888889, 1 / 0.1111111),
                                "you gave the precision, not the variance")])


@pytest.mark.parametrize("answer", [(0.8888889, 0.1111111), [0.8888889, 0.1111111],
                                    np.array([0.8888889, 0.1111111])])
def test_value_answers_in_any_container(answer):
    assert _pair_exercise().evaluate(answer).status == "correct"


def test_value_answers_as_tensors():
    import torch

    from vaebook import tensorflow as vbtf

    ex = exmod.Exercise(key="v", title="pi", reference=lambda: np.pi, hints=["3.14..."])
    assert ex.evaluate(torch.tensor(np.pi)).status == "correct"
    assert ex.evaluate(vbtf.to_tensor(np.pi)).status == "correct"


@pytest.mark.parametrize("answer", ["11.9", b"3", ("0.9", 0.1), {"m": 1}, True])
def test_strings_and_other_types_are_refused_by_name(answer):
    res = _pair_exercise().evaluate(answer)
    assert res.status == "wrong"
    assert "Expected a number" in res.message
    if isinstance(answer, str):
        assert "string" in res.message and "without quotes" in res.message


def test_wrong_value_says_which_output_which_way_never_the_answer():
    ex = _pair_exercise()
    res = ex.evaluate((0.8888889, 0.15))
    assert res.status == "wrong"
    assert "output 2 (v) is too large by 10 to 50%" in res.message
    assert "output 1" not in res.message
    assert not _reveals(res.message, ex.reference())
    res = ex.evaluate((0.885, 0.1111111))
    assert "output 1 (m) is too small by less than 1%" in res.message


def test_known_mistakes_are_named():
    ex = _pair_exercise()
    res = ex.evaluate((0.8888889, 9.0))
    assert "Likely mistake: you gave the precision, not the variance" in res.message
    res = ex.evaluate((0.1111111, 0.8888889))
    assert "the two outputs are swapped" in res.message


def test_generic_diagnoses_of_function_answers():
    ex = exmod.Exercise(
        key="q0", title="sum of squares per example", reference=lambda a: (a**2).sum(axis=1),
        cases=[exmod.Case((np.arange(1.0, 785.0).reshape(2, 392) / 100,), "two rows")],
        hints=["square, then sum over dimension 1"],
    )
    mean_over_pixels = ex.evaluate(lambda a: (a**2).mean(dim=1), "torch").message
    assert "392x too small: did you average over 392 values instead of summing?" in mean_over_pixels
    batch_mean = ex.evaluate(lambda a: (a**2).sum(dim=1).mean(), "torch").message
    assert "one number for the whole batch" in batch_mean
    flipped = ex.evaluate(lambda a: -(a**2).sum(dim=1), "torch").message
    assert "the sign is flipped" in flipped
    # A function's failing case still shows input, expected and got (the function is the
    # exercise: one output gives nothing away).
    assert "input:" in flipped and "expected:" in flipped and "got:" in flipped
