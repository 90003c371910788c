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
    routes: tuple[int, ...] | None = None
    ELIGIBILITY: dict[str, float] = {}
    PARAMS: tuple[str, ...] = ("orgs_per_run", "persons_per_org", "intensity_gain", "cost", "staff_days")

    def __init__(self, p):
        self.cfg = {k: p[f"instruments.{self.name}.{k}"] for k in self.PARAMS}
        self.elig = np.array([self.ELIGIBILITY.get(s, 0.0) for s in STEPS])
        self.cost = float(self.cfg["cost"])
        self.staff_days = float(self.cfg["staff_days"])
        self.student_share = float(self.cfg.get("student_share", 0.0))
        self.teacher_share = float(self.cfg.get("teacher_share", 0.0))

    # ------------------------------------------------------------------ selection
    def group_sizes(self, rng: np.random.Generator, n_runs: int) -> np.ndarray:
        return np.maximum(1, rng.poisson(self.cfg["orgs_per_run"], size=n_runs))

    def candidates(self, m, h: int, theme: int) -> tuple[np.ndarray, np.ndarray]:
        rel = m.eco.rel[:, h]
        ok = rel > 0 if self.audience == "known" else rel >= m.eco.partner_thr
        if self.routes is not None:
            ok &= np.isin(m.pop.route, self.routes)
        idx = np.flatnonzero(ok)
        w = self.elig[m.stage[idx, theme]] * m.class_weight[m.pop.cls[idx]] * (0.5 + rel[idx]) * m.small_factor[idx]
        keep = w > 0
        return idx[keep], w[keep]

    # ------------------------------------------------------------------ running
    def run(self, m, h: int, n_runs: int) -> None:
        """Run ``n_runs`` activities at hub ``h`` this month, batched per theme."""
        themes = m.rng.choice(len(THEMES), size=n_runs, p=m.hub_focus[h])
        for theme in np.unique(themes).tolist():
            idx, w = self.candidates(m, h, theme)
            if len(idx) == 0:
                continue
            sizes = self.group_sizes(m.rng, int((themes == theme).sum()))
            total = int(min(sizes.sum(), len(idx)))
            # Weighted sampling without replacement (Gumbel top-k = successive weighted draws).
            keys = np.log(w) + m.rng.gumbel(size=len(idx))
            top = np.argpartition(-keys, total - 1)[:total] if total < len(idx) else np.arange(len(idx))
            sel = idx[top[np.argsort(-keys[top])]]
            ends = np.minimum(np.cumsum(sizes), total)
            sizes = np.diff(np.concatenate([[0], ends]))
            sizes = sizes[sizes > 0]
            n = len(sizes)
            m.runs[self.name] += n
            m.spent[h] += self.cost * n
            self.common(m, h, theme, sel, sizes)
            self.effect(m, h, theme, sel)

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

    def common(self, m, h: int, theme: int, sel: np.ndarray, sizes: np.ndarray) -> None:
        """Effects shared by all instruments; ``sel`` holds the runs' participants back to back."""
        rel = m.eco.rel
        rel[sel, h] = np.minimum(1.0, np.maximum(rel[sel, h] + self.cfg["intensity_gain"], m.eco.partner_thr))
        m.activity[sel] = np.repeat(m.next_run_ids(len(sizes)), sizes)
        if m.p["network.enabled"]:
            starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
            k = np.repeat(sizes, sizes)
            pos = np.arange(len(sel)) - starts
            meet = (k > 1) & (m.rng.random(len(sel)) < m.p["network.new_tie_p"])
            if meet.any():
                shift = 1 + m.rng.integers(0, np.maximum(k[meet] - 1, 1))
                other = sel[starts[meet] + (pos[meet] + shift) % k[meet]]
                m.eco.meet(sel[meet], other)
        # Spill-over: ~60 % plan to apply another innovation [003 L3121] -> aware of another theme.
        spill = sel[m.rng.random(len(sel)) < m.p["spillover.p_other_theme"]]
        if len(spill):
            other = (theme + m.rng.integers(1, len(THEMES), size=len(spill))) % len(THEMES)
            fresh = m.stage[spill, other] == 0
            m.stage[spill[fresh], other[fresh]] = m.entry_step_on_spill

    def effect(self, m, h: int, theme: int, sel: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
