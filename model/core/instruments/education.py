"""Education renewal for mbo/hbo/wo students: modules, challenge-based learning, hybrid learning
environments run with schools in the hub [003 L4072-4078, L5521-5603, L9984-10024].

A run works with one school that is renewing its education on the run's theme (partnering to
Adopteren on the school route): students take the renewed module (Table 3.2 row 3: 1,061 students,
38 teachers, 3 professionals [003 L2859-2927]), the school moves on its renewal route, and part of
the students carry the knowledge into companies (internships, first jobs [003 L5437-5441]).
"""

from __future__ import annotations

from propeller.core.constants import ROUTES
from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register


@register
class Education(Instrument):
    name = "education"
    label, label_nl = "education", "onderwijsvernieuwing"
    order = 30
    category = "education_students"
    routes = (ROUTES.index("school"),)
    count_people = False  # students per run are counted by their own effect (students_per_participant)
    ELIGIBILITY = {"vision": 0.3, "partnering": 1.0, "design": 1.0, "test": 1.0, "validate": 1.0,
                   "secure": 0.6, "scale": 0.4, "develop": 0.3}
    PARAMS = ("students_per_run", "teacher_share", "p_advance", "intensity_gain", "cost", "staff_days")

    def __init__(self, p):
        super().__init__(p)
        self.h_fwd = hazard(self.cfg["p_advance"])  # the school moves on its renewal route
        # students per run take the renewed module, teachers with them, and part reach companies
        # (``kernels.run_one``, ``kernels.place``)
        self.students_per_participant = float(self.cfg["students_per_run"])
