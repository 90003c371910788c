"""Load and validate scenario files.

A scenario is a TOML file that overrides keys of the file it ``extends`` (without one: ``calibrated.toml``, the
calibrated scenario). At the root of every chain is ``uncalibrated_defaults.toml``, the hand-set prior defaults
with their sources; it *is* the schema: a key it does not have is a typo, not a new parameter. The propeller transition table
is a CSV file named by ``propeller.table``; its rates are addressable as
``propeller.rates.<route>.<from>.<kind>`` so that a scenario file or ``--set`` can change one rate.

Every problem raises :class:`ScenarioError` whose message is one line naming the file, the key and
what was expected, so that the CLI can print it and exit with code 2 before anything is written.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import fnmatch
import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from propeller.core.constants import (
    CLASSES,
    HUBS,
    PHASES,
    REQUIRES,
    ROUTES,
    STEP_INDEX,
    STEP_PHASE,
    STEPS,
    THEMES,
    TRANSITION_KINDS,
    TYPES,
)
from propeller.errors import UserError

SCENARIO_DIR = Path(__file__).resolve().parent
DEFAULTS = SCENARIO_DIR / "uncalibrated_defaults.toml"  # the schema: every parameter, its source, its prior default
CALIBRATED = SCENARIO_DIR / "calibrated.toml"  # what a user gets without naming a scenario (written by `propeller calibrate`)
_DATE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The model's time range: the initial state is March 2024 (405 partners [003 L2800-2803]); the longest projection
# it is meant for is the productivity ambition's horizon 2050 (scenarios/national.toml, [000 L346-354]).
FIRST_MONTH, LAST_MONTH = "2024-03", "2050-12"
# Organisations per hub and pool: every one is held in memory (a national run has ~55,000 per hub).
MAX_ORGANISATIONS = 250_000
# The scheduled monthly hazard of leaving one step (sum of its moves' rates, forward/skip times the phase scale):
# 5 per month means leaving within a month with probability 1 - e^-5 = 99.3 %; more says nothing new and is a typo.
MAX_EXIT_HAZARD = 5.0


class ScenarioError(UserError):
    """A scenario problem, rendered as one line: ``file: key: expected ..., got ...``."""


def did_you_mean(name: Any, options: Iterable[Any], cutoff: float = 0.6) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options`` to ``name`` (difflib), or ``""``."""
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=cutoff)
    return f"; did you mean {close[0]!r}?" if close else ""


# ----------------------------------------------------------------------------------------------
# Range and vocabulary rules, matched in order with fnmatch on dotted keys (first match wins).
# Numeric keys without a rule must be >= 0.
def _date(v: Any) -> str | None:
    if not isinstance(v, str):
        return "a date 'YYYY-MM'"
    m = _DATE.match(v)
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        return "a date 'YYYY-MM' (month 01-12, year 2000-2100)"
    return None


def _model_date(v: Any) -> str | None:
    problem = _date(v)
    if problem is None and not FIRST_MONTH <= v <= LAST_MONTH:
        return f"a date within the model's range {FIRST_MONTH} .. {LAST_MONTH}"
    return problem


def _count(v: Any) -> str | None:
    if isinstance(v, int) and 0 <= v <= MAX_ORGANISATIONS:
        return None
    return f"a whole number of organisations in [0, {MAX_ORGANISATIONS:,}]"


def _date_or_empty(v: Any) -> str | None:
    return None if v == "" else (None if _date(v) is None else "a date 'YYYY-MM' or \"\" (never)")


def _instrument_or_empty(v: Any) -> str | None:
    from propeller.core.instruments import registry

    names = registry.names()
    return None if v == "" or v in names else "an instrument (" + ", ".join(names) + ") or \"\" (none)"


def _weights_or_empty(v: Any) -> str | None:
    if v == []:
        return None
    if (isinstance(v, list) and len(v) == len(CLASSES)
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 100 for x in v)):
        return None
    return f"[] (unchanged) or {len(CLASSES)} weights in [0, 100], one per innovativeness class"


def _choice(options: Iterable[str]):
    opts = tuple(options)

    def check(v: Any) -> str | None:
        return None if v in opts else "one of " + ", ".join(repr(o) for o in opts)

    check.options = opts  # for "did you mean"
    return check


def _choices(options: Iterable[str]):
    """A non-empty list of distinct names from ``options``."""
    opts = tuple(options)

    def check(v: Any) -> str | None:
        if isinstance(v, list) and v and all(x in opts for x in v) and len(set(v)) == len(v):
            return None
        return "a non-empty list of distinct names from " + ", ".join(repr(o) for o in opts)

    return check


