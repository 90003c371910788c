"""Issue 7: the model against an idiomatic per-agent Mesa implementation, and national scale.

    .venv/bin/python benchmarks/run.py [--repeats 5] [--mesa-repeats 3] [--skip-national] [--skip-calibration]

1. Side by side in one process, at 1,000 and 10,000 organisations (2024-03 -> 2030-12, monthly), in the
   comparison configuration of benchmarks/mesa_baseline.py (hubs off, network on: the propeller rules
   that both implement): the time of the 81 monthly steps of each, median over repeats (CPU time, which
   other jobs on a shared machine disturb less than wall time; wall time is printed too). The
   population size is set through the West region's pool of not-yet-known organisations.
2. National scale: ``propeller run scenarios/national.toml`` (about 200,000 organisations, 2024 -> 2050)
   in a subprocess: wall time and peak memory (maximum resident set size).
3. Scaling: time per monthly step of the national model at 200,000 organisations divided by that at
   20,000 (the same scenario with every region's pool at a tenth), after a warm-up, same process.

4. Small runs against big ones: CPU ns per organisation-theme-month of the calibrated all-hubs run and of the
   national run (its months 3-26 at full scale, from 3.), and their ratio; ``simulate_many`` over 32 seeds against 32
   ``simulate`` calls.
5. The full calibration (``propeller calibrate``) on 2 workers: simulations per second (``--skip-calibration``).

The last line printed is a JSON object with ratio_1k, ratio_10k, model_ms_1k, model_ms_10k, national_s,
national_peak_mb, national_build_s, scaling_200k_over_20k, ns_per_org_theme_month_all_hubs,
ns_per_org_theme_month_national, batch_speedup_32, calibration_sims_per_s (and the parts they come from). The model
is also timed with its neighbour sums recomputed for everyone each month (``FullNeighbours``, as the baseline's ``observe`` does) instead of
incrementally, to show how much of the ratio that algorithmic choice accounts for.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from mesa_baseline import BaselineModel, comparison_scenario  # noqa: E402

from propeller.core.constants import HUBS  # noqa: E402
from propeller.core.ecosystem import NeighbourState  # noqa: E402
from propeller.core.model import PropellerModel  # noqa: E402
from propeller.scenarios.loader import load  # noqa: E402


def sized(n_orgs: int):
    """The comparison scenario (West region, hubs off) with ``n_orgs`` organisations in total."""
    base = comparison_scenario("west", **{"hubs.west.potential_unknown": 0})
    n0 = PropellerModel(base, rng=0, with_agents=False).pop.n
    return comparison_scenario("west", **{"hubs.west.potential_unknown": int(n_orgs - n0)})


class FullNeighbours(PropellerModel):
    """The model with its neighbour sums recomputed for every organisation each month, as the Mesa baseline's
    ``observe`` does, instead of incrementally: shows how much of the ratio is the incremental update."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ns = self.neighbours
        ns.update = lambda stage, full=True: NeighbourState.update(ns, stage, full=True)


def _steps(make, seed: int) -> tuple[float, float, int]:
    """(CPU s, wall s) of the monthly steps of one model to its horizon, gc off; and its size."""
    m = make(seed)
    gc.collect()
    gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        m.run_for(m.n_months)
        c1, t1 = time.process_time(), time.perf_counter()
    finally:
        gc.enable()
    n = m.pop.n if hasattr(m, "pop") else m.n_orgs
    return c1 - c0, t1 - t0, n


