"""Random structures of the ecosystem graph, compiled: the chain graph and the weighted tie draws.

* :func:`holme_kim` - the Holme-Kim growing graph (Holme & Kim 2002, Phys. Rev. E 65, 026107), the model
  of networkx's ``powerlaw_cluster_graph``: ``m`` isolated nodes, then each new node attaches to ``m``
  distinct existing nodes drawn with probability proportional to degree (preferential attachment), except
  that after a preferential-attachment step each further link is, with probability ``p``, a triad-formation
  step instead: a link to a random neighbour of the node last attached to that is not yet linked to the new
  node (the step falls back to preferential attachment when there is none). Step for step as networkx
  (``networkx.generators.random_graphs.powerlaw_cluster_graph``, 3.x), including its corner cases: the
  ``m`` targets are drawn up front, and a preferential-attachment target that a triad step already linked
  is not linked twice (the edge count can fall short of ``m`` per node), while the degree list still counts it.
* :func:`sample_without_replacement` - for each of many rows, ``k[r]`` distinct indices drawn successively
  with probability proportional to ``weights`` (what ``Generator.choice(replace=False, p=...)`` and the
  Gumbel top-k draw), by rejection of repeats, or by exponential keys when a row takes a large share.

Both draw from xoshiro256+ (``kernels.rng_state`` / ``kernels.uniform``) seeded by an integer the caller
draws from the model's numpy Generator, so a build is reproducible from the model seed. They do not
reproduce networkx's or numpy's random streams, only their distributions (``tests/test_graphs.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from propeller.core.kernels import rng_state, uniform


@njit(inline="always")
def _open(w, source, linked, nl):
    """Whether ``w`` can still be linked to ``source``: not ``source`` itself nor one of its ``nl`` links so far."""
    if w == source:
        return False
    for j in range(nl):  # noqa: SIM110 - a plain loop in compiled code (no generator for all())
        if linked[j] == w:
            return False
    return True


@njit(cache=True)
def _holme_kim(n, m, p, seed):
    s = rng_state(seed)
    n_new = n - m
    cap = m * n_new
    a = np.empty(cap, dtype=np.int64)  # edge (a[e], b[e]): a the existing node, b the new one (a < b)
    b = np.empty(cap, dtype=np.int64)
    head = np.full(n, -1, dtype=np.int64)  # adjacency as linked lists of half-edges
    nxt = np.empty(2 * cap, dtype=np.int64)
    to = np.empty(2 * cap, dtype=np.int64)
    rep = np.empty(m + 2 * cap, dtype=np.int64)  # networkx's repeated_nodes: a node once per link attempt
    for i in range(m):
        rep[i] = i
    n_rep = m
    targets = np.empty(m, dtype=np.int64)
    linked = np.empty(m, dtype=np.int64)  # the new node's neighbours so far
    e = 0
    h = 0
    for source in range(m, n):
        # m distinct targets, each draw proportional to the node's count in rep (networkx's _random_subset)
        nt = 0
        while nt < m:
            x = rep[int(uniform(s) * n_rep)]
            new = True
            for j in range(nt):
                if targets[j] == x:
                    new = False
                    break
            if new:
                targets[nt] = x
                nt += 1
        # networkx pops them from a set, in an order unrelated to degree: a random order here
        for j in range(m - 1, 0, -1):
            r = int(uniform(s) * (j + 1))
            targets[j], targets[r] = targets[r], targets[j]
        ti = 0
        nl = 0
        count = 0
        target = -1
        while count < m:
            node = -1
            if count > 0 and uniform(s) < p:  # triad formation: a neighbour of target not yet linked
                n_ok = 0
                q = head[target]
                while q != -1:
                    if _open(to[q], source, linked, nl):
                        n_ok += 1
                    q = nxt[q]
                if n_ok > 0:
                    pick = int(uniform(s) * n_ok)
                    q = head[target]
                    while q != -1:
                        if _open(to[q], source, linked, nl):
                            if pick == 0:
                                node = to[q]
                                break
                            pick -= 1
                        q = nxt[q]
            if node < 0:  # preferential attachment: the next of the drawn targets
                target = targets[ti]
                ti += 1
                node = target
            rep[n_rep] = node
            n_rep += 1
            count += 1
            dup = False
            for j in range(nl):
                if linked[j] == node:
                    dup = True  # linked by a triad step already: networkx's add_edge is then a no-op
                    break
            if dup:
                continue
            linked[nl] = node
            nl += 1
            a[e] = node
            b[e] = source
            to[h] = source
            nxt[h] = head[node]
            head[node] = h
            h += 1
            to[h] = node
            nxt[h] = head[source]
            head[source] = h
            h += 1
            e += 1
        for j in range(m):
            rep[n_rep + j] = source
        n_rep += m
    return a[:e], b[:e]


def holme_kim(n: int, m: int, p: float, seed: int) -> np.ndarray:
    """Holme-Kim graph on nodes 0..n-1 (networkx's ``powerlaw_cluster_graph(n, m, p)``), as an E x 2 int64
    edge array: column 0 the older node, column 1 the node that attached to it."""
    if m < 1 or n < m:
        raise ValueError(f"holme_kim: need 1 <= m <= n, got m={m}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"holme_kim: p must be in [0, 1], got {p}")
    a, b = _holme_kim(int(n), int(m), float(p), int(seed))
    return np.column_stack([a, b])


@njit(cache=True)
def _sample_rows(k, weights, seed):
    s = rng_state(seed)
    n = weights.shape[0]
    cdf = np.cumsum(weights)
    total = cdf[-1]
    w_max = weights.max()
    out = np.empty(k.sum(), dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)  # mark[j] = last row that took j
    keys = np.empty(n)
    pos = 0
    for r in range(k.shape[0]):
        kr = k[r]
        if kr * w_max <= 0.5 * total:
            # draw with replacement and redraw repeats: each accepted draw is proportional to the weights of
            # the indices not yet taken, i.e. successive sampling; at least half the weight is left, so a
            # draw is accepted with probability >= 1/2
            got = 0
            while got < kr:
                j = np.searchsorted(cdf, uniform(s) * total, side="right")
                if j >= n:
                    j = n - 1
                if mark[j] != r:
                    mark[j] = r
                    out[pos + got] = j
                    got += 1
        else:
            # a large share of the row: exponential keys E_j / w_j, the kr smallest (Efraimidis & Spirakis
            # 2006), the same distribution of the drawn set
            for j in range(n):
                keys[j] = -np.log(1.0 - uniform(s)) / weights[j]
            order = np.argsort(keys)
            for j in range(kr):
                out[pos + j] = order[j]
        pos += kr
    return out


def sample_without_replacement(k: np.ndarray, weights: np.ndarray, seed: int) -> np.ndarray:
    """For row r = 0..len(k)-1, ``k[r]`` distinct indices into ``weights`` drawn successively with probability
    proportional to the weights of the indices not yet drawn; the rows concatenated (length ``k.sum()``).
    Weights must be positive and ``k[r] <= len(weights)``."""
    k = np.ascontiguousarray(k, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if len(k) and (k.max() > len(weights) or k.min() < 0):
        raise ValueError("sample_without_replacement: each k must be in [0, len(weights)]")
    if len(weights) == 0 or not (weights > 0).all():
        if k.sum() == 0:
            return np.empty(0, dtype=np.int64)
        raise ValueError("sample_without_replacement: weights must be positive")
    return _sample_rows(k, weights, int(seed))


@njit(cache=True)
def _symmetric_csr(u, v, eid, n):
    m = u.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        indptr[u[e] + 1] += 1
        indptr[v[e] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    indices = np.empty(2 * m, dtype=np.int64)
    ids = np.empty(2 * m, dtype=np.int64)
    for e in range(m):
        a, b = u[e], v[e]
        indices[fill[a]] = b
        ids[fill[a]] = eid[e]
        fill[a] += 1
        indices[fill[b]] = a
        ids[fill[b]] = eid[e]
        fill[b] += 1
    for i in range(n):  # columns in ascending order within each row
        lo, hi = indptr[i], indptr[i + 1]
        if hi - lo <= 24:
            for x in range(lo + 1, hi):
                c, d = indices[x], ids[x]
                y = x - 1
                while y >= lo and indices[y] > c:
                    indices[y + 1] = indices[y]
                    ids[y + 1] = ids[y]
                    y -= 1
                indices[y + 1] = c
                ids[y + 1] = d
        else:
            order = np.argsort(indices[lo:hi]) + lo
            indices[lo:hi] = indices[order]
            ids[lo:hi] = ids[order]
    return indptr, indices, ids


def symmetric_csr(u: np.ndarray, v: np.ndarray, eid: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compressed rows of the symmetric n x n adjacency of the undirected edges (u[e], v[e]) (no edge twice, no
    self-loop): (indptr, indices, ids), columns ascending within each row, ids[x] = eid[e] of the edge entry x comes
    from. The structure scipy's COO -> CSR conversion and ``sort_indices`` give, in linear time."""
    return _symmetric_csr(np.ascontiguousarray(u, dtype=np.int64), np.ascontiguousarray(v, dtype=np.int64),
                          np.ascontiguousarray(eid, dtype=np.int64), int(n))
