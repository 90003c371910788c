"""What every instrument shares: who takes part, and the effects common to all activities.

A hub runs an instrument a number of times a month (``PropellerModel.run_hubs``: Poisson around
its rate, scaled by the hub's activity level). Each run has a theme drawn from
the hub's focus and a group of organisations drawn from the hub's network, weighted by how well
their propeller step on that theme fits the instrument (``ELIGIBILITY``), their innovativeness
class (the hubs reach mostly frontrunners and early adopters [003 L1313-1336]), their closeness to
the hub, and - for small organisations - the funding level [003 L7428-7442].

Common effects of taking part: the relation to the hub intensifies (a participant counts as a
partner, ring 3 or inner [003 L2796-2803]); co-participants meet (new ties, 3 of 4 met new parties
[003 L3312-3317]); ~60 % plan another innovation [003 L3121] (awareness of another theme); persons
are counted per Table 3.2 category.
"""

from __future__ import annotations

import numpy as np

from model.constants import PERSON_CATEGORIES, STEPS, THEMES, TYPES
from model.kernels import batch_common, select_participants

EDU = TYPES.index("education")


def _add(counter: np.ndarray, idx: np.ndarray, values) -> None:
    """counter[idx] += values, for indices that are unique (participants of one batch are)."""
    counter[idx] += values


def hazard(p: float) -> float:
    """Monthly hazard that gives probability ``p`` of a move within one month."""
    return float(-np.log1p(-min(p, 0.999999)))


