"""Scenario sweeps: a TOML spec -> a plan of runs -> executed serially, on a process pool or on Dask -> one SQLite store.

A **spec** (``scenarios/sweeps/*.toml``) names a base scenario or a list of scenarios, the factors to vary
(fixed levels on a grid, or a Latin hypercube, Sobol or Morris design drawn with SALib), the number of
replications, the horizon, the outcome columns to keep and the key dates to summarise. ``load_spec`` checks
it and raises :class:`SpecError` (one line: ``file: key: expected ...``) like the scenario loader.

A **plan** (``build_plan``) lists every run: design point x replication. Everything about a run is fixed by
the spec, never by execution order:

- the seed of replication ``r`` is drawn from ``numpy.random.SeedSequence(spec seed, spawn_key=(r,))``; with
  ``common_seeds = true`` (the default) every design point uses the same seeds (common random numbers, so a
  difference between scenarios is not blurred by seed noise), otherwise the key is ``(point, r)``;
- the run is described by its **record**: the full flat parameter dict of its scenario (transition rates
  included) plus seed and horizon. Workers rebuild the scenario from that record (``scenario_from_record``),
  so re-running a stored run from its record is the same computation as the sweep's;
- ``run_id`` is a hash of scenario name, record, seed, horizon and ``code_version()`` (a digest of the model
  source files and the versions of the numerical packages), so the same run is stored once, whichever sweep
  or process asks for it, and a changed model gives new run ids instead of mixing results.

``execute`` stores the runs that are not yet in the database (resumable), writing each run's rows in one
transaction from the parent process (workers only compute; see model/app/store.py).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import re
import signal
import socket
import sys
import time
import tomllib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from propeller.core.outputs import HEADLINE, INDEX, KEY_DATES
from propeller.core.outputs import names as output_names
from propeller.scenarios.loader import (
    SCENARIO_DIR,
    Scenario,
    ScenarioError,
    _date,
    _flatten,
    did_you_mean,
    key_hint,
    load,
    read_table,
)

DESIGNS = ("scenarios", "grid", "lhs", "sobol", "morris", "posterior")
SPEC_KEYS = ("name", "description", "base", "scenarios", "seed", "replications", "common_seeds", "until", "outputs",
             "key_dates", "overrides", "design", "factors")
DESIGN_KEYS = ("kind", "samples", "levels", "second_order", "file")
FACTOR_KEYS = ("key", "keys", "levels", "bounds", "scale")
DEFAULT_OUTPUTS = HEADLINE       # the outcome columns and dates are declared in propeller.core.outputs
DEFAULT_KEY_DATES = KEY_DATES
ALWAYS_KEPT = INDEX
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Modules that do not change a run's numbers: editing them keeps the run ids (see code_version).
_VERSIONED_PACKAGES = ("numpy", "numba", "llvmlite", "networkx", "mesa", "pandas", "scipy")


class SpecError(ScenarioError):
    """A problem in a sweep spec (or a sweep command), rendered as one line ``file: key: expected ...``."""


# ----------------------------------------------------------------------------------------------
# Spec
@dataclass(frozen=True)
class Factor:
    """One factor of a design: the dotted key(s) it sets, and its levels (grid) or bounds (sampled designs).
    With ``scale = true`` a value multiplies each key's value in the scenario instead of replacing it."""

    name: str
    keys: tuple[str, ...]
    levels: tuple | None = None
    bounds: tuple[float, float] | None = None
    scale: bool = False


@dataclass
class Spec:
    path: Path
    text: str
    name: str
    description: str
    scenarios: list[tuple[str, Path]]
    seed: int
    replications: int
    common_seeds: bool
    until: str | None
    outputs: tuple[str, ...]
    key_dates: tuple[str, ...] | None  # None: the defaults that the horizon reaches
    overrides: dict[str, Any]
    kind: str
    samples: int | None
    posterior: Path | None
    levels: int
    second_order: bool
    factors: list[Factor]


def _err(path: Path, key: str, expected: str, got: Any = None, show_got: bool = True, hint: str = "") -> SpecError:
    return SpecError(path, key, expected, got, show_got=show_got, hint=hint)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(path: Path, data: Mapping, key: str, default: int | None, lo: int, where: str | None = None) -> int | None:
    v = data.get(key, default)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise _err(path, where or key, f"an integer >= {lo}", v)
    return v