def _between(lo: float, hi: float):
    def check(v: Any) -> str | None:
        vals = v if isinstance(v, list) else [v]
        if all(isinstance(x, (int, float)) and lo <= x <= hi for x in vals):
            return None
        return f"{'values' if isinstance(v, list) else 'a number'} in [{lo:g}, {hi:g}]"

    return check


def _distribution(v: Any) -> str | None:
    if all(isinstance(x, (int, float)) and x >= 0 for x in v) and math.isclose(sum(v), 1.0, abs_tol=1e-6):
        return None
    return "non-negative shares that sum to 1"


def _decreasing_unit(v: Any) -> str | None:
    if all(0 < x < 1 for x in v) and all(a > b for a, b in itertools.pairwise(v)):
        return None
    return "strictly decreasing values in (0, 1)"


_PROB = _between(0.0, 1.0)
RULES: list[tuple[str, Any]] = [
    ("simulation.start", _model_date),
    ("simulation.until", _model_date),
    ("funding.change_date", _date),
    ("funding.end_date", _date),
    ("hubs.*.start", _date),
    ("hubs.*.connector_leaves", _date_or_empty),
    ("simulation.substeps", _between(1, 100)),
    ("hubs.*.partners_start", _count),
    ("hubs.*.potential_known", _count),
    ("hubs.*.potential_unknown", _count),
    ("propeller.scale_*", _between(0.0, 10.0)),
    ("propeller.route_scale_*", _between(0.0, 10.0)),
    ("propeller.fallback_scale", _between(0.0, 10.0)),
    ("outputs.theme", _choice(THEMES + ("all",))),
    ("simulation.region", _choice(HUBS + ("all",))),
    ("diffusion.entry_step", _choice(STEPS[1:])),
    ("diffusion.mixing", _choice(("network", "full"))),
    ("coupling.comaker_min_step", _choice(STEPS[1:])),
    ("coupling.intake_month", _between(1, 12)),
    ("hubs.*.lead_partner", _choice(("education", "foundation", "company", "association"))),
    ("population.class_shares_*", _distribution),
    ("population.ring_shares_partners", _distribution),
    ("population.school_level_shares", _distribution),
    ("initial_state.pool_adopteren_by_theme", _between(0.0, 0.95)),
    ("initial_state.*", _distribution),
    ("hubs.*.focus", _distribution),
    ("hubs.*.trajectory_mix", _distribution),
    ("reach.p_involved_advance", _PROB),
    ("ecosystem.ring_thresholds", _decreasing_unit),
    ("ecosystem.constituency_ring", _between(1, 3)),
    ("ecosystem.class_weight", _between(0.0, 100.0)),
    ("ecosystem.*intensity", _PROB),
    ("population.*_share_of_*", _PROB),
    ("hubs.*.connector_strength", _PROB),
    ("hubs.*.connector_after", _PROB),
    ("instruments.*.p_*", _PROB),
    ("instruments.*_share", _PROB),
    ("spillover.p_other_theme", _PROB),
    ("network.cross_region_share", _PROB),
    ("network.new_tie_p", _PROB),
    ("network.intensify", _PROB),
    ("network.decay", _PROB),
    ("ecosystem.decay", _PROB),
    ("coupling.comaker_gate_floor", _PROB),
    ("coupling.chain_gate_floor", _PROB),
    ("coupling.comaker_min_intensity", _PROB),
    ("coupling.curriculum_share", _PROB),
    ("coupling.students_to_companies", _PROB),
    ("productivity.step_use", _PROB),
    ("productivity.theme_gain", _between(-0.5, 2.0)),
    ("sector.trend_per_year", _between(-0.05, 0.1)),
    ("sector.material_saving", _PROB),
    ("sector.hub_region_share", _PROB),
    ("sector.outside_ratio", _between(0.0, 2.0)),
    ("sector.outside_lag_months", _between(0, 240)),
    ("sector.region_view", _choice(HUBS)),
    ("sector.market_types", _choices(TYPES)),
    ("sector.markets.*", _choices(THEMES)),
    ("sector.value_added_per_employee.*", _between(0.01, 100.0)),
    ("propeller.rates.*", _between(0.0, 5.0)),
    ("adapt.from", _date_or_empty),
    ("adapt.until", _date_or_empty),
    ("adapt.output", _choice(("", "partners_total", "kpi4_mkb", "kpi5_skilled", "adopted_share"))),
    ("adapt.op", _choice(("<", ">="))),
    ("adapt.move_from", _instrument_or_empty),
    ("adapt.move_to", _instrument_or_empty),
    ("adapt.move_share", _PROB),
    ("adapt.class_weight", _weights_or_empty),
    ("adapt.*_weight.*", _between(0.0, 100.0)),
]


