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
