"""Faults of the machine and of the files: a file-size limit hit while a command writes, damaged, read-only and locked
sweep databases. Each case runs the real command in a subprocess and checks one clear line, the exit code, that no
file is half-written, that the database passes SQLite's integrity check with nothing lost, and that the same command
completes once the fault is gone.

A file-size limit (``ulimit -f``, RLIMIT_FSIZE) stands in for a full disk: the write that crosses it fails with
EFBIG just as one on a full disk fails with ENOSPC (SQLite reports both as a failed write), and it needs no
privileges, so the test runs the same on every machine."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
OUTPUTS = ["partners_total", "kpi4_mkb", "kpi5_skilled", "adopted_share", "productivity_index"]
NOBODY = 65534


def spec_text(name: str, reps: int, until: str = "2026-12") -> str:
    return (f'name = "{name}"\nscenarios = ["{LIB / "calibrated.toml"}"]\nseed = 5\nreplications = {reps}\n'
            f'until = "{until}"\noutputs = {json.dumps(OUTPUTS)}\n[overrides]\nsimulation.region = "midden"\n')


def command(*args) -> list[str]:
    exe = Path(sys.executable).parent / "propeller"
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "propeller.app.cli"]) + [str(a) for a in args]


def limited(nbytes: int):
    """preexec_fn: no file this process writes may grow beyond ``nbytes`` (what ``ulimit -f`` sets)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))


CAP_DAC_OVERRIDE, PR_CAPBSET_DROP = 1, 24  # linux/capability.h, linux/prctl.h


def drop_dac_override() -> None:
    """Give up root's power to write files whose permission bits forbid it, for this process and what it executes
    (removed from the capability bounding set). OSError when not allowed."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE)")


def run(args: list[str], limit: int | None = None, env: dict | None = None, as_user: bool = False,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """The command in a subprocess: with ``limit``, under a file-size limit; with ``as_user``, bound by permission
    bits as an ordinary user is (root gives up CAP_DAC_OVERRIDE)."""
    def pre():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if as_user and os.geteuid() == 0:
            drop_dac_override()

    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=pre if (limit is not None or as_user) else None,
                          env={**os.environ, **(env or {})})


def rows(db: Path, sql: str) -> list:
    with closing(sqlite3.connect(db)) as c:
        return c.execute(sql).fetchall()


def last_line(r: subprocess.CompletedProcess) -> str:
    """The command's error: exactly one line on standard error after what it printed on starting."""
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.startswith("propeller")]
    assert lines and "Traceback" not in r.stderr, r.stderr
    return lines[-1]


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden temporary files included) with a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def stored_once(db: Path, n: int) -> None:
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs WHERE status='done'") == [(n, n)]
    per_run = rows(db, "SELECT COUNT(*) FROM outcomes GROUP BY run_id")
    assert len(per_run) == n and len(set(per_run)) == 1  # every stored run whole


# ------------------------------------------------------------------------------------------ no space left
@pytest.fixture(scope="module")
def sweep_db(tmp_path_factory) -> tuple[Path, Path]:
    """A 12-run sweep hit by a 300 kB file-size limit, then resumed without it (the test below checks both)."""
    d = tmp_path_factory.mktemp("full")
    spec = d / "fsz.toml"
    spec.write_text(spec_text("fsz", 12))
    db = d / "fsz.db"
    limited_run = run(command("sweep", spec, "--db", db, "--no-progress", "--workers", "1"), limit=300_000)
    resumed = run(command("sweep", spec, "--db", db, "--no-progress", "--workers", "1"))
    return spec, db, limited_run, resumed


def test_sweep_hits_a_file_size_limit_then_resumes(sweep_db):
    spec, db, limited_run, resumed = sweep_db
    assert limited_run.returncode == 1, limited_run.stderr
    line = last_line(limited_run)
    assert line.startswith(f"propeller: {db}: could not write: ") and "free space and run the same command" in line
    stored = int(line.split("; the ")[1].split()[0]) if "; the " in line else 0
    assert 1 <= stored < 12, line  # hit in the middle of the sweep
    # what the limited run left is a valid database with exactly the runs it said it stored (checked before resuming:
    # the resumed run says how many it found)
    assert resumed.returncode == 0, resumed.stderr
    assert f"12 runs, {stored} already stored, {12 - stored} to run" in resumed.stderr
    stored_once(db, 12)


