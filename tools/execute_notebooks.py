"""Execute every notebook listed in ``_toc.yml`` once, with papermill, into ``_build/executed``.

The book build and nbval both start from these outputs, so a notebook runs once per
change, not once per consumer. A notebook is re-run only when it, or any module of
the ``vaebook`` package, is newer than its executed copy (``--force`` re-runs all).
Each run's wall time goes to ``_build/executed/timings.json`` for the execution
report and the performance benchmark.

    python tools/execute_notebooks.py [--force] [--only 03_elbo] [-p EPOCHS 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebook_rules import ROOT, toc_notebooks  # noqa: E402

OUT = ROOT / "_build" / "executed"
TIMINGS = OUT / "timings.json"


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-run even if up to date")
    parser.add_argument("--only", action="append", default=[], help="notebook stem(s) to run")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter (value parsed as JSON, else a string)")
    args = parser.parse_args(argv)
    params = {}
    for name, value in args.p:
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value

    OUT.mkdir(parents=True, exist_ok=True)
    # Training loops draw text progress bars (a widget would be saved as a frozen "0%").
    os.environ["VAEBOOK_PROGRESS"] = "text"
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    dep_time = newest_dependency()
    failed = []
    for src in toc_notebooks():
        rel = src.relative_to(ROOT)
        if args.only and src.stem not in args.only:
            continue
        dst = OUT / rel
        fresh = dst.exists() and dst.stat().st_mtime > max(src.stat().st_mtime, dep_time)
        if fresh and not args.force and not params:
            print(f"up to date  {rel}")
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        print(f"executing   {rel} ...", flush=True)
        start = time.perf_counter()
        try:
            pm.execute_notebook(
                str(src), str(dst), parameters=params, cwd=str(src.parent),
                kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False,
            )
        except Exception as err:  # papermill raises PapermillExecutionError with the cell
            failed.append(str(rel))
            # Keep the failed copy for inspection, under a name that is never "fresh".
            if dst.exists():
                dst.replace(dst.with_suffix(".failed.ipynb"))
            print(f"FAILED      {rel}: {str(err).strip().splitlines()[-1][:300]}", flush=True)
            continue
        seconds = time.perf_counter() - start
        settle_carriage_returns(dst)
        timings[str(rel)] = {"seconds": round(seconds, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        TIMINGS.write_text(json.dumps(timings, indent=2, sort_keys=True))
        print(f"done        {rel} in {seconds:.1f} s", flush=True)
    if failed:
        print("notebooks that failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
