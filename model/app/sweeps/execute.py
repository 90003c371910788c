"""A plan against its store: run the missing runs (``execute``), print the plan (``describe``), re-run a stored run
from its record (``rerun``).

``execute`` stores the runs that are not yet in the database (resumable), writing each run's rows in one
transaction from the parent process as its result arrives (workers only compute; see model/app/store.py). The
runs execute on the shared runner (``propeller.app.runner``): serially, on a local process pool or on Dask.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from propeller.app.runner import Executor, SchedulerLostError
from propeller.app.sweeps.design import Plan, fmt_value, posterior_draws
from propeller.app.sweeps.record import code_version
from propeller.app.sweeps.spec import Spec, SpecError
from propeller.app.sweeps.summary import PRELOAD, differences, run_task


@dataclass
class Outcome:
    planned: int                 # runs in the plan (unique run ids)
    already: int                 # stored before this call
    executed: int = 0
    stored: int = 0              # written by this call
    failed: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def default_db(spec: Spec) -> Path:
    return Path("outputs") / "sweeps" / f"{spec.name}.db"


# ------------------------------------------------------------------------------------------ execute
def _store_results(ex: Executor, store, todo: list[dict], res: Outcome, bar) -> None:
    """Run ``todo`` and store each result as it completes; Ctrl-C stops after the runs stored so far."""
    by_id = {t["run_id"]: t for t in todo}
    results = iter(())
    try:
        results = ex.stream(run_task, todo) if todo else results
        for r in results:
            res.executed += 1
            state = store.write(by_id[r["run_id"]], r)
            if r["status"] != "done":
                res.failed += 1
                res.errors.append(f"{r['run_id']}: {r['error']}")
            elif state in ("new", "extended"):
                res.stored += 1
            bar.update(1)
    except KeyboardInterrupt:
        res.interrupted = True
    except SchedulerLostError as exc:  # say what was kept
        raise SchedulerLostError(exc.address, exc.detail, f"the {res.stored} runs this command stored are whole") from None
    finally:
        if hasattr(results, "close"):
            results.close()
        bar.close()


def execute(plan: Plan, db_path: str | Path, workers: int = 1, scheduler: str | None = None,
            progress: bool = True, stream=sys.stderr) -> Outcome:
    """Run the plan's missing runs and store them (parent-only writes; one transaction per run)."""
    from tqdm import tqdm

    from propeller.app.store import Store

    # the Dask client before the database: a bad address writes nothing
    with Executor(workers, scheduler, preload=PRELOAD) as ex, Store(db_path) as store:
        store.register(plan)
        todo = store.pending(plan)
        unique = len(plan.unique_runs)
        res = Outcome(planned=unique, already=unique - len(todo))
        where = f"on {scheduler}" if scheduler else (f"{workers} workers" if workers > 1 else "serial")
        print(f"sweep {plan.spec.name}: {unique} runs, {res.already} already stored, {len(todo)} to run ({where})",
              file=stream, flush=True)
        t0 = time.perf_counter()
        bar = tqdm(total=len(todo), unit="run", desc=plan.spec.name, file=stream, disable=not progress or not todo,
                   mininterval=0.5, smoothing=0.05, dynamic_ncols=True)
        _store_results(ex, store, todo, res, bar)
        res.seconds = time.perf_counter() - t0
        return res


# ------------------------------------------------------------------------------------------ describe
def _design_lines(plan: Plan) -> list[str]:
    s = plan.spec
    per = len(plan.points) // max(len(s.scenarios), 1)
    lines = [f"  design {s.kind}: {len(s.scenarios)} scenario(s) x {per} point(s) x {s.replications} replication(s); "
             f"horizon {plan.horizon[0]} .. {plan.horizon[1]}; code {plan.code_version}",
             "  scenarios: " + ", ".join(n for n, _ in s.scenarios)]
    if s.overrides:
        lines.append("  fixed overrides: " + ", ".join(f"{k}={fmt_value(v)}" for k, v in s.overrides.items()))
    for f in s.factors:
        rng = (f"levels {', '.join(fmt_value(v) for v in f.levels)}" if f.levels is not None
               else f"bounds [{f.bounds[0]:g}, {f.bounds[1]:g}]")
        lines.append(f"  factor {f.name}: {', '.join(f.keys)} {'x ' if f.scale else ''}{rng}")
    if s.kind == "posterior":
        cols, _ = posterior_draws(s)
        lines.append(f"  posterior design: {s.samples} parameter sets drawn by weight from {s.posterior} "
                     f"({', '.join(cols)}), applied as ratios to scenarios/calibrated.toml")
    if s.kind in ("lhs", "sobol", "morris"):
        extra = {"lhs": "", "sobol": f", second order {s.second_order}", "morris": f", {s.levels} levels"}[s.kind]
        lines.append(f"  {s.kind} design: samples {s.samples}{extra} -> {per} points (SALib, seed {s.seed})")
    return lines


def _seed_line(plan: Plan) -> str:
    s, seeds = plan.spec, plan.seeds
    if s.kind == "posterior" and seeds:
        return f"  seeds: spec seed {s.seed}; one per draw and replication, common to the scenarios"
    return f"  seeds: spec seed {s.seed}" + (
        f"; replication seeds {seeds[:5]}{' ...' if len(seeds) > 5 else ''} (common to every point)" if seeds
        else "; per point and replication")


