"""Measure what vaebook's helpers cost, and write the tables to ``_build/bench/``.

    python -m benchmarks.run            # the full benchmark (`make bench`, ~25 min on 2 cores)
    python -m benchmarks.run --smoke    # one pair, one seed, one epoch (part of `make test`)
    python -m benchmarks.run --only conv  # section 5 alone (writes bench-conv.json/.md)

1. Training-loop overhead: ``vaebook.fit`` against a reference-style loop, runs
   interleaved A B A B ..., median time ratio per framework.
2. Learning equally well: test-set importance-weighted log-likelihood (k=500) of the
   four trainings over several seeds.
3. Notebook execution time per chapter against its budget (from the papermill timings).
4. Evaluation cost: ``iwae_bound`` time and peak memory against k, each in a fresh process,
   with an unchunked run beside it as a control: it shows what the memory figure would
   read if memory grew with k, so a flat figure for the chunked run means something.
5. The conv VAE (``ConvVAE``, 28 x 28): ``fit`` against a reference-style conv loop in
   each framework (short: 5 epochs, the reference's sizes and learning rate), and the
   test-set importance-weighted bound of ``fit``'s model in each framework over seeds,
   from a run long enough for the bound to settle (all 10000 training images, more
   epochs, the chapters' learning rate).

Likelihoods are measured where they are likelihoods: on binary data (the ``shapes``
images are binary; ``font_digits`` is binarised once, with a fixed seed, for training
and for testing).

``--frameworks torch`` runs one framework only (e.g. on a GPU machine without TensorFlow).
On a machine with a CUDA GPU, PyTorch runs there with no change (``vaebook.torch.device``)
and its memory column is the GPU's peak allocation instead of resident memory.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from notebook_rules import BOOK_BUDGET, BUDGETS  # noqa: E402  (one list, shared with the book)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "bench"


def _data(n_train, n_test):
    from vaebook.data import load_dataset

    x, _ = load_dataset("shapes", "train", n=n_train)
    xt, _ = load_dataset("shapes", "test", n=n_test)
    return x.reshape(len(x), -1), xt.reshape(len(xt), -1)


def _conv_data(n_train, n_test):
    from vaebook.data import load_dataset

    x, _ = load_dataset("font_digits", "train", n=n_train, binarize=True)
    xt, _ = load_dataset("font_digits", "test", n=n_test, binarize=True)
    return x, xt


def _framework(fw):
    if fw == "torch":
        from vaebook import torch as vb
    else:
        from vaebook import tensorflow as vb
    return vb


def _vaebook_run(fw, x, epochs, seed, conv=False, lr=1e-3, channels=(32, 64)):
    vb = _framework(fw)
    vb.set_seed(seed)
    if conv:
        model = vb.ConvVAE((28, 28), 16, channels=tuple(channels))
    else:
        model = vb.VAE(x.shape[1], 20, hidden_dims=(400,))
    vb.fit(model, x, epochs=epochs, batch_size=128, lr=lr, seed=seed, progress=False)
    return model


def _reference_run(fw, x, epochs, seed, conv=False):
    from benchmarks import reference_loops as ref

    _framework(fw).set_seed(seed)
    if fw == "torch":
        return (ref.torch_conv_reference if conv else ref.torch_reference)(x, epochs)
    return (ref.tf_conv_reference if conv else ref.tf_reference)(x, epochs)


def _iwae(fw, model, xt, k, seed=0):
    if fw == "torch":
        from vaebook import torch as vb
    else:
        from vaebook import tensorflow as vb
    vb.set_seed(seed)
    return float(np.mean(vb.to_numpy(vb.iwae_bound(model, vb.to_tensor(xt), k=k))))


def _sync(fw):
    """Wait for queued GPU work, so that a timer measures it (no-op on the CPU)."""
    if fw == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()


def overhead(x, epochs, pairs, frameworks, conv=False):
    """Median of (vaebook time / reference time) over interleaved pairs, per framework."""
    rows = {}
    for fw in frameworks:
        _vaebook_run(fw, x[:256], 1, 0, conv)  # warm up imports and kernels, untimed
        _reference_run(fw, x[:256], 1, 0, conv)
        t_vb, t_ref = [], []
        for i in range(pairs):
            for name, fn, acc in (("vaebook", _vaebook_run, t_vb), ("reference", _reference_run, t_ref)):
                start = time.perf_counter()
                fn(fw, x, epochs, seed=i, conv=conv)
                _sync(fw)
                acc.append(time.perf_counter() - start)
                print(f"  {fw:10s} {name:9s} pair {i + 1}: {acc[-1]:.2f} s", flush=True)
        ratios = [a / b for a, b in zip(t_vb, t_ref, strict=True)]
        rows[fw] = {"vaebook_s": t_vb, "reference_s": t_ref,
                    "median_ratio": statistics.median(ratios)}
    return rows


def likelihood(x, xt, epochs, seeds, k, frameworks, conv=False, reference=True, **fit_args):
    """Test-set IWAE log-likelihood (nats per example), mean and spread over seeds.

    ``fit_args`` (``lr``, ``channels``) go to vaebook's run only, so they need
    ``reference=False``."""
    assert reference is False or not fit_args
    rows = {}
    runs = (("vaebook", _vaebook_run), ("reference", _reference_run))
    for fw in frameworks:
        for name, fn in runs if reference else runs[:1]:
            vals = []
            for seed in seeds:
                model = fn(fw, x, epochs, seed, conv=conv, **fit_args)
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
    rows = {f"chapters/{nb}.ipynb": {"seconds": timings.get(f"chapters/{nb}.ipynb", {}).get("seconds"),
                                     "budget_s": b} for nb, b in BUDGETS.items()}
    total = sum(r["seconds"] or 0 for r in rows.values())
    run = ROOT / "_build" / "executed" / "run.json"
    wall = json.loads(run.read_text()) if run.exists() else {}
    return {"chapters": rows, "total_s": round(total, 1), "budget_s": BOOK_BUDGET,
            "wall_s": wall.get("wall_seconds"), "jobs": wall.get("jobs")}


_IWAE_CHILD = """
import json, sys, time
fw, k, n, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
from benchmarks.run import _data, _vaebook_run, _iwae_timed
x, xt = _data(512, n)
model = _vaebook_run(fw, x, 1, 0)
_iwae_timed(fw, model, xt[:8], 2, None)  # warm up: kernels, allocator pools
print(json.dumps(_iwae_timed(fw, model, xt, k, None if chunk == "auto" else int(chunk))))
"""


def _rss_bytes():
    """Current resident set size of this process (Linux: /proc; elsewhere: the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _iwae_timed(fw, model, xt, k, chunk_size):
    """Seconds and extra peak memory (MiB above the level just before) of one iwae_bound.

    On CPU the peak is sampled from the resident set every millisecond by a thread (the
    frameworks release the GIL inside their kernels); on a CUDA GPU it is the exact peak
    of PyTorch's allocator.
    """
    import threading

    if fw == "torch":
        import torch

        from vaebook import torch as vb
    else:
        from vaebook import tensorflow as vb
    cuda = fw == "torch" and torch.cuda.is_available()
    xt = vb.to_tensor(xt)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_bytes()
    peak, done = [base], threading.Event()

    def watch():
        while not done.wait(0.001):
            peak[0] = max(peak[0], _rss_bytes())

    watcher = None if cuda else threading.Thread(target=watch, daemon=True)
    if watcher:
        watcher.start()
    start = time.perf_counter()
    vb.iwae_bound(model, xt, k=k, chunk_size=chunk_size)
    _sync(fw)
    seconds = time.perf_counter() - start
    if watcher:
        done.set()
        watcher.join()
        peak[0] = max(peak[0], _rss_bytes())
    else:
        peak[0] = torch.cuda.max_memory_allocated()
    return {"seconds": seconds, "extra_peak_mib": max(0, peak[0] - base) / 2**20,
            "memory": "GPU allocator" if cuda else "resident set"}


def iwae_cost(ks, n, frameworks, control_ks):
    """Time and extra peak memory of iwae_bound on n test images, per k, each in a fresh
    process; ``control_ks`` are also run unchunked (all k samples in one pass)."""
    rows = {}
    runs = [(fw, k, "auto") for fw in frameworks for k in ks]
    runs += [(fw, k, str(k)) for fw in frameworks for k in control_ks]
    for fw, k, chunk in runs:
        out = subprocess.run([sys.executable, "-c", _IWAE_CHILD, fw, str(k), str(n), chunk],
                             capture_output=True, text=True, cwd=ROOT, check=True)
        name = f"{fw}/k={k}" + ("" if chunk == "auto" else " unchunked (control)")
        rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {name:34s}: {rows[name]}", flush=True)
    return rows


def _machine():
    text = f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}"
    try:
        import torch

        if torch.cuda.is_available():
            text += f", GPU {torch.cuda.get_device_name(0)} (PyTorch runs on it)"
    except ImportError:
        pass
    return text


def markdown(result):
    lines = [f"Measured {result['date']} on {result['machine']}.", ""]
    if "overhead" in result:
        lines += _markdown_1_to_2(result)
    nb = result.get("notebooks")
    return "\n".join(_markdown_rest(result, lines, nb))


def _markdown_1_to_2(result):
    o = result["overhead"]
    lines = ["| training loop | vaebook `fit` (s) | reference loop (s) | median ratio |",
             "|---|---|---|---|"]
    for fw, r in o.items():
        lines.append(f"| {fw} | {statistics.median(r['vaebook_s']):.2f} | "
                     f"{statistics.median(r['reference_s']):.2f} | {r['median_ratio']:.2f}× |")
    lines += ["", f"Test-set log-likelihood, IWAE k={result['config']['k']} (nats per example, "
              f"mean ± std over {len(result['config']['seeds'])} seeds):", "",
              "| run | log p(x) ≥ |", "|---|---|"]
    for name, r in result["likelihood"].items():
        lines.append(f"| {name} | {r['mean']:.2f} ± {r['std']:.2f} |")
    return lines


def _markdown_rest(result, lines, nb):
    if nb:
        lines += ["", "| notebook | run time (s) | budget (s) |", "|---|---|---|"]
        for name, r in nb["chapters"].items():
            lines.append(f"| {name} | {r['seconds']} | {r['budget_s']} |")
        if nb.get("wall_s"):
            lines.append(f"| all chapters, run times added up | {nb['total_s']} | |")
            lines.append(f"| **whole book, wall clock ({nb['jobs']} at a time)** | "
                         f"**{nb['wall_s']}** | {nb['budget_s']} |")
        else:
            lines.append(f"| **whole book, run times added up** | **{nb['total_s']}** | "
                         f"{nb['budget_s']} |")
    conv = result.get("conv")
    if conv:
        lines += ["", "Conv VAE (28 x 28, binarised font_digits):", "",
                  "| training loop | vaebook `fit` (s) | reference loop (s) | median ratio |",
                  "|---|---|---|---|"]
        for fw, r in conv["overhead"].items():
            lines.append(f"| {fw} | {statistics.median(r['vaebook_s']):.2f} | "
                         f"{statistics.median(r['reference_s']):.2f} | "
                         f"{r['median_ratio']:.2f}× |")
        c = result["config"]
        lines += ["", f"Test IWAE k={c['k']} of `fit`'s model (channels "
                  f"{tuple(c['conv_channels'])}, {c['conv_lik_n_train']} training images, "
                  f"{c['conv_lik_epochs']} epochs, lr {c['conv_lr']:g}; mean ± std over "
                  f"{len(c['seeds'])} seeds):", "",
                  "| run | log p(x) ≥ | seeds |", "|---|---|---|"]
        for name, r in conv["likelihood"].items():
            vals = ", ".join(f"{v:.2f}" for v in r["values"])
            lines.append(f"| {name} | {r['mean']:.2f} ± {r['std']:.2f} | {vals} |")
    if "iwae_cost" not in result:
        return lines
    lines += ["", f"`iwae_bound` on {result['config']['iwae_n']} test images:", "",
              "| framework, k | time (s) | extra peak memory (MiB) | memory measured |",
              "|---|---|---|---|"]
    for name, r in result["iwae_cost"].items():
        lines.append(f"| {name} | {r['seconds']:.2f} | {r['extra_peak_mib']:.0f} | "
                     f"{r['memory']} |")
    return lines


