"""tools/execute_notebooks.py: notebooks run in parallel, failures are kept and reported."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tools import execute_notebooks as ex


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A tiny book of notebooks under tmp_path; returns a function that adds one."""
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    out = tmp_path / "_build" / "executed"
    notebooks = []
    monkeypatch.setattr(ex, "ROOT", tmp_path)
    monkeypatch.setattr(ex, "OUT", out)
    monkeypatch.setattr(ex, "TIMINGS", out / "timings.json")
    monkeypatch.setattr(ex, "RUN", out / "run.json")
    monkeypatch.setattr(ex, "toc_notebooks", lambda: list(notebooks))
    monkeypatch.setattr(ex, "newest_dependency", lambda: 0.0)

    def add(name, source):
        path = chapters / f"{name}.ipynb"
        nbformat.write(new_notebook(cells=[new_code_cell(source)]), path)
        notebooks.append(path)
        return path

    return add, out


def test_two_at_a_time_with_timings_and_wall_clock(book):
    add, out = book
    add("a", "print('a' * 3)")
    add("b", "import sys\nprint('\\r50%\\r100%', file=sys.stdout)")
    assert ex.main(["--jobs", "2"]) == 0
    timings = json.loads((out / "timings.json").read_text())
    assert set(timings) == {"chapters/a.ipynb", "chapters/b.ipynb"}
    assert all(t["jobs"] == 2 and t["seconds"] > 0 for t in timings.values())
    run = json.loads((out / "run.json").read_text())
    assert run["jobs"] == 2 and run["wall_seconds"] > 0
    executed = nbformat.read(out / "chapters" / "a.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "aaa\n"
    # A progress bar's redraws are settled to what a terminal would show.
    executed = nbformat.read(out / "chapters" / "b.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "100%\n"
    # Up to date: nothing runs again.
    assert ex.main(["--jobs", "2"]) == 0
    assert json.loads((out / "timings.json").read_text()) == timings


def test_a_failing_notebook_is_reported_and_kept(book, capsys):
    add, out = book
    add("good", "x = 1")
    add("bad", "raise ValueError('planted failure')")
    assert ex.main(["--jobs", "2"]) == 1
    printed = capsys.readouterr()
    assert "FAILED      chapters/bad.ipynb" in printed.out and "planted failure" in printed.out
    assert "notebooks that failed: chapters/bad.ipynb" in printed.err
    assert (out / "chapters" / "bad.failed.ipynb").exists()
    assert not (out / "chapters" / "bad.ipynb").exists()  # never "fresh"
    assert (out / "chapters" / "good.ipynb").exists()
    assert not (out / "run.json").exists()  # a failed run is no whole-book figure


def test_jobs_must_be_positive(book, capsys):
    with pytest.raises(SystemExit):
        ex.main(["--jobs", "0"])
    assert "--jobs: expected a positive number" in capsys.readouterr().err


def _paired_notebook(path, metadata=None):
    from nbformat.v4 import new_markdown_cell

    cells = [
        new_code_cell("EPOCHS = 1\nDATASET = 'digits'", metadata={"tags": ["parameters"]}),
        new_code_cell("results = {}"),
        new_code_cell("# PyTorch\nresults['PyTorch'] = EPOCHS", metadata={"tags": ["pytorch"]}),
        new_code_cell("# TensorFlow\nresults['TensorFlow'] = 2 * EPOCHS",
                      metadata={"tags": ["tensorflow"]}),
        new_markdown_cell("Shared prose."),
        new_code_cell("print(sorted(results.items()), DATASET)"),
    ]
    nbformat.write(new_notebook(cells=cells, metadata={
        "vaebook": metadata or {}, "language_info": {"name": "python"},
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}),
        path)


def test_one_framework_variants_leave_out_the_other_frameworks_cells(book, tmp_path,
                                                                     monkeypatch):
    add, out = book
    variants = tmp_path / "_build" / "variants"
    monkeypatch.setattr(ex, "VARIANTS", variants)
    path = add("paired", "")
    _paired_notebook(path, {"long_run": {"DATASET": "mnist", "EPOCHS": 30},
                            "test_run": {"DATASET": "font_digits", "EPOCHS": 3}})
    assert ex.main(["--jobs", "2", "--variant", "pytorch", "--variant", "tensorflow"]) == 0
    printed = {}
    for variant in ("pytorch", "tensorflow"):
        nb = nbformat.read(variants / variant / "chapters" / "paired.ipynb", as_version=4)
        tagged = [c.metadata.get("tags", []) for c in nb.cells]
        assert not any(("tensorflow" if variant == "pytorch" else "pytorch") in t for t in tagged)
        printed[variant] = nb.cells[-1].outputs[0]["text"].strip()
    # The test run: the long run's parameters, overridden by test_run's.
    assert printed == {"pytorch": "[('PyTorch', 3)] font_digits",
                       "tensorflow": "[('TensorFlow', 6)] font_digits"}
    assert not (out / "chapters" / "paired.ipynb").exists()  # the book's copy is untouched
    assert ex.main(["--variant", "pytorch"]) == 0  # up to date: nothing runs
    timings = json.loads((variants / "pytorch" / "timings.json").read_text())
    assert list(timings) == ["chapters/paired.ipynb"]


def test_a_shared_cell_reading_the_other_framework_fails_its_variant(book, tmp_path,
                                                                     monkeypatch):
    """The failure a one-framework reader meets: a shared cell reads a TensorFlow result."""
    add, out = book
    monkeypatch.setattr(ex, "VARIANTS", tmp_path / "_build" / "variants")
    path = add("broken", "")
    nb = nbformat.v4.new_notebook(cells=[
        new_code_cell("# TensorFlow\nloss_tf = 1.0", metadata={"tags": ["tensorflow"]}),
        new_code_cell("print(loss_tf)")])
    nbformat.write(nb, path)
    assert ex.main(["--variant", "pytorch"]) == 1
    assert ex.main(["--variant", "tensorflow"]) == 0