def _database_line(plan: Plan, db_path: Path) -> str:
    from propeller.app.store import Store

    unique = plan.unique_runs
    stored = Store.count_stored(db_path, [t["run_id"] for t in unique])
    return f"  database: {db_path} " + (f"({stored} of {len(unique)} runs stored)" if stored is not None else "(new)")


def _run_lines(plan: Plan) -> list[str]:
    lines = ["  runs (first 5):"]
    for t in plan.runs[:5]:
        lines.append(f"    {t['run_id']}  point {t['point']:>3}  rep {t['replication']:>2}  seed {t['seed']:>10}  "
                     f"{plan.points[t['point']].label}")
    repeats = len(plan.runs) - len(plan.unique_runs)
    if repeats:
        lines.append(f"  {repeats} design rows repeat a run (identical points): computed once")
    return lines


def estimate_seconds(plan: Plan, pending: int, workers: int = 1) -> tuple[float, float, float]:
    """(estimated wall seconds, build seconds, seconds per month) for ``pending`` runs on ``workers`` processes, from
    a pilot of the plan's first run: its build alone and its first 12 months, timed here (after one untimed build
    that loads the compiled kernels). Runs of other points may be larger or smaller; the estimate says so."""
    from propeller.app.sweeps.record import scenario_from_record
    from propeller.core import calendar
    from propeller.core.simulate import simulate

    first = plan.runs[0]
    sc = scenario_from_record(first["params"])
    start, until = sc["simulation.start"], first["until"]
    months = max(calendar.offset(start, until), 0)
    pilot = min(months, 12)
    simulate(sc, seed=first["seed"], until=start)  # untimed: loads the compiled kernels
    t = time.perf_counter()
    simulate(sc, seed=first["seed"], until=start)
    build = time.perf_counter() - t
    t = time.perf_counter()
    simulate(sc, seed=first["seed"], until=calendar.fmt(calendar.parse(start) + pilot))
    per_month = max(time.perf_counter() - t - build, 0.0) / max(pilot, 1)
    per_run = build + months * per_month
    parallel = max(min(workers, pending), 1)
    return pending * per_run / parallel, build, per_month


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "1 s or less"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe(plan: Plan, db_path: Path | None = None, workers: int | None = None) -> list[str]:
    """The plan as text lines (``--dry-run``); the last line is ``N runs``. With ``workers``, an estimate of the
    duration from a short pilot run (:func:`estimate_seconds`)."""
    s = plan.spec
    lines = [f"sweep {s.name} ({s.path})"] + ([f"  {s.description}"] if s.description else [])
    lines += _design_lines(plan)
    lines.append(_seed_line(plan))
    lines.append(f"  outputs: {', '.join(s.outputs)}; key dates: {', '.join(plan.key_dates)}")
    pending = len(plan.unique_runs)
    if db_path is not None:
        lines.append(_database_line(plan, db_path))
        from propeller.app.store import Store

        stored = Store.count_stored(db_path, [t["run_id"] for t in plan.unique_runs])
        pending -= stored or 0
    if workers is not None and pending:
        total, build, per_month = estimate_seconds(plan, pending, workers)
        lines.append(f"  estimated duration: about {_duration(total)} for {pending} runs on {workers} worker"
                     f"{'s' if workers > 1 else ''} (a pilot of the first run here: {build:.2f} s to build, "
                     f"{per_month * 1000:.1f} ms a month; points of other sizes take longer or shorter)")
    return lines + _run_lines(plan) + [f"{len(plan.runs)} runs"]


# ------------------------------------------------------------------------------------------ rerun
def rerun(db_path: str | Path, run_id: str) -> tuple[bool, str, dict]:
    """Re-run a stored run from its record (parameters, seed, horizon) and compare with the stored rows.

    Returns (identical, one-line report, the fresh result)."""
    from propeller.app.store import Store

    with Store(db_path, readonly=True) as st:
        rec = st.run_record(run_id)
        if rec["status"] != "done":
            raise SpecError(db_path, "run_id", "a run stored as done", f"{run_id} ({rec['status']})")
        stored = st.outcomes(run_id)
        stored_summaries = {(o, d): v for o, d, v in st.conn.execute(
            "SELECT outcome, date, value FROM summaries WHERE run_id=?", (run_id,))}
    version = code_version()
    result = run_task({"run_id": run_id, "params": rec["params"], "seed": rec["seed"], "until": rec["until"],
                       "outputs": rec["outputs"], "key_dates": rec["key_dates"], "code_version": version})
    if result["status"] != "done":
        return False, f"run {run_id}: re-run failed: {result['error']}", result
    diff = differences(result, stored, stored_summaries, rec["outputs"])
    note = "" if rec["code_version"] == version else (
        f" (stored with code version {rec['code_version']}, re-run with {version})")
    if diff:
        return False, f"run {run_id}: differs from the stored record in {', '.join(diff)}{note}", result
    return True, (f"run {run_id}: identical to the stored record ({rec['scenario']}, seed {rec['seed']}, "
                  f"{len(result['columns']['month'])} months x {len(rec['outputs'])} outcomes){note}"), result
