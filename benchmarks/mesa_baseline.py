"""An idiomatic per-agent Mesa 3.5 implementation of the propeller rules: the benchmark baseline (issue 7).

What it is
----------
The fast model (``model.PropellerModel``) keeps its state in numpy arrays and runs compiled loops
(``kernels.update_neighbours``, ``kernels.propeller_move``). This module implements the *same* monthly
propeller rules the way a Mesa 3.5 user would write them:

* one :class:`OrgAgent` (a ``mesa.Agent``) per organisation, holding its own state as Python
  attributes: route, class multiplier, company / client flags, the stage on each theme (a list),
  its contacts as a prebuilt adjacency list of ``(agent, tie intensity)`` (all structural ties, for
  exposure) and its client-tie contacts likewise (for the co-maker gate and procurement pull);
* :class:`BaselineModel` (a ``mesa.Model`` built with ``Model(rng=seed)``), whose ``step()`` is a
  synchronous update as in the fast model: ``self.agents.do("observe")`` (every agent reads its
  neighbours' stages at the start of the month) then ``self.agents.shuffle_do("move")`` (every agent
  draws at most one competing-hazards move per theme with Python floats and ``self.random``);
* per month it records the adopted share per theme, the share of (organisation, theme) pairs per
  propeller phase and the cumulative adoptions per theme, in small Python lists.

No deliberate slowness: the adjacency lists are built once, the transition table is compiled once to
nested lists per calendar month, and each agent only computes the couplings its rules can use
(procurement pull for companies, the co-maker gate for routes with gated rows).

Rules implemented (docs/ODD.md §4, §7.1, §7.2, §7.9), per (organisation i, theme k), dt = 1/substeps:

* **Entry** (stage 0, not engaged): hazard (p + q × exposure_ik) × m_class, to ``diffusion.entry_step``;
  exposure_ik = Σ_j w_ij 1[j in Adopteren on k] / Σ_j w_ij over all structural ties of i
  (``diffusion.mixing = "full"``: the population share in Adopteren; ``network.enabled = false``: 0).
* **Engaged** (stage s ≥ 1, route r): from the table row (r, s) with this calendar month's rates
  (rows with ``months`` are 0 in other months):
  forward = rate × m_class × phase_scale[s] × pull, skip = rate × m_class × phase_scale[s] × pull,
  back = rate, repeat = rate; pull = 1 + procurement_boost for a company with a client tie to a
  woco/gemeente in Adopteren on k, else 1; a ``requires=comaker`` row is × comaker_gate_floor unless
  i has a client tie of intensity ≥ comaker_min_intensity to a company at comaker_min_step or beyond
  on k; a ``requires=chain`` row is × chain_gate_floor unless i has a chain tie to a company at
  comaker_min_step or beyond on k. Leave with probability 1 − exp(−Σh·dt); the move is kind j with probability h_j / Σh.
* Neighbour state (exposure, co-maker, pull) is taken from the stages at the start of the (sub)step.

Why the comparison is fair
--------------------------
* Same initial state: the model is built from a ``PropellerModel(scenario, rng=seed, with_agents=False)``
  of the same scenario; its initial stages, routes, class multipliers, company/client flags, compiled
  transition table and structural ties with their intensities are copied into the agents. For the same
  seed the initial state is identical; only the dynamics and their random stream differ.
* Same rules and the same synchronous update (observe all, then move all); ``benchmarks/check_baseline.py``
  checks over seeds that the two give statistically indistinguishable outcomes.

What is not included: hubs and their instruments. The baseline requires ``hubs.enabled = false``. In
that configuration the fast model's monthly step reduces to the propeller move (checked in
:func:`_check_fast_reduces`, and by reading ``model.py``):

* ``run_hubs`` runs no hub (``active`` is all False), so ``extra_fwd``/``extra_entry`` stay 0, nobody
  is ever enrolled, coached or sent students (``*_until`` stay −1) and no collaboration tie is made;
* all hub relations are 0 (``_init_hubs`` zeroes ``rel``), so nobody is a partner and the weak-connector
  factor on back moves is 1;
* ``update_ties`` decays every tie towards its base, w ← w − decay × (w − base); structural ties start at
  their base (``network.initial_intensity``) and with no joint activity they stay there exactly, so it is
  a no-op (the baseline therefore keeps the intensities fixed; the test checks the fast model's stay put);
* ``school_intake`` (September) only acts on schools that are hub partners: none;
* ``grow_ecosystem`` returns at once when no hub is active; no scheduled event (hub opening, connector
  leaving) is registered when hubs are off.

Use::

    from benchmarks.mesa_baseline import run_baseline, run_fast
    df = run_baseline(load(DEFAULTS, overrides={"hubs.enabled": False, "simulation.region": "west"}), seed=0)

``run_baseline`` and ``run_fast`` take a Scenario, so any population the scenario builds (a region, or a
scaled population) is used unchanged.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd

from propeller.core import calendar
from propeller.core.constants import FIRST_ADOPTEREN, PHASES, ROUTES, STEP_PHASE, THEMES
from propeller.core.ecosystem import CHAIN, CLIENT
from propeller.core.model import PropellerModel

FORWARD, SKIP, BACK, REPEAT = range(4)
N_PHASES = len(PHASES)


# ---------------------------------------------------------------------------------------------- agents
class OrgAgent(mesa.Agent):
    """One organisation: its own propeller state and its contacts."""

    def __init__(self, model: BaselineModel, index: int, route: int, class_mult: float, is_company: bool,
                 is_client: bool, stage: list[int]):
        super().__init__(model)
        self.index = index                  # row in the fast model's arrays (initial state only)
        self.route = route
        self.class_mult = class_mult
        self.is_company = is_company
        self.is_client = is_client
        self.stage = stage                  # step per theme, 0 = not engaged .. 9 = develop
        self.gated = model.route_gated[route]  # does any row of the route require a co-maker?
        self.chain_gated = model.route_chain_gated[route]  # ... or an involved chain partner?
        k = len(stage)
        self.exposure = [0.0] * k
        self.comaker = [False] * k
        self.chained = [False] * k
        self.pulled = [False] * k
        self.neighbours: list[tuple[OrgAgent, float]] = []         # all structural ties (agent, intensity)
        self.client_neighbours: list[tuple[OrgAgent, float]] = []  # client ties only
        self.chain_neighbours: list[tuple[OrgAgent, float]] = []   # chain ties only

    def observe(self) -> None:
        """Exposure, co-maker presence and procurement pull per theme, from the neighbours' current stages."""
        m = self.model
        k = m.n_themes
        if m.mixing_full:
            self.exposure = m.population_adopted[:]  # copy: the list is rebuilt each (sub)step anyway
        else:
            num = [0.0] * k
            deg = 0.0
            for other, w in self.neighbours:
                deg += w
                for t, s in enumerate(other.stage):
                    if s >= FIRST_ADOPTEREN:
                        num[t] += w
            self.exposure = [x / deg for x in num] if deg > 0 else num
        if self.gated:
            min_step, min_w = m.comaker_min_step, m.comaker_min_w
            cm = [False] * k
            for other, w in self.client_neighbours:
                if w >= min_w and other.is_company:
                    for t, s in enumerate(other.stage):
                        if s >= min_step:
                            cm[t] = True
            self.comaker = cm
        if self.chain_gated:
            min_step = m.comaker_min_step
            ch = [False] * k
            for other, _w in self.chain_neighbours:
                if other.is_company:
                    for t, s in enumerate(other.stage):
                        if s >= min_step:
                            ch[t] = True
            self.chained = ch
        if self.is_company:
            pm = [False] * k
            for other, _w in self.client_neighbours:
                if other.is_client:
                    for t, s in enumerate(other.stage):
                        if s >= FIRST_ADOPTEREN:
                            pm[t] = True
            self.pulled = pm

    def move(self) -> None:
        """At most one move per theme by competing hazards (table row of this route, step and month)."""
        m = self.model
        random = m.random.random
        dt = m.dt
        rows = m.month_rates[self.route]
        targets = m.targets[self.route]
        gates = m.gates[self.route]
        stage = self.stage
        for t in range(m.n_themes):
            s = stage[t]
            if s == 0:  # entry: Bass p + q * exposure, times the class multiplier
                hz = (m.entry_p + m.entry_q * self.exposure[t]) * self.class_mult
                if random() < -math.expm1(-hz * dt):
                    stage[t] = m.entry_step
                    if m.entry_step >= FIRST_ADOPTEREN:
                        m.adoptions[t] += 1
                continue
            f, sk, b, r = rows[s]
            fm = self.class_mult * m.phase_scale[s]
            if self.is_company and self.pulled[t]:
                fm *= m.pull_factor
            h = [f * fm, sk * fm, b, r]
            g = gates[s]
            for kind in range(4):
                if g[kind] == 1 and not self.comaker[t]:
                    h[kind] *= m.gate_floor
                elif g[kind] == 2 and not self.chained[t]:
                    h[kind] *= m.chain_gate_floor
            total = h[0] + h[1] + h[2] + h[3]
            if total <= 0.0 or random() >= -math.expm1(-total * dt):
                continue
            pick = random() * total
            acc = 0.0
            chosen = REPEAT
            for kind in range(4):
                acc += h[kind]
                if pick < acc:
                    chosen = kind
                    break
            new = targets[s][chosen]
            if s < FIRST_ADOPTEREN <= new:
                m.adoptions[t] += 1
            stage[t] = new


