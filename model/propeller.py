"""The Innovatie Adoptie Propeller: the transition table compiled to arrays, and one vectorised move.

The table (``scenarios/propeller.csv``) lists every allowed move per stakeholder route. Here it
becomes arrays indexed ``[route, step, kind]`` (rate, target, gate, months). A month's move for all
organisations and themes at once is a competing-hazards draw: the probability of leaving a step is
``1 - exp(-sum of hazards)`` and the move is chosen in proportion to the hazards. Entry from
``not_engaged`` is the Bass-type hazard ``p + q * exposure`` (scenario [diffusion]).
"""

from __future__ import annotations

import numpy as np

from model.constants import ROUTES, STEP_INDEX, STEP_PHASE, STEPS, TRANSITION_KINDS

FORWARD, SKIP, BACK, REPEAT = range(len(TRANSITION_KINDS))
_PHASE = np.array(STEP_PHASE)


class PropellerTable:
    """Arrays compiled from the scenario's transition rows."""

    def __init__(self, transitions, p):
        n_r, n_s, n_k = len(ROUTES), len(STEPS), len(TRANSITION_KINDS)
        self.rate = np.zeros((n_r, n_s, n_k))
        self.target = np.tile(np.arange(n_s)[None, :, None], (n_r, 1, n_k))  # default: stay
        self.gate = np.zeros((n_r, n_s, n_k), dtype=bool)
        self.months = np.ones((n_r, n_s, n_k, 12), dtype=bool)
        for t in transitions:
            idx = (ROUTES.index(t.route), STEP_INDEX[t.src], TRANSITION_KINDS.index(t.kind))
            self.rate[idx] = t.rate
            self.target[idx] = STEP_INDEX[t.dst]
            self.gate[idx] = t.requires == "comaker"
            if t.months:
                self.months[idx] = False
                self.months[idx][[m - 1 for m in t.months]] = True
        # Entry: not_engaged -> entry step (hazard from [diffusion], see PropellerModel.move_propeller).
        entry = STEP_INDEX[p["diffusion.entry_step"]]
        self.entry = entry
        # Phase multipliers on forward/skip out of each phase (step 0 counts as agenderen).
        scale = np.array([p["propeller.scale_agenderen"], p["propeller.scale_agenderen"],
                          p["propeller.scale_uitproberen"], p["propeller.scale_adopteren"]])
        self.phase_scale = scale[_PHASE]  # per step
        # Flat lookups by (route * n_steps + step): one gather per month instead of 4-D indexing.
        self.n_steps = n_s
        self.rate_by_month = [
            (self.rate * self.months[..., m]).reshape(n_r * n_s, n_k) for m in range(12)
        ]
        self.target_flat = self.target.reshape(n_r * n_s, n_k)
        self.gate_flat = self.gate.reshape(n_r * n_s, n_k)
        self.any_gate = bool(self.gate.any())

    def step(
        self,
        stage: np.ndarray,          # N x K int8, modified in place
        route: np.ndarray,          # N
        month: int,                 # calendar month 1..12
        entry_hazard: np.ndarray,   # N x K hazard of leaving not_engaged
        fwd_mult: np.ndarray,       # N x K multiplier on forward/skip
        back_mult: np.ndarray,      # N x K multiplier on back
        extra_fwd: np.ndarray,      # N x K additive forward hazard (instrument effects)
        gate_ok: np.ndarray,        # N x K: co-maker present (only read where the row is gated)
        gate_floor: float,
        rng: np.random.Generator,
        dt: float = 1.0,
    ) -> np.ndarray:
        """Move every (organisation, theme) at most once; return the stages before the move.

        Organisations not yet engaged only face the entry hazard; the table is looked up for the
        engaged ones only (most of the population is not engaged, so this halves the work).
        """
        old = stage.copy()
        flat = stage.reshape(-1)
        k_count = stage.shape[1]
        u = rng.random(flat.size)
        # entry: not_engaged -> entry step
        idle = flat == 0
        enter = idle & (u < -np.expm1(-entry_hazard.reshape(-1) * dt))
        # engaged: competing hazards from the table
        eng = np.flatnonzero(~idle)
        s = flat[eng].astype(np.intp)
        rs = np.repeat(route.astype(np.intp), k_count)[eng] * self.n_steps + s
        h = self.rate_by_month[month - 1][rs]                     # n_eng x kinds (0 where the month does not apply)
        fm = fwd_mult.reshape(-1)[eng] * self.phase_scale[s]
        push = extra_fwd.reshape(-1)[eng]
        h[:, FORWARD] = h[:, FORWARD] * fm + np.where(h[:, FORWARD] > 0, push, 0.0)
        h[:, SKIP] *= fm
        h[:, BACK] *= back_mult.reshape(-1)[eng]
        if self.any_gate:
            blocked = self.gate_flat[rs] & ~gate_ok.reshape(-1)[eng][:, None]
            if blocked.any():
                h[blocked] *= gate_floor
        total = h.sum(axis=1)
        move = u[eng] < -np.expm1(-total * dt)
        if move.any():
            hm = h[move]
            cum = np.cumsum(hm, axis=1)
            pick = rng.random(len(hm)) * cum[:, -1]
            kind = (pick[:, None] >= cum).sum(axis=1)
            flat[eng[move]] = self.target_flat[rs[move], kind]
        flat[enter] = self.entry
        return old
