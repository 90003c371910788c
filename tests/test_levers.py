"""Levers that act: extra funding buys extra activity where staff allow (and staff grow by hiring, with a delay);
where staff capacity binds, extra money changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from propeller.core.constants import HUBS
from propeller.core.simulate import simulate
from propeller.scenarios.loader import CALIBRATED, load

UNTIL = "2027-12"
SEEDS = (1, 2, 3)


def _runs(overrides: dict, seeds=SEEDS, until=UNTIL) -> list[pd.DataFrame]:
    sc = load(CALIBRATED, overrides=[f"{k}={v}" for k, v in overrides.items()])
    return [simulate(sc, seed=s, until=until)["timeseries"].set_index("date") for s in seeds]


def _at(runs, col, date):
    return np.array([ts.at[date, col] for ts in runs], dtype=float)


@pytest.fixture(scope="module")
def base_and_plus():
    return _runs({"funding.change_date": "2026-01"}), _runs({"funding.change_date": "2026-01", "funding.multiplier": 1.5})


def test_more_funding_buys_more_activity_where_staff_allow(base_and_plus):
    base, plus = base_and_plus
    for hub in ("zuid", "west"):  # budget-bound at the plan, with 20 % spare staff
        lvl = f"activity_level_{hub}"
        assert _at(base, lvl, "2026-06") == pytest.approx(_at(plus, lvl, "2025-12"))     # the same before 2026
        jan = _at(plus, lvl, "2026-01")[0]
        assert 1.2 < jan < 1.25        # at once: the spare staff (capacity / planned days = 1.22 Zuid, 1.21 West)
        later = _at(plus, lvl, "2027-06")[0]
        assert 1.45 < later <= 1.5 + 1e-9  # after hiring: what the money buys (staff grown towards 1.5 x capacity)
        staff = _at(plus, f"staff_days_{hub}", "2027-06")[0] / _at(plus, f"staff_days_{hub}", "2025-12")[0]
        assert 1.4 < staff <= 1.5 + 1e-9
        assert (_at(base, lvl, "2027-06") <= 1.0).all()
    # paired by seed: identical before the change, more partners, KPI 4 and KPI 5 after it
    for col in ("partners_total", "kpi5_skilled", "budget_spent_cum"):
        assert (_at(plus, col, "2025-12") == _at(base, col, "2025-12")).all()
        assert (_at(plus, col, UNTIL) > _at(base, col, UNTIL)).all(), col
    assert _at(plus, "kpi4_mkb", UNTIL).mean() > _at(base, "kpi4_mkb", UNTIL).mean()
    spent = (_at(plus, "budget_spent_cum", UNTIL) - _at(plus, "budget_spent_cum", "2025-12")) / \
        (_at(base, "budget_spent_cum", UNTIL) - _at(base, "budget_spent_cum", "2025-12"))
    assert (spent > 1.25).all() and (spent < 1.6).all()  # the extra money is spent on runs


def test_when_staff_capacity_binds_extra_money_changes_nothing():
    """Staff at 90 % of the plan's days and no hiring: the hubs are staff-bound with and without the extra money,
    so every output is identical until the programme ends (2028-12; after it the budget binds again)."""
    tight = {"funding.change_date": "2026-01", "funding.hiring_share": 0.0}
    sc = load(CALIBRATED)
    from propeller.core.model import PropellerModel

    m = PropellerModel(sc, rng=0)
    for h, hub in enumerate(HUBS):
        tight[f"hubs.{hub}.capacity"] = 0.9 * m.planned_days[h] / m.connector[h]
    base = _runs(tight, seeds=(4, 5), until="2028-12")
    plus = _runs({**tight, "funding.multiplier": 1.5}, seeds=(4, 5), until="2028-12")
    for b, p in zip(base, plus, strict=True):
        assert np.allclose(p["activity_level_west"].iloc[1:].to_numpy(), 0.9)
        pd.testing.assert_frame_equal(b, p)
    # with hiring allowed the same money does act
    hired = _runs({**tight, "funding.multiplier": 1.5, "funding.hiring_share": 1.0}, seeds=(4,), until="2027-12")
    assert hired[0].at["2027-12", "activity_level_west"] > 1.2
    assert hired[0].at["2027-12", "partners_total"] > base[0].at["2027-12", "partners_total"]


def test_hiring_takes_time():
    quick = _runs({"funding.change_date": "2026-01", "funding.multiplier": 1.5, "funding.hiring_delay_months": 1},
                  seeds=(1,), until="2026-03")[0]
    slow = _runs({"funding.change_date": "2026-01", "funding.multiplier": 1.5, "funding.hiring_delay_months": 12},
                 seeds=(1,), until="2026-03")[0]
    for ts in (quick, slow):  # the first month of the money: the staff there are (20 % spare)
        assert 1.2 < ts.at["2026-01", "activity_level_west"] < 1.21
    assert quick.at["2026-02", "activity_level_west"] == pytest.approx(1.5)   # hired within a month: the money binds
    assert 1.2 < slow.at["2026-02", "activity_level_west"] < 1.3
    assert slow.at["2026-03", "staff_days_west"] < quick.at["2026-03", "staff_days_west"]


def test_switching_an_instrument_off_takes_its_money_and_staff_with_it():
    from propeller.core.model import PropellerModel
    from propeller.core.plan import planned, switch_off

    sc = load(CALIBRATED)
    m = PropellerModel(sc, rng=0)
    cost, days = planned(sc.params)
    assert np.allclose(cost, m.planned_cost) and np.allclose(days, m.planned_days)
    off = switch_off(sc.params, "trajectories")
    assert {k for k in off if k.endswith(".trajectories")} == {f"hubs.{h}.instruments.trajectories" for h in HUBS}
    base = _runs({}, seeds=(1,), until="2025-06")[0]
    without = _runs(off, seeds=(1,), until="2025-06")[0]
    for hub in HUBS:  # the rest of each hub's plan runs at the level it did
        assert np.allclose(without[f"activity_level_{hub}"], base[f"activity_level_{hub}"], rtol=1e-12), hub
    assert without["runs_trajectories"].iloc[-1] == 0 < base["runs_trajectories"].iloc[-1]
    # the money left in the plan: re-allocated, the other instruments run more
    kept = _runs({f"hubs.{h}.instruments.trajectories": 0.0 for h in HUBS}, seeds=(1,), until="2025-06")[0]
    assert kept["activity_level_west"].iloc[-1] > 1.5
    with pytest.raises(KeyError, match="no instrument 'trajectory'"):
        switch_off(sc.params, "trajectory")


def test_a_hub_with_nothing_planned_or_switched_off_runs_finite():
    """A plan without cost (only recruitment) runs at plan; a hub switched off whole (no plan, budget, staff) runs
    nothing - neither divides by zero (a NaN or infinite level once hung the run)."""
    from propeller.core.instruments import registry

    no_cost = {f"hubs.zuid.instruments.{n}": 0.0 for n in registry.names()}
    ts = _runs(no_cost, seeds=(1,), until="2024-09")[0]
    assert (ts["activity_level_zuid"].iloc[1:] == 1.0).all()  # (the first row is the start, before any month)
    assert ts["partners_zuid"].iloc[-1] > 0
    off = {**no_cost, "hubs.zuid.budget": 0.0, "hubs.zuid.capacity": 0.0, "hubs.zuid.recruitment": 0.0,
           "hubs.zuid.discovery": 0.0}
    ts = _runs(off, seeds=(1,), until="2024-09")[0]
    assert np.isfinite(ts["activity_level_zuid"]).all() and (ts["budget_spent_cum"] >= 0).all()


def test_every_instruments_staff_days_cost_less_than_its_run():
    """The one check the seeds allow on the assumed costs (docs/levers.md, "Costs"): at EUR 100 k a staff year
    [000 L3087-3089] and an assumed 216 working days, a run's staff days cost less than the run."""
    from propeller.core.instruments import registry

    day = 100_000 / 216
    p = load(CALIBRATED).params
    for name in registry.names():
        staff = p[f"instruments.{name}.staff_days"] * day
        assert staff < p[f"instruments.{name}.cost"], (name, staff, p[f"instruments.{name}.cost"])
