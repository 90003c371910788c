"""Profile the model's monthly steps (issue 7): where a month's time goes.

    .venv/bin/python benchmarks/profile.py [--orgs 10000] [--runs 5] [--config comparison|calibrated]
                                           [--pyinstrument] [--html outputs/profile.html]

``comparison``: the configuration of benchmarks/run.py (West region, hubs off, network on, sized to ``--orgs``);
``calibrated``: scenarios/calibrated.toml, all hubs (the full model with its instruments; ``--orgs`` is ignored);
``national``: scenarios/national.toml, 199,750 organisations to 2050 (use ``--runs 1``).
Only the steps are profiled (``run_for`` over the whole horizon), after one warm-up run that loads the compiled
kernels. Two views:

1. **Kernels** (always): every compiled kernel the model calls from Python is wrapped in a timer, so the table
   gives each kernel's time per month (including its dispatch) and what is left for Python around them. A
   sampling profiler cannot show this split: its signal is handled only once a kernel returns, so a kernel's
   time lands on whatever Python line runs next.
2. **pyinstrument** (``--pyinstrument``, ``--html``): the Python call tree, for the overhead between kernels.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from kernel_timers import timed_kernels  # noqa: E402

from propeller.app.userio import atomic_write_text  # noqa: E402
from propeller.core.model import PropellerModel  # noqa: E402
from propeller.scenarios.loader import load  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orgs", type=int, default=10_000, help="organisations in the comparison configuration")
    ap.add_argument("--runs", type=int, default=5, help="runs profiled (seeds 1..runs)")
    ap.add_argument("--config", choices=("comparison", "calibrated", "national"), default="comparison")
    ap.add_argument("--pyinstrument", action="store_true", help="also print pyinstrument's call tree")
    ap.add_argument("--html", type=Path, help="also write pyinstrument's HTML page here")
    args = ap.parse_args()
    if args.config == "comparison":
        from run import sized

        scenario = sized(args.orgs)
    elif args.config == "calibrated":
        scenario = load(ROOT / "scenarios" / "calibrated.toml", overrides={"simulation.region": "all"})
    else:
        scenario = load(ROOT / "scenarios" / "national.toml")
    warm = PropellerModel(scenario, rng=0, with_agents=False)
    warm.run_for(warm.n_months)  # loads the compiled kernels

    acc = timed_kernels()
    models = [PropellerModel(scenario, rng=s, with_agents=False) for s in range(1, args.runs + 1)]
    t0 = time.perf_counter_ns()
    for m in models:
        m.run_for(m.n_months)
    total = time.perf_counter_ns() - t0
    n, months = models[0].pop.n, models[0].n_months
    per = args.runs * months
    print(f"{args.config}: {n:,} organisations, {args.runs} runs x {months} months; "
          f"{total / per / 1e3:.1f} us per month (timers included)")
    print(f"{'kernel':24s} {'calls/month':>11s} {'us/month':>9s} {'share':>6s}")
    rows = sorted(((name, c, ns) for name, (c, ns) in acc.items() if c), key=lambda r: -r[2])
    for name, calls, ns in rows:
        print(f"{name:24s} {calls / per:11.2f} {ns / per / 1e3:9.1f} {ns / total:6.1%}")
    rest = total - sum(ns for _, _, ns in rows)
    if n >= PropellerModel.beside_min_orgs:
        print("(relation growth and the monthly counts run in the helper thread beside the rest of the month, so the\n"
              " kernels' times overlap and add up to more than the month: see docs/ODD.md section 3)")
    else:
        print(f"{'Python around them':24s} {'':11s} {rest / per / 1e3:9.1f} {rest / total:6.1%}")

    if args.pyinstrument or args.html:
        from pyinstrument import Profiler

        models = [PropellerModel(scenario, rng=s, with_agents=False) for s in range(1, args.runs + 1)]
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for m in models:
            m.run_for(m.n_months)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(args.html, profiler.output_html())
            print(f"wrote {args.html}")


if __name__ == "__main__":
    main()
