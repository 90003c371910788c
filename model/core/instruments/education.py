"""Education renewal for mbo/hbo/wo students: modules, challenge-based learning, hybrid learning
environments run with schools in the hub [003 L4072-4078, L5521-5603, L9984-10024].

A run works with one school that is renewing its education on the run's theme (partnering to
Adopteren on the school route): students take the renewed module (Table 3.2 row 3: 1,061 students,
38 teachers, 3 professionals [003 L2859-2927]), the school moves on its renewal route, and part of
the students carry the knowledge into companies (internships, first jobs [003 L5437-5441]).
"""

from __future__ import annotations

import numpy as np

from propeller.core.constants import PERSON_CATEGORIES, ROUTES
from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register


@register
class Education(Instrument):
    name = "education"
    label, label_nl = "education", "onderwijsvernieuwing"
    order = 30
    category = "education_students"
    routes = (ROUTES.index("school"),)
    count_people = False  # students per run are counted in effect()
    ELIGIBILITY = {"vision": 0.3, "partnering": 1.0, "design": 1.0, "test": 1.0, "validate": 1.0,
                   "secure": 0.6, "scale": 0.4, "develop": 0.3}
    PARAMS = ("students_per_run", "teacher_share", "p_advance", "intensity_gain", "cost", "staff_days")

    def __init__(self, p):
        super().__init__(p)
        self.h_fwd = hazard(self.cfg["p_advance"])  # the school moves on its renewal route

    def after(self, m, h, sel, themes):
        """Students per run take the renewed module; teachers with them; part reach companies."""
        students = m.rng.poisson(self.cfg["students_per_run"], size=len(sel))
        teachers = m.rng.binomial(students, self.cfg["teacher_share"])
        # unbuffered adds: a school may take part on two themes in one month
        np.add.at(m.persons["students_reached"], sel, students)
        np.add.at(m.persons["students_skilled"], sel, students)
        np.add.at(m.persons["teachers_reached"], sel, teachers)
        cat = m.participants["education_students"]
        cat[PERSON_CATEGORIES.index("students")] += int(students.sum())
        cat[PERSON_CATEGORIES.index("teachers")] += int(teachers.sum())
        m.kpi5[h] += int(students.sum())
        m.students_by_level += np.bincount(m.pop.level[sel], students, 3).astype(np.int64)
        for theme in np.unique(themes).tolist():
            on = themes == theme
            m.place_students(sel[on], theme, students[on])
