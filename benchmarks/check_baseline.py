"""Check over seeds that the Mesa baseline and the fast model give statistically indistinguishable outcomes.

Configuration: ``hubs.enabled = false``, network on, one region (default West), 2024-03 -> 2030-12.
Outcomes at each checked date: adopted share per theme, share of (organisation, theme) pairs per
propeller phase, cumulative adoptions per theme.

Three checks:

* **independent** (the verdict of issue 7): the fast model on seeds 0..n-1 and the baseline on seeds
  10000..10000+n-1, so the two samples are independent (different initial states and draws). Per outcome
  and date a Welch t-test and a two-sample KS test; Bonferroni over all those tests.
* **paired** (a more sensitive extra): the baseline on the *same* seeds as the fast model, so each pair
  starts from the identical initial state and differs only in the dynamics and their random numbers; a
  paired t-test on the per-seed differences (Bonferroni over its tests). It removes the between-seed
  variance of the initial state, so it detects smaller differences in the dynamics.
* **one month** (most sensitive to the move rules): from one identical state (seed 0 after 41 months, so the
  next month is 2027-09 and the school rows are open), each implementation draws the next month ``--one-month``
  times; per (route, from, to) the mean number of moves is compared with a z-test (Bonferroni over the cells).
  With 1000 repetitions it detects, for example, a baseline without procurement pull (z = -4.9).

Effect sizes: d = (mean baseline - mean fast) / pooled sd (independent), and mean difference / sd of the
differences (paired). An outcome that is constant in both samples counts as equal.

    .venv/bin/python benchmarks/check_baseline.py [--seeds 50] [--region west] [--dates 2025-09,2027-12,2030-12]
                                                 [--alpha 0.05] [--no-paired] [--one-month 2000] [--timing 5]
                                                 [--csv outputs/check_baseline.csv]

Exit code 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.mesa_baseline import BaselineModel, comparison_scenario, run_baseline, run_fast  # noqa: E402
from propeller.core import calendar  # noqa: E402
from propeller.core.constants import ROUTES, STEPS  # noqa: E402
from propeller.core.model import PropellerModel  # noqa: E402

OFFSET = 10_000  # baseline seeds of the independent design


def outcome_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith(("adopted_share_", "phase_share_", "adoptions_"))]


def collect(runner, scenario, seeds, dates) -> pd.DataFrame:
    """One row per (seed, date) with every outcome column."""
    frames = []
    for s in seeds:
        df = runner(scenario, s)
        missing = set(dates) - set(df["date"])
        if missing:
            raise SystemExit(f"dates outside the run: {sorted(missing)}")
        sub = df[df["date"].isin(dates)].copy()
        sub.insert(0, "seed", s)
        frames.append(sub)
    return pd.concat(frames, ignore_index=True)


def _zero(sd: float, *means: float) -> bool:
    return sd <= 1e-9 * max([1.0] + [abs(m) for m in means])


def independent_tests(fast: pd.DataFrame, base: pd.DataFrame, dates, cols) -> pd.DataFrame:
    rows = []
    for date in dates:
        a = fast[fast["date"] == date]
        b = base[base["date"] == date]
        for c in cols:
            x, y = a[c].to_numpy(float), b[c].to_numpy(float)
            sd = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
            p_ks = float(stats.ks_2samp(x, y).pvalue)
            if _zero(sd, x.mean(), y.mean()):  # both samples constant (to rounding)
                equal = bool(np.isclose(x.mean(), y.mean(), rtol=1e-9, atol=1e-12))
                p_t, d = (1.0, 0.0) if equal else (0.0, np.inf)
            else:
                p_t = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
                d = (y.mean() - x.mean()) / sd
            rows.append({"date": date, "outcome": c, "mean_fast": x.mean(), "mean_mesa": y.mean(), "sd_pooled": sd,
                         "d": d, "p_welch": p_t, "p_ks": p_ks})
    return pd.DataFrame(rows)


def paired_tests(fast: pd.DataFrame, base: pd.DataFrame, dates, cols) -> pd.DataFrame:
    rows = []
    for date in dates:
        a = fast[fast["date"] == date].set_index("seed").sort_index()
        b = base[base["date"] == date].set_index("seed").sort_index()
        for c in cols:
            diff = (b[c] - a[c]).to_numpy(float)
            sd = diff.std(ddof=1)
            if _zero(sd, diff.mean()):  # every seed has the same difference (to rounding)
                if np.isclose(diff.mean(), 0.0, atol=1e-12):
                    p, dz = 1.0, 0.0
                else:  # exact sign test: all n differences have the same sign
                    p, dz = min(1.0, 2 * 0.5 ** len(diff)), np.sign(diff.mean()) * np.inf
            else:
                p = float(stats.ttest_1samp(diff, 0.0).pvalue)
                dz = diff.mean() / sd
            rows.append({"date": date, "outcome": c, "mean_diff": diff.mean(), "sd_diff": sd, "dz": dz, "p_paired": p})
    return pd.DataFrame(rows)


def one_month_check(scenario, seed: int = 0, at: int = 41, reps: int = 1000, alpha: float = 0.05) -> pd.DataFrame:
    """The one-month move from one identical state, repeated ``reps`` times in each implementation.

    The state is the fast model's after ``at`` months (default 41: the next month is 2027-09, when the
    school rows are open too); both implementations then draw the following month again and again from
    that same state. Per (route, from, to) the mean number of (organisation, theme) pairs making that move
    is compared with a z-test (Bonferroni over the cells). This isolates the move rules (hazards,
    couplings, gate, entry) from the between-run variance, so it detects differences of a few percent in
    any one transition."""
    route_names = ROUTES
    start = scenario["simulation.start"]
    scenario = scenario.with_overrides({"simulation.until": calendar.fmt(calendar.parse(start) + at + 1)},
                                       origin="one-month check")
    fast = PropellerModel(scenario, rng=seed, with_agents=False)
    base = BaselineModel(scenario, seed)  # same seed: same network and attributes
    fast.run_for(at)
    s0 = fast.stage.copy()
    t = at + 1
    month = (calendar.parse(fast.start) + t) % 12 + 1
    route = fast.pop.route.astype(np.int64)
    n_s = len(STEPS)

    def tally(before: np.ndarray, after: np.ndarray) -> np.ndarray:
        i, k = np.nonzero(before != after)
        code = (route[i] * n_s + before[i, k].astype(np.int64)) * n_s + after[i, k].astype(np.int64)
        return np.bincount(code, minlength=len(route_names) * n_s * n_s)

    fast.t = t
    counts_f = []
    for _ in range(reps):
        fast.stage[:] = s0
        fast.move_propeller(month)
        counts_f.append(tally(s0, fast.stage))
    base.t = t
    base.month_rates = base.rates_by_month[month - 1]
    rows0 = s0.tolist()
    counts_b = []
    for _ in range(reps):
        for a, row in zip(base.orgs, rows0, strict=True):
            a.stage = row[:]
        base.agents.do("observe")
        base.agents.shuffle_do("move")
        counts_b.append(tally(s0, np.array([a.stage for a in base.orgs], dtype=s0.dtype)))
    cf, cb = np.array(counts_f, float), np.array(counts_b, float)
    used = np.flatnonzero((cf.sum(axis=0) + cb.sum(axis=0)) > 0)
    rows = []
    for c in used:
        r, rest = divmod(int(c), n_s * n_s)
        a, b = divmod(rest, n_s)
        mf, mb = cf[:, c].mean(), cb[:, c].mean()
        se = np.sqrt(cf[:, c].var(ddof=1) / reps + cb[:, c].var(ddof=1) / reps)
        z = (mb - mf) / se if se > 0 else 0.0
        rows.append({"route": route_names[r], "from": STEPS[a], "to": STEPS[b], "mean_fast": mf, "mean_mesa": mb,
                     "rel_diff": (mb - mf) / mf if mf > 0 else np.inf, "z": z,
                     "p": float(2 * stats.norm.sf(abs(z)))})
    df = pd.DataFrame(rows)
    df["reject"] = df["p"] < alpha / len(df)
    return df


def _timed(make, seed: int) -> tuple[float, float, float]:
    """(set-up, run) wall seconds and run CPU seconds for one model from ``make(seed)`` run to its horizon;
    gc off around the timers. CPU time is less disturbed than wall time when other jobs share the cores."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        m = make(seed)
        t1 = time.perf_counter()
        c1 = time.process_time()
        m.run_for(m.n_months)
        c2 = time.process_time()
        t2 = time.perf_counter()
    finally:
        gc.enable()
    return t1 - t0, t2 - t1, c2 - c1


def timings(scenario, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Median over ``repeats`` runs of each implementation (after one warm-up): set-up, the monthly steps (wall and
    CPU), total. The baseline's set-up includes building the fast model it copies its initial state from."""
    makers = {"fast (PropellerModel)": lambda s: PropellerModel(scenario, rng=s, with_agents=False),
              "mesa baseline": lambda s: BaselineModel(scenario, s)}
    rows = []
    for name, make in makers.items():
        _timed(make, seed)  # warm-up (numba cache load, imports)
        runs = np.array([_timed(make, seed) for _ in range(repeats)])
        rows.append({"implementation": name, "setup_ms": 1e3 * np.median(runs[:, 0]),
                     "run_ms": 1e3 * np.median(runs[:, 1]), "run_cpu_ms": 1e3 * np.median(runs[:, 2]),
                     "total_ms": 1e3 * np.median(runs[:, 0] + runs[:, 1])})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--region", default="west")
    ap.add_argument("--dates", default="2025-09,2027-12,2030-12")
    ap.add_argument("--until", default="2030-12")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--no-paired", action="store_true")
    ap.add_argument("--csv", default="")
    ap.add_argument("--one-month", type=int, default=2000, help="repetitions of the one-month check (0: skip)")
    ap.add_argument("--timing", type=int, default=5, help="time one run of each, median of this many (0: skip)")
    args = ap.parse_args(argv)
    # near-constant outcomes (few adoptions early on) make scipy warn about precision; the test is still valid
    warnings.filterwarnings("ignore", message="Precision loss occurred", category=RuntimeWarning)
    if args.seeds < 2:
        ap.error("--seeds must be at least 2")
    dates = args.dates.split(",")
    scenario = comparison_scenario(args.region, **{"simulation.until": args.until})
    seeds = list(range(args.seeds))

    t0 = time.perf_counter()
    fast = collect(run_fast, scenario, seeds, dates)
    t1 = time.perf_counter()
    base = collect(run_baseline, scenario, [OFFSET + s for s in seeds], dates)
    t2 = time.perf_counter()
    cols = outcome_columns(fast)
    ind = independent_tests(fast, base, dates, cols)
    n_tests = 2 * len(ind)
    thr = args.alpha / n_tests
    ind["reject"] = (ind["p_welch"] < thr) | (ind["p_ks"] < thr)
    ok = not ind["reject"].any()

    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    fmt = {"mean_fast": "{:.4f}".format, "mean_mesa": "{:.4f}".format, "sd_pooled": "{:.4f}".format,
           "d": "{:+.2f}".format, "p_welch": "{:.3f}".format, "p_ks": "{:.3f}".format}
    n_orgs = PropellerModel(scenario, rng=0, with_agents=False).pop.n
    print(f"region {args.region} ({n_orgs} organisations), hubs off, {scenario['simulation.start']} -> {args.until}; "
          f"{args.seeds} seeds each (fast {seeds[0]}..{seeds[-1]}, mesa {OFFSET + seeds[0]}..{OFFSET + seeds[-1]})")
    print(f"run time: fast {t1 - t0:.1f} s, mesa {t2 - t1:.1f} s")
    print(f"\nIndependent seeds: Welch t and KS per outcome; Bonferroni alpha = {args.alpha}/{n_tests} = {thr:.2e}")
    print(ind.to_string(index=False, formatters=fmt))
    print(f"max |d| = {np.abs(ind['d']).max():.2f}; smallest p: Welch {ind['p_welch'].min():.3f}, KS {ind['p_ks'].min():.3f}")
    verdicts = [("independent", ok)]

    if not args.no_paired:
        t3 = time.perf_counter()
        base_same = collect(run_baseline, scenario, seeds, dates)
        t4 = time.perf_counter()
        # the initial state is the same for the same seed: check it
        f0 = collect(lambda sc, s: run_fast(sc, s, months=0), scenario, seeds[:3], [scenario["simulation.start"]])
        b0 = collect(lambda sc, s: run_baseline(sc, s, months=0), scenario, seeds[:3], [scenario["simulation.start"]])
        same_init = bool((f0[cols].to_numpy() == b0[cols].to_numpy()).all())
        par = paired_tests(fast, base_same, dates, cols)
        thr_p = args.alpha / len(par)
        par["reject"] = par["p_paired"] < thr_p
        ok_p = not par["reject"].any() and same_init
        print(f"\nPaired (same seeds, identical initial state: {same_init}; mesa run time {t4 - t3:.1f} s): "
              f"paired t per outcome; Bonferroni alpha = {args.alpha}/{len(par)} = {thr_p:.2e}")
        print(par.to_string(index=False, formatters={"mean_diff": "{:+.5f}".format, "sd_diff": "{:.5f}".format,
                                                     "dz": "{:+.2f}".format, "p_paired": "{:.3f}".format}))
        print(f"max |dz| = {np.abs(par['dz']).max():.2f}; smallest p {par['p_paired'].min():.3f}")
        verdicts.append(("paired", ok_p))
        if args.csv:
            par.to_csv(Path(args.csv).with_suffix(".paired.csv"), index=False)
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        ind.to_csv(args.csv, index=False)
    if args.one_month:
        t5 = time.perf_counter()
        om = one_month_check(scenario, reps=args.one_month, alpha=args.alpha)
        t6 = time.perf_counter()
        ok_m = not om["reject"].any()
        next_month = calendar.fmt(calendar.parse(scenario["simulation.start"]) + 42)
        print(f"\nOne month from one identical state (seed 0 after 41 months; the month {next_month}), {args.one_month} "
              f"repetitions each ({t6 - t5:.1f} s): mean moves per (route, from, to), z-test, "
              f"Bonferroni alpha = {args.alpha}/{len(om)}")
        print(om.to_string(index=False, formatters={"mean_fast": "{:.3f}".format, "mean_mesa": "{:.3f}".format,
                                                    "rel_diff": "{:+.3f}".format, "z": "{:+.2f}".format,
                                                    "p": "{:.3f}".format}))
        tot_f, tot_b = om["mean_fast"].sum(), om["mean_mesa"].sum()
        print(f"all moves per month: fast {tot_f:.2f}, mesa {tot_b:.2f} ({(tot_b - tot_f) / tot_f:+.2%}); "
              f"max |z| = {np.abs(om['z']).max():.2f}")
        verdicts.append(("one-month", ok_m))
    if args.timing:
        tm = timings(scenario, args.timing)
        months = PropellerModel(scenario, rng=0, with_agents=False).n_months
        print(f"\nTiming: one run ({months} months), median of {args.timing} (gc off, after a warm-up)")
        print(tm.to_string(index=False, float_format="{:.1f}".format))
        f, b = tm.set_index("implementation").iloc[0], tm.set_index("implementation").iloc[1]
        print(f"ratio mesa / fast: monthly steps {b.run_ms / f.run_ms:.1f}x (CPU {b.run_cpu_ms / f.run_cpu_ms:.1f}x), "
              f"whole run {b.total_ms / f.total_ms:.1f}x")
    all_ok = all(v for _, v in verdicts)
    print("\n" + ("PASS" if all_ok else "FAIL") + ": " + ", ".join(f"{name} {'pass' if v else 'FAIL'}" for name, v in verdicts))
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
