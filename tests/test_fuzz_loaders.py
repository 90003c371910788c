"""Fuzzed loaders: hypothesis writes random TOML files - random structures, and the real keys of a scenario and a sweep
spec with values of every TOML type - and random bytes, and the scenario loader and the sweep-spec loader either
accept them or refuse them with one :class:`propeller.errors.UserError` line naming the file at fault (the file, or
a file it extends). Anything else (a
traceback) fails the test and hypothesis shrinks the file that caused it."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from propeller.app.sweeps.spec import DESIGN_KEYS, DESIGNS, FACTOR_KEYS, SPEC_KEYS, load_spec
from propeller.errors import UserError
from propeller.scenarios.loader import DEFAULTS, load

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
FOLDER = Path(tempfile.mkdtemp(prefix="propeller-fuzz-"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)


# ------------------------------------------------------------------------------------------ writing TOML
def text(k: str) -> str:
    """A TOML basic string: JSON's, with other characters as they are (TOML has no surrogate-pair escapes)."""
    return json.dumps(k, ensure_ascii=False)


key = text


def value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return text(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def toml(entries: list[tuple[tuple[str, ...], object]]) -> str:
    """Valid TOML: the entries as a tree (a later entry replaces an earlier one it collides with), written as
    dotted-key lines. Invalid TOML is the random-bytes test's."""
    tree: dict = {}
    for path, v in entries:
        node = tree
        for k in path[:-1]:
            if not isinstance(node.get(k), dict) or node.get(k) == {}:
                node[k] = {}
            node = node[k]
        node[path[-1]] = v

    def lines(node: dict, prefix: tuple[str, ...]):
        for k, v in node.items():
            if isinstance(v, dict) and v:
                yield from lines(v, prefix + (k,))
            else:
                yield ".".join(key(x) for x in prefix + (k,)) + f" = {value(v)}\n"

    return "".join(lines(tree, ()))


# ------------------------------------------------------------------------------------------ strategies
scalars = st.one_of(
    st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(["2025-09", "2024-03", "2031-13", "west", "midden", "never", ""]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)), max_leaves=8)


@functools.lru_cache(maxsize=1)
def scenario_keys() -> list[str]:
    return sorted(load(DEFAULTS).params)


@functools.lru_cache(maxsize=1)
def baseline_values() -> dict:
    return dict(load(DEFAULTS).params)


def near_baseline(k: str):
    """The baseline's value of key ``k``, or a value of its type near it (more files get past the first check)."""
    v = baseline_values()[k]
    if isinstance(v, bool) or not isinstance(v, (int, float, list)):
        return st.just(v)
    if isinstance(v, list):
        return st.just(v) | st.lists(st.floats(-0.5, 2.0), min_size=len(v), max_size=len(v))
    return st.just(v) | st.floats(-2 * abs(v) - 1, 3 * abs(v) + 1).map(lambda x: type(v)(x) if isinstance(v, float)
                                                                      else int(x))


def scenario_entries():
    keys = st.sampled_from(scenario_keys())
    good = keys.flatmap(lambda k: st.tuples(st.just(tuple(k.split("."))), near_baseline(k)))
    return st.one_of(good, good, st.tuples(scenario_paths(), values))


def scenario_paths():
    real = st.sampled_from(scenario_keys()).map(lambda k: tuple(k.split(".")))
    known_top = st.sampled_from(sorted({k.split(".")[0] for k in scenario_keys()} | {"extends"}))
    made_up = st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=3).map(tuple)
    near = st.tuples(known_top, st.text(min_size=1, max_size=6))
    return st.one_of(real, real, near, made_up, st.just(("extends",)))


def spec_paths():
    top = st.sampled_from(SPEC_KEYS).map(lambda k: (k,))
    design = st.sampled_from(DESIGN_KEYS).map(lambda k: ("design", k))
    factor = st.tuples(st.just("factors"), st.sampled_from(["f", "x1", "bad name"]), st.sampled_from(FACTOR_KEYS))
    override = st.sampled_from(scenario_keys()).map(lambda k: ("overrides", k))
    return st.one_of(top, top, design, factor, override, st.lists(st.text(min_size=1, max_size=6), min_size=1,
                                                                  max_size=3).map(tuple))


spec_values = st.one_of(
    values, st.sampled_from(DESIGNS), st.just([str(LIB / "calibrated.toml")]),
    st.just([str(LIB / "calibrated.toml"), "missing.toml"]), st.lists(st.floats(-2, 5), max_size=4),
    st.sampled_from([["partners_total"], ["nope"], [0.5, 1.5], [1, 2], "2025-09"]),
)


def check(loader, text: str | bytes) -> None:
    """The loader accepts the file or refuses it with one UserError line naming it; nothing else."""
    path = FOLDER / "fuzz.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        loader(path)
    except UserError as exc:
        line = str(exc)  # names the file at fault: this one, or a file it extends
        assert "\n" not in line and exc.where, line


# ------------------------------------------------------------------------------------------ the tests
@SETTINGS
@given(st.lists(scenario_entries(), max_size=6))
@example([(("extends",), str(LIB / "calibrated.toml")), (("funding", "multiplier"), float("nan"))])
@example([(("hubs", "west"), 3)])
def test_scenario_loader_never_raises_anything_but_one_line(entries):
    check(load, toml(entries))


@SETTINGS
@given(st.lists(st.tuples(spec_paths(), spec_values), max_size=7))
@example([(("scenarios",), [str(LIB / "calibrated.toml")]), (("design", "kind"), "grid"),
          (("factors", "f", "key"), "funding.multiplier"), (("factors", "f", "levels"), [])])
@example([(("scenarios",), [str(LIB / "calibrated.toml")]), (("design", "kind"), "lhs"),
          (("factors", "f", "key"), "funding.multiplier"), (("factors", "f", "bounds"), [float("inf"), 1.0])])
def test_sweep_spec_loader_never_raises_anything_but_one_line(entries):
    check(load_spec, toml(entries))


@SETTINGS
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
@example(b"\xff\xfe\x00")
@example("[a]\n[a]\n")
def test_both_loaders_refuse_random_bytes_in_one_line(data):
    check(load, data)
    check(load_spec, data)
