"""The ``propeller`` command: the user's door to the model.

    propeller run SCENARIO [--seed N] [--until YYYY-MM] [--set dotted.key=value ...] [--out DIR]
    propeller sweep | compare | sensitivity ...   (scenario sweeps: model/app/sweeps/cli.py)
    propeller dashboard [--scenario FILE] [--port N] [--host H]
    propeller report DB [--scenario NAME ...] [--lang en|nl] [--out FILE.html]   (model/app/report/)
    propeller calibrate ...                       (calibration/run.py)
    propeller validate [--draws N]                (calibration/validate.py)

Bad input (unknown key, wrong type, out of range, bad date, missing file, unwritable output) prints one line
naming the file or argument, the key and what was expected, exits with code 2 and writes nothing. Every
user-input problem is a :class:`propeller.errors.UserError`; ``main`` turns exactly those into that line, so an
unexpected exception (a bug) still shows its traceback. When the machine refuses (no space left, a file-size limit,
a sweep database locked by another process for longer than ``PROPELLER_DB_TIMEOUT``), one line and exit code 1:
nothing is half-written and the same command resumes. Ctrl-C prints one line and exits with 130.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from propeller.core import outputs  # light: the constants only

if TYPE_CHECKING:
    import pandas as pd


def summary_table(ts: pd.DataFrame, dates=outputs.SUMMARY_DATES) -> pd.DataFrame:
    """The steering-group summary: the outputs of :data:`propeller.core.outputs.SUMMARY` (their labels and formats)
    at the summary dates that the run reached, with the observed values of September 2025 beside them (Table 3.1
    [003 L2720-2776] and the KPI status of Q3 2025 [003 L519-563], from calibration/targets.toml)."""
    import pandas as pd

    rows = [outputs.get(name) for name in outputs.SUMMARY]
    ts = ts.set_index("date")
    cols = [d for d in dates if d in ts.index]
    if ts.index[-1] > dates[-1] or not cols:
        cols.append(ts.index[-1])  # a longer (or shorter) horizon: also show its last month
    table = pd.DataFrame(index=[o.title for o in rows])
    for d in cols:
        table[d] = [o.format(ts.at[d, o.name]) for o in rows]
    observed_date = outputs.OBSERVED_DATE
    if observed_date in cols:
        from propeller.calibration.targets import observations

        observed = {k: v for k, points in observations().items() for d, v in points if d == observed_date}
        table.insert(1, f"observed {observed_date}",
                     [o.format(observed[o.name]) if o.name in observed else "" for o in rows])
    return table


def _write_outputs(out_dir: Path, result: dict, scenario_path: str, set_args: list[str]) -> None:
    """Write timeseries.csv and propeller.db into a temporary folder, then move them into place (each file is
    replaced whole by os.replace: a reader sees the old file or the new one)."""
    from propeller.app.userio import writing

    with writing(out_dir):  # out of space: one line, and the folder as it was
        _write_outputs_in(out_dir, result, scenario_path, set_args)


def _insert_frame(db, name: str, frame: pd.DataFrame, columns: dict[str, str] | None = None) -> None:
    """Insert a frame's rows into table ``name``: its first row through sqlite-utils (which declares the table and
    its column types, as ``insert_all`` of all rows would), the rest in one ``executemany``. sqlite-utils converts
    row by row in Python: 3 s for the national run's 77,000 rows of occupancy and partners, against 0.1 s."""
    first = frame.iloc[:1].to_dict(orient="records")
    db[name].insert_all(first, columns=columns)
    if len(frame) > 1:
        cols = ", ".join(f"[{c}]" for c in frame.columns)
        marks = ", ".join("?" * len(frame.columns))
        with db.conn:
            db.conn.executemany(f"INSERT INTO [{name}] ({cols}) VALUES ({marks})",
                                frame.iloc[1:].itertuples(index=False, name=None))


