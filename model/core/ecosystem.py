"""The ecosystem graph: relations between organisations, and between organisations and hubs.

Two kinds of relation, both with an intensity in [0, 1]:

* organisation-hub: the spider-diagram rings of Figure 3.1 [003 L2780-2795] as thresholds on
  ``rel[i, h]``; rings 1-3 are partners, ring 4 the pool of potential partners [003 L2796-2803];
* organisation-organisation: chain ties among companies, client ties (co-makers, contractors),
  constituency ties of network organisations, internship ties of schools, and collaboration ties
  made in joint activities.

The graph is built by compiled generators (``graphs``: Holme-Kim chain graphs, weighted tie draws),
seeded from the model's generator, and held as edge arrays so that the monthly rules run vectorised;
:meth:`Ecosystem.to_networkx` rebuilds a networkx graph with the current intensities (organisation and
hub nodes) for inspection and visualisation.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy import sparse

from propeller.core.constants import COMPANY_TYPES, HUBS, ROUTES, TYPES
from propeller.core.graphs import holme_kim, sample_without_replacement, symmetric_csr
from propeller.core.kernels import Bound, insert_ties, tie_positions, update_neighbours, update_tie_weights
from propeller.core.state import Collab, Csr, Edges, Neighbours, Ties

CHAIN, CLIENT, MEMBER, INTERNSHIP, COLLAB = range(5)
EDGE_KINDS = ("chain", "client", "member", "internship", "collab")


def _seed(rng: np.random.Generator) -> int:
    """Seed of a compiled generator (``graphs``), drawn from the model's generator."""
    return int(rng.integers(2**62))


