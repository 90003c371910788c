"""Node positions for the network view: computed once per model, never per step.

networkx's ``spring_layout`` switches to its sparse solver from 500 nodes on, which takes 5-7 s for
one hub region here (West, 713 nodes); the dense Fruchterman-Reingold below is the same algorithm
vectorised with numpy and takes about 1 s for West. The layout is seeded from the model's seed
without drawing from the model's generators, so opening the network view does not change the run.
"""

from __future__ import annotations

import numpy as np

from propeller.core.constants import HUBS

GRAVITY = 0.05  # attraction of every organisation to its hub, relative to a tie


def fruchterman_reingold(adj: np.ndarray, seed: int, iterations: int = 50) -> np.ndarray:
    """Force-directed positions (n x 2, scaled to [-1, 1]) for a dense symmetric weight matrix."""
    n = adj.shape[0]
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    if n <= 1:
        return np.zeros((n, 2))
    k = np.sqrt(1.0 / n)
    t = 0.1 * max(np.ptp(pos[:, 0]), np.ptp(pos[:, 1]))
    dt = t / (iterations + 1)
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta ** 2).sum(axis=-1))
        np.clip(dist, 0.01, None, out=dist)
        force = k * k / dist ** 2 - adj * dist / k        # repulsion - attraction
        disp = np.einsum("ijk,ij->ik", delta, force)
        length = np.sqrt((disp ** 2).sum(axis=-1))
        np.clip(length, 0.01, None, out=length)
        pos += disp * (t / length)[:, None]
        t -= dt
    pos -= pos.mean(axis=0)
    return pos / max(np.abs(pos).max(), 1e-9)


def region_layout(model, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the organisations (N x 2) and of the hubs (H x 2).

    Each hub region is laid out on its own (its organisations, their ties inside the region and the
    hub's known organisations, rings 1-4, at the start); in an all-hubs run the regions are then placed
    on a circle. Organisations no hub knows yet are placed by their ties like everyone else.
    """
    pop, eco = model.pop, model.eco
    org_pos = np.zeros((pop.n, 2))
    hub_pos = np.zeros((len(HUBS), 2))
    u, v = eco.u, eco.v
    rings = eco.rings()
    in_run = [h for h in range(len(HUBS)) if pop.regions[h].stop > pop.regions[h].start]
    centres = {h: np.zeros(2) for h in in_run}
    scale = 1.0
    if len(in_run) > 1:
        angles = np.linspace(np.pi / 2, np.pi / 2 + 2 * np.pi, len(in_run), endpoint=False)
        centres = {h: 2.3 * np.array([np.cos(a), np.sin(a)]) for h, a in zip(in_run, angles, strict=True)}
    for h in in_run:
        reg = pop.regions[h]
        lo, n = reg.start, reg.stop - reg.start
        adj = np.zeros((n + 1, n + 1))                     # last node: the hub
        inside = (u >= reg.start) & (u < reg.stop) & (v >= reg.start) & (v < reg.stop)
        a, b = u[inside] - lo, v[inside] - lo
        adj[a, b] = adj[b, a] = 1.0
        known = np.flatnonzero(rings[reg, h] > 0)
        adj[known, n] = adj[n, known] = 1.0
        weak = adj[:n, n] == 0                              # a weak pull to the hub keeps loose nodes near
        adj[:n, n][weak] = adj[n, :n][weak] = GRAVITY
        pos = fruchterman_reingold(adj, seed + h)
        pos -= pos[n]                                       # the hub in the middle of its region
        r = np.sqrt((pos ** 2).sum(axis=1))
        rim = 1.1 * np.quantile(r, 0.98)                    # organisations without ties: on the rim
        far = r > rim
        pos[far] *= (rim / r[far])[:, None]
        pos /= max(np.abs(pos).max(), 1e-9)
        org_pos[reg] = centres[h] + scale * pos[:n]
        hub_pos[h] = centres[h]
    return org_pos, hub_pos