# ---------------------------------------------------------------------------------------------- model
class BaselineModel(mesa.Model):
    """The propeller dynamics with hubs off, one Mesa agent per organisation.

    ``scenario``: a Scenario with ``hubs.enabled = false``. ``seed``: seeds this model's generators and,
    unless ``init`` is given, the ``PropellerModel`` whose initial state is copied. ``init``: an
    already built (not yet stepped) ``PropellerModel`` to copy the initial state from.
    """

    def __init__(self, scenario, seed: int = 0, *, init: PropellerModel | None = None):
        super().__init__(rng=seed)
        p = scenario.params
        if p["hubs.enabled"]:
            raise ValueError("the Mesa baseline implements the propeller dynamics with hubs.enabled = false only")
        fast = init if init is not None else PropellerModel(scenario, rng=seed, with_agents=False)
        _check_fast_reduces(fast)
        self.scenario = scenario
        self.start = p["simulation.start"]
        self.n_months = calendar.offset(self.start, p["simulation.until"])
        self.t = 0
        n, k = fast.stage.shape
        self.n_orgs, self.n_themes = n, k

        # the compiled transition table, as nested Python lists: [month][route][step] -> (f, s, b, r)
        tab = fast.table
        n_s = tab.n_steps
        self.rates_by_month = [[[tuple(rm[r * n_s + s].tolist()) for s in range(n_s)] for r in range(len(ROUTES))]
                               for rm in tab.rate_by_month]
        self.targets = [[tab.target_flat[r * n_s + s].tolist() for s in range(n_s)] for r in range(len(ROUTES))]
        self.gates = [[tab.gate_flat[r * n_s + s].tolist() for s in range(n_s)] for r in range(len(ROUTES))]
        self.route_gated = [any(1 in g for g in route_gates) for route_gates in self.gates]
        self.route_chain_gated = [any(2 in g for g in route_gates) for route_gates in self.gates]
        self.phase_scale = tab.phase_scale.tolist()
        self.entry_step = int(tab.entry)
        self.month_rates = self.rates_by_month[calendar.parse(self.start) % 12]
        # parameters
        self.entry_p, self.entry_q = float(p["diffusion.p"]), float(p["diffusion.q"])
        self.mixing_full = p["diffusion.mixing"] == "full"
        self.network_on = bool(p["network.enabled"])
        self.substeps = int(p["simulation.substeps"])
        self.dt = 1.0 / self.substeps
        cp = fast.couplings
        self.comaker_min_step = int(cp.min_step)
        self.comaker_min_w = float(cp.min_w)
        self.pull_factor = 1.0 + float(cp.boost)
        self.gate_floor = float(p["coupling.comaker_gate_floor"])
        self.chain_gate_floor = float(p["coupling.chain_gate_floor"])
        self.population_adopted = [0.0] * k

        # one agent per organisation, state copied from the fast model's initial arrays
        stage = fast.stage.tolist()
        route, mult = fast.pop.route.tolist(), fast.class_mult.tolist()
        comp, client = cp.is_company.tolist(), cp.is_client.tolist()
        orgs = [OrgAgent(self, i, route[i], mult[i], comp[i], client[i], stage[i]) for i in range(n)]
        self.orgs = orgs
        if self.network_on:  # prebuilt adjacency lists (agent, intensity) from the ecosystem graph
            for kind, attr in ((None, "neighbours"), (CLIENT, "client_neighbours"), (CHAIN, "chain_neighbours")):
                a = fast.eco.structural(kind, True)
                ptr, idx, w = a.indptr.tolist(), a.indices.tolist(), a.data.tolist()
                for i, agent in enumerate(orgs):
                    setattr(agent, attr, [(orgs[idx[x]], w[x]) for x in range(ptr[i], ptr[i + 1])])
        self.adoptions = [0] * k
        self.records: list[tuple] = []
        self._record()

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        self.t = t = int(round(self.time))
        self.month_rates = self.rates_by_month[(calendar.parse(self.start) + t) % 12]
        for _ in range(self.substeps):
            if self.mixing_full:
                self.population_adopted = self._adopted_share()
            if self.network_on or self.mixing_full:
                self.agents.do("observe")
            self.agents.shuffle_do("move")
        self._record()

    def _adopted_share(self) -> list[float]:
        counts = [0] * self.n_themes
        for a in self.orgs:
            for t, s in enumerate(a.stage):
                if s >= FIRST_ADOPTEREN:
                    counts[t] += 1
        return [c / self.n_orgs for c in counts]

    def _record(self) -> None:
        k = self.n_themes
        adopted = [0] * k
        phases = [0] * N_PHASES
        for a in self.orgs:
            for t, s in enumerate(a.stage):
                phases[STEP_PHASE[s]] += 1
                if s >= FIRST_ADOPTEREN:
                    adopted[t] += 1
        self.records.append((self.t, adopted, phases, list(self.adoptions)))

    def frame(self) -> pd.DataFrame:
        n, k = self.n_orgs, self.n_themes
        rows = []
        for t, adopted, phases, adoptions in self.records:
            rows.append(_row(self.start, t, [a / n for a in adopted], [c / (n * k) for c in phases], adoptions))
        return pd.DataFrame(rows)


