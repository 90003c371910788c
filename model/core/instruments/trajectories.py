"""Innovation trajectories: micro learning communities (Oost), sprints (Zuid), showcases (Noord),
Communities of Practice and tailor-made 1-on-1 trajectories (West) - the uitproberen instrument
[003 L1990-2030, L13864-13928]; formats and their mix per hub are data in the scenario.

Participants are partners at or near Uitproberen on the run's theme. While enrolled (duration) an
organisation's forward rates in partnering and Uitproberen are multiplied (facilitation) and it falls
back less: without the hub's facilitation firms return to "de waan van de dag" [003 L9563-9567].
Over the enrolment, 4 of 6 took a next step [003 L3566-3585]; 4 of 5 gained skills [003 L3362-3370].
Every person in a trajectory counts for KPI 5 by the report's definition [003 L4409-4435].
"""

from __future__ import annotations

import numpy as np

from propeller.core.constants import HUBS
from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register

FORMATS = ("mlc", "sprint", "showcase", "cop", "tailor_made")


@register
class Trajectories(Instrument):
    """Each run has a format drawn from the hub's trajectory mix; the format sets the group size and
    how long participants stay enrolled (``[instruments.trajectories.formats]``). Enrolment spreads the
    4-of-6 "next step" over its months [003 L3566-3585]; 4 of 5 persons gain skills; every person
    counts for KPI 5."""

    name = "trajectories"
    label, label_nl = "trajectories", "innovatietrajecten"
    order = 20
    category = "trajectories"
    ELIGIBILITY = {"vision": 0.4, "partnering": 1.0, "design": 1.0, "test": 1.0, "validate": 0.7, "secure": 0.2}
    PARAMS = ("persons_per_org", "intensity_gain", "cost", "staff_days", "student_share", "teacher_share",
              "enrolled_boost", "enrolled_back_factor", "p_advance", "p_skills",
              "reach_colleagues", "reach_chain_told", "reach_chain_involved")
    enrol = "trajectory"
    kpi5 = True

    def __init__(self, p):
        super().__init__(p)
        f = "instruments.trajectories.formats"
        self.format_orgs = np.array([float(p[f"{f}.{name}.orgs_per_run"]) for name in FORMATS])
        self.format_months = np.array([p[f"{f}.{name}.duration_months"] for name in FORMATS], dtype=np.int64)
        self.mix_cum = np.cumsum([p[f"hubs.{hub}.trajectory_mix"] for hub in HUBS], axis=1)[:, :-1]
        self.h_enrol = hazard(self.cfg["p_advance"])
        self.p_skills = float(self.cfg["p_skills"])
