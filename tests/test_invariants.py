"""Invariants over a whole run, checked against the model's own state, not against other columns of the same frame.

The run is stepped month by month and after every month the state the outcomes are about is copied: the stages
(``model.stage``), the organisation-hub relations (``model.eco.rel``), activity levels and connector strengths. The
test then recounts from those copies, with the scenario's ring thresholds and the population's types, classes and
routes, what the recorder reported (rings, partners per hub and type, joins and leaves, occupancy, adopters,
adoptions, phases of partners, productivity) and cross-checks the model's independent counters (KPI 5 against the
Table 3.2 cells, spending against runs x cost, persons against organisations' counters). A recorder that counted a
ring wrongly, missed a join, shifted a month or dropped a route would fail here; a frame's columns agreeing with each
other would not show it.

Scenarios: regional runs with the network on and off and with full mixing, all hubs (Midden opening in 2024-09), and
a connector leaving (leaves happen).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from propeller import PropellerModel
from propeller.core.constants import (
    CLASSES,
    FIRST_ADOPTEREN,
    HUBS,
    PERSON_CATEGORIES,
    PHASES,
    ROUTES,
    STEP_PHASE,
    STEPS,
    THEMES,
    TYPES,
)
from propeller.scenarios.loader import DEFAULTS, load

SCENARIOS = {
    "west": ({"simulation.region": "west"}, 0, "2027-12"),
    "all_hubs": ({}, 1, "2025-12"),
    "oost_network_off": ({"simulation.region": "oost", "network.enabled": False}, 2, "2027-12"),
    "noord_mixing_full": ({"simulation.region": "noord", "diffusion.mixing": "full"}, 3, "2027-12"),
    "zuid_connector_leaves": ({"simulation.region": "zuid", "hubs.zuid.connector_leaves": "2024-09"}, 4, "2026-12"),
}


@dataclass
class Run:
    model: PropellerModel
    out: dict
    stage: np.ndarray      # T x N x K, copied from model.stage after every month
    rel: np.ndarray        # T x N x H, copied from model.eco.rel
    level: np.ndarray      # T x H, model.activity_level
    connector: np.ndarray  # T x H, model.connector
    thr: np.ndarray        # the scenario's ring thresholds (ring 1, 2, 3)
    region: str


def step_and_copy(overrides: dict, seed: int, until: str) -> Run:
    scenario = load(DEFAULTS, overrides={**overrides, "simulation.until": until})
    m = PropellerModel(scenario, rng=seed, with_agents=False)
    snaps = []

    def copy():
        snaps.append((m.stage.copy(), m.eco.rel.copy(), m.activity_level.copy(), m.connector.copy()))

    copy()
    for _ in range(m.n_months):
        m.run_for(1)
        copy()
    stage, rel, level, connector = (np.array(x) for x in zip(*snaps, strict=True))
    return Run(m, m.outcomes(), stage, rel, level, connector, np.array(scenario["ecosystem.ring_thresholds"]),
               scenario["simulation.region"])


@pytest.fixture(scope="module", params=list(SCENARIOS))
def r(request) -> Run:
    return step_and_copy(*SCENARIOS[request.param])


def is_partner(r: Run) -> np.ndarray:
    """T x N x H: in rings 1-3 (relation at or above the ring-3 threshold)."""
    return r.rel >= r.thr[2]


def test_one_row_per_month(r):
    ts = r.out["timeseries"]
    assert ts["date"].iloc[0] == "2024-03" and ts["date"].iloc[-1] == r.model.p["simulation.until"]
    assert len(ts) == len(r.stage) == r.model.n_months + 1
    assert ts["month"].tolist() == list(range(len(ts)))
    assert (pd.to_datetime(ts["date"]).diff().iloc[1:].dt.days.between(28, 31)).all()


def test_occupancy_is_the_stage_array_by_route(r):
    """Every (date, route, theme, step) cell counts the organisations of that route on that step, and every
    organisation is on exactly one step of every theme each month."""
    occ = r.out["occupancy"]
    n_t, n_orgs, n_k = r.stage.shape
    route = r.model.pop.route
    expected = np.zeros((n_t, len(ROUTES), n_k, len(STEPS)), dtype=np.int64)
    for t in range(n_t):
        for k in range(n_k):
            np.add.at(expected[t, :, k], (route, r.stage[t, :, k]), 1)
    dates = list(r.out["timeseries"]["date"])
    idx = (occ["date"].astype(str).map(dates.index).to_numpy(), occ["route"].astype(str).map(ROUTES.index).to_numpy(),
           occ["theme"].astype(str).map(THEMES.index).to_numpy(), occ["step"].astype(str).map(STEPS.index).to_numpy())
    assert len(occ) == expected.size and len(set(zip(*idx, strict=True))) == expected.size  # each cell once
    assert (occ["organisations"].to_numpy() == expected[idx]).all()
    assert (occ.groupby(["date", "theme"], observed=True)["organisations"].sum() == n_orgs).all()
    assert r.model.pop.n == n_orgs and (occ["phase"].astype(str) == [PHASES[STEP_PHASE[s]] for s in idx[3]]).all()


def test_rings_and_partners_per_hub_follow_the_relations(r):
    ts = r.out["timeseries"]
    t1, t2, t3 = r.thr
    for h, hub in enumerate(HUBS):
        rel = r.rel[:, :, h]
        rings = {1: rel >= t1, 2: (rel >= t2) & (rel < t1), 3: (rel >= t3) & (rel < t2), 4: (rel > 0) & (rel < t3)}
        for ring, inside in rings.items():
            assert (ts[f"ring{ring}_{hub}"].to_numpy() == inside.sum(axis=1)).all(), (hub, ring)
        assert (ts[f"partners_{hub}"].to_numpy() == (rel >= t3).sum(axis=1)).all(), hub
    partner = is_partner(r)
    assert (ts["partners_total"].to_numpy() == partner.sum(axis=(1, 2))).all()
    assert (ts["partners_four_hubs"].to_numpy() == partner[:, :, :4].sum(axis=(1, 2))).all()
    assert (ts["partners_unique"].to_numpy() == partner.any(axis=2).sum(axis=1)).all()
    if r.region != "all":  # a regional run: the other hubs know nobody and do nothing
        others = [h for h, hub in enumerate(HUBS) if hub != r.region]
        assert not r.rel[:, :, others].any() and not r.level[:, others].any()
        assert (ts[f"partners_{r.region}"] > 0).all()


def test_partners_by_type_and_class_follow_the_population(r):
    ts, otype, cls = r.out["timeseries"], r.model.pop.otype, r.model.pop.cls
    partner = is_partner(r)
    by_hub_type = np.stack([(partner & (otype == j)[None, :, None]).sum(axis=1) for j in range(len(TYPES))], axis=2)
    for j, name in enumerate(TYPES):
        assert (ts[f"partners_type_{name}"].to_numpy() == by_hub_type[:, :, j].sum(axis=1)).all(), name
    assert (ts["kpi4_mkb"].to_numpy() == by_hub_type[:, :, TYPES.index("mkb_builders")].sum(axis=1)).all()
    assert (ts["kpi4_mkb_four_hubs"].to_numpy() == by_hub_type[:, :4, TYPES.index("mkb_builders")].sum(axis=1)).all()
    bht = r.out["partners_by_hub_type"]
    dates = list(ts["date"])
    got = bht["partners"].to_numpy()
    want = by_hub_type[bht["date"].astype(str).map(dates.index).to_numpy(), bht["hub"].astype(str).map(HUBS.index),
                       bht["partner_type"].astype(str).map(TYPES.index)]
    assert len(bht) == by_hub_type.size and (got == want).all()
    anywhere = partner.any(axis=2)
    for j, c in enumerate(CLASSES):
        assert (ts[f"partners_class_{c}"].to_numpy() == (anywhere & (cls == j)).sum(axis=1)).all(), c


def test_joins_and_leaves_are_the_partner_flags_that_changed(r):
    """Cumulative joins (leaves) = organisations that became (stopped being) a hub's partner between two months;
    with them the partner count is accounted for."""
    ts = r.out["timeseries"]
    partner = is_partner(r)
    joins = np.concatenate([np.zeros((1, len(HUBS)), int), np.cumsum((~partner[:-1] & partner[1:]).sum(axis=1), 0)])
    leaves = np.concatenate([np.zeros((1, len(HUBS)), int), np.cumsum((partner[:-1] & ~partner[1:]).sum(axis=1), 0)])
    for h, hub in enumerate(HUBS):
        assert (ts[f"joins_cum_{hub}"].to_numpy() == joins[:, h]).all(), hub
        assert (ts[f"leaves_cum_{hub}"].to_numpy() == leaves[:, h]).all(), hub
        assert (ts[f"partners_{hub}"] == ts[f"partners_{hub}"].iloc[0] + ts[f"joins_cum_{hub}"]
                - ts[f"leaves_cum_{hub}"]).all()
    assert joins[-1].sum() > 0 and leaves[-1].sum() > 0  # both happen in every scenario: the check is not vacuous


def test_adopters_and_adoptions_follow_the_stages(r):
    """Adopted shares are the share of organisations in Adopteren per theme; cumulative adoptions grow by the
    (organisation, theme) pairs that entered Adopteren that month (one move a month: substeps = 1)."""
    ts = r.out["timeseries"]
    assert r.model.p["simulation.substeps"] == 1 and r.model.table.entry < FIRST_ADOPTEREN
    adopted = r.stage >= FIRST_ADOPTEREN                                     # T x N x K
    for k, theme in enumerate(THEMES):
        assert np.allclose(ts[f"adopted_share_{theme}"], adopted[:, :, k].mean(axis=1), rtol=0, atol=1e-12), theme
        entered = (~adopted[:-1, :, k] & adopted[1:, :, k]).sum(axis=1)
        assert (np.diff(ts[f"adoptions_cum_{theme}"].to_numpy()) == entered).all(), theme
    assert np.allclose(ts["adopted_share"], adopted.mean(axis=(1, 2)), rtol=0, atol=1e-12)
    assert ts[[f"adoptions_cum_{k}" for k in THEMES]].iloc[-1].sum() == r.model.adoptions.sum() > 0


def test_partner_phases_are_the_partners_stages(r):
    ts = r.out["timeseries"]
    anywhere = is_partner(r).any(axis=2)                                      # T x N
    phase = np.array(STEP_PHASE)[r.stage]                                     # T x N x K
    pairs = np.maximum(anywhere.sum(axis=1) * len(THEMES), 1)
    for j, name in enumerate(PHASES):
        want = ((phase == j) & anywhere[:, :, None]).sum(axis=(1, 2)) / pairs
        assert np.allclose(ts[f"partner_phase_{name}"], want, rtol=0, atol=1e-12), name


def test_activity_levels_and_connectors_are_the_models(r):
    ts = r.out["timeseries"]
    for h, hub in enumerate(HUBS):
        assert (ts[f"activity_level_{hub}"].to_numpy() == r.level[:, h]).all(), hub
        assert (ts[f"connector_{hub}"].to_numpy() == r.connector[:, h]).all(), hub
    assert (r.level >= 0).all() and r.level.max() > 0
    # the level is what the budget and last month's staff (connector-limited) allow, whichever binds
    m = r.model
    for h, hub in enumerate(HUBS):
        lvl = r.level[1:, h]
        active = lvl > 0
        budget = m.budget[h] * np.array([m.funding(t) for t in range(1, len(r.level))]) / m.planned_cost[h]
        staff = ts[f"staff_days_{hub}"].to_numpy()[:-1] * r.connector[1:, h] / m.planned_days[h]
        assert np.allclose(lvl[active], np.minimum(budget, staff)[active], rtol=1e-12, atol=0), hub
    leaves = {hub: r.model.p[f"hubs.{hub}.connector_leaves"] for hub in HUBS}
    for h, hub in enumerate(HUBS):
        if leaves[hub] and r.region in ("all", hub):
            at = list(ts["date"]).index(leaves[hub])
            assert (r.connector[:at, h] == 1.0).all() and (r.connector[at:, h] == r.model.p[f"hubs.{hub}.connector_after"]).all()


def test_sector_outcomes_from_the_stages(r):
    """Productivity, materials and the goals' market shares recounted from the stages: production weight = employees
    x the type's value added per employee (companies only), use = the step's level; a market share counts an
    organisation's smallest use over the market's themes, among the market's types."""
    p, pop = r.model.p, r.model.pop
    use = np.zeros(len(STEPS))
    use[FIRST_ADOPTEREN:] = p["productivity.step_use"]
    va = {t: p[f"sector.value_added_per_employee.{t}"] for t in ("mkb_builders", "technology", "suppliers",
                                                                  "other_chain")}
    w = np.array([va.get(TYPES[t], 0.0) for t in pop.otype]) * pop.size
    level = (w[None, :, None] * use[r.stage]).sum(axis=1) / w.sum()         # T x K
    ts = r.out["timeseries"]
    for k, theme in enumerate(THEMES):
        assert np.allclose(ts[f"modelled_use_{theme}"], level[:, k], rtol=1e-12, atol=0), theme
    prod = np.prod(1.0 + np.array(p["productivity.theme_gain"]) * level, axis=1)
    assert np.allclose(ts["productivity_index"], 100 * prod / prod[0], rtol=1e-12, atol=0)
    years = np.arange(len(ts)) / 12
    assert np.allclose(ts["sector_productivity_index"], 100 * prod / prod[0] * (1 + p["sector.trend_per_year"]) ** years)
    mat = np.prod(1.0 - np.array(p["sector.material_saving"]) * level, axis=1)
    assert np.allclose(ts["primary_material_index"], 100 * mat / mat[0], rtol=1e-12, atol=0)
    market = np.isin(pop.otype, [TYPES.index(t) for t in p["sector.market_types"]])
    wm = np.where(market, pop.size * np.array([va.get(TYPES[t], 1.0) for t in pop.otype]), 0.0)
    themes = [THEMES.index(t) for t in p["sector.markets.all_three"]]
    least = use[r.stage][:, :, themes].min(axis=2)                             # T x N
    assert np.allclose(ts["market_share_all_three"], (least * wm).sum(axis=1) / wm.sum(), rtol=1e-12, atol=0)
    k_ind = THEMES.index("industrialisation")
    assert np.allclose(ts["market_share_industrial"], (use[r.stage][:, :, k_ind] * wm).sum(axis=1) / wm.sum())


