"""tools/build_book.py: how outputs are joined, the execution report, the Colab URL."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import build_book
from tools.notebook_rules import repository, toc_files


def _stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def _merged(*outputs):
    cell = new_code_cell("x")
    cell.outputs = list(outputs)
    nb = new_notebook(cells=[cell])
    build_book.merge_streams(nb)
    return [(o.output_type, o.get("name"), o.get("text")) for o in nb.cells[0].outputs]


BAR0 = "VAE (torch):   0%|          | 0/30 [00:00<?, ?it/s]"
BAR50 = "VAE (torch):  50%|█████     | 15/30 [00:01<00:01, 9.9it/s, loss=30.1]"
BAR100 = "VAE (torch): 100%|██████████| 30/30 [00:03<00:00, 9.9it/s, loss=24.3]"


def test_prints_of_a_loop_share_one_output():
    assert _merged(_stream("epoch 1\n"), _stream("epoch 2\n")) == [
        ("stream", "stdout", "epoch 1\nepoch 2\n")]


def test_a_progress_bar_keeps_its_last_state():
    raw = [_stream("\r" + BAR0), _stream("\r" + BAR50), _stream("\r" + BAR100),
           _stream("\r" + BAR100), _stream("\ndone\n")]
    assert _merged(*raw) == [("stream", "stdout", BAR100 + "\ndone\n")]


def test_a_bar_whose_returns_were_dropped_still_redraws():
    settled = [_stream(BAR0), _stream(BAR50), _stream(BAR100), _stream("\n")]
    assert _merged(*settled) == [("stream", "stdout", BAR100 + "\n")]


def test_text_printed_in_pieces_is_not_a_redraw():
    assert _merged(_stream("training ..."), _stream(" done\n")) == [
        ("stream", "stdout", "training ... done\n")]


def test_order_and_streams_are_kept():
    figure = new_output("display_data", data={"text/plain": "<Figure>"})
    out = _merged(_stream("before\n"), figure, _stream("after\n"), _stream("warn\n", "stderr"),
                  _stream("last\n"))
    assert [(t, n, x) for t, n, x in out] == [
        ("stream", "stdout", "before\n"), ("display_data", None, None),
        ("stream", "stdout", "after\n"), ("stream", "stderr", "warn\n"),
        ("stream", "stdout", "last\n")]


def test_colab_url_points_at_the_source_notebook():
    url, branch = repository()
    owner_repo = url.split("github.com/", 1)[1]
    assert build_book.colab_url("chapters/03_elbo") == (
        f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/chapters/03_elbo.ipynb")


def test_execution_report(tmp_path, monkeypatch):
    executed = tmp_path / "executed"
    (executed / "chapters").mkdir(parents=True)
    for name, title, duration in (("01_autoencoders", "1. Autoencoder basics", 80.0),
                                  ("03_elbo", "3. The ELBO", 75.5)):
        nb = new_notebook(cells=[new_markdown_cell(f"# {title}\n\ntext")],
                          metadata={"papermill": {"duration": duration,
                                                  "end_time": "2026-01-02T03:04:05.6"}})
        nbformat.write(nb, executed / "chapters" / f"{name}.ipynb")
    timings = executed / "timings.json"
    timings.write_text('{"chapters/01_autoencoders.ipynb": '
                       '{"seconds": 81.2, "finished": "2026-01-02 03:04:00"}}')
    monkeypatch.setattr(build_book, "EXECUTED", executed)
    monkeypatch.setattr(build_book, "TIMINGS", timings)
    monkeypatch.setattr(build_book, "RUN", executed / "run.json")  # absent for now

    page = build_book.execution_report(["chapters/01_autoencoders", "chapters/03_elbo"])
    assert page.startswith("# Execution report")
    # timings.json first, papermill's own duration where it has no entry.
    assert "| [1. Autoencoder basics](01_autoencoders.ipynb) | 81.2\u00a0s | 90\u00a0s | ✓ |" in page
    assert "| [3. The ELBO](03_elbo.ipynb) | 75.5\u00a0s | 60\u00a0s | ✗ 16\u00a0s over |" in page
    assert "| **Whole book** (run times added up) | **156.7\u00a0s** | **300\u00a0s** | ✓ |" in page
    assert "Over budget: 03_elbo." in page
    assert "at a time" not in page  # no record of a parallel run: no claim about one

    # The whole-book goal can fail too, and a parallel run's wall time is reported.
    monkeypatch.setattr(build_book, "BOOK_BUDGET", 150)
    (executed / "run.json").write_text('{"wall_seconds": 90.4, "jobs": 2}')
    page = build_book.execution_report(["chapters/01_autoencoders", "chapters/03_elbo"])
    assert "| All chapters, run times added up | 156.7\u00a0s | | |" in page
    assert "| **Whole book** (wall clock, 2 at a time) | **90.4\u00a0s** | **150\u00a0s** | ✓ |" in page
    assert "ran 2 at a time" in page
    (executed / "run.json").write_text('{"wall_seconds": 150.5, "jobs": 2}')
    page = build_book.execution_report(["chapters/01_autoencoders", "chapters/03_elbo"])
    assert "| **Whole book** (wall clock, 2 at a time) | **150.5\u00a0s** | **150\u00a0s** | ✗ over |" in page
    # Start time and wall clock of the run, not a range of finish times.
    assert "finished executing at 2026-01-02 03:04:05" in page and "between" not in page
    (executed / "run.json").write_text('{"wall_seconds": 70.2, "jobs": 2, '
                                       '"started": "2026-01-02 03:02:50"}')
    page = build_book.execution_report(["chapters/01_autoencoders", "chapters/03_elbo"])
    assert ("started at 2026-01-02 03:02:50 (local time) and took 70\u00a0s of wall clock"
            in page)


def test_missing_executed_copy_stops_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(build_book, "EXECUTED", tmp_path)
    notebooks = [f for f in toc_files() if (build_book.ROOT / f"{f}.ipynb").exists()]
    if not notebooks:
        pytest.skip("no chapter notebook written yet")
    with pytest.raises(build_book.BuildError, match="has no executed copy"):
        build_book.stage()
