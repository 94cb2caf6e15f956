"""Build the HTML book from papermill's executed notebooks into ``_build/html``.

``make book`` runs ``tools/execute_notebooks.py`` first (each notebook once, into
``_build/executed``); this script then

1. stages the book's sources into ``_build/staged``: ``_toc.yml``, the pages and
   assets, ``_static/`` and the bibliography, with every notebook listed in
   ``_toc.yml`` replaced by its *executed* copy (same relative path, so the Colab
   buttons still point at ``chapters/<name>.ipynb`` in the repository), its printed
   output joined the way Jupyter shows it (one box, not one per message);
2. writes the staged ``_config.yml`` with ``execute.execute_notebooks: "off"``
   (nothing runs twice) and the staged ``chapters/execution_report.md``: each
   notebook's run time against its budget, and the total;
3. runs ``jb build`` on the staged tree, nitpicky, warnings as errors, keep going,
   from a fresh environment (an incremental build would not repeat the warnings of
   pages it skips), so the HTML lands in ``_build/html``;
4. checks that every chapter page's Colab button opens the source notebook.

It fails when a notebook listed in ``_toc.yml`` has no executed copy (or one older
than its source), when MathJax is missing from ``_static/``, or on any warning.
``jb build .`` on the source tree still works on its own (it executes, with a cache).

    python tools/build_book.py [--stage-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebook_rules import (  # noqa: E402
    BOOK_BUDGET,
    BUDGETS,
    ROOT,
    config,
    repository,
    toc_files,
)
from tools.outputs import merge_streams  # noqa: E402

BUILD = ROOT / "_build"
EXECUTED = BUILD / "executed"
TIMINGS = EXECUTED / "timings.json"
RUN = EXECUTED / "run.json"
STAGED = BUILD / "staged"
HTML = BUILD / "html"
REPORT = "chapters/execution_report.md"

# Folders copied as they are (notebooks in them are skipped: the executed copies go in).
ASSET_DIRS = ("_static", "chapters")
SKIP = shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__", "*.failed.ipynb")


class BuildError(Exception):
    """Something the reader of the log must fix before the book can build."""


def _rel(path: Path) -> str:
    """``path`` relative to the repository when it is inside it, for messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _source_of(entry: str) -> Path:
    """The source file of a ``_toc.yml`` entry (an entry names no suffix)."""
    for suffix in (".ipynb", ".md", ".rst"):
        path = ROOT / f"{entry}{suffix}"
        if path.exists():
            return path
    raise BuildError(f"_toc.yml lists {entry!r} but there is no {entry}.ipynb or {entry}.md")


def toc_notebook_entries() -> list[str]:
    """Every ``_toc.yml`` entry whose source is a notebook, in reading order."""
    return [e for e in toc_files() if _source_of(e).suffix == ".ipynb"]


def stage() -> list[str]:
    """Copy the book into ``_build/staged`` with executed notebooks; return their entries."""
    problems = []
    notebooks = []
    for entry in toc_files():
        try:
            src = _source_of(entry)
        except BuildError as err:
            problems.append(str(err))
            continue
        if src.suffix != ".ipynb":
            continue
        notebooks.append(entry)
        executed = EXECUTED / f"{entry}.ipynb"
        if not executed.exists():
            problems.append(f"{entry}.ipynb has no executed copy in {_rel(executed)} "
                            "(run `make executed`; did its execution fail?)")
        elif executed.stat().st_mtime < src.stat().st_mtime:
            problems.append(f"{_rel(executed)} is older than {entry}.ipynb "
                            "(run `make executed`)")
    mathjax = ROOT / "_static" / config()["sphinx"]["config"]["mathjax_path"]
    if not mathjax.exists():
        problems.append(f"{mathjax.relative_to(ROOT)} is missing (run `make setup`): "
                        "the book serves MathJax itself so that it reads offline")
    if problems:
        raise BuildError("cannot build the book:\n  " + "\n  ".join(problems))

    if STAGED.exists():
        shutil.rmtree(STAGED)
    STAGED.mkdir(parents=True)
    # copy2 keeps modification times, so Sphinx sees unchanged files as unchanged.
    for name in ASSET_DIRS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, STAGED / name, ignore=SKIP, copy_function=shutil.copy2)
    cfg = config()
    extra_files = ["_toc.yml", *cfg.get("bibtex_bibfiles", [])]
    for name in [*extra_files, *(str(_source_of(e).relative_to(ROOT)) for e in toc_files())]:
        (STAGED / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".ipynb"):
            nb = nbformat.read(EXECUTED / name, as_version=4)
            merge_streams(nb)
            nbformat.write(nb, STAGED / name)
        else:
            shutil.copy2(ROOT / name, STAGED / name)

    cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    # Local Sphinx extensions stay where they are (paths are relative to _config.yml).
    local = cfg.get("sphinx", {}).get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str((ROOT / path).resolve())
    (STAGED / "_config.yml").write_text(
        "# Generated by tools/build_book.py from ../../_config.yml: the notebooks here are\n"
        "# papermill's executed copies, so the build executes nothing.\n"
        + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    )
    (STAGED / REPORT).write_text(execution_report(notebooks))
    return notebooks


def _duration(entry: str, timings: dict) -> tuple[float | None, str | None]:
    """(seconds, finished-at) of a notebook's last run, from timings.json or papermill."""
    record = timings.get(f"{entry}.ipynb")
    if record:
        return float(record["seconds"]), record.get("finished")
    nb = nbformat.read(EXECUTED / f"{entry}.ipynb", as_version=4)
    pm = nb.metadata.get("papermill", {})
    end = (pm.get("end_time") or "")[:19].replace("T", " ") or None
    return pm.get("duration"), end