def _rule_for(key: str):
    for pattern, check in RULES:
        if fnmatch.fnmatchcase(key, pattern):
            return check
    return None


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    """One row of the propeller table."""

    route: str
    src: str
    kind: str
    dst: str
    rate: float
    requires: str
    months: tuple[int, ...]
    source: str

    @property
    def key(self) -> str:
        return f"propeller.rates.{self.route}.{self.src}.{self.kind}"


@dataclass
class Scenario:
    """A validated scenario: flat dotted parameters plus the propeller transition table."""

    params: dict[str, Any]
    transitions: list[Transition]
    files: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "overrides") -> Scenario:
        """A new scenario with dotted-key overrides, validated like a file."""
        params = dict(self.params)
        rates = {t.key: t.rate for t in self.transitions}
        for key, value in overrides.items():
            _apply(params, rates, key, value, origin, schema=self.params)
        _check_cross(params, origin)
        transitions = [_with_rate(t, rates[t.key]) for t in self.transitions]
        check_exit_hazards(params, transitions, origin)
        return Scenario(params, transitions, self.files + [origin])

    def extended(self, new: Mapping[str, Any], origin: str = "extension") -> Scenario:
        """A new scenario with parameters that the baseline does not have: the baseline extended in memory, e.g. a
        new instrument's ``instruments.<name>.*`` keys and ``hubs.<hub>.instruments.<name>`` rates, tried out before
        they go into uncalibrated_defaults.toml. Each new key is checked by the range rules like a baseline key; a key that
        exists already is refused (change it with :meth:`with_overrides`, which afterwards accepts the new keys)."""
        params = dict(self.params)
        for key, value in new.items():
            if key in params or key.startswith("propeller.rates."):
                raise ScenarioError(origin, key, "a key that is not in the scenario yet (change an existing key "
                                    "with overrides)", show_got=False)
            _apply(params, {}, key, value, origin, schema=new)
        return Scenario(params, list(self.transitions), self.files + [origin])

    def hub(self, hub: str, name: str) -> Any:
        return self.params[f"hubs.{hub}.{name}"]


def _with_rate(t: Transition, rate: float) -> Transition:
    return t if rate == t.rate else Transition(t.route, t.src, t.kind, t.dst, rate, t.requires, t.months, t.source)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


@contextlib.contextmanager
def _reading(path: Path, noun: str, file_noun: str, binary_key: str, binary_expected: str) -> Iterator[None]:
    """Errors of opening and decoding ``path`` as the loader's one-line ScenarioError (``noun``: what the file
    should be; ``file_noun``: the same as a file, for "not a folder"; a binary file is reported under
    ``binary_key`` as ``binary_expected``)."""
    try:
        yield
    except FileNotFoundError:
        raise ScenarioError(path, "(file)", f"an existing {noun}", show_got=False) from None
    except IsADirectoryError:
        raise ScenarioError(path, "(file)", f"a {file_noun}, not a folder", show_got=False) from None
    except OSError as exc:
        raise ScenarioError(path, "(file)", f"a readable {noun} ({exc.strerror})", show_got=False) from None
    except UnicodeDecodeError:
        raise ScenarioError(path, binary_key, binary_expected, show_got=False) from None


def _read_toml(path: Path) -> dict[str, Any]:
    with _reading(path, "scenario file", "scenario file", "(syntax)", "a UTF-8 text file of TOML (this file is binary)"):
        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(path, "(syntax)", f"valid TOML ({exc})", show_got=False) from None


def _typename(v: Any) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string", list: "a list"}.get(
        type(v), type(v).__name__
    )


