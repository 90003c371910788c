"""Check over seeds that a change of the model's random streams leaves the outcomes with hubs on unchanged in distribution.

A change that moves the random streams (other draws, in another order: a compiled kernel for the hubs' month,
a vectorised network generator) changes every seeded run, so the golden hashes cannot tell a faithful rewrite
from a wrong one. This check compares the *distribution* over seeds instead, with hubs on, against a stored
reference made with the old code:

    .venv/bin/python benchmarks/check_streams.py --save benchmarks/streams_reference.json   # old code: seeds 0..n-1
    .venv/bin/python benchmarks/check_streams.py [--against benchmarks/streams_reference.json]   # new code

Scenarios (each 2024-03 -> 2030-12): ``calibrated`` (scenarios/calibrated.toml, all five hubs), ``west``
(the same, regional run of West) and ``connector_leaves_west`` (scenarios/library/connector_leaves_west.toml:
West's connector leaves in 2026-01). Outcomes at 2025-09, 2027-12 and 2030-12: partners in total and per hub that
has partners, KPI 4 and 5, the rings, students in renewed education by level, adopted share and cumulative adoptions
per theme, the partners' phase shares, runs per instrument, participants (events, trajectories, LLO professionals;
education students), € spent and the productivity index; ``connector_leaves_west`` adds West's joins and leaves.
The reference stores them per seed (floats to 8 significant digits; the new runs are rounded alike).

The new code runs on seeds ``--offset`` + 0..n-1 (default 10000.., as check_baseline.py), so the two samples are
independent. Per scenario, outcome and date a Welch t-test and a two-sample KS test
(check_baseline.independent_tests), Bonferroni over all of them; the effect size d = (mean new - mean reference) /
pooled sd. An outcome constant in both samples counts as equal if the two constants agree. With 40 seeds a side and
about 700 tests, a shift of about 1.1 pooled sd is detected with 80 % power.

    .venv/bin/python benchmarks/check_streams.py [--against FILE] [--seeds N] [--offset 10000] [--alpha 0.05]
                                                 [--set dotted.key=value ...] [--scenario NAME ...] [--jobs 2]
                                                 [--top 15] [--csv outputs/check_streams.csv]

``--set`` changes a parameter of the new runs (every scenario), to see that the check fails for a real change,
e.g. ``--set funding.multiplier=0.5``. Exit code 0 on PASS, 1 on FAIL (``--save``: 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.check_baseline import OFFSET, independent_tests  # noqa: E402
from propeller.core import outputs  # noqa: E402

REFERENCE = ROOT / "benchmarks" / "streams_reference.json"
FORMAT = 1
UNTIL = "2030-12"
DATES = outputs.KEY_DATES  # 2025-09, 2027-12, 2030-12
SIGNIFICANT = 8  # significant digits kept of a float outcome

# name -> scenario file (relative to the repository), dotted overrides, outcome columns added to the common ones
SCENARIOS: dict[str, dict] = {
    "calibrated": {"file": "scenarios/calibrated.toml", "overrides": {}, "extra": []},
    "west": {"file": "scenarios/calibrated.toml", "overrides": {"simulation.region": "west"}, "extra": []},
    "connector_leaves_west": {"file": "scenarios/library/connector_leaves_west.toml", "overrides": {},
                              "extra": ["joins_cum_west", "leaves_cum_west"]},
}
SINGLES = ("partners_total", "kpi4_mkb", "kpi5_skilled", "participants_events_professionals",
           "participants_trajectories_professionals", "participants_llo_professionals",
           "participants_education_students_students", "budget_spent_cum", "productivity_index")
FAMILIES = ("ring<ring>", "students_renewed_<level>", "adopted_share_<theme>", "adoptions_cum_<theme>",
            "partner_phase_<phase>", "runs_<instrument>")
HUB_FAMILY = "partners_<hub>"  # kept for the hubs that have partners in the reference runs


# ------------------------------------------------------------------------------------------ runs
def run_one(item: tuple) -> pd.DataFrame:
    """One run: ``(file, overrides, seed, until, dates)`` -> the timeseries rows at those dates, with a seed column.
    Module-level so that the Executor's worker processes can unpickle it."""
    from propeller import simulate
    from propeller.scenarios.loader import load

    file, overrides, seed, until, dates = item
    ts = simulate(load(ROOT / file, overrides=dict(overrides)), seed=seed, until=until)["timeseries"]
    missing = set(dates) - set(ts["date"])
    if missing:
        raise SystemExit(f"dates outside the run: {sorted(missing)}")
    sub = ts[ts["date"].isin(dates)].copy()
    sub.insert(0, "seed", seed)
    return sub.reset_index(drop=True)


