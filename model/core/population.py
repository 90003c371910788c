"""The initial population: who the organisations are in March 2024 and where they stand.

Every organisation that can ever take part exists from the start (partners, ring-4 potential
partners and regional organisations not yet known to a hub), so organisations are conserved:
joining and leaving a hub changes a relation intensity, never the population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from propeller.core.constants import CLASSES, HUBS, ROUTES, THEMES, TYPES


def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 200) -> np.ndarray:
    """Iterative proportional fitting of ``seed`` to row and column margins (equal totals)."""
    m = seed.astype(float) + 1e-9
    for _ in range(iters):
        m *= (rows / m.sum(axis=1))[:, None]
        m *= (cols / m.sum(axis=0))[None, :]
        if np.allclose(m.sum(axis=1), rows, rtol=0, atol=1e-9):
            break
    return m


def round_preserving(m: np.ndarray, rows: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
    """Round to integers that keep the row totals (and the column totals, when given).

    Controlled rounding by largest remainder: cells are raised by one, largest fraction first,
    while both their row and their column are short.
    """
    out = np.floor(m + 1e-9).astype(int)
    row_short = np.round(rows).astype(int) - out.sum(axis=1)
    col_short = (np.round(cols).astype(int) - out.sum(axis=0)) if cols is not None else np.full(m.shape[1], 10**9)
    frac = (m - out).ravel()
    for passes in range(2):  # second pass: any cell whose row and column are still short
        order = np.argsort(-frac, kind="stable") if passes == 0 else np.arange(frac.size)
        for cell in order:
            i, j = divmod(int(cell), m.shape[1])
            if row_short[i] > 0 and col_short[j] > 0:
                out[i, j] += 1
                row_short[i] -= 1
                col_short[j] -= 1
    return out


def march_2024_types(p) -> np.ndarray:
    """Partners per evaluated hub x type in March 2024 (4 x 8).

    Table 3.1 gives Sep 2025 hub x type and the per-type change since March 2024; the appendices
    give March/April 2024 hub totals. The March matrix is the Sep 2025 matrix fitted to both margins.
    """
    sep = np.array([p[f"hubs.types_sep2025_{h}"] for h in HUBS[:4]], dtype=float)
    type_totals = sep.sum(axis=0) - np.array(p["hubs.types_delta_total"], dtype=float)
    hub_totals = np.array([p[f"hubs.{h}.partners_start"] for h in HUBS[:4]], dtype=float)
    if not np.isclose(hub_totals.sum(), type_totals.sum()):
        # A scenario that changes hub start totals rescales the type margin to keep IPF solvable.
        type_totals = type_totals * hub_totals.sum() / type_totals.sum()
    return round_preserving(ipf(sep, hub_totals, type_totals), hub_totals, type_totals)


def pool_type_mix(p, start: np.ndarray | None = None) -> np.ndarray:
    """Type composition of each hub's potential pool (5 x 8), from who joined since March 2024."""
    sep = np.array([p[f"hubs.types_sep2025_{h}"] for h in HUBS[:4]], dtype=float)
    start = march_2024_types(p) if start is None else start
    delta = np.clip(sep - start, 0.5, None)  # floor: every type can still be found
    mix = np.vstack([delta, delta.sum(axis=0, keepdims=True)])  # Midden: the four-hub mix
    return mix / mix.sum(axis=1, keepdims=True)


@dataclass
class Population:
    """Static attributes (numpy arrays, one entry per organisation)."""

    otype: np.ndarray      # Table 3.1 type index 0..7
    route: np.ndarray      # index into ROUTES
    home: np.ndarray       # home hub (region) index into HUBS
    cls: np.ndarray        # innovativeness class index into CLASSES
    size: np.ndarray       # employees (students for schools)
    initial_partner: np.ndarray  # bool: partner of its home hub at the hub's start
    known: np.ndarray      # bool: ring 4 at the hub's start
    regions: list[slice]   # organisations are stored region by region: index range per hub
    level: np.ndarray      # schools: index into SCHOOL_LEVELS (mbo, hbo, wo); -1 for other organisations

    @property
    def n(self) -> int:
        return len(self.otype)


def _draw_stage(rng: np.random.Generator, n: int, phase_shares: list[float]) -> np.ndarray:
    """Steps for n organisations from phase shares (uniform over the three steps of a phase)."""
    phase = rng.choice(4, size=n, p=phase_shares)
    step = np.where(phase == 0, 0, (phase - 1) * 3 + 1 + rng.integers(0, 3, size=n))
    return step.astype(np.int8)


def pool_phase_shares(p, k: int) -> list[float]:
    """The phase shares of organisations outside the hubs on theme ``k``: ``initial_state.pool_phase_shares``, or -
    where ``initial_state.pool_adopteren_by_theme`` states the theme's share in Adopteren (the sector's state, the
    national scenario) - that share in Adopteren and the other phases scaled to the rest."""
    shares = list(p["initial_state.pool_phase_shares"])
    adopteren = float(p["initial_state.pool_adopteren_by_theme"][k])
    if adopteren <= 0.0:
        return shares
    rest = sum(shares[:3])
    return [x / rest * (1.0 - adopteren) for x in shares[:3]] + [adopteren]


