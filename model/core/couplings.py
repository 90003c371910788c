"""Coupled stakeholder routes: how one organisation's place in the propeller changes another's.

* Co-makers: a woningcorporatie does not get through Uitproberen without co-maker companies
  partnered with it [003 L7886-7892, L9036-9044] (the ``requires=comaker`` rows of the table).
* Procurement pull: a client (gemeente, woningcorporatie) in Adopteren raises the rates of the
  companies it contracts [003 L14028-14034, L7303-7322, L7869-7873].
Both are evaluated over the client ties in ``kernels.update_neighbours`` and applied in
``kernels.propeller_move``; this module holds their settings and the student flows.
* Students: schools send students with new skills to companies (internships, first jobs)
  [003 L5437-5441, L7019-7021].
"""

from __future__ import annotations

import numpy as np

from propeller.core.constants import COMPANY_TYPES, FIRST_ADOPTEREN, ROUTES, STEP_INDEX
from propeller.core.ecosystem import INTERNSHIP
from propeller.core.kernels import place_students
from propeller.core.state import Students

WOCO, GEMEENTE, SCHOOL = ROUTES.index("woco"), ROUTES.index("gemeente"), ROUTES.index("school")


class Couplings:
    def __init__(self, m):
        p = m.p
        self.min_step = STEP_INDEX[p["coupling.comaker_min_step"]]
        self.min_w = p["coupling.comaker_min_intensity"]
        self.boost = p["coupling.procurement_boost"]
        self.is_company = np.isin(m.pop.otype, COMPANY_TYPES)
        self.is_client = np.isin(m.pop.route, (WOCO, GEMEENTE))
        self.schools = np.flatnonzero(m.pop.route == SCHOOL)
        # where students go: a school's internship companies (CSR by school, in tie order), else its region's
        eco = m.eco
        sel = np.flatnonzero(eco.kind == INTERNSHIP)
        a, b = eco.u[sel], eco.v[sel]
        a_is_school = m.pop.route[a] == SCHOOL
        school, company = np.where(a_is_school, a, b), np.where(a_is_school, b, a)
        order = np.argsort(school, kind="stable")
        n = m.pop.n
        intern_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(school, minlength=n), out=intern_ptr[1:])
        home = m.pop.home
        region_idx = np.flatnonzero(self.is_company)
        region_idx = region_idx[np.argsort(home[region_idx], kind="stable")].astype(np.int64)
        region_ptr = np.zeros(len(m.hub_names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(home[region_idx], minlength=len(m.hub_names)), out=region_ptr[1:])
        self.students = Students(
            level=m.pop.level, intern_ptr=intern_ptr, intern_idx=company[order].astype(np.int64), region_ptr=region_ptr,
            region_idx=region_idx, to_companies=float(p["coupling.students_to_companies"]),
            boost_months=int(p["coupling.student_boost_months"]), entry_step=int(m.table.entry))

    def place_students(self, m, schools: np.ndarray, theme: int, students: np.ndarray) -> None:
        """Students of renewed education reach companies; those companies learn and speed up
        (``kernels.place_students``)."""
        place_students(int(m.rng.integers(2**62)), np.asarray(schools, dtype=np.int64), theme,
                       np.asarray(students, dtype=np.int64), m.t, self.students, m.pop.home, m.stage, m.student_until,
                       m.persons["students_received"])

    def school_intake(self, m) -> None:
        """Each intake month, partner schools in Adopteren teach a cohort in renewed education (only
        hub partners: Table 3.2 and KPI 5 count the programme's reach [003 L2859-2927])."""
        schools = self.schools[(m.eco.rel[self.schools] >= m.eco.partner_thr).any(axis=1)]
        if len(schools) == 0:
            return
        share = m.p["coupling.curriculum_share"]
        for k in range(m.stage.shape[1]):
            adopted = schools[m.stage[schools, k] >= FIRST_ADOPTEREN]
            if len(adopted) == 0:
                continue
            students = np.round(m.pop.size[adopted] * share).astype(int)
            m.persons["students_skilled"][adopted] += students
            m.persons["students_reached"][adopted] += students
            total = int(students.sum())
            m.participants["education_students"][1] += total
            m.kpi5 += np.bincount(m.pop.home[adopted], students, len(m.kpi5)).astype(np.int64)
            m.students_by_level += np.bincount(m.pop.level[adopted], students, 3).astype(np.int64)
            self.place_students(m, adopted, k, students)
