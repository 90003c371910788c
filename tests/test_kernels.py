"""Compiled kernels against exact results on small cases."""

from itertools import permutations

import numpy as np
import pytest
from numba import njit

from propeller.core.kernels import occurs, rng_state, select_participants, uniform
from propeller.core.state import Organisations


def plain_orgs(n: int) -> Organisations:
    """``n`` organisations on route 0, class 0 (weight 1), funding factor 1."""
    zeros, ones, no = np.zeros(n, dtype=np.int64), np.ones(n), np.zeros(n, dtype=bool)
    return Organisations(route=zeros, home=zeros, cls=zeros, class_mult=ones, class_weight=np.ones(1),
                         small_factor=ones, is_company=no, is_client=no, is_edu=no)


@njit
def _draws(seed, rel, elig, orgs, total, reps):
    np.random.seed(seed)
    n = rel.shape[0]
    zeros = np.zeros(n, dtype=np.int64)
    counts = np.zeros(n)
    first = np.zeros(n)
    for _ in range(reps):
        sel = select_participants(rel, np.arange(n), True, 0.5, -1, zeros, elig, orgs, total)
        first[sel[0]] += 1
        for i in sel:
            counts[i] += 1
    return counts / reps, first / reps


def _exact(w, k):
    """Inclusion probabilities of successive weighted draws without replacement, by enumeration."""
    incl = np.zeros(len(w))
    for seq in permutations(range(len(w)), k):
        p, left = 1.0, w.sum()
        for i in seq:
            p *= w[i] / left
            left -= w[i]
        incl[list(seq)] += p
    return incl


@pytest.mark.parametrize("k", [1, 2, 3, 5])  # 1, 2: rejection; 3, 5: Gumbel keys (half the pool or more)
def test_select_participants_matches_successive_weighted_draws(k):
    rel = np.array([0.1, 0.3, 0.6, 0.9, 1.0])
    w = 0.5 + rel                       # weight = (0.5 + relation) with the other factors 1
    reps = 40_000
    incl, first = _draws(7, rel, np.ones(1), plain_orgs(len(rel)), k, reps)
    se = np.sqrt(_exact(w, k) * (1 - _exact(w, k)) / reps) + 1e-9
    assert np.all(np.abs(incl - _exact(w, k)) < 5 * se)
    assert np.allclose(first, w / w.sum(), atol=5 * np.sqrt(0.25 / reps))  # the first draw is the weighted one


def test_select_participants_respects_the_audience():
    rel = np.array([0.0, 0.2, 0.6, 0.8])
    stage = np.zeros(4, dtype=np.int8)
    out = select_participants(rel, np.arange(4), False, 0.5, -1, stage, np.ones(1), plain_orgs(4), 10)
    assert sorted(out.tolist()) == [2, 3]  # unknown (0) and ring 4 (0.2 < 0.5) are not partners


# ------------------------------------------------------------------ xoshiro256+ (kernels.uniform)
MASK = (1 << 64) - 1


def _splitmix_xoshiro(seed: int, n: int) -> list[float]:
    """Reference xoshiro256+ (Blackman & Vigna, xoshiro256plus.c) seeded by splitmix64, in plain Python."""
    z, s = seed & MASK, []
    for _ in range(4):
        z = (z + 0x9E3779B97F4A7C15) & MASK
        x = z
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
        s.append(x ^ (x >> 31))
    out = []
    for _ in range(n):
        result = (s[0] + s[3]) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & MASK
        out.append((result >> 11) * 2.0**-53)
    return out


@njit
def _uniforms(seed, n):
    s = rng_state(seed)
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(s)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2**62 - 1, 123456789])
def test_uniform_is_xoshiro256plus(seed):
    assert _uniforms(seed, 50).tolist() == _splitmix_xoshiro(seed, 50)


def test_uniform_is_uniform_and_seeds_differ():
    from scipy import stats

    u = _uniforms(7, 200_000)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01
    assert u.min() >= 0.0 and u.max() < 1.0
    assert not np.array_equal(_uniforms(8, 100), u[:100])


@njit
def _occurs_all(u, x):
    out = np.empty(u.shape[0], dtype=np.bool_)
    for i in range(u.shape[0]):
        out[i] = occurs(u[i], x[i])
    return out