def build_population(p, rng: np.random.Generator) -> tuple[Population, np.ndarray, np.ndarray]:
    """Create all organisations; return (population, initial stages N x K, hub relations N x H)."""
    h_count = len(HUBS)
    march = march_2024_types(p)
    start_types = np.vstack([march, np.array(p["hubs.midden.types_start"], dtype=float)[None, :]])
    # Midden's start mix is scaled to its partners_start
    mid = start_types[4] / start_types[4].sum() * p["hubs.midden.partners_start"]
    start_types[4] = round_preserving(mid[None, :], np.array([p["hubs.midden.partners_start"]]))[0]
    start_types = start_types.astype(int)
    pool_mix = pool_type_mix(p, march)

    otype, home, partner, known = [], [], [], []
    region = p["simulation.region"]
    for h, hub in enumerate(HUBS):
        if region not in ("all", hub):
            continue  # a regional run models one hub's region only
        counts = start_types[h]
        for t, c in enumerate(counts):
            otype += [t] * int(c)
        n_part = int(counts.sum())
        n_known = int(p[f"hubs.{hub}.potential_known"])
        n_unknown = int(p[f"hubs.{hub}.potential_unknown"])
        n_pool = n_known + n_unknown
        otype += list(rng.choice(len(TYPES), size=n_pool, p=pool_mix[h]))
        home += [h] * (n_part + n_pool)
        partner += [True] * n_part + [False] * n_pool
        known += [False] * n_part + [True] * n_known + [False] * n_unknown
    otype_a = np.array(otype, dtype=np.int8)
    home_a = np.array(home, dtype=np.int8)
    partner_a = np.array(partner, dtype=bool)
    known_a = np.array(known, dtype=bool)
    n = len(otype_a)

    # Stakeholder route by type (model_notes.md "Partner types and stakeholder routes").
    route = np.full(n, ROUTES.index("generic"), dtype=np.int8)
    route[otype_a == TYPES.index("mkb_builders")] = ROUTES.index("mkb")
    u = rng.random(n)
    route[(otype_a == TYPES.index("clients")) & (u < p["population.woco_share_of_clients"])] = ROUTES.index("woco")
    # Every government, gemeente or provincie, follows the government route ("gemeente"): Bijlage F's "Overheid als
    # opdrachtgever" is the route of "overheden (gemeente, provincie)" [003 L12966-12968, L13182-13186].
    route[otype_a == TYPES.index("government")] = ROUTES.index("gemeente")
    route[(otype_a == TYPES.index("education")) & (u < p["population.school_share_of_education"])] = ROUTES.index("school")

    # Innovativeness: partners skewed to frontrunners / early adopters [003 L1313-1336].
    cls = np.where(
        partner_a,
        rng.choice(len(CLASSES), size=n, p=p["population.class_shares_partners"]),
        rng.choice(len(CLASSES), size=n, p=p["population.class_shares_population"]),
    ).astype(np.int8)

    medians = np.array(p["population.size_median"], dtype=float)[otype_a]
    size = np.maximum(1.0, np.round(medians * np.exp(p["population.size_sigma"] * rng.standard_normal(n))))

    # Propeller stages per theme: partners on their hub's focus themes are further along.
    k_count = len(THEMES)
    stage = np.zeros((n, k_count), dtype=np.int8)
    focus = np.array([p[f"hubs.{h}.focus"] for h in HUBS])  # H x K
    for k in range(k_count):
        is_focus = focus[home_a, k] >= 0.25
        for mask, shares in (
            (partner_a & is_focus, p["initial_state.partner_phase_shares"]),
            (partner_a & ~is_focus, p["initial_state.partner_phase_shares_other"]),
            (~partner_a, pool_phase_shares(p, k)),
        ):
            idx = np.flatnonzero(mask)
            stage[idx, k] = _draw_stage(rng, len(idx), shares)

    # Relations to hubs: partners spread over rings 1-3, known potential partners in ring 4.
    thr = p["ecosystem.ring_thresholds"]  # [ring1, ring2, ring3] lower bounds
    bounds = [(thr[0], 1.0), (thr[1], thr[0]), (thr[2], thr[1])]
    rel = np.zeros((n, h_count), dtype=float)
    pidx = np.flatnonzero(partner_a)
    ring = rng.choice(3, size=len(pidx), p=p["population.ring_shares_partners"])
    lo = np.array([b[0] for b in bounds])[ring]
    hi = np.array([b[1] for b in bounds])[ring]
    rel[pidx, home_a[pidx]] = lo + (hi - lo) * rng.random(len(pidx))
    kidx = np.flatnonzero(known_a)
    rel[kidx, home_a[kidx]] = p["ecosystem.potential_intensity"]
    is_school = route == ROUTES.index("school")
    level = np.where(is_school, rng.choice(3, size=n, p=p["population.school_level_shares"]), -1).astype(np.int8)
    bounds = np.searchsorted(home_a, np.arange(h_count + 1))
    regions = [slice(int(bounds[h]), int(bounds[h + 1])) for h in range(h_count)]
    pop = Population(otype_a, route, home_a, cls, size, partner_a, known_a, regions, level)
    return pop, stage, rel