class Ecosystem:
    """Edge arrays plus the organisation-hub relation matrix."""

    def __init__(self, pop, rel: np.ndarray, p, rng: np.random.Generator):
        self.p = p
        self.rel = rel  # N x H
        self.n = pop.n
        thr = p["ecosystem.ring_thresholds"]
        self.ring_thr = np.array(thr, dtype=float)
        self.partner_thr = float(thr[2])
        self.potential = float(p["ecosystem.potential_intensity"])
        u, v, kind = self._build(pop, p, rng) if p["network.enabled"] else (np.empty(0, int),) * 3
        # edge arrays with spare capacity: collaboration ties are appended in place (``kernels.insert_ties``)
        self.m = m = len(u)
        cap = max(2 * m, 256)
        self._u = np.zeros(cap, dtype=np.int64)
        self._v = np.zeros(cap, dtype=np.int64)
        self._kind = np.zeros(cap, dtype=np.int8)
        self._base = np.zeros(cap)
        self._w = np.zeros(cap)
        self._keys = np.zeros(cap, dtype=np.int64)  # sorted u * n + v of all edges (u < v)
        self._u[:m], self._v[:m], self._kind[:m] = u, v, kind
        self._base[:m] = np.where(kind == COLLAB, 0.0, float(p["network.initial_intensity"]))
        self._w[:m] = self._base[:m]
        self._keys[:m] = np.sort(self._u[:m] * self.n + self._v[:m])
        self._version = 0
        self._static_cache: dict = {}
        self._structures: dict = {}  # kind -> (indptr, indices, edge of each entry), shared by that kind's views
        self._kept: set = set()  # weighted views that update_tie_weights keeps current (tie_slots)
        self.layout = 0  # changes when ties are appended or the tie buffers are replaced (views must be rebuilt)
        self._insert_ties, self._update_tie_weights = Bound(insert_ties), Bound(update_tie_weights)
        self.n_static = len(self.u)  # structural ties first; collaboration ties are appended after
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._at_base = True  # every tie rests at its base intensity (then a month without activity is a no-op)
        # per organisation: its collaboration ties as a linked list (``kernels.update_neighbours``), and
        # whether its neighbour sums are stale because one of its ties changed intensity
        self.collab_head = np.full(self.n, -1, dtype=np.int64)
        self._collab_next = np.full(2 * (cap - m), -1, dtype=np.int64)
        self.dirty = np.zeros(self.n, dtype=np.uint8)  # kernels.DIRTY_SUMS | DIRTY_MASKS flags

    # ------------------------------------------------------------------ construction
    def _build(self, pop, p, rng):
        edges: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        company = np.isin(pop.otype, COMPANY_TYPES)
        builders = pop.otype == TYPES.index("mkb_builders")
        all_companies = np.flatnonzero(company)
        for h in range(len(HUBS)):
            region = pop.home == h
            comp = rng.permutation(np.flatnonzero(region & company))
            m = int(p["network.chain_m"])
            if len(comp) > m + 1:
                e = comp[holme_kim(len(comp), m, p["network.chain_triangle_p"], _seed(rng))]
                cross = rng.random(len(e)) < p["network.cross_region_share"]
                if cross.any():  # the newer endpoint goes to a company anywhere
                    e[cross, 1] = rng.choice(all_companies, size=int(cross.sum()))
                edges.append(e)
                kinds.append(np.full(len(e), CHAIN))
            if len(comp) == 0:
                continue
            comp_w = np.where(builders[comp], 3.0, 1.0)  # clients contract builders first (assumption)
            for kind, members, mean in (
                (CLIENT, np.flatnonzero(region & np.isin(pop.otype, (TYPES.index("clients"), TYPES.index("government")))),
                 p["network.client_ties_mean"]),
                (MEMBER, np.flatnonzero(region & (pop.otype == TYPES.index("branch_ngo"))), p["network.member_ties_mean"]),
                (INTERNSHIP, np.flatnonzero(region & (pop.route == ROUTES.index("school"))), p["network.internship_ties_mean"]),
            ):
                if len(members) == 0:
                    continue
                k = np.minimum(np.maximum(rng.poisson(mean, size=len(members)), 1), len(comp))
                # each member draws k companies without replacement, weighted (successive draws, compiled)
                dst = comp[sample_without_replacement(k, comp_w, _seed(rng))]
                edges.append(np.column_stack([np.repeat(members, k), dst]))
                kinds.append(np.full(len(dst), kind))
        if not edges:
            return np.empty(0, int), np.empty(0, int), np.empty(0, int)
        e = np.vstack(edges)
        kd = np.concatenate(kinds)
        u, v = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
        keep = u != v
        u, v, kd = u[keep], v[keep], kd[keep]
        _, first = np.unique(u * self.n + v, return_index=True)
        first.sort()
        return u[first], v[first], kd[first]

    def structural(self, kind: int | None, weighted: bool):
        """Structural ties (all, or one kind) in compressed-row form (scipy CSR), symmetric, with data
        = intensity (``weighted``) or 1. Collaboration ties are not in it.

        The structure is built once (structural ties never change); only the data follow the intensities. The
        two weighted views the kernels read (all ties, client ties) are kept current by ``update_tie_weights``
        itself (``tie_slots``); any other weighted view is refreshed here, after ties changed.
        """
        key = (kind, weighted)
        entry = self._static_cache.get(key)
        if entry is None:
            structure = self._structures.get(kind)
            if structure is None:
                n_s = self.n_static
                sel = np.arange(n_s) if kind is None else np.flatnonzero(self.kind[:n_s] == kind)
                indptr, indices, perm = symmetric_csr(self.u[sel], self.v[sel], sel, self.n)
                structure = self._structures[kind] = (indptr, indices, perm)
            indptr, indices, perm = structure  # perm: the tie at each position of the data
            data = np.take(self._w, perm) if weighted else np.ones(len(perm))
            mat = sparse.csr_array((data, indices, indptr), shape=(self.n, self.n))
            mat.has_sorted_indices = True
            entry = self._static_cache[key] = [mat, perm, self._version]
        mat, perm, version = entry
        if weighted and version != self._version and key not in self._kept:
            np.take(self._w, perm, out=mat.data)
            entry[2] = self._version
        return mat

    def _slots(self, kind: int | None) -> np.ndarray:
        """Where each structural tie sits in the data of the weighted view of ``kind``: 2 x n_static positions
        (its two directions), -1 for a tie not in the view."""
        self.structural(kind, True)  # built if it was not
        _, perm, _ = self._static_cache[(kind, True)]
        return tie_positions(np.ascontiguousarray(perm, dtype=np.int64), int(self.n_static))

    # ------------------------------------------------------------------ queries
    def partners(self) -> np.ndarray:
        """Boolean N x H: partner (rings 1-3) of each hub."""
        return self.rel >= self.partner_thr

    def rings(self) -> np.ndarray:
        """Ring per organisation and hub: 1..3 partners, 4 potential, 0 unknown (int8 N x H)."""
        r = np.zeros(self.rel.shape, dtype=np.int8)
        r[self.rel > 0] = 4
        for ring, t in zip((3, 2, 1), self.ring_thr[::-1], strict=True):
            r[self.rel >= t] = ring
        return r

    # ------------------------------------------------------------------ dynamics
    def meet(self, a: np.ndarray, b: np.ndarray) -> None:
        """Queue new collaboration ties; they are added once a month by :meth:`update_ties`."""
        self.pending.append((a, b))

    # current edges (views of the buffers)
    u = property(lambda self: self._u[: self.m])
    v = property(lambda self: self._v[: self.m])
    kind = property(lambda self: self._kind[: self.m])
    base = property(lambda self: self._base[: self.m])
    w = property(lambda self: self._w[: self.m])

    def collab(self) -> Collab:
        """The collaboration ties (u, v, intensity): appended after the structural ones."""
        ns, m = self.n_static, self.m
        return Collab(self._u[ns:m], self._v[ns:m], self._w[ns:m])

    def add_ties(self, a: np.ndarray, b: np.ndarray, intensity: float) -> int:
        """Add collaboration ties between pairs (a[i], b[i]) that are not yet linked."""
        need = self.m + len(a)
        if need > len(self._u):  # grow the buffers (amortised doubling)
            cap = 2 * need
            for name in ("_u", "_v", "_kind", "_base", "_w", "_keys"):
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: self.m] = old[: self.m]
                setattr(self, name, new)
            nxt = np.full(2 * (cap - self.n_static), -1, dtype=np.int64)
            nxt[: len(self._collab_next)] = self._collab_next
            self._collab_next = nxt
            self.layout += 1  # views of the old buffers are stale
        edges = Edges(self._keys, self._u, self._v, self._kind, self._base, self._w)
        m = self._insert_ties(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), self.n, edges, self.m,
                        float(intensity), COLLAB, self.n_static, self.collab_head, self._collab_next, self.dirty)
        added, self.m = m - self.m, m  # collaboration ties are not in the structural views: no refresh
        if added:
            self._at_base = False
            self.layout += 1
        return added

    def _changed(self) -> None:
        self._version += 1

    def update_ties(self, activity: np.ndarray, intensify: float, decay: float, any_activity: bool = True) -> None:
        """New ties from this month's meetings; joint participation (same activity id) intensifies a
        tie, otherwise it decays towards its base level. ``any_activity``: whether any activity id was
        given this month; without one, ties that all rest at their base stay as they are (no pass)."""
        if self.pending:
            a, b = (np.concatenate(x) for x in zip(*self.pending, strict=True))
            self.pending = []
            self.add_ties(a, b, intensify)
        if self.m == 0 or (self._at_base and not any_activity):
            return
        if not self._kept:  # the two weighted views the kernels read, kept current from now on
            self.tie_slots = (self.structural(None, True).data, self._slots(None),
                              self.structural(CLIENT, True).data, self._slots(CLIENT))
            self._kept = {(None, True), (CLIENT, True)}
        static_changed, self._at_base = self._update_tie_weights(self.u, self.v, self.w, self.base, activity,
                                                                 float(intensify), float(decay), self.n_static,
                                                                 self.dirty, *self.tie_slots)
        if static_changed:
            self._changed()  # the structural views refresh their intensities only when one changed

    # ------------------------------------------------------------------ export
    def to_networkx(self, pop=None) -> nx.Graph:
        """Current graph: organisation nodes 0..N-1, hub nodes 'hub:<name>'; edge attrs kind, intensity, ring."""
        g = nx.Graph()
        g.add_nodes_from(range(self.n), node_type="organisation")
        if pop is not None:
            for i in range(self.n):
                g.nodes[i].update(partner_type=TYPES[pop.otype[i]], route=ROUTES[pop.route[i]], home=HUBS[pop.home[i]])
        g.add_edges_from(
            (int(a), int(b), {"kind": EDGE_KINDS[k], "intensity": float(w)})
            for a, b, k, w in zip(self.u, self.v, self.kind, self.w, strict=True)
        )
        rings = self.rings()
        for h, hub in enumerate(HUBS):
            g.add_node(f"hub:{hub}", node_type="hub")
            for i in np.flatnonzero(rings[:, h]):
                g.add_edge(int(i), f"hub:{hub}", kind="hub", intensity=float(self.rel[i, h]), ring=int(rings[i, h]))
        return g