def test_occurs_is_exactly_u_below_one_minus_exp():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.exponential(0.05, 50_000), rng.exponential(3.0, 50_000), [0.0, 1e-300, 50.0]])
    u = np.concatenate([rng.random(len(x) - 6), -np.expm1(-x[-6:-3]), [0.0, 0.0, 0.5]])
    assert np.array_equal(_occurs_all(u, x), u < -np.expm1(-x))


# ------------------------------------------------------------------ incremental neighbour state
@pytest.mark.parametrize(("region", "comaker_min"), [("zuid", None), ("all", 0.35)])
def test_incremental_neighbour_state_equals_full_recomputation(region, comaker_min):
    """Hubs on (ties intensify, decay and appear every month): the incrementally kept neighbour sums and
    bit masks equal a from-scratch computation, exactly, every month; and they are not trivially zero. With the
    co-maker threshold at 0.35, above the ties' resting 0.3, client ties cross it as they intensify and decay (all
    hubs: up to 40 at once), so a co-maker mask changes by a tie's intensity alone (update_tie_weights must mark it).
    """
    from propeller.core.ecosystem import NeighbourState
    from propeller.core.model import PropellerModel
    from propeller.scenarios.loader import DEFAULTS, load

    over = {"simulation.region": region}
    if comaker_min is not None:
        over["coupling.comaker_min_intensity"] = comaker_min
    m = PropellerModel(load(DEFAULTS, overrides=over), rng=5, with_agents=False)
    cp = m.couplings
    seen = {"collab": 0, "num": 0.0, "comaker": 0, "pulled": 0, "chained": 0}
    for _ in range(36):
        m.run_for(1)
        inc = m.neighbours.update(m.stage)
        ref = NeighbourState(m.eco, m.stage.shape, cp.is_company, cp.is_client, cp.min_step, cp.min_w)
        ref.update(m.stage, full=True)
        for name in ("num", "deg", "comaker", "pulled", "chained", "adopted", "maker"):
            assert np.array_equal(getattr(inc, name), getattr(ref, name)), name
        seen["collab"] = len(m.eco.collab()[0])
        seen["num"] = max(seen["num"], float(inc.num.sum()))
        seen["comaker"] += int(np.count_nonzero(inc.comaker))
        seen["pulled"] += int(np.count_nonzero(inc.pulled))
        seen["chained"] += int(np.count_nonzero(inc.chained))
    assert (seen["collab"] > 0 and seen["num"] > 0 and seen["comaker"] > 0 and seen["pulled"] > 0
            and seen["chained"] > 0), seen


def test_a_bound_kernel_refuses_other_types_when_checking():
    """kernels.Bound: typed by its first call; under PROPELLER_CHECK_KERNEL_TYPES=1 (set for the tests) a call with
    other types is refused instead of running compiled code for the wrong types."""
    from propeller.core import kernels

    assert kernels.CHECK_TYPES
    bound = kernels.Bound(rng_state)
    first = bound(7)
    assert np.array_equal(first, rng_state(7)) and np.array_equal(bound(7), first)
    with pytest.raises(TypeError, match="bound to"):
        bound(7.5)


def test_tie_positions_are_those_of_a_stable_argsort():
    """kernels.tie_positions (one pass) gives each structural tie's two positions in a weighted view, as a stable
    argsort of the view's tie ids does (what Ecosystem._slots computed before)."""
    from propeller.core.ecosystem import CLIENT
    from propeller.core.kernels import tie_positions
    from propeller.core.model import PropellerModel
    from propeller.scenarios.loader import CALIBRATED, load

    eco = PropellerModel(load(CALIBRATED), rng=1, with_agents=False).eco
    for kind in (None, CLIENT):
        eco.structural(kind, True)
        _, perm, _ = eco._static_cache[(kind, True)]
        want = np.full((2, eco.n_static), -1, dtype=np.int64)
        order = np.argsort(perm, kind="stable")
        want[0, perm[order[0::2]]] = order[0::2]
        want[1, perm[order[1::2]]] = order[1::2]
        got = tie_positions(np.ascontiguousarray(perm, dtype=np.int64), int(eco.n_static))
        assert np.array_equal(got, want) and (got[0] >= 0).sum() > 1000, kind
