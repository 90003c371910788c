"""The compiled generators of the ecosystem graph (``core.graphs``): the Holme-Kim chain graph is the random-graph
model of networkx's ``powerlaw_cluster_graph``, and the tie draws are successive weighted draws without replacement.

Statistical comparisons over fixed seeds (deterministic): a mean differs from the reference by at most 4 standard
errors of the difference.

networkx pops the m preferential-attachment targets of a new node from a Python ``set``, so the node that anchors
its triad-formation steps is the target in the lowest hash slot, i.e. the smallest label modulo 8: in its graphs the
nodes 0, 8, 16, ... become the largest hubs (node 0 of a 20,000-node graph with m = 3, p = 1 has ~1,300 links,
node 1 ~200). That order is an artefact of the implementation, not part of Holme and Kim's model; ``holme_kim``
takes the targets in a random order. The degree distribution's bulk, the edge count and the mean clustering are
compared with networkx as it is; its tail (second moment of the degree, largest degree) and the transitivity, which
the artefact moves, with networkx's own code run with the targets popped in a random order.
"""

from __future__ import annotations

import random
from itertools import permutations

import networkx as nx
import networkx.generators.random_graphs as nx_random
import numpy as np
import pytest
from scipy import sparse

from propeller.core.graphs import holme_kim, sample_without_replacement, symmetric_csr

N, SEEDS = 1000, 16


def _shuffled_subset(seq, m, rng):
    """networkx's ``_random_subset`` with its result in a random order (popped from the end of a list)."""
    targets = list(_random_subset(seq, m, rng))
    rng.shuffle(targets)
    return targets


_random_subset = nx_random._random_subset


def _stats(edges: np.ndarray, n: int, m: int) -> dict:
    deg = np.bincount(edges.ravel(), minlength=n).astype(float)
    a = sparse.coo_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(float)
    tri = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2  # triangles through each node
    pairs = deg * (deg - 1) / 2
    local = np.divide(tri, pairs, out=np.zeros(n), where=pairs > 0)
    return {"edges": len(edges), "clustering": local.mean(), "transitivity": tri.sum() / pairs.sum(),
            "p_deg_m": np.mean(deg == m), "p_deg_m1": np.mean(deg == m + 1), "p_deg_m2": np.mean(deg == m + 2),
            "p_deg_ge10": np.mean(deg >= 10), "deg_sq": np.mean(deg**2), "deg_max": deg.max()}


def _sample(make, n, m, p) -> dict:
    rows = [_stats(make(n, m, p, seed), n, m) for seed in range(SEEDS)]
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}


def _ours(n, m, p, seed):
    return holme_kim(n, m, p, seed)


def _networkx(n, m, p, seed):
    return np.array(list(nx.powerlaw_cluster_graph(n, m, p, seed=seed).edges()), dtype=np.int64)


def _networkx_random_order(n, m, p, seed):
    nx_random._random_subset = _shuffled_subset
    try:
        return _networkx(n, m, p, seed + 1000)
    finally:
        nx_random._random_subset = _random_subset


def _close(a: np.ndarray, b: np.ndarray, what: str) -> None:
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    diff = abs(a.mean() - b.mean())
    assert diff <= 4 * se + 1e-9 * max(1.0, abs(b.mean())), (
        f"{what}: {a.mean():.5g} vs {b.mean():.5g} (difference {diff:.3g}, se {se:.3g})")


BULK = ("edges", "clustering", "p_deg_m", "p_deg_m1", "p_deg_m2", "p_deg_ge10")
ALL = BULK + ("transitivity", "deg_sq", "deg_max")


@pytest.mark.parametrize("m, p", [(2, 0.3), (3, 0.8)])  # (2, 0.3): the model's chain graph
def test_holme_kim_matches_networkx(m, p):
    ours = _sample(_ours, N, m, p)
    reordered = _sample(_networkx_random_order, N, m, p)
    for key in ALL:
        _close(ours[key], reordered[key], f"{key} vs networkx, targets in random order (m={m}, p={p})")
    if (m, p) == (2, 0.3):  # at the model's parameters the artefact leaves the bulk within the tolerance
        plain = _sample(_networkx, N, m, p)
        for key in BULK:
            _close(ours[key], plain[key], f"{key} vs networkx (m={m}, p={p})")


@pytest.mark.parametrize("m", [1, 3])
def test_preferential_attachment_matches_networkx(m):
    """Without triad formation (p = 0) the order of the targets does not matter: networkx as it is."""
    ours, plain = _sample(_ours, N, m, 0.0), _sample(_networkx, N, m, 0.0)
    for key in ALL:
        _close(ours[key], plain[key], f"{key} vs networkx (m={m}, p=0)")


def test_networkx_target_order_artefact():
    """Why the tail is compared with the reordered networkx: its own graphs make hubs of the labels 0 mod 8."""
    deg = np.bincount(_networkx(4000, 3, 1.0, 1).ravel())
    assert deg[0] > 3 * deg[1:8].max()
    ours = np.bincount(holme_kim(4000, 3, 1.0, 1).ravel())
    assert ours[0] < 3 * ours[1:8].max()


