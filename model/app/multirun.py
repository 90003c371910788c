"""`propeller run A.toml B.toml ... --seeds N [--draws M]`: a quick comparison with uncertainty, without a spec.

The scenarios are run as a sweep held in a temporary database (or ``--db``): every scenario with the same N seeds
and - with ``--draws M`` - the same M parameter sets drawn by weight from the calibration's posterior
(``scenarios/posterior.csv``, applied as ratios to the calibrated values, as a posterior sweep does), so the
differences from the first scenario are paired: each run is compared with the first scenario's run of the same seed
and draw. The table gives, for the headline outcomes at the key dates, each scenario's median and 90 % interval over
its runs and the paired difference from the first.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from propeller.core import outputs
from propeller.errors import UserError

ROWS = ("partners_total", "kpi4_mkb", "kpi5_skilled", "adopted_share", "productivity_index")


def spec_text(paths: list[Path], seeds: int, draws: int, seed: int, until: str | None,
              overrides: dict) -> str:
    """The sweep spec of the comparison (TOML)."""
    from propeller.scenarios.loader import SCENARIO_DIR

    lines = ['name = "run"', f"description = {json.dumps('propeller run: ' + ', '.join(p.name for p in paths))}",
             f"scenarios = {json.dumps([str(p.resolve()) for p in paths])}", f"seed = {int(seed)}",
             f"replications = {int(seeds)}", f"outputs = {json.dumps(list(ROWS))}"]
    if until:
        lines.append(f"until = {json.dumps(until)}")
    if overrides:
        lines.append("[overrides]")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in overrides.items()]
    if draws:
        lines += ["[design]", 'kind = "posterior"', f"samples = {int(draws)}",
                  f"file = {json.dumps(str(SCENARIO_DIR / 'posterior.csv'))}"]
    return "\n".join(lines) + "\n"


def run_plan(path: Path, seeds: int, draws: int, seed: int, until: str | None):
    """The runs of ``propeller run PATH --seeds N --draws M --seed S`` (the same parameter sets and seeds), as a
    sweep plan: what ``contributions`` and ``optimise`` run every combination or candidate on."""
    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.spec import SpecError, load_spec

    with tempfile.TemporaryDirectory(prefix="propeller-plan-") as tmp:
        spec_path = Path(tmp) / "plan.toml"
        spec_path.write_text(spec_text([Path(path)], seeds, draws, seed, until, {}))
        try:
            return build_plan(load_spec(spec_path))
        except SpecError as exc:
            raise UserError(str(path), exc.key.replace("design.file", "--draws"), exc.expected, show_got=False) from None


def run_many(paths: list[str], seeds: int = 1, draws: int = 0, seed: int = 0, until: str | None = None,
             sets: list[str] | None = None, workers: int = 1, scheduler: str | None = None,
             db: str | None = None, progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Run the scenarios x draws x seeds and return ``analysis.compare``'s table (reference: the first scenario)."""
    from propeller.app.analysis import compare
    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.execute import execute
    from propeller.app.sweeps.spec import SpecError, load_spec
    from propeller.scenarios.loader import load, parse_set

    files = [Path(p) for p in paths]
    for p in files:
        load(p)  # each file checked as `run` checks one: the same one-line error
    stems = [p.stem for p in files]
    dup = sorted({s for s in stems if stems.count(s) > 1})
    if dup:
        raise UserError("run", dup[0], "scenario files with different names (the table names them by file name)",
                        show_got=False)
    overrides = dict(parse_set(s) for s in sets or ())
    with tempfile.TemporaryDirectory(prefix="propeller-run-") as tmp:
        spec_path = Path(tmp) / "run.toml"
        spec_path.write_text(spec_text(files, seeds, draws, seed, until, overrides))
        try:
            spec = load_spec(spec_path)
            plan = build_plan(spec)
        except SpecError as exc:  # the spec is ours: name the argument the user gave instead of our file
            raise UserError("run", exc.key.replace("overrides.", "--set ").replace("design.file", "--draws"),
                            exc.expected, show_got=False) from None
        db_path = Path(db) if db else Path(tmp) / "run.db"
        res = execute(plan, db_path, workers=workers, scheduler=scheduler, progress=progress)
        if res.failed:
            raise UserError("run", "runs", f"every run to finish ({res.failed} failed; see the messages above)",
                            show_got=False)
        table, info = compare(db_path, reference=stems[0])
    info["seeds"], info["draws"] = seeds, draws
    return table, info


def format_table(table: pd.DataFrame, info: dict) -> str:
    """One table: a row per outcome and scenario, per key date the median (90 % interval) and the paired difference
    from the first scenario."""
    ref = info["reference"]
    dates = list(dict.fromkeys(table["date"]))
    rows = []
    for outcome in dict.fromkeys(table["outcome"]):
        o = outputs.get(outcome)
        for scenario in dict.fromkeys(table["scenario"]):
            row = {"outcome": o.label, "scenario": scenario}
            for d in dates:
                g = table[(table["outcome"] == outcome) & (table["scenario"] == scenario) & (table["date"] == d)]
                if g.empty:
                    continue
                r = g.iloc[0]
                row[d] = f"{o.format(r['median'])} ({o.format(r['q05'])} to {o.format(r['q95'])})"
                if scenario != ref and not pd.isna(r["diff_median"]):
                    sign = "+" if r["diff_median"] > 0 else ""
                    row[f"{d} vs {ref}"] = (f"{sign}{o.format(r['diff_median'])} "
                                            f"({o.format(r['diff_q05'])} to {o.format(r['diff_q95'])})")
                elif scenario != ref:
                    row[f"{d} vs {ref}"] = ""
            rows.append(row)
    df = pd.DataFrame(rows).fillna("")
    n = int(table["n"].max()) if len(table) else 0
    what = f"{info['seeds']} seed{'s' if info['seeds'] != 1 else ''}"
    if info["draws"]:
        what = f"{info['draws']} posterior draws x {what}"
    head = (f"Propeller comparison - {len(set(table['scenario']))} scenarios, {what} = {n} runs each; median (90 % "
            f"interval) over the runs, and the difference from {ref} paired by seed and draw")
    with pd.option_context("display.width", 250, "display.max_columns", 40, "display.max_colwidth", 40):
        return head + "\n" + df.to_string(index=False)


def main_cli(args) -> int:
    if args.out is not None:
        raise UserError("--out", args.out, "one scenario and one seed (--out writes one run's files; a comparison "
                        "keeps its runs with --db)", show_got=False)
    table, info = run_many(args.scenario, seeds=args.seeds, draws=args.draws or 0, seed=args.seed, until=args.until,
                           sets=args.set, workers=args.workers, scheduler=args.scheduler, db=args.db,
                           progress=not args.no_progress)
    print(format_table(table, info))
    if args.db:
        print(f"\nRuns kept in {args.db} (propeller compare {args.db} --reference {info['reference']})")
    return 0


__all__ = ["format_table", "run_many", "spec_text"]
