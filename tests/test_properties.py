"""Property tests (hypothesis): any parameter set the loader accepts runs without crashing and keeps the model's
invariants, checked against its state month by month, and runs the same twice with the same seed; the generator
of valid sets produces only sets the loader accepts; the loader's cap on the hazard of leaving a step accepts
exactly the sets under it; any value a key's rule refuses gives a ScenarioError that names the key.

Runs are regional (Midden) and short (2024-03 .. 2025-03) to keep each example fast; the drawn keys cover every
kind of rule: probabilities, shares that sum to 1, non-negative rates, organisation counts, phase scales, a
transition rate, dates and switches.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propeller import PropellerModel
from propeller.core.constants import HUBS, PHASES, ROUTES, STEP_INDEX, STEP_PHASE, STEPS
from propeller.scenarios.loader import DEFAULTS, MAX_EXIT_HAZARD, MAX_ORGANISATIONS, ScenarioError, load

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
BACK = "propeller.rates.mkb.test.back"
CAP = 5.0  # per month, the loader's cap on the scheduled hazard of leaving a step (1 - e^-5 = 99.3 % within a month)


@functools.lru_cache(maxsize=1)
def _baseline():
    sc = load(DEFAULTS, overrides=FIXED)
    return sc.params, tuple(sc.transitions)


def exit_hazards(over: dict) -> dict[tuple[str, str], float]:
    """The scheduled monthly hazard of leaving each (route, step) under ``over`` (the baseline table with the drawn
    scales and mkb test-back rate): the sum of its moves' rates, forward and skip times the phase's scale."""
    params, table = _baseline()
    scale = {p: over.get(f"propeller.scale_{PHASES[p]}", params[f"propeller.scale_{PHASES[p]}"]) for p in (1, 2, 3)}
    out: dict[tuple[str, str], float] = {}
    for t in table:
        rate = over.get(BACK, t.rate) if t.key == BACK else t.rate
        f = scale[STEP_PHASE[STEP_INDEX[t.src]]] if t.kind in ("forward", "skip") else 1.0
        out[(t.route, t.src)] = out.get((t.route, t.src), 0.0) + rate * f
    return out


def max_back(over: dict) -> float:
    """The largest mkb test-back rate its own rule ([0, 5]) and the cap on leaving mkb/test allow with ``over``'s
    scales: scale_uitproberen 5 x test's forward rate plus a back rate of 4.75 is over the cap."""
    others = exit_hazards({**over, BACK: 0.0})[("mkb", "test")]
    return min(5.0, CAP - others)


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
        # what the drawn scales leave of the cap on leaving mkb/test (a fixed 0 .. 4.9 made sets the loader refuses)
        over[BACK] = draw(st.floats(0.0, max_back(over) * (1 - 1e-9)))
    if draw(st.booleans()):
        over["funding.change_date"] = draw(st.sampled_from(MONTHS))
    if draw(st.booleans()):
        over["hubs.midden.connector_leaves"] = draw(st.sampled_from(["", *MONTHS]))
    if draw(st.booleans()):
        over["network.enabled"] = draw(st.booleans())
    return over


