"""What a run gives the store: one planned run computed in a worker, its kept outcome columns (month by month) and
their values at the key dates, as plain data; and how a re-run is compared with what was stored.

Workers only compute; the parent stores each result in one transaction (``propeller.app.store``).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from propeller.app.sweeps.record import code_version, scenario_from_record
from propeller.app.sweeps.spec import ALWAYS_KEPT

# What a worker process imports before its first run (propeller.app.runner's forkserver preload).
PRELOAD = ("propeller.core.simulate", __name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def kept_outcomes(ts, outputs: Sequence[str], key_dates: Sequence[str]) -> dict[str, Any]:
    """The columns a run keeps (month, date and the outputs) and each output's value at each key date."""
    columns = {c: ts[c].tolist() for c in [*ALWAYS_KEPT, *outputs]}
    by_date = ts.set_index("date")
    return {"columns": columns, "summaries": [(o, d, float(by_date.at[d, o])) for o in outputs for d in key_dates]}


def run_task(task: Mapping[str, Any]) -> dict:
    """Run one planned run (in a worker): rebuild the scenario from the record, simulate, keep the outputs.

    Returns plain data for the parent to store; never raises for a model error (status 'failed')."""
    from propeller.core.simulate import simulate

    t0 = time.perf_counter()
    result = {"run_id": task["run_id"], "worker": f"{socket.gethostname()}:{os.getpid()}",
              "worker_code_version": code_version(), "started": _now()}
    try:
        if result["worker_code_version"] != task["code_version"]:
            raise RuntimeError(f"worker code version {result['worker_code_version']} differs from the plan's "
                               f"{task['code_version']}")
        out = simulate(scenario_from_record(task["params"]), seed=int(task["seed"]))
        result.update(kept_outcomes(out["timeseries"], task["outputs"], task["key_dates"]), status="done", error=None)
    except Exception as exc:  # noqa: BLE001 - a failed run is stored as failed, the sweep goes on
        result.update(status="failed", error=f"{type(exc).__name__}: {exc}", columns=None, summaries=None)
    result["ended"] = _now()
    result["seconds"] = time.perf_counter() - t0
    return result


def differences(result: Mapping[str, Any], stored, stored_summaries: Mapping[tuple[str, str], float],
                outputs: Sequence[str]) -> list[str]:
    """The kept columns (``stored``: a frame) and ``outcome@date`` summaries in which a re-run differs."""
    cols = result["columns"]
    diff = [c for c in [*ALWAYS_KEPT, *outputs] if stored[c].tolist() != cols[c]]
    diff += [f"{o}@{d}" for o, d, v in result["summaries"] if stored_summaries.get((o, d)) != v]
    return diff
