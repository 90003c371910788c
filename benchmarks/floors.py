"""The floors under issue 14's three open goals: what the compiled kernels alone cost, measured as run.py measures the goals.

    .venv/bin/python benchmarks/floors.py [--repeats 5] [--mesa-repeats 3]

``benchmarks/run.py`` measures the goals on whole runs. This script splits the same runs into the time inside the
compiled kernels (each kernel the model calls wrapped in a timer, as ``benchmarks/profile.py`` does) and the rest, and
gives for each goal the best figure the model could reach if everything outside the kernels cost nothing:

1. **All hubs / national** (goal <= 1.5): the all-hubs run's kernel time alone per organisation-theme-month, over the
   national run's whole time per organisation-theme-month (CPU, its months 3-26, as in run.py). The national run keeps
   its Python, so this is a bound from the all-hubs side only. Measured in pairs, each national run right before its
   all-hubs runs (the median pair is reported): the national run's time moves with the machine's load much more than
   the all-hubs run's.
2. **simulate_many x32** (goal >= 3x): one all-hubs ``simulate`` split into set-up, months (kernels and the rest) and
   outcome frames. A batch that removed every cost outside the kernels could reach at most ``whole call / kernels``
   in CPU time, as run.py measures the goal; ``cores x whole call / kernels`` in wall time if it also ran the kernels
   on all cores at once (which 32 sequential calls on a process pool of ``cores`` workers get as well).
3. **Against per-agent Mesa** (goals >= 150x at 1,000, >= 300x at 10,000 organisations, hubs off, the comparison
   configuration): the Mesa baseline's month over Mesa's own time loop (``run_for`` over a model whose ``step`` does
   nothing, which the model pays as a Mesa model) plus the model's kernels, and plus its propeller move alone.

Whole-run times are CPU time, gc off, taken before the timers are installed: the all-hubs run the fastest of the
repeats, the comparison runs and the Mesa baseline medians, as in run.py. Kernel timers are wall time
(``perf_counter_ns``) in single-threaded runs: run it on an idle machine.
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
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_run import time_once  # noqa: E402
from kernel_timers import timed_kernels, untimed_kernels  # noqa: E402
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
    ap.add_argument("--repeats", type=int, default=5, help="seeds of the all-hubs (fastest) and comparison runs (median)")
    ap.add_argument("--mesa-repeats", type=int, default=3, help="runs of the Mesa baseline per size (median)")
    ap.add_argument("--national-months", type=int, default=24)
    ap.add_argument("--pairs", type=int, default=3, help="national / all-hubs pairs for goal 1 (median)")
    args = ap.parse_args()
    res: dict = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                 "load_before": os.getloadavg()[0]}
    k = _themes()
    from propeller import simulate

    # goal 1 in pairs, one after the other (the national run's time moves with the host's state more than
    # the all-hubs run's): the national run untimed, the all-hubs run untimed, then its kernels timed
    calibrated = load(ROOT / "scenarios" / "calibrated.toml")
    all_hubs = lambda s: PropellerModel(calibrated, rng=s, with_agents=False)  # noqa: E731
    _steps(all_hubs, 0)
    m0 = all_hubs(0)
    n_hubs, months = m0.pop.n, m0.n_months
    pairs = []
    for _ in range(args.pairs):
        large, n_large, _ = per_step(1.0, args.national_months)
        national = 1e6 * large / (n_large * k)
        whole = 1e9 * min(_steps(all_hubs, s)[0] for s in range(1, args.repeats + 1)) / (n_hubs * k * months)
        acc = timed_kernels()
        _timed_run(all_hubs, 0, acc)
        kern = min(sum(_timed_run(all_hubs, s, acc)[0].values()) for s in range(1, args.repeats + 1))
        untimed_kernels()
        pairs.append((national, whole, kern / (n_hubs * k * months)))
        print(f"national {national:.1f} ns, all hubs {whole:.1f} ns (kernels {pairs[-1][2]:.1f})", flush=True)
    nat, whole, kern = (np.array(x) for x in zip(*pairs, strict=True))
    res.update(ns_national=float(np.median(nat)), ns_all_hubs=float(np.median(whole)),
               ns_all_hubs_kernels=float(np.median(kern)),
               all_hubs_over_national=float(np.median(whole / nat)),
               floor_all_hubs_over_national=float(np.median(kern / nat)),
               floor_all_hubs_over_national_range=[float((kern / nat).min()), float((kern / nat).max())])
    comparison = {n: sized(n) for n in (1000, 10_000)}
    mesa_ms, model_us = {}, {}
    for n, sc in comparison.items():  # as run.py: CPU, medians of the model's and the baseline's runs
        fast = lambda s, sc=sc: PropellerModel(sc, rng=s, with_agents=False)  # noqa: E731
        _steps(fast, 0)
        months_n = fast(0).n_months
        model_us[n] = 1e6 * float(np.median([_steps(fast, s)[0] for s in range(args.repeats)])) / months_n
        runs = [_steps(lambda s, sc=sc: BaselineModel(sc, s), s)[0] for s in range(args.mesa_repeats)]
        mesa_ms[n] = 1e3 * float(np.median(runs)) / months_n
        res[f"mesa_ms_per_month_{n}"], res[f"model_us_per_month_{n}"] = mesa_ms[n], model_us[n]
        res[f"ratio_{n}"] = 1e3 * mesa_ms[n] / model_us[n]
        print(f"{n:,} organisations: Mesa baseline {mesa_ms[n]:.2f} ms a month, the model {model_us[n]:.0f} us", flush=True)
    res["mesa_loop_us_per_month"] = loop = mesa_loop_us()
    # one simulate call split into its parts
    simulate(calibrated, 0)
    runs = np.array([time_once(calibrated, s, clock=time.process_time)[:3] for s in range(1, args.repeats + 1)])
    parts = dict(zip(("setup", "months", "frames"), runs.mean(axis=0), strict=True))
    c0 = time.process_time()
    for s in range(1, args.repeats + 1):
        simulate(calibrated, s)
    simulate_s = (time.process_time() - c0) / args.repeats

    # the same runs with every kernel timed (all whole-run times above are untimed)
    acc = timed_kernels()
    sums = [sum(r[0].values()) for r in (_timed_run(all_hubs, s, acc) for s in range(1, args.repeats + 1))]
    kernels_per_call = sum(sums) / len(sums) / 1e9  # the kernels of one call's months, s (mean, as the parts)
    res.update(simulate_ms=1e3 * simulate_s, simulate_setup_ms=1e3 * parts["setup"],
               simulate_months_ms=1e3 * parts["months"], simulate_frames_ms=1e3 * parts["frames"],
               simulate_kernels_ms=1e3 * kernels_per_call)
    cores = os.cpu_count() or 1
    res["kernel_share_of_simulate"] = share = kernels_per_call / simulate_s
    res["ceiling_batch_speedup_cpu"] = 1.0 / share  # as run.py measures batch_speedup_32
    res["ceiling_batch_speedup_wall"] = cores / share  # both cores busy: what a process pool already gives
    for n in comparison:
        fast = lambda s, n=n: PropellerModel(comparison[n], rng=s, with_agents=False)  # noqa: E731
        _timed_run(fast, 0, acc)
        runs = [_timed_run(fast, s, acc) for s in range(args.repeats)]
        move_us = float(np.median([r[0]["propeller_move"] / r[1] for r in runs])) / 1e3
        kernels_us = float(np.median([sum(r[0].values()) / r[1] for r in runs])) / 1e3
        res[f"move_us_per_month_{n}"], res[f"kernels_us_per_month_{n}"] = move_us, kernels_us
        res[f"ceiling_ratio_kernels_{n}"] = 1e3 * mesa_ms[n] / (loop + kernels_us)
        res[f"ceiling_ratio_loop_and_move_{n}"] = 1e3 * mesa_ms[n] / (loop + move_us)
    res["load_after"] = os.getloadavg()[0]

    print(f"1. all hubs {res['ns_all_hubs']:.0f} ns per organisation-theme-month, of which kernels "
          f"{res['ns_all_hubs_kernels']:.0f}; national {res['ns_national']:.0f} (whole): ratio "
          f"{res['all_hubs_over_national']:.2f}, with nothing outside the all-hubs run's kernels "
          f"{res['floor_all_hubs_over_national']:.2f} (pairs {res['floor_all_hubs_over_national_range'][0]:.2f}-"
          f"{res['floor_all_hubs_over_national_range'][1]:.2f}; goal <= 1.5)")
    print(f"2. one all-hubs simulate {res['simulate_ms']:.0f} ms CPU: set-up {res['simulate_setup_ms']:.0f}, months "
          f"{res['simulate_months_ms']:.0f} (kernels {res['simulate_kernels_ms']:.0f}), frames {res['simulate_frames_ms']:.0f}; "
          f"kernels {share:.0%} of the call: a batch with nothing outside the kernels reaches at most "
          f"x{res['ceiling_batch_speedup_cpu']:.1f} in CPU time, as run.py measures it (goal >= 3); "
          f"x{res['ceiling_batch_speedup_wall']:.1f} in wall time with the kernels on all {cores} cores")
    for n, goal in ((1000, 150), (10_000, 300)):
        print(f"3. {n:,} organisations: Mesa {mesa_ms[n] * 1e3:.0f} us a month, the model {model_us[n]:.0f} "
              f"(x{res[f'ratio_{n}']:.0f}); Mesa's time loop ({loop:.1f}) and the kernels "
              f"{loop + res[f'kernels_us_per_month_{n}']:.0f} (x{res[f'ceiling_ratio_kernels_{n}']:.0f}); "
              f"the time loop and the move alone {loop + res[f'move_us_per_month_{n}']:.0f} "
              f"(x{res[f'ceiling_ratio_loop_and_move_{n}']:.0f}) (goal >= {goal}x)")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