def load_spec(path: str | Path) -> Spec:
    """Read and check a sweep spec; raise SpecError (one line) on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise _err(path, "(file)", "an existing sweep spec file", show_got=False) from None
    except OSError as exc:
        raise _err(path, "(file)", f"a readable sweep spec file ({exc.strerror})", show_got=False) from None
    except UnicodeDecodeError:
        raise _err(path, "(syntax)", "a UTF-8 text file of TOML (this file is binary)", show_got=False) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(path, "(syntax)", f"valid TOML ({exc})", show_got=False) from None
    for key in data:
        if key not in SPEC_KEYS:
            raise _err(path, key, "a sweep spec key (" + ", ".join(SPEC_KEYS) + ")", show_got=False,
                       hint=did_you_mean(key, SPEC_KEYS))
    here = path.parent

    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        raise _err(path, "name", "a name of letters, digits, '_', '-', '.'", name)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _err(path, "description", "a string", description)

    def scenario_file(v: Any, key: str) -> tuple[str, Path]:
        if not isinstance(v, str) or not v:
            raise _err(path, key, "a scenario file path (relative to the spec)", v)
        p = (here / v).resolve()
        if not p.is_file():
            raise _err(path, key, "an existing scenario file", v)
        return p.stem, p

    base = scenario_file(data["base"], "base") if "base" in data else (
        "baseline", (SCENARIO_DIR / "library" / "baseline.toml").resolve())
    scenarios: list[tuple[str, Path]] = []
    if "scenarios" in data:
        items = data["scenarios"]
        if not isinstance(items, list) or not items:
            raise _err(path, "scenarios", "a non-empty list of scenario files", items)
        scenarios = [scenario_file(v, f"scenarios[{i}]") for i, v in enumerate(items)]
        names = [n for n, _ in scenarios]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise _err(path, "scenarios", "scenario files with different names", dup)

    seed = _int(path, data, "seed", 0, 0)
    replications = _int(path, data, "replications", 1, 1)
    common_seeds = data.get("common_seeds", True)
    if not isinstance(common_seeds, bool):
        raise _err(path, "common_seeds", "true/false", common_seeds)
    until = data.get("until")
    if until is not None and _date(until):
        raise _err(path, "until", _date(until), until)

    outputs = data.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise _err(path, "outputs", "a non-empty list of timeseries column names", outputs)
    if len(set(outputs)) != len(outputs):
        raise _err(path, "outputs", "column names without repeats", outputs)
    known = output_names()
    for i, o in enumerate(outputs):
        if o not in known or o in ALWAYS_KEPT:
            raise _err(path, f"outputs[{i}]", "an outcome column of the timeseries (docs/ODD.md §10.1; "
                       "date and month are always kept)", o, hint=did_you_mean(o, [c for c in known
                                                                                   if c not in ALWAYS_KEPT]))
    key_dates = data.get("key_dates")
    if key_dates is not None:
        if not isinstance(key_dates, list) or not key_dates:
            raise _err(path, "key_dates", "a non-empty list of dates 'YYYY-MM'", key_dates)
        for i, d in enumerate(key_dates):
            if _date(d):
                raise _err(path, f"key_dates[{i}]", _date(d), d)
        if len(set(key_dates)) != len(key_dates):
            raise _err(path, "key_dates", "dates without repeats", key_dates)
        key_dates = tuple(sorted(key_dates))

    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise _err(path, "overrides", "a table of dotted parameter keys", overrides)
    overrides = _flatten(overrides)

    design = data.get("design", {})
    if not isinstance(design, dict):
        raise _err(path, "design", "a table with kind, samples, levels, second_order", design)
    for key in design:
        if key not in DESIGN_KEYS:
            raise _err(path, f"design.{key}", "a design key (" + ", ".join(DESIGN_KEYS) + ")", show_got=False,
                       hint=did_you_mean(key, DESIGN_KEYS))
    raw_factors = data.get("factors", {})
    if not isinstance(raw_factors, dict):
        raise _err(path, "factors", "a table of factors ([factors.NAME] with key and levels or bounds)", raw_factors)
    kind = design.get("kind", "grid" if raw_factors else "scenarios")
    if not scenarios and not raw_factors and kind != "posterior":
        raise _err(path, "(sweep)", "a list of `scenarios` or a [factors] table: the sweep is empty", show_got=False)
    if kind not in DESIGNS:
        raise _err(path, "design.kind", "one of " + ", ".join(repr(d) for d in DESIGNS), kind,
                   hint=did_you_mean(kind, DESIGNS))
    if kind == "scenarios" and raw_factors:
        raise _err(path, "design.kind", "'grid', 'lhs', 'sobol' or 'morris' when [factors] are given", kind)
    if kind not in ("scenarios", "posterior") and not raw_factors:
        raise _err(path, "factors", f"at least one factor for design '{kind}': the sweep is empty", show_got=False)
    if kind == "posterior" and raw_factors:
        raise _err(path, "factors", "no [factors] for design 'posterior' (the posterior's columns are the factors)",
                   show_got=False)
    posterior = None
    if kind == "posterior":
        ref = design.get("file", str(SCENARIO_DIR / "posterior.csv"))
        if not isinstance(ref, str) or not (here / ref).is_file():
            raise _err(path, "design.file", "an existing posterior CSV (weight + one column per parameter; "
                       "default scenarios/posterior.csv)", ref)
        posterior = (here / ref).resolve()
    elif "file" in design:
        raise _err(path, "design.file", f"no file for design '{kind}' (only 'posterior' reads one)", show_got=False)
    sampled = kind in ("lhs", "sobol", "morris", "posterior")
    samples = _int(path, design, "samples", None, 2 if kind == "morris" else 1, "design.samples")
    if sampled and samples is None:
        what = {"morris": "trajectories", "posterior": "parameter sets to draw"}.get(kind, "samples")
        raise _err(path, "design.samples", f"the number of {what} for design '{kind}'", show_got=False)
    if kind == "sobol" and samples & (samples - 1):
        raise _err(path, "design.samples", "a power of 2 for a Sobol design (Saltelli base samples)", samples)
    levels = _int(path, design, "levels", 4, 2, "design.levels")
    if levels % 2:
        raise _err(path, "design.levels", "an even number of Morris grid levels", levels)
    second_order = design.get("second_order", False)
    if not isinstance(second_order, bool):
        raise _err(path, "design.second_order", "true/false", second_order)
    for key, only in (("second_order", ("sobol",)), ("levels", ("morris",)),
                      ("samples", ("lhs", "sobol", "morris", "posterior"))):
        if key in design and kind not in only:
            raise _err(path, f"design.{key}", f"no {key} for design '{kind}' (only {', '.join(only)})", show_got=False)

    factors: list[Factor] = []
    for fname, f in raw_factors.items():
        where = f"factors.{fname}"
        if not _IDENT.match(fname):
            raise _err(path, where, "a factor name that is a Python identifier (letters, digits, '_')", fname)
        if not isinstance(f, dict):
            raise _err(path, where, "a table with key (or keys) and levels or bounds", f)
        for key in f:
            if key not in FACTOR_KEYS:
                raise _err(path, f"{where}.{key}", "a factor key (" + ", ".join(FACTOR_KEYS) + ")", show_got=False,
                           hint=did_you_mean(key, FACTOR_KEYS))
        if ("key" in f) == ("keys" in f):
            raise _err(path, where, "exactly one of key = \"dotted.key\" or keys = [...]", show_got=False)
        keys = [f["key"]] if "key" in f else f["keys"]
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            raise _err(path, f"{where}.keys", "a non-empty list of dotted parameter keys", keys)
        scale = f.get("scale", False)
        if not isinstance(scale, bool):
            raise _err(path, f"{where}.scale", "true/false", scale)
        if sampled:
            if "levels" in f:
                raise _err(path, f"{where}.levels", f"bounds = [low, high] instead of levels for design '{kind}'",
                           show_got=False)
            b = f.get("bounds")
            if not (isinstance(b, list) and len(b) == 2 and all(_is_num(x) for x in b) and b[0] < b[1]):
                raise _err(path, f"{where}.bounds", "two numbers [low, high] with low < high", b)
            factors.append(Factor(fname, tuple(keys), bounds=(float(b[0]), float(b[1])), scale=scale))
        else:
            if "bounds" in f:
                raise _err(path, f"{where}.bounds", f"levels = [...] instead of bounds for design '{kind}'",
                           show_got=False)
            lv = f.get("levels")
            if not isinstance(lv, list) or not lv:
                raise _err(path, f"{where}.levels", "a non-empty list of levels", lv)
            if scale and not all(_is_num(x) for x in lv):
                raise _err(path, f"{where}.levels", "numbers (scale = true multiplies the scenario's value)", lv)
            factors.append(Factor(fname, tuple(keys), levels=tuple(lv), scale=scale))
    return Spec(path=path, text=text, name=name, description=description, scenarios=scenarios or [base], seed=seed,
                replications=replications, common_seeds=common_seeds, until=until, outputs=tuple(outputs),
                key_dates=key_dates, overrides=overrides, kind=kind, samples=samples, posterior=posterior, levels=levels,
                second_order=second_order, factors=factors)


# ----------------------------------------------------------------------------------------------
# Records: a run's complete, self-contained description
@functools.lru_cache(maxsize=1)
def _baseline() -> Scenario:
    return load()


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
    base = _baseline()
    sc = Scenario(dict(base.params), list(_table(ref)), ["record"])
    sc = sc.with_overrides({k: v for k, v in params.items() if k != "propeller.table"}, origin="record")
    sc.params["propeller.table"] = str(_table_path(ref))
    return sc


def model_files() -> list[Path]:
    """The source files whose digest is part of code_version(): the simulation core (propeller/core/**/*.py) and
    the scenario loader. The application (this module among it) never changes a run's numbers, and the core
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


