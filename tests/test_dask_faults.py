"""Lost machines on a real Dask cluster on 127.0.0.1 (``dask scheduler`` and ``dask worker`` processes, the way a
cluster is started by hand): a worker killed with SIGKILL mid-sweep - the sweep completes with every run stored once;
the scheduler killed mid-sweep - one clear line and exit code 1, and after a restart the same command resumes."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import pytest

pytestmark = pytest.mark.serial  # signals, kills or a browser against a clock: run alone (pyproject.toml)
ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
BIN = Path(sys.executable).parent
RUNS = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stored(db: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as c:
            return c.execute("SELECT COUNT(*) FROM runs WHERE status='done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "a") as out:
        return subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=30)


class Cluster:
    """A scheduler on a fixed port and workers of one thread each, as processes this test can kill."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.address = f"tcp://127.0.0.1:{port}"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def start_scheduler(self) -> None:
        self.scheduler = start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                "--no-dashboard"], self.folder / "scheduler.log")
        wait_for(self._listening, 60, "the scheduler")

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def start_workers(self, n: int) -> None:
        for i in range(n):
            self.workers.append(start([str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-nanny",
                                       "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{len(self.workers)}"],
                                      self.folder / f"worker{i}.log"))
        from distributed import Client

        with Client(self.address, timeout="30s") as c:
            c.wait_for_workers(len([w for w in self.workers if w.poll() is None]), timeout=60)

    def stop(self) -> None:
        stop(*self.workers, *([self.scheduler] if self.scheduler else []))
        self.workers = []


@contextmanager
def cluster(folder: Path, workers: int = 2):
    c = Cluster(folder, free_port())
    try:
        c.start_scheduler()
        c.start_workers(workers)
        yield c
    finally:
        c.stop()


def spec(folder: Path) -> Path:
    path = folder / "lost.toml"
    path.write_text(f'name = "lost"\nscenarios = [{json.dumps(str(LIB / "calibrated.toml"))}]\nseed = 2\n'
                    f'replications = {RUNS}\nuntil = "2026-12"\noutputs = ["partners_total", "kpi4_mkb"]\n'
                    '[overrides]\nsimulation.region = "midden"\n')
    return path


def sweep(spec_path: Path, db: Path, address: str) -> list[str]:
    return [str(BIN / "propeller"), "sweep", str(spec_path), "--db", str(db), "--scheduler", address, "--no-progress"]


def every_run_once(db: Path) -> None:
    with closing(sqlite3.connect(db)) as c:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs WHERE status='done'").fetchone() == (
            RUNS, RUNS)
        months = c.execute("SELECT COUNT(*) FROM outcomes GROUP BY run_id").fetchall()
        assert len(months) == RUNS and len(set(months)) == 1


def test_a_worker_killed_mid_sweep(tmp_path):
    db = tmp_path / "lost.db"
    with cluster(tmp_path, workers=2) as c:
        proc = subprocess.Popen(sweep(spec(tmp_path), db, c.address), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: stored(db) >= 3 or proc.poll() is not None, 120, "3 stored runs")
            assert proc.poll() is None, "the sweep ended before a worker could be killed"
            c.workers[0].send_signal(signal.SIGKILL)  # the worker process itself (no nanny to restart it)
            c.workers[0].wait(timeout=10)
            killed_at = stored(db)
            out, err = proc.communicate(timeout=240)
        finally:
            stop(proc)
    assert killed_at < RUNS, "the sweep was over before the worker was killed"
    assert proc.returncode == 0, err
    assert f"{RUNS} of {RUNS} runs stored" in out, out
    every_run_once(db)


def test_the_scheduler_killed_mid_sweep_then_resumed(tmp_path):
    db = tmp_path / "lost.db"
    path = spec(tmp_path)
    port = free_port()
    c = Cluster(tmp_path, port)
    try:
        c.start_scheduler()
        c.start_workers(2)
        proc = subprocess.Popen(sweep(path, db, c.address), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            wait_for(lambda: stored(db) >= 3 or proc.poll() is not None, 120, "3 stored runs")
            assert proc.poll() is None, "the sweep ended before the scheduler could be killed"
            c.scheduler.send_signal(signal.SIGKILL)
            t0 = time.monotonic()
            out, err = proc.communicate(timeout=120)
            waited = time.monotonic() - t0
        finally:
            stop(proc)
        c.stop()
        assert proc.returncode == 1, err
        lines = [ln for ln in err.strip().splitlines() if ln.startswith("propeller")]
        assert len(lines) == 1 and "Traceback" not in err, err
        line = lines[0]
        assert line.startswith(f"propeller: --scheduler {c.address}: lost the Dask scheduler"), line
        assert "run the same command again" in line, line
        print(f"scheduler lost: the sweep stopped {waited:.1f} s later: {line}")
        before = stored(db)
        assert 3 <= before < RUNS
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        c.start_scheduler()  # the same address again
        c.start_workers(2)
        r = subprocess.run(sweep(path, db, c.address), cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert f"{RUNS} runs, {before} already stored, {RUNS - before} to run" in r.stderr, r.stderr
        every_run_once(db)
    finally:
        c.stop()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s"]))
