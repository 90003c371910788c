"""The floors under issue 14's three open goals: what the compiled kernels alone cost, measured as run.py measures the goals.

    .venv/bin/python benchmarks/floors.py [--repeats 5] [--mesa-repeats 1]

``benchmarks/run.py`` measures the goals on whole runs. This script splits the same runs into the time inside the
compiled kernels (each kernel the model calls wrapped in a timer, as ``benchmarks/profile.py`` does) and the rest, and
gives for each goal the best figure the model could reach if everything outside the kernels cost nothing:

1. **All hubs / national** (goal <= 1.5): the all-hubs run's kernel time alone per organisation-theme-month, over the
   national run's whole time per organisation-theme-month (CPU, its months 3-26, as in run.py).
2. **simulate_many x32** (goal >= 3x): one all-hubs ``simulate`` split into set-up, months (kernels and the rest) and
   outcome frames. A batch that removed every cost outside the kernels and ran the kernels on all cores at once could
   reach at most ``cores x whole call / kernels``.
3. **Against per-agent Mesa** (goals >= 150x at 1,000, >= 300x at 10,000 organisations): the Mesa baseline's month
   over the model's propeller move alone, and over all its kernels (hubs off, the comparison configuration); and
   what Mesa's own time loop costs a month (``run_for`` over a model whose ``step`` does nothing), which any model
   stepped by Mesa pays besides its kernels.

Kernel timers are wall time (``perf_counter_ns``) in a single-threaded run; the whole-run times are CPU time, gc off,
fastest of the repeats (the all-hubs and the comparison runs) as in run.py. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import mesa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from kernel_timers import timed_kernels  # noqa: E402
from mesa_baseline import BaselineModel  # noqa: E402
from run import _steps, _themes, per_step, sized  # noqa: E402

from propeller.core.model import PropellerModel  # noqa: E402
from propeller.scenarios.loader import load  # noqa: E402


class EmptyMonth(mesa.Model):
    """A Mesa model whose step does nothing: what ``run_for`` itself costs a month."""

    def step(self) -> None:
        pass


def mesa_loop_us(months: int = 81, repeats: int = 200) -> float:
    """CPU us a month of Mesa's time loop alone (``run_for`` over ``months`` months), fastest of ``repeats``."""
    best = float("inf")
    for s in range(repeats):
        m = EmptyMonth(rng=s)
        c0 = time.process_time()
        m.run_for(months)
        best = min(best, time.process_time() - c0)
    return 1e6 * best / months


def _kernel_ns(acc: dict[str, list[int]]) -> dict[str, int]:
    return {name: ns for name, (_, ns) in acc.items()}