def make_run_id(point_digest: str, seed: int, until: str, version: str) -> str:
    return hashlib.sha256(f"{point_digest}|{seed}|{until}|{version}".encode()).hexdigest()[:20]


def _point_digest(scenario: str, record: Mapping[str, Any]) -> str:
    table = _file_digest(_table_path(record["propeller.table"]))
    blob = json.dumps([scenario, record, table], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Plan
@dataclass
class Point:
    index: int
    scenario: str
    scenario_file: str
    label: str
    overrides: dict[str, Any]          # the factor values set at this point (dotted keys)
    x: list[float] | None              # factor values in design order (numeric designs)


@dataclass
class Plan:
    spec: Spec
    sweep_id: str
    code_version: str
    points: list[Point]
    runs: list[dict]                   # tasks: run_id, scenario, point, replication, seed, until, params, ...
    seeds: list[int] | None            # common seeds per replication (None without common seeds)
    problem: dict | None               # SALib problem (numeric designs)
    horizon: tuple[str, str] = ("", "")
    key_dates: tuple[str, ...] = field(default_factory=tuple)

    @property
    def unique_runs(self) -> list[dict]:
        seen: set[str] = set()
        out = []
        for t in self.runs:
            if t["run_id"] not in seen:
                seen.add(t["run_id"])
                out.append(t)
        return out


def _factor_points(spec: Spec) -> tuple[list[tuple], dict | None, np.ndarray | None]:
    """The factor values of every design point, the SALib problem and the design matrix."""
    if spec.kind == "scenarios":
        return [()], None, None
    if spec.kind == "posterior":
        return _posterior_draws(spec)[1], None, None
    if spec.kind == "grid":
        pts = list(itertools.product(*(f.levels for f in spec.factors)))
        numeric = all(_is_num(v) for p in pts for v in p)
        return pts, None, (np.array(pts, dtype=float) if numeric else None)
    problem = {"num_vars": len(spec.factors), "names": [f.name for f in spec.factors],
               "bounds": [list(f.bounds) for f in spec.factors]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.kind == "lhs":
            from SALib.sample import latin

            x = latin.sample(problem, spec.samples, seed=spec.seed)
        elif spec.kind == "sobol":
            from SALib.sample import sobol

            x = sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, scramble=True, seed=spec.seed)
        else:
            from SALib.sample import morris

            x = morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)
    return [tuple(float(v) for v in row) for row in x], problem, x