def _coerce(key: str, value: Any, like: Any, origin: str) -> Any:
    """Check ``value`` has the type of the baseline value ``like``; return it normalised."""
    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(like, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(like, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ScenarioError(origin, key, "a finite number", value)
            return float(value)
    elif isinstance(like, str):
        if isinstance(value, str):
            return value
    elif isinstance(like, list) and isinstance(value, list):
        names = bool(like) and isinstance(like[0], str)  # a list of names (themes, types): any length
        if len(value) != len(like) and not names and like:  # (an empty default: its rule says what it takes)
            raise ScenarioError(origin, key, f"a list of {len(like)} values", value)
        elem = like[0] if like else None
        return [_coerce(f"{key}[{i}]", v, elem, origin) for i, v in enumerate(value)] if like else value
    raise ScenarioError(origin, key, _typename(like), value)


def _vocabulary(segs: list[str], i: int) -> tuple[str, tuple[str, ...]] | None:
    """The kind of name that stands at position ``i`` of a dotted key, and its names."""
    if i == 1 and segs[0] == "hubs":
        return "hub", HUBS
    if segs[:2] == ["propeller", "rates"]:
        return {2: ("stakeholder route", ROUTES), 3: ("propeller step", STEPS[1:]),
                4: ("move kind", TRANSITION_KINDS)}.get(i)
    return None


def key_hint(key: str, known: Iterable[str]) -> str:
    """What is wrong with an unknown dotted key, compared with the known ones: a near miss ("; did you mean ..."),
    an unknown hub, route, step or move kind (with the names there are), or a value used as a table."""
    known = list(known)
    if not known:
        return ""
    segs = key.split(".")
    known_segs = [k.split(".") for k in known]
    for i, seg in enumerate(segs):
        options = sorted({k[i] for k in known_segs if len(k) > i and k[:i] == segs[:i]})
        prefix = ".".join(segs[:i])
        if not options:
            return f" ({prefix!r} is a value, not a table)" if prefix in known else did_you_mean(key, known)
        if seg in options:
            continue
        vocab = _vocabulary(segs, i)
        if vocab and seg in vocab[1]:  # a real name, but nothing of it here (e.g. a move the table does not have)
            return f" ({prefix} has no {vocab[0]} {seg!r}; it has {', '.join(options)})"
        guess = difflib.get_close_matches(seg, options, n=1)
        if guess:
            full = ".".join(segs[:i] + guess + segs[i + 1:])
            return f"; did you mean {full!r}?" if full in known else (did_you_mean(key, known) or
                                                                        f"; did you mean {prefix + '.' + guess[0]!r}?")
        if vocab:
            return f" (unknown {vocab[0]} {seg!r}; one of {', '.join(vocab[1])})"
        return did_you_mean(key, known) or f" (no {seg!r} in {prefix or 'the top level'})"
    return ""


def _apply(params: dict, rates: dict, key: str, value: Any, origin: str, schema: Mapping[str, Any]) -> None:
    if key.startswith("propeller.rates."):
        if key not in rates:
            raise ScenarioError(
                origin, key, "a rate of a transition in the propeller table (propeller.rates.<route>.<from>.<kind>)"
                + key_hint(key, rates), show_got=False,
            )
        like: Any = 0.0
    elif key not in schema:
        raise ScenarioError(origin, key, "a parameter that exists in uncalibrated_defaults.toml (unknown key)"
                            + key_hint(key, schema), show_got=False)
    else:
        like = schema[key]
    value = _coerce(key, value, like, origin)
    rule = _rule_for(key)
    if rule is not None:
        problem = rule(value)
        if problem:
            options = getattr(rule, "options", None)
            hint = did_you_mean(value, options) if options and isinstance(value, str) else ""
            raise ScenarioError(origin, key, problem, value, hint=hint)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        raise ScenarioError(origin, key, "a number >= 0", value)
    elif isinstance(value, list) and any(isinstance(x, (int, float)) and x < 0 for x in value):
        raise ScenarioError(origin, key, "values >= 0", value)
    if key.startswith("propeller.rates."):
        rates[key] = value
    else:
        params[key] = value


def value_problem(key: str, value: Any, schema: Mapping[str, Any]) -> str | None:
    """What the loader expects of ``key`` if ``value`` is not valid for it (None if it is)."""
    try:
        _apply({}, {}, key, value, "value", schema)
    except ScenarioError as exc:
        return exc.expected
    return None


def _check_cross(params: Mapping[str, Any], origin: str) -> None:
    if params["simulation.until"] < params["simulation.start"]:
        raise ScenarioError(origin, "simulation.until", f"a date at or after simulation.start ({params['simulation.start']})",
                            params["simulation.until"])
    a = params.get("adapt.from", "")
    if a and params.get("adapt.until", "") and params["adapt.until"] < a:
        raise ScenarioError(origin, "adapt.until", f"a date at or after adapt.from ({a}), or \"\"", params["adapt.until"])
    if bool(params.get("adapt.move_from", "")) != bool(params.get("adapt.move_to", "")) and params.get("adapt.move_share", 0):
        raise ScenarioError(origin, "adapt.move_to", "both adapt.move_from and adapt.move_to (an instrument each) "
                            "when adapt.move_share > 0", show_got=False)
    if len(params["population.class_rate_multiplier"]) != len(CLASSES):
        raise ScenarioError(origin, "population.class_rate_multiplier", f"{len(CLASSES)} values", show_got=False)


def check_exit_hazards(params: Mapping[str, Any], transitions: Iterable[Transition], origin: str) -> None:
    """Refuse a table (or rates, or phase scales) whose scheduled hazard of leaving a step exceeds MAX_EXIT_HAZARD."""
    scale = {1: params["propeller.scale_agenderen"], 2: params["propeller.scale_uitproberen"],
             3: params["propeller.scale_adopteren"]}
    total: dict[tuple[str, str], float] = {}
    for t in transitions:
        if t.kind in ("forward", "skip"):
            f = scale[STEP_PHASE[STEP_INDEX[t.src]]] * params[f"propeller.route_scale_{t.route}"]
        else:
            f = params["propeller.fallback_scale"] if t.kind == "back" else 1.0
        total[(t.route, t.src)] = total.get((t.route, t.src), 0.0) + t.rate * f
    for (route, src), h in total.items():
        if h > MAX_EXIT_HAZARD + 1e-9:
            raise ScenarioError(origin, f"propeller.rates.{route}.{src}",
                                f"a total hazard of leaving {src} of at most {MAX_EXIT_HAZARD:g} per month (the sum of "
                                f"its moves' rates, forward/skip x propeller.scale_{PHASES[STEP_PHASE[STEP_INDEX[src]]]} x "
                                f"propeller.route_scale_{route}, back x propeller.fallback_scale)",
                                round(h, 6))


def read_table(path: Path) -> list[Transition]:
    """Read and check the propeller CSV: vocabulary, direction of each kind, one row per (route, from, kind)."""
    with _reading(path, "propeller table", "propeller table file", "(file)",
                  "a UTF-8 CSV propeller table (this file is binary)"):
        text = path.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    expected_cols = ["route", "from", "kind", "to", "rate", "requires", "months", "source"]
    if reader.fieldnames != expected_cols:
        raise ScenarioError(path, "(header)", "columns " + ",".join(expected_cols), reader.fieldnames)
    rows: list[Transition] = []
    seen: set[tuple[str, str, str]] = set()
    for n, row in enumerate(reader, start=1):
        where = f"row {n} ({row['route']},{row['from']},{row['kind']})"
        if None in row or any(v is None for v in row.values()):
            raise ScenarioError(path, where, f"{len(expected_cols)} fields (" + ",".join(expected_cols) + ")",
                                len(expected_cols) - sum(v is None for v in row.values()) + len(row.get(None) or []))
        if row["route"] not in ROUTES:
            raise ScenarioError(path, where, "route in " + ", ".join(ROUTES), row["route"],
                                hint=did_you_mean(row["route"], ROUTES))
        for col in ("from", "to"):
            if row[col] not in STEP_INDEX or row[col] == "not_engaged" and col == "from":
                raise ScenarioError(path, where, f"'{col}' an engaged propeller step (entry is [diffusion])", row[col],
                                    hint=did_you_mean(row[col], STEPS[1:]))
        if row["kind"] not in TRANSITION_KINDS:
            raise ScenarioError(path, where, "kind in " + ", ".join(TRANSITION_KINDS), row["kind"],
                                hint=did_you_mean(row["kind"], TRANSITION_KINDS))
        s, d = STEP_INDEX[row["from"]], STEP_INDEX[row["to"]]
        ok = {
            "forward": d == s + 1,
            "skip": d > s + 1,
            "back": d < s,
            "repeat": d <= s and STEP_PHASE[d] >= 2,
        }[row["kind"]]
        if not ok:
            rule = {"forward": "to = next step", "skip": "to beyond the next step", "back": "to an earlier step",
                    "repeat": "to an earlier step in uitproberen/adopteren"}[row["kind"]]
            raise ScenarioError(path, where, f"{rule} for kind '{row['kind']}'", row["to"])
        try:
            rate = float(row["rate"])
        except ValueError:
            raise ScenarioError(path, where, "a numeric rate", row["rate"]) from None
        if not math.isfinite(rate) or not 0 <= rate <= 5:
            raise ScenarioError(path, where, "a rate in [0, 5] per month", rate)
        if row["requires"] not in REQUIRES:
            raise ScenarioError(path, where, "requires one of " + ", ".join(repr(r) for r in REQUIRES), row["requires"],
                                hint=did_you_mean(row["requires"], REQUIRES))
        try:
            months = tuple(int(m) for m in row["months"].split("|")) if row["months"] else ()
        except ValueError:
            months = (0,)
        if any(not 1 <= m <= 12 for m in months):
            raise ScenarioError(path, where, "months like '9|2' (1-12) or empty", row["months"])
        ident = (row["route"], row["from"], row["kind"])
        if ident in seen:
            raise ScenarioError(path, where, "one row per (route, from, kind)", show_got=False)
        seen.add(ident)
        rows.append(Transition(row["route"], row["from"], row["kind"], row["to"], rate, row["requires"], months,
                               row["source"]))
    return rows


def _layers(path: Path, depth: int = 0) -> list[tuple[Path, dict[str, Any]]]:
    """The chain of files from baseline to ``path`` (each file's flat keys)."""
    if depth > 10:
        raise ScenarioError(path, "extends", "a chain of at most 10 files (is there a cycle?)", show_got=False)
    data = _flatten(_read_toml(path))
    if not data:  # an empty or comment-only file names nothing: refused rather than silently run as the baseline
        raise ScenarioError(path, "(file)", "a scenario with at least one setting or an 'extends' line (this file "
                            "is empty or only comments; the calibrated scenario is scenarios/calibrated.toml)", show_got=False)
    parent = data.pop("extends", None)
    if path.resolve() == DEFAULTS:
        if parent is not None:
            raise ScenarioError(path, "extends", "no 'extends' in the defaults", parent)
        return [(path, data)]
    if parent is None:  # a file that names no base builds on the calibrated set, like everything that names nothing
        base = CALIBRATED
    elif not isinstance(parent, str):
        raise ScenarioError(path, "extends", "a path string", parent)
    else:
        base = (path.parent / parent).resolve()
    return _layers(base, depth + 1) + [(path, data)]


def parse_set(item: str) -> tuple[str, Any]:
    """Parse one ``dotted.key=value`` (the value as a TOML literal, else a bare string)."""
    if "=" not in item:
        raise ScenarioError("--set", item, "dotted.key=value", show_got=False)
    key, raw = item.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def load(path: str | Path | None = None, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Scenario:
    """Load a scenario file (default: the calibrated scenario, scenarios/calibrated.toml) with optional overrides,
    fully validated. The uncalibrated prior defaults are ``load(DEFAULTS)``."""
    path = Path(path) if path is not None else CALIBRATED
    if not path.is_file():
        raise ScenarioError(path, "(file)", "an existing scenario file", show_got=False)
    layers = _layers(path)
    base_path, schema = layers[0]
    for key, value in schema.items():  # the baseline must satisfy its own rules
        _apply({}, {}, key, value, str(base_path), schema) if not key.startswith("propeller.rates.") else None
    params: dict[str, Any] = dict(schema)
    table_path = base_path.parent / params["propeller.table"]
    rate_layers: list[tuple[str, str, Any]] = []
    for file, data in layers[1:]:
        for key, value in data.items():
            if key.startswith("propeller.rates."):
                rate_layers.append((str(file), key, value))
                continue
            _apply(params, {}, key, value, str(file), schema)
            if key == "propeller.table":
                table_path = file.parent / value
    transitions = read_table(table_path)
    rates = {t.key: t.rate for t in transitions}
    for file, key, value in rate_layers:
        _apply(params, rates, key, value, file, schema)
    # the files first (a problem is theirs), then the overrides (a problem is the override's)
    _check_cross(params, str(path))
    check_exit_hazards(params, [_with_rate(t, rates[t.key]) for t in transitions],
                       rate_layers[-1][0] if rate_layers else str(path))
    set_items = list(overrides.items()) if isinstance(overrides, Mapping) else [parse_set(s) for s in overrides]
    origin = "overrides" if isinstance(overrides, Mapping) else "--set"
    for key, value in set_items:
        _apply(params, rates, key, value, origin, schema)
    transitions = [_with_rate(t, rates[t.key]) for t in transitions]
    if set_items:
        _check_cross(params, origin)
        check_exit_hazards(params, transitions, origin)
    params["propeller.table"] = str(table_path)
    return Scenario(params, transitions, [str(f) for f, _ in layers])