def _check_fast_reduces(fast: PropellerModel) -> None:
    """The fast model's month reduces to the propeller move: no hub, no partner, no push, no collaboration tie,
    structural ties at their base (so tie decay is a no-op)."""
    problems = []
    if fast.active.any() or fast._pending:
        problems.append("a hub is active or scheduled to open")
    if fast.instruments:
        problems.append("instruments are set up")
    if fast.eco.partners().any() or fast.eco.rel.any():
        problems.append("hub relations are not all 0")
    if len(fast.eco.collab()[0]):
        problems.append("collaboration ties exist")
    if not np.array_equal(fast.eco.w, fast.eco.base):
        problems.append("tie intensities are not at their base")
    for name in ("extra_fwd", "extra_entry"):
        if getattr(fast, name).any():
            problems.append(f"{name} is not 0")
    for name in ("enrolled_until", "coached_until", "student_until"):
        if (getattr(fast, name) >= 0).any():
            problems.append(f"{name} is set")
    if fast.t != 0:
        problems.append("the model has been stepped")
    if problems:
        raise ValueError("initial state is outside the baseline's configuration: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------- outputs
def _row(start: str, t: int, adopted_share, phase_share, adoptions) -> dict:
    row = {"t": t, "date": calendar.fmt(calendar.parse(start) + t)}
    row.update({f"adopted_share_{th}": float(v) for th, v in zip(THEMES, adopted_share, strict=True)})
    row.update({f"phase_share_{ph}": float(v) for ph, v in zip(PHASES, phase_share, strict=True)})
    row.update({f"adoptions_{th}": int(v) for th, v in zip(THEMES, adoptions, strict=True)})
    return row


def stage_frame(start: str, stages: np.ndarray, adoptions: np.ndarray) -> pd.DataFrame:
    """The same columns from stage snapshots (T x N x K) and cumulative adoptions (T x K), with numpy."""
    n_t, n, k = stages.shape
    adopted = (stages >= FIRST_ADOPTEREN).mean(axis=1)                       # T x K
    phase = np.asarray(STEP_PHASE)[stages.reshape(n_t, -1)]                  # T x (N K)
    shares = np.stack([(phase == ph).mean(axis=1) for ph in range(N_PHASES)], axis=1)
    return pd.DataFrame([_row(start, t, adopted[t], shares[t], adoptions[t]) for t in range(n_t)])


def _until(scenario, months: int | None):
    if months is None:
        return scenario
    until = calendar.fmt(calendar.parse(scenario["simulation.start"]) + int(months))
    return scenario.with_overrides({"simulation.until": until}, origin="months")


def run_baseline(scenario, seed: int, months: int | None = None) -> pd.DataFrame:
    """The Mesa baseline from the scenario's initial state for ``seed``: one row per month, t = 0 .. months
    (default: to ``simulation.until``), with adopted_share_<theme>, phase_share_<phase>, adoptions_<theme>."""
    scenario = _until(scenario, months)
    m = BaselineModel(scenario, seed)
    if m.n_months > 0:
        m.run_for(m.n_months)
    return m.frame()


def run_fast(scenario, seed: int, months: int | None = None) -> pd.DataFrame:
    """The same columns measured on the fast model (``PropellerModel``; its recorder's monthly stage snapshots)."""
    scenario = _until(scenario, months)
    m = PropellerModel(scenario, rng=seed, with_agents=False)
    if m.n_months > 0:
        m.run_for(m.n_months)
    rec = m.recorder
    return stage_frame(m.start, rec.stage[: m.n_months + 1], rec.scalars["adoptions"][: m.n_months + 1])


def comparison_scenario(region: str = "west", **overrides):
    """The comparison configuration: hubs (and so instruments and hub relations) off, network on."""
    from propeller.scenarios.loader import DEFAULTS, load

    return load(DEFAULTS, overrides={"hubs.enabled": False, "simulation.region": region, **overrides})


__all__ = ["BaselineModel", "OrgAgent", "comparison_scenario", "run_baseline", "run_fast", "stage_frame"]
