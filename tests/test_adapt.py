"""Plan changes during the run (``adapt.*``, docs/ODD.md §7.3): a fixed re-allocation from a date, and an adaptive
plan whose trigger is evaluated on the run's own outcome. Until the change the run is the baseline's, seed for
seed; the change moves money without creating any; bad settings are refused with one line."""

from __future__ import annotations

import numpy as np
import pytest

from propeller.app.cli import main
from propeller.core.model import PropellerModel
from propeller.core.simulate import simulate
from propeller.scenarios.loader import CALIBRATED, ScenarioError, load

UNTIL = "2027-06"


def _ts(*overrides, seed=3, until=UNTIL):
    return simulate(load(CALIBRATED, overrides=list(overrides)), seed=seed, until=until)["timeseries"].set_index("date")


@pytest.fixture(scope="module")
def base():
    return _ts()


def test_no_plan_change_by_default(base):
    assert (base["plan_changed"] == 0).all()


def test_a_fixed_reallocation_takes_effect_at_its_date(base):
    ts = _ts("adapt.from=2026-01", "adapt.instrument_weight.events=0.0")
    before = ts.index < "2026-01"
    assert ts[before].equals(base[before])
    assert (ts.loc[ts.index >= "2026-01", "plan_changed"] == 1).all()
    # no events after the change, their money on the other instruments (each hub's planned cost is kept)
    assert ts.at["2025-12", "runs_events"] == ts.at[UNTIL, "runs_events"]
    assert ts.at[UNTIL, "runs_trajectories"] - ts.at["2025-12", "runs_trajectories"] > \
        base.at[UNTIL, "runs_trajectories"] - base.at["2025-12", "runs_trajectories"]


def test_the_plan_keeps_each_hubs_money_and_hub_weights_keep_the_total():
    sc = load(CALIBRATED, overrides=["adapt.from=2024-06", "adapt.instrument_weight.trajectories=3.0",
                                     "adapt.move_from=events", "adapt.move_to=coaching", "adapt.move_share=0.5",
                                     "adapt.hub_weight.oost=2.0", "adapt.hub_weight.midden=0.5"])
    m = PropellerModel(sc, rng=np.random.default_rng(1))
    cost0, budget0, cap0 = m.planned_cost.copy(), m.budget.copy(), m.capacity.copy()
    rates0 = m.hubs.rates.copy()
    m._change_plan()
    assert m.planned_cost == pytest.approx(cost0)                         # money moved between instruments, not made
    assert m.budget.sum() == pytest.approx(budget0.sum())                 # and between hubs
    oost, midden, zuid = 2, 4, 1
    assert m.budget[oost] / budget0[oost] == pytest.approx(2 * m.budget[zuid] / budget0[zuid])
    assert m.budget[midden] / budget0[midden] == pytest.approx(0.5 * m.budget[zuid] / budget0[zuid])
    assert m.capacity[oost] > cap0[oost] and m.capacity[zuid] == cap0[zuid]  # the hub that gains money hires
    names = m.instrument_names
    ev, tr = names.index("events"), names.index("trajectories")
    assert (m.hubs.rates[:, ev] < rates0[:, ev]).all() and (m.hubs.rates[:, tr] > rates0[:, tr]).all()
    assert m.plan_changed[0] == 1


def test_an_adaptive_plan_fires_the_month_after_its_condition_holds(base):
    # KPI 4 below 10 000 holds at once: the change takes effect the month after the first check
    ts = _ts("adapt.from=2025-06", "adapt.output=kpi4_mkb", "adapt.threshold=10000", "adapt.move_from=events",
             "adapt.move_to=coaching", "adapt.move_share=0.5")
    assert ts.loc["2025-06", "plan_changed"] == 0 and ts.loc["2025-07", "plan_changed"] == 1
    assert ts.loc[:"2025-06"].equals(base.loc[:"2025-06"])
    assert ts.at[UNTIL, "runs_coaching"] > base.at[UNTIL, "runs_coaching"]
    # a condition that never holds changes nothing
    never = _ts("adapt.from=2025-06", "adapt.output=kpi4_mkb", "adapt.threshold=0", "adapt.move_from=events",
                "adapt.move_to=coaching", "adapt.move_share=0.5")
    assert never.equals(base)


