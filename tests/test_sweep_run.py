"""Running sweeps: identical results serial / process pool / Dask, the SQLite store, re-running a stored run from
its record, refusing foreign databases, resuming after kill -9, two sweeps into one database, failed runs,
and the compare / sensitivity commands. Short regional runs (Midden) keep this fast."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path

import pandas as pd
import pytest

from propeller.app.store import SCHEMA_VERSION, Store
from propeller.app.sweeps.design import build_plan
from propeller.app.sweeps.execute import execute, rerun
from propeller.app.sweeps.record import code_version
from propeller.app.sweeps.spec import load_spec

pytestmark = pytest.mark.serial  # signals, kills or a browser against a clock: run alone (pyproject.toml)
ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
OUTPUTS = ["partners_total", "kpi5_skilled", "productivity_index"]


def spec_text(name="small", reps=3, until="2025-03", scenarios=("uncalibrated", "funding_minus50"), seed=11,
              outputs=OUTPUTS, key_dates=None, extra=""):
    files = ", ".join(f'"{LIB / (s + ".toml")}"' for s in scenarios)
    dates = f"key_dates = {json.dumps(key_dates)}\n" if key_dates else ""
    return (f'name = "{name}"\nscenarios = [{files}]\nseed = {seed}\nreplications = {reps}\nuntil = "{until}"\n'
            f"outputs = {json.dumps(list(outputs))}\n{dates}{extra}"
            '[overrides]\nsimulation.region = "midden"\n')


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def propeller(*args, timeout=300, **kw) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "propeller"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "propeller.app.cli"]
    return subprocess.run(cmd + [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          **kw)


def cli(capsys, *args) -> tuple[int, str, str]:
    """``propeller ARGS`` in this process (fast): exit code, stdout, stderr."""
    from propeller.app.cli import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def rows(db: Path, sql: str) -> list:
    with closing(sqlite3.connect(db)) as c:
        return c.execute(sql).fetchall()


def content(*paths: Path) -> list:
    out = []
    for p in paths:
        if p.read_bytes()[:16] == b"SQLite format 3\x00":
            with closing(sqlite3.connect(p)) as c:
                out.append(list(c.iterdump()))
        else:
            out.append(p.read_bytes())
    return out


def snapshot(db: Path) -> dict:
    """Everything a run's numbers and identity consist of (not timings or worker names)."""
    return {
        "runs": rows(db, "SELECT run_id, scenario, overrides, params, seed, until, code_version, status FROM runs "
                         "ORDER BY run_id"),
        "outcomes": rows(db, "SELECT * FROM outcomes ORDER BY run_id, month"),
        "summaries": rows(db, "SELECT * FROM summaries ORDER BY run_id, outcome, date"),
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 6-run sweep (2 scenarios x 3 seeds, Midden, to 2025-03), run serially."""
    d = tmp_path_factory.mktemp("small")
    spec = write(d / "small.toml", spec_text(key_dates=["2024-09", "2025-03"]))
    plan = build_plan(load_spec(spec))
    db = d / "serial.db"
    res = execute(plan, db, workers=1, progress=False)
    assert (res.planned, res.stored, res.failed) == (6, 6, 0)
    return spec, plan, db


def test_serial_pool_and_dask_give_identical_results(small, tmp_path):
    from distributed import LocalCluster

    spec, plan, serial = small
    pool = tmp_path / "pool.db"
    res = execute(build_plan(load_spec(spec)), pool, workers=2, progress=False)
    assert res.stored == 6
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask = tmp_path / "dask.db"
        res = execute(build_plan(load_spec(spec)), dask, scheduler=cluster.scheduler_address, progress=False)
    assert res.stored == 6
    reference = snapshot(serial)
    assert len(reference["outcomes"]) == 6 * 13 and len(reference["summaries"]) == 6 * 3 * 2
    assert snapshot(pool) == reference
    assert snapshot(dask) == reference
    workers = {w for (w,) in rows(pool, "SELECT DISTINCT worker FROM runs")}
    assert len(workers) == 2  # really two processes


def test_store_layout(small):
    _, plan, db = small
    with sqlite3.connect(db) as c:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"meta", "runs", "outcomes", "summaries", "sweeps", "points", "sweep_runs"} <= tables
        indexes = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"idx_runs_scenario", "idx_runs_status", "idx_summaries_outcome_date", "idx_sweep_runs_run_id"} <= indexes
        assert dict(c.execute("SELECT key, value FROM meta"))["schema_version"] == str(SCHEMA_VERSION)
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cols = [r[1] for r in c.execute("PRAGMA table_info(outcomes)")]
        assert cols[:3] == ["run_id", "month", "date"] and set(OUTPUTS) <= set(cols)
        run = c.execute("SELECT run_id, scenario, params, seed, until, code_version, status, started, ended "
                        "FROM runs WHERE scenario = 'uncalibrated' ORDER BY seed LIMIT 1").fetchone()
        assert run[1] == "uncalibrated" and run[4] == "2025-03" and run[5] == plan.code_version and run[6] == "done"
        assert json.loads(run[2])["simulation.region"] == "midden" and run[7] <= run[8]
        assert c.execute("SELECT COUNT(*) FROM sweep_runs").fetchone()[0] == 6
        per_run = c.execute("SELECT run_id, COUNT(*) FROM outcomes GROUP BY run_id").fetchall()
        assert len(per_run) == 6 and {n for _, n in per_run} == {13}
        s = dict(c.execute("SELECT outcome || '@' || date, value FROM summaries WHERE run_id=?", (run[0],)))
        o = dict(c.execute("SELECT date, kpi5_skilled FROM outcomes WHERE run_id=?", (run[0],)))
        assert s["kpi5_skilled@2024-09"] == o["2024-09"] and s["kpi5_skilled@2025-03"] == o["2025-03"]


def test_rerun_from_the_record(small, tmp_path):
    _, plan, db = small
    run_id = plan.runs[4]["run_id"]
    identical, report, _ = rerun(db, run_id)
    assert identical, report
    r = propeller("sweep", "--rerun", run_id, "--db", db)
    assert r.returncode == 0 and "identical to the stored record" in r.stdout, r.stderr
    # a tampered record is noticed
    bad = tmp_path / "bad.db"
    with sqlite3.connect(db) as src, sqlite3.connect(bad) as dst:
        src.backup(dst)
    with sqlite3.connect(bad) as c:
        c.execute("UPDATE outcomes SET kpi5_skilled = kpi5_skilled + 1 WHERE run_id = ? AND month = 7", (run_id,))
    identical, report, _ = rerun(bad, run_id)
    assert not identical and "kpi5_skilled" in report


def test_dry_run_prints_the_plan_and_writes_nothing(small, tmp_path, capsys):
    spec, _, stored = small
    db = tmp_path / "new.db"
    code, out, err = cli(capsys, "sweep", spec, "--db", db, "--dry-run")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[-1] == "6 runs" and "(new)" in out and "funding_minus50" in out
    estimate = next(ln for ln in lines if "estimated duration" in ln)
    assert re.search(r"about (1 s or less|\d+ (s|min)) for 6 runs on \d workers? \(a pilot of the first run here: [\d.]+ s to build, "
                     r"[\d.]+ ms a month", estimate), estimate
    assert not db.exists()
    code, out, err = cli(capsys, "sweep", spec, "--db", stored, "--dry-run")
    assert code == 0 and "(6 of 6 runs stored)" in out and out.strip().splitlines()[-1] == "6 runs"
    assert "estimated duration" not in out  # nothing left to run


def test_refuses_foreign_and_newer_databases(small, tmp_path, capsys):
    spec, _, db = small
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    newer = tmp_path / "newer.db"
    with sqlite3.connect(db) as src, sqlite3.connect(newer) as dst:
        src.backup(dst)
    with sqlite3.connect(newer) as c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE run (seed INTEGER)")
    cases = [
        (("sweep", spec, "--db", text), "notes.db: (file): expected an SQLite sweep database (this file is not SQLite)"),
        (("compare", newer), f"meta.schema_version: expected a schema version <= {SCHEMA_VERSION}"),
        (("sweep", spec, "--db", newer), "written by a newer version"),
        (("sweep", spec, "--db", other), "other.db: meta: expected a sweep database"),
    ]
    before = content(text, newer, other)
    for args, fragment in cases:
        code, out, err = cli(capsys, *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and fragment in lines[0] and out == "", err
    assert content(text, newer, other) == before  # refused files are left as they were


def test_kill_9_then_resume_stores_every_run_once(tmp_path):
    import psutil

    spec = write(tmp_path / "long.toml", spec_text(name="long", reps=30, until="2026-12"))
    db = tmp_path / "long.db"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "propeller"), "sweep", str(spec), "--db", str(db),
                             "--workers", "2", "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    children: list = []
    try:
        deadline = time.time() + 120
        stored = 0
        while time.time() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    stored = rows(db, "SELECT COUNT(*) FROM runs")[0][0]
                except sqlite3.OperationalError:
                    stored = 0
            if stored >= 3:
                children = psutil.Process(proc.pid).children(recursive=True)
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
        assert 3 <= stored < 60
        # the pool's workers notice that their parent is gone and exit
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for child in children:
            if child.is_running():
                child.kill()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    r = propeller("sweep", spec, "--db", db, "--workers", "1", "--no-progress")
    assert r.returncode == 0, r.stderr
    head = r.stderr.splitlines()[0]
    already = int(head.split(", ")[1].split()[0])
    assert already >= 3 and f"{60 - already} to run" in head, head
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs WHERE status='done'") == [(60, 60)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT run_id || '/' || month) FROM outcomes") == [(60 * 34, 60 * 34)]
    plan = build_plan(load_spec(spec))
    assert {r for (r,) in rows(db, "SELECT run_id FROM runs")} == {t["run_id"] for t in plan.runs}


def test_two_sweeps_into_one_database(tmp_path):
    a = write(tmp_path / "a.toml", spec_text(name="a", reps=8, until="2025-09"))
    b = write(tmp_path / "b.toml", spec_text(name="b", reps=8, until="2025-09", scenarios=("uncalibrated", "target_followers")))
    db = tmp_path / "shared.db"
    exe = str(Path(sys.executable).parent / "propeller")
    procs = [subprocess.Popen([exe, "sweep", str(s), "--db", str(db), "--workers", "1", "--no-progress"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    union = {t["run_id"] for s in (a, b) for t in build_plan(load_spec(s)).runs}
    assert len(union) == 24  # the 8 baseline runs are shared
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs") == [(24, 24)]
    assert {r for (r,) in rows(db, "SELECT run_id FROM runs")} == union
    assert rows(db, "SELECT COUNT(*) FROM outcomes") == [(24 * 19,)]
    assert rows(db, "SELECT COUNT(*) FROM sweep_runs") == [(32,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    new = sum(int(out.split("(")[1].split(" new")[0]) for out, _ in outs)
    assert new == 24  # each run written by exactly one of the two


def test_failed_runs_are_recorded_then_retried(tmp_path, monkeypatch):
    simulate_mod = importlib.import_module("propeller.core.simulate")  # the module (propeller.core.simulate is also the function)
    spec = load_spec(write(tmp_path / "f.toml", spec_text(name="f", reps=2, until="2024-09")))
    plan = build_plan(spec)
    bad_seed = plan.runs[1]["seed"]
    real = simulate_mod.simulate

    def flaky(scenario, seed=0, until=None, **kw):
        if seed == bad_seed:
            raise FloatingPointError("boom")
        return real(scenario, seed=seed, until=until, **kw)

    db = tmp_path / "f.db"
    monkeypatch.setattr(simulate_mod, "simulate", flaky)
    res = execute(plan, db, progress=False)
    assert (res.stored, res.failed) == (2, 2) and "FloatingPointError: boom" in res.errors[0]
    assert rows(db, "SELECT status, COUNT(*) FROM runs GROUP BY status") == [("done", 2), ("failed", 2)]
    monkeypatch.setattr(simulate_mod, "simulate", real)
    res = execute(plan, db, progress=False)
    assert (res.already, res.stored, res.failed) == (2, 2, 0)
    assert rows(db, "SELECT status, COUNT(*) FROM runs GROUP BY status") == [("done", 4)]
    assert rows(db, "SELECT COUNT(*) FROM outcomes") == [(4 * 7,)]


def test_a_sweep_asking_for_more_outputs_extends_stored_runs(small, tmp_path):
    spec, plan, serial = small
    db = tmp_path / "extend.db"
    with sqlite3.connect(serial) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    more = load_spec(write(tmp_path / "more.toml", spec_text(name="more", outputs=OUTPUTS + ["kpi4_mkb"])))
    plan2 = build_plan(more)
    assert [t["run_id"] for t in plan2.runs] == [t["run_id"] for t in plan.runs]  # the same runs
    res = execute(plan2, db, progress=False)
    assert (res.already, res.stored) == (0, 6)
    assert rows(db, "SELECT COUNT(*), COUNT(kpi4_mkb) FROM outcomes") == [(78, 78)]
    assert rows(db, "SELECT COUNT(*) FROM runs") == [(6,)]
    assert snapshot(db)["outcomes"] != snapshot(serial)["outcomes"]
    assert execute(plan, db, progress=False).already == 6  # the first sweep finds everything it needs


def test_compare_table_and_csv(tmp_path, capsys):
    spec = write(tmp_path / "cmp.toml", spec_text(name="cmp", reps=4, until="2027-12", key_dates=["2027-12"],
                                                 scenarios=("calibrated", "funding_minus50")))
    db = tmp_path / "cmp.db"
    assert execute(build_plan(load_spec(spec)), db, progress=False).stored == 8
    csv = tmp_path / "cmp.csv"
    code, out, err = cli(capsys, "compare", db, "--csv", csv, "--reference", "calibrated")
    assert code == 0, err
    assert "kpi5_skilled at 2027-12" in out and "diff vs calibrated" in out
    t = pd.read_csv(csv)
    assert list(t.columns) == ["scenario", "outcome", "date", "n", "median", "q05", "q95", "diff_median", "diff_q05",
                               "diff_q95", "paired"]
    assert len(t) == 2 * 3 and set(t["n"]) == {4} and set(t["paired"]) == {4}
    base = t[t["scenario"] == "calibrated"].set_index("outcome")
    cut = t[t["scenario"] == "funding_minus50"].set_index("outcome")
    assert (base["diff_median"] == 0).all() and (base["q05"] <= base["median"]).all()
    assert cut.at["kpi5_skilled", "diff_median"] < 0 and cut.at["kpi5_skilled", "diff_q95"] <= 0  # halved funding
    summ = rows(db, "SELECT s.value FROM summaries s JOIN runs r USING (run_id) WHERE r.scenario = 'calibrated' "
                    "AND s.outcome = 'kpi5_skilled'")
    assert base.at["kpi5_skilled", "median"] == pytest.approx(pd.Series([v for (v,) in summ]).median())


SENS = """
name = "{name}"
base = "{base}"
seed = 5
replications = 1
until = "2027-12"
outputs = ["partners_total", "kpi5_skilled"]
key_dates = ["2027-12"]
[overrides]
simulation.region = "midden"
[design]
kind = "{kind}"
samples = {samples}
[factors.funding]
key = "funding.multiplier"
bounds = [0.3, 1.0]
[factors.noord_connector]      # inert: Noord never runs in a Midden-only run
key = "hubs.noord.connector_after"
bounds = [0.0, 0.5]
"""


@pytest.mark.parametrize("kind, samples, runs", [("morris", 4, 12), ("sobol", 8, 32)])
def test_sensitivity(tmp_path, capsys, kind, samples, runs):
    spec = write(tmp_path / f"{kind}.toml", SENS.format(name=kind, base=LIB / "uncalibrated.toml", kind=kind,
                                                        samples=samples))
    db = tmp_path / "sens.db"
    plan = build_plan(load_spec(spec))
    res = execute(plan, db, progress=False)
    assert len(plan.runs) == runs and res.stored == res.planned == len(plan.unique_runs)  # repeated points run once
    png, csv = tmp_path / "s.png", tmp_path / "s.csv"
    code, out, err = cli(capsys, "sensitivity", spec, "--db", db, "--png", png, "--csv", csv)
    assert code == 0, err
    assert "productivity_index@2030-12: not kept" in err  # a default outcome the sweep did not keep
    assert "kpi5_skilled at 2027-12" in out and "partners_total at 2027-12" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    t = pd.read_csv(csv).set_index(["outcome", "factor"])
    if kind == "morris":
        assert {"mu_star", "mu_star_conf", "mu", "sigma"} <= set(t.columns)
        assert t.at[("kpi5_skilled", "funding"), "mu_star"] > 0
        assert t.at[("kpi5_skilled", "noord_connector"), "mu_star"] == 0  # an inert factor has no effect at all
    else:
        assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(t.columns)
        # 8 base samples: the estimate varies widely with the seed (0.33-1.62 over seeds 1-10), so only "an effect"
        assert t.at[("kpi5_skilled", "funding"), "ST"] > 0
        assert t.at[("kpi5_skilled", "noord_connector"), "ST"] == 0


def test_sensitivity_needs_the_whole_sweep(tmp_path):
    from propeller.app.analysis import sensitivity
    from propeller.app.store import StoreError

    spec = write(tmp_path / "m.toml", SENS.format(name="m", base=LIB / "uncalibrated.toml", kind="morris", samples=4))
    plan = build_plan(load_spec(spec))
    db = tmp_path / "m.db"
    execute(plan, db, progress=False)
    sensitivity(db, sweep_id=plan.sweep_id)
    with sqlite3.connect(db) as c:  # as if the sweep had been interrupted
        c.execute("DELETE FROM runs WHERE run_id IN (SELECT run_id FROM runs LIMIT 3)")
    with pytest.raises(StoreError, match="3 missing"):
        sensitivity(db, sweep_id=plan.sweep_id)
    assert code_version() == plan.code_version


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path):
    spec = write(tmp_path / "int.toml", spec_text(name="int", reps=30, until="2026-12"))
    db = tmp_path / "int.db"
    cmd = [str(Path(sys.executable).parent / "propeller"), "sweep", str(spec), "--db", str(db), "--workers", "1",
           "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            try:
                if db.exists() and rows(db, "SELECT COUNT(*) FROM runs")[0][0] >= 3:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "run the same command again" in err
    stored = rows(db, "SELECT COUNT(*) FROM runs")[0][0]
    assert 3 <= stored < 60 and rows(db, "PRAGMA integrity_check") == [("ok",)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and f"{stored} already stored, {60 - stored} to run" in r.stderr, r.stderr
    assert rows(db, "SELECT COUNT(DISTINCT run_id), COUNT(*) FROM runs") == [(60, 60)]


def test_posterior_sweep_compare_pairs_by_draw_and_seed(tmp_path):
    from propeller.app.analysis import compare

    spec = write(tmp_path / "post.toml", spec_text(name="post", reps=2, until="2027-12", key_dates=["2027-12"],
                                                   scenarios=("calibrated", "funding_minus50"),
                                                   extra="").replace("[overrides]", '[design]\nkind = "posterior"\n'
                                                                     'samples = 3\n[overrides]'))
    plan = build_plan(load_spec(spec))
    db = tmp_path / "post.db"
    assert execute(plan, db, progress=False).stored == 12
    table, info = compare(db, reference="calibrated")
    assert set(table["scenario"]) == {"calibrated", "funding_minus50"}
    assert set(table["n"]) == {6} and set(table["paired"]) == {6}  # 3 draws x 2 seeds, paired one to one
    cut = table[(table["scenario"] == "funding_minus50") & (table["outcome"] == "kpi5_skilled")].iloc[0]
    assert cut["diff_median"] < 0


def _whole_runs_only(db: Path, months: int) -> int:
    """The database is sound and holds only whole runs (each once, with all its months); returns the runs stored."""
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    n, distinct = rows(db, "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs")[0]
    assert n == distinct
    per_run = rows(db, "SELECT r.run_id, COUNT(o.month) FROM runs r LEFT JOIN outcomes o USING (run_id) "
                       "WHERE r.status = 'done' GROUP BY r.run_id")
    assert all(k == months for _, k in per_run), per_run
    assert rows(db, "SELECT COUNT(*) FROM outcomes WHERE run_id NOT IN (SELECT run_id FROM runs)") == [(0,)]
    return n


def test_interrupted_at_random_moments_then_resumed(tmp_path):
    """SIGINT to the whole process group (what Ctrl-C in a terminal does) and SIGKILL, at seeded random moments -
    while Python starts, while the pool starts, between and during runs - serial and with two workers; after each
    the database is sound and holds whole runs only, no traceback was printed, and the same command finishes the
    sweep with every run stored exactly once."""
    import random

    import psutil

    spec = write(tmp_path / "rand.toml", spec_text(name="rand", reps=30, until="2025-06"))
    db = tmp_path / "rand.db"
    months = 16
    rng = random.Random(20261)
    exe = str(Path(sys.executable).parent / "propeller")
    rounds = [(signal.SIGINT, 2), (signal.SIGKILL, 2), (signal.SIGINT, 1), (signal.SIGKILL, 1), (signal.SIGINT, 2)]
    stored = 0
    for sig, workers in rounds:
        delay = rng.uniform(0.3, 7.0)
        proc = subprocess.Popen([exe, "sweep", str(spec), "--db", str(db), "--workers", str(workers), "--no-progress"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        children: list = []
        try:
            time.sleep(delay)
            if proc.poll() is None:
                with suppress(psutil.NoSuchProcess):
                    children = psutil.Process(proc.pid).children(recursive=True)
                os.killpg(proc.pid, sig)
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if sig == signal.SIGINT:
            assert proc.returncode in (130, 0, -signal.SIGINT), (delay, proc.returncode, err)
            assert "Traceback" not in err, f"after {delay:.2f} s:\n{err}"
            if proc.returncode == 130:
                assert err.strip().splitlines()[-1].startswith("propeller: interrupted"), err
        else:
            assert proc.returncode in (-signal.SIGKILL, 0), (delay, proc.returncode, err)
            gone, alive = psutil.wait_procs(children, timeout=15)  # workers notice that the parent is gone
            assert not alive
        if db.exists():
            now = _whole_runs_only(db, months)
            assert now >= stored
            stored = now
    r = propeller("sweep", spec, "--db", db, "--workers", "1", "--no-progress")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert f"{stored} already stored, {60 - stored} to run" in r.stderr
    assert _whole_runs_only(db, months) == 60
    plan = build_plan(load_spec(spec))
    assert {x for (x,) in rows(db, "SELECT run_id FROM runs WHERE status = 'done'")} == {t["run_id"] for t in plan.runs}
    assert rows(db, "SELECT COUNT(*) FROM sweep_runs") == [(60,)]


def test_store_waits_for_another_writer_when_switching_to_wal(tmp_path):
    """Switching a new database to WAL needs an exclusive lock, and SQLite answers "database is locked" at once
    (no busy handler) while another process holds a write lock: two sweeps opening one new database at the same
    moment failed that way. Store now waits for the lock instead."""
    import threading

    db = tmp_path / "new.db"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction on the still-empty file
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    t0 = time.monotonic()
    with Store(db) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert dict(store.conn.execute("SELECT key, value FROM meta"))["schema_version"] == str(SCHEMA_VERSION)
    assert time.monotonic() - t0 >= 0.25  # it waited for the other writer
    release.join()
    holder.close()
