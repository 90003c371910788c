"""The ecosystem graph: relations between organisations, and between organisations and hubs.

Two kinds of relation, both with an intensity in [0, 1]:

* organisation-hub: the spider-diagram rings of Figure 3.1 [003 L2780-2795] as thresholds on
  ``rel[i, h]``; rings 1-3 are partners, ring 4 the pool of potential partners [003 L2796-2803];
* organisation-organisation: chain ties among companies, client ties (co-makers, contractors),
  constituency ties of network organisations, internship ties of schools, and collaboration ties
  made in joint activities.

The graph is built with networkx (seeded from the model's generator) and then held as edge arrays
so that the monthly rules run vectorised; :meth:`Ecosystem.to_networkx` rebuilds a networkx graph
with the current intensities (organisation and hub nodes) for inspection and visualisation.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy import sparse

from model.constants import COMPANY_TYPES, HUBS, ROUTES, TYPES

CHAIN, CLIENT, MEMBER, INTERNSHIP, COLLAB = range(5)
EDGE_KINDS = ("chain", "client", "member", "internship", "collab")


def _nx_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


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
        self.u = u.astype(np.int64)
        self.v = v.astype(np.int64)
        self.kind = kind.astype(np.int8)
        base = float(p["network.initial_intensity"])
        self.base = np.where(self.kind == COLLAB, 0.0, base)
        self.w = self.base.copy()
        self._keys = np.sort(self.u * self.n + self.v)
        self._adj = None
        self._version = 0
        self._kind_cache: dict = {}
        self._structures: dict = {}
        self._n_static = len(self.u)  # structural ties come first; collaboration ties are appended
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        member = self.kind == MEMBER
        self.member_adj = self._matrix(self.u[member], self.v[member], np.ones(int(member.sum())))

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
                g = nx.powerlaw_cluster_graph(len(comp), m, p["network.chain_triangle_p"], seed=_nx_seed(rng))
                e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
                e = comp[e]
                cross = rng.random(len(e)) < p["network.cross_region_share"]
                if cross.any():
                    e[cross, 1] = rng.choice(all_companies, size=int(cross.sum()))
                edges.append(e)
                kinds.append(np.full(len(e), CHAIN))
            if len(comp) == 0:
                continue
            comp_w = np.where(builders[comp], 3.0, 1.0)  # clients contract builders first (assumption)
            comp_w = comp_w / comp_w.sum()
            for kind, members, mean in (
                (CLIENT, np.flatnonzero(region & np.isin(pop.otype, (TYPES.index("clients"), TYPES.index("government")))),
                 p["network.client_ties_mean"]),
                (MEMBER, np.flatnonzero(region & (pop.otype == TYPES.index("branch_ngo"))), p["network.member_ties_mean"]),
                (INTERNSHIP, np.flatnonzero(region & (pop.route == ROUTES.index("school"))), p["network.internship_ties_mean"]),
            ):
                if len(members) == 0:
                    continue
                k = np.minimum(np.maximum(rng.poisson(mean, size=len(members)), 1), len(comp))
                src = np.repeat(members, k)
                dst = np.concatenate([rng.choice(comp, size=kk, replace=False, p=comp_w) for kk in k])
                edges.append(np.column_stack([src, dst]))
                kinds.append(np.full(len(src), kind))
        if not edges:
            return np.empty(0, int), np.empty(0, int), np.empty(0, int)
        e = np.vstack(edges)
        kd = np.concatenate(kinds)
        e.sort(axis=1)
        keep = e[:, 0] != e[:, 1]
        e, kd = e[keep], kd[keep]
        _, first = np.unique(e[:, 0] * self.n + e[:, 1], return_index=True)
        first.sort()
        return e[first, 0], e[first, 1], kd[first]

    def _matrix(self, u, v, w):
        """Symmetric sparse adjacency (CSR) from an edge list."""
        return sparse.csr_array((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                                shape=(self.n, self.n))

    def _weighted(self, name: str, sel: np.ndarray | None, values: np.ndarray):
        """Symmetric CSR over the edges in ``sel`` with per-edge ``values``.

        The sparsity structure is built once per set of edges (it changes only when ties are added);
        afterwards only the data array is refreshed, through the stored edge permutation.
        """
        key = (name, self._n_static if name.startswith(("static", "kind")) else len(self.u))
        cached = self._structures.get(key)
        if cached is None:
            idx = np.arange(len(self.u)) if sel is None else np.flatnonzero(sel)
            mat = self._matrix(self.u[idx], self.v[idx], idx + 1.0)
            mat.sort_indices()
            perm = mat.data.astype(np.int64) - 1
            self._structures[key] = cached = (mat, perm)
        mat, perm = cached
        mat.data = values[perm]
        return mat

    @property
    def adj(self):
        """Intensity-weighted adjacency of all ties: structural ties (fixed structure, refreshed data)
        plus collaboration ties (rebuilt, they are few)."""
        if self._adj is None:
            n_static = self._n_static
            static = self._weighted("static", np.arange(len(self.u)) < n_static, self.w)
            adj = static
            if len(self.u) > n_static:
                adj = static + self._matrix(self.u[n_static:], self.v[n_static:], self.w[n_static:])
            self._adj = adj
            self._deg = adj @ np.ones(self.n)
        return self._adj

    def kind_adj(self, kind: int, min_w: float = 0.0):
        """Adjacency (1/0) of the ties of one kind with intensity >= min_w, for this month."""
        key = (kind, min_w, self._version)
        if key not in self._kind_cache:
            self._kind_cache = {k: v for k, v in self._kind_cache.items() if k[2] == self._version}
            sel = self.kind == kind
            self._kind_cache[key] = self._weighted(f"kind{kind}", sel, (self.w >= min_w).astype(float)).copy()
        return self._kind_cache[key]

    # ------------------------------------------------------------------ queries
    def partners(self) -> np.ndarray:
        """Boolean N x H: partner (rings 1-3) of each hub."""
        return self.rel >= self.partner_thr

    def rings(self) -> np.ndarray:
        """Ring per organisation and hub: 1..3 partners, 4 potential, 0 unknown (int8 N x H)."""
        r = np.zeros(self.rel.shape, dtype=np.int8)
        r[self.rel > 0] = 4
        for ring, t in zip((3, 2, 1), self.ring_thr[::-1]):
            r[self.rel >= t] = ring
        return r

    def exposure(self, adopted: np.ndarray) -> np.ndarray:
        """Intensity-weighted share of each organisation's contacts in Adopteren (N x K)."""
        if len(self.u) == 0:
            return np.zeros(adopted.shape)
        num = self.adj @ adopted.astype(float)
        deg = self._deg[:, None]
        return np.divide(num, deg, out=np.zeros_like(num), where=deg > 0)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum over each organisation's contacts of ``values`` (N or N x H) times tie intensity."""
        return self.adj @ values

    # ------------------------------------------------------------------ dynamics
    def meet(self, a: np.ndarray, b: np.ndarray) -> None:
        """Queue new collaboration ties; they are added once a month by :meth:`update_ties`."""
        self.pending.append((a, b))

    def add_ties(self, a: np.ndarray, b: np.ndarray, intensity: float) -> int:
        """Add collaboration ties between pairs (a[i], b[i]) that are not yet linked."""
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keys = np.unique((lo * self.n + hi)[lo != hi])
        if len(self._keys):
            pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
            keys = keys[self._keys[pos] != keys]
        if len(keys) == 0:
            return 0
        self._keys = np.sort(np.concatenate([self._keys, keys]))
        self.u = np.concatenate([self.u, keys // self.n])
        self.v = np.concatenate([self.v, keys % self.n])
        self.kind = np.concatenate([self.kind, np.full(len(keys), COLLAB, dtype=np.int8)])
        self.base = np.concatenate([self.base, np.zeros(len(keys))])
        self.w = np.concatenate([self.w, np.full(len(keys), intensity)])
        self._changed()
        return len(keys)

    def _changed(self) -> None:
        self._adj = None
        self._version += 1

    def update_ties(self, activity: np.ndarray, intensify: float, decay: float) -> None:
        """New ties from this month's meetings; joint participation (same activity id) intensifies a
        tie, otherwise it decays towards its base level."""
        if self.pending:
            a, b = (np.concatenate(x) for x in zip(*self.pending))
            self.pending = []
            self.add_ties(a, b, intensify)
        if len(self.u) == 0:
            return
        au, av = activity[self.u], activity[self.v]
        joint = (au >= 0) & (au == av)
        self.w = np.where(joint, self.w + intensify * (1.0 - self.w), self.w - decay * (self.w - self.base))
        self._changed()

    def decay_relations(self, hub_decay: np.ndarray) -> np.ndarray:
        """Relations to hubs decay without activity; lapsed partners stay in ring 4. Returns leavers (N x H)."""
        was = self.partners()
        known = self.rel > 0
        self.rel = np.where(known, np.maximum(self.rel * (1.0 - hub_decay[None, :]), self.potential), 0.0)
        return was & ~self.partners()

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
            for a, b, k, w in zip(self.u, self.v, self.kind, self.w)
        )
        rings = self.rings()
        for h, hub in enumerate(HUBS):
            g.add_node(f"hub:{hub}", node_type="hub")
            for i in np.flatnonzero(rings[:, h]):
                g.add_edge(int(i), f"hub:{hub}", kind="hub", intensity=float(self.rel[i, h]), ring=int(rings[i, h]))
        return g