def run_scenarios(specs: Mapping[str, dict], seeds: Sequence[int], until: str, dates: Sequence[str],
                  set_overrides: Mapping[str, object], jobs: int = 1) -> dict[str, pd.DataFrame]:
    """Every scenario over every seed (in item order, serially or on ``jobs`` local processes): name -> rows
    (seed, date, all timeseries columns)."""
    from propeller.app.runner import Executor

    items = [(name, (spec["file"], tuple({**spec["overrides"], **set_overrides}.items()), int(s), until, tuple(dates)))
             for name, spec in specs.items() for s in seeds]
    with Executor(workers=jobs, preload=("propeller.core.simulate", "benchmarks.check_streams")) as ex:
        frames = ex.map(_run_one_by_import(), [it for _, it in items])
    out: dict[str, list] = {name: [] for name in specs}
    for (name, _), df in zip(items, frames, strict=True):
        out[name].append(df)
    return {name: pd.concat(dfs, ignore_index=True) for name, dfs in out.items()}


def _run_one_by_import():
    """run_one as ``benchmarks.check_streams.run_one`` (not ``__main__.run_one``) when this file runs as a script,
    so that it pickles to the worker processes by an importable name."""
    if __name__ == "__main__":
        import importlib

        return importlib.import_module("benchmarks.check_streams").run_one
    return run_one