def _write_outputs_in(out_dir: Path, result: dict, scenario_path: str, set_args: list[str]) -> None:
    import sqlite_utils

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        result["timeseries"].to_csv(tmp / "timeseries.csv", index=False)
        db = sqlite_utils.Database(tmp / "propeller.db")
        db["run"].insert({
            "scenario": scenario_path,
            "overrides": json.dumps(set_args),
            "seed": result["seed"],
            "until": result["until"],
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        })
        db["parameters"].insert_all(
            ({"key": k, "value": json.dumps(v)} for k, v in sorted(result["params"].items())), pk="key")
        _insert_frame(db, "timeseries", result["timeseries"], columns=outputs.sqlite_columns())
        for name in ("occupancy", "partners_by_hub_type", "participants"):
            _insert_frame(db, name, result[name])
        db.close()
        for f in ("timeseries.csv", "propeller.db"):
            with open(tmp / f, "rb+") as fh:
                os.fsync(fh.fileno())
        out_dir.mkdir(parents=True, exist_ok=True)
        for f in ("timeseries.csv", "propeller.db"):
            os.replace(tmp / f, out_dir / f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cmd_run(args: argparse.Namespace) -> int:
    from propeller.app.userio import check_output_dir
    from propeller.core.simulate import simulate
    from propeller.scenarios.loader import load

    if len(args.scenario) > 1 or args.seeds > 1 or args.draws:  # a comparison with uncertainty
        from propeller.app.multirun import main_cli

        return main_cli(args)
    if args.db is not None:
        from propeller.errors import UserError

        raise UserError("--db", args.db, "several scenarios, --seeds N > 1 or --draws M (one run writes --out)",
                        show_got=False)
    args.scenario = args.scenario[0]
    scenario = load(args.scenario, overrides=args.set or [])
    if args.until is not None:
        scenario = scenario.with_overrides({"simulation.until": args.until}, origin="--until")
    if args.out is not None:
        check_output_dir(args.out, "--out")  # before the run: a bad folder costs nothing and writes nothing
    from propeller.app.progress import Stages

    stages = Stages(enabled=not args.no_progress, leave=False)
    try:
        result = simulate(scenario, seed=args.seed, progress=stages.at)
    finally:
        stages.close()
    if args.out is not None:
        _write_outputs(Path(args.out), result, str(args.scenario), args.set or [])
    ts = result["timeseries"]
    print(f"Propeller projection - scenario {args.scenario}, seed {args.seed}, {ts['date'].iloc[0]} to {ts['date'].iloc[-1]}")
    print(summary_table(ts).to_string())
    from propeller.app.goals import run_lines

    for line in run_lines(ts, result["params"]):
        print(line)
    if args.out is not None:
        print(f"\nWritten: {Path(args.out) / 'timeseries.csv'} and {Path(args.out) / 'propeller.db'}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with "did you mean" for a near-miss choice) and exit code 2."""

    def error(self, message: str):  # noqa: D102
        import re

        from propeller.errors import UsageError
        from propeller.scenarios.loader import did_you_mean

        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        hint = did_you_mean(m.group(1), re.findall(r"'([^']*)'", m.group(2))) if m else ""
        raise UsageError(self.prog, f"{message}{hint}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("propeller")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="propeller", description="Propeller: project innovation adoption through the regional hubs.",
                     epilog="examples:\n"
                            "  propeller scenarios                                   # what is in the library\n"
                            "  propeller run scenarios/calibrated.toml               # the calibrated projection\n"
                            "  propeller run scenarios/library/calibrated.toml scenarios/library/funding_plus50.toml "
                            "--seeds 4 --draws 10\n"
                            "  propeller sweep scenarios/sweeps/steering_report.toml && propeller report "
                            "outputs/sweeps/steering_report.db\n"
                            "  propeller goals outputs/sweeps/sector_goals.db        # the sector's goals\n"
                            "  propeller contributions scenarios/calibrated.toml     # what each instrument and hub "
                            "contributed\n"
                            "  propeller optimise scenarios/optimise/allocation.toml # the best allocation of the same "
                            "money\n"
                            "  propeller discover outputs/sweeps/funding_grid.db --outcome \"partners_total@2027-12 < 900\"\n"
                            "  propeller validate --draws 100 --workers 2            # check the calibration\n"
                            "Each command has --help with its options.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"propeller {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    from propeller.app.report.build import add_command as add_report  # report (steering group, HTML)
    from propeller.app.sweeps.cli import add_commands  # sweep, compare, sensitivity

    add_commands(sub)
    add_report(sub)
    run = sub.add_parser("run", help="run one scenario and print the summary, or compare scenarios with uncertainty",
                         epilog="examples:\n"
                                "  propeller run scenarios/calibrated.toml\n"
                                "  propeller run scenarios/library/calibrated.toml scenarios/library/funding_plus50.toml"
                                " --seeds 4 --draws 10 --workers 2",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenario", nargs="+", help="scenario TOML file(s), e.g. scenarios/calibrated.toml; with several, "
                     "a table of each one's median and 90 %% interval and its difference from the first")
    run.add_argument("--seed", type=seed_arg, default=0, help="random seed, a whole number >= 0 (default 0); with "
                     "--seeds N the first of N seeds drawn from it")
    run.add_argument("--seeds", type=_positive_int, default=1, help="seeds per scenario (default 1)")
    run.add_argument("--draws", type=_positive_int, default=0, metavar="M",
                     help="also M parameter sets drawn from the calibration's posterior (scenarios that extend "
                          "scenarios/calibrated.toml)")
    run.add_argument("--workers", type=_positive_int, default=1, help="local worker processes for a comparison")
    run.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address for a comparison")
    run.add_argument("--db", default=None, help="keep a comparison's runs in this sweep database")
    run.add_argument("--until", default=None, help="last month YYYY-MM (default: the scenario's)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter by its dotted name")
    run.add_argument("--out", default=None, help="folder for timeseries.csv and propeller.db")
    run.add_argument("--no-progress", action="store_true", help="no progress line on standard error")
    run.set_defaults(func=cmd_run)
    cal = sub.add_parser("calibrate", help="fit the free parameters to the hub data (ABC-SMC)")
    cal.add_argument("--quick", action="store_true", help="a small run (under 3 minutes on 2 cores) that leaves scenarios/ alone")
    cal.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    cal.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    cal.add_argument("--seed", type=seed_arg, default=0, help="random seed of the calibration (default 0)")
    cal.add_argument("--out", default=None, help="output folder (default outputs/calibration)")
    cal.add_argument("--targets", default=None, metavar="TOML", help="targets file (default calibration/targets.toml)")
    cal.add_argument("--priors", default=None, metavar="TOML", help="priors file (default calibration/priors.toml)")
    cal.add_argument("--sbc", type=_positive_int, default=0, metavar="R",
                     help="also check the method: R simulation-based-calibration replications (each a smaller fit)")
    cal.set_defaults(func=cmd_calibrate)
    val = sub.add_parser("validate", help="check the committed calibration against every target and held-out record")
    val.add_argument("--draws", type=_positive_int, default=100, help="posterior draws to simulate (default 100)")
    val.add_argument("--seed", type=seed_arg, default=0, help="random seed of the draws (default 0)")
    val.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    val.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    val.add_argument("--posterior", default=None, metavar="CSV", help="posterior sample (default scenarios/posterior.csv)")
    val.add_argument("--no-progress", action="store_true", help="no progress line on standard error")
    val.set_defaults(func=cmd_validate)
    scen = sub.add_parser("scenarios", help="list the scenario library, one line each")
    scen.set_defaults(func=cmd_scenarios)
    goals = sub.add_parser("goals", help="the probability that each sector goal is met, and what the answer hangs on")
    goals.add_argument("db", help="sweep database with the sector's columns (scenarios/sweeps/sector_goals.toml)")
    goals.add_argument("--sweep", default=None, help="the sweep's name or id, if the database holds several")
    goals.add_argument("--json", action="store_true", help="also print the answers as one JSON line")
    goals.add_argument("--rerun", type=_positive_int, default=0, metavar="N",
                       help="also re-run N runs of the first scenario with each pre-run assumption at its range's ends "
                            "(the sector's 2024 state, the use level of borgen, value added per type)")
    goals.add_argument("--workers", type=_positive_int, default=1, help="local worker processes for --rerun")
    goals.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address for --rerun")
    goals.add_argument("--no-progress", action="store_true", help="no progress line on standard error (--rerun)")
    goals.set_defaults(func=cmd_goals)
    con = sub.add_parser("contributions", help="how much of each outcome each instrument and each hub contributes "
                         "(Shapley values), and euros per partner, KPI 5 person and adoption",
                         epilog="examples:\n"
                                "  propeller contributions scenarios/calibrated.toml                 # 4 seeds\n"
                                "  propeller contributions scenarios/calibrated.toml --draws 4 --seeds 2 --workers 2\n"
                                "  propeller contributions scenarios/library/funding_plus50.toml --by hub",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    con.add_argument("scenario", help="scenario TOML file, e.g. scenarios/calibrated.toml")
    con.add_argument("--by", choices=("instrument", "hub", "both"), default="both",
                     help="players: the instruments (and recruitment), the hubs, or both (default)")
    con.add_argument("--seeds", type=_positive_int, default=4, help="seeds per combination (default 4)")
    con.add_argument("--draws", type=_positive_int, default=0, metavar="M",
                     help="also M parameter sets from the calibration's posterior (intervals over them)")
    con.add_argument("--seed", type=int, default=0, help="seed of the seeds and draws (default 0)")
    con.add_argument("--until", default=None, metavar="YYYY-MM", help="horizon (default: the scenario's)")
    con.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    con.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address")
    con.add_argument("--json", action="store_true", help="also print the table as one JSON line")
    con.add_argument("--no-progress", action="store_true", help="no progress line on standard error")
    con.set_defaults(func=cmd_contributions)
    opt = sub.add_parser("optimise", help="search the allocation of the same money over instruments and hubs (and the "
                         "targeting of followers) for chosen objectives, robust over posterior draws and seeds",
                         epilog="examples:\n"
                                "  propeller optimise scenarios/optimise/allocation.toml --dry-run\n"
                                "  propeller optimise scenarios/optimise/allocation.toml --workers 2\n"
                                "  propeller optimise scenarios/optimise/allocation.toml --db /tmp/a.db --json",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    opt.add_argument("spec", help="optimisation spec (TOML), e.g. scenarios/optimise/allocation.toml")
    opt.add_argument("--db", default=None, help="SQLite database (default outputs/sweeps/<name>.db)")
    opt.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    opt.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address")
    opt.add_argument("--dry-run", action="store_true", help="show the plan and the number of runs; run nothing")
    opt.add_argument("--json", action="store_true", help="also print the Pareto set and the checks as one JSON line")
    opt.add_argument("--no-progress", action="store_true", help="no progress line on standard error")
    opt.set_defaults(func=cmd_optimise)
    disc = sub.add_parser("discover", help="scenario discovery (PRIM): the factor ranges under which an outcome misses "
                          "its target, from a sweep database",
                          epilog="examples:\n"
                                 "  propeller contributions scenarios/calibrated.toml     # what each instrument and hub "
                            "contributed\n"
                            "  propeller optimise scenarios/optimise/allocation.toml # the best allocation of the same "
                            "money\n"
                            "  propeller discover outputs/sweeps/funding_grid.db --outcome \"partners_total@2027-12 < 900\"\n"
                                 "  propeller discover outputs/sweeps/steering_report.db --outcome \"kpi4_mkb@2027-12 < 130\" "
                                 "--json",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    disc.add_argument("db", help="sweep database (propeller sweep SPEC)")
    disc.add_argument("--outcome", required=True, metavar="EXPR",
                      help="the runs of interest, OUTCOME@YYYY-MM OP NUMBER (OP <, <=, >, >=), e.g. "
                           "\"partners_total@2030-12 < 500\"")
    disc.add_argument("--sweep", default=None, help="the sweep's name or id, if the database holds several")
    disc.add_argument("--min-coverage", type=_share, default=0.5, metavar="SHARE",
                      help="a box keeps at least this share of the runs of interest (default 0.5); the densest such box "
                           "is shown")
    disc.add_argument("--boxes", type=_positive_int, default=2, metavar="N", help="at most N boxes (default 2)")
    disc.add_argument("--json", action="store_true", help="also print the boxes as one JSON line")
    disc.set_defaults(func=cmd_discover)
    dash = sub.add_parser("dashboard", help="serve the interactive dashboard in the browser (pages Steering and Analyst)")
    dash.add_argument("--scenario", default=None, help="scenario TOML file (default: scenarios/calibrated.toml)")
    dash.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    dash.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1, this machine only; another only when given)")
    dash.set_defaults(func=cmd_dashboard)
    return parser


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535, got {text!r}") from None
    if not 1 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535, got {text!r}")
    return v


def cmd_dashboard(args: argparse.Namespace) -> int:
    from propeller.errors import UserError
    from propeller.scenarios.loader import load

    load(args.scenario)  # the same one-line error and exit 2 as `run`, before a server starts
    from propeller.app.dashboard.server import port_problem, serve

    problem = port_problem(args.host, args.port)
    if problem:
        raise UserError("--port", str(args.port), f"a port this machine can listen on: {problem}", show_got=False)
    return serve(args.scenario, host=args.host, port=args.port)


def _whole(text: str, lo: int, what: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if v < lo:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return v


def _positive_int(text: str) -> int:
    return _whole(text, 1, "a positive whole number")


def seed_arg(text: str) -> int:
    """A random seed: a whole number >= 0 (numpy's generators refuse negative seeds)."""
    return _whole(text, 0, "a whole number >= 0")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from propeller.calibration.run import main_cli

    return main_cli(args)


def scenario_summary(path: Path) -> str:
    """The first sentence of a scenario file's header comment (after "Library scenario NAME:"), or ""."""
    import re

    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line[:1] != "#":  # the header comment ends at the first line that is not one
            break
        text = line.lstrip("#").strip()
        if not text:
            if lines:
                break
            continue
        lines.append(text)
    text = re.sub(r"^(Library scenario [\w-]+:|Propeller\s+[—-]\s+)\s*", "", " ".join(lines))
    m = re.match(r"(.+?[.;])(\s|$)", text)
    return (m.group(1) if m else text).rstrip(".;")


def cmd_scenarios(args: argparse.Namespace) -> int:
    """The scenario library, one line each, and whether a scenario runs on the calibrated parameters."""
    from propeller.scenarios.loader import SCENARIO_DIR, load

    calibrated = str((SCENARIO_DIR / "calibrated.toml").resolve())
    files = [SCENARIO_DIR / "calibrated.toml", SCENARIO_DIR / "national.toml", SCENARIO_DIR / "uncalibrated_defaults.toml"]
    files += sorted((SCENARIO_DIR / "library").glob("*.toml"))
    root = SCENARIO_DIR.parent
    own = {"calibrated.toml": "the calibrated projection: the posterior medians of the calibration (make baseline)",
           "uncalibrated_defaults.toml": "every parameter with its source, before the calibration (the schema of all scenarios)"}
    rows = []
    for f in files:
        on = calibrated in {str(Path(x).resolve()) for x in load(f).files}
        text = own.get(f.name) if f.parent == SCENARIO_DIR else None
        text = text or scenario_summary(f)
        if len(text) > 100:
            text = text[:100].rsplit(" ", 1)[0] + " …"
        rows.append((str(f.relative_to(root)), "calibrated" if on else "UNCALIBRATED", text))
    width = max(len(r[0]) for r in rows)
    print("Scenarios (run one with `propeller run FILE`; compare several with `propeller run A B --seeds 4`):")
    for name, cal, text in rows:
        print(f"  {name:<{width}}  {cal:<12}  {text}")
    print("UNCALIBRATED: the hand-set prior defaults of scenarios/uncalibrated_defaults.toml, before the calibration; use them to see "
          "what the calibration changed, not for projections.")
    return 0


def cmd_contributions(args: argparse.Namespace) -> int:
    from propeller.app.contributions import main_cli

    return main_cli(args)


def cmd_optimise(args: argparse.Namespace) -> int:
    from propeller.app.optimise import main_cli

    return main_cli(args)


def cmd_discover(args: argparse.Namespace) -> int:
    from propeller.app.discover import main_cli

    return main_cli(args)


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}") from None
    if not 0.0 < v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 (exclusive) and 1, got {text!r}")
    return v


def cmd_goals(args: argparse.Namespace) -> int:
    from propeller.app.goals import main_cli

    return main_cli(args)


def cmd_validate(args: argparse.Namespace) -> int:
    from propeller.calibration.validate import main_cli

    return main_cli(args)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final flush of a closed pipe raises nothing."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture): nothing to flush at exit
        pass


def main(argv: list[str] | None = None) -> int:
    """The command. The one place where bad user input (any :class:`propeller.errors.UserError`) becomes one line
    on standard error and exit code 2 (1 for a :class:`propeller.errors.ResourceError`, and for running out of
    space); any other exception is a bug and keeps its traceback."""
    from propeller.errors import UserError

    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except KeyboardInterrupt:  # first: Ctrl-C while starting up (imports) or computing
        print("propeller: interrupted; nothing more was written", file=sys.stderr)
        return 130
    except UserError as exc:
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (``propeller goals DB | head``): stop quietly, as Unix tools do
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe
    except OSError as exc:  # out of space where no file was named (the writers name theirs: userio.writing)
        from propeller.app.userio import space_reason

        reason = space_reason(exc)
        if reason is None:
            raise
        print(f"propeller: could not write: {reason}; nothing was half-written - free space and run the same "
              "command again", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
