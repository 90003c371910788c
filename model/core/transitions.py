"""The Innovatie Adoptie Propeller: the transition table compiled to arrays, and one vectorised move.

The table (``scenarios/propeller.csv``) lists every allowed move per stakeholder route. Here it
becomes arrays indexed ``[route * n_steps + step, kind]`` (rate for each calendar month, target,
gate). A month's move for all organisations and themes (``kernels.propeller_move``) is a
competing-hazards draw: the probability of leaving a step is ``1 - exp(-sum of hazards)`` and the move
is chosen in proportion to the hazards. A row's forward and skip rates are multiplied by its route's speed
(``propeller.route_scale_<route>``) and its back rate by ``propeller.fallback_scale``; the phase scales
(``propeller.scale_<phase>``) act in the kernel. Entry from ``not_engaged`` is the Bass-type hazard
``p + q * exposure`` (scenario [diffusion]).
"""

from __future__ import annotations

import numpy as np

from propeller.core.constants import REQUIRES, ROUTES, STEP_INDEX, STEP_PHASE, STEPS, TRANSITION_KINDS
from propeller.core.state import Table

_PHASE = np.array(STEP_PHASE)


class PropellerTable:
    """Arrays compiled from the scenario's transition rows."""

    def __init__(self, transitions, p):
        n_r, n_s, n_k = len(ROUTES), len(STEPS), len(TRANSITION_KINDS)
        self.rate = np.zeros((n_r, n_s, n_k))
        self.target = np.tile(np.arange(n_s)[None, :, None], (n_r, 1, n_k))  # default: stay
        self.gate = np.zeros((n_r, n_s, n_k), dtype=np.int8)  # what the move requires: index into REQUIRES
        self.months = np.ones((n_r, n_s, n_k, 12), dtype=bool)
        for t in transitions:
            idx = (ROUTES.index(t.route), STEP_INDEX[t.src], TRANSITION_KINDS.index(t.kind))
            self.rate[idx] = t.rate
            self.target[idx] = STEP_INDEX[t.dst]
            self.gate[idx] = REQUIRES.index(t.requires)
            if t.months:
                self.months[idx] = False
                self.months[idx][[m - 1 for m in t.months]] = True
        # Speed of each route (forward/skip) and the fall-back scale (back), folded into the rates once.
        fwd, skip, back = (TRANSITION_KINDS.index(k) for k in ("forward", "skip", "back"))
        route_scale = np.array([p[f"propeller.route_scale_{r}"] for r in ROUTES])
        self.rate[:, :, [fwd, skip]] *= route_scale[:, None, None]
        self.rate[:, :, back] *= p["propeller.fallback_scale"]
        # Entry: not_engaged -> entry step (hazard from [diffusion], see PropellerModel.move_propeller).
        entry = STEP_INDEX[p["diffusion.entry_step"]]
        self.entry = entry
        # Phase multipliers on forward/skip out of each phase (step 0 counts as agenderen).
        scale = np.array([p["propeller.scale_agenderen"], p["propeller.scale_agenderen"],
                          p["propeller.scale_uitproberen"], p["propeller.scale_adopteren"]])
        self.phase_scale = scale[_PHASE]  # per step
        # Flat lookups by (route * n_steps + step): one gather per month instead of 4-D indexing.
        self.n_steps = n_s
        self.rate_by_month = np.stack([(self.rate * self.months[..., m]).reshape(n_r * n_s, n_k) for m in range(12)])
        self.target_flat = self.target.reshape(n_r * n_s, n_k)
        self.gate_flat = self.gate.reshape(n_r * n_s, n_k)
        # as the kernels read it (``kernels.propeller_move``)
        self.arrays = Table(rates=self.rate_by_month, target=self.target_flat, gate=self.gate_flat,
                            phase_scale=self.phase_scale, n_steps=n_s, entry_step=entry)
