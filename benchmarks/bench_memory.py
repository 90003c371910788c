"""Memory over thousands of runs: does the resident set stay flat?

Two measurements, each recording the resident set size (VmRSS from /proc, no psutil needed) every ``--every`` runs:

1. ``--runs`` tiny runs in one process through ``simulate()`` (Midden, 2024-03 .. 2024-09, a new seed each time,
   one scenario object reused - the way notebooks, calibration workers and sweep workers call it);
2. a sweep of as many runs with ``--workers`` pool workers (``propeller.app.runner``), stored as ``propeller sweep``
   stores them (the same loop as ``propeller.app.sweeps.execute.execute``): the parent's RSS and each worker's.

No explicit garbage collection: the figures are what a long-running process holds. The slope is a least-squares
fit of RSS against runs after the warm-up (the first ``--warmup`` runs: imports, compiled kernels, allocator pools),
in MB per 1,000 runs.

    .venv/bin/python benchmarks/bench_memory.py [--runs 2000] [--every 100] [--warmup 200] [--workers 2] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from propeller.app.userio import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process in MB (VmRSS of /proc/PID/status); nan if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def slope(points: list[tuple[int, float]], warmup: int) -> float:
    """MB per 1,000 runs after the warm-up (least squares)."""
    pts = [(n, v) for n, v in points if n >= warmup and np.isfinite(v)]
    if len(pts) < 2:
        return float("nan")
    x, y = np.array(pts, dtype=float).T
    return float(np.polyfit(x, y, 1)[0] * 1000)


def in_process(runs: int, every: int) -> list[tuple[int, float]]:
    from propeller import simulate
    from propeller.scenarios.loader import DEFAULTS, load

    scenario = load(DEFAULTS, overrides={"simulation.region": "midden", "simulation.until": "2024-09"})
    points = [(0, rss_mb())]
    for i in range(1, runs + 1):
        simulate(scenario, seed=i)
        if i % every == 0:  # no gc.collect(): what a long-running process really holds
            points.append((i, rss_mb()))
    return points


def sweep(runs: int, every: int, workers: int) -> tuple[list[tuple[int, float]], dict[int, list[tuple[int, float]]]]:
    from propeller.app.runner import Executor
    from propeller.app.store import Store
    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.spec import load_spec
    from propeller.app.sweeps.summary import PRELOAD, run_task

    with tempfile.TemporaryDirectory() as d:
        spec = Path(d) / "mem.toml"
        spec.write_text(f'name = "mem"\nscenarios = ["{LIB / "uncalibrated.toml"}"]\nseed = 7\nreplications = {runs}\n'
                        'until = "2024-09"\noutputs = ["partners_total", "kpi5_skilled"]\n[overrides]\n'
                        'simulation.region = "midden"\n')
        plan = build_plan(load_spec(spec))
        parent = [(0, rss_mb())]
        children: dict[int, list[tuple[int, float]]] = {}
        with Executor(workers, preload=PRELOAD) as ex, Store(Path(d) / "mem.db") as store:
            store.register(plan)
            todo = store.pending(plan)
            by_id = {t["run_id"]: t for t in todo}
            stream = ex.stream(run_task, todo)
            for i, r in enumerate(stream, start=1):
                assert store.write(by_id[r["run_id"]], r) == "new", r.get("error")
                if i % every == 0:
                    parent.append((i, rss_mb()))
                    for p in mp.active_children():
                        children.setdefault(p.pid, []).append((i, rss_mb(p.pid)))
            stream.close()
    return parent, children


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    a = ap.parse_args()

    t0 = time.perf_counter()
    one = in_process(a.runs, a.every)
    t_one = time.perf_counter() - t0
    print(f"in one process: {a.runs} runs in {t_one:.0f} s; RSS (MB) every {a.every} runs:")
    print("  " + " ".join(f"{v:.0f}" for _, v in one))
    after = [v for n, v in one if n >= a.warmup]
    print(f"  after warm-up ({a.warmup} runs): {after[0]:.1f} -> {after[-1]:.1f} MB, max {max(after):.1f}; "
          f"slope {slope(one, a.warmup):+.2f} MB per 1,000 runs")

    t0 = time.perf_counter()
    parent, children = sweep(a.runs, a.every, a.workers)
    t_sw = time.perf_counter() - t0
    print(f"sweep, {a.workers} workers: {a.runs} runs in {t_sw:.0f} s; parent RSS (MB) every {a.every} runs:")
    print("  " + " ".join(f"{v:.0f}" for _, v in parent))
    print(f"  parent slope {slope(parent, a.warmup):+.2f} MB per 1,000 runs")
    for pid, pts in children.items():
        print(f"  worker {pid}: {pts[0][1]:.0f} -> {pts[-1][1]:.0f} MB, slope {slope(pts, a.warmup):+.2f} MB per "
              "1,000 runs")
    if a.json:
        atomic_write_text(a.json, json.dumps({
            "machine": platform.processor() or platform.machine(), "python": platform.python_version(),
            "load": os.getloadavg(), "runs": a.runs, "every": a.every, "warmup": a.warmup, "workers": a.workers,
            "in_process": {"seconds": t_one, "rss": one, "slope_mb_per_1000": slope(one, a.warmup)},
            "sweep": {"seconds": t_sw, "parent": parent, "parent_slope": slope(parent, a.warmup),
                      "workers": {str(k): {"rss": v, "slope": slope(v, a.warmup)} for k, v in children.items()}},
        }, indent=1))


if __name__ == "__main__":
    main()
