"""The sweep subcommands of ``propeller`` (wired into model/app/cli.py):

    propeller sweep SPEC [--workers N] [--scheduler tcp://HOST:PORT] [--db PATH] [--dry-run] [--no-progress]
    propeller sweep --rerun RUN_ID --db PATH
    propeller compare DB [--csv PATH] [--sweep NAME] [--reference SCENARIO] [--outcome NAME ...]
    propeller sensitivity SPEC-or-DB [--db PATH] [--sweep NAME] [--outcome NAME@YYYY-MM ...] [--png PATH] [--csv PATH]

Bad input (spec, database, arguments, output paths) prints one line and exits with code 2, like ``propeller run``:
each command raises typed errors (UserError and its subclasses) and ``propeller.app.cli.main`` prints them. Output paths
are checked before any run or analysis starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _workers(text: str) -> int:
    from propeller.app.cli import _positive_int

    return _positive_int(text)


def cmd_sweep(args: argparse.Namespace) -> int:
    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.execute import default_db, describe, execute
    from propeller.app.sweeps.spec import SpecError, load_spec
    from propeller.app.userio import check_output_file

    try:
        if args.rerun:
            return _rerun(args)
        if not args.spec:
            raise SpecError("sweep", "SPEC", "a sweep spec file (or --rerun RUN_ID --db PATH)", show_got=False)
        spec = load_spec(args.spec)
        plan = build_plan(spec)
        db = Path(args.db) if args.db else default_db(spec)
        if args.dry_run:
            print("\n".join(describe(plan, db, workers=1 if args.scheduler else args.workers)))
            return 0
        check_output_file(db, "--db")
        res = execute(plan, db, workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress)
    except KeyboardInterrupt:  # before the runs started (planning, opening the database)
        print("propeller: interrupted before this command stored any run", file=sys.stderr)
        return 130
    return _report(spec.name, res, db)


def _rerun(args: argparse.Namespace) -> int:
    from propeller.app.sweeps.execute import rerun
    from propeller.app.sweeps.spec import SpecError

    if args.spec or not args.db:
        raise SpecError("sweep", "--rerun", "--rerun RUN_ID --db PATH (and no SPEC)", show_got=False)
    identical, report, _ = rerun(args.db, args.rerun)
    print(report)
    return 0 if identical else 1


def _report(name: str, res, db: Path) -> int:
    """What a finished or interrupted sweep prints; its exit code."""
    done = res.already + res.stored
    if res.interrupted:
        print(f"propeller: interrupted: {done} of {res.planned} runs stored in {db}; "
              "run the same command again to finish", file=sys.stderr)
        return 130
    rate = f", {res.executed / res.seconds:.1f} runs/s" if res.executed and res.seconds > 0 else ""
    print(f"sweep {name}: {done} of {res.planned} runs stored in {db} "
          f"({res.stored} new{rate}; {res.failed} failed)")
    for line in res.errors[:5]:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if res.failed else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from propeller.app.analysis import compare, format_compare, write_csv
    from propeller.app.userio import check_output_file

    if args.csv:
        check_output_file(args.csv, "--csv")
    table, info = compare(args.db, sweep=args.sweep, reference=args.reference, outcomes=args.outcome)
    print(format_compare(table, info))
    from propeller.app import goals

    if goals.has_goals(info["outputs"]):
        # a sweep of the sector's goals: the probability that each is met, and what the answer hangs on
        _, runs = goals.load(args.db, args.sweep)
        print("\nThe sector's goals (probability over each scenario's runs; propeller goals DB for the details):")
        for a in goals.answers(runs):
            print(f"  {a.sentence()}")
    if args.csv:
        write_csv(table, args.csv)
        print(f"\nWritten: {args.csv}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from propeller.app.analysis import _parse_outcome, format_sensitivity, plot_sensitivity, sensitivity, write_csv
    from propeller.app.userio import check_output_file

    for item in args.outcome or ():  # the arguments first, before any database is opened
        _parse_outcome(item)
    for arg, value in (("--png", args.png), ("--csv", args.csv)):
        if value:
            check_output_file(value, arg)
    db, sweep_id = _sensitivity_source(args)
    table, info, notes = sensitivity(db, sweep=args.sweep, outcomes=args.outcome, sweep_id=sweep_id)
    png = Path(args.png) if args.png else db.parent / f"{info['name']}_sensitivity.png"
    check_output_file(png, "--png")
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    print(format_sensitivity(table, info))
    plot_sensitivity(table, info, png)
    written = [str(png)]
    if args.csv:
        write_csv(table, args.csv)
        written.append(args.csv)
    print(f"\nWritten: {' and '.join(written)}")
    return 0


def _sensitivity_source(args: argparse.Namespace) -> tuple[Path, str | None]:
    """The database and sweep id of ``sensitivity SPEC-or-DB``: a spec's sweep must be stored in its database."""
    from propeller.app.store import Store, StoreError
    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.execute import default_db
    from propeller.app.sweeps.spec import load_spec

    source = Path(args.source)
    if source.suffix != ".toml":
        return source, None
    spec = load_spec(source)
    plan = build_plan(spec)
    db = Path(args.db) if args.db else default_db(spec)
    sweep_id = plan.sweep_id
    if db.exists():
        with Store(db, readonly=True) as st:
            known = st.conn.execute("SELECT 1 FROM sweeps WHERE sweep_id=?", (sweep_id,)).fetchone()
    if not db.exists() or not known:
        raise StoreError(db, "sweeps", f"sweep {spec.name} ({sweep_id}) in this database: run "
                         f"`propeller sweep {args.source}` first", show_got=False)
    return db, sweep_id


