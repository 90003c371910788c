"""Scenario loading: the baseline is complete and sourced; bad input gets one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from propeller.scenarios.loader import DEFAULTS, ScenarioError, load, parse_set, read_table

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path, text: str, name: str = "s.toml") -> Path:
    f = tmp_path / name
    f.write_text(f'extends = "{DEFAULTS}"\n' + text)
    return f


def test_baseline_loads_with_every_section(baseline):
    p = baseline.params
    for prefix in ("simulation.", "population.", "diffusion.", "propeller.", "coupling.", "network.",
                   "ecosystem.", "funding.", "instruments.events.", "hubs.noord.", "hubs.midden.", "productivity."):
        assert any(k.startswith(prefix) for k in p), prefix
    assert len(baseline.transitions) > 80


def test_every_baseline_value_cites_a_source_or_says_assumption():
    """Principle 4: each parameter line carries a seed reference or the word 'assumption'."""
    missing = []
    for n, line in enumerate(DEFAULTS.read_text().splitlines(), 1):
        code = line.split("#", 1)[0]
        if "=" in code and not code.lstrip().startswith("["):
            comment = line.split("#", 1)[1] if "#" in line else ""
            # multi-line comments above a key also count: look back one line
            prev = DEFAULTS.read_text().splitlines()[n - 2]
            text = comment + (prev if prev.lstrip().startswith("#") else "")
            if not re.search(r"assumption|setting|\[0\d\d L|\d{3} L\d|L\d{3,5}|Table|seed|Rogers|Bass|derived|model_notes|docs/", text):
                missing.append(f"{n}: {line.strip()}")
    assert not missing, "parameters without source:\n" + "\n".join(missing)


def test_every_transition_row_has_a_source():
    rows = read_table(ROOT / "scenarios" / "propeller.csv")
    assert all(t.source.strip() for t in rows)


@pytest.mark.parametrize(
    "text, key, expected",
    [
        ("[hubs.west]\nbudgett = 1.0\n", "hubs.west.budgett", "unknown key"),
        ("[hubs.west]\nbudget = \"lots\"\n", "hubs.west.budget", "a number"),
        ("[hubs.west]\nbudget = -5.0\n", "hubs.west.budget", ">= 0"),
        ("[spillover]\np_other_theme = 1.5\n", "spillover.p_other_theme", "in [0, 1]"),
        ("[funding]\nchange_date = \"2026-13\"\n", "funding.change_date", "YYYY-MM"),
        ("[funding]\nchange_date = \"Jan 2026\"\n", "funding.change_date", "YYYY-MM"),
        ("[simulation]\nsubsteps = 2.5\n", "simulation.substeps", "an integer"),
        ("[hubs.oost]\nfocus = [0.5, 0.5, 0.5, 0.5]\n", "hubs.oost.focus", "sum to 1"),
        ("[hubs.oost]\nfocus = [1.0]\n", "hubs.oost.focus", "4 values"),
        ("[diffusion]\nmixing = \"fully\"\n", "diffusion.mixing", "'network', 'full'"),
        ("[propeller.rates.mkb.test]\nback = 9.0\n", "propeller.rates.mkb.test.back", "[0, 5]"),
        ("[propeller.rates.mkb.test]\nskip = 0.1\n", "propeller.rates.mkb.test.skip", "propeller table"),
        ("[simulation]\nstart = \"2025-01\"\nuntil = \"2024-12\"\n", "simulation.until", "at or after simulation.start"),
        ("[simulation]\nuntil = \"2020-01\"\n", "simulation.until", "within the model's range 2024-03 .. 2050-12"),
        ("[hubs.west]\nbudgett = 1.0\n", "hubs.west.budgett", "did you mean 'hubs.west.budget'?"),
        ("[hubs.mars]\nbudget = 1.0\n", "hubs.mars.budget", "unknown hub 'mars'"),
        ("[propeller.rates.bank.test]\nback = 0.1\n", "propeller.rates.bank.test.back", "unknown stakeholder route"),
        ("[propeller.rates.mkb.test]\nback = 5.0\n", "propeller.rates.mkb.test", "total hazard of leaving test"),
        ("[hubs.west]\npotential_unknown = -3\n", "hubs.west.potential_unknown", "whole number of organisations"),
    ],
)
def test_bad_scenario_names_file_key_and_expectation(tmp_path, text, key, expected):
    f = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load(f)
    msg = str(err.value)
    assert "\n" not in msg
    assert f.name in msg and key in msg and expected in msg


def test_toml_syntax_error_is_one_line(tmp_path):
    f = write(tmp_path, "[hubs.west\n")
    with pytest.raises(ScenarioError, match=r"s\.toml: \(syntax\): expected valid TOML"):
        load(f)


def test_overrides_validate_like_files(baseline):
    assert baseline.with_overrides({"hubs.west.budget": 1.0})["hubs.west.budget"] == 1.0
    with pytest.raises(ScenarioError, match="overrides: hubs.west.nope"):
        baseline.with_overrides({"hubs.west.nope": 1})
    s = load(DEFAULTS, overrides=["propeller.rates.mkb.test.back=0.2", "hubs.west.connector_leaves=2026-01"])
    assert {t.key: t.rate for t in s.transitions}["propeller.rates.mkb.test.back"] == 0.2
    assert s["hubs.west.connector_leaves"] == "2026-01"
    with pytest.raises(ScenarioError, match="--set: hubs.west.connector_leaves: expected a date"):
        load(DEFAULTS, overrides=["hubs.west.connector_leaves=soon"])


def test_parse_set_reads_toml_literals():
    assert parse_set("a.b=0.5") == ("a.b", 0.5)
    assert parse_set("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_set("a.b=west") == ("a.b", "west")
    assert parse_set("a.b=true") == ("a.b", True)


@pytest.mark.parametrize(
    "row, expected",
    [
        ("mkb,test,forward,design,0.1,,,x", "to = next step"),
        ("mkb,test,back,scale,0.1,,,x", "to an earlier step"),
        ("mkb,test,jump,scale,0.1,,,x", "kind in"),
        ("bank,test,back,design,0.1,,,x", "route in"),
        ("mkb,test,back,design,0.1,,13,x", "months like"),
        ("mkb,test,back,design,0.1,always,,x", "requires"),
        ("mkb,not_engaged,forward,awareness,0.1,,,x", "entry is [diffusion]"),
    ],
)
def test_bad_propeller_table_rows(tmp_path, row, expected):
    f = tmp_path / "t.csv"
    f.write_text("route,from,kind,to,rate,requires,months,source\n" + row + "\n")
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        read_table(f)


def test_duplicate_transition_rejected(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("route,from,kind,to,rate,requires,months,source\n"
                 "mkb,test,back,design,0.1,,,x\nmkb,test,back,awareness,0.1,,,x\n")
    with pytest.raises(ScenarioError, match="one row per"):
        read_table(f)