def outcome_columns(df: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    """The outcomes checked for one scenario: the common ones, partners of each hub with any partner in ``df``, extras."""
    pats = outputs.patterns()
    cols = list(SINGLES) + [c for f in FAMILIES for c in pats[f]]
    cols += [c for c in pats[HUB_FAMILY] if (df[c] != 0).any()]
    cols += [c for c in extra if c not in cols]
    return cols


def rounded(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """seed, date and ``cols``; floats to SIGNIFICANT significant digits, as stored in the reference."""
    out = df[["seed", "date", *cols]].copy()
    for c in cols:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = [float(f"{v:.{SIGNIFICANT}g}") for v in out[c]]
        else:
            out[c] = out[c].astype(np.int64)
    return out


# ------------------------------------------------------------------------------------------ the reference
def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def code_version() -> dict:
    """HEAD and whether the model's sources differ from it (the reference should come from a clean tree)."""
    dirty = _git("status", "--porcelain", "--", "model", "scenarios", "calibration")
    return {"commit": _git("rev-parse", "HEAD") or "unknown", "dirty": bool(dirty)}


def to_reference(frames: Mapping[str, pd.DataFrame], seeds: Sequence[int], until: str, dates: Sequence[str],
                 set_overrides: Mapping[str, object]) -> dict:
    """The JSON record: per scenario its definition, outcome columns and values[date][column] = one value per seed."""
    import importlib.metadata as md

    rec = {"format": FORMAT, "tool": "benchmarks/check_streams.py",
           "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
           "code_version": code_version(),
           "packages": {p: md.version(p) for p in ("numpy", "numba", "networkx", "mesa")},
           "seeds": [int(s) for s in seeds], "until": until, "dates": list(dates), "set": dict(set_overrides),
           "significant_digits": SIGNIFICANT, "scenarios": {}}
    for name, df in frames.items():
        spec = SCENARIOS[name]
        cols = outcome_columns(df, spec["extra"])
        r = rounded(df, cols)
        values = {}
        for date in dates:
            sub = r[r["date"] == date].set_index("seed").loc[list(seeds)]
            values[date] = {c: sub[c].tolist() for c in cols}
        rec["scenarios"][name] = {"file": spec["file"], "overrides": spec["overrides"], "extra": spec["extra"],
                                  "columns": cols, "values": values}
    return rec


def load_reference(path: str | Path = REFERENCE) -> dict:
    """The reference record, checked for its structure (a malformed file is one SystemExit line)."""
    path = Path(path)
    try:
        rec = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"{path}: cannot read the reference ({exc})") from None
    if rec.get("format") != FORMAT:
        raise SystemExit(f"{path}: format {rec.get('format')!r}, expected {FORMAT}")
    n = len(rec["seeds"])
    for name, sc in rec["scenarios"].items():
        for date in rec["dates"]:
            vals = sc["values"].get(date, {})
            bad = [c for c in sc["columns"] if len(vals.get(c, ())) != n]
            if bad:
                raise SystemExit(f"{path}: {name} {date}: not {n} values for {bad[:3]}")
    return rec


def reference_frame(rec: dict, name: str) -> pd.DataFrame:
    """One scenario of the reference as rows (seed, date, columns...)."""
    sc = rec["scenarios"][name]
    frames = []
    for date in rec["dates"]:
        df = pd.DataFrame(sc["values"][date], columns=sc["columns"])
        df.insert(0, "date", date)
        df.insert(0, "seed", rec["seeds"])
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------ the comparison
def compare(ref: pd.DataFrame, new: pd.DataFrame, dates: Sequence[str], cols: Sequence[str]) -> pd.DataFrame:
    """Per date and outcome: means, pooled sd, d = (mean new - mean ref) / pooled sd, p of Welch t and of KS."""
    tab = independent_tests(ref, new, list(dates), list(cols))
    return tab.rename(columns={"mean_fast": "mean_ref", "mean_mesa": "mean_new"})


def duplicates(refs: Mapping[str, pd.DataFrame], dates: Sequence[str]) -> dict[tuple[str, str, str], str]:
    """(scenario, date, outcome) whose reference values equal an earlier scenario's seed for seed -> that scenario.

    A scenario lever that starts later (connector_leaves_west: 2026-01) leaves the earlier months identical to the
    scenario it extends for the same seed; testing them again would only repeat those tests."""
    out: dict[tuple[str, str, str], str] = {}
    names = list(refs)
    for j, b in enumerate(names):
        for a in names[:j]:
            ra, rb = refs[a], refs[b]
            for date in dates:
                xa = ra[ra["date"] == date].set_index("seed")
                xb = rb[rb["date"] == date].set_index("seed")
                if not xa.index.equals(xb.index):
                    continue
                for c in xb.columns.intersection(xa.columns).drop("date"):
                    if (b, date, c) not in out and xa[c].equals(xb[c]):
                        out[(b, date, c)] = a
    return out


def decide(tab: pd.DataFrame, alpha: float = 0.05) -> tuple[pd.DataFrame, float, bool]:
    """Bonferroni over every test in ``tab`` (two per row): (tab with a ``reject`` column, threshold, PASS?)."""
    thr = alpha / (2 * len(tab))
    tab = tab.assign(reject=(tab["p_welch"] < thr) | (tab["p_ks"] < thr))
    return tab, thr, not tab["reject"].any()


# ------------------------------------------------------------------------------------------ command line
FMT = {"mean_ref": "{:.5g}".format, "mean_new": "{:.5g}".format, "sd_pooled": "{:.4g}".format, "d": "{:+.2f}".format,
       "p_welch": "{:.2e}".format, "p_ks": "{:.2e}".format}


def _parse_sets(items: Sequence[str]) -> dict:
    from propeller.errors import UserError
    from propeller.scenarios.loader import parse_set

    try:
        return dict(parse_set(s) for s in items)
    except UserError as exc:
        raise SystemExit(str(exc)) from None


def _selected(names: Sequence[str], available: Sequence[str], ap: argparse.ArgumentParser) -> list[str]:
    unknown = [n for n in names if n not in available]
    if unknown:
        ap.error(f"--scenario: unknown {unknown}; one of {list(available)}")
    return list(names) or list(available)


def cmd_save(args, ap) -> int:
    names = _selected(args.scenario, list(SCENARIOS), ap)
    sets = _parse_sets(args.set)
    seeds = list(range(args.seeds or 40))
    t0 = time.perf_counter()
    frames = run_scenarios({n: SCENARIOS[n] for n in names}, seeds, UNTIL, DATES, sets, args.jobs)
    rec = to_reference(frames, seeds, UNTIL, DATES, sets)
    path = Path(args.save)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, separators=(",", ":")) + "\n")
    cv = rec["code_version"]
    print(f"saved {path} ({path.stat().st_size / 1e3:.0f} kB): code {cv['commit'][:12]}{' (dirty tree)' if cv['dirty'] else ''}, "
          f"{len(seeds)} seeds, {', '.join(f'{n} ({len(rec['scenarios'][n]['columns'])} outcomes)' for n in names)} "
          f"x {len(DATES)} dates; {time.perf_counter() - t0:.1f} s")
    if cv["dirty"]:
        print("warning: model/, scenarios/ or calibration/ has uncommitted changes; commit them first", file=sys.stderr)
    return 0