POSTERIOR_STREAM = 2**32 - 1  # SeedSequence spawn key of the posterior draw, apart from the replications' keys


def _posterior_draws(spec: Spec) -> tuple[list[str], list[tuple]]:
    """``samples`` parameter sets drawn with replacement, by weight, from the posterior CSV (seeded by the spec)."""
    import pandas as pd

    try:
        table = pd.read_csv(spec.posterior)
    except (ValueError, OSError) as exc:
        raise _err(spec.path, "design.file", f"a readable posterior CSV ({exc})", show_got=False) from None
    cols = [c for c in table.columns if c != "weight"]
    if "weight" not in table.columns or not cols or table.empty:
        raise _err(spec.path, "design.file", "a CSV with a weight column and one column per parameter",
                   str(spec.posterior))
    try:
        w = table["weight"].to_numpy(dtype=float)
        values = table[cols].to_numpy(dtype=float)
    except (ValueError, TypeError):
        raise _err(spec.path, "design.file", "a CSV of numbers (weight and one column per parameter)",
                   str(spec.posterior)) from None
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise _err(spec.path, "design.file", "non-negative weights with a positive sum", str(spec.posterior))
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(POSTERIOR_STREAM,)))
    idx = rng.choice(len(table), size=spec.samples, replace=True, p=w / w.sum())
    return cols, [tuple(float(v) for v in values[i]) for i in idx]


