"""The Propeller model: one month reads top to bottom in :meth:`PropellerModel.step`.

hubs run their instruments and recruit -> ties among co-participants intensify or decay ->
organisations move through the propeller (transition table, couplings) -> schools send a cohort
(intake month) -> relations to hubs decay and organisations come closer through their relations
and through network organisations -> outcomes are recorded.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from mesa import Model

from propeller.core import calendar, helper, plan, surveys
from propeller.core.agents import Hub, Organisation
from propeller.core.constants import (
    FIRST_ADOPTEREN,
    HUBS,
    PERSON_CATEGORIES,
    SCHOOL_LEVELS,
    THEMES,
    TYPES,
)
from propeller.core.couplings import Couplings
from propeller.core.ecosystem import MEMBER, Ecosystem, NeighbourState
from propeller.core.instruments import registry
from propeller.core.instruments.base import Instrument
from propeller.core.kernels import Bound, clear_month, grow_relations, home_partners, hub_month, propeller_move
from propeller.core.outcomes import Recorder
from propeller.core.population import build_population
from propeller.core.state import (
    LOG_ROWS,
    Book,
    Csr,
    Growth,
    GrowthBuffers,
    Hubs,
    MoveParams,
    Organisations,
    PersonCounts,
    Pushes,
)
from propeller.core.transitions import PropellerTable

PERSON_COUNTERS = PersonCounts._fields  # persons per organisation, cumulative


class PropellerModel(Model):
    """Organisations moving through the Innovatie Adoptie Propeller on a hub ecosystem graph.

    ``scenario``: a validated :class:`propeller.scenarios.loader.Scenario` (default: the calibrated scenario, scenarios/calibrated.toml).
    ``with_agents``: create Mesa agents for the organisations (inspection, visualisation). The
    dynamics run on arrays either way and use the same random draws, so outcomes are identical.
    """

    def __init__(self, scenario=None, rng=None, *, with_agents: bool = True):
        super().__init__(rng=rng)
        if scenario is None:
            from propeller.scenarios.loader import load

            scenario = load()
        # Not through Mesa's ``scenario`` setter: it would set ``scenario.model = self``, and a caller's scenario
        # (reused for many runs) would keep the last model and all its arrays alive after the run.
        self._scenario = scenario
        p = self.p = scenario.params
        self.hub_names = HUBS
        self.start = p["simulation.start"]
        self.n_months = calendar.offset(self.start, p["simulation.until"])
        self._funding_change = calendar.offset(self.start, p["funding.change_date"])
        self._funding_end = calendar.offset(self.start, p["funding.end_date"])
        self.t = 0

        pop, stage, rel = build_population(p, self.rng)
        self.pop, self.stage = pop, stage
        self.eco = Ecosystem(pop, rel, p, self.rng)
        self.table = PropellerTable(scenario.transitions, p)
        classes = registry.instruments()  # in month order
        self.instruments = registry.build(p, classes) if p["hubs.enabled"] else []
        self._init_hubs(p)
        self.couplings = Couplings(self)

        n, k = stage.shape
        self.extra_fwd = np.zeros((n, k))
        self.extra_entry = np.zeros((n, k))
        self.enrolled_until = np.full((n, k), -1, dtype=np.int32)
        self.enrolled_hazard = np.zeros((n, k))
        self.coached_until = np.full((n, k), -1, dtype=np.int32)
        self.coached_hazard = np.zeros((n, k))
        self.student_until = np.full((n, k), -1, dtype=np.int32)
        self.activity = np.full(n, -1, dtype=np.int64)
        self.took_part = np.zeros((n, len(HUBS)), dtype=np.bool_)  # took part in a run of hub h this month
        self.persons = {c: np.zeros(n, dtype=np.int64) for c in PERSON_COUNTERS}
        # persons per Table 3.2 activity category (the instruments' categories); the dict's rows are views of one
        # array (recorded in one copy)
        categories = registry.categories(classes)
        self.participants_table = np.zeros((len(categories), len(PERSON_CATEGORIES)), dtype=np.int64)
        self.participants = {c: self.participants_table[j] for j, c in enumerate(categories)}
        self.instrument_names = tuple(cls.name for cls in classes)
        self.run_counts = np.zeros(len(classes), dtype=np.int64)  # runs held, per instrument (month order)
        self.adoptions = np.zeros(k, dtype=np.int64)
        self.kpi5 = np.zeros(len(HUBS), dtype=np.int64)  # KPI 5 persons, by hub that reached them
        self.students_by_level = np.zeros(len(SCHOOL_LEVELS), dtype=np.int64)  # renewed education, mbo/hbo/wo
        # who took part: per month with runs, an int64 array with the rows of state.LOG_ROWS (participation_log())
        self.participation: list[np.ndarray] = []
        self._log = np.zeros((len(LOG_ROWS), 256), dtype=np.int64)   # the month's buffers (kernels.hub_month
        self._pairs = np.zeros((2, 256), dtype=np.int64)              # grows them when a month needs more)
        self.book = Book(run_counts=self.run_counts, participants_table=self.participants_table,
                         students_by_level=self.students_by_level, last_id=np.zeros(1, dtype=np.int64))
        heter = p["population.heterogeneity"]
        mult = np.array(p["population.class_rate_multiplier"], dtype=float) if heter else np.ones(4)
        self.class_mult = mult[pop.cls]  # on forward/skip moves and entry
        self.class_weight = np.array(p["ecosystem.class_weight"], dtype=float) if heter else np.ones(4)
        self.is_small = pop.size < p["ecosystem.small_org_employees"]
        self.is_ngo = pop.otype == TYPES.index("branch_ngo")
        self.is_edu = pop.otype == TYPES.index("education")
        self.small_factor = np.ones(n)
        self._small_f = 1.0
        self.entry_step_on_spill = self.table.entry  # spill-over and students: the scenario's entry step
        self.traj_boost = p["instruments.trajectories.enrolled_boost"]
        self.traj_back = p["instruments.trajectories.enrolled_back_factor"]
        self.coach_boost = p["instruments.coaching.enrolled_boost"]
        # parameters the monthly step reads, looked up once
        self._substeps = int(p["simulation.substeps"])
        self._network_on = bool(p["network.enabled"])
        self._mixing_full = p["diffusion.mixing"] == "full"
        self._no_mixing = np.zeros(0)
        self._entry_p, self._entry_q = float(p["diffusion.p"]), float(p["diffusion.q"])
        self._connector_back = float(p["ecosystem.connector_decay_factor"])
        self._student_boost = float(p["coupling.student_boost"])
        self._gate_floor = float(p["coupling.comaker_gate_floor"])
        self._intake_month = p["coupling.intake_month"]
        self._intensify, self._decay = float(p["network.intensify"]), float(p["network.decay"])
        self._home_partner = np.zeros(len(pop.home), dtype=np.bool_)  # the move's view of the relations (step)
        self._partners_taken = False  # _home_partner is current while no hub is active (nothing changes relations)
        self._beside = len(pop.home) >= self.beside_min_orgs  # growth and counts in the helper thread (step)
        self._cleared = np.zeros(0, dtype=np.int64)  # last month's participants: what clear_month undoes
        self._start_month = calendar.parse(self.start)
        cp = self.couplings
        self.neighbours = NeighbourState(self.eco, stage.shape, cp.is_company, cp.is_client, cp.min_step, cp.min_w)
        # the arrays the kernels read, in named groups (``state``); arrays updated in place, so bound once
        self.orgs = Organisations(route=pop.route, home=pop.home, cls=pop.cls, class_mult=self.class_mult,
                                  class_weight=self.class_weight, small_factor=self.small_factor,
                                  is_company=self.neighbours.is_company, is_client=self.neighbours.is_client,
                                  is_edu=self.is_edu)
        self.pushes = Pushes(extra_entry=self.extra_entry, extra_fwd=self.extra_fwd,
                             enrolled_until=self.enrolled_until, enrolled_hazard=self.enrolled_hazard,
                             coached_until=self.coached_until, coached_hazard=self.coached_hazard,
                             student_until=self.student_until)
        self.person_counts = PersonCounts(**self.persons)
        self.move_params = MoveParams(
            entry_p=self._entry_p, entry_q=self._entry_q,
            connector_back=self._connector_back, traj_boost=float(self.traj_boost), traj_back=float(self.traj_back),
            coach_boost=float(self.coach_boost), student_boost=self._student_boost, procurement_boost=float(cp.boost),
            gate_floor=self._gate_floor, chain_gate_floor=float(p["coupling.chain_gate_floor"]))
        self.growth = Growth(
            potential=self.eco.potential, partner_thr=self.eco.partner_thr,
            ring_cut=float(self.eco.ring_thr[int(p["ecosystem.constituency_ring"]) - 1]),
            organic_rate=float(p["ecosystem.organic_rate"]), constituency_rate=float(p["ecosystem.constituency_rate"]),
            recruit_intensity=float(p["ecosystem.recruit_intensity"]), network_on=bool(p["network.enabled"]),
            decay=float(p["ecosystem.decay"]), connector_decay=float(p["ecosystem.connector_decay_factor"]))
        n_h = len(HUBS)
        self._growth_buf = GrowthBuffers(
            partner=np.zeros(n, np.int64), inner=np.zeros(n, np.int64), pushers=np.zeros(n, np.int64),
            hz=np.zeros((n, n_h)), via=np.zeros(n, np.int64), flag=np.zeros(n, np.bool_))
        adj = self.eco.structural(None, False)
        self.adj = Csr(adj.indptr, adj.indices, adj.data)  # structural neighbours: whom participants tell
        regions = pop.regions
        self.hubs = Hubs(
            active=self.active, budget=self.budget, inv_cost=self._inv_cost, capacity=self.capacity,
            connector=self.connector, inv_days=self._inv_days, rates=np.ascontiguousarray(self.rates, dtype=np.float64),
            recruitment=self.recruitment, discovery=self.discovery,
            region_lo=np.array([r.start for r in regions], dtype=np.int64),
            region_hi=np.array([r.stop for r in regions], dtype=np.int64),
            focus_cum=np.ascontiguousarray(self.focus_cum, dtype=np.float64), activity_level=self.activity_level,
            spent=self.spent, kpi5=self.kpi5, recruit_intensity=self.growth.recruit_intensity,
            potential=self.eco.potential, staff=self.staff, hiring_share=float(p["funding.hiring_share"]),
            hiring_rate=1.0 / max(float(p["funding.hiring_delay_months"]), 1.0))
        self._insts = tuple(inst.spec(self) for inst in self.instruments)
        self._growth_graph: tuple = (-1,)  # (tie count, the graph grow_relations reads), rebuilt when ties are added
        self._kernels = {k.__name__: Bound(k) for k in (hub_month, propeller_move, grow_relations, home_partners,
                                                        clear_month)}  # kernels.Bound
        # instruments with an effect that is not data (``Instrument.after``), called after the compiled month
        self._after = [(code, inst) for code, inst in enumerate(self.instruments) if type(inst).after is not Instrument.after]
        self._touched = True  # extra_* / activity were written since they were last cleared

        self.hub_agents = Hub.create_agents(self, len(HUBS), list(range(len(HUBS))))
        if with_agents:
            Organisation.create_agents(self, n, list(range(n)))
        self.space = None
        self.recorder = Recorder(self, self.n_months)
        self.recorder.record(0)
        # the surveys of scenarios/surveys.toml: snapshots at their months only, pushes tracked within their span
        self.surveys = surveys.SurveyBook(surveys.load(), n, k, self.start, self.n_months)
        self._survey_due, self._push_span = self.surveys.due, self.surveys.span
        if 0 in self._survey_due:
            self.surveys.snapshot(self, 0)

    # ------------------------------------------------------------------ set-up
    def _init_hubs(self, p) -> None:
        n_hubs = len(HUBS)
        self.hub_focus = np.array([p[f"hubs.{h}.focus"] for h in HUBS])
        self.focus_cum = np.cumsum(self.hub_focus, axis=1)[:, :-1]  # theme draw by searchsorted
        self.rates = np.array([[p.get(f"hubs.{h}.instruments.{i.name}", 0.0) for i in self.instruments] for h in HUBS])
        cost = np.array([i.cost for i in self.instruments])
        days = np.array([i.staff_days for i in self.instruments])
        self.planned_cost = self.rates @ cost if self.instruments else np.zeros(n_hubs)
        self.planned_days = self.rates @ days if self.instruments else np.zeros(n_hubs)
        self.budget = np.array([p[f"hubs.{h}.budget"] for h in HUBS], dtype=float)
        self._inv_cost = np.divide(1.0, self.planned_cost, out=np.full(n_hubs, np.inf), where=self.planned_cost > 0)
        self._inv_days = np.divide(1.0, self.planned_days, out=np.full(n_hubs, np.inf), where=self.planned_days > 0)
        self.capacity = np.array([p[f"hubs.{h}.capacity"] for h in HUBS], dtype=float)
        self.staff = self.capacity.copy()  # staff days this month: the planned capacity, grown by hiring
        self.recruitment = np.array([p[f"hubs.{h}.recruitment"] for h in HUBS], dtype=float)
        self.discovery = np.array([p[f"hubs.{h}.discovery"] for h in HUBS], dtype=float)
        self.connector = np.array([p[f"hubs.{h}.connector_strength"] for h in HUBS], dtype=float)
        self.activity_level = np.zeros(n_hubs)
        self.spent = np.zeros(n_hubs)
        self.active = np.zeros(n_hubs, dtype=bool)
        self._pending: dict[int, np.ndarray] = {}
        self._callbacks: list = []
        in_run = [p["simulation.region"] in ("all", hub) and p["hubs.enabled"] for hub in HUBS]
        for h, hub in enumerate(HUBS):
            start = calendar.offset(self.start, p[f"hubs.{hub}.start"])
            if not in_run[h]:
                continue
            if start <= 0:
                self.active[h] = True
            else:  # the hub and its first partners appear at its start month (Midden, 2024)
                self._pending[h] = self.eco.rel[:, h].copy()
                self.eco.rel[:, h] = 0.0
                self._schedule(partial(self._open_hub, h), start)
            leaves = p[f"hubs.{hub}.connector_leaves"]
            if leaves:
                at = calendar.offset(self.start, leaves)
                after = p[f"hubs.{hub}.connector_after"]
                if at <= 0:
                    self.connector[h] = after
                else:
                    self._schedule(partial(self._set_connector, h, after), at)
        if not p["hubs.enabled"]:
            self.eco.rel[:] = 0.0
        self._any_active = bool(self.active.any())
        self._in_run = np.array(in_run, dtype=bool)
        self._init_adapt(p)

    def _init_adapt(self, p) -> None:
        """The scenario's plan change (``adapt.*``, docs/ODD.md §7.3): at ``adapt.from`` without a condition, or the
        month after the condition first holds between ``adapt.from`` and ``adapt.until``."""
        self.plan_changed = np.zeros(1)
        self._adapt_window = None
        if not p["adapt.from"]:
            return
        first = calendar.offset(self.start, p["adapt.from"])
        if not p["adapt.output"]:
            self._schedule(self._change_plan, max(first, 1))
            return
        last = calendar.offset(self.start, p["adapt.until"]) if p["adapt.until"] else self.n_months
        self._adapt_window = (max(first, 0), last)
        self._adapt_test = (p["adapt.output"], p["adapt.op"], float(p["adapt.threshold"]))

    def adapt_signal(self, t: int, output: str) -> float:
        """The month-``t`` value of a trigger output, as the timeseries will show it (``Recorder`` counts)."""
        agg = self.recorder.agg
        if output == "partners_total":
            return float(agg.rings[t, :, 2:].sum())
        if output == "kpi4_mkb":
            return float(agg.by_type[t, :, TYPES.index("mkb_builders")].sum())
        if output == "kpi5_skilled":
            return float(self.kpi5.sum())
        if output == "adopted_share":
            adopted = agg.adopted[t] / self.pop.n
            theme = self.p["outputs.theme"]
            return float(adopted.mean() if theme == "all" else adopted[THEMES.index(theme)])
        raise KeyError(output)

    def _check_adapt(self, t: int) -> None:
        lo, hi = self._adapt_window
        if not lo <= t <= hi:
            return
        output, op, threshold = self._adapt_test
        value = self.adapt_signal(t, output)
        if value < threshold if op == "<" else value >= threshold:
            self._adapt_window = None
            self._schedule(self._change_plan, t + 1)

    def _change_plan(self) -> None:
        """Move money between instruments and hubs and change the targeting, as ``adapt.*`` says (once)."""
        p = self.p
        cost = np.array([i.cost for i in self.instruments], dtype=float)
        days = np.array([i.staff_days for i in self.instruments], dtype=float)
        iw, hw, move = plan.adapt_arrays(p, self.instrument_names)
        rates, budget, capacity = plan.reallocate(self.hubs.rates, cost, self.budget, self.capacity, self._in_run, iw,
                                                  hw, float(p["funding.hiring_share"]), move)
        self.hubs.rates[:] = rates  # the arrays the kernels read are updated in place
        self.budget[:] = budget
        self.capacity[:] = capacity
        self.planned_cost[:] = rates @ cost
        self.planned_days[:] = rates @ days
        self._inv_cost[:] = np.divide(1.0, self.planned_cost, out=np.full(len(HUBS), np.inf), where=self.planned_cost > 0)
        self._inv_days[:] = np.divide(1.0, self.planned_days, out=np.full(len(HUBS), np.inf), where=self.planned_days > 0)
        if len(p["adapt.class_weight"]) and p["population.heterogeneity"]:  # (classes off: every weight stays 1)
            self.class_weight[:] = np.array(p["adapt.class_weight"], dtype=float)
        self.plan_changed[0] = 1.0

    def _schedule(self, fn, month: int) -> None:
        """Run ``fn`` just before month ``month`` (Mesa holds callbacks weakly: keep them alive)."""
        self._callbacks.append(fn)
        self.schedule_event(fn, at=month - 0.5)

    def _open_hub(self, h: int) -> None:
        self.active[h] = True
        self._any_active = True
        self._partners_taken = False
        self.eco.rel[:, h] = np.maximum(self.eco.rel[:, h], self._pending.pop(h))

    def _set_connector(self, h: int, value: float) -> None:
        self.connector[h] = value

    def funding(self, t: int) -> float:
        """Budget multiplier in month t: the scenario's funding lever, then the programme's end."""
        p = self.p
        f = p["funding.multiplier"] if t >= self._funding_change else 1.0
        if t > self._funding_end:
            f *= p["funding.post_multiplier"]
        return f

    # ------------------------------------------------------------------ the month
    # From this many organisations on, relation growth runs in the helper thread (core/helper.py) beside the propeller
    # move, and the month's counts beside the next month (Recorder.record); results are the same either way
    # (tests/test_reproducibility.py runs both). Below it a thread's hand-over costs more than it saves.
    beside_min_orgs: int = 20_000

    def step(self) -> None:
        self.t = t = int(round(self.time))
        month = (self._start_month + t) % 12 + 1
        if self._touched:  # only instrument runs write these, for their month: undo last month's
            self._kernels["clear_month"](self._cleared, self.adj, self.extra_fwd, self.extra_entry, self.activity,
                                         self.took_part)
        self._touched = self.run_hubs(t)
        if self._push_span[0] <= t <= self._push_span[1]:  # only while a survey's window or intention is open
            self.surveys.mark_pushes(self, t)
        self.eco.update_ties(self.activity, self._intensify, self._decay, any_activity=self._touched)
        if self._beside and month != self._intake_month and self._any_active:
            # Growth reads the relations, ties and participation and writes only the relations; the move reads of the
            # relations only the home-partner flags (taken before either starts) and writes only the stages. So they
            # can run at once; the seeds are drawn in the serial order (the move's, then growth's). In the intake
            # month the school intake between them reads the relations and draws seeds: serial then.
            self._home_partners()
            move_seeds = self._move_seeds()
            growth = helper.thread().submit(*self._growth_call(int(self.rng.integers(2**62))))
            try:
                self._move(month, move_seeds)
            finally:
                growth.result()
        else:
            self.move_propeller(month)
            if month == self._intake_month:
                self.couplings.school_intake(self)
            self.grow_ecosystem()
        self.recorder.record(t, beside=self._beside)
        if self._adapt_window is not None:
            self._check_adapt(t)
        if t in self._survey_due:
            self.surveys.snapshot(self, t)

    @property
    def runs(self) -> dict[str, int]:
        """Runs held so far, per instrument."""
        return {name: int(c) for name, c in zip(self.instrument_names, self.run_counts, strict=True)}

    def run_hubs(self, t: int) -> bool:
        """Each active hub runs its instruments within budget and capacity (connector-limited) and recruits:
        one compiled call (``kernels.hub_month``). Returns whether any instrument ran (and so wrote activity ids
        and pushes)."""
        if not self._any_active or not self._insts:
            return False
        f = self.funding(t)
        if f != self._small_f:  # small organisations depend on funding [003 L7428-7442]: a cut keeps them away,
            self._small_f = f  # money beyond the plan buys more activity (hub_month), not more of them per activity
            self.small_factor[:] = np.where(self.is_small, min(f, 1.0) ** self.p["ecosystem.small_org_funding_dependence"],
                                            1.0)
        ran, self._log, n_log, self._pairs, n_pairs = self._kernels["hub_month"](
            int(self.rng.integers(2**62)), int(t), float(f), self.hubs, self._insts, self.orgs, self.eco.rel, self.eco.partner_thr,
            self.stage, self.activity, self.adj, self.person_counts, self.pushes, self.couplings.students, self.book,
            self._log, self._pairs)
        if n_pairs:
            self.eco.meet(self._pairs[0, :n_pairs].copy(), self._pairs[1, :n_pairs].copy())
        if n_log:
            log = self._log[:, :n_log].copy()
            self._cleared = log[3]
            self.took_part[log[3], log[1]] = True  # their relation to that hub does not decay this month
            self.participation.append(log)
            for code, inst in self._after:
                mine = log[:, log[0] == code]
                for h in np.unique(mine[1]).tolist():
                    at = mine[:, mine[1] == h]
                    inst.after(self, h, at[3], at[4])
        return ran

    def participation_log(self) -> dict[str, np.ndarray]:
        """Who took part in which activity: one entry per (instrument run month, hub, organisation, theme), with
        the rows of ``state.LOG_ROWS`` (instrument as its index in ``instrument_names``)."""
        log = np.concatenate(self.participation, axis=1) if self.participation else np.zeros((len(LOG_ROWS), 0), np.int64)
        return dict(zip(LOG_ROWS, log, strict=True))

    def move_propeller(self, month: int) -> None:
        """Every (organisation, theme) moves at most once per (sub)step by the transition table, with
        the month's multipliers: innovativeness class, enrolment in a trajectory or coaching, students
        received, procurement pull, the co-maker gate, and faster fall-back under a weak connector.
        Exposure, co-makers and pull are read from the stages at the start of the (sub)step."""
        self._home_partners()
        self._move(month, self._move_seeds())

    def _move_seeds(self) -> list[int]:
        return [int(self.rng.integers(2**62)) for _ in range(self._substeps)]

    def _move(self, month: int, seeds: list[int]) -> None:
        ns = self.neighbours
        for seed in seeds:
            if self._network_on:
                ns.update(self.stage)
            mix = (self.stage >= FIRST_ADOPTEREN).mean(axis=0) if self._mixing_full else self._no_mixing
            self._kernels["propeller_move"](
                self.stage, int(month - 1), self.orgs, self.table.arrays, ns.arrays, self.pushes, self.move_params,
                self._home_partner, self.connector, mix, int(self.t), 1.0 / len(seeds), seed, self.adoptions)

    def _home_partners(self) -> None:
        """The home-hub partner flags the move reads, from the relations as they are now (while no hub is active the
        relations do not change: taken once, and again when a hub opens)."""
        if self._any_active or not self._partners_taken:
            self._kernels["home_partners"](self.eco.rel, self.pop.home, self.eco.partner_thr, self._home_partner)
            self._partners_taken = True

    def grow_ecosystem(self) -> None:
        """Relations decay (faster with a weak connector [003 L1550-1563]); organisations become
        known and join through their relations and through network organisations' constituencies
        [003 L2818-2822] (``kernels.grow_relations``)."""
        if not self._any_active:
            return
        fn, *args = self._growth_call(int(self.rng.integers(2**62)))
        fn(*args)

    def _growth_call(self, seed: int) -> tuple:
        """The growth kernel and its arguments for this month (the graph it reads rebuilt here, in the caller's
        thread, when ties were added)."""
        eco = self.eco
        if self._growth_graph[0] != eco.layout:  # ties appended or buffers replaced (structural views stay current)
            adj, members = eco.structural(None, True), eco.structural(MEMBER, False)
            self._growth_graph = (eco.layout, Csr(adj.indptr, adj.indices, adj.data), eco.collab(),
                                  Csr(members.indptr, members.indices, members.data))
        _, adj, collab, members = self._growth_graph
        return (self._kernels["grow_relations"], eco.rel, self.active, self.connector, self.growth, self.is_ngo, adj,
                collab, members, self.took_part, seed, self._growth_buf)

    # ------------------------------------------------------------------ inspection
    def build_space(self):
        """A ``mesa.discrete_space.Network`` over the current graph, with agents placed on their nodes.

        Built on demand (visualisation), never in batch runs: layout=None avoids the O(n^2) spring layout.
        """
        from mesa.discrete_space import Network

        g = self.eco.to_networkx(self.pop)
        self.space = Network(g, layout=None, random=self.random)
        for agent in self.agents_by_type.get(Organisation, []):
            agent.cell = self.space[agent.index]
        for agent in self.hub_agents:
            agent.cell = self.space[f"hub:{agent.name}"]
        return self.space

    @property
    def graph(self):
        return self.eco.to_networkx(self.pop)

    def outcomes(self) -> dict:
        frames = self.recorder.frames(self.t)
        frames["participants"] = participants_frame(self.participants)
        frames["final_persons"] = {k: int(v.sum()) for k, v in self.persons.items()}
        frames["surveys"] = self.surveys.shares(self)
        dates = self.surveys.decl.output_dates()
        frames["survey_dates"] = {o: dates[o] for o in frames["surveys"]}
        return frames

    def release(self) -> None:
        """Drop the model's state (arrays, agents, graph, scheduled events) once its outcomes have been taken.

        A Mesa model is a web of reference cycles (agents and the recorder point back at the model, the schedule
        holds bound methods), so it is freed only by Python's cyclic garbage collector - and full collections are
        rare in a process with many long-lived objects: a sweep worker held hundreds of dead models (its resident
        set grew by ~45 kB a run). After ``release()`` the model goes by reference counting as soon as its last
        reference does. It cannot be used afterwards. ``simulate()`` calls it.
        """
        self.remove_all_agents()  # agents leave their cells too (cell <-> agent cycles)
        self.__dict__.clear()


def participants_frame(participants: dict):
    import pandas as pd

    rows = [{"activity": cat, **{pc: int(v[j]) for j, pc in enumerate(PERSON_CATEGORIES)}}
            for cat, v in participants.items()]
    df = pd.DataFrame(rows)
    df["total"] = df[list(PERSON_CATEGORIES)].sum(axis=1)
    return df


__all__ = ["PropellerModel", "THEMES"]