class NeighbourState:
    """What an organisation sees of its contacts, per theme, kept up to date month by month
    (``kernels.update_neighbours``): exposure = num / deg (intensity-weighted share of contacts in
    Adopteren, structural and collaboration ties), and bit masks ``comaker`` (a client-tie company far
    enough on the theme), ``pulled`` (a client tie to a client in Adopteren) and ``chained`` (a chain-tie
    company far enough on the theme: an involved chain partner).

    Only organisations whose contacts changed bits, or whose ties changed intensity, are recomputed, to
    the same sums a full recomputation gives (``update(full=True)``)."""

    def __init__(self, eco: Ecosystem, shape: tuple[int, int], is_company, is_client, min_step: int, min_w: float):
        n, k = shape
        if k > 62:
            raise ValueError(f"NeighbourState keeps one bit per theme in an int64: at most 62 themes, got {k}")
        self.eco = eco
        self.num = np.zeros((n, k))
        self.deg = np.zeros(n)
        self.comaker = np.zeros(n, dtype=np.int64)
        self.pulled = np.zeros(n, dtype=np.int64)
        self.chained = np.zeros(n, dtype=np.int64)
        self.adopted = np.zeros(n, dtype=np.int64)
        self.maker = np.zeros(n, dtype=np.int64)
        self.snap = np.zeros(n * k, dtype=np.int8)  # the stages at the last update, flattened
        self._words = (n * k) // 8
        self.snap_words = self.snap[: 8 * self._words].view(np.uint64)
        self._cand = np.zeros(2 * n + 8, dtype=np.int64)
        self.is_company = np.ascontiguousarray(is_company, dtype=np.bool_)
        self.is_client = np.ascontiguousarray(is_client, dtype=np.bool_)
        self.min_step = int(min_step)
        self.min_w = float(min_w)
        self._fresh = False
        self._ties = -1
        self._stage = None
        self._update = Bound(update_neighbours)
        self.arrays = Neighbours(num=self.num, deg=self.deg, comaker=self.comaker, pulled=self.pulled, chained=self.chained,
                                 adopted=self.adopted, maker=self.maker, snap=self.snap, snap_words=self.snap_words,
                                 cand=self._cand, dirty=eco.dirty)
        eco.structural(None, True), eco.structural(CLIENT, True), eco.structural(CHAIN, False)  # the CSR views

    def update(self, stage: np.ndarray, full: bool = False) -> NeighbourState:
        eco = self.eco
        if self._ties != eco.layout:  # ties appended or buffers replaced (the weighted views' data are kept current)
            a, c, ch = eco.structural(None, True), eco.structural(CLIENT, True), eco.structural(CHAIN, False)
            self.ties = Ties(structural=Csr(a.indptr, a.indices, a.data), client=Csr(c.indptr, c.indices, c.data),
                             chain=Csr(ch.indptr, ch.indices, ch.data),
                             collab=eco.collab(), head=eco.collab_head, nxt=eco._collab_next,
                             comaker_min_step=self.min_step, comaker_min_w=self.min_w)
            self._ties = eco.layout
        if stage is not self._stage:  # uint64 view of the stages (8 at a time): stage is C-contiguous
            self._stage, self._stage_words = stage, stage.reshape(-1)[: 8 * self._words].view(np.uint64)
        self._update(stage, self._stage_words, bool(full or not self._fresh), self.is_company, self.is_client,
                     self.arrays, self.ties)
        self._fresh = True
        return self
