"""How responsive is the dashboard? Time of one step of a regional run plus the re-render of a page.

For each hub region: build the DashboardModel, render the steering page (page 0) and the analyst
page (page 1) with solara's own renderer (``solara.render``, no browser: the server-side work of a
step), then per step time ``model.step()`` and the re-render that Mesa's ``force_update()``
triggers (components re-run, charts and the network PNG rebuilt, widgets updated). The first render
(the network layout, about 1 s for West) is reported apart. gc off while timing; per region the
median and the fastest of the steps are shown (the machine is shared: the median is the honest one).

    .venv/bin/python benchmarks/bench_dashboard.py [--regions west,noord] [--steps 12]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import solara  # noqa: E402
from mesa.visualization.utils import force_update  # noqa: E402

from propeller.app.dashboard.components import components  # noqa: E402
from propeller.app.dashboard.model import DashboardModel  # noqa: E402
from propeller.core.constants import HUBS  # noqa: E402

BUDGET_MS = 200.0


def page_of(model, comps, index):
    @solara.component
    def Page():
        with solara.Column():
            for comp, page in comps:
                if page == index:
                    comp(model)

    return Page


def bench_region(region: str, steps: int, warmup: int = 6) -> dict:
    model = DashboardModel(region=region, rng=0)
    model.run_for(warmup)
    comps = components()
    out = {"region": region, "organisations": model.pop.n}
    for index, name in ((0, "steering"), (1, "analyst")):
        t0 = time.perf_counter()
        _, rc = solara.render(page_of(model, comps, index)(), handle_error=False)
        out[f"first_{name}_ms"] = 1e3 * (time.perf_counter() - t0)
        step_t, render_t = [], []
        gc.collect()
        gc.disable()
        try:
            for _ in range(steps):
                t0 = time.perf_counter()
                model.step()
                t1 = time.perf_counter()
                force_update()
                t2 = time.perf_counter()
                step_t.append(t1 - t0)
                render_t.append(t2 - t1)
        finally:
            gc.enable()
            rc.close()
        out[f"step_{name}_ms"] = 1e3 * statistics.median(step_t)
        out[f"render_{name}_ms"] = 1e3 * statistics.median(render_t)
        out[f"total_{name}_ms"] = 1e3 * statistics.median(a + b for a, b in zip(step_t, render_t, strict=True))
        out[f"fastest_{name}_ms"] = 1e3 * min(a + b for a, b in zip(step_t, render_t, strict=True))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", default=",".join(HUBS), help="comma-separated hub regions (or 'all')")
    ap.add_argument("--steps", type=int, default=12, help="timed steps per page (default 12)")
    args = ap.parse_args(argv)
    rows = [bench_region(r.strip(), args.steps) for r in args.regions.split(",") if r.strip()]
    print(f"{'region':<8}{'orgs':>6} | {'step':>6}{'steering':>10}{'total':>8}{'fastest':>9} |"
          f"{'step':>6}{'analyst':>9}{'total':>8}{'fastest':>9} | first render steering / analyst")
    print(f"{'':<8}{'':>6} | {'ms (median over steps)':^33} | {'ms (median over steps)':^32} | ms")
    worst = 0.0
    for r in rows:
        print(f"{r['region']:<8}{r['organisations']:>6} | {r['step_steering_ms']:>6.1f}{r['render_steering_ms']:>10.1f}"
              f"{r['total_steering_ms']:>8.1f}{r['fastest_steering_ms']:>9.1f} |{r['step_analyst_ms']:>6.1f}"
              f"{r['render_analyst_ms']:>9.1f}{r['total_analyst_ms']:>8.1f}{r['fastest_analyst_ms']:>9.1f} | "
              f"{r['first_steering_ms']:.0f} / {r['first_analyst_ms']:.0f}")
        if r["region"] != "all":
            worst = max(worst, r["total_steering_ms"], r["total_analyst_ms"])
    print(f"\nslowest single-hub step + page re-render (median): {worst:.0f} ms (budget {BUDGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
