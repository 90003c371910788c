"""Same scenario + seed -> identical results; agents are an interface that does not change them."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from propeller import PropellerModel, simulate, simulate_many
from propeller.scenarios.loader import DEFAULTS, load


def test_same_seed_identical_outcomes(baseline):
    a = simulate(baseline, seed=11, until="2026-06")
    b = simulate(baseline, seed=11, until="2026-06")
    for key in ("timeseries", "occupancy", "partners_by_hub_type", "participants"):
        pd.testing.assert_frame_equal(a[key], b[key])


def test_simulate_many_equals_separate_calls(baseline):
    """A batch of replications gives exactly what one call per seed gives, in seed order."""
    west = baseline.with_overrides({"simulation.region": "west"}, origin="test")
    seeds = [5, 2, 5]
    batch = simulate_many(west, seeds, until="2025-06")
    assert [r["seed"] for r in batch] == seeds
    for seed, got in zip(seeds, batch, strict=True):
        one = simulate(west, seed=seed, until="2025-06")
        for key in ("timeseries", "occupancy", "partners_by_hub_type", "participants"):
            pd.testing.assert_frame_equal(got[key], one[key])
        assert got["final_persons"] == one["final_persons"] and got["params"] == one["params"]
    assert not batch[0]["timeseries"].equals(batch[1]["timeseries"])


def test_different_seeds_differ(baseline):
    a = simulate(baseline, seed=1, until="2025-09")["timeseries"]
    b = simulate(baseline, seed=2, until="2025-09")["timeseries"]
    assert not a.equals(b)


def test_graph_is_seeded_networkx_included(baseline):
    g1 = PropellerModel(baseline, rng=7, with_agents=False).graph
    g2 = PropellerModel(baseline, rng=7, with_agents=False).graph
    g3 = PropellerModel(baseline, rng=8, with_agents=False).graph
    assert nx.utils.graphs_equal(g1, g2)
    assert not nx.utils.graphs_equal(g1, g3)


def test_with_and_without_mesa_agents_identical(baseline):
    a = simulate(baseline, seed=3, until="2025-06", with_agents=True)["timeseries"]
    b = simulate(baseline, seed=3, until="2025-06", with_agents=False)["timeseries"]
    pd.testing.assert_frame_equal(a, b)


def test_simulate_accepts_paths_and_mappings(baseline):
    a = simulate("scenarios/calibrated.toml", seed=4, until="2024-12")["timeseries"]
    b = simulate({"simulation.until": "2024-12"}, seed=4)["timeseries"]
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 10 and a["date"].iloc[-1] == "2024-12"


# ------------------------------------------------------------------------------------------------ byte for byte
ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rows_digest(db: Path, sql: str) -> str:
    with closing(sqlite3.connect(db)) as c:
        return sha(repr(c.execute(sql).fetchall()).encode())


def _cli(*args, hashseed: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}  # set and dict orders differ between these processes
    return subprocess.run([sys.executable, "-m", "propeller.app.cli", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_timeseries_csv_is_byte_identical_across_processes(tmp_path):
    """The same scenario and seed give the same timeseries.csv bytes in this process and in two fresh processes
    with different hash seeds, and the same database tables."""
    args = ["run", "scenarios/uncalibrated_defaults.toml", "--set", "simulation.region=oost", "--until", "2025-09", "--seed", "7"]
    for name, hashseed in (("a", "0"), ("b", "4242")):
        r = _cli(*args, "--out", tmp_path / name, hashseed=hashseed)
        assert r.returncode == 0, r.stderr
    here = simulate(load(DEFAULTS, overrides={"simulation.region": "oost"}), seed=7, until="2025-09")
    mine = tmp_path / "here.csv"
    here["timeseries"].to_csv(mine, index=False)
    digests = {sha((tmp_path / n / "timeseries.csv").read_bytes()) for n in ("a", "b")} | {sha(mine.read_bytes())}
    assert len(digests) == 1
    for table in ("timeseries", "occupancy", "partners_by_hub_type", "participants", "parameters"):
        assert rows_digest(tmp_path / "a" / "propeller.db", f"SELECT * FROM {table} ORDER BY rowid") == \
            rows_digest(tmp_path / "b" / "propeller.db", f"SELECT * FROM {table} ORDER BY rowid"), table


def test_sweep_outcomes_identical_across_executors_processes_and_repeats(tmp_path):
    """One plan stored by the serial runner, the forkserver process pool, a Dask LocalCluster on 127.0.0.1, the serial
    runner again, and `propeller sweep` in a fresh process: the outcomes and summaries tables hash the same, and
    they are the timeseries of simulate() for the same scenario and seed."""
    from distributed import LocalCluster

    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.execute import execute
    from propeller.app.sweeps.record import scenario_from_record
    from propeller.app.sweeps.spec import load_spec

    spec = tmp_path / "rep.toml"
    spec.write_text(f'name = "rep"\nscenarios = ["{LIB / "uncalibrated.toml"}", "{LIB / "funding_minus50.toml"}"]\n'
                    'seed = 5\nreplications = 2\nuntil = "2025-03"\noutputs = ["partners_total", "kpi5_skilled", '
                    '"productivity_index"]\nkey_dates = ["2024-09", "2025-03"]\n[overrides]\n'
                    'simulation.region = "midden"\n')
    plan = build_plan(load_spec(spec))
    dbs = {k: tmp_path / f"{k}.db" for k in ("serial", "pool", "dask", "again", "process")}
    execute(plan, dbs["serial"], workers=1, progress=False)
    execute(build_plan(load_spec(spec)), dbs["pool"], workers=2, progress=False)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        execute(build_plan(load_spec(spec)), dbs["dask"], scheduler=cluster.scheduler_address, progress=False)
    execute(build_plan(load_spec(spec)), dbs["again"], workers=1, progress=False)
    r = _cli("sweep", spec, "--db", dbs["process"], "--workers", "1", "--no-progress", hashseed="31337")
    assert r.returncode == 0, r.stderr
    for sql in ("SELECT * FROM outcomes ORDER BY run_id, month",
                "SELECT * FROM summaries ORDER BY run_id, outcome, date",
                "SELECT run_id, params, seed, until, code_version, status FROM runs ORDER BY run_id"):
        digests = {k: rows_digest(db, sql) for k, db in dbs.items()}
        assert len(set(digests.values())) == 1, (sql, digests)
    with closing(sqlite3.connect(dbs["serial"])) as c:
        assert c.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 4
    # ... and what the sweep stored is what simulate() gives for the run's scenario and seed
    task = plan.runs[3]
    direct = simulate(scenario_from_record(task["params"]), seed=task["seed"])["timeseries"]
    cols = ["month", "date", "partners_total", "kpi5_skilled", "productivity_index"]
    with closing(sqlite3.connect(dbs["serial"])) as c:
        stored = c.execute(f"SELECT {', '.join(cols)} FROM outcomes WHERE run_id = ? ORDER BY month",
                           (task["run_id"],)).fetchall()
    assert sha(repr(stored).encode()) == sha(repr(list(direct[cols].itertuples(index=False, name=None))).encode())


def test_growth_and_counts_beside_give_the_serial_results(monkeypatch):
    """From ``PropellerModel.beside_min_orgs`` organisations on (the national run), relation growth runs in the helper
    thread beside the propeller move and each month's counts beside the next month. Forced on for an all-hubs run,
    every output equals the serial run's - and the helper did run (growth outside the intake month, counts monthly)."""
    from propeller.core import helper
    from propeller.scenarios.loader import CALIBRATED

    scenario = load(CALIBRATED)
    serial = simulate(scenario, seed=4, until="2026-12")
    jobs = []
    pool = helper.thread

    def counting_thread():
        jobs.append(1)
        return pool()

    monkeypatch.setattr(PropellerModel, "beside_min_orgs", 0)
    monkeypatch.setattr(helper, "thread", counting_thread)
    beside = simulate(scenario, seed=4, until="2026-12")
    assert len(jobs) > 34 + 20  # 34 months of counts; growth in the 31 outside the intake months
    for key in ("timeseries", "occupancy", "partners_by_hub_type", "participants"):
        pd.testing.assert_frame_equal(serial[key], beside[key])
    assert serial["final_persons"] == beside["final_persons"]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # the case under test
def test_a_forked_child_gets_its_own_helper_thread():
    """A process forked after the helper thread started (a user's own fork pool) must not send jobs to the parent's
    thread, which the child does not have: they would never run."""
    import multiprocessing

    from propeller.core import helper

    assert helper.thread().submit(lambda: 1).result(timeout=10) == 1
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply_async(_helper_job_in_child).get(timeout=60) == 2


def _helper_job_in_child() -> int:
    from propeller.core import helper

    return helper.thread().submit(lambda: 2).result(timeout=10)