def side_by_side(n_orgs: int, repeats: int, mesa_repeats: int) -> dict:
    sc = sized(n_orgs)
    fast = lambda s: PropellerModel(sc, rng=s, with_agents=False)  # noqa: E731
    full = lambda s: FullNeighbours(sc, rng=s, with_agents=False)  # noqa: E731
    mesa = lambda s: BaselineModel(sc, s)  # noqa: E731
    _steps(fast, 0)  # warm-up: numba cache load
    _steps(full, 0)
    f = np.array([_steps(fast, s)[:2] for s in range(repeats)])
    g = np.array([_steps(full, s)[0] for s in range(repeats)])
    m_runs = [_steps(mesa, s) for s in range(mesa_repeats)]
    m = np.array([r[:2] for r in m_runs])
    out = {"organisations": m_runs[0][2], "model_ms": 1e3 * float(np.median(f[:, 0])),
           "model_wall_ms": 1e3 * float(np.median(f[:, 1])), "mesa_ms": 1e3 * float(np.median(m[:, 0])),
           "mesa_wall_ms": 1e3 * float(np.median(m[:, 1])), "model_full_neighbours_ms": 1e3 * float(np.median(g))}
    out["ratio"] = out["mesa_ms"] / out["model_ms"]
    out["ratio_full_neighbours"] = out["mesa_ms"] / out["model_full_neighbours_ms"]
    return out