def _sections_1_to_4(cfg, frameworks, result):
    x, xt = _data(cfg["n_train"], cfg["n_test"])
    print("1. training-loop overhead", flush=True)
    result["overhead"] = overhead(x, cfg["epochs"], cfg["pairs"], frameworks)
    print("2. test-set log-likelihood", flush=True)
    result["likelihood"] = likelihood(x, xt, cfg["epochs"], cfg["seeds"], cfg["k"],
                                      frameworks)
    print("3. notebook execution time", flush=True)
    result["notebooks"] = notebook_times()
    print("4. iwae_bound cost", flush=True)
    result["iwae_cost"] = iwae_cost(cfg["ks"], cfg["iwae_n"], frameworks, cfg["control_ks"])


def main(argv=None):
    parser = argparse.ArgumentParser(description="vaebook performance benchmark")
    parser.add_argument("--smoke", action="store_true", help="tiny run for the test suite")
    parser.add_argument("--frameworks", default="torch,tensorflow",
                        help="comma-separated subset of torch,tensorflow (default: both)")
    parser.add_argument("--only", choices=["conv"], default=None,
                        help="run one section alone: 'conv' = section 5, the conv VAE "
                             "(writes bench-conv.json and .md; default: all sections)")
    args = parser.parse_args(argv)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = sorted(set(frameworks) - {"torch", "tensorflow"})
    if unknown or not frameworks:
        parser.error(f"--frameworks: expected a subset of torch,tensorflow, got {args.frameworks!r}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.smoke:
        cfg = dict(n_train=256, n_test=32, epochs=1, pairs=1, seeds=[0], k=10, ks=[10],
                   control_ks=[10], iwae_n=32, conv_n_train=256, conv_epochs=1,
                   conv_lik_n_train=256, conv_lik_epochs=1, conv_lr=3e-3,
                   conv_channels=[16, 32])
    else:
        cfg = dict(n_train=6000, n_test=500, epochs=5, pairs=3, seeds=[0, 1, 2], k=500,
                   ks=[10, 100, 1000], control_ks=[10, 100], iwae_n=500,
                   conv_n_train=4000, conv_epochs=5,
                   conv_lik_n_train=10000, conv_lik_epochs=15, conv_lr=3e-3,
                   conv_channels=[16, 32])
    result = {"date": time.strftime("%Y-%m-%d"),
              "machine": _machine(),
              "config": cfg, "frameworks": frameworks, "smoke": args.smoke}
    if args.only != "conv":
        _sections_1_to_4(cfg, frameworks, result)
    print("5. conv VAE", flush=True)
    cx, cxt = _conv_data(cfg["conv_n_train"], cfg["n_test"])
    result["conv"] = {
        "overhead": overhead(cx, cfg["conv_epochs"], cfg["pairs"], frameworks, conv=True)}
    lx, lxt = _conv_data(cfg["conv_lik_n_train"], cfg["n_test"])
    result["conv"]["likelihood"] = likelihood(
        lx, lxt, cfg["conv_lik_epochs"], cfg["seeds"], cfg["k"], frameworks, conv=True,
        reference=False, lr=cfg["conv_lr"], channels=cfg["conv_channels"])
    OUT.mkdir(parents=True, exist_ok=True)
    name = "smoke" if args.smoke else "bench"
    if args.only:
        name += "-" + args.only
    if frameworks != ["torch", "tensorflow"]:
        name += "-" + "-".join(frameworks)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
    table = markdown(result)
    (OUT / f"{name}.md").write_text(table + "\n")
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