def test_cumulative_counters_never_decrease(r):
    ts = r.out["timeseries"]
    cum = [c for c in ts.columns if c.startswith(("kpi5", "adoptions_cum", "participants_", "runs_", "joins_cum",
                                                  "leaves_cum", "budget_spent"))]
    assert len(cum) > 25
    assert (ts[cum].diff().iloc[1:] >= 0).all().all()
    assert (ts[cum].iloc[-1] > 0).sum() > 10  # and they do count something


def test_counters_agree_with_each_other_and_with_the_model(r):
    """KPI 5 (booked per hub) = persons in trajectories + LLO + students in renewed education (booked per Table 3.2
    cell); spending = runs x cost per instrument; the Table 3.2 frame is the model's table; professionals in
    Table 3.2 were all counted at their organisations; students by school level add up to the renewed-education
    students."""
    m, ts, part = r.model, r.out["timeseries"], r.out["participants"].set_index("activity")
    total = {c: sum(ts[f"participants_{c}_{pc}"] for pc in PERSON_CATEGORIES) for c in m.participants}
    assert (ts["kpi5_skilled"] == total["trajectories"] + total["llo"]
            + ts["participants_education_students_students"]).all()
    assert ts["kpi5_skilled"].iloc[-1] == m.kpi5.sum() > 0
    cost = {i.name: i.cost for i in m.instruments}
    assert np.allclose(ts["budget_spent_cum"], sum(ts[f"runs_{n}"] * c for n, c in cost.items()), rtol=1e-12)
    assert [ts[f"runs_{n}"].iloc[-1] for n in m.runs] == list(m.runs.values())
    assert part.index.tolist() == list(m.participants)
    assert (part[list(PERSON_CATEGORIES)].to_numpy() == m.participants_table).all()
    assert (part["total"] == m.participants_table.sum(axis=1)).all()
    assert (part.loc[:, list(PERSON_CATEGORIES)].to_numpy()
            == np.array([[ts[f"participants_{c}_{pc}"].iloc[-1] for pc in PERSON_CATEGORIES] for c in part.index])).all()
    assert part["professionals"].sum() <= m.persons["professionals_reached"].sum()  # coaching has no Table 3.2 row
    assert part["students"].sum() >= m.persons["students_reached"].sum()
    by_level = ts[["students_renewed_mbo", "students_renewed_hbo", "students_renewed_wo"]].sum(axis=1)
    assert (by_level == ts["participants_education_students_students"]).all()
    assert r.out["final_persons"] == {k: int(v.sum()) for k, v in m.persons.items()}