def national_run() -> dict:
    """``propeller run scenarios/national.toml`` in a child process: wall seconds and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "propeller.app.cli", "run", str(ROOT / "scenarios" / "national.toml"),
                            "--out", str(Path(tmp) / "national")], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"national run failed: {r.stderr[-500:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"national_s": wall, "national_peak_mb": peak_kb / 1024}


def per_step(scale: float, months: int) -> tuple[float, int, float]:
    """CPU ms per monthly step of the national scenario with every region's unknown pool x ``scale``; also the
    CPU seconds of building the model (population, graphs, arrays)."""
    base = load(ROOT / "scenarios" / "national.toml")
    over = {f"hubs.{h}.potential_unknown": int(base[f"hubs.{h}.potential_unknown"] * scale) for h in HUBS}
    sc = base.with_overrides(over, origin="benchmark")
    c0 = time.process_time()
    m = PropellerModel(sc, rng=0, with_agents=False)
    setup = time.process_time() - c0
    m.run_for(2)  # warm-up months
    gc.collect()
    c0 = time.process_time()
    m.run_for(months)
    return 1e3 * (time.process_time() - c0) / months, m.pop.n, setup


def _themes() -> int:
    from propeller.core.constants import THEMES

    return len(THEMES)


def all_hubs(repeats: int) -> dict:
    """The calibrated all-hubs run (2024-03 -> 2030-12): CPU ns per organisation-theme-month of its monthly steps
    (fastest of ``repeats`` seeds, after a warm-up), and the throughput of ``simulate_many`` over 32 seeds against
    32 sequential ``simulate`` calls (CPU time of each, whole calls: set-up, months, outcome frames)."""
    from propeller import simulate, simulate_many

    sc = load(ROOT / "scenarios" / "calibrated.toml")
    make = lambda s: PropellerModel(sc, rng=s, with_agents=False)  # noqa: E731
    _steps(make, 0)
    best = min(_steps(make, s)[0] for s in range(1, repeats + 1))
    m = make(0)
    ns = 1e9 * best / (m.n_months * m.pop.n * _themes())
    seeds = list(range(100, 132))
    gc.collect()
    c0 = time.process_time()
    for s in seeds:
        simulate(sc, s)
    sequential = time.process_time() - c0
    gc.collect()
    c0 = time.process_time()
    simulate_many(sc, seeds)
    batch = time.process_time() - c0
    return {"all_hubs_organisations": m.pop.n, "ns_per_org_theme_month_all_hubs": ns,
            "sequential_32_s": sequential, "batch_32_s": batch, "batch_speedup_32": sequential / batch}


def calibration_speed(workers: int) -> dict:
    """The full calibration (``propeller calibrate``, FULL settings) on ``workers`` processes into a temporary
    folder: simulations per second (the fit and the posterior predictive draws)."""
    from propeller.calibration.run import FULL, run

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        out = run(workers=workers, out=Path(tmp) / "calibration", write_scenarios=False, log=lambda s: None)
        seconds = time.perf_counter() - t0
    sims = out["meta"]["simulations"] + FULL.predictive_draws
    return {"calibration_simulations": sims, "calibration_s": seconds, "calibration_sims_per_s": sims / seconds,
            "calibration_workers": workers}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="runs of the model per size (median)")
    ap.add_argument("--mesa-repeats", type=int, default=3, help="runs of the Mesa baseline per size (median)")
    ap.add_argument("--scaling-months", type=int, default=24)
    ap.add_argument("--skip-national", action="store_true", help="skip the national run (it takes minutes)")
    ap.add_argument("--skip-calibration", action="store_true", help="skip the full calibration (minutes)")
    args = ap.parse_args()
    res: dict = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                 "load_before": os.getloadavg()[0]}
    print(f"{'organisations':>13s} {'model ms':>9s} {'Mesa ms':>10s} {'ratio':>7s}   {'full-neighbours ms':>18s} {'ratio':>6s}"
          "   (CPU time of 81 monthly steps, median)")
    for n, key in ((1000, "1k"), (10_000, "10k")):
        r = side_by_side(n, args.repeats, args.mesa_repeats)
        res[f"model_ms_{key}"], res[f"mesa_ms_{key}"], res[f"ratio_{key}"] = r["model_ms"], r["mesa_ms"], r["ratio"]
        res[f"model_wall_ms_{key}"], res[f"mesa_wall_ms_{key}"] = r["model_wall_ms"], r["mesa_wall_ms"]
        res[f"model_full_neighbours_ms_{key}"] = r["model_full_neighbours_ms"]
        res[f"ratio_full_neighbours_{key}"] = r["ratio_full_neighbours"]
        print(f"{r['organisations']:13d} {r['model_ms']:9.1f} {r['mesa_ms']:10.1f} {r['ratio']:7.0f}x   "
              f"{r['model_full_neighbours_ms']:18.1f} {r['ratio_full_neighbours']:5.0f}x", flush=True)
    small, n_small, _ = per_step(0.1, args.scaling_months)
    large, n_large, setup = per_step(1.0, args.scaling_months)
    res.update(step_ms_20k=small, step_ms_200k=large, n_20k=n_small, n_200k=n_large,
               scaling_200k_over_20k=large / small, national_build_s=setup,
               ns_per_org_theme_month_national=1e6 * large / (n_large * _themes()))
    res.update(all_hubs(args.repeats))
    res["all_hubs_over_national"] = res["ns_per_org_theme_month_all_hubs"] / res["ns_per_org_theme_month_national"]
    print(f"ns per organisation-theme-month: all hubs ({res['all_hubs_organisations']:,} organisations) "
          f"{res['ns_per_org_theme_month_all_hubs']:.0f}, national {res['ns_per_org_theme_month_national']:.0f} "
          f"(x{res['all_hubs_over_national']:.2f}); simulate_many over 32 seeds {res['batch_32_s']:.1f} s CPU against "
          f"{res['sequential_32_s']:.1f} s for 32 simulate calls (x{res['batch_speedup_32']:.2f})", flush=True)
    print(f"national step: {n_small:,} organisations {small:.1f} ms, {n_large:,} organisations {large:.1f} ms, "
          f"ratio {large / small:.1f} (x{n_large / n_small:.1f} organisations); building the national model "
          f"{setup:.1f} s CPU", flush=True)
    if not args.skip_national:
        res.update(national_run())
        print(f"national run 2024-03 -> 2050-12 (propeller run scenarios/national.toml): {res['national_s']:.0f} s, "
              f"peak {res['national_peak_mb']:.0f} MB", flush=True)
    else:
        res.update(national_s=None, national_peak_mb=None)
    if not args.skip_calibration:
        res.update(calibration_speed(2))
        print(f"full calibration on 2 workers: {res['calibration_simulations']:,} simulations in "
              f"{res['calibration_s']:.0f} s, {res['calibration_sims_per_s']:.1f} per second", flush=True)
    else:
        res.update(calibration_sims_per_s=None)
    res["load_after"] = os.getloadavg()[0]
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()}))


if __name__ == "__main__":
    main()
