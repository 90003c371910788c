"""Mesa agents are the interface onto the arrays: they read the live state (never a copy), agree with it month by
month, change nothing (a run with agents, read every month, is the run without them), and the space builds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from propeller import PropellerModel
from propeller.core.agents import Hub, Organisation
from propeller.core.constants import CLASSES, HUBS, PHASES, ROUTES, SCHOOL_LEVELS, STEP_PHASE, STEPS, THEMES, TYPES
from propeller.scenarios.loader import DEFAULTS, load

OOST = {"simulation.region": "oost"}


def expected_rings(rel_row: np.ndarray, thr) -> dict[str, int]:
    """Rings from the scenario's thresholds: 1-3 partners, 4 potential, hubs that do not know it left out."""
    out = {}
    for hub, r in zip(HUBS, rel_row, strict=True):
        if r > 0:
            out[hub] = 1 if r >= thr[0] else 2 if r >= thr[1] else 3 if r >= thr[2] else 4
    return out


def test_agents_follow_the_arrays_month_by_month():
    scenario = load(DEFAULTS, overrides=OOST)
    thr = scenario["ecosystem.ring_thresholds"]
    m = PropellerModel(scenario, rng=3)
    orgs = sorted(m.agents_by_type[Organisation], key=lambda a: a.index)
    hubs = {h.name: h for h in m.agents_by_type[Hub]}
    assert [a.index for a in orgs] == list(range(m.pop.n)) and list(hubs) == list(HUBS)
    changed = 0
    before = np.array([[STEPS.index(a.stages[t]) for t in THEMES] for a in orgs])
    for _ in range(8):
        m.run_for(1)
        stages = np.array([[STEPS.index(a.stages[t]) for t in THEMES] for a in orgs])
        assert np.array_equal(stages, m.stage)                     # every agent, every theme: model.stage rows
        changed += int((stages != before).sum())
        before = stages
        for a in orgs[::7]:
            assert a.rings == expected_rings(m.eco.rel[a.index], thr)
            assert a.hubs == [h for h, r in a.rings.items() if r <= 3]
            assert [a.phase(t) for t in THEMES] == [PHASES[STEP_PHASE[s]] for s in m.stage[a.index]]
        partners = m.eco.rel >= thr[2]
        for h, hub in enumerate(HUBS):
            assert hubs[hub].partners == int(partners[:, h].sum())
            assert hubs[hub].activity_level == m.activity_level[h] and hubs[hub].connector_strength == m.connector[h]
    assert changed > 50  # the stages moved, so agreeing every month is not agreeing with a frozen copy
    ts = m.outcomes()["timeseries"]
    assert hubs["oost"].partners == ts["partners_oost"].iloc[-1] > 0
    assert sum("oost" in a.hubs for a in orgs) == hubs["oost"].partners


def test_agent_attributes_are_the_population_arrays():
    m = PropellerModel(load(DEFAULTS, overrides=OOST), rng=4)
    pop = m.pop
    for a in m.agents_by_type[Organisation]:
        i = a.index
        assert (a.partner_type, a.route, a.home_hub, a.innovativeness, a.size) == (
            TYPES[pop.otype[i]], ROUTES[pop.route[i]], HUBS[pop.home[i]], CLASSES[pop.cls[i]], int(pop.size[i]))
        assert a.education_level == (SCHOOL_LEVELS[pop.level[i]] if pop.level[i] >= 0 else None)
        assert (a.education_level is not None) == (a.route == "school")
        assert a.home_hub == "oost" and a.size >= 1
    assert {a.partner_type for a in m.agents_by_type[Organisation]} == set(TYPES)


def test_agents_read_the_live_arrays():
    """Writing the arrays is seen at once by the agents (they hold an index, not a copy)."""
    m = PropellerModel(load(DEFAULTS, overrides=OOST), rng=5)
    a = m.agents_by_type[Organisation].to_list()[10]
    hub = next(h for h in m.agents_by_type[Hub] if h.name == "oost")
    h = HUBS.index("oost")
    partners = hub.partners
    m.stage[a.index] = [0, 4, 7, 9]
    assert a.stages == dict(zip(THEMES, ("not_engaged", "design", "secure", "develop"), strict=True))
    assert a.phase("industrialisation") == "adopteren"
    was_partner = "oost" in a.hubs
    m.eco.rel[a.index, h] = 0.6 if not was_partner else 0.05
    assert a.rings["oost"] == (2 if not was_partner else 4)
    assert ("oost" in a.hubs) is (not was_partner)
    assert hub.partners == partners + (1 if not was_partner else -1)
    m.eco.rel[a.index, h] = 0.0
    assert "oost" not in a.rings
    m.persons["colleagues_told"][a.index] = 17
    assert a.persons["colleagues_told"] == 17
    m.connector[h] = 0.3
    assert hub.connector_strength == 0.3


def test_agents_change_nothing():
    """A run with Mesa agents whose every attribute is read every month is the run without agents: same state
    each month, same outcome frames."""
    scenario = load(DEFAULTS, overrides={"simulation.region": "zuid", "simulation.until": "2025-06"})
    for seed in (0, 7):
        with_a = PropellerModel(scenario, rng=seed, with_agents=True)
        without = PropellerModel(scenario, rng=seed, with_agents=False)
        assert len(with_a.agents_by_type[Organisation]) == with_a.pop.n and Organisation not in without.agents_by_type
        for _ in range(with_a.n_months):
            for a in with_a.agents_by_type[Organisation]:
                a.stages, a.rings, a.hubs, a.persons, a.innovativeness, a.partner_type, a.phase(THEMES[0])
            for h in with_a.agents_by_type[Hub]:
                _ = h.partners, h.activity_level, h.connector_strength
            with_a.run_for(1)
            without.run_for(1)
            assert np.array_equal(with_a.stage, without.stage) and np.array_equal(with_a.eco.rel, without.eco.rel)
        a, b = with_a.outcomes(), without.outcomes()
        for key in ("timeseries", "occupancy", "partners_by_hub_type", "participants"):
            pd.testing.assert_frame_equal(a[key], b[key])
        assert a["final_persons"] == b["final_persons"]
        assert a["surveys"].keys() == b["surveys"].keys() and all(
            x == y or (x != x and y != y) for x, y in zip(a["surveys"].values(), b["surveys"].values(), strict=True))


def test_agentset_operations_work_on_organisations():
    m = PropellerModel(load(DEFAULTS, overrides={"simulation.region": "noord"}), rng=1)
    orgs = m.agents_by_type[Organisation]
    sizes = {route: len(g) for route, g in orgs.groupby("route")}
    counts = np.bincount(m.pop.route, minlength=len(ROUTES))
    assert sizes == {r: int(c) for r, c in zip(ROUTES, counts, strict=True) if c}
    mkb = orgs.select(lambda a: a.partner_type == "mkb_builders")
    assert sorted(a.index for a in mkb) == np.flatnonzero(m.pop.otype == 0).tolist()


def test_space_builds_on_the_graph():
    m = PropellerModel(load(DEFAULTS, overrides=OOST), rng=1)
    m.run_for(3)
    space = m.build_space()
    g = m.graph
    for a in m.agents_by_type[Organisation].to_list()[::25]:
        assert a.cell is space[a.index] and a in a.cell.agents
        assert {c.coordinate for c in a.cell.connections.values()} == set(g.neighbors(a.index))
    hub_cell = space["hub:oost"]
    assert len(hub_cell.connections) == int((m.eco.rel[:, HUBS.index("oost")] > 0).sum())
    assert next(h for h in m.agents_by_type[Hub] if h.name == "oost").cell is hub_cell
