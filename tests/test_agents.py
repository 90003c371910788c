"""Mesa agents are the interface onto the arrays: they agree with them, and the space builds."""

from __future__ import annotations

import gc
import weakref

from propeller import PropellerModel
from propeller.core.agents import Hub, Organisation
from propeller.core.constants import HUBS, STEPS, THEMES
from propeller.scenarios.loader import load


def test_agents_mirror_the_arrays():
    m = PropellerModel(load(overrides={"simulation.region": "oost"}), rng=3)
    m.run_for(6)
    orgs = m.agents_by_type[Organisation]
    hubs = m.agents_by_type[Hub]
    assert len(orgs) == m.pop.n and len(hubs) == len(HUBS)
    for a in orgs.to_list()[:50]:
        assert a.stages == {t: STEPS[s] for t, s in zip(THEMES, m.stage[a.index])}
        assert a.home_hub == "oost"
        assert a.size >= 1
        assert set(a.hubs) <= set(a.rings)
        assert (a.education_level in ("mbo", "hbo", "wo")) == (a.route == "school")
    partners = sum(1 for a in orgs if "oost" in a.hubs)
    oost = [h for h in hubs if h.name == "oost"][0]
    assert partners == oost.partners == int(m.outcomes()["timeseries"]["partners_oost"].iloc[-1])
    assert oost.lead_partner == "foundation" and oost.connector_strength == 1.0


def test_agentset_operations_work_on_organisations():
    m = PropellerModel(load(overrides={"simulation.region": "noord"}), rng=1)
    by_route = m.agents_by_type[Organisation].groupby("route")
    assert sum(len(g) for _, g in by_route) == m.pop.n
    mkb = m.agents_by_type[Organisation].select(lambda a: a.partner_type == "mkb_builders")
    assert len(mkb) == int((m.pop.otype == 0).sum())


def test_space_builds_on_the_graph():
    m = PropellerModel(load(overrides={"simulation.region": "oost"}), rng=1)
    space = m.build_space()
    a = m.agents_by_type[Organisation].to_list()[0]
    assert a.cell is space[a.index] and a in a.cell.agents
    hub_cell = space["hub:oost"]
    assert len(hub_cell.connections) == int((m.eco.rel[:, HUBS.index("oost")] > 0).sum())


def test_model_is_released_after_use():
    m = PropellerModel(load(overrides={"simulation.region": "oost"}), rng=1)
    m.run_for(3)
    m.remove_all_agents()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
