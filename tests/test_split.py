"""The split of fitted and held-out records (issue 15, point 4; docs/calibration_split.md): no record in both files,
at least 15 held-out records with a model output, spread over hubs and instruments, and never fitted."""

from __future__ import annotations

import pytest

from propeller.calibration.targets import distance, load_targets, load_validation
from propeller.core import surveys
from propeller.core.constants import HUBS


@pytest.fixture(scope="module")
def held():
    v = load_validation()
    return v[v["status"] == "ok"]


def where(output: str, decl) -> tuple[set[str], set[str]]:
    """(hubs, instruments) of the survey whose output this is (a pooled survey: its parts')."""
    for s in decl.surveys.values():
        if output in s.outputs:
            parts = [decl.surveys[p] for p in s.pool] if s.pool else [s]
            return {HUBS[h] for p in parts for h in p.hubs}, {p.instrument for p in parts}
    raise KeyError(output)


def test_no_record_is_both_fitted_and_held_out():
    t, v = load_targets(), load_validation()
    assert not set(t["name"]) & set(v["name"])
    assert not set(t.loc[t["status"] == "ok", "model_output"]) & set(v.loc[v["status"] == "ok", "model_output"])


def test_at_least_15_held_out_records_spread_over_hubs_and_instruments(held):
    decl = surveys.load()
    assert len(held) >= 15
    hubs, instruments = set(), set()
    for out in held["model_output"]:
        h, i = where(out, decl)
        hubs |= h
        instruments |= i
    assert len(hubs) >= 3, hubs
    assert len(instruments) >= 3, instruments


def test_held_out_records_are_never_fitted(held):
    with pytest.raises(ValueError, match="never fitted"):
        distance({o: 0.5 for o in held["model_output"]}, held)