def _cast(like: Any, value: Any) -> Any:
    """A design value in the type of the parameter it sets (SALib draws floats; integer keys are rounded)."""
    if isinstance(like, bool) or not _is_num(value):
        return value
    if isinstance(like, int):
        return int(round(value))
    if isinstance(like, float):
        return float(value)
    return value


def _tail(exc: ScenarioError) -> str:
    return str(exc).split(": expected ", 1)[-1]


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return json.dumps(v) if not isinstance(v, str) else v


def build_plan(spec: Spec) -> Plan:
    """Every run of the spec: design points (scenario x factor values) x replications, with seeds and run ids."""
    version = code_version()
    points_values, problem, x = _factor_points(spec)
    start_dates, untils = [], []
    points: list[Point] = []
    runs: list[dict] = []
    seeds = [replication_seed(spec.seed, r) for r in range(spec.replications)] if spec.common_seeds else None
    key_of = {k: f.name for f in spec.factors for k in f.keys}
    factors = spec.factors
    calibrated = None
    if spec.kind == "posterior":
        # a posterior design varies the calibrated parameters: each draw is applied as its ratio to the calibrated
        # value, so a scenario that scales a calibrated parameter (e.g. 1.5 x recruitment) keeps its scaling
        cols, _ = _posterior_draws(spec)
        factors = [Factor(c, (c,), scale=True) for c in cols]
        key_of = {c: c for c in cols}
        cal_path = (SCENARIO_DIR / "calibrated.toml").resolve()
        calibrated = load(cal_path)
        for c in cols:
            if c not in calibrated.params or not _is_num(calibrated[c]) or calibrated[c] == 0:
                raise _err(spec.path, "design.file", "posterior columns that are non-zero numeric parameters of "
                           "scenarios/calibrated.toml", c)
    for scen_name, scen_path in spec.scenarios:
        base = load(scen_path)
        if calibrated is not None and str(cal_path) not in {str(Path(f).resolve()) for f in base.files}:
            raise _err(spec.path, "scenarios", "scenarios that extend scenarios/calibrated.toml for a posterior design",
                       scen_name)
        try:
            base = base.with_overrides(spec.overrides, origin="overrides") if spec.overrides else base
        except ScenarioError as exc:
            raise _err(spec.path, f"overrides.{exc.key}", _tail(exc), show_got=False) from None
        if spec.until is not None:
            try:
                base = base.with_overrides({"simulation.until": spec.until}, origin="until")
            except ScenarioError as exc:
                raise _err(spec.path, "until", _tail(exc), show_got=False) from None
        schema = dict(base.params)
        schema.update({t.key: t.rate for t in base.transitions})
        for f in factors:
            for k in f.keys:
                if k not in schema:
                    raise _err(spec.path, f"factors.{f.name}", "keys that exist in baseline.toml or the propeller "
                               "table (propeller.rates.<route>.<from>.<kind>)", k, hint=key_hint(k, schema))
                if f.scale and not _is_num(schema[k]):
                    raise _err(spec.path, f"factors.{f.name}.scale", f"numeric keys to scale ({k} is not)",
                               show_got=False)
        for draw, values in enumerate(points_values):
            overrides: dict[str, Any] = {}
            for f, v in zip(factors, values):
                if calibrated is not None:
                    v = v / calibrated[f.keys[0]]  # the draw relative to the calibrated value
                for k in f.keys:
                    overrides[k] = _cast(schema[k], schema[k] * v if f.scale else v)
            try:
                sc = base.with_overrides(overrides, origin="factors") if overrides else base
            except ScenarioError as exc:
                fname = key_of.get(exc.key, exc.key.split("[")[0])
                raise _err(spec.path, f"factors.{fname}", f"levels valid for {exc.key}: {_tail(exc)}",
                           show_got=False) from None
            record = record_params(sc)
            digest = _point_digest(scen_name, record)
            until = sc["simulation.until"]
            start_dates.append(sc["simulation.start"])
            untils.append(until)
            label = scen_name  # a posterior design: the draws of a scenario are one group (its uncertainty)
            if spec.factors:
                label += " [" + ", ".join(f"{f.name}={_fmt_value(v)}" for f, v in zip(spec.factors, values)) + "]"
            pt = Point(len(points), scen_name, str(scen_path), label, overrides,
                       [float(v) for v in values] if x is not None else None)
            points.append(pt)
            for r in range(spec.replications):
                if calibrated is not None and seeds is not None:  # common to the scenarios, new for every draw
                    seed = replication_seed(spec.seed, r, draw)
                else:
                    seed = seeds[r] if seeds is not None else replication_seed(spec.seed, r, pt.index)
                runs.append({"run_id": make_run_id(digest, seed, until, version), "scenario": scen_name,
                             "scenario_file": str(scen_path), "overrides": overrides, "point": pt.index,
                             "replication": r, "seed": seed, "until": until, "params": record,
                             "code_version": version})
    horizon = (max(start_dates), min(untils))
    if spec.key_dates is None:
        key_dates = tuple(d for d in DEFAULT_KEY_DATES if horizon[0] <= d <= horizon[1]) or (horizon[1],)
    else:
        for d in spec.key_dates:
            if not horizon[0] <= d <= horizon[1]:
                raise _err(spec.path, "key_dates", f"dates within every run's horizon {horizon[0]} .. {horizon[1]}", d)
        key_dates = spec.key_dates
    for t in runs:
        t["outputs"] = list(spec.outputs)
        t["key_dates"] = list(key_dates)
    blob = json.dumps([spec.name, spec.kind, list(spec.outputs), list(key_dates), [t["run_id"] for t in runs]])
    sweep_id = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return Plan(spec, sweep_id, version, points, runs, seeds, problem, horizon, key_dates)


