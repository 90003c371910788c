"""Lifelong learning (LLO): courses and practical trainings for professionals, in-company courses,
the Executive Leergang [003 L5854-5904, L8313-8325, L10345-10369].

Participants are partners from Vision to Borgen on the theme: training staff is how an innovation
is secured ("Train staff to apply ... the innovation" [003 L13987-13997]). Every participant counts
as a professional with new skills (KPI 5 [003 L4409-4435]).
"""

from __future__ import annotations

from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register


@register
class Llo(Instrument):
    name = "llo"
    label, label_nl = "LLO", "LLO"
    order = 40
    category = "llo"
    ELIGIBILITY = {"awareness": 0.3, "vision": 1.0, "partnering": 0.8, "design": 0.6, "test": 0.6,
                   "validate": 0.8, "secure": 1.0, "scale": 0.5}
    PARAMS = Instrument.PARAMS + ("p_advance", "reach_colleagues", "reach_chain_told", "reach_chain_involved")
    p_skills = 1.0  # every participant is a professional with new skills
    kpi5 = True

    def __init__(self, p):
        super().__init__(p)
        self.h_fwd = hazard(self.cfg["p_advance"])