class Instrument:
    """Base class: subclasses set the class attributes and implement :meth:`effect`."""

    name: str = ""
    category: str | None = None        # Table 3.2 activity category, or None (not counted there)
    audience: str = "partners"         # "partners" (rings 1-3) or "known" (rings 1-4)
    routes: tuple[int, ...] | None = None  # at most one route (e.g. schools for education)
    ELIGIBILITY: dict[str, float] = {}
    PARAMS: tuple[str, ...] = ("orgs_per_run", "persons_per_org", "intensity_gain", "cost", "staff_days")

    def __init__(self, p):
        self.cfg = {k: p[f"instruments.{self.name}.{k}"] for k in self.PARAMS}
        self.elig = np.array([self.ELIGIBILITY.get(s, 0.0) for s in STEPS])
        self.route_only = -1 if self.routes is None else self.routes[0]
        self.cost = float(self.cfg["cost"])
        self.staff_days = float(self.cfg["staff_days"])
        self.student_share = float(self.cfg.get("student_share", 0.0))
        self.teacher_share = float(self.cfg.get("teacher_share", 0.0))
        self.reach_colleagues = p.get(f"instruments.{self.name}.reach_colleagues", 0.0)
        self.reach_chain_told = p.get(f"instruments.{self.name}.reach_chain_told", 0.0)
        self.reach_chain_involved = p.get(f"instruments.{self.name}.reach_chain_involved", 0.0)
        self.h_involved = hazard(p["reach.p_involved_advance"])

    # ------------------------------------------------------------------ selection
    def group_sizes(self, m, h: int, n_runs: int) -> np.ndarray:
        """Organisations wanted per run: 1 + Poisson(mean - 1), so at least one and on average the mean."""
        return 1 + m.rng.poisson(max(self.cfg["orgs_per_run"] - 1.0, 0.0), size=n_runs)

    # ------------------------------------------------------------------ running
    def run(self, m, h: int, n_runs: int) -> None:
        """Run ``n_runs`` activities at hub ``h`` this month, batched per theme."""
        themes = np.searchsorted(m.focus_cum[h], m.rng.random(n_runs), side="right").tolist()
        for theme in sorted(set(themes)):
            wanted = self.group_sizes(m, h, themes.count(theme)).tolist()
            sel = select_participants(
                m.eco.rel[:, h], self.audience == "known", m.eco.partner_thr, m.pop.route, self.route_only,
                m.stage[:, theme], self.elig, m.class_weight, m.pop.cls, m.small_factor,
                m.rng.random(m.pop.n), sum(wanted),
            )
            if len(sel) == 0:
                continue
            sizes, left = [], len(sel)
            for want in wanted:
                if left <= 0:
                    break
                sizes.append(min(want, left))
                left -= sizes[-1]
            n = len(sizes)
            m.runs[self.name] += n
            m.spent[h] += self.cost * n
            persons = self.persons(m, sel)
            self.common(m, h, theme, sel, sizes, persons)
            self.effect(m, h, theme, sel, sizes, persons)

    def persons(self, m, sel: np.ndarray) -> np.ndarray:
        """Persons per participating organisation (at least one)."""
        return 1 + m.rng.poisson(max(self.cfg["persons_per_org"] - 1.0, 0.0), size=len(sel))

    def count_persons(self, m, sel: np.ndarray, persons: np.ndarray) -> dict[str, int]:
        """Split persons into professionals / students / teachers; students and teachers belong to
        the education organisations taking part when there are any (else they stay unattributed)."""
        total = int(persons.sum())
        students = int(m.rng.binomial(total, self.student_share)) if self.student_share else 0
        teachers = int(m.rng.binomial(total - students, self.teacher_share)) if self.teacher_share else 0
        prof = total - students - teachers
        edu = sel[m.pop.otype[sel] == EDU]
        _add(m.persons["professionals_reached"], sel, m.rng.multinomial(prof, persons / max(total, 1)))
        if len(edu):
            even = np.full(len(edu), 1.0 / len(edu))
            _add(m.persons["students_reached"], edu, m.rng.multinomial(students, even))
            _add(m.persons["teachers_reached"], edu, m.rng.multinomial(teachers, even))
        counts = {"professionals": prof, "students": students, "teachers": teachers}
        if self.category is not None:
            for c, n in counts.items():
                m.participants[self.category][PERSON_CATEGORIES.index(c)] += n
        return counts

    def common(self, m, h: int, theme: int, sel: np.ndarray, sizes: list[int], persons: np.ndarray) -> None:
        """Effects shared by all instruments (``kernels.batch_common``); ``sel`` holds the runs'
        participants back to back. Reach beyond the participants [003 L2966-2989]: participants tell
        colleagues (persons reached indirectly) and chain partners (contacts over structural ties become
        aware of the theme); some chain partners get actively involved (a push one step further)."""
        n = len(sel)
        u = m.rng.random((4, n))
        other_off = 1 + (u[3] * (len(THEMES) - 1)).astype(np.int64)
        network = bool(m.p["network.enabled"])
        if self.reach_colleagues:
            _add(m.persons["colleagues_told"], sel, m.rng.poisson(self.reach_colleagues * persons))
        if network and (self.reach_chain_told or self.reach_chain_involved):
            told = m.rng.poisson(self.reach_chain_told * persons)
            involved = m.rng.poisson(self.reach_chain_involved * persons)
            u_pick = m.rng.random(int(told.sum() + involved.sum()))
        else:
            told = involved = np.zeros(n, dtype=np.int64)
            u_pick = np.zeros(0)
        adj = m.eco.structural(None, 0.0, False)
        pair_a = np.empty(n, dtype=np.int64)
        pair_b = np.empty(n, dtype=np.int64)
        n_pairs = batch_common(
            sel, np.asarray(sizes, dtype=np.int64), h, theme, m.eco.rel, float(self.cfg["intensity_gain"]),
            m.eco.partner_thr, m.activity, int(m.next_run_ids(len(sizes))[0]),
            network, float(m.p["network.new_tie_p"]), u[0], u[1], pair_a, pair_b,
            float(m.p["spillover.p_other_theme"]), u[2], other_off, m.stage, m.entry_step_on_spill,
            told, involved, adj.indptr, adj.indices, u_pick, m.extra_fwd, self.h_involved,
        )
        if n_pairs:
            m.eco.meet(pair_a[:n_pairs], pair_b[:n_pairs])

    def effect(self, m, h: int, theme: int, sel: np.ndarray, sizes: list[int], persons: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError
