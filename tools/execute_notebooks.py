"""Execute every notebook listed in ``_toc.yml`` once, with papermill, into ``_build/executed``.

The book build and nbval both start from these outputs, so a notebook runs once per
change, not once per consumer. A notebook is re-run only when it, or any module of
the ``vaebook`` package, is newer than its executed copy (``--force`` re-runs all).
Each run's wall time goes to ``_build/executed/timings.json`` for the execution
report and the performance benchmark; when every notebook ran in one call, that call's
wall time goes to ``_build/executed/run.json``.

Notebooks run ``--jobs`` at a time (default: one per CPU core, at most 2), longest first
by their last timing (or, on a first run, by their budget). Each kernel keeps to one thread per framework (the Makefile sets
``OMP_NUM_THREADS`` and TensorFlow's thread pools), so two kernels share two cores
without oversubscribing them.

    python tools/execute_notebooks.py [--force] [--jobs 1] [--only 03_elbo] [-p EPOCHS 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import papermill as pm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebook_rules import BUDGETS, ROOT, toc_notebooks  # noqa: E402

OUT = ROOT / "_build" / "executed"
TIMINGS = OUT / "timings.json"
RUN = OUT / "run.json"


def newest_dependency() -> float:
    """Latest modification time of the package sources a notebook imports."""
    return max(p.stat().st_mtime for p in (ROOT / "vaebook").rglob("*.py"))


def settle_carriage_returns(path: Path) -> None:
    """Keep only what a terminal would show of each stream line (progress bars redraw with \\r)."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and "\r" in out.get("text", ""):
                lines = out["text"].split("\n")
                out["text"] = "\n".join(line.rstrip("\r").split("\r")[-1] for line in lines)
                changed = True
    if changed:
        nbformat.write(nb, path)


def execute(src: Path, dst: Path, params: dict) -> tuple[float | None, str | None]:
    """Run one notebook with papermill: (seconds, None) on success, (None, error) on failure."""
    # Training loops draw text progress bars (a widget would be saved as a frozen "0%").
    os.environ["VAEBOOK_PROGRESS"] = "text"
    dst.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(src), str(dst), parameters=params, cwd=str(src.parent),
            kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False,
        )
    except Exception as err:  # papermill raises PapermillExecutionError with the cell
        # Keep the failed copy for inspection, under a name that is never "fresh".
        if dst.exists():
            dst.replace(dst.with_suffix(".failed.ipynb"))
        return None, str(err).strip().splitlines()[-1][:300]
    seconds = time.perf_counter() - start
    settle_carriage_returns(dst)
    return seconds, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-run even if up to date")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="notebooks to run at a time (default: %(default)s)")
    parser.add_argument("--only", action="append", default=[], help="notebook stem(s) to run")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter (value parsed as JSON, else a string)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive number of notebooks at a time, got {args.jobs}")
    params = {}
    for name, value in args.p:
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value

    OUT.mkdir(parents=True, exist_ok=True)
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    dep_time = newest_dependency()
    notebooks = toc_notebooks()
    todo = []
    for src in notebooks:
        rel = src.relative_to(ROOT)
        if args.only and src.stem not in args.only:
            continue
        dst = OUT / rel
        fresh = dst.exists() and dst.stat().st_mtime > max(src.stat().st_mtime, dep_time)
        if fresh and not args.force and not params:
            print(f"up to date  {rel}")
            continue
        todo.append((src, dst))
    if not todo:
        return 0
    # Longest first (by the last timing, else by the budget), so the last notebook to
    # start is a short one.
    def expected_seconds(src: Path) -> float:
        last = timings.get(str(src.relative_to(ROOT)), {}).get("seconds")
        return last if last is not None else BUDGETS.get(src.stem, 0)

    todo.sort(key=lambda t: -expected_seconds(t[0]))
    jobs = min(args.jobs, len(todo))
    print(f"executing {len(todo)} notebook(s), {jobs} at a time, longest first: "
          + ", ".join(src.stem for src, _ in todo), flush=True)
    failed = []
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for src, dst in todo:
            futures[pool.submit(execute, src, dst, params)] = src.relative_to(ROOT)
        for future in as_completed(futures):
            rel = futures[future]
            seconds, error = future.result()
            if error:
                failed.append(str(rel))
                print(f"FAILED      {rel}: {error}", flush=True)
                continue
            timings[str(rel)] = {"seconds": round(seconds, 1), "jobs": jobs,
                                 "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
            TIMINGS.write_text(json.dumps(timings, indent=2, sort_keys=True))
            print(f"done        {rel} in {seconds:.1f} s", flush=True)
    wall = time.perf_counter() - start
    if len(todo) == len(notebooks) and not params and not failed:
        RUN.write_text(json.dumps({"wall_seconds": round(wall, 1), "jobs": jobs,
                                   "finished": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    print(f"executed {len(todo)} notebook(s) in {wall:.1f} s of wall time", flush=True)
    if failed:
        print("notebooks that failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
