"""The design and the plan: every run of a spec, fixed by the spec alone, never by execution order.

``build_plan`` lists design point (scenario x factor values) x replication. The factor values come from the
spec's levels (grid), from SALib (Latin hypercube, Sobol, Morris; seeded by the spec) or from weighted draws of
the calibration's posterior (applied as ratios to the calibrated values). Each run is a task: its record (what the
worker rebuilds the scenario from), seed, horizon and run id (``propeller.app.sweeps.record``), and the outputs
and key dates to keep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from propeller.app.sweeps.record import code_version, make_run_id, point_digest, record_params, replication_seed
from propeller.app.sweeps.spec import DEFAULT_KEY_DATES, Factor, Spec, SpecError, is_number
from propeller.scenarios.loader import SCENARIO_DIR, Scenario, ScenarioError, key_hint, load

POSTERIOR_STREAM = 2**32 - 1  # SeedSequence spawn key of the posterior draw, apart from the replications' keys


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


def _err(spec: Spec, key: str, expected: str, got: Any = None, show_got: bool = True, hint: str = "") -> SpecError:
    return SpecError(spec.path, key, expected, got, show_got=show_got, hint=hint)


def fmt_value(v: Any) -> str:
    """A factor value as a label shows it."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return json.dumps(v) if not isinstance(v, str) else v


# ------------------------------------------------------------------------------------------ factor values
def _salib(spec: Spec, problem: dict) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.kind == "lhs":
            from SALib.sample import latin

            return latin.sample(problem, spec.samples, seed=spec.seed)
        if spec.kind == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, scramble=True,
                                seed=spec.seed)
        from SALib.sample import morris

        return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)


def _factor_points(spec: Spec) -> tuple[list[tuple], dict | None, np.ndarray | None]:
    """The factor values of every design point, the SALib problem and the design matrix."""
    if spec.kind == "scenarios":
        return [()], None, None
    if spec.kind == "posterior":
        return posterior_draws(spec)[1], None, None
    if spec.kind == "grid":
        pts = list(itertools.product(*(f.levels for f in spec.factors)))
        numeric = all(is_number(v) for p in pts for v in p)
        return pts, None, (np.array(pts, dtype=float) if numeric else None)
    problem = {"num_vars": len(spec.factors), "names": [f.name for f in spec.factors],
               "bounds": [list(f.bounds) for f in spec.factors]}
    x = _salib(spec, problem)
    return [tuple(float(v) for v in row) for row in x], problem, x


def _posterior_table(spec: Spec) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The posterior CSV's parameter columns, weights and values (checked)."""
    import pandas as pd

    try:
        table = pd.read_csv(spec.posterior)
    except (ValueError, OSError) as exc:
        raise _err(spec, "design.file", f"a readable posterior CSV ({exc})", show_got=False) from None
    cols = [c for c in table.columns if c != "weight"]
    if "weight" not in table.columns or not cols or table.empty:
        raise _err(spec, "design.file", "a CSV with a weight column and one column per parameter", str(spec.posterior))
    try:
        w = table["weight"].to_numpy(dtype=float)
        values = table[cols].to_numpy(dtype=float)
    except (ValueError, TypeError):
        raise _err(spec, "design.file", "a CSV of numbers (weight and one column per parameter)",
                   str(spec.posterior)) from None
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise _err(spec, "design.file", "non-negative weights with a positive sum", str(spec.posterior))
    return cols, w, values


def posterior_draws(spec: Spec) -> tuple[list[str], list[tuple]]:
    """``samples`` parameter sets drawn with replacement, by weight, from the posterior CSV (seeded by the spec)."""
    cols, w, values = _posterior_table(spec)
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(POSTERIOR_STREAM,)))
    idx = rng.choice(len(values), size=spec.samples, replace=True, p=w / w.sum())
    return cols, [tuple(float(v) for v in values[i]) for i in idx]


def _calibrated_factors(spec: Spec) -> tuple[list[Factor], dict[str, str], Scenario | None]:
    """The factors, their keys' factor names and (posterior design) the calibrated scenario. A posterior design
    varies the calibrated parameters: each draw is applied as its ratio to the calibrated value, so a scenario that
    scales a calibrated parameter (e.g. 1.5 x recruitment) keeps its scaling."""
    if spec.kind != "posterior":
        return spec.factors, {k: f.name for f in spec.factors for k in f.keys}, None
    cols, _ = posterior_draws(spec)
    calibrated = load((SCENARIO_DIR / "calibrated.toml").resolve())
    for c in cols:
        if c not in calibrated.params or not is_number(calibrated[c]) or calibrated[c] == 0:
            raise _err(spec, "design.file", "posterior columns that are non-zero numeric parameters of "
                       "scenarios/calibrated.toml", c)
    return [Factor(c, (c,), scale=True) for c in cols], {c: c for c in cols}, calibrated


# ------------------------------------------------------------------------------------------ scenarios and points
def _tail(exc: ScenarioError) -> str:
    return str(exc).split(": expected ", 1)[-1]


def _cast(like: Any, value: Any) -> Any:
    """A design value in the type of the parameter it sets (SALib draws floats; integer keys are rounded)."""
    if isinstance(like, bool) or not is_number(value):
        return value
    if isinstance(like, int):
        return int(round(value))
    if isinstance(like, float):
        return float(value)
    return value