def _title(entry: str) -> str:
    """The chapter's ``# title`` (a cross-reference would also work; this keeps the table plain)."""
    nb = nbformat.read(EXECUTED / f"{entry}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return entry


def _version(*names: str) -> str | None:
    for name in names:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return None


def _seconds(value: float | None, digits: int = 1) -> str:
    """A duration for the table; a no-break space keeps the unit on the number's line."""
    return "—" if value is None else f"{value:.{digits}f}\u00a0s"


def execution_report(notebooks: list[str]) -> str:
    """The execution report page: run time vs budget per notebook, and the total."""
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    rows = []
    total = total_budget = 0.0
    over, finished_at = [], []
    for entry in notebooks:
        seconds, finished = _duration(entry, timings)
        budget = BUDGETS.get(Path(entry).name)
        total += seconds or 0.0
        total_budget += budget or 0.0
        if finished:
            finished_at.append(finished)
        if seconds is None:
            verdict = "not recorded"
        elif budget is None:
            verdict = "no budget set"
        elif seconds <= budget:
            verdict = "✓"
        else:
            verdict = f"✗ {seconds - budget:.0f}\u00a0s over"
            over.append(entry)
        name = Path(entry).name
        rows.append(f"| [{_title(entry)}]({name}.ipynb) | {_seconds(seconds)} | "
                    f"{_seconds(budget, 0)} | {verdict} |")
    # The book's goal is on the whole run: the wall clock of the last run that executed
    # every notebook, or, without a record of one, the run times added up.
    run = json.loads(RUN.read_text()) if RUN.exists() else None
    if run:
        rows.append(f"| All chapters, run times added up | {_seconds(total)} | | |")
        whole, how = float(run["wall_seconds"]), f"wall clock, {run['jobs']} at a time"
    else:
        whole, how = total, "run times added up"
    rows.append(f"| **Whole book** ({how}) | **{_seconds(whole)}** | **{BOOK_BUDGET}\u00a0s** "
                f"| {'✓' if whole <= BOOK_BUDGET else '✗ over'} |")
    parallel = (f" The last run that executed every notebook ran {run['jobs']} at a time, each "
                "kernel on one thread per framework, so a notebook's own time includes some "
                "sharing of the CPU." if run and run["jobs"] > 1 else "")
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    software = ", ".join(v for v in (
        f"Python {platform.python_version()}",
        _version("torch"), _version("tensorflow-cpu", "tensorflow"),
        _version("papermill"), _version("jupyter-book"),
    ) if v)
    summary = ("Every chapter ran within its budget." if not over else
               f"Over budget: {', '.join(Path(e).name for e in over)}.")
    if run and run.get("started"):
        when = (f"The last run that executed every notebook started at {run['started']} "
                f"(local time) and took {float(run['wall_seconds']):.0f}\u00a0s of wall clock; "
                "the")
    elif finished_at:
        when = f"The last notebook finished executing at {max(finished_at)} (local time); the"
    else:
        when = "The"
    return f"""# Execution report

Every chapter is a notebook, executed from top to bottom with
[papermill](https://papermill.readthedocs.io) when the book was built, on a CPU, with the
default values of its `parameters` cell (offline data, short runs). The table lists
each notebook's wall-clock run time (kernel start-up included) against the time it is
allowed, so that a chapter that grows too slow for a laptop is noticed. {summary}{parallel}

| Chapter | Run time | Budget | |
|:--|--:|--:|:-:|
{chr(10).join(rows)}

{when} book was built on {now}, on {os.cpu_count()} CPU cores
({platform.system()} {platform.machine()}), with {software}.
"""


def jb_build() -> None:
    jb = Path(sys.executable).parent / "jb"
    cmd = [str(jb) if jb.exists() else "jb", "build", str(STAGED), "--path-output", str(ROOT),
           "--builder", "html", "-W", "-n", "--keep-going", "--all"]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    warnings = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line):
            warnings.append(line.rstrip())
    if proc.wait() != 0 or warnings:
        raise BuildError(f"jb build failed (exit {proc.returncode}) with {len(warnings)} "
                         "warning(s)/error(s):\n  " + "\n  ".join(warnings[-30:]))


def colab_url(entry: str) -> str:
    """Where a chapter's Colab button must point: the source notebook in the repository."""
    url, branch = repository()
    owner_repo = url.split("github.com/", 1)[1]
    path_to_book = config()["repository"].get("path_to_book", "").strip("/")
    path = f"{path_to_book}/{entry}.ipynb" if path_to_book else f"{entry}.ipynb"
    base = config()["launch_buttons"]["colab_url"].rstrip("/")
    return f"{base}/github/{owner_repo}/blob/{branch}/{path}"


def check_colab_buttons(notebooks: list[str]) -> None:
    problems = []
    for entry in notebooks:
        page = (HTML / f"{entry}.html").read_text()
        found = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)
        if found != [colab_url(entry)]:
            problems.append(f"{entry}.html: Colab link(s) {found}, expected [{colab_url(entry)}]")
    if problems:
        raise BuildError("wrong Colab buttons:\n  " + "\n  ".join(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage-only", action="store_true",
                        help="stage the sources into _build/staged without building")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        notebooks = stage()
        print(f"staged {len(notebooks)} executed notebook(s) into {STAGED.relative_to(ROOT)}")
        if args.stage_only:
            return 0
        jb_build()
        check_colab_buttons(notebooks)
    except BuildError as err:
        print(f"\nbuild_book: {err}", file=sys.stderr)
        return 1
    print(f"\nbook built into {HTML.relative_to(ROOT)}/index.html "
          f"in {time.perf_counter() - start:.0f} s; every Colab button opens its source notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
