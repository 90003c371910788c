"""Behaviour over seeds, in the mesa-examples style: each mechanism moves outcomes the way the
sources say, and switching it off removes the effect. Comparisons use the same seeds (common random
numbers at the start) and regional runs to keep the suite fast."""

from __future__ import annotations

import numpy as np

from propeller.core.outcomes import spell_lengths
from tests.conftest import run

SEEDS = range(6)


def metric(overrides: dict, fn, region: str = "west", until: str = "2027-12") -> np.ndarray:
    over = {"simulation.region": region, **overrides}
    return np.array([fn(run(over, seed=s, until=until)) for s in SEEDS], dtype=float)


def last(col):
    return lambda out: out["timeseries"][col].iloc[-1]


def occupancy(route: str, steps: tuple[str, ...]):
    def fn(out):
        occ = out["occupancy"]
        last_date = occ["date"].iloc[-1]
        sel = (occ["date"] == last_date) & (occ["route"] == route) & occ["step"].isin(steps)
        return occ.loc[sel, "organisations"].sum()
    return fn


ADOPTEREN = ("secure", "scale", "develop")


def test_connector_leaving_shrinks_the_hub():
    """'If the connecting party drops out, the ecosystem falls apart' [003 L1550-1563]."""
    base = metric({}, last("partners_west"))
    gone = metric({"hubs.west.connector_leaves": "2025-01"}, last("partners_west"))
    assert (gone < base).sum() >= 5 and gone.mean() < 0.85 * base.mean()
    level = metric({"hubs.west.connector_leaves": "2025-01"}, last("activity_level_west"))
    assert np.allclose(level, level[0]) and level[0] < 0.5


def test_funding_cut_reduces_activity_and_skills():
    base = metric({}, last("kpi5_skilled"))
    cut = metric({"funding.multiplier": 0.3, "funding.change_date": "2024-06"}, last("kpi5_skilled"))
    assert (cut < base).all()
    runs = metric({"funding.multiplier": 0.3, "funding.change_date": "2024-06"}, last("runs_events"))
    assert runs.mean() < 0.5 * metric({}, last("runs_events")).mean()


def test_woco_needs_a_comaker_to_leave_uitproberen():
    """A woningcorporatie does not get through uitproberen without co-makers [003 L7886-7892]:
    without client ties (network off) and the gate closed, wocos in Adopteren can only decrease."""
    def woco_adopting_series(out):
        occ = out["occupancy"]
        sel = (occ["route"] == "woco") & occ["step"].isin(ADOPTEREN)
        return occ.loc[sel].groupby("date")["organisations"].sum().to_numpy()

    for s in SEEDS:
        blocked = woco_adopting_series(run({"network.enabled": False, "simulation.region": "west"}, seed=s))
        assert (np.diff(blocked) <= 0).all()
    gained = [woco_adopting_series(run({"network.enabled": False, "coupling.comaker_gate_floor": 1.0,
                                        "simulation.region": "west"}, seed=s)) for s in SEEDS]
    assert sum((np.diff(g) > 0).any() for g in gained) >= 4


def test_procurement_pull_speeds_up_companies():
    """Clients that adopt pull the builders they contract [003 L14028-14034]."""
    fn = occupancy("mkb", ADOPTEREN)
    none = metric({"coupling.procurement_boost": 0.0}, fn, until="2030-12")
    strong = metric({"coupling.procurement_boost": 5.0}, fn, until="2030-12")
    assert strong.mean() > none.mean() and (strong >= none).sum() >= 4


def test_students_carry_innovation_into_companies():
    """Schools that renew send students to companies (internships, first jobs) [003 L5437-5441]."""
    received = metric({}, lambda out: out["final_persons"]["students_received"], region="noord")
    assert (received > 0).all()
    off = metric({"coupling.students_to_companies": 0.0}, lambda out: out["final_persons"]["students_received"],
                 region="noord")
    assert (off == 0).all()


def test_spillover_engages_other_themes():
    """~60 % plan another innovation [003 L3121]: switching spill-over off leaves more partners
    not engaged on the themes."""
    with_spill = metric({}, last("partner_phase_none"))
    without = metric({"spillover.p_other_theme": 0.0}, last("partner_phase_none"))
    assert without.mean() > with_spill.mean() + 0.02


def test_stays_in_uitproberen_are_long():
    """'Traagheid' emerges: completed stays in uitproberen last longer than in agenderen
    [003 L345-355, L3378-3384], for companies, woningcorporaties and gemeenten together."""
    from propeller import PropellerModel
    from propeller.core.constants import ROUTES
    from propeller.core.outcomes import spell_lengths
    from propeller.scenarios.loader import load

    routes = [ROUTES.index(r) for r in ("mkb", "woco", "gemeente")]
    ag, uit = [], []
    for seed in range(3):
        m = PropellerModel(load(), rng=seed, with_agents=False)
        m.run_for(m.n_months)
        hist = m.recorder.stage[:, np.isin(m.pop.route, routes), :]
        ag.extend(spell_lengths(hist, 1))
        uit.extend(spell_lengths(hist, 2))
    assert len(uit) > 500
    assert np.mean(uit) > 1.1 * np.mean(ag)


def test_spell_lengths_counts_completed_stays_only():
    hist = np.array([[0], [4], [4], [5], [1], [4], [4]], dtype=np.int8)[:, :, None]  # T x N x K
    assert spell_lengths(hist, 2).tolist() == [3]  # the second stay is still running


def test_targeting_followers_reaches_followers():
    """Broadening the target group to followers (direction 4 [003 L4635-4850])."""
    base = metric({}, last("partners_class_follower"))
    broad = metric({"ecosystem.class_weight": [1.0, 1.0, 1.0, 1.0]}, last("partners_class_follower"))
    assert broad.mean() > 1.2 * base.mean()


def test_events_bring_in_partners():
    base = metric({}, last("partners_west"))
    no_events = metric({"hubs.west.instruments.events": 0.0}, last("partners_west"))
    assert base.mean() > no_events.mean()


def test_trajectory_formats_set_group_sizes():
    """Formats are data: a hub running only 1-on-1 trajectories has ~1 organisation per run, only
    CoPs ~16 [003 L8577-8605, L8084-8088]."""
    def persons_per_run(out):
        ts = out["timeseries"].iloc[-1]
        persons = sum(ts[f"participants_trajectories_{c}"] for c in ("professionals", "students", "teachers"))
        return persons / max(ts["runs_trajectories"], 1)

    one = metric({"hubs.west.trajectory_mix": [0.0, 0.0, 0.0, 0.0, 1.0]}, persons_per_run)
    cop = metric({"hubs.west.trajectory_mix": [0.0, 0.0, 0.0, 1.0, 0.0]}, persons_per_run)
    assert 1.5 < one.mean() < 2.5          # one organisation x 2 persons
    assert cop.mean() > 8 * one.mean()


def test_reach_beyond_participants():
    """Participants tell colleagues and chain partners [003 L2966-2989]: without it, fewer
    organisations engage and no colleague is told."""
    told = metric({}, lambda out: out["final_persons"]["colleagues_told"])
    assert (told > 0).all()
    off = {f"instruments.{i}.{k}": 0.0 for i in ("trajectories", "llo")
           for k in ("reach_colleagues", "reach_chain_told", "reach_chain_involved")}
    assert (metric(off, lambda out: out["final_persons"]["colleagues_told"]) == 0).all()
    engaged = occupancy("mkb", ("awareness", "vision", "partnering", "design", "test", "validate") + ADOPTEREN)
    assert metric({}, engaged).mean() > metric(off, engaged).mean()
