"""The propeller as data: the CSV compiles to the arrays the compiled move reads, and one move
follows the competing-hazards rule (frequencies over many draws, gate, months)."""

from __future__ import annotations

import numpy as np
import pytest

from propeller.core.constants import ROUTES, STEP_INDEX, STEPS
from propeller.core.kernels import propeller_move
from propeller.core.state import MoveParams, Neighbours, Organisations, Pushes
from propeller.core.transitions import PropellerTable

N = 40_000
KINDS = ("forward", "skip", "back", "repeat")


@pytest.fixture(scope="module")
def table(baseline):
    return PropellerTable(baseline.transitions, baseline.params)


def rate(baseline, route, step, kind):
    return {t.key: t.rate for t in baseline.transitions}.get(f"propeller.rates.{route}.{step}.{kind}", 0.0)


def move(table, route: str, step: str, month: int = 3, comaker: bool = True, gate_floor: float = 0.0, seed: int = 0,
         chain: bool = True, chain_gate_floor: float = 0.0):
    rng = np.random.default_rng(seed)
    stage = np.full((N, 1), STEP_INDEX[step], dtype=np.int8)
    r = np.full(N, ROUTES.index(route), dtype=np.int8)
    zeros, ones, no = np.zeros((N, 1)), np.ones(N), np.zeros(N, bool)
    never = np.full((N, 1), -1, dtype=np.int32)
    flag = np.full(N, int(comaker), dtype=np.int64)  # co-maker bit mask, bit 0 = the one theme
    none = np.zeros(N, np.int64)
    chained = np.full(N, int(chain), dtype=np.int64)  # chain-partner bit mask, bit 0 = the one theme
    orgs = Organisations(route=r, home=none, cls=none, class_mult=ones, class_weight=ones[:1], small_factor=ones,
                         is_company=no, is_client=no, is_edu=no)
    nb = Neighbours(num=zeros, deg=np.zeros(N), comaker=flag, pulled=none, chained=chained, adopted=none, maker=none,
                    snap=np.zeros(N, np.int8), snap_words=np.zeros(0, np.uint64), cand=none, dirty=np.zeros(N, np.uint8))
    pushes = Pushes(extra_entry=zeros, extra_fwd=zeros, enrolled_until=never, enrolled_hazard=zeros,
                    coached_until=never, coached_hazard=zeros, student_until=never)
    par = MoveParams(entry_p=0.0, entry_q=0.0, connector_back=0.0, traj_boost=1.0, traj_back=1.0,
                     coach_boost=1.0, student_boost=0.0, procurement_boost=0.0, gate_floor=gate_floor,
                     chain_gate_floor=chain_gate_floor)
    propeller_move(stage, month - 1, orgs, table.arrays, nb, pushes, par, np.zeros(N, np.bool_), ones[:1], np.zeros(0), 0,
                   1.0, int(rng.integers(2**62)), np.zeros(1, np.int64))
    return stage[:, 0]


def test_table_compiles_csv_rates_and_targets(baseline, table):
    row = ROUTES.index("mkb") * table.n_steps + STEP_INDEX["test"]
    for j, kind in enumerate(KINDS):
        assert table.rate_by_month[0][row, j] == rate(baseline, "mkb", "test", kind)
    assert STEPS[table.target_flat[row, 3]] == "design"  # repeat: iterate the design
    assert STEPS[table.target_flat[row, 2]] == "partnering"  # back: fall back to agenderen


def test_one_move_follows_competing_hazards(baseline, table):
    new = move(table, "mkb", "test")
    h = {k: rate(baseline, "mkb", "test", k) for k in KINDS}
    total = sum(h.values())
    moved = (new != STEP_INDEX["test"]).mean()
    p = -np.expm1(-total)
    assert abs(moved - p) < 4 * np.sqrt(p * (1 - p) / N)
    n_moved = (new != STEP_INDEX["test"]).sum()
    for kind, target in (("forward", "validate"), ("repeat", "design"), ("back", "partnering")):
        share = (new == STEP_INDEX[target]).sum() / n_moved
        q = h[kind] / total
        assert abs(share - q) < 4 * np.sqrt(q * (1 - q) / n_moved), kind


def test_woco_blocked_without_comaker(table):
    blocked = move(table, "woco", "design", comaker=False)
    assert (blocked != STEP_INDEX["test"]).all()           # the gated forward move never happens
    assert (blocked == STEP_INDEX["partnering"]).any()       # falling back still can
    free = move(table, "woco", "design", comaker=True)
    assert (free == STEP_INDEX["test"]).sum() > 500


