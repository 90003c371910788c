"""Time one run of the model (2024-03 -> 2030-12): regional runs (one hub's region) and all hubs.

Mesa-benchmark method (abm_anchors.md B.3): gc collected then disabled around perf_counter timers,
one warm-up, the fastest of `--repeats` replications per seed, averaged over seeds; set-up (building
the population and graph), the 81 monthly steps and deriving the outcome frames are timed apart.

    .venv/bin/python benchmarks/bench_run.py [--repeats 3] [--seeds 3] [--json outputs/bench.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
from pathlib import Path

import numpy as np

from propeller import PropellerModel
from propeller.app.userio import atomic_write_text
from propeller.scenarios.loader import DEFAULTS, load


def time_once(scenario, seed: int, clock=time.perf_counter) -> tuple[float, float, float, int]:
    """Seconds (by ``clock``) of one run's set-up, months and outcome frames, gc off; and its size."""
    gc.collect()
    gc.disable()
    try:
        t0 = clock()
        m = PropellerModel(scenario, rng=seed, with_agents=False)
        t1 = clock()
        m.run_for(m.n_months)
        t2 = clock()
        m.outcomes()
        t3 = clock()
    finally:
        gc.enable()
    return t1 - t0, t2 - t1, t3 - t2, m.pop.n


def bench(region: str, seeds: int, repeats: int) -> dict:
    scenario = load(DEFAULTS, overrides={"simulation.region": region})
    time_once(scenario, 0)  # warm-up
    best = []
    for seed in range(seeds):
        runs = [time_once(scenario, seed) for _ in range(repeats)]
        best.append(min(runs, key=lambda r: sum(r[:3])))
    arr = np.array([b[:3] for b in best])
    init, step, frames = arr.mean(axis=0)
    return {"region": region, "organisations": best[0][3], "init_ms": 1e3 * init, "run_ms": 1e3 * step,
            "frames_ms": 1e3 * frames, "total_ms": 1e3 * (init + step + frames), "per_month_ms": 1e3 * step / 81}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--regions", default="noord,zuid,oost,west,midden,all")
    ap.add_argument("--json", default="outputs/bench.json")
    args = ap.parse_args()
    rows = [bench(r, args.seeds, args.repeats) for r in args.regions.split(",")]
    print(f"{'region':8s} {'orgs':>6s} {'init ms':>9s} {'run ms':>9s} {'frames ms':>10s} {'total ms':>9s} {'ms/month':>9s}")
    for r in rows:
        print(f"{r['region']:8s} {r['organisations']:6d} {r['init_ms']:9.1f} {r['run_ms']:9.1f} {r['frames_ms']:10.1f} "
              f"{r['total_ms']:9.1f} {r['per_month_ms']:9.2f}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps({"machine": platform.processor() or platform.machine(), "python": platform.python_version(),
                               "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
