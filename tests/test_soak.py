"""Soak: ``propeller sweep`` of 5,000 small runs (Midden, 2024-03 .. 2024-06, 2 pool workers) keeps memory flat and
ends with a valid store holding every run once.

The test samples the resident set of the sweep's process tree (the parent that writes the database, the forkserver
and its workers) and the number of runs stored, while the sweep runs. The slope is a least-squares fit of the
tree's resident set against runs stored, after the first 1,000 (imports, compiled kernels, allocator pools and
SQLite's page cache fill up by then), in MB per 1,000 runs; the test prints it. A leak of a few kB a run - a model
kept by a worker, a result kept by the parent - shows as several MB per 1,000 runs."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
RUNS = 5_000
WARMUP = 1_000
MAX_SLOPE_MB_PER_1000 = 3.0  # measured: see docs/reliability.md (about 0.1-0.5 MB)


def tree_rss_mb(proc) -> float:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 1e6


def stored(db: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as c:
            return c.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_sweep_of_5000_runs_keeps_memory_flat(tmp_path):
    import psutil

    spec = tmp_path / "soak.toml"
    spec.write_text(f'name = "soak"\nscenarios = [{json.dumps(str(LIB / "calibrated.toml"))}]\nseed = 1\n'
                    f'replications = {RUNS}\nuntil = "2024-06"\noutputs = ["partners_total"]\nkey_dates = ["2024-06"]\n'
                    '[overrides]\nsimulation.region = "midden"\n')
    db = tmp_path / "soak.db"
    exe = Path(sys.executable).parent / "propeller"
    proc = subprocess.Popen([str(exe), "sweep", str(spec), "--db", str(db), "--workers", "2", "--no-progress"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[int, float]] = []
    try:
        while proc.poll() is None:
            n = stored(db) if db.exists() else 0
            if n:
                samples.append((n, tree_rss_mb(ps)))
            time.sleep(0.25)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    with closing(sqlite3.connect(db)) as c:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs WHERE status='done'").fetchone() == (
            RUNS, RUNS)
        assert c.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0] == RUNS * 4  # 2024-03 .. 2024-06
    late = np.array([(n, mb) for n, mb in samples if WARMUP <= n < RUNS])  # (at RUNS the processes are ending)
    assert len(late) >= 20, f"too few samples after the warm-up: {len(late)}"
    slope = np.polyfit(late[:, 0], late[:, 1], 1)[0] * 1000
    print(f"soak: {RUNS} runs, {len(samples)} samples, resident set of the sweep's processes "
          f"{late[0, 1]:.0f} MB at {late[0, 0]:.0f} runs -> {late[-1, 1]:.0f} MB at {late[-1, 0]:.0f}; "
          f"slope {slope:+.2f} MB per 1,000 runs")
    assert slope < MAX_SLOPE_MB_PER_1000, f"memory grows by {slope:.2f} MB per 1,000 runs"