def test_holme_kim_structure():
    for m, p in ((2, 0.3), (3, 0.9), (1, 0.5)):
        e = holme_kim(3000, m, p, 7)
        assert e.dtype == np.int64 and e.shape[1] == 2
        assert (e[:, 0] < e[:, 1]).all() and e.min() >= 0 and e.max() < 3000  # older node first, no self-loop
        assert len(np.unique(e[:, 0] * 3000 + e[:, 1])) == len(e)  # no edge twice
        per_new = np.bincount(e[:, 1], minlength=3000)
        assert (per_new[:m] == 0).all() and (per_new[m:] >= 1).all() and (per_new <= m).all()
        if m <= 2:  # a duplicate needs two preferential steps after a triad step: only from m = 3
            assert len(e) == m * (3000 - m)
    assert len(holme_kim(5, 5, 0.3, 0)) == 0
    with pytest.raises(ValueError):
        holme_kim(3, 4, 0.3, 0)
    with pytest.raises(ValueError):
        holme_kim(30, 2, 1.5, 0)


def test_reproducible_from_seed():
    a, b, c = holme_kim(2000, 2, 0.3, 11), holme_kim(2000, 2, 0.3, 11), holme_kim(2000, 2, 0.3, 12)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    k, w = np.full(500, 4), np.r_[np.full(50, 3.0), np.ones(150)]
    x, y, z = (sample_without_replacement(k, w, s) for s in (5, 5, 6))
    assert np.array_equal(x, y) and not np.array_equal(x, z)


def _inclusion(w: np.ndarray, k: int) -> np.ndarray:
    """Exact inclusion probability of each index in k successive weighted draws without replacement."""
    out = np.zeros(len(w))
    for seq in permutations(range(len(w)), k):
        left, pr = w.sum(), 1.0
        for i in seq:
            pr *= w[i] / left
            left -= w[i]
        out[list(seq)] += pr
    return out


@pytest.mark.parametrize("w, k", [
    (np.array([3.0, 1, 1, 1, 1, 1, 1, 1, 3, 1, 1, 1]), 2),  # a small share of the weight: rejection of repeats
    (np.array([3.0, 1, 1, 3, 1]), 3),  # a large share: exponential keys
])
def test_sampler_is_successive_weighted_draws(w, k):
    rows = 40_000
    got = sample_without_replacement(np.full(rows, k), w, 3).reshape(rows, k)
    assert (np.sort(got, axis=1)[:, 1:] != np.sort(got, axis=1)[:, :-1]).all()  # distinct in each row
    freq = np.bincount(got.ravel(), minlength=len(w)) / rows
    exact = _inclusion(w, k)
    sd = np.sqrt(exact * (1 - exact) / rows)
    assert (np.abs(freq - exact) <= 4.5 * sd + 1e-12).all(), (freq, exact)


def test_sampler_rows_and_edges():
    w = np.r_[np.full(10, 3.0), np.ones(30)]
    k = np.array([0, 1, 40, 5, 39, 2])
    out = sample_without_replacement(k, w, 1)
    assert len(out) == k.sum() and out.min() >= 0 and out.max() < 40
    rows = np.split(out, np.cumsum(k)[:-1])
    assert all(len(np.unique(r)) == len(r) for r in rows)
    assert np.array_equal(np.sort(rows[2]), np.arange(40))
    assert len(sample_without_replacement(np.zeros(0, int), w, 1)) == 0
    with pytest.raises(ValueError):
        sample_without_replacement(np.array([41]), w, 1)
    with pytest.raises(ValueError):
        sample_without_replacement(np.array([1]), np.array([1.0, 0.0]), 1)


def test_python_random_untouched():
    """The generators draw from their own seeded stream, not from Python's or numpy's global state."""
    state, np_state = random.getstate(), np.random.get_state()[1].copy()
    holme_kim(500, 2, 0.3, 1), sample_without_replacement(np.full(10, 2), np.ones(30), 1)
    assert random.getstate() == state and np.array_equal(np.random.get_state()[1], np_state)


def test_symmetric_csr_is_scipys():
    n = 3000
    e = holme_kim(n, 3, 0.5, 4)  # hubs with long rows (argsort) and short rows (insertion)
    eid = np.arange(len(e)) * 7 + 3
    indptr, indices, ids = symmetric_csr(e[:, 0], e[:, 1], eid, n)
    ref = sparse.csr_array((np.r_[eid, eid] + 1.0, (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n))
    ref.sort_indices()
    assert np.array_equal(indptr, ref.indptr) and np.array_equal(indices, ref.indices)
    assert np.array_equal(ids, ref.data.astype(np.int64) - 1)
    indptr, indices, ids = symmetric_csr(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), 4)
    assert np.array_equal(indptr, np.zeros(5)) and len(indices) == len(ids) == 0
