"""Sweep throughput (runs/s) with 1 and 2 local workers, and the speed-up.

A scenario comparison (library baseline and funding -50 %, all hubs, 2024-03 -> 2030-12) is run into a fresh
temporary database with ``execute()`` exactly as ``propeller sweep`` does: planning, the workers (serial, or the
runner's forkserver process pool), and the parent writing every run in its own transaction. Two figures per setting:

- *end to end*: wall time of ``execute()`` (includes starting the pool: the forkserver imports the model once);
- *steady*: runs/s after the first ``workers`` results (start-up excluded), from the stored run end times.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 40] [--until 2030-12] [--region all] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import tempfile
import time
from datetime import datetime
from pathlib import Path

from propeller.app.sweeps.design import build_plan
from propeller.app.sweeps.execute import execute
from propeller.app.sweeps.spec import load_spec
from propeller.app.userio import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]


def spec_file(folder: Path, runs: int, until: str, region: str, tag: str) -> Path:
    reps = max(1, runs // 2)
    lib = ROOT / "scenarios" / "library"
    text = (f'name = "bench_{tag}"\nscenarios = ["{lib / "uncalibrated_defaults.toml"}", "{lib / "funding_minus50.toml"}"]\n'
            f'seed = 1\nreplications = {reps}\nuntil = "{until}"\n'
            'outputs = ["partners_total", "kpi4_mkb", "kpi5_skilled", "adopted_share", "productivity_index"]\n')
    if region != "all":
        text += f'[overrides]\nsimulation.region = "{region}"\n'
    p = folder / f"bench_{tag}.toml"
    p.write_text(text)
    return p


def bench(workers: int, runs: int, until: str, region: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        plan = build_plan(load_spec(spec_file(folder, runs, until, region, f"w{workers}")))
        db = folder / "bench.db"
        with open(os.devnull, "w") as devnull:
            t0 = time.perf_counter()
            res = execute(plan, db, workers=workers, progress=False, stream=devnull)
            wall = time.perf_counter() - t0
        with sqlite3.connect(db) as c:
            ends = sorted(datetime.fromisoformat(e).timestamp() for (e,) in c.execute("SELECT ended FROM runs"))
            per_run = [s for (s,) in c.execute("SELECT seconds FROM runs")]
    assert res.stored == len(plan.runs) and not res.failed
    k = min(workers, len(ends) - 1)
    steady = (len(ends) - 1 - k) / (ends[-1] - ends[k]) if ends[-1] > ends[k] else float("nan")
    return {"workers": workers, "runs": len(plan.runs), "wall_s": wall, "runs_per_s": len(plan.runs) / wall,
            "steady_runs_per_s": steady, "mean_run_s": sum(per_run) / len(per_run)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--until", default="2030-12")
    ap.add_argument("--region", default="all")
    ap.add_argument("--json", default="outputs/bench_sweep.json")
    args = ap.parse_args()
    rows = [bench(w, args.runs, args.until, args.region) for w in (1, 2)]
    print(f"sweep throughput: {rows[0]['runs']} runs, region {args.region}, 2024-03 -> {args.until}, "
          f"{os.cpu_count()} cores ({platform.processor() or platform.machine()})")
    print(f"{'workers':>7} {'wall s':>7} {'runs/s':>7} {'steady runs/s':>14} {'s per run':>10}")
    for r in rows:
        print(f"{r['workers']:>7} {r['wall_s']:>7.1f} {r['runs_per_s']:>7.2f} {r['steady_runs_per_s']:>14.2f} "
              f"{r['mean_run_s']:>10.3f}")
    speedup = rows[1]["runs_per_s"] / rows[0]["runs_per_s"]
    steady = rows[1]["steady_runs_per_s"] / rows[0]["steady_runs_per_s"]
    print(f"speed-up with 2 workers: {speedup:.2f} end to end, {steady:.2f} steady")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps({"rows": rows, "speedup": speedup, "steady_speedup": steady, "region": args.region,
                               "until": args.until}, indent=2))


if __name__ == "__main__":
    main()