# ----------------------------------------------------------------------------------------------
# Running
def run_task(task: Mapping[str, Any]) -> dict:
    """Run one planned run (in a worker): rebuild the scenario from the record, simulate, keep the outputs.

    Returns plain data for the parent to store; never raises for a model error (status 'failed')."""
    from propeller.core.simulate import simulate

    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    t0 = time.perf_counter()
    result = {"run_id": task["run_id"], "worker": f"{socket.gethostname()}:{os.getpid()}",
              "worker_code_version": code_version(), "started": started}
    try:
        if result["worker_code_version"] != task["code_version"]:
            raise RuntimeError(f"worker code version {result['worker_code_version']} differs from the plan's "
                               f"{task['code_version']}")
        out = simulate(scenario_from_record(task["params"]), seed=int(task["seed"]))
        ts = out["timeseries"]
        cols = list(ALWAYS_KEPT) + list(task["outputs"])
        result["columns"] = {c: ts[c].tolist() for c in cols}
        by_date = ts.set_index("date")
        result["summaries"] = [(o, d, float(by_date.at[d, o])) for o in task["outputs"] for d in task["key_dates"]]
        result["status"] = "done"
        result["error"] = None
    except Exception as exc:  # noqa: BLE001 - a failed run is stored as failed, the sweep goes on
        result.update(status="failed", error=f"{type(exc).__name__}: {exc}", columns=None, summaries=None)
    result["ended"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    result["seconds"] = time.perf_counter() - t0
    return result


def _worker_init(parent: int) -> None:
    """Pool workers ignore Ctrl-C (the parent stops the pool) and exit when the parent dies (kill -9): their
    task queue would otherwise keep them waiting forever."""
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serial(tasks: Iterable[dict]) -> Iterator[dict]:
    for t in tasks:
        yield run_task(t)


class _sigint_ignored_while_spawning:
    """Ctrl-C in a terminal goes to every process of the group. A spawned worker takes seconds to import the model
    before its initializer can ignore SIGINT, and a KeyboardInterrupt during those imports prints a traceback. A
    process inherits an *ignored* SIGINT through exec, so the parent ignores it for the moment it starts workers
    (on submit); the parent itself handles Ctrl-C as usual before and after."""

    def __enter__(self):
        import threading

        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)


