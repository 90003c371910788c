"""A run's complete, self-contained description and its identity.

- The **record** of a run is the full flat parameter dict of its scenario (transition rates included); workers
  rebuild the scenario from it (``scenario_from_record``), so re-running a stored run from its record is the same
  computation as the sweep's.
- The seed of replication ``r`` is drawn from ``numpy.random.SeedSequence(spec seed, spawn_key=(r,))`` (or
  ``(point, r)``), from the spec only, never from execution order.
- ``run_id`` is a hash of scenario name, record, transition table, seed, horizon and ``code_version()`` (a digest
  of the model source files and the versions of the numerical packages), so the same run is stored once, whichever
  sweep or process asks for it, and a changed model gives new run ids instead of mixing results.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from propeller.scenarios.loader import DEFAULTS, SCENARIO_DIR, Scenario, load, read_table

# The numerical packages whose versions are part of code_version() (they can change a run's numbers).
_VERSIONED_PACKAGES = ("numpy", "numba", "llvmlite", "networkx", "mesa", "pandas", "scipy")


@functools.lru_cache(maxsize=1)
def baseline() -> Scenario:
    """The baseline scenario, loaded once per process (the schema every record is validated against)."""
    return load(DEFAULTS)


@functools.lru_cache(maxsize=16)
def _table(ref: str):
    return read_table(_table_path(ref))


def _table_path(ref: str) -> Path:
    p = Path(ref)
    return p if p.is_absolute() else SCENARIO_DIR / p


def _table_ref(path: str) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(SCENARIO_DIR))
    except ValueError:
        return str(p)


@functools.lru_cache(maxsize=16)
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def record_params(scenario: Scenario) -> dict[str, Any]:
    """The flat parameters of a scenario plus every transition rate: enough to rebuild it exactly."""
    params = dict(scenario.params)
    params["propeller.table"] = _table_ref(params["propeller.table"])
    params.update({t.key: t.rate for t in scenario.transitions})
    return params


def scenario_from_record(params: Mapping[str, Any]) -> Scenario:
    """Rebuild the scenario of a stored run from its record (validated like any override)."""
    ref = params["propeller.table"]
    base = baseline()
    sc = Scenario(dict(base.params), list(_table(ref)), ["record"])
    sc = sc.with_overrides({k: v for k, v in params.items() if k != "propeller.table"}, origin="record")
    sc.params["propeller.table"] = str(_table_path(ref))
    return sc


def model_files() -> list[Path]:
    """The source files whose digest is part of code_version(): the simulation core (propeller/core/**/*.py) and
    the scenario loader. The application (the sweeps among it) never changes a run's numbers, and the core
    imports nothing from it (tests/test_architecture.py), so no list of exclusions is needed."""
    import propeller.core
    import propeller.scenarios

    core = Path(propeller.core.__file__).resolve().parent
    scenarios = Path(propeller.scenarios.__file__).resolve().parent
    return (sorted(p for p in core.rglob("*.py") if "__pycache__" not in p.parts)
            + sorted(p for p in scenarios.glob("*.py")))


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Version of the code that produces a run's numbers: package version + digest of the simulation core and
    the scenario loader (:func:`model_files`, by path inside the package) and the numerical packages' versions."""
    from importlib.metadata import PackageNotFoundError, version

    import propeller

    root = Path(propeller.__file__).resolve().parent.parent
    h = hashlib.sha256()
    for f in model_files():
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    for pkg in _VERSIONED_PACKAGES:
        try:
            h.update(f"{pkg}=={version(pkg)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{pkg}==?\0".encode())
    try:
        own = version("propeller")
    except PackageNotFoundError:
        own = "0"
    return f"{own}+{h.hexdigest()[:12]}"


def replication_seed(spec_seed: int, replication: int, point: int | None = None) -> int:
    """The seed of a replication, from the spec seed only (SeedSequence; never from execution order)."""
    key = (replication,) if point is None else (point, replication)
    return int(np.random.SeedSequence(spec_seed, spawn_key=key).generate_state(1, dtype=np.uint32)[0])


def point_digest(scenario: str, record: Mapping[str, Any]) -> str:
    """Digest of a design point: scenario name, record and the transition table's contents."""
    table = _file_digest(_table_path(record["propeller.table"]))
    blob = json.dumps([scenario, record, table], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def make_run_id(point_digest: str, seed: int, until: str, version: str) -> str:
    return hashlib.sha256(f"{point_digest}|{seed}|{until}|{version}".encode()).hexdigest()[:20]