def add_commands(sub) -> None:
    """Add sweep, compare and sensitivity to the ``propeller`` subparsers."""
    from propeller.app.analysis import SENSITIVITY_OUTCOMES

    sw = sub.add_parser("sweep", help="run a sweep spec into an SQLite database (resumable)")
    sw.add_argument("spec", nargs="?", help="sweep spec TOML, e.g. scenarios/sweeps/scenario_comparison.toml")
    sw.add_argument("--workers", type=_workers, default=os.cpu_count() or 1,
                    help="local worker processes (default: the number of cores; 1 = serial)")
    sw.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                    help="run on a Dask distributed cluster instead of local processes")
    sw.add_argument("--db", default=None, help="SQLite database (default outputs/sweeps/<name>.db)")
    sw.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    sw.add_argument("--rerun", default=None, metavar="RUN_ID",
                    help="re-run a stored run from its record and check it is identical (needs --db)")
    sw.set_defaults(func=cmd_sweep)

    cmp = sub.add_parser("compare", help="scenarios x outcomes: median, 90 %% interval, difference from a reference scenario")
    cmp.add_argument("db", help="sweep database")
    cmp.add_argument("--csv", default=None, help="also write the table as CSV")
    cmp.add_argument("--sweep", default=None, help="sweep name or id (default: the last one run)")
    cmp.add_argument("--reference", default=None,
                     help="scenario to take differences from (default: calibrated if the sweep has it, else its first scenario; "
                          "the output states which)")
    cmp.add_argument("--outcome", action="append", default=None, help="only this outcome (repeatable)")
    cmp.set_defaults(func=cmd_compare)

    sen = sub.add_parser("sensitivity", help="Morris / Sobol indices (SALib) of a sweep: table and plot")
    sen.add_argument("source", metavar="SPEC-or-DB", help="a Morris/Sobol sweep spec (.toml) or a sweep database")
    sen.add_argument("--db", default=None, help="database of the spec (default outputs/sweeps/<name>.db)")
    sen.add_argument("--sweep", default=None, help="sweep name or id in the database (default: the last one)")
    sen.add_argument("--outcome", action="append", default=None, metavar="NAME@YYYY-MM",
                     help=f"outcome at a key date (repeatable; default {', '.join(SENSITIVITY_OUTCOMES)})")
    sen.add_argument("--png", default=None, help="plot file (default next to the database)")
    sen.add_argument("--csv", default=None, help="also write the indices as CSV")
    sen.set_defaults(func=cmd_sensitivity)