def _pool(tasks: Iterable[dict], workers: int) -> Iterator[dict]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    it = iter(tasks)
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                             initargs=(os.getpid(),))

    def submit(task):
        with _sigint_ignored_while_spawning():
            return ex.submit(run_task, task)

    try:
        inflight = {submit(t) for t in itertools.islice(it, 2 * workers)}
        while inflight:
            done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                nxt = next(it, None)
                if nxt is not None:
                    inflight.add(submit(nxt))
                yield fut.result()
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def check_scheduler_address(address: str, arg: str = "--scheduler") -> None:
    """Refuse a malformed Dask scheduler address before a client is made (a client that fails to start would try
    to close itself at exit for 30 s and print a traceback)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        raise SpecError(arg, address, f"a Dask scheduler address tcp://HOST:PORT ({exc})", show_got=False) from None


def dask_client(address: str):
    """A client of the Dask scheduler at ``address``; SpecError (one line) if it cannot be reached."""
    from distributed import Client

    check_scheduler_address(address)
    try:
        return Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SpecError("--scheduler", address, f"a reachable Dask scheduler address tcp://HOST:PORT ({exc})",
                        show_got=False) from None


def _dask_results(client, tasks: Iterable[dict]) -> Iterator[dict]:
    from distributed import as_completed

    slots = max(2, 2 * sum(client.nthreads().values()))
    it = iter(tasks)
    first = [client.submit(run_task, t, pure=False) for t in itertools.islice(it, slots)]
    ac = as_completed(first, loop=client.loop)
    for fut in ac:
        res = fut.result()
        fut.release()
        nxt = next(it, None)
        if nxt is not None:
            ac.add(client.submit(run_task, nxt, pure=False))
        yield res


def results(tasks: list[dict], workers: int = 1, client=None) -> Iterator[dict]:
    """Results of the tasks in completion order: on Dask (a dask_client), a spawn process pool (workers > 1), or here."""
    if client is not None:
        return _dask_results(client, tasks)
    if workers > 1 and len(tasks) > 1:
        return _pool(tasks, min(workers, len(tasks)))
    return _serial(tasks)


@dataclass
class Outcome:
    planned: int                 # runs in the plan (unique run ids)
    already: int                 # stored before this call
    executed: int = 0
    stored: int = 0              # written by this call
    failed: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def default_db(spec: Spec) -> Path:
    return Path("outputs") / "sweeps" / f"{spec.name}.db"


def execute(plan: Plan, db_path: str | Path, workers: int = 1, scheduler: str | None = None,
            progress: bool = True, stream=sys.stderr) -> Outcome:
    """Run the plan's missing runs and store them (parent-only writes; one transaction per run)."""
    from tqdm import tqdm

    from propeller.app.store import Store

    client = dask_client(scheduler) if scheduler else None  # before the database: a bad address writes nothing
    try:
        store = Store(db_path)
    except BaseException:
        if client is not None:
            client.close()
        raise
    try:
        store.register(plan)
        todo = store.pending(plan)
        unique = len(plan.unique_runs)
        res = Outcome(planned=unique, already=unique - len(todo))
        where = f"on {scheduler}" if scheduler else (f"{workers} workers" if workers > 1 else "serial")
        by_id = {t["run_id"]: t for t in todo}
        stream_of_results = results(todo, workers, client) if todo else iter(())
        print(f"sweep {plan.spec.name}: {unique} runs, {res.already} already stored, {len(todo)} to run ({where})",
              file=stream, flush=True)
        t0 = time.perf_counter()
        bar = tqdm(total=len(todo), unit="run", desc=plan.spec.name, file=stream, disable=not progress or not todo,
                   mininterval=0.5, smoothing=0.05, dynamic_ncols=True)
        try:
            for r in stream_of_results:
                res.executed += 1
                state = store.write(by_id[r["run_id"]], r)
                if r["status"] != "done":
                    res.failed += 1
                    res.errors.append(f"{r['run_id']}: {r['error']}")
                elif state in ("new", "extended"):
                    res.stored += 1
                bar.update(1)
        except KeyboardInterrupt:
            res.interrupted = True
        finally:
            if hasattr(stream_of_results, "close"):
                stream_of_results.close()  # stops the pool (its finally block)
            bar.close()
        res.seconds = time.perf_counter() - t0
        return res
    finally:
        store.close()
        if client is not None:
            client.close()