def test_run_out_hits_a_file_size_limit(tmp_path):
    out = tmp_path / "baseline"
    args = command("run", LIB / "calibrated.toml", "--until", "2025-03", "--set", "simulation.region=midden",
                   "--out", out)
    first = run(args)
    assert first.returncode == 0, first.stderr
    before = tree(tmp_path)
    r = run(args + ["--seed", "9"], limit=20_000)
    assert r.returncode == 1, r.stderr
    line = last_line(r)
    assert line.startswith(f"propeller: {out}: could not write: ") and "nothing was half-written" in line, line
    assert tree(tmp_path) == before  # the earlier results as they were, no temporary folder left
    again = run(args + ["--seed", "9"])
    assert again.returncode == 0, again.stderr
    assert tree(tmp_path).keys() == before.keys() and tree(tmp_path) != before
    assert rows(out / "propeller.db", "PRAGMA integrity_check") == [("ok",)]


def test_report_hits_a_file_size_limit(sweep_db, tmp_path):
    _, db, _, _ = sweep_db
    out = tmp_path / "report.html"
    out.write_text("the old report\n")
    before = tree(tmp_path)
    args = command("report", db, "--out", out, "--reruns", "1")
    r = run(args, limit=100_000)
    assert r.returncode == 1, r.stderr
    assert last_line(r).startswith(f"propeller: {out}: could not write: "), r.stderr
    assert tree(tmp_path) == before
    again = run(args)
    assert again.returncode == 0, again.stderr
    assert out.read_text().lower().startswith("<!doctype html>") and len(tree(tmp_path)) == 1