def _timed_run(make, seed: int, acc: dict[str, list[int]]) -> tuple[dict[str, int], int]:
    """Kernel ns of one model's months (by kernel) and the number of months."""
    m = make(seed)
    before = _kernel_ns(acc)
    gc.collect()
    gc.disable()
    try:
        m.run_for(m.n_months)
    finally:
        gc.enable()
    after = _kernel_ns(acc)
    return {k: after[k] - before.get(k, 0) for k in after}, m.n_months


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="seeds of the all-hubs and comparison runs (fastest kept)")
    ap.add_argument("--mesa-repeats", type=int, default=1, help="runs of the Mesa baseline per size (fastest kept)")
    ap.add_argument("--national-months", type=int, default=24)
    args = ap.parse_args()
    res: dict = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                 "load_before": os.getloadavg()[0]}
    k = _themes()
    from propeller import simulate

    # whole runs, untimed (the national first: its two threads are not timed)
    large, n_large, _ = per_step(1.0, args.national_months)
    res["ns_national"] = 1e6 * large / (n_large * k)
    calibrated = load(ROOT / "scenarios" / "calibrated.toml")
    all_hubs = lambda s: PropellerModel(calibrated, rng=s, with_agents=False)  # noqa: E731
    _steps(all_hubs, 0)
    whole = min(_steps(all_hubs, s)[0] for s in range(1, args.repeats + 1))
    m0 = all_hubs(0)
    n_hubs, months = m0.pop.n, m0.n_months
    res["ns_all_hubs"] = 1e9 * whole / (n_hubs * k * months)
    comparison = {n: sized(n) for n in (1000, 10_000)}
    mesa_ms = {}
    for n, sc in comparison.items():
        runs = [_steps(lambda s, sc=sc: BaselineModel(sc, s), s) for s in range(args.mesa_repeats)]
        mesa_ms[n] = 1e3 * min(r[0] for r in runs) / PropellerModel(sc, rng=0, with_agents=False).n_months
        res[f"mesa_ms_per_month_{n}"] = mesa_ms[n]
        print(f"Mesa baseline, {n:,} organisations: {mesa_ms[n]:.2f} ms a month", flush=True)
    # one simulate call split into its parts (untimed kernels)
    simulate(calibrated, 0)
    parts = {"setup": 0.0, "months": 0.0, "frames": 0.0}
    for s in range(1, args.repeats + 1):
        c0 = time.process_time()
        m = PropellerModel(calibrated, rng=s, with_agents=False)
        c1 = time.process_time()
        m.run_for(m.n_months)
        c2 = time.process_time()
        m.outcomes()
        c3 = time.process_time()
        for key, v in zip(parts, (c1 - c0, c2 - c1, c3 - c2), strict=True):
            parts[key] += v / args.repeats
    c0 = time.process_time()
    for s in range(1, args.repeats + 1):
        simulate(calibrated, s)
    simulate_s = (time.process_time() - c0) / args.repeats

    # the same runs with every kernel timed
    acc = timed_kernels()
    _timed_run(all_hubs, 0, acc)
    sums = [sum(r[0].values()) for r in (_timed_run(all_hubs, s, acc) for s in range(1, args.repeats + 1))]
    res["ns_all_hubs_kernels"] = min(sums) / (n_hubs * k * months)
    res["floor_all_hubs_over_national"] = res["ns_all_hubs_kernels"] / res["ns_national"]
    res["all_hubs_over_national"] = res["ns_all_hubs"] / res["ns_national"]
    kernels_per_call = sum(sums) / len(sums) / 1e9  # the kernels of one call's months, s (mean, as the parts)
    res.update(simulate_ms=1e3 * simulate_s, simulate_setup_ms=1e3 * parts["setup"],
               simulate_months_ms=1e3 * parts["months"], simulate_frames_ms=1e3 * parts["frames"],
               simulate_kernels_ms=1e3 * kernels_per_call)
    cores = os.cpu_count() or 1
    res["kernel_share_of_simulate"] = kernels_per_call / simulate_s
    res["ceiling_batch_speedup"] = cores / res["kernel_share_of_simulate"]
    for n, sc in comparison.items():
        fast = lambda s, sc=sc: PropellerModel(sc, rng=s, with_agents=False)  # noqa: E731
        _timed_run(fast, 0, acc)
        runs = [_timed_run(fast, s, acc) for s in range(1, args.repeats + 1)]
        by = min(runs, key=lambda r: sum(r[0].values()))
        move_us = by[0]["propeller_move"] / by[1] / 1e3
        kernels_us = sum(by[0].values()) / by[1] / 1e3
        whole_ms = min(_steps(fast, s)[0] for s in range(1, args.repeats + 1)) * 1e3 / by[1]
        res[f"model_us_per_month_{n}"] = 1e3 * whole_ms
        res[f"move_us_per_month_{n}"] = move_us
        res[f"kernels_us_per_month_{n}"] = kernels_us
        res[f"ratio_{n}"] = mesa_ms[n] * 1e3 / (1e3 * whole_ms)
        res[f"ceiling_ratio_move_only_{n}"] = mesa_ms[n] * 1e3 / move_us
        res[f"ceiling_ratio_kernels_{n}"] = mesa_ms[n] * 1e3 / kernels_us
    res["mesa_loop_us_per_month"] = loop = mesa_loop_us()
    for n in comparison:
        res[f"ceiling_ratio_loop_and_move_{n}"] = mesa_ms[n] * 1e3 / (loop + res[f"move_us_per_month_{n}"])
    res["load_after"] = os.getloadavg()[0]

    print(f"1. all hubs {res['ns_all_hubs']:.0f} ns per organisation-theme-month, of which kernels "
          f"{res['ns_all_hubs_kernels']:.0f}; national {res['ns_national']:.0f}: ratio {res['all_hubs_over_national']:.2f}, "
          f"with nothing outside the kernels {res['floor_all_hubs_over_national']:.2f} (goal <= 1.5)")
    print(f"2. one all-hubs simulate {res['simulate_ms']:.0f} ms CPU: set-up {res['simulate_setup_ms']:.0f}, months "
          f"{res['simulate_months_ms']:.0f} (kernels {res['simulate_kernels_ms']:.0f}), frames {res['simulate_frames_ms']:.0f}; "
          f"kernels {res['kernel_share_of_simulate']:.0%} of the call: a batch on {cores} cores with nothing outside the "
          f"kernels reaches at most x{res['ceiling_batch_speedup']:.1f} (goal >= 3)")
    for n, goal in ((1000, 150), (10_000, 300)):
        print(f"3. {n:,} organisations: Mesa {mesa_ms[n] * 1e3:.0f} us a month, the model {res[f'model_us_per_month_{n}']:.0f} "
              f"(x{res[f'ratio_{n}']:.0f}); its kernels {res[f'kernels_us_per_month_{n}']:.0f} "
              f"(x{res[f'ceiling_ratio_kernels_{n}']:.0f}), the move alone {res[f'move_us_per_month_{n}']:.0f} "
              f"(x{res[f'ceiling_ratio_move_only_{n}']:.0f}), Mesa's time loop and the move "
              f"{res['mesa_loop_us_per_month'] + res[f'move_us_per_month_{n}']:.0f} "
              f"(x{res[f'ceiling_ratio_loop_and_move_{n}']:.0f}) (goal >= {goal}x)")
    print(f"   Mesa's time loop alone: {res['mesa_loop_us_per_month']:.1f} us a month")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
