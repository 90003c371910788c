"""Property tests (hypothesis): any parameter set the loader accepts runs without crashing and keeps the model's
invariants; any value the loader's rules refuse gives a ScenarioError that names the key.

Runs are regional (Midden) and short (2024-03 .. 2025-03) to keep each example fast; the drawn keys cover every
kind of rule: probabilities, shares that sum to 1, non-negative rates, organisation counts, phase scales, a
transition rate, dates and switches.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propeller import PropellerModel
from propeller.core.constants import HUBS, STEPS
from propeller.scenarios.loader import MAX_ORGANISATIONS, ScenarioError, load

FIXED = {"simulation.region": "midden", "simulation.until": "2025-03"}
PROBABILITIES = ["spillover.p_other_theme", "network.decay", "network.new_tie_p", "network.intensify",
                 "ecosystem.decay", "instruments.events.p_aware", "instruments.events.p_advance",
                 "instruments.trajectories.p_advance", "hubs.midden.connector_strength", "reach.p_involved_advance",
                 "coupling.curriculum_share", "coupling.students_to_companies"]
# non-negative numbers without an upper rule: drawn up to a few times their baseline value
NON_NEGATIVE = {"diffusion.p": 0.05, "diffusion.q": 0.5, "hubs.midden.budget": 60000.0, "hubs.midden.capacity": 40.0,
                "hubs.midden.recruitment": 20.0, "hubs.midden.discovery": 20.0,
                "instruments.events.orgs_per_run": 30.0, "ecosystem.organic_rate": 0.02,
                "coupling.procurement_boost": 5.0, "funding.multiplier": 3.0,
                "hubs.midden.instruments.events": 4.0, "hubs.midden.instruments.trajectories": 2.0}
COUNTS = {"hubs.midden.partners_start": 120, "hubs.midden.potential_known": 200, "hubs.midden.potential_unknown": 600}
SCALES = ["propeller.scale_agenderen", "propeller.scale_uitproberen", "propeller.scale_adopteren"]
SHARES = ["hubs.midden.focus", "initial_state.partner_phase_shares"]
MONTHS = [f"{y}-{m:02d}" for y in range(2024, 2031) for m in range(1, 13) if f"{y}-{m:02d}" >= "2024-03"]

unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def shares(draw, n: int) -> list[float]:
    w = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n).filter(lambda v: sum(v) > 0.05))
    total = math.fsum(w)
    return [x / total for x in w]


@st.composite
def valid_overrides(draw) -> dict:
    over: dict = {}
    for key in draw(st.lists(st.sampled_from(PROBABILITIES), max_size=4, unique=True)):
        over[key] = draw(unit)
    for key in draw(st.lists(st.sampled_from(sorted(NON_NEGATIVE)), max_size=4, unique=True)):
        over[key] = draw(st.floats(0.0, NON_NEGATIVE[key]))
    for key in draw(st.lists(st.sampled_from(sorted(COUNTS)), max_size=2, unique=True)):
        over[key] = draw(st.integers(0, COUNTS[key]))
    for key in draw(st.lists(st.sampled_from(SCALES), max_size=2, unique=True)):
        over[key] = draw(st.floats(0.0, 10.0))
    for key in draw(st.lists(st.sampled_from(SHARES), max_size=1)):
        over[key] = draw(shares(4))
    if draw(st.booleans()):
        over["propeller.rates.mkb.test.back"] = draw(st.floats(0.0, 4.9))
    if draw(st.booleans()):
        over["funding.change_date"] = draw(st.sampled_from(MONTHS))
    if draw(st.booleans()):
        over["hubs.midden.connector_leaves"] = draw(st.sampled_from(["", *MONTHS]))
    if draw(st.booleans()):
        over["network.enabled"] = draw(st.booleans())
    return over


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(over=valid_overrides(), seed=st.integers(0, 2**32 - 1))
def test_valid_parameters_run_and_keep_the_invariants(over, seed):
    scenario = load(overrides={**FIXED, **over})  # inside the rules: must be accepted
    m = PropellerModel(scenario, rng=seed, with_agents=False)
    n_orgs = m.pop.n
    for _ in range(m.n_months):
        m.run_for(1)
        assert m.stage.min() >= 0 and m.stage.max() <= len(STEPS) - 1  # stages within 0..9
        assert np.all((m.eco.rel >= 0) & (m.eco.rel <= 1))  # relations within [0, 1]
        w = m.eco._w[:m.eco.m]
        assert np.all((w >= 0) & (w <= 1))  # tie intensities too
    out = m.outcomes()
    ts, occ = out["timeseries"], out["occupancy"]
    assert len(ts) == m.n_months + 1
    assert np.isfinite(ts.select_dtypes("number").to_numpy()).all()
    per_month = occ.groupby(["date", "theme"])["organisations"].sum()
    assert (per_month == n_orgs).all()  # every organisation is on one step of every theme, every month
    assert set(occ["step"]) <= set(STEPS) and (occ["organisations"] >= 0).all()
    cum = [c for c in ts.columns if c.startswith(("kpi5", "adoptions_cum", "participants_", "runs_", "joins_cum",
                                                  "leaves_cum", "budget_spent"))]
    assert (ts[cum].diff().iloc[1:] >= 0).all().all(), "a cumulative counter went down"
    assert (ts["partners_unique"] <= n_orgs).all() and (ts["partners_total"] <= n_orgs * len(HUBS)).all()
    for hub in HUBS:
        assert (ts[f"partners_{hub}"] <= n_orgs).all()
        assert (ts[f"partners_{hub}"] == ts[f"partners_{hub}"].iloc[0] + ts[f"joins_cum_{hub}"]
                - ts[f"leaves_cum_{hub}"]).all()
    assert ts["adopted_share"].between(0, 1).all()


# ------------------------------------------------------------------------------------------------ invalid
def _invalid_for(key: str):
    """Values that break the rule of ``key``: out of range, or of the wrong type."""
    wrong_type = st.sampled_from(["lots", True, [1.0], {"a": 1}])
    if key in PROBABILITIES:
        bad = st.one_of(st.floats(1.0, 1e9, exclude_min=True), st.floats(-1e9, 0.0, exclude_max=True),
                        st.sampled_from([math.nan, math.inf]))
    elif key in NON_NEGATIVE:
        bad = st.one_of(st.floats(-1e9, 0.0, exclude_max=True), st.sampled_from([math.nan, -math.inf, math.inf]))
    elif key in COUNTS:
        bad = st.one_of(st.integers(-10**9, -1), st.integers(MAX_ORGANISATIONS + 1, 10**12),
                        st.floats(0.5, 100.5).filter(lambda v: v != int(v)))
    elif key in SCALES:
        bad = st.one_of(st.floats(10.0, 1e9, exclude_min=True), st.floats(-1e9, 0.0, exclude_max=True))
    elif key in SHARES:
        bad = st.one_of(st.lists(unit, min_size=4, max_size=4).filter(lambda v: abs(sum(v) - 1) > 1e-3),
                        st.lists(unit, min_size=1, max_size=3), st.lists(unit, min_size=5, max_size=6))
    elif key == "propeller.rates.mkb.test.back":
        bad = st.one_of(st.floats(5.0, 1e9, exclude_min=True), st.floats(-1e9, 0.0, exclude_max=True))
    else:  # dates
        bad = st.one_of(st.sampled_from(["2026-13", "2026-00", "26-01", "Jan 2026", "2026/01", "1999-01", "2026-1"]),
                        st.text(max_size=8).filter(lambda s: not (len(s) == 7 and s[4] == "-" and s[:4].isdigit())))
    return st.one_of(bad, wrong_type)


INVALID_KEYS = PROBABILITIES + sorted(NON_NEGATIVE) + sorted(COUNTS) + SCALES + SHARES + [
    "propeller.rates.mkb.test.back", "funding.change_date", "simulation.until"]


@st.composite
def invalid_override(draw) -> tuple[str, object]:
    key = draw(st.sampled_from(INVALID_KEYS))
    return key, draw(_invalid_for(key))


@settings(max_examples=150, deadline=None)
@given(item=invalid_override())
def test_invalid_parameters_give_a_scenario_error_naming_the_key(item):
    key, value = item
    with pytest.raises(ScenarioError) as err:
        load(overrides={**FIXED, key: value})
    msg = str(err.value)
    assert key in msg and "\n" not in msg and ": expected " in msg
    assert err.value.key.split("[")[0] == key