def test_school_rows_follow_the_education_rhythm(table):
    march = move(table, "school", "design", month=3)
    september = move(table, "school", "design", month=9)
    assert (march == STEP_INDEX["test"]).sum() == 0
    assert (september == STEP_INDEX["test"]).mean() > 0.25


def test_route_speed_and_fallback_scale_act_on_their_moves_only(baseline):
    """propeller.route_scale_<route> multiplies that route's forward and skip rates, fallback_scale every back rate;
    nothing else changes, and the move follows the scaled rates."""
    base = PropellerTable(baseline.transitions, baseline.params)
    p = dict(baseline.params, **{"propeller.route_scale_gemeente": 3.0, "propeller.fallback_scale": 0.25})
    scaled = PropellerTable(baseline.transitions, p)
    fwd, skip, back, rep = (KINDS.index(k) for k in KINDS)
    for r, route in enumerate(ROUTES):
        rows = slice(r * base.n_steps, (r + 1) * base.n_steps)
        a, b = base.rate_by_month[:, rows], scaled.rate_by_month[:, rows]
        f = 3.0 if route == "gemeente" else 1.0
        np.testing.assert_allclose(b[..., [fwd, skip]], f * a[..., [fwd, skip]])
        np.testing.assert_allclose(b[..., back], 0.25 * a[..., back])
        np.testing.assert_array_equal(b[..., rep], a[..., rep])
    # in the move: gemeenten in 'vision' go forward about three times as often, fall back a quarter as often
    before, after = move(base, "gemeente", "vision"), move(scaled, "gemeente", "vision")
    nxt, prev = STEP_INDEX["partnering"], STEP_INDEX["awareness"]
    assert 2.4 < (after == nxt).sum() / (before == nxt).sum() < 3.4
    assert 0.15 < (after == prev).sum() / (before == prev).sum() < 0.38


def test_woco_comaker_is_support_not_a_block(baseline, table):
    """Co-makers help a woningcorporatie further [003 L7886-7889]: without one the gated forward move happens at
    comaker_gate_floor times its rate (the default floor is above 0), not never."""
    floor = baseline.params["coupling.comaker_gate_floor"]
    assert 0 < floor < 1
    alone = (move(table, "woco", "design", comaker=False, gate_floor=floor) == STEP_INDEX["test"]).sum()
    with_comaker = (move(table, "woco", "design", comaker=True, gate_floor=floor) == STEP_INDEX["test"]).sum()
    assert alone > 100 and abs(alone / with_comaker - floor) < 0.1


def test_mkb_scaling_needs_a_chain_partner(baseline, table):
    """'Partners en leveranciers actief betrekken bij de innovatie. Dit is voorwaarde voor opschaling'
    [003 L13337-13342]: a company without an involved chain partner does not scale (chain_gate_floor 0), with
    one it does; other moves out of Borgen are unaffected."""
    assert baseline.params["coupling.chain_gate_floor"] == 0.0
    alone = move(table, "mkb", "secure", chain=False)
    chained = move(table, "mkb", "secure", chain=True)
    assert (alone == STEP_INDEX["scale"]).sum() == 0
    assert (chained == STEP_INDEX["scale"]).sum() > 500
    back = [(x == STEP_INDEX["validate"]).sum() for x in (alone, chained)]
    assert back[0] > 100 and abs(back[0] - back[1]) < 5 * np.sqrt(back[1])
    woco = move(table, "woco", "secure", chain=False)  # the gate is the company route's only
    assert (woco == STEP_INDEX["scale"]).sum() > 500


def test_every_route_can_skip_steps(baseline):
    """'Uiteraard kunnen stappen worden overgeslagen' for every stakeholder of Bijlage F [003 L12966-12974]."""
    routes = {t.route for t in baseline.transitions if t.kind == "skip" and t.rate > 0}
    assert routes == set(ROUTES)


def test_a_route_without_a_skip_row_cannot_skip(baseline, table):
    """Skips are data: with the woco skip rows removed no woco moves beyond the next step; with them some do."""
    no_skip = PropellerTable([t for t in baseline.transitions if not (t.route == "woco" and t.kind == "skip")],
                             baseline.params)
    for step, beyond in (("awareness", "partnering"), ("vision", "design")):
        assert (move(no_skip, "woco", step) == STEP_INDEX[beyond]).sum() == 0
        assert (move(table, "woco", step) == STEP_INDEX[beyond]).sum() > 50
