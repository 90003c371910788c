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

from propeller.core.constants import HUBS, STEPS
from propeller.core.state import ENROL_COACHING, ENROL_NONE, ENROL_TRAJECTORY, SPEC_DTYPE, InstrumentData

ENROL = {None: ENROL_NONE, "trajectory": ENROL_TRAJECTORY, "coaching": ENROL_COACHING}


def hazard(p: float) -> float:
    """Monthly hazard that gives probability ``p`` of a move within one month."""
    return float(-np.log1p(-min(p, 0.999999)))


class Instrument:
    """Base class. An instrument is data: who takes part (audience, route, ``ELIGIBILITY`` by step,
    group size) and its own effect, set in ``__init__`` from the scenario:

    - ``h_entry``: hazard pushed onto not-engaged participants (into Agenderen);
    - ``h_fwd`` on steps ``fwd_steps`` (first, last): hazard pushed onto a forward move;
    - ``enrol`` ("trajectory", "coaching" or None): participants stay enrolled the months of the
      run's format, with next-step hazard ``h_enrol`` spread over them;
    - ``p_skills``: share of participating persons who gain skills (professionals skilled);
    - ``kpi5``: every participating person counts for KPI 5.

    - ``students_per_participant``: students per participating school take the renewed module (education).

    ``kernels.hub_month`` applies it all for every hub and instrument in one compiled call a month
    (``kernels.run_one`` per hub and instrument); an instrument with an effect that is not data overrides
    :meth:`after`.
    """

    # what the registry reads (``instruments.registry``; every subclass in this package carries ``@register``)
    name: str = ""                     # scenario key [instruments.<name>], column runs_<name>
    label: str = ""                    # English, as it reads mid-sentence (dashboard, docs)
    label_nl: str = ""                 # Dutch (the report)
    order: int | None = None           # place within a hub's month (ascending, unique)
    category: str | None = None        # Table 3.2 activity category, or None (not counted there)
    audience: str = "partners"         # "partners" (rings 1-3) or "known" (rings 1-4)
    routes: tuple[int, ...] | None = None  # only these routes take part (schools for education), None: any
    count_people: bool = True              # persons per organisation counted by the shared effects
    ELIGIBILITY: dict[str, float] = {}
    PARAMS: tuple[str, ...] = ("orgs_per_run", "persons_per_org", "intensity_gain", "cost", "staff_days")
    # the instrument's own effect (see the class docstring); subclasses set these in __init__
    h_entry: float = 0.0
    h_fwd: float = 0.0
    fwd_steps: tuple[int, int] = (0, len(STEPS) - 1)
    enrol: str | None = None
    h_enrol: float = 0.0
    p_skills: float = 0.0
    kpi5: bool = False
    students_per_participant: float = 0.0   # education: students per participating school (0: none)

    def __init__(self, p):
        self.cfg = {k: p[f"instruments.{self.name}.{k}"] for k in self.PARAMS}
        self.elig = np.array([self.ELIGIBILITY.get(s, 0.0) for s in STEPS])
        self.route_mask = -1 if self.routes is None else sum(1 << int(r) for r in set(self.routes))  # bit r: route r
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
        # formats: organisations per run and months enrolled; one format unless a subclass has a mix
        self.format_orgs = np.array([float(self.cfg.get("orgs_per_run", 1.0))])
        self.format_months = np.array([int(p.get(f"instruments.{self.name}.duration_months", 0))], dtype=np.int64)
        self.mix_cum = np.zeros((len(HUBS), 0))

    def spec(self, m) -> InstrumentData:
        """The instrument as ``kernels.run_one`` reads it: its effect as one ``state.SPEC_DTYPE`` record,
        eligibility by step and formats (built once per model)."""
        spec = np.zeros(1, dtype=SPEC_DTYPE)
        for field, value in {
            "persons_mean": self.persons_mean, "student_share": self.student_share,
            "teacher_share": self.teacher_share, "gain": self.gain, "new_tie_p": self.new_tie_p,
            "p_spill": self.p_spill, "reach_colleagues": self.reach_colleagues, "reach_told": self.reach_chain_told,
            "reach_involved": self.reach_chain_involved, "h_involved": self.h_involved, "h_entry": self.h_entry,
            "h_fwd": self.h_fwd, "p_skills": self.p_skills, "h_enrol": self.h_enrol,
            "known_ok": self.audience == "known", "route_mask": self.route_mask, "fwd_lo": self.fwd_steps[0],
            "fwd_hi": self.fwd_steps[1], "enrol": ENROL[self.enrol], "count_people": self.count_people,
            "kpi5": self.kpi5, "meet": bool(m.p["network.enabled"]), "entry_step": m.entry_step_on_spill,
            "cost": self.cost, "category": -1 if self.category is None else list(m.participants).index(self.category),
            "students_per_participant": self.students_per_participant,
        }.items():
            spec[field] = value
        return InstrumentData(spec=spec, elig=np.ascontiguousarray(self.elig, dtype=np.float64),
                              format_orgs=np.ascontiguousarray(self.format_orgs, dtype=np.float64),
                              format_months=np.ascontiguousarray(self.format_months, dtype=np.int64),
                              mix_cum=np.ascontiguousarray(self.mix_cum, dtype=np.float64))

    def after(self, m, h: int, sel: np.ndarray, themes: np.ndarray) -> None:
        """An effect that is not data, in Python: called after the hubs' month (``kernels.hub_month``) with the
        participants ``sel`` at hub ``h`` this month and their ``themes``; default none. The library's instruments
        need none (their effects are data), so their month runs entirely in compiled code. The month's pushes
        (``m.extra_fwd``, ``m.extra_entry``), activity ids and ``m.took_part`` are cleared the next month only for
        the participants and their structural contacts (``kernels.clear_month``): write them for nobody else."""
