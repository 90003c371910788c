"""Calibration targets (issue 3): every number is traceable to a seed line, tables add up (or their inconsistency is
documented), held-out data stay out of the fit, bad files fail with one line, and distance() behaves."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from propeller.calibration.targets import (
    TARGET_GROUPS,
    TARGETS,
    VALIDATION,
    VALIDATION_GROUPS,
    TargetError,
    distance,
    load_checks,
    load_targets,
    load_validation,
    observe,
    parse_source,
)
from propeller.core.constants import HUBS, TYPES
from tests.conftest import TARGET_RECORD, run

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("PROPELLER_SEEDS", ROOT.parent / "shared" / "seeds"))
FOUR_HUBS = HUBS[:4]


@pytest.fixture(scope="module")
def targets():
    return load_targets()


@pytest.fixture(scope="module")
def validation():
    return load_validation()


@pytest.fixture(scope="module")
def seed_lines():
    if not SEEDS.is_dir():
        pytest.skip(f"seed texts not found at {SEEDS} (set PROPELLER_SEEDS)")
    return {p.name[:3]: p.read_text(encoding="utf-8").splitlines() for p in SEEDS.glob("00[0-4]_*.txt")}


def _norm(s: str) -> str:
    return " ".join(s.split())


def _number(token: str) -> float:
    """'1.750' -> 1750, '+76' -> 76 (Dutch thousands separator, signed changes)."""
    return float(token.strip("(+").replace(".", ""))


def _all_records(targets, validation):
    return [("targets", r) for r in targets.itertuples()] + [("validation", r) for r in validation.itertuples()]


# ------------------------------------------------------------------------------------------------ the files
def test_both_files_load_with_every_group(targets, validation):
    assert set(targets["group"]) == set(TARGET_GROUPS)
    assert set(validation["group"]) == set(VALIDATION_GROUPS)
    assert len(validation) >= 8
    assert not targets["held_out"].any() and validation["held_out"].all()


def test_every_record_names_a_seed_file_and_line(targets, validation, seed_lines):
    for file, r in _all_records(targets, validation):
        parts = parse_source(r.source)
        assert parts, (file, r.name)
        for seed, lo, hi in parts:
            assert seed in seed_lines, f"{file} {r.name}: seed {seed} not in {SEEDS}"
            assert 1 <= lo <= hi <= len(seed_lines[seed]), f"{file} {r.name}: {seed} L{lo}-{hi} outside the file"


def test_every_quote_is_on_its_cited_lines(targets, validation, seed_lines):
    """The quote (verbatim Dutch) must occur in the cited line range: this is what verifies the line numbers."""
    missing = []
    for file, r in _all_records(targets, validation):
        text = " ".join(_norm(" ".join(seed_lines[s][lo - 1:hi])) for s, lo, hi in parse_source(r.source))
        if _norm(r.quote) not in text:
            missing.append(f"{file} {r.name}: {r.quote!r} not in {r.source}")
    assert not missing, "\n".join(missing)


def test_stated_counts_appear_in_their_quote(targets, validation):
    """A count (not a derived share or ratio) is written in its quote, e.g. 1750 as '1.750', a change as '+29'."""
    for file, r in _all_records(targets, validation):
        if r.unit in ("organisations", "persons", "hectares"):
            tokens = {_number(t) for t in re.findall(r"[(+]*\d[\d.]*", r.quote.replace("~", ""))}
            assert r.value in tokens, f"{file} {r.name}: {r.value:g} not written in {r.quote!r}"


def test_the_docs_list_every_record():
    doc = (ROOT / "docs" / "calibration_targets.md").read_text(encoding="utf-8")
    names = list(load_targets()["name"]) + list(load_validation()["name"])
    names += [c["name"] for c in load_checks()] + [c["name"] for c in load_checks(VALIDATION)]
    missing = [n for n in names if f"`{n}`" not in doc]
    assert not missing, f"docs/calibration_targets.md lacks {missing}"


def test_shares_have_a_sample_size_and_survey_sd_is_wider_for_small_samples(targets):
    survey = targets[targets["group"] == "survey"]
    assert survey["n"].notna().all()
    small, large = survey[survey["n"] < 10], survey[survey["n"] >= 20]
    assert small["sd"].min() > large["sd"].median()


# ------------------------------------------------------------------------------------------------ Table 3.1 and sums
def test_table_3_1_cells_and_changes_match_their_row(targets):
    """Each Table 3.1 row reads 'N Z O W total change' (L2738-2776); every cell and change sits at its place."""
    t = targets.set_index("name")
    for typ in TYPES:
        row = t.loc[f"t31_noord_{typ}", "quote"].split()
        assert len(row) == 6, row
        for i, hub in enumerate(FOUR_HUBS):
            assert t.loc[f"t31_{hub}_{typ}", "quote"].split() == row
            assert t.loc[f"t31_{hub}_{typ}", "value"] == _number(row[i])
        assert sum(t.loc[f"t31_{hub}_{typ}", "value"] for hub in FOUR_HUBS) == _number(row[4])
        assert t.loc[f"t31_change_{typ}", "value"] == _number(row[5])


def test_table_3_1_adds_up_to_the_stated_totals(targets):
    t = targets.set_index("name")["value"]
    hub_totals = {hub: t[f"{hub}_partners_2025_09"] for hub in FOUR_HUBS}
    for hub in FOUR_HUBS:
        assert sum(t[f"t31_{hub}_{typ}"] for typ in TYPES) == hub_totals[hub], hub
    assert sum(hub_totals.values()) == t["partners_four_hubs_2025_09"] == 645
    assert sum(t[f"t31_change_{typ}"] for typ in TYPES) == 240 == t["partners_four_hubs_2025_09"] - t["partners_four_hubs_2024_03"]
    assert sum(t[f"t31_{hub}_mkb_builders"] for hub in FOUR_HUBS) == t["kpi4_mkb_2025_09"]


def test_appendix_changes_fit_inside_the_table(targets):
    """Noord's and West's named per-type increases fit inside the September cells; what they leave of the hub's growth
    falls on the unnamed types: West +2, Noord -8 (its named +39 exceed its growth of 31), as the notes say."""
    t = targets.set_index("name")
    value = t["value"]
    for hub, start, rest in (("noord", value["noord_partners_2024_04"], -8), ("west", value["west_partners_2024_04"], 2)):
        changes = {typ: value[f"{hub}_change_{typ}"] for typ in TYPES if f"{hub}_change_{typ}" in value}
        assert changes
        for typ, d in changes.items():
            assert 0 < d <= value[f"t31_{hub}_{typ}"], (hub, typ)
        assert value[f"{hub}_partners_2025_09"] - start - sum(changes.values()) == rest
        assert f"{rest:+d}" in t.loc[f"{hub}_change_mkb_builders", "note"]


@pytest.mark.parametrize("path", [TARGETS, VALIDATION], ids=["targets", "validation"])
def test_stated_totals_hold_or_their_inconsistency_is_documented(path):
    df = load_targets(path) if path == TARGETS else load_validation(path)
    values = df.set_index("name")["value"]
    checks = load_checks(path)
    assert checks
    for c in checks:
        parts = [values[n] for n in c["sum_of"]] if "sum_of" in c else c["components"]
        total = sum(parts)
        if c["holds"]:
            assert total == c["stated"], c["name"]
        else:
            assert total == c["derived"] != c["stated"], c["name"]
            assert "INCONSISTENT" in c["note"], c["name"]


def test_known_inconsistencies_of_the_source_are_recorded():
    checks = {c["name"]: c for c in load_checks()}
    assert checks["participants_hub_totals"]["derived"] == 3284 and checks["participants_hub_totals"]["stated"] == 3161
    assert checks["participants_hub_teachers"]["derived"] == 110 and checks["participants_hub_teachers"]["stated"] == 75
    assert checks["kpi5_parts"]["derived"] == 1784 and checks["kpi5_parts"]["stated"] == 1750
    assert checks["participants_hub_students"]["holds"]


# ------------------------------------------------------------------------------------------------ held out stays held out
def test_held_out_names_and_observations_are_disjoint_from_the_fitted(targets, validation):
    assert not set(targets["name"]) & set(validation["name"])
    assert not set(targets.loc[targets["status"] == "ok", "model_output"]) & set(validation["model_output"])
    fitted = [(r.value, parse_source(r.source)) for r in targets.itertuples()]
    for r in validation.itertuples():
        for seed, lo, hi in parse_source(r.source):
            for value, parts in fitted:
                overlap = any(s == seed and a <= hi and lo <= b for s, a, b in parts)
                assert not (overlap and math.isclose(value, r.value)), f"{r.name} repeats a fitted number ({value:g}, {seed} L{lo}-{hi})"


def test_distance_never_sees_validation(validation):
    sim = dict(zip(validation["model_output"], validation["value"], strict=True))
    with pytest.raises(ValueError, match="held-out"):
        distance(sim, validation)


# ------------------------------------------------------------------------------------------------ bad files
GOOD = TARGET_RECORD


def _with(line_key: str, new: str | None) -> str:
    """GOOD with the line of `line_key` replaced by `new` (None drops it)."""
    out = []
    for line in GOOD.splitlines():
        if line.startswith(f"{line_key} ="):
            if new is not None:
                out.append(new)
        else:
            out.append(line)
    return "\n".join(out) + "\n"


BAD = [
    ("sd", _with("sd", None)),
    ("sd", _with("sd", "sd = 0")),
    ("sd", _with("sd", "sd = -1.0")),
    ("value", _with("value", 'value = "170"')),
    ("value", _with("value", "value = true")),
    ("value", _with("value", "value = nan")),
    ("date", _with("date", 'date = "2025-13"')),
    ("date", _with("date", 'date = "2024-02"')),
    ("date", _with("date", 'date = "2031-01"')),
    ("date", _with("date", 'date = "Sept 2025"')),
    ("date_from", GOOD + 'date_from = "2025-10"\n'),
    ("source", _with("source", 'source = "Table 3.1"')),
    ("source", _with("source", 'source = "003 (Table 3.1)"')),
    ("source", _with("source", 'source = "007 L12"')),
    ("source", _with("source", 'source = "003 L20-10"')),
    ("quote", _with("quote", 'quote = " "')),
    ("sd_reason", _with("sd_reason", None)),
    ("model_output", _with("model_output", 'model_output = "KPI 4"')),
    ("status", _with("status", 'status = "done"')),
    ("unit", _with("unit", 'unit = "euro"')),
    ("name", _with("name", 'name = "X Target"')),
    ("colour", GOOD + 'colour = "red"\n'),
    ("held_out", GOOD + "held_out = true\n"),
    ("n", _with("unit", 'unit = "share"').replace("value = 170", "value = 0.5")),
    ("value", _with("unit", 'unit = "share"').replace("value = 170", "value = 1.5") + "n = 8\n"),
    ("n", _with("unit", 'unit = "share"').replace("value = 170", "value = 0.5") + "n = 0\n"),
    ("name", GOOD + "\n" + GOOD.replace("kpi4_mkb_four_hubs", "kpi5_skilled_four_hubs")),
    ("model_output", GOOD + "\n" + GOOD.replace("x_target", "y_target")),
]


@pytest.mark.parametrize("key,text", BAD, ids=[f"{i}-{k}" for i, (k, _) in enumerate(BAD)])
def test_a_bad_record_fails_with_one_line_naming_file_record_and_key(tmp_path, key, text):
    f = tmp_path / "bad_targets.toml"
    f.write_text(text)
    with pytest.raises(TargetError) as err:
        load_targets(f)
    msg = str(err.value)
    assert "\n" not in msg
    name = {"model_output": "y_target" if "y_target" in text else "x_target"}.get(key, "x_target")
    name = "X Target" if 'name = "X Target"' in text else name
    assert msg.startswith(f"bad_targets.toml: record {name}: {key}: expected "), msg
    assert err.value.key == key


def test_validation_records_must_be_marked_held_out(tmp_path):
    f = tmp_path / "v.toml"
    f.write_text(GOOD.replace("[[kpi]]", "[[reach]]"))
    with pytest.raises(TargetError, match=r"^v\.toml: record x_target: held_out: expected true"):
        load_validation(f)


@pytest.mark.parametrize("text,key", [("[[kpi]\nname = 1\n", "(syntax)"), ("[[colours]]\nname = 'x'\n", "colours"), ("", "(records)")])
def test_a_bad_file_fails_with_one_line(tmp_path, text, key):
    f = tmp_path / "t.toml"
    f.write_text(text)
    with pytest.raises(TargetError) as err:
        load_targets(f)
    assert "\n" not in str(err.value) and str(err.value).startswith(f"t.toml: {key}: expected ")


def test_a_record_without_a_name_is_named_by_its_position(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(_with("name", None))
    with pytest.raises(TargetError, match=r"^t\.toml: record #1 of \[\[kpi\]\]: name: expected this key"):
        load_targets(f)


# ------------------------------------------------------------------------------------------------ distance
def _at_observed(targets):
    fit = targets[targets["status"] == "ok"]
    return dict(zip(fit["model_output"], fit["value"], strict=True))


def test_distance_is_zero_at_the_observed_values(targets):
    assert distance(_at_observed(targets), targets) == 0.0


def test_distance_grows_with_the_deviation_in_sd_units(targets):
    sim0 = _at_observed(targets)
    n = len(sim0)
    row = targets.set_index("model_output").loc["partners_four_hubs"]
    row = row[row["status"] == "ok"].iloc[0]
    last = 0.0
    for k in (0.5, 1.0, 2.0, 4.0):
        sim = dict(sim0, partners_four_hubs=row["value"] + k * row["sd"])
        d = distance(sim, targets)
        assert d == pytest.approx(k / math.sqrt(n)) and d > last
        last = d
    below = dict(sim0, partners_four_hubs=row["value"] - 2 * row["sd"])
    assert distance(below, targets) == pytest.approx(2 / math.sqrt(n))


def test_distance_uses_only_fitted_targets_present_in_simulated(targets):
    sim = _at_observed(targets)
    only_two = {"partners_noord": 100 + 5.0, "kpi4_mkb_four_hubs": 170.0}        # sd 5 -> z = 1 and 0
    assert distance(only_two, targets) == pytest.approx(math.sqrt(0.5))
    extra = dict(sim, survey_education_zuid_employer_biobased_share=0.0, unknown_output=1e9)  # no model output yet / not a target
    assert distance(extra, targets) == 0.0
    initial = targets[targets["status"] == "initial condition"]
    assert len(initial) and distance(dict(sim, partners_west=224.0), targets) == 0.0  # 142 (2024-04) is not fitted
    assert distance(dict(sim, partners_noord=float("nan")), targets) == math.inf
    # a survey share is NaN when nobody took part in the surveyed activity: missing, left out (not a failed run)
    n_ok = int((targets["status"] == "ok").sum())
    off = dict(sim, survey_events_know_better_share=sim["survey_events_know_better_share"] + 0.14 * math.sqrt(n_ok))
    assert distance(off, targets) == pytest.approx(1.0)                    # sd 0.14: z = sqrt(n) -> rms 1
    assert distance(dict(sim, survey_events_know_better_share=float("nan")), targets) == 0.0
    with pytest.raises(ValueError):
        distance({"unknown_output": 1.0}, targets)


# ------------------------------------------------------------------------------------------------ against the model
@pytest.fixture(scope="module")
def outcomes():
    return run(until="2025-09")


def test_every_fitted_model_output_can_be_read_from_a_run(targets, outcomes):
    sim = observe(outcomes, targets)
    fit = targets[targets["status"] == "ok"]
    assert set(sim) == set(fit["model_output"])
    survey = set(fit.loc[fit["group"] == "survey", "model_output"])
    assert all(np.isfinite(v) for k, v in sim.items() if k not in survey)
    assert all(math.isnan(sim[k]) or 0 <= sim[k] <= 1 for k in survey)   # NaN: nobody took part in that run
    assert sum(np.isfinite(sim[k]) for k in survey) >= 20
    assert np.isfinite(distance(sim, targets))
    ts = outcomes["timeseries"].set_index("date")
    assert sim["partners_four_hubs"] == ts.at["2025-09", "partners_four_hubs"]
    assert sim["kpi4_mkb_four_hubs"] == sim["partners_four_hubs_mkb_builders_change"] + 94      # March 2024 type-1 margin
    assert sim["partners_noord_mkb_builders_change"] == (
        sim["partners_noord_mkb_builders"] - _cell(outcomes, "2024-04", "noord", "mkb_builders"))


def _cell(outcomes, date, hub, typ):
    p = outcomes["partners_by_hub_type"]
    return float(p.loc[(p["date"] == date) & (p["hub"] == hub) & (p["partner_type"] == typ), "partners"].sum())


def test_initial_conditions_hold_at_the_start_of_a_run(targets, outcomes):
    """Records marked 'initial condition' are matched by construction at t = 0 (April counts are used as March, ODD 9)."""
    first = outcomes["timeseries"].iloc[0]
    assert first["date"] == "2024-03"
    for r in targets[targets["status"] == "initial condition"].itertuples():
        assert first[r.model_output] == r.value, r.name
