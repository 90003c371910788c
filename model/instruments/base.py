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

from abc import ABC, abstractmethod
from bisect import bisect_right

import numpy as np

from model.constants import STEPS
from model.kernels import batch_common, select_participants


def _add(counter: np.ndarray, idx: np.ndarray, values) -> None:
    """counter[idx] += values, for indices that are unique (participants of one batch are)."""
    counter[idx] += values


def hazard(p: float) -> float:
    """Monthly hazard that gives probability ``p`` of a move within one month."""
    return float(-np.log1p(-min(p, 0.999999)))


class Instrument(ABC):
    """Base class: subclasses set the class attributes and implement :meth:`effect`."""

    name: str = ""
    category: str | None = None        # Table 3.2 activity category, or None (not counted there)
    audience: str = "partners"         # "partners" (rings 1-3) or "known" (rings 1-4)
    routes: tuple[int, ...] | None = None  # at most one route (e.g. schools for education)
    count_people: bool = True              # persons per organisation counted by the shared effects
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
        self.gain = float(self.cfg["intensity_gain"])
        self.persons_mean = float(self.cfg.get("persons_per_org", 1.0))
        self.new_tie_p = float(p["network.new_tie_p"])
        self.p_spill = float(p["spillover.p_other_theme"])

    # ------------------------------------------------------------------ selection
    def group_sizes(self, m, h: int, n_runs: int) -> np.ndarray:
        """Organisations wanted per run: 1 + Poisson(mean - 1), so at least one and on average the mean."""
        return 1 + m.rng.poisson(max(self.cfg["orgs_per_run"] - 1.0, 0.0), size=n_runs)

    # ------------------------------------------------------------------ running
    def run(self, m, h: int, n_runs: int) -> None:
        """Run ``n_runs`` activities at hub ``h`` this month, batched per theme."""
        if n_runs == 1:  # the common case: one scalar draw
            themes = [bisect_right(m.focus_cum_list[h], m.rng.random())]
        else:
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
            persons = self.common(m, h, theme, sel, sizes)
            self.effect(m, h, theme, sel, sizes, persons)

    def common(self, m, h: int, theme: int, sel: np.ndarray, sizes: list[int]) -> np.ndarray:
        """Effects shared by all instruments (``kernels.batch_common``): persons, relation to the hub,
        meetings, spill-over, reach beyond the participants. Returns persons per participant."""
        n = len(sel)
        persons = np.empty(n, dtype=np.int64)
        pair_a = np.empty(n, dtype=np.int64)
        pair_b = np.empty(n, dtype=np.int64)
        adj = m.eco.structural(None, 0.0, False)
        pc = m.persons
        n_pairs, prof, students, teachers = batch_common(
            int(m.rng.integers(2**62)), sel, np.asarray(sizes, dtype=np.int64), h, theme, m.eco.rel,
            self.gain, m.eco.partner_thr, m.activity, int(m.next_run_ids(len(sizes))[0]),
            bool(m.p["network.enabled"]), self.new_tie_p, pair_a, pair_b, self.p_spill, m.stage,
            m.entry_step_on_spill, self.count_people, self.persons_mean, m.is_edu, self.student_share, self.teacher_share, persons,
            pc["professionals_reached"], pc["students_reached"], pc["teachers_reached"], pc["colleagues_told"],
            self.reach_colleagues, self.reach_chain_told, self.reach_chain_involved, adj.indptr, adj.indices,
            m.extra_fwd, self.h_involved,
        )
        if n_pairs:
            m.eco.meet(pair_a[:n_pairs], pair_b[:n_pairs])
        if self.category is not None and self.count_people:
            cat = m.participants[self.category]
            cat[0] += prof
            cat[1] += students
            cat[2] += teachers
        self.counts = {"professionals": prof, "students": students, "teachers": teachers}
        return persons

    @abstractmethod
    def effect(self, m, h: int, theme: int, sel: np.ndarray, sizes: list[int], persons: np.ndarray) -> None:
        """The instrument's own effect on the participants (after the shared effects)."""
