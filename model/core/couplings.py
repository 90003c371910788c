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
        eco = m.eco
        # internship ties by school in compressed-row form (a stable sort keeps each school's companies in edge
        # order): the companies of school s are internship_comp[internship_ptr[s]:internship_ptr[s + 1]]
        sel = eco.kind == INTERNSHIP
        a, b = eco.u[sel], eco.v[sel]
        a_school = m.pop.route[a] == SCHOOL
        school, comp = np.where(a_school, a, b), np.where(a_school, b, a)
        order = np.argsort(school, kind="stable")
        school, self.internship_comp = school[order], comp[order]
        self.internship_ptr = np.searchsorted(school, np.arange(m.pop.n + 1))
        first = np.flatnonzero(np.diff(self.internship_ptr))
        self.internships: dict[int, np.ndarray] = dict(zip(
            first.tolist(), np.split(self.internship_comp, self.internship_ptr[first[1:]])))  # views, by school
        self.region_companies = [np.flatnonzero(self.is_company & (m.pop.home == h)) for h in range(len(m.hub_names))]

    def place_students(self, m, schools: np.ndarray, theme: int, students: np.ndarray) -> None:
        """Students of renewed education reach companies; those companies learn and speed up."""
        p = m.p
        reach = m.rng.binomial(students, p["coupling.students_to_companies"])
        picks = []
        for school, n in zip(schools[reach > 0].tolist(), reach[reach > 0].tolist()):
            pool = self.internships.get(school)
            if pool is None or len(pool) == 0:
                pool = self.region_companies[m.pop.home[school]]
                if len(pool) == 0:
                    continue
            picks.append(pool[(m.rng.random(n) * len(pool)).astype(np.int64)])
        if not picks:
            return
        comp = np.concatenate(picks)
        m.persons["students_received"] += np.bincount(comp, minlength=m.pop.n)
        uniq = np.unique(comp)
        m.student_until[uniq, theme] = m.t + int(p["coupling.student_boost_months"])
        fresh = uniq[m.stage[uniq, theme] == 0]
        m.stage[fresh, theme] = m.entry_step_on_spill

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
