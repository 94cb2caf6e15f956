"""Execute the notebooks listed in ``_toc.yml`` with papermill: the book's run, or a variant.

**The book's run** (no ``--variant``): every notebook once, both frameworks, default
parameters, into ``_build/executed``. The book build and nbval both start from these
outputs, so a notebook runs once per change, not once per consumer. A notebook is
re-run only when it, or any module of the ``vaebook`` package, is newer than its
executed copy (``--force`` re-runs all). Each run's wall time goes to
``_build/executed/timings.json``; when every notebook ran in one call, that call's wall
time goes to ``_build/executed/run.json``.

**A one-framework variant** (``--variant pytorch`` and/or ``--variant tensorflow``): the
notebook with the *other* framework's tagged cells left out, as a Colab reader who runs
one framework sees it, into ``_build/variants/<variant>/``. Variants run with the
notebook's test parameters (its long-run parameters, ``metadata.vaebook.long_run``,
overridden by ``metadata.vaebook.test_run``: the 28 x 28 offline data, fewer epochs),
so they also run the code a reader gets with ``DATASET = "mnist"``; ``--default-params``
runs them with the defaults instead. Their outputs are not part of the book. On a GPU
machine with PyTorch but no TensorFlow, ``--variant pytorch`` is the PyTorch half of the
book.

Notebooks run ``--jobs`` at a time (default: one per CPU core, at most 2), longest first
by their last timing (or, on a first run, by their budget). Each kernel keeps to one
thread per framework (the Makefile sets ``OMP_NUM_THREADS`` and TensorFlow's thread
pools), so two kernels share two cores without oversubscribing them.

    python tools/execute_notebooks.py [--force] [--jobs 1] [--only 03_elbo] [-p EPOCHS 2]
    python tools/execute_notebooks.py --variant pytorch --variant tensorflow
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
from tools.notebook_rules import (  # noqa: E402
    BUDGETS,
    FRAMEWORK_TAGS,
    ROOT,
    framework_of,
    run_parameters,
    toc_notebooks,
)
from tools.outputs import merge_streams  # noqa: E402

OUT = ROOT / "_build" / "executed"
TIMINGS = OUT / "timings.json"
RUN = OUT / "run.json"
VARIANTS = ROOT / "_build" / "variants"


def newest_dependency() -> float:
    """Latest modification time of the package sources a notebook imports."""
    return max(p.stat().st_mtime for p in (ROOT / "vaebook").rglob("*.py"))


def one_framework(nb, framework: str):
    """The notebook a reader of ``framework`` alone runs: the other framework's cells dropped."""
    keep = [c for c in nb.cells if framework_of(c) in (None, framework)]
    out = nbformat.from_dict(dict(nb))
    out.cells = keep
    out.metadata.setdefault("vaebook", {})["variant"] = framework
    return out


def execute(src: Path, dst: Path, params: dict, variant: str | None = None
            ) -> tuple[float | None, str | None]:
    """Run one notebook with papermill: (seconds, None) on success, (None, error) on failure."""
    # Training loops draw text progress bars (a widget would be saved as a frozen "0%").
    os.environ["VAEBOOK_PROGRESS"] = "text"
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = src
    if variant is not None:
        source = dst.with_suffix(".input.ipynb")
        nbformat.write(one_framework(nbformat.read(src, as_version=4), variant), source)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source), str(dst), parameters=params, cwd=str(src.parent),
            kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False,
        )
    except Exception as err:  # papermill raises PapermillExecutionError with the cell
        # Keep the failed copy for inspection, under a name that is never "fresh".
        if dst.exists():
            dst.replace(dst.with_suffix(".failed.ipynb"))
        return None, str(err).strip().splitlines()[-1][:300]
    finally:
        if source != src:
            source.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    nb = nbformat.read(dst, as_version=4)
    if merge_streams(nb):
        nbformat.write(nb, dst)
    return seconds, None


def _parse_overrides(pairs) -> dict:
    params = {}
    for name, value in pairs:
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    return params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-run even if up to date")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="notebooks to run at a time (default: %(default)s)")
    parser.add_argument("--only", action="append", default=[], help="notebook stem(s) to run")
    parser.add_argument("--variant", action="append", default=[], choices=FRAMEWORK_TAGS,
                        help="run the one-framework variant(s) instead of the book")
    parser.add_argument("--default-params", action="store_true",
                        help="run variants with the default parameters, not the test run's")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter (value parsed as JSON, else a string)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive number of notebooks at a time, got {args.jobs}")
    overrides = _parse_overrides(args.p)
    book_run = not args.variant

    out_dirs = {None: OUT} if book_run else {v: VARIANTS / v for v in args.variant}
    timings = {}
    for variant, out in out_dirs.items():
        path = out / "timings.json"
        timings[variant] = json.loads(path.read_text()) if path.exists() else {}
    dep_time = newest_dependency()
    notebooks = toc_notebooks()
    todo = []
    for src in notebooks:
        rel = src.relative_to(ROOT)
        if args.only and src.stem not in args.only:
            continue
        for variant, out in out_dirs.items():
            dst = out / rel
            fresh = dst.exists() and dst.stat().st_mtime > max(src.stat().st_mtime, dep_time)
            label = str(rel) if variant is None else f"{rel} [{variant}]"
            if fresh and not args.force and not overrides:
                print(f"up to date  {label}")
                continue
            params = {} if book_run or args.default_params else run_parameters(
                nbformat.read(src, as_version=4), "test_run")
            todo.append((src, dst, {**params, **overrides}, variant, label))
    if not todo:
        return 0

    # Longest first (by the last timing, else by the budget), so the last to start is short.
    def expected_seconds(job) -> float:
        src, _, _, variant, _ = job
        last = timings[variant].get(str(src.relative_to(ROOT)), {}).get("seconds")
        return last if last is not None else BUDGETS.get(src.stem, 0)

    todo.sort(key=lambda job: -expected_seconds(job))
    jobs = min(args.jobs, len(todo))
    print(f"executing {len(todo)} notebook(s), {jobs} at a time, longest first: "
          + ", ".join(job[4] for job in todo), flush=True)
    failed = []
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(execute, src, dst, params, variant): (src, variant, label)
                   for src, dst, params, variant, label in todo}
        for future in as_completed(futures):
            src, variant, label = futures[future]
            seconds, error = future.result()
            if error:
                failed.append(label)
                print(f"FAILED      {label}: {error}", flush=True)
                continue
            rel = str(src.relative_to(ROOT))
            timings[variant][rel] = {"seconds": round(seconds, 1), "jobs": jobs,
                                     "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
            path = out_dirs[variant] / "timings.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(timings[variant], indent=2, sort_keys=True))
            print(f"done        {label} in {seconds:.1f} s", flush=True)
    wall = time.perf_counter() - start
    if book_run and len(todo) == len(notebooks) and not overrides and not failed:
        RUN.write_text(json.dumps({"wall_seconds": round(wall, 1), "jobs": jobs,
                                   "started": started,
                                   "finished": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    print(f"executed {len(todo)} notebook(s) in {wall:.1f} s of wall time", flush=True)
    if failed:
        print("notebooks that failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