def _scenario_base(spec: Spec, name: str, path: Path, calibrated: Scenario | None) -> tuple[Scenario, dict]:
    """A scenario of the spec with the fixed overrides and horizon, and its schema (parameters and rates)."""
    base = load(path)
    cal_path = str((SCENARIO_DIR / "calibrated.toml").resolve())
    if calibrated is not None and cal_path not in {str(Path(f).resolve()) for f in base.files}:
        raise _err(spec, "scenarios", "scenarios that extend scenarios/calibrated.toml for a posterior design", name)
    try:
        base = base.with_overrides(spec.overrides, origin="overrides") if spec.overrides else base
    except ScenarioError as exc:
        raise _err(spec, f"overrides.{exc.key}", _tail(exc), show_got=False) from None
    if spec.until is not None:
        try:
            base = base.with_overrides({"simulation.until": spec.until}, origin="until")
        except ScenarioError as exc:
            raise _err(spec, "until", _tail(exc), show_got=False) from None
    schema = dict(base.params)
    schema.update({t.key: t.rate for t in base.transitions})
    return base, schema


def _check_factor_keys(spec: Spec, factors: list[Factor], schema: dict) -> None:
    for f in factors:
        for k in f.keys:
            if k not in schema:
                raise _err(spec, f"factors.{f.name}", "keys that exist in uncalibrated_defaults.toml or the propeller table "
                           "(propeller.rates.<route>.<from>.<kind>)", k, hint=key_hint(k, schema))
            if f.scale and not is_number(schema[k]):
                raise _err(spec, f"factors.{f.name}.scale", f"numeric keys to scale ({k} is not)", show_got=False)


def _point_scenario(spec: Spec, base: Scenario, schema: dict, factors: list[Factor], values: tuple,
                    calibrated: Scenario | None, key_of: dict[str, str]) -> tuple[Scenario, dict[str, Any]]:
    """The scenario of one design point and the dotted keys its factor values set."""
    overrides: dict[str, Any] = {}
    for f, v in zip(factors, values, strict=True):
        if calibrated is not None:
            v = v / calibrated[f.keys[0]]  # the draw relative to the calibrated value
        for k in f.keys:
            overrides[k] = _cast(schema[k], schema[k] * v if f.scale else v)
    try:
        return (base.with_overrides(overrides, origin="factors") if overrides else base), overrides
    except ScenarioError as exc:
        fname = key_of.get(exc.key, exc.key.split("[")[0])
        raise _err(spec, f"factors.{fname}", f"levels valid for {exc.key}: {_tail(exc)}", show_got=False) from None


def _label(spec: Spec, scenario: str, values: tuple) -> str:
    """A point's label; a posterior design's draws of a scenario are one group (its uncertainty)."""
    if not spec.factors:
        return scenario
    return scenario + " [" + ", ".join(f"{f.name}={fmt_value(v)}" for f, v in zip(spec.factors, values, strict=True)) + "]"


def _point_runs(spec: Spec, pt: Point, sc: Scenario, seeds: list[int] | None, draw: int | None,
                version: str) -> list[dict]:
    """The replications of one design point. ``draw``: the posterior draw (its seeds are common to the scenarios
    and new for every draw)."""
    record = record_params(sc)
    digest = point_digest(pt.scenario, record)
    until = sc["simulation.until"]
    runs = []
    for r in range(spec.replications):
        if draw is not None and seeds is not None:
            seed = replication_seed(spec.seed, r, draw)
        else:
            seed = seeds[r] if seeds is not None else replication_seed(spec.seed, r, pt.index)
        runs.append({"run_id": make_run_id(digest, seed, until, version), "scenario": pt.scenario,
                     "scenario_file": pt.scenario_file, "overrides": pt.overrides, "point": pt.index,
                     "replication": r, "seed": seed, "until": until, "params": record, "code_version": version})
    return runs


# ------------------------------------------------------------------------------------------ the plan
def _plan_key_dates(spec: Spec, horizon: tuple[str, str]) -> tuple[str, ...]:
    """The spec's key dates (each within every run's horizon), or the defaults the horizon reaches (else its end)."""
    if spec.key_dates is None:
        return tuple(d for d in DEFAULT_KEY_DATES if horizon[0] <= d <= horizon[1]) or (horizon[1],)
    for d in spec.key_dates:
        if not horizon[0] <= d <= horizon[1]:
            raise _err(spec, "key_dates", f"dates within every run's horizon {horizon[0]} .. {horizon[1]}", d)
    return spec.key_dates


def _sweep_id(spec: Spec, key_dates: tuple[str, ...], runs: list[dict]) -> str:
    blob = json.dumps([spec.name, spec.kind, list(spec.outputs), list(key_dates), [t["run_id"] for t in runs]])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_plan(spec: Spec) -> Plan:
    """Every run of the spec: design points (scenario x factor values) x replications, with seeds and run ids."""
    version = code_version()
    points_values, problem, x = _factor_points(spec)
    seeds = [replication_seed(spec.seed, r) for r in range(spec.replications)] if spec.common_seeds else None
    factors, key_of, calibrated = _calibrated_factors(spec)
    points: list[Point] = []
    runs: list[dict] = []
    starts, untils = [], []
    for scen_name, scen_path in spec.scenarios:
        base, schema = _scenario_base(spec, scen_name, scen_path, calibrated)
        _check_factor_keys(spec, factors, schema)
        for draw, values in enumerate(points_values):
            sc, overrides = _point_scenario(spec, base, schema, factors, values, calibrated, key_of)
            pt = Point(len(points), scen_name, str(scen_path), _label(spec, scen_name, values), overrides,
                       [float(v) for v in values] if x is not None else None)
            points.append(pt)
            starts.append(sc["simulation.start"])
            untils.append(sc["simulation.until"])
            runs += _point_runs(spec, pt, sc, seeds, draw if calibrated is not None else None, version)
    horizon = (max(starts), min(untils))
    key_dates = _plan_key_dates(spec, horizon)
    for t in runs:
        t["outputs"] = list(spec.outputs)
        t["key_dates"] = list(key_dates)
    return Plan(spec, _sweep_id(spec, key_dates, runs), version, points, runs, seeds, problem, horizon, key_dates)