def cmd_check(args, ap) -> int:
    rec = load_reference(args.against)
    names = _selected(args.scenario, list(rec["scenarios"]), ap)
    sets = {**rec.get("set", {}), **_parse_sets(args.set)}  # the reference's own --set (normally none), then ours
    n = args.seeds or len(rec["seeds"])
    seeds = [args.offset + i for i in range(n)]
    if set(seeds) & set(rec["seeds"]):
        ap.error("--offset: the new seeds overlap the reference seeds; the samples would not be independent")
    dates = rec["dates"]
    t0 = time.perf_counter()
    specs = {name: rec["scenarios"][name] for name in names}
    frames = run_scenarios(specs, seeds, rec["until"], dates, sets, args.jobs)
    t_run = time.perf_counter() - t0
    refs = {name: reference_frame(rec, name) for name in names}
    dup = duplicates(refs, dates)
    tabs = []
    for name in names:
        cols = specs[name]["columns"]
        tab = compare(refs[name], rounded(frames[name], cols), dates, cols)
        tab.insert(0, "scenario", name)
        keep = [(name, d, c) not in dup for d, c in zip(tab["date"], tab["outcome"], strict=True)]
        tabs.append(tab[keep])
    tab, thr, ok = decide(pd.concat(tabs, ignore_index=True), args.alpha)
    n_tests = 2 * len(tab)

    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    cv, now = rec["code_version"], code_version()
    print(f"reference {args.against}: code {cv['commit'][:12]}{' (dirty)' if cv['dirty'] else ''}, {rec['created']}, "
          f"seeds {rec['seeds'][0]}..{rec['seeds'][-1]}")
    print(f"this code: {now['commit'][:12]}{' + uncommitted changes' if now['dirty'] else ''}, seeds {seeds[0]}..{seeds[-1]}"
          + (f", --set {sets}" if sets else "") + f"; runs {t_run:.1f} s")
    summary = tab.groupby("scenario", sort=False).agg(
        outcomes=("outcome", "nunique"), tests=("outcome", lambda s: 2 * len(s)),
        max_abs_d=("d", lambda s: np.abs(s).max()), min_p_welch=("p_welch", "min"), min_p_ks=("p_ks", "min"),
        rejected=("reject", "sum"))
    if dup:
        pairs = sorted({(b, d, a) for (b, d, _), a in dup.items()})
        print("not tested again (equal seed for seed in the reference): " + "; ".join(
            f"{b} {d}: {sum(1 for k, v in dup.items() if k[:2] == (b, d))} outcomes = {a}" for b, d, a in pairs))
    print(f"\nPer scenario ({len(dates)} dates; Welch t and KS per outcome and date; Bonferroni alpha = "
          f"{args.alpha}/{n_tests} = {thr:.2e})")
    print(summary.to_string(formatters={"max_abs_d": "{:.2f}".format, "min_p_welch": "{:.2e}".format,
                                        "min_p_ks": "{:.2e}".format}))
    order = tab.assign(abs_d=np.abs(tab["d"])).sort_values(["abs_d", "p_welch"], ascending=[False, True])
    shown = order.head(args.top)
    more = int(order["reject"].sum() - shown["reject"].sum())
    print(f"\nLargest effect sizes (|d|), top {len(shown)} of {len(tab)}")
    print(shown.drop(columns="abs_d").to_string(index=False, formatters=FMT))
    if more:
        print(f"... and {more} more rejected" + (f" (all rows in {args.csv})" if args.csv else " (--csv FILE writes all rows)"))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        tab.to_csv(args.csv, index=False)
    top = order.iloc[0]
    print(f"\n{'PASS' if ok else 'FAIL'}: {int(tab['reject'].sum())} of {len(tab)} (scenario, outcome, date) rejected "
          f"(Bonferroni {args.alpha}/{n_tests} = {thr:.1e}); max |d| {abs(top['d']):.2f} ({top['scenario']} "
          f"{top['outcome']} {top['date']}); smallest p: Welch {tab['p_welch'].min():.1e}, KS {tab['p_ks'].min():.1e}; "
          f"{len(rec['seeds'])} + {n} seeds, {len(names)} scenarios, {time.perf_counter() - t0:.0f} s")
    return 0 if ok else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--save", metavar="FILE", help="run this code on seeds 0..n-1 and write the reference")
    mode.add_argument("--against", metavar="FILE", default=str(REFERENCE.relative_to(ROOT)),
                      help="compare this code with the reference (default: %(default)s)")
    ap.add_argument("--seeds", type=int, default=0, help="seeds (default: 40 for --save, the reference's count otherwise)")
    ap.add_argument("--offset", type=int, default=OFFSET, help="first seed of the new runs (default %(default)s)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a parameter of the runs by its dotted name (every scenario)")
    ap.add_argument("--scenario", action="append", default=[], help="only this scenario (repeatable)")
    ap.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1: serial)")
    ap.add_argument("--top", type=int, default=15, help="rows of the effect-size table")
    ap.add_argument("--csv", default="", help="write the full table here")
    args = ap.parse_args(argv)
    if args.seeds == 1 or args.seeds < 0:
        ap.error("--seeds must be at least 2")
    # near-constant outcomes make scipy warn about precision; the tests are still valid
    warnings.filterwarnings("ignore", message="Precision loss occurred", category=RuntimeWarning)
    return cmd_save(args, ap) if args.save else cmd_check(args, ap)


if __name__ == "__main__":
    raise SystemExit(main())