def test_the_trigger_reads_the_runs_own_outcome(base):
    """The first month KPI 4 reaches N (op >=), read from the same counts as the timeseries."""
    n = int(base.at["2026-03", "kpi4_mkb"])
    first = base.index[(base["kpi4_mkb"] >= n) & (base.index >= "2025-01")][0]
    ts = _ts("adapt.from=2025-01", "adapt.output=kpi4_mkb", "adapt.op=>=", f"adapt.threshold={n}",
             "adapt.class_weight=[1.0, 1.0, 1.0, 1.0]")
    changed = ts.index[ts["plan_changed"] == 1][0]
    assert ts.index.get_loc(changed) == base.index.get_loc(first) + 1
    assert ts.loc[:first].equals(base.loc[:first])
    # a window that closes before the condition holds: no change
    early = _ts("adapt.from=2025-01", "adapt.until=2025-02", "adapt.output=kpi4_mkb", "adapt.op=>=",
                f"adapt.threshold={n}", "adapt.class_weight=[1.0, 1.0, 1.0, 1.0]")
    assert (early["plan_changed"] == 0).all() and early.equals(base)


def test_targeting_after_a_change_reaches_more_followers(base):
    ts = _ts("adapt.from=2024-06", "adapt.class_weight=[1.0, 1.0, 1.0, 1.0]", until="2026-06")
    b = base.loc[:"2026-06"]
    assert ts.at["2026-06", "partners_class_follower"] > b.at["2026-06", "partners_class_follower"]


@pytest.mark.parametrize("setting, fragment", [
    ("adapt.from=2026-13", "adapt.from"),
    ("adapt.output=kpi9", "adapt.output"),
    ("adapt.op=<=", "adapt.op"),
    ("adapt.move_from=dinners", "an instrument"),
    ("adapt.move_share=1.5", "adapt.move_share"),
    ("adapt.class_weight=[1.0, 2.0]", "4 weights"),
    ("adapt.hub_weight.oost=-1", "adapt.hub_weight.oost"),
])
def test_bad_settings_are_one_line(setting, fragment):
    with pytest.raises(ScenarioError) as exc:
        load(CALIBRATED, overrides=[setting])
    assert fragment in exc.value.line() and len(exc.value.line().splitlines()) == 1


def test_bad_settings_on_the_command_line_exit_2(capsys):
    assert main(["run", str(CALIBRATED), "--set", "adapt.from=2026-01", "--set", "adapt.until=2025-01",
                 "--until", "2026-06"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "adapt.until" in err
    assert main(["run", str(CALIBRATED), "--set", "adapt.move_share=0.5", "--set", "adapt.move_from=events",
                 "--until", "2026-06"]) == 2
    assert "adapt.move_to" in capsys.readouterr().err


def test_the_adaptive_plan_example_fires_only_where_kpi4_lags():
    """scenarios/plans: where the rule does not fire the run is the calibrated one; where it fires, KPI 4 was below
    215 in the month before the change, within June-December 2026."""
    from pathlib import Path

    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.spec import load_spec

    root = Path(__file__).resolve().parents[1]
    plan = build_plan(load_spec(root / "scenarios" / "sweeps" / "adaptive_plan.toml"))
    assert len(plan.runs) == 60
    fired = 0
    for seed in range(6):
        cal = simulate(load(root / "scenarios" / "library" / "calibrated.toml"), seed=seed, until="2027-06")["timeseries"]
        ada = simulate(load(root / "scenarios" / "plans" / "move_to_coaching_if_kpi4_low.toml"), seed=seed,
                       until="2027-06")["timeseries"]
        changed = ada.index[ada["plan_changed"] == 1]
        if len(changed) == 0:
            assert ada.equals(cal)
            assert (cal.set_index("date").loc["2026-06":"2026-12", "kpi4_mkb"] >= 215).all()
            continue
        fired += 1
        first = changed[0]
        assert "2026-07" <= ada.at[first, "date"] <= "2027-01" and ada.at[first - 1, "kpi4_mkb"] < 215
        assert ada.iloc[:first].equals(cal.iloc[:first])
    assert fired < 6