def describe(plan: Plan, db_path: Path | None = None) -> list[str]:
    """The plan as text lines (``--dry-run``); the last line is ``N runs``."""
    from propeller.app.store import Store

    s = plan.spec
    n_sc = len(s.scenarios)
    per = len(plan.points) // max(n_sc, 1)
    lines = [f"sweep {s.name} ({s.path})"]
    if s.description:
        lines.append(f"  {s.description}")
    lines.append(f"  design {s.kind}: {n_sc} scenario(s) x {per} point(s) x {s.replications} replication(s); "
                 f"horizon {plan.horizon[0]} .. {plan.horizon[1]}; code {plan.code_version}")
    lines.append("  scenarios: " + ", ".join(n for n, _ in s.scenarios))
    if s.overrides:
        lines.append("  fixed overrides: " + ", ".join(f"{k}={_fmt_value(v)}" for k, v in s.overrides.items()))
    for f in s.factors:
        rng = (f"levels {', '.join(_fmt_value(v) for v in f.levels)}" if f.levels is not None
               else f"bounds [{f.bounds[0]:g}, {f.bounds[1]:g}]")
        lines.append(f"  factor {f.name}: {', '.join(f.keys)} {'x ' if f.scale else ''}{rng}")
    if s.kind == "posterior":
        cols, _ = _posterior_draws(s)
        lines.append(f"  posterior design: {s.samples} parameter sets drawn by weight from {s.posterior} "
                     f"({', '.join(cols)}), applied as ratios to scenarios/calibrated.toml")
    if s.kind in ("lhs", "sobol", "morris"):
        extra = {"lhs": "", "sobol": f", second order {s.second_order}", "morris": f", {s.levels} levels"}[s.kind]
        lines.append(f"  {s.kind} design: samples {s.samples}{extra} -> {per} points (SALib, seed {s.seed})")
    seeds = plan.seeds
    if s.kind == "posterior" and seeds:
        lines.append(f"  seeds: spec seed {s.seed}; one per draw and replication, common to the scenarios")
    else:
        lines.append(f"  seeds: spec seed {s.seed}" + (
            f"; replication seeds {seeds[:5]}{' ...' if len(seeds) > 5 else ''} (common to every point)" if seeds
            else "; per point and replication"))
    lines.append(f"  outputs: {', '.join(s.outputs)}; key dates: {', '.join(plan.key_dates)}")
    unique = plan.unique_runs
    if db_path is not None:
        stored = Store.count_stored(db_path, [t["run_id"] for t in unique])
        lines.append(f"  database: {db_path} " + (f"({stored} of {len(unique)} runs stored)" if stored is not None
                                                 else "(new)"))
    lines.append("  runs (first 5):")
    for t in plan.runs[:5]:
        lines.append(f"    {t['run_id']}  point {t['point']:>3}  rep {t['replication']:>2}  seed {t['seed']:>10}  "
                     f"{plan.points[t['point']].label}")
    if len(unique) != len(plan.runs):
        lines.append(f"  {len(plan.runs) - len(unique)} design rows repeat a run (identical points): computed once")
    lines.append(f"{len(plan.runs)} runs")
    return lines


def rerun(db_path: str | Path, run_id: str) -> tuple[bool, str, dict]:
    """Re-run a stored run from its record (parameters, seed, horizon) and compare with the stored rows.

    Returns (identical, one-line report, the fresh result)."""
    from propeller.app.store import Store

    with Store(db_path, readonly=True) as st:
        rec = st.run_record(run_id)
        if rec["status"] != "done":
            raise SpecError(db_path, "run_id", "a run stored as done", f"{run_id} ({rec['status']})")
        stored = st.outcomes(run_id)
        stored_summaries = {(o, d): v for o, d, v in st.conn.execute(
            "SELECT outcome, date, value FROM summaries WHERE run_id=?", (run_id,))}
    version = code_version()
    task = {"run_id": run_id, "params": rec["params"], "seed": rec["seed"], "until": rec["until"],
            "outputs": rec["outputs"], "key_dates": rec["key_dates"], "code_version": version}
    result = run_task(task)
    if result["status"] != "done":
        return False, f"run {run_id}: re-run failed: {result['error']}", result
    cols = result["columns"]
    diff = [c for c in ["month", "date", *rec["outputs"]] if stored[c].tolist() != cols[c]]
    diff += [f"{o}@{d}" for o, d, v in result["summaries"] if stored_summaries.get((o, d)) != v]
    note = "" if rec["code_version"] == version else (
        f" (stored with code version {rec['code_version']}, re-run with {version})")
    if diff:
        return False, f"run {run_id}: differs from the stored record in {', '.join(diff)}{note}", result
    return True, (f"run {run_id}: identical to the stored record ({rec['scenario']}, seed {rec['seed']}, "
                  f"{len(cols['month'])} months x {len(rec['outputs'])} outcomes){note}"), result
