"""Innovation trajectories: micro learning communities, sprints, showcases, Communities of Practice
and tailor-made 1-on-1 trajectories - the uitproberen instrument [003 L1990-2030, L13864-13928].

Participants are partners at or near Uitproberen on the run's theme. While enrolled (duration) an
organisation's forward rates in partnering and Uitproberen are multiplied (facilitation) and it falls
back less: without the hub's facilitation firms return to "de waan van de dag" [003 L9563-9567].
Over the enrolment, 4 of 6 took a next step [003 L3566-3585]; 4 of 5 gained skills [003 L3362-3370].
Every person in a trajectory counts for KPI 5 by the report's definition [003 L4409-4435].
"""

from __future__ import annotations

import numpy as np

from model.instruments.base import Instrument, _add, hazard


class Trajectories(Instrument):
    name = "trajectories"
    category = "trajectories"
    ELIGIBILITY = {"vision": 0.4, "partnering": 1.0, "design": 1.0, "test": 1.0, "validate": 0.7, "secure": 0.2}
    PARAMS = Instrument.PARAMS + ("student_share", "teacher_share", "duration_months", "enrolled_boost",
                                  "enrolled_back_factor", "p_advance", "p_skills")

    def __init__(self, p):
        super().__init__(p)
        self.duration = int(self.cfg["duration_months"])
        self.h_month = hazard(self.cfg["p_advance"]) / max(self.duration, 1)

    def effect(self, m, h, theme, sel):
        persons = self.persons(m, sel)
        counts = self.count_persons(m, sel, persons)
        n = sum(counts.values())
        m.kpi5[h] += n
        skilled = m.rng.binomial(persons, self.cfg["p_skills"])
        _add(m.persons["professionals_skilled"], sel, skilled)
        m.enrolled_until[sel, theme] = np.maximum(m.enrolled_until[sel, theme], m.t + self.duration)
        m.enrolled_hazard[sel, theme] = self.h_month
