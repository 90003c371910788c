"""The Mesa baseline (benchmarks/mesa_baseline.py): runs, conserves organisations, makes only allowed moves,
starts from the fast model's initial state, and obeys the entry and co-maker rules. The slow check that the
baseline and the fast model agree over seeds is benchmarks/check_baseline.py, not a test."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from benchmarks.mesa_baseline import BaselineModel, OrgAgent, comparison_scenario, run_baseline, run_fast
from propeller.core.constants import ROUTES, STEPS, THEMES
from propeller.core.model import PropellerModel

REGION = "midden"  # the smallest regional population (~310 organisations)
MONTHS = 12


def stages(m: BaselineModel) -> np.ndarray:
    return np.array([a.stage for a in m.orgs], dtype=np.int64)


def stepped(m: BaselineModel, months: int = MONTHS) -> list[np.ndarray]:
    """Stage matrices t = 0 .. months."""
    out = [stages(m)]
    for _ in range(months):
        m.step()
        out.append(stages(m))
    return out


def allowed_moves(m: BaselineModel, comaker_possible: bool = True) -> set[tuple[int, int, int]]:
    """(route, from, to) of every move with a positive rate in some month, plus entry from not engaged."""
    ok = set()
    for route in range(len(ROUTES)):
        ok.add((route, 0, m.entry_step))
        for rates in m.rates_by_month:
            for s, row in enumerate(rates[route]):
                for kind, rate in enumerate(row):
                    if rate > 0 and (comaker_possible or m.gates[route][s][kind] != 1):  # 1: requires a co-maker
                        ok.add((route, s, m.targets[route][s][kind]))
    return ok


def moves(m: BaselineModel, history: list[np.ndarray]) -> set[tuple[int, int, int]]:
    route = np.array([a.route for a in m.orgs])
    seen = set()
    for before, after in pairwise(history):
        i, k = np.nonzero(before != after)
        seen |= set(zip(route[i].tolist(), before[i, k].tolist(), after[i, k].tolist(), strict=True))
    return seen


@pytest.fixture(scope="module")
def scenario():
    return comparison_scenario(REGION)


def test_runs_conserves_organisations_and_moves_only_by_the_table(scenario):
    m = BaselineModel(scenario, seed=3)
    n = m.n_orgs
    assert n > 100 and len(m.agents) == n == len(m.agents_by_type[OrgAgent])
    assert sum(len(a.neighbours) for a in m.orgs) > 0 and sum(len(a.client_neighbours) for a in m.orgs) > 0
    history = stepped(m)
    assert len(m.agents) == n and m.t == MONTHS and len(m.records) == MONTHS + 1
    for st in history:
        assert st.shape == (n, len(THEMES)) and st.min() >= 0 and st.max() < len(STEPS)
    seen = moves(m, history)
    assert seen, "nothing moved in a year"
    assert seen <= allowed_moves(m), seen - allowed_moves(m)
    for _t, _adopted, phases, _adoptions in m.records:
        assert sum(phases) == n * len(THEMES)  # every organisation is somewhere on every theme
    df = m.frame()
    assert len(df) == MONTHS + 1
    assert np.allclose(df.filter(like="phase_share_").sum(axis=1), 1.0)
    assert (df.filter(like="adoptions_").diff().iloc[1:] >= 0).all().all()


def test_same_initial_state_as_the_fast_model(scenario):
    fast = PropellerModel(scenario, rng=5, with_agents=False)
    m = BaselineModel(scenario, seed=5, init=fast)
    assert np.array_equal(stages(m), fast.stage)
    assert [a.route for a in m.orgs] == fast.pop.route.tolist()
    assert [a.class_mult for a in m.orgs] == fast.class_mult.tolist()
    deg = np.diff(fast.eco.structural(None, True).indptr)
    assert [len(a.neighbours) for a in m.orgs] == deg.tolist()
    a0, b0 = run_fast(scenario, 5, months=0), run_baseline(scenario, 5, months=0)
    assert a0.equals(b0)  # the two output definitions agree on the same state


def test_nothing_enters_without_p_and_q(scenario):
    """No table row leaves not_engaged; with p = q = 0 no (organisation, theme) ever leaves it, while the
    engaged still move (and some drop out into not_engaged)."""
    sc = scenario.with_overrides({"diffusion.p": 0.0, "diffusion.q": 0.0})
    m = BaselineModel(sc, seed=1)
    assert all(rates[r][0] == (0.0, 0.0, 0.0, 0.0) for rates in m.rates_by_month for r in range(len(ROUTES)))
    history = stepped(m, 24)
    for before, after in pairwise(history):
        assert (after[before == 0] == 0).all()
    assert (history[-1] == 0).sum() > (history[0] == 0).sum()  # drop-outs happened, entries did not
    # and with p > 0 the same population does get entries (the check above is not vacuous)
    m2 = BaselineModel(scenario, seed=1)
    h2 = stepped(m2, 24)
    assert any(((b == 0) & (a != 0)).any() for b, a in pairwise(h2))


def test_comaker_gate_blocks_wocos(scenario):
    """With a tie threshold above every tie's intensity no co-maker is ever present: with the gate closed (floor 0)
    the gated woco rows never fire."""
    sc = scenario.with_overrides({"coupling.comaker_min_intensity": 1.0, "propeller.rates.woco.design.forward": 4.5,
                                  "coupling.comaker_gate_floor": 0.0})
    m = BaselineModel(sc, seed=2)
    assert any(a.route == ROUTES.index("woco") for a in m.orgs)
    history = stepped(m, 24)
    seen = moves(m, history)
    assert seen <= allowed_moves(m, comaker_possible=False)
    woco = ROUTES.index("woco")
    gated = {(woco, s, m.targets[woco][s][k]) for s in range(len(STEPS)) for k in range(4) if m.gates[woco][s][k] == 1}
    assert gated and not (seen & gated)


def test_fast_model_month_reduces_to_the_move_with_hubs_off(scenario):
    """What the baseline leaves out is a no-op in the fast model with hubs off: no pushes, no enrolment,
    no students, no hub relations, no collaboration ties, and tie intensities stay at their base."""
    fast = PropellerModel(scenario, rng=0, with_agents=False)
    w0 = fast.eco.w.copy()
    fast.run_for(MONTHS)  # includes a September (school intake)
    assert np.array_equal(fast.eco.w, w0) and np.array_equal(fast.eco.w, fast.eco.base)
    assert len(fast.eco.collab()[0]) == 0 and not fast.eco.rel.any()
    assert not fast.extra_fwd.any() and not fast.extra_entry.any()
    for name in ("enrolled_until", "coached_until", "student_until"):
        assert (getattr(fast, name) < 0).all()


def test_requires_hubs_off():
    with pytest.raises(ValueError, match="hubs.enabled"):
        BaselineModel(comparison_scenario(REGION, **{"hubs.enabled": True}), seed=0)