def step_and_check(scenario, seed: int) -> dict:
    """Run month by month, checking the state after every month against what the recorder reports for it."""
    m = PropellerModel(scenario, rng=seed, with_agents=False)
    n, k = m.stage.shape
    thr = scenario["ecosystem.ring_thresholds"][2]
    states = [(m.stage.copy(), m.eco.rel.copy())]
    for _ in range(m.n_months):
        m.run_for(1)
        assert m.stage.min() >= 0 and m.stage.max() <= len(STEPS) - 1  # stages within 0..9
        assert np.all((m.eco.rel >= 0) & (m.eco.rel <= 1))  # relations within [0, 1]
        w = m.eco._w[:m.eco.m]
        assert np.all((w >= 0) & (w <= 1))  # tie intensities too
        states.append((m.stage.copy(), m.eco.rel.copy()))
    out = m.outcomes()
    ts, occ = out["timeseries"], out["occupancy"]
    assert len(ts) == m.n_months + 1 == len(states)
    assert np.isfinite(ts.select_dtypes("number").to_numpy()).all()
    # conservation: every (organisation, theme) pair is on exactly one step each month, and the occupancy is the
    # stage array counted by route
    per = occ["organisations"].to_numpy().reshape(len(states), len(ROUTES), k, len(STEPS))
    for t, (stage, rel) in enumerate(states):
        want = np.zeros((len(ROUTES), k, len(STEPS)), dtype=np.int64)
        for th in range(k):
            np.add.at(want[:, th], (m.pop.route, stage[:, th]), 1)
        assert (per[t] == want).all(), t
        assert (per[t].sum(axis=(0, 2)) == n).all()
        # partners: recounted from the relations, never more than the organisations (known to the hub)
        partners = rel >= thr
        for h, hub in enumerate(HUBS):
            assert ts[f"partners_{hub}"].iloc[t] == partners[:, h].sum() <= (rel[:, h] > 0).sum() <= n
        assert ts["partners_unique"].iloc[t] == partners.any(axis=1).sum() <= n
    assert ts["partners_total"].max() <= n * len(HUBS)
    cum = [c for c in ts.columns if c.startswith(("kpi5", "adoptions_cum", "participants_", "runs_", "joins_cum",
                                                  "leaves_cum", "budget_spent"))]
    assert (ts[cum].diff().iloc[1:] >= 0).all().all(), "a cumulative counter went down"
    for hub in HUBS:
        assert (ts[f"partners_{hub}"] == ts[f"partners_{hub}"].iloc[0] + ts[f"joins_cum_{hub}"]
                - ts[f"leaves_cum_{hub}"]).all()
    assert ts["adopted_share"].between(0, 1).all()
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(over=valid_overrides(), seed=st.integers(0, 2**32 - 1))
def test_valid_parameters_run_and_keep_the_invariants(over, seed):
    assert max(exit_hazards(over).values()) <= CAP  # the generator keeps to the loader's cap
    scenario = load(DEFAULTS, overrides={**FIXED, **over})  # inside the rules: must be accepted
    out = step_and_check(scenario, seed)
    again = PropellerModel(scenario, rng=seed, with_agents=False)  # reproducible: the same seed, the same run
    again.run_for(again.n_months)
    twice = again.outcomes()
    for key in ("timeseries", "occupancy", "partners_by_hub_type", "participants"):
        pd.testing.assert_frame_equal(out[key], twice[key])
    assert out["final_persons"] == twice["final_persons"]


@settings(max_examples=60, deadline=None)
@given(scales=st.fixed_dictionaries({k: st.floats(0.0, 10.0) for k in SCALES}), back=st.floats(0.0, 5.0))
def test_loader_accepts_exactly_the_sets_under_the_exit_hazard_cap(scales, back):
    """Phase scales and a back rate each within their own rule: the loader accepts the set if and only if no
    step's scheduled hazard of leaving exceeds the cap, and otherwise names a step that does."""
    assert MAX_EXIT_HAZARD == CAP
    over = {**scales, BACK: back}
    hz = exit_hazards(over)
    worst = max(hz.values())
    if abs(worst - CAP) < 1e-6:
        return  # on the boundary (rounding)
    if worst < CAP:
        load(DEFAULTS, overrides={**FIXED, **over})
        return
    with pytest.raises(ScenarioError, match="total hazard of leaving") as err:
        load(DEFAULTS, overrides={**FIXED, **over})
    route, src = err.value.key.split(".")[2:4]
    assert hz[(route, src)] > CAP


@settings(max_examples=100, deadline=None)
@given(over=valid_overrides())
def test_the_generator_draws_only_sets_the_loader_accepts(over):
    assert max(exit_hazards(over).values()) <= CAP
    load(DEFAULTS, overrides={**FIXED, **over})


@pytest.mark.parametrize("scale", [0.0, 1.0, 3.0, 5.0, 10.0])
def test_the_back_rate_bound_is_the_loaders(scale):
    """The generator's bound on the back rate is exactly where the loader starts refusing (a bound that let
    scale_uitproberen 5 and back 4.75 through was the old generator's bug)."""
    over = {"propeller.scale_uitproberen": scale}
    top = max_back(over)
    assert 0.0 < top <= 5.0
    assert {t.key: t.rate for t in load(DEFAULTS, overrides={**FIXED, **over, BACK: top * (1 - 1e-9)}).transitions}[BACK] > 0
    if top < 5.0:
        with pytest.raises(ScenarioError, match=r"propeller\.rates\.mkb\.test: expected a total hazard of leaving test"):
            load(DEFAULTS, overrides={**FIXED, **over, BACK: top + 0.01})
    assert (max_back({"propeller.scale_uitproberen": 5.0}) < 4.75) and (max_back({}) > 4.75)


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
        load(DEFAULTS, overrides={**FIXED, key: value})
    msg = str(err.value)
    assert key in msg and "\n" not in msg and ": expected " in msg
    assert err.value.key.split("[")[0] == key
