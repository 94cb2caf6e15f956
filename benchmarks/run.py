"""Measure what vaebook's helpers cost, and write the tables to ``_build/bench/``.

    python -m benchmarks.run            # the full benchmark (`make bench`, ~15 min on 2 cores)
    python -m benchmarks.run --smoke    # one pair, one seed, one epoch (part of `make test`)

1. Training-loop overhead: ``vaebook.fit`` against a reference-style loop, runs
   interleaved A B A B ..., median time ratio per framework.
2. Learning equally well: test-set importance-weighted log-likelihood (k=500) of the
   four trainings over several seeds.
3. Notebook execution time per chapter against its budget (from the papermill timings).
4. Evaluation cost: ``iwae_bound`` time and peak memory against k, each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "bench"
BUDGETS = {  # seconds on a 2-core CPU, from the chapter issues
    "chapters/01_autoencoders.ipynb": 90,
    "chapters/02_mse_vs_cross_entropy.ipynb": 90,
    "chapters/03_elbo.ipynb": 60,
    "chapters/04_reparameterization.ipynb": 120,
    "chapters/05_vae_vs_gan.ipynb": 150,
    "chapters/appendix_mistakes.ipynb": 120,
}
BOOK_BUDGET = 300


def _data(n_train, n_test):
    from vaebook.data import load_dataset

    x, _ = load_dataset("shapes", "train", n=n_train)
    xt, _ = load_dataset("shapes", "test", n=n_test)
    return x.reshape(len(x), -1), xt.reshape(len(xt), -1)


def _vaebook_run(fw, x, epochs, seed):
    if fw == "torch":
        from vaebook import torch as vb
    else:
        from vaebook import tensorflow as vb
    vb.set_seed(seed)
    model = vb.VAE(x.shape[1], 20, hidden_dims=(400,))
    vb.fit(model, x, epochs=epochs, batch_size=128, lr=1e-3, seed=seed, progress=False)
    return model


def _reference_run(fw, x, epochs, seed):
    from benchmarks import reference_loops as ref

    if fw == "torch":
        from vaebook import torch as vb

        vb.set_seed(seed)
        return ref.torch_reference(x, epochs)
    from vaebook import tensorflow as vb

    vb.set_seed(seed)
    return ref.tf_reference(x, epochs)


def _iwae(fw, model, xt, k, seed=0):
    if fw == "torch":
        from vaebook import torch as vb
    else:
        from vaebook import tensorflow as vb
    vb.set_seed(seed)
    return float(np.mean(vb.to_numpy(vb.iwae_bound(model, vb.to_tensor(xt), k=k))))


def overhead(x, epochs, pairs):
    """Median of (vaebook time / reference time) over interleaved pairs, per framework."""
    rows = {}
    for fw in ("torch", "tensorflow"):
        _vaebook_run(fw, x[:256], 1, 0)  # warm up imports and kernels outside the timing
        _reference_run(fw, x[:256], 1, 0)
        t_vb, t_ref = [], []
        for i in range(pairs):
            for name, fn, acc in (("vaebook", _vaebook_run, t_vb), ("reference", _reference_run, t_ref)):
                start = time.perf_counter()
                fn(fw, x, epochs, seed=i)
                acc.append(time.perf_counter() - start)
                print(f"  {fw:10s} {name:9s} pair {i + 1}: {acc[-1]:.2f} s", flush=True)
        ratios = [a / b for a, b in zip(t_vb, t_ref, strict=True)]
        rows[fw] = {"vaebook_s": t_vb, "reference_s": t_ref,
                    "median_ratio": statistics.median(ratios)}
    return rows


def likelihood(x, xt, epochs, seeds, k):
    """Test-set IWAE log-likelihood (nats per example), mean and spread over seeds."""
    rows = {}
    for fw in ("torch", "tensorflow"):
        for name, fn in (("vaebook", _vaebook_run), ("reference", _reference_run)):
            vals = []
            for seed in seeds:
                model = fn(fw, x, epochs, seed)
                vals.append(_iwae(fw, model, xt, k, seed))
                print(f"  {fw:10s} {name:9s} seed {seed}: log p(x) >= {vals[-1]:.2f}", flush=True)
            rows[f"{fw}/{name}"] = {"values": vals, "mean": float(np.mean(vals)),
                                    "std": float(np.std(vals))}
    return rows


def notebook_times():
    path = ROOT / "_build" / "executed" / "timings.json"
    if not path.exists():
        return None
    timings = json.loads(path.read_text())
    rows = {nb: {"seconds": timings.get(nb, {}).get("seconds"), "budget_s": b}
            for nb, b in BUDGETS.items()}
    total = sum(r["seconds"] or 0 for r in rows.values())
    return {"chapters": rows, "total_s": round(total, 1), "budget_s": BOOK_BUDGET}


_IWAE_CHILD = """
import json, resource, sys, time, numpy as np
fw, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from benchmarks.run import _data, _vaebook_run, _iwae
x, xt = _data(512, n)
model = _vaebook_run(fw, x, 1, 0)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
_iwae(fw, model, xt, k)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "extra_peak_mib": max(0, peak - base) / 1024}))
"""


def iwae_cost(ks, n):
    """Time and extra peak resident memory of iwae_bound on n test images, per k."""
    rows = {}
    for fw in ("torch", "tensorflow"):
        for k in ks:
            out = subprocess.run([sys.executable, "-c", _IWAE_CHILD, fw, str(k), str(n)],
                                 capture_output=True, text=True, cwd=ROOT, check=True)
            rows[f"{fw}/k={k}"] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  {fw:10s} k={k:5d}: {rows[f'{fw}/k={k}']}", flush=True)
    return rows


def markdown(result):
    lines = [f"Measured {result['date']} on {result['machine']}.", ""]
    o = result["overhead"]
    lines += ["| training loop | vaebook `fit` (s) | reference loop (s) | median ratio |",
              "|---|---|---|---|"]
    for fw, r in o.items():
        lines.append(f"| {fw} | {statistics.median(r['vaebook_s']):.2f} | "
                     f"{statistics.median(r['reference_s']):.2f} | {r['median_ratio']:.2f}× |")
    lines += ["", f"Test-set log-likelihood, IWAE k={result['config']['k']} (nats per example, "
              f"mean ± std over {len(result['config']['seeds'])} seeds):", "",
              "| run | log p(x) ≥ |", "|---|---|"]
    for name, r in result["likelihood"].items():
        lines.append(f"| {name} | {r['mean']:.2f} ± {r['std']:.2f} |")
    nb = result.get("notebooks")
    if nb:
        lines += ["", "| notebook | run time (s) | budget (s) |", "|---|---|---|"]
        for name, r in nb["chapters"].items():
            lines.append(f"| {name} | {r['seconds']} | {r['budget_s']} |")
        lines.append(f"| **whole book** | **{nb['total_s']}** | {nb['budget_s']} |")
    lines += ["", f"`iwae_bound` on {result['config']['iwae_n']} test images:", "",
              "| framework, k | time (s) | extra peak memory (MiB) |", "|---|---|---|"]
    for name, r in result["iwae_cost"].items():
        lines.append(f"| {name} | {r['seconds']:.2f} | {r['extra_peak_mib']:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="vaebook performance benchmark")
    parser.add_argument("--smoke", action="store_true", help="tiny run for the test suite")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.smoke:
        cfg = dict(n_train=256, n_test=32, epochs=1, pairs=1, seeds=[0], k=10, ks=[10], iwae_n=32)
    else:
        cfg = dict(n_train=6000, n_test=500, epochs=5, pairs=3, seeds=[0, 1, 2], k=500,
                   ks=[10, 100, 1000], iwae_n=500)
    x, xt = _data(cfg["n_train"], cfg["n_test"])
    print("1. training-loop overhead", flush=True)
    result = {"date": time.strftime("%Y-%m-%d"),
              "machine": f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}",
              "config": cfg, "smoke": args.smoke}
    result["overhead"] = overhead(x, cfg["epochs"], cfg["pairs"])
    print("2. test-set log-likelihood", flush=True)
    result["likelihood"] = likelihood(x, xt, cfg["epochs"], cfg["seeds"], cfg["k"])
    print("3. notebook execution time", flush=True)
    result["notebooks"] = notebook_times()
    print("4. iwae_bound cost", flush=True)
    result["iwae_cost"] = iwae_cost(cfg["ks"], cfg["iwae_n"])
    OUT.mkdir(parents=True, exist_ok=True)
    name = "smoke" if args.smoke else "bench"
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
    table = markdown(result)
    (OUT / f"{name}.md").write_text(table + "\n")
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