TINY_CALIBRATION = """
import sys
import propeller.calibration.run as run
run.QUICK = run.Settings(n_particles=10, generations=1, max_simulations=30, predictive_draws=4, driver_draws=0)
from propeller.app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_calibration_hits_a_file_size_limit(tmp_path):
    """`propeller calibrate --quick --out DIR`, its method shrunk to 10 simulations (the fit is not what is tested:
    its writing is)."""
    out = tmp_path / "cal"
    args = [sys.executable, "-c", TINY_CALIBRATION, "calibrate", "--quick", "--out", str(out)]
    r = run(args, limit=100_000)
    assert r.returncode == 1, r.stderr
    line = last_line(r)
    assert line.startswith(f"propeller: {out}: could not write: ") and "nothing was half-written" in line, line
    assert list(tmp_path.iterdir()) == []  # no results folder, no temporary folder
    again = run(args)
    assert again.returncode == 0, again.stderr
    assert {"posterior.db", "calibrated.toml", "posterior.csv", "report.md"} <= {p.name for p in out.iterdir()}
    assert rows(out / "posterior.db", "PRAGMA integrity_check") == [("ok",)]


# ------------------------------------------------------------------------------------------ damaged databases
@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> tuple[Path, Path]:
    """A valid 4-run sweep database and its spec, with room for 2 more runs (a spec of 6)."""
    d = tmp_path_factory.mktemp("valid")
    small = d / "four.toml"
    small.write_text(spec_text("four", 4, until="2025-09"))
    db = d / "valid.db"
    r = run(command("sweep", small, "--db", db, "--no-progress", "--workers", "1"))
    assert r.returncode == 0, r.stderr
    more = d / "six.toml"
    more.write_text(spec_text("four", 6, until="2025-09"))
    return db, more


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damaged_copy(valid_db: Path, folder: Path, how: str) -> Path:
    db = folder / f"{how}.db"
    shutil.copy(valid_db, db)
    data = bytearray(db.read_bytes())
    page = 4096
    if how == "truncated":
        data = data[: len(data) // 2]
    else:  # the root page of the summaries table (every reader of a sweep reads it) overwritten with garbage
        (root,) = rows(valid_db, "SELECT rootpage FROM sqlite_master WHERE name='summaries'")[0]
        start = (root - 1) * page
        data[start:start + page] = bytes(__import__("random").Random(7).randrange(256) for _ in range(page))
    db.write_bytes(bytes(data))
    return db


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_damaged_databases_are_refused_in_one_line(valid, tmp_path, how):
    valid_db, more = valid
    db = damaged_copy(valid_db, tmp_path, how)
    damaged = sha(db)
    for args in (["compare", db], ["report", db, "--out", tmp_path / "r.html", "--reruns", "1"],
                 ["sweep", more, "--db", db, "--no-progress"]):
        r = run(command(*args))
        assert r.returncode == 2, (args, r.stderr)
        line = last_line(r)
        assert line.startswith(f"propeller: {db}: (file): expected an intact SQLite sweep database (this one is damaged"), line
        assert ".recover" in line
        assert sha(db) == damaged  # a writer never adds to a damaged database
    assert not (tmp_path / "r.html").exists()


def test_a_read_only_database_is_read_but_never_written(valid, tmp_path):
    """The file is read-only (0444) for the user running the command - as root, who ignores permission bits, the
    command gives up that power first: a sweep is refused in one line and the file is unchanged; compare and report
    read it."""
    valid_db, more = valid
    if os.geteuid() == 0:
        probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=drop_dac_override, capture_output=True)
        if probe.returncode != 0:
            pytest.skip("running as root without the right to give up CAP_DAC_OVERRIDE: no file is read-only here")
    db = tmp_path / "ro.db"
    shutil.copy(valid_db, db)
    os.chmod(db, 0o444)
    before = sha(db)
    r = run(command("sweep", more, "--db", db, "--no-progress"), as_user=True)
    assert r.returncode == 2, r.stderr
    line = last_line(r)
    assert line.startswith(f"propeller: {db}: (file): expected a database this command can write (this one is "
                           "read-only"), line
    assert sha(db) == before
    r = run(command("compare", db), as_user=True)
    assert r.returncode == 0 and "partners_total" in r.stdout, r.stderr
    r = run(command("report", db, "--out", tmp_path / "r.html", "--reruns", "1"), as_user=True)
    assert r.returncode == 0 and (tmp_path / "r.html").exists(), r.stderr
    assert sha(db) == before
    # SQLite's read-only handle on a WAL database makes its shared-memory index beside it (an empty -wal with it)
    left = {p.name: p.stat().st_size for p in tmp_path.iterdir()}
    assert left.keys() <= {"r.html", "ro.db", "ro.db-shm", "ro.db-wal"} and left.get("ro.db-wal", 0) == 0, left


HOLD_LOCK = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
"""


def test_a_database_locked_longer_than_the_timeout(valid, tmp_path):
    valid_db, more = valid
    db = tmp_path / "locked.db"
    shutil.copy(valid_db, db)
    before = rows(db, "SELECT * FROM summaries ORDER BY run_id, outcome, date")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        r = run(command("sweep", more, "--db", db, "--no-progress"), env={"PROPELLER_DB_TIMEOUT": "1"})
        waited = time.monotonic() - t0
        assert r.returncode == 1, r.stderr
        line = last_line(r)
        assert line.startswith(f"propeller: {db}: another process has kept the database locked for more than 1 s"), line
        assert "run the same command again" in line and waited < 50
        r = run(command("compare", db))  # readers are not blocked by a writer (WAL)
        assert r.returncode == 0, r.stderr
    finally:
        holder.kill()
        holder.wait()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT * FROM summaries ORDER BY run_id, outcome, date") == before  # nothing lost
    r = run(command("sweep", more, "--db", db, "--no-progress"))
    assert r.returncode == 0 and "6 runs, 4 already stored, 2 to run" in r.stderr, r.stderr
    stored_once(db, 6)


def test_a_bad_timeout_is_one_line(valid):
    valid_db, more = valid
    r = run(command("sweep", more, "--db", valid_db, "--dry-run"), env={"PROPELLER_DB_TIMEOUT": "soon"})
    assert r.returncode == 2 and last_line(r) == ("propeller: environment variable PROPELLER_DB_TIMEOUT: "
                                                  "PROPELLER_DB_TIMEOUT: expected a number of seconds >= 0, got 'soon'")
