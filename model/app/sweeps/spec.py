"""The sweep spec: ``scenarios/sweeps/*.toml`` read and checked into a :class:`Spec`.

A spec names a base scenario or a list of scenarios, fixed overrides, the factors to vary (fixed levels on a grid,
or bounds for a Latin hypercube, Sobol or Morris design drawn with SALib, or none for a posterior design), the
number of replications, the horizon, the outcome columns to keep and the key dates to summarise. ``load_spec``
raises :class:`SpecError` (one line: ``file: key: expected ...``) like the scenario loader, for the first problem
it finds.

The outcome columns a sweep may keep, the default outputs and the default key dates are the declared ones
(:mod:`propeller.core.outputs`).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from propeller.core.outputs import HEADLINE, INDEX, KEY_DATES
from propeller.core.outputs import names as output_names
from propeller.errors import UserError
from propeller.scenarios.loader import SCENARIO_DIR, _date, _flatten, did_you_mean

DESIGNS = ("scenarios", "grid", "lhs", "sobol", "morris", "posterior")
SAMPLED = ("lhs", "sobol", "morris", "posterior")
SPEC_KEYS = ("name", "description", "base", "scenarios", "seed", "replications", "common_seeds", "until", "outputs",
             "key_dates", "overrides", "overlay", "design", "factors")
DESIGN_KEYS = ("kind", "samples", "levels", "second_order", "file")
FACTOR_KEYS = ("key", "keys", "levels", "bounds", "scale")
DEFAULT_OUTPUTS = HEADLINE       # the outcome columns and dates are declared in propeller.core.outputs
DEFAULT_KEY_DATES = KEY_DATES
ALWAYS_KEPT = INDEX
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SpecError(UserError):
    """A problem in a sweep spec (or a sweep command), rendered as one line ``file: key: expected ...``."""


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


# ------------------------------------------------------------------------------------------ small checks
def _err(path: Path, key: str, expected: str, got: Any = None, show_got: bool = True, hint: str = "") -> SpecError:
    return SpecError(path, key, expected, got, show_got=show_got, hint=hint)


def is_number(v: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(path: Path, data: Mapping, key: str, default: int | None, lo: int, where: str | None = None) -> int | None:
    v = data.get(key, default)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise _err(path, where or key, f"an integer >= {lo}", v)
    return v


def _bool(path: Path, data: Mapping, key: str, where: str | None = None) -> bool:
    v = data.get(key, False)
    if not isinstance(v, bool):
        raise _err(path, where or key, "true/false", v)
    return v


def _known_keys(path: Path, table: Mapping, allowed: Sequence[str], prefix: str, what: str) -> None:
    for key in table:
        if key not in allowed:
            raise _err(path, prefix + key, f"{what} (" + ", ".join(allowed) + ")", show_got=False,
                       hint=did_you_mean(key, allowed))


# ------------------------------------------------------------------------------------------ the spec, part by part
def _read(path: Path) -> tuple[str, dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise _err(path, "(file)", "an existing sweep spec file", show_got=False) from None
    except OSError as exc:
        raise _err(path, "(file)", f"a readable sweep spec file ({exc.strerror})", show_got=False) from None
    except UnicodeDecodeError:
        raise _err(path, "(syntax)", "a UTF-8 text file of TOML (this file is binary)", show_got=False) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(path, "(syntax)", f"valid TOML ({exc})", show_got=False) from None


def _name(path: Path, data: Mapping) -> tuple[str, str]:
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        raise _err(path, "name", "a name of letters, digits, '_', '-', '.'", name)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _err(path, "description", "a string", description)
    return name, description


def _scenario_file(path: Path, v: Any, key: str) -> tuple[str, Path]:
    if not isinstance(v, str) or not v:
        raise _err(path, key, "a scenario file path (relative to the spec)", v)
    p = (path.parent / v).resolve()
    if not p.is_file():
        raise _err(path, key, "an existing scenario file", v)
    return p.stem, p


def _scenarios(path: Path, data: Mapping) -> tuple[tuple[str, Path], list[tuple[str, Path]]]:
    """The base scenario (default: the library's calibrated scenario) and the listed scenarios (may be empty)."""
    base = _scenario_file(path, data["base"], "base") if "base" in data else (
        "calibrated", (SCENARIO_DIR / "library" / "calibrated.toml").resolve())
    if "scenarios" not in data:
        return base, []
    items = data["scenarios"]
    if not isinstance(items, list) or not items:
        raise _err(path, "scenarios", "a non-empty list of scenario files", items)
    scenarios = [_scenario_file(path, v, f"scenarios[{i}]") for i, v in enumerate(items)]
    names = [n for n, _ in scenarios]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise _err(path, "scenarios", "scenario files with different names", dup)
    return base, scenarios


def _until(path: Path, data: Mapping) -> str | None:
    until = data.get("until")
    if until is not None and _date(until):
        raise _err(path, "until", _date(until), until)
    return until


def _outputs(path: Path, data: Mapping) -> tuple[str, ...]:
    outputs = data.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise _err(path, "outputs", "a non-empty list of timeseries column names", outputs)
    if len(set(outputs)) != len(outputs):
        raise _err(path, "outputs", "column names without repeats", outputs)
    known = output_names()
    for i, o in enumerate(outputs):
        if o not in known or o in ALWAYS_KEPT:
            raise _err(path, f"outputs[{i}]", "an outcome column of the timeseries (docs/ODD.md §10.1; date and month "
                       "are always kept)", o, hint=did_you_mean(o, [c for c in known if c not in ALWAYS_KEPT]))
    return tuple(outputs)


def _key_dates(path: Path, data: Mapping) -> tuple[str, ...] | None:
    key_dates = data.get("key_dates")
    if key_dates is None:
        return None
    if not isinstance(key_dates, list) or not key_dates:
        raise _err(path, "key_dates", "a non-empty list of dates 'YYYY-MM'", key_dates)
    for i, d in enumerate(key_dates):
        if _date(d):
            raise _err(path, f"key_dates[{i}]", _date(d), d)
    if len(set(key_dates)) != len(key_dates):
        raise _err(path, "key_dates", "dates without repeats", key_dates)
    return tuple(sorted(key_dates))


def _overrides(path: Path, data: Mapping) -> dict[str, Any]:
    """The fixed overrides: the ``overlay`` scenario file's own keys (not those it extends), then ``[overrides]``."""
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise _err(path, "overrides", "a table of dotted parameter keys", overrides)
    out: dict[str, Any] = {}
    if "overlay" in data:
        overlay = _scenario_file(path, data["overlay"], "overlay")[1]
        try:
            own = tomllib.loads(overlay.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise _err(path, "overlay", f"a readable scenario file ({exc})", data["overlay"]) from None
        own.pop("extends", None)
        out.update(_flatten(own))
    out.update(_flatten(overrides))
    return out


def _tables(path: Path, data: Mapping) -> tuple[dict, dict]:
    """The [design] and [factors] tables."""
    design = data.get("design", {})
    if not isinstance(design, dict):
        raise _err(path, "design", "a table with kind, samples, levels, second_order", design)
    _known_keys(path, design, DESIGN_KEYS, "design.", "a design key")
    factors = data.get("factors", {})
    if not isinstance(factors, dict):
        raise _err(path, "factors", "a table of factors ([factors.NAME] with key and levels or bounds)", factors)
    return design, factors


def _kind(path: Path, design: Mapping, factors: Mapping, has_scenarios: bool) -> str:
    kind = design.get("kind", "grid" if factors else "scenarios")
    if not has_scenarios and not factors and kind != "posterior":
        raise _err(path, "(sweep)", "a list of `scenarios` or a [factors] table: the sweep is empty", show_got=False)
    if kind not in DESIGNS:
        raise _err(path, "design.kind", "one of " + ", ".join(repr(d) for d in DESIGNS), kind,
                   hint=did_you_mean(kind, DESIGNS))
    if kind == "scenarios" and factors:
        raise _err(path, "design.kind", "'grid', 'lhs', 'sobol' or 'morris' when [factors] are given", kind)
    if kind not in ("scenarios", "posterior") and not factors:
        raise _err(path, "factors", f"at least one factor for design '{kind}': the sweep is empty", show_got=False)
    if kind == "posterior" and factors:
        raise _err(path, "factors", "no [factors] for design 'posterior' (the posterior's columns are the factors)",
                   show_got=False)
    return kind


def _posterior_file(path: Path, design: Mapping, kind: str) -> Path | None:
    if kind != "posterior":
        if "file" in design:
            raise _err(path, "design.file", f"no file for design '{kind}' (only 'posterior' reads one)", show_got=False)
        return None
    ref = design.get("file", str(SCENARIO_DIR / "posterior.csv"))
    if not isinstance(ref, str) or not (path.parent / ref).is_file():
        raise _err(path, "design.file", "an existing posterior CSV (weight + one column per parameter; default "
                   "scenarios/posterior.csv)", ref)
    return (path.parent / ref).resolve()


def _design_numbers(path: Path, design: Mapping, kind: str) -> tuple[int | None, int, bool]:
    """samples, Morris levels and Sobol second order, each only for the designs that use it."""
    samples = _int(path, design, "samples", None, 2 if kind == "morris" else 1, "design.samples")
    if kind in SAMPLED and samples is None:
        what = {"morris": "trajectories", "posterior": "parameter sets to draw"}.get(kind, "samples")
        raise _err(path, "design.samples", f"the number of {what} for design '{kind}'", show_got=False)
    if kind == "sobol" and samples & (samples - 1):
        raise _err(path, "design.samples", "a power of 2 for a Sobol design (Saltelli base samples)", samples)
    levels = _int(path, design, "levels", 4, 2, "design.levels")
    if levels % 2:
        raise _err(path, "design.levels", "an even number of Morris grid levels", levels)
    second_order = _bool(path, design, "second_order", "design.second_order")
    for key, only in (("second_order", ("sobol",)), ("levels", ("morris",)), ("samples", SAMPLED)):
        if key in design and kind not in only:
            raise _err(path, f"design.{key}", f"no {key} for design '{kind}' (only {', '.join(only)})", show_got=False)
    return samples, levels, second_order


def _factor_keys(path: Path, where: str, f: Mapping) -> tuple[str, ...]:
    if ("key" in f) == ("keys" in f):
        raise _err(path, where, "exactly one of key = \"dotted.key\" or keys = [...]", show_got=False)
    keys = [f["key"]] if "key" in f else f["keys"]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise _err(path, f"{where}.keys", "a non-empty list of dotted parameter keys", keys)
    return tuple(keys)


def _bounds(path: Path, where: str, f: Mapping, kind: str) -> tuple[float, float]:
    if "levels" in f:
        raise _err(path, f"{where}.levels", f"bounds = [low, high] instead of levels for design '{kind}'",
                   show_got=False)
    b = f.get("bounds")
    if not (isinstance(b, list) and len(b) == 2 and all(is_number(x) for x in b) and b[0] < b[1]):
        raise _err(path, f"{where}.bounds", "two numbers [low, high] with low < high", b)
    return float(b[0]), float(b[1])


def _levels(path: Path, where: str, f: Mapping, kind: str, scale: bool) -> tuple:
    if "bounds" in f:
        raise _err(path, f"{where}.bounds", f"levels = [...] instead of bounds for design '{kind}'", show_got=False)
    lv = f.get("levels")
    if not isinstance(lv, list) or not lv:
        raise _err(path, f"{where}.levels", "a non-empty list of levels", lv)
    if scale and not all(is_number(x) for x in lv):
        raise _err(path, f"{where}.levels", "numbers (scale = true multiplies the scenario's value)", lv)
    return tuple(lv)


def _factor(path: Path, fname: str, f: Any, kind: str) -> Factor:
    where = f"factors.{fname}"
    if not _IDENT.match(fname):
        raise _err(path, where, "a factor name that is a Python identifier (letters, digits, '_')", fname)
    if not isinstance(f, dict):
        raise _err(path, where, "a table with key (or keys) and levels or bounds", f)
    _known_keys(path, f, FACTOR_KEYS, f"{where}.", "a factor key")
    keys = _factor_keys(path, where, f)
    scale = _bool(path, f, "scale", f"{where}.scale")
    if kind in SAMPLED:
        return Factor(fname, keys, bounds=_bounds(path, where, f, kind), scale=scale)
    return Factor(fname, keys, levels=_levels(path, where, f, kind, scale), scale=scale)


def load_spec(path: str | Path) -> Spec:
    """Read and check a sweep spec; raise SpecError (one line) on the first problem."""
    path = Path(path)
    text, data = _read(path)
    _known_keys(path, data, SPEC_KEYS, "", "a sweep spec key")
    name, description = _name(path, data)
    base, scenarios = _scenarios(path, data)
    seed = _int(path, data, "seed", 0, 0)
    replications = _int(path, data, "replications", 1, 1)
    common_seeds = data.get("common_seeds", True)
    if not isinstance(common_seeds, bool):
        raise _err(path, "common_seeds", "true/false", common_seeds)
    until = _until(path, data)
    outputs = _outputs(path, data)
    key_dates = _key_dates(path, data)
    overrides = _overrides(path, data)
    design, raw_factors = _tables(path, data)
    kind = _kind(path, design, raw_factors, bool(scenarios))
    posterior = _posterior_file(path, design, kind)
    samples, levels, second_order = _design_numbers(path, design, kind)
    factors = [_factor(path, fname, f, kind) for fname, f in raw_factors.items()]
    return Spec(path=path, text=text, name=name, description=description, scenarios=scenarios or [base], seed=seed,
                replications=replications, common_seeds=common_seeds, until=until, outputs=outputs,
                key_dates=key_dates, overrides=overrides, kind=kind, samples=samples, posterior=posterior, levels=levels,
                second_order=second_order, factors=factors)
