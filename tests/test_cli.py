"""The propeller command: output files, the summary, and bad input -> one line, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlite_utils

from propeller.core.constants import HUBS

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED = ["date", "partners_total", "partners_noord", "partners_zuid", "partners_oost", "partners_west",
              "partners_midden", "kpi4_mkb", "kpi5_skilled", "adopted_share", "productivity_index"]


def propeller(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "propeller"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "propeller.app.cli"]
    return subprocess.run(cmd + list(args), cwd=cwd, capture_output=True, text=True, timeout=300)


def test_run_writes_csv_and_sqlite(tmp_path):
    out = tmp_path / "res"
    r = propeller("run", "scenarios/uncalibrated_defaults.toml", "--seed", "3", "--until", "2025-09", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ts = pd.read_csv(out / "timeseries.csv")
    assert set(DOCUMENTED) <= set(ts.columns)
    assert ts["date"].iloc[0] == "2024-03" and ts["date"].iloc[-1] == "2025-09" and len(ts) == 19
    db = sqlite_utils.Database(out / "propeller.db")
    assert {"run", "parameters", "timeseries", "occupancy", "partners_by_hub_type", "participants"} <= set(db.table_names())
    assert db["timeseries"].count == 19
    assert next(db["run"].rows)["seed"] == 3
    assert "Partners, four evaluated hubs" in r.stdout and "observed 2025-09" in r.stdout
    assert list(tmp_path.iterdir()) == [out]  # no temporary folder left behind


def test_summary_has_the_three_dates(tmp_path):
    r = propeller("run", "scenarios/uncalibrated_defaults.toml", "--set", "simulation.region=oost")
    assert r.returncode == 0, r.stderr
    for d in ("2025-09", "2027-12", "2030-12"):
        assert d in r.stdout
    for label in ("KPI 4", "KPI 5", "agenderen", "uitproberen", "adopteren", "productivity"):
        assert label in r.stdout


def test_set_overrides_a_parameter(tmp_path):
    a = propeller("run", "scenarios/uncalibrated_defaults.toml", "--until", "2025-03", "--out", str(tmp_path / "a"))
    # no hub runs events (one hub without them is not enough: the others' Poisson counts can make up for it)
    off = [arg for hub in HUBS for arg in ("--set", f"hubs.{hub}.instruments.events=0.0")]
    b = propeller("run", "scenarios/uncalibrated_defaults.toml", "--until", "2025-03", "--out", str(tmp_path / "b"), *off)
    assert a.returncode == b.returncode == 0
    ea = pd.read_csv(tmp_path / "a" / "timeseries.csv")["runs_events"].iloc[-1]
    eb = pd.read_csv(tmp_path / "b" / "timeseries.csv")["runs_events"].iloc[-1]
    assert eb == 0 < ea


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["scenarios/nope.toml"], "nope.toml: (file): expected an existing scenario file"),
        (["scenarios/uncalibrated_defaults.toml", "--set", "hubs.west.budgett=1"], "--set: hubs.west.budgett: expected a parameter"),
        (["scenarios/uncalibrated_defaults.toml", "--set", "hubs.west.budget=abc"], "--set: hubs.west.budget: expected a number"),
        (["scenarios/uncalibrated_defaults.toml", "--set", "network.decay=2.0"], "--set: network.decay: expected a number in [0, 1]"),
        (["scenarios/uncalibrated_defaults.toml", "--until", "2030-13"], "--until: simulation.until: expected a date"),
        (["scenarios/uncalibrated_defaults.toml", "--until", "2020-01"], "expected a date within the model's range"),
        (["scenarios/uncalibrated_defaults.toml", "--set", "simulation.start=2025-01", "--until", "2024-12"],
         "expected a date at or after simulation.start"),
        (["scenarios/uncalibrated_defaults.toml", "--seed", "x"], "--seed: expected a whole number >= 0"),
        (["scenarios/uncalibrated_defaults.toml", "--set", "nonsense"], "expected dotted.key=value"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, args, fragment):
    out = tmp_path / "out"
    r = propeller("run", *args, "--out", str(out))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert r.stdout == ""


def test_bad_scenario_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[hubs.zuid]\nfocus = [0.2, 0.2]\n')
    r = propeller("run", str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "bad.toml: hubs.zuid.focus: expected a list of 4 values" in r.stderr
    assert not (tmp_path / "o").exists()


def test_run_compares_scenarios_with_paired_differences(tmp_path, capsys):
    """`propeller run A B --seeds N [--draws M]`: one table with each scenario's median and 90 % interval at the key
    dates and the difference from the first, paired by seed and draw; the runs are those of a sweep of the same
    scenarios (the same seeds for both scenarios: the first scenario's difference from itself would be 0)."""
    from propeller.app.cli import main
    from propeller.app.multirun import run_many

    lib = ROOT / "scenarios" / "library"
    args = [str(lib / "calibrated.toml"), str(lib / "funding_minus50.toml")]
    db = tmp_path / "cmp.db"
    assert main(["run", *args, "--seeds", "2", "--draws", "2", "--set", "simulation.region=midden",
                 "--until", "2027-12", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2 posterior draws x 2 seeds = 4 runs each" in out and "difference from calibrated paired" in out
    lines = [ln for ln in out.splitlines() if "Partners, all hubs" in ln]
    assert len(lines) == 2 and "funding_minus50" in lines[1]
    assert "2027-12 vs calibrated" in out and db.exists()
    # the same seeds and draws for both scenarios: the table's numbers are a paired comparison of those runs
    table, info = run_many(args, seeds=2, draws=2, sets=["simulation.region=midden"], until="2027-12", db=str(db),
                           progress=False)
    row = table[(table["outcome"] == "partners_total") & (table["date"] == "2027-12")].set_index("scenario")
    assert row.at["calibrated", "n"] == row.at["funding_minus50", "n"] == 4
    assert row.at["funding_minus50", "diff_median"] < 0  # half the funding: fewer partners in the median pair
    assert list(tmp_path.iterdir()) == [db]  # the temporary spec is gone


def test_version_and_the_scenario_list(capsys):
    from propeller.app.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("propeller 0.")
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    library = sorted((ROOT / "scenarios" / "library").glob("*.toml"))
    for f in library:
        line = next(ln for ln in out.splitlines() if f"scenarios/library/{f.name}" in ln)
        assert len(line.split("  ")[-1].strip()) > 10, line  # a one-line description
    assert "scenarios/library/funding_plus50.toml" in out and "UNCALIBRATED" in out
    baseline = next(ln for ln in out.splitlines() if "scenarios/library/uncalibrated.toml" in ln)
    assert "UNCALIBRATED" in baseline
    assert all("UNCALIBRATED" not in ln for ln in out.splitlines() if "funding_" in ln or "national" in ln)


def test_help_has_examples():
    r = propeller("--help")
    assert r.returncode == 0 and "examples:" in r.stdout and "propeller goals" in r.stdout
    r = propeller("run", "--help")
    assert "examples:" in r.stdout and "--seeds 4 --draws 10" in r.stdout


def test_a_closed_pipe_ends_the_command_quietly():
    """``propeller scenarios | head -1``: the reader goes away; the command stops without a traceback."""
    import os

    exe = Path(sys.executable).parent / "propeller"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "propeller.app.cli"]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line: every write meets a closed pipe
    try:
        r = subprocess.run(cmd + ["scenarios"], cwd=ROOT, stdout=write, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write)
    assert r.returncode == 141, r.stderr
    assert r.stderr == "", r.stderr


def test_a_single_run_shows_its_progress_and_the_same_numbers(tmp_path):
    """``propeller run`` reports building and the months on standard error; watching changes nothing in the run."""
    from propeller.core.simulate import simulate

    r = propeller("run", "scenarios/calibrated.toml", "--until", "2024-09", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert "building the model: 0/1" in r.stderr and "simulating months: 0/6" in r.stderr, r.stderr  # refreshed 10/s
    quiet = propeller("run", "scenarios/calibrated.toml", "--until", "2024-09", "--no-progress")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    seen: list[tuple[str, int, int]] = []
    watched = simulate(None, seed=4, until="2024-09", progress=lambda *a: seen.append(a))
    plain = simulate(None, seed=4, until="2024-09")
    assert seen[0] == ("building the model", 0, 1) and seen[-1] == ("simulating months", 6, 6)
    pd.testing.assert_frame_equal(watched["timeseries"], plain["timeseries"])
