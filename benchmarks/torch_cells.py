"""Run the PyTorch half of every chapter, for machines that have a GPU but no TensorFlow.

    python -m benchmarks.torch_cells [--out DIR]

The chapters run in one kernel with both frameworks, and the GPU machines available to
this project have PyTorch but no TensorFlow. This runner executes, in order, every
untagged and every ``pytorch``-tagged code cell of each notebook in ``_toc.yml`` (with its
default parameters) and skips the ``tensorflow`` cells. Untagged cells are run one
top-level statement at a time: a statement that needs TensorFlow (an import of it, or a
name only a TensorFlow cell defines) fails and the rest go on.

What it reports per chapter: wall time, the device PyTorch used, and every failure. A
failure in a ``pytorch`` cell is a real problem on that device (e.g. a CUDA tensor handed
to NumPy); failures in untagged statements are expected where they compare frameworks,
and are listed so a reader of the report can see which ones they were.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _notebooks():
    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_rules import toc_notebooks  # the same list the book executes

    return [p.relative_to(ROOT) for p in toc_notebooks()]


def _source(cell) -> str:
    src = cell["source"]
    src = "".join(src) if isinstance(src, list) else src
    # IPython magics and shell lines mean nothing to plain Python: each becomes a `pass`
    # with the same indentation (the install cell has one inside an `except`).
    lines = []
    for line in src.splitlines():
        body = line.lstrip()
        lines.append(line[: len(line) - len(body)] + "pass" if body.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _run(code: str, ns: dict, label: str, failures: list, stmt_by_stmt: bool):
    tree = ast.parse(code)
    chunks = [ast.Module([s], []) for s in tree.body] if stmt_by_stmt else [tree]
    for chunk in chunks:
        try:
            exec(compile(chunk, label, "exec"), ns)  # noqa: S102 - running our own notebooks
        except Exception as err:  # noqa: BLE001 - every failure is reported
            first = ast.unparse(chunk).splitlines()[0][:80] if chunk.body else ""
            failures.append({"cell": label, "statement": first,
                             "error": f"{type(err).__name__}: {err}"[:300],
                             "where": traceback.format_exc(limit=-1).splitlines()[-2][:200]})


def run_notebook(path: Path, log) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = json.loads(path.read_text())["cells"]
    ns = {"__name__": "__main__", "display": print}
    torch_failures, other_failures = [], []
    start = time.perf_counter()
    n_pt = n_other = 0
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "tensorflow" in tags:
            continue
        label = f"{path.name}[{i}]"
        pytorch = "pytorch" in tags
        n_pt += pytorch
        n_other += not pytorch
        print(f"----- {label}", file=log, flush=True)
        # What the cells print goes to the log, not into the report.
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            _run(_source(cell), ns, label, torch_failures if pytorch else other_failures,
                 stmt_by_stmt=not pytorch)
        plt.close("all")
    seconds = time.perf_counter() - start
    dev = None
    if "vbt" in ns:
        dev = str(ns["vbt"].device())
    return {"seconds": round(seconds, 1), "device": dev, "pytorch_cells": n_pt,
            "pytorch_cell_failures": torch_failures, "untagged_cells": n_other,
            "untagged_statement_failures": other_failures}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "_build" / "bench"))
    parser.add_argument("--only", action="append", default=[], help="notebook stem(s) to run")
    args = parser.parse_args(argv)
    os.chdir(ROOT / "chapters")  # notebooks run from their own folder, as in the book
    report = {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "torch_cells.log", "w")  # noqa: SIM115 - open for the whole run
    for nb in _notebooks():
        if args.only and nb.stem not in args.only:
            continue
        print(f"running the PyTorch cells of {nb} ...", flush=True)
        r = report[str(nb)] = run_notebook(ROOT / nb, log)
        print(f"  {r['seconds']} s on {r['device']}: {len(r['pytorch_cell_failures'])} of "
              f"{r['pytorch_cells']} pytorch cells failed; "
              f"{len(r['untagged_statement_failures'])} untagged statements failed", flush=True)
        for f in r["pytorch_cell_failures"]:
            print(f"    PYTORCH FAILURE {f['cell']}: {f['error']}", flush=True)
    log.close()
    (out / "torch_cells.json").write_text(json.dumps(report, indent=2))
    bad = sum(len(r["pytorch_cell_failures"]) for r in report.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
