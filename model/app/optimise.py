"""`propeller optimise SPEC`: which allocation of the same money does best, robust over the calibration's posterior
and the model's randomness.

**The decision.** From the spec's ``from`` month the programme's money is re-allocated once (a plan change,
``adapt.*``, docs/ODD.md §7.3): a weight per instrument re-weights each hub's instrument money (each hub's planned
cost stays), a weight per hub re-weights the hubs' budgets (their total stays; a hub that gains money hires for it
with the hiring delay), and a targeting share t moves the innovativeness-class weights from the scenario's
(frontrunners first) towards equal weights (t = 1: the followers as much as the frontrunners, as the library's
``target_followers``). No candidate gets more money than the scenario: the budget is fixed.

**Robust, with common random numbers.** Every candidate is run on the same seeds x posterior parameter sets (drawn
as ``propeller run --seeds N --draws M`` draws them), so two candidates differ only by their decision. An objective
is the mean of an outcome over those runs, or the probability that it reaches a target (``target = N``).

**The optimiser** is Platypus's ε-NSGA-II (Platypus-Opt, the library EMA Workbench's ``optimize`` drives): a
multi-objective evolutionary algorithm whose ε-dominance archive keeps one portfolio per ε-box of the objectives,
so noise smaller than ε does not fill the Pareto set with near-copies, and which needs no gradients (the outcomes are
counts from a stochastic model). EMA Workbench's own ``optimize`` would run its Model/Scenario machinery around the
same algorithm without the project's seeds, posterior draws and executor; pymoo and optuna would add a dependency
for no capability needed here. Platypus draws from Python's ``random`` module: it is seeded from the spec's seed, so
the same spec gives the same portfolios, serial or on any number of workers.

**The check.** The Pareto set (at most ``reevaluate.top`` portfolios, and the current allocation) is run again on
fresh seeds and fresh posterior draws, and each portfolio is reported with its objectives there and the probability
that it beats the current allocation (the share of the fresh posterior draws, or seeds without draws, in which its
objective is higher, paired). A portfolio found on few runs can look better than it is (the winner's curse): the
check is the number to quote.

Everything is stored in the sweep database (tables ``optimisations``, ``optimise_candidates``,
``optimise_checks``), in one transaction at the end.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from propeller.core.constants import CLASSES, HUBS
from propeller.errors import UserError

STATISTICS = ("mean", "probability")
DEFAULT_EPSILON = 0.01  # of the current allocation's value (ε-box of each objective): assumption


class OptimiseError(UserError):
    pass


@dataclass(frozen=True)
class Objective:
    outcome: str       # a timeseries column
    date: str          # YYYY-MM
    target: float | None = None   # probability of reaching it; None: the mean
    epsilon: float | None = None  # ε-box width; None: DEFAULT_EPSILON x the current allocation's value

    @property
    def key(self) -> str:
        return f"{self.outcome}@{self.date}"

    @property
    def label(self) -> str:
        return f"P({self.outcome} >= {self.target:g} at {self.date})" if self.target is not None else \
            f"mean {self.outcome} at {self.date}"

    def value(self, runs: np.ndarray) -> float:
        return float(np.mean(runs >= self.target)) if self.target is not None else float(np.mean(runs))


@dataclass
class Spec:
    path: Path
    name: str
    description: str
    base: Path
    change_from: str
    until: str
    seed: int
    seeds: int
    draws: int
    evaluations: int
    population: int
    instruments: list[str]
    hubs: list[str]
    targeting: bool
    weight_range: tuple[float, float]
    objectives: list[Objective]
    check_seeds: int
    check_draws: int
    top: int
    text: str = field(repr=False, default="")

    @property
    def id(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def variables(self) -> list[str]:
        return ([f"instrument:{n}" for n in self.instruments] + [f"hub:{h}" for h in self.hubs]
                + (["targeting"] if self.targeting else []))


# ------------------------------------------------------------------------------------------ the spec
def load_spec(path: str | Path) -> Spec:
    """Read and check an optimisation spec (``scenarios/optimise/*.toml``); bad input: one line naming the key."""
    from propeller.core import calendar
    from propeller.core.instruments import registry
    from propeller.scenarios.loader import load

    path = Path(path)
    if not path.is_file():
        raise OptimiseError(path, "(file)", "an existing optimisation spec (TOML)", show_got=False)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OptimiseError(path, "(file)", f"a TOML file ({exc})", show_got=False) from None
    known = {"name", "description", "base", "from", "until", "seed", "seeds", "draws", "evaluations", "population",
             "decisions", "objectives", "reevaluate"}
    for k in data:
        if k not in known:
            raise OptimiseError(path, k, "one of " + ", ".join(sorted(known)), show_got=False)

    def get(table: dict, key: str, kind, default=None, where: str = ""):
        full = f"{where}{key}"
        if key not in table:
            if default is None:
                raise OptimiseError(path, full, f"a {kind.__name__ if isinstance(kind, type) else kind} (required)",
                                    show_got=False)
            return default
        v = table[key]
        if kind is int and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise OptimiseError(path, full, "a whole number >= 1", v)
        if kind is str and not isinstance(v, str):
            raise OptimiseError(path, full, "a string", v)
        if kind is bool and not isinstance(v, bool):
            raise OptimiseError(path, full, "true or false", v)
        return v

    name = get(data, "name", str)
    base = (path.parent / get(data, "base", str)).resolve()
    try:
        sc = load(base)
    except UserError as exc:
        raise OptimiseError(path, "base", f"a scenario that loads ({exc})", str(base)) from None
    change_from = get(data, "from", str, "2026-01")
    until = get(data, "until", str, sc["simulation.until"])
    for key, v in (("from", change_from), ("until", until)):
        try:
            calendar.parse(v)
        except ValueError:
            raise OptimiseError(path, key, "a date 'YYYY-MM'", v) from None
    if not sc["simulation.start"] < change_from <= until:
        raise OptimiseError(path, "from", f"a month after the start ({sc['simulation.start']}) and at or before "
                            f"until ({until})", change_from)
    dec = data.get("decisions", {})
    if not isinstance(dec, dict):
        raise OptimiseError(path, "decisions", "a table", dec)
    for k in dec:
        if k not in ("instruments", "hubs", "targeting", "weight_range"):
            raise OptimiseError(path, f"decisions.{k}", "one of instruments, hubs, targeting, weight_range",
                                show_got=False)
    instruments = dec.get("instruments", list(registry.names()))
    hubs = dec.get("hubs", [])
    for key, items, options in (("instruments", instruments, registry.names()), ("hubs", hubs, HUBS)):
        if not isinstance(items, list) or any(i not in options for i in items) or len(set(items)) != len(items):
            raise OptimiseError(path, f"decisions.{key}", "a list of distinct names from " + ", ".join(options), items)
    targeting = get(dec, "targeting", bool, False, "decisions.")
    wr = dec.get("weight_range", [0.0, 1.0])
    if (not isinstance(wr, list) or len(wr) != 2 or not all(isinstance(x, (int, float)) for x in wr)
            or not 0 <= wr[0] < wr[1]):
        raise OptimiseError(path, "decisions.weight_range", "[low, high] with 0 <= low < high", wr)
    if len(instruments) == 1 and not hubs and not targeting:
        raise OptimiseError(path, "decisions", "at least two instruments, or hubs, or targeting (one instrument's "
                            "weight alone is re-normalised away)", show_got=False)
    if not instruments and not hubs and not targeting:
        raise OptimiseError(path, "decisions", "at least one decision", show_got=False)
    objs = data.get("objectives")
    if not isinstance(objs, list) or not objs:
        raise OptimiseError(path, "objectives", "one or more [[objectives]] tables (outcome = \"col@YYYY-MM\")",
                            show_got=False)
    from propeller.core.simulate import simulate

    columns = set(simulate(sc, seed=0, until=sc["simulation.start"])["timeseries"].columns)
    objectives = []
    for j, o in enumerate(objs):
        where = f"objectives[{j}]."
        if not isinstance(o, dict):
            raise OptimiseError(path, f"objectives[{j}]", "a table", o)
        for k in o:
            if k not in ("outcome", "target", "epsilon"):
                raise OptimiseError(path, where + k, "one of outcome, target, epsilon", show_got=False)
        out = get(o, "outcome", str, where=where)
        col, _, date = out.partition("@")
        if col not in columns:
            from propeller.scenarios.loader import did_you_mean

            raise OptimiseError(path, where + "outcome", "an output column@YYYY-MM", out,
                                hint=did_you_mean(col, sorted(columns)))
        try:
            calendar.parse(date)
        except ValueError:
            raise OptimiseError(path, where + "outcome", "an output column@YYYY-MM (a date after the @)", out) from None
        if not change_from <= date <= until:
            raise OptimiseError(path, where + "outcome", f"a date between from ({change_from}) and until ({until})",
                                out)
        target = o.get("target")
        eps = o.get("epsilon")
        for k, v in (("target", target), ("epsilon", eps)):
            if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)
                                  or (k == "epsilon" and v <= 0)):
                raise OptimiseError(path, where + k, "a number" + (" > 0" if k == "epsilon" else ""), v)
        objectives.append(Objective(col, date, None if target is None else float(target),
                                    None if eps is None else float(eps)))
    if len({o.key + str(o.target) for o in objectives}) != len(objectives):
        raise OptimiseError(path, "objectives", "distinct objectives", show_got=False)
    re = data.get("reevaluate", {})
    if not isinstance(re, dict):
        raise OptimiseError(path, "reevaluate", "a table", re)
    for k in re:
        if k not in ("seeds", "draws", "top"):
            raise OptimiseError(path, f"reevaluate.{k}", "one of seeds, draws, top", show_got=False)
    seeds = get(data, "seeds", int, 2)
    draws = data.get("draws", 4)
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 0:
        raise OptimiseError(path, "draws", "a whole number >= 0 (0: the scenario's own parameters)", draws)
    check_draws = re.get("draws", max(2 * draws, 0))
    if not isinstance(check_draws, int) or isinstance(check_draws, bool) or check_draws < 0 or (draws and not check_draws):
        raise OptimiseError(path, "reevaluate.draws", "a whole number >= 1 when draws > 0", check_draws)
    population = get(data, "population", int, 16)
    evaluations = get(data, "evaluations", int, 10 * population)
    if evaluations < population:
        raise OptimiseError(path, "evaluations", f"at least the population ({population})", evaluations)
    return Spec(path=path, name=name, description=str(data.get("description", "")), base=base,
                change_from=change_from, until=until, seed=int(data.get("seed", 0)), seeds=seeds, draws=draws,
                evaluations=evaluations, population=population, instruments=instruments, hubs=hubs,
                targeting=targeting, weight_range=(float(wr[0]), float(wr[1])), objectives=objectives,
                check_seeds=get(re, "seeds", int, 2 * seeds, "reevaluate."), check_draws=check_draws,
                top=get(re, "top", int, 6, "reevaluate."), text=text)


# ------------------------------------------------------------------------------------------ a candidate
def decision_overrides(spec: Spec, params, x: list[float] | None) -> dict[str, Any]:
    """The scenario overrides of decision vector ``x`` (None: the current allocation)."""
    out: dict[str, Any] = {"adapt.from": spec.change_from, "adapt.output": ""}
    if x is None:
        return out
    i = 0
    for n in spec.instruments:
        out[f"adapt.instrument_weight.{n}"] = float(x[i])
        i += 1
    for h in spec.hubs:
        out[f"adapt.hub_weight.{h}"] = float(x[i])
        i += 1
    if spec.targeting:
        t = float(x[i])
        base = np.array(params["ecosystem.class_weight"], dtype=float)
        out["adapt.class_weight"] = [float(v) for v in base + t * (1.0 - base)]
    return out


def allocation(params, overrides: dict[str, Any]) -> dict[str, Any]:
    """The money of a candidate after its change: shares of the programme's planned money per instrument and per
    hub, and the targeting weights (``plan.reallocate``, the model's own arithmetic)."""
    from propeller.core.instruments import registry
    from propeller.core.plan import adapt_arrays, reallocate

    p = {**params, **overrides}
    names = list(registry.names())
    cost = np.array([params[f"instruments.{n}.cost"] for n in names], dtype=float)
    rates = np.array([[params.get(f"hubs.{h}.instruments.{n}", 0.0) for n in names] for h in HUBS], dtype=float)
    budget = np.array([params[f"hubs.{h}.budget"] for h in HUBS], dtype=float)
    capacity = np.array([params[f"hubs.{h}.capacity"] for h in HUBS], dtype=float)
    region = params["simulation.region"]
    in_run = np.array([params["hubs.enabled"] and region in ("all", h) for h in HUBS])
    iw, hw, move = adapt_arrays(p, names)
    new_rates, new_budget, _ = reallocate(rates, cost, budget, capacity, in_run, iw, hw,
                                          float(params["funding.hiring_share"]), move)
    # each hub's money is its budget; within it the instruments' shares of its planned cost
    planned = new_rates * cost
    share_in_hub = np.divide(planned, planned.sum(axis=1, keepdims=True), out=np.zeros_like(planned),
                             where=planned.sum(axis=1, keepdims=True) > 0)
    money = share_in_hub * np.where(in_run, new_budget, 0.0)[:, None]
    total = money.sum()
    cw = p.get("adapt.class_weight") or params["ecosystem.class_weight"]
    return {"instrument_share": {n: float(money[:, i].sum() / total) if total else 0.0 for i, n in enumerate(names)},
            "hub_share": {h: float(money[k].sum() / total) if total else 0.0 for k, h in enumerate(HUBS) if in_run[k]},
            "class_weight": {c: float(w) for c, w in zip(CLASSES, cw, strict=True)}}


def _run_one(item) -> dict[str, float]:
    from propeller.app.sweeps.record import scenario_from_record
    from propeller.core.simulate import simulate

    record, overrides, seed, until, keys = item
    sc = scenario_from_record(record).with_overrides(overrides, origin="optimise")
    ts = simulate(sc, seed=seed, until=until)["timeseries"].set_index("date")
    return {k: float(ts.at[k.split("@")[1], k.split("@")[0]]) for k in keys}


@dataclass
class Evaluation:
    """A candidate's runs: outcome@date -> array (units x runs per unit)."""
    runs: dict[str, np.ndarray]

    def objective(self, o: Objective) -> float:
        return o.value(self.runs[o.key].ravel())

    def per_unit(self, o: Objective) -> np.ndarray:
        r = self.runs[o.key]
        return (r >= o.target).mean(axis=1) if o.target is not None else r.mean(axis=1)


class Runner:
    """Runs candidates on a fixed set of (parameter set, seed) runs through the project's executor."""

    def __init__(self, spec: Spec, plan, by_draw: bool, executor, progress=None, stage: str = "evaluating portfolios"):
        self.spec, self.plan, self.ex, self.progress, self.stage = spec, plan, executor, progress, stage
        self.keys = sorted({o.key for o in spec.objectives})
        units = [r["point"] if by_draw else r["replication"] for r in plan.runs]  # the units intervals are over
        self.units = sorted(set(units))
        self.unit_of = units
        self.done = 0
        self.total = 0

    def evaluate(self, overrides: list[dict]) -> list[Evaluation]:
        items = [(run["params"], o, run["seed"], self.spec.until, self.keys) for o in overrides for run in self.plan.runs]
        start = self.done

        def tick(done, total):
            if self.progress:
                self.progress(self.stage, start + done, max(self.total, start + total))
        results = self.ex.map(_run_one, items, progress=tick if self.progress else None)
        self.done += len(items)
        n = len(self.plan.runs)
        out = []
        for c in range(len(overrides)):
            res = results[c * n:(c + 1) * n]
            runs = {}
            for k in self.keys:
                by_unit: dict[Any, list[float]] = {u: [] for u in self.units}
                for r, v in zip(self.unit_of, res, strict=True):
                    by_unit[r].append(v[k])
                runs[k] = np.array([by_unit[u] for u in self.units], dtype=float)
            out.append(Evaluation(runs))
        return out


# ------------------------------------------------------------------------------------------ the search
@dataclass
class Candidate:
    index: int
    x: list[float] | None              # None: the current allocation
    overrides: dict[str, Any]
    objectives: list[float]
    pareto: bool = False
    alloc: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    candidate: int
    objective: str
    median: float
    q05: float
    q95: float
    diff_median: float
    p_beats: float


@dataclass
class Result:
    spec: Spec
    candidates: list[Candidate]
    checks: list[Check]
    epsilons: list[float]
    runs_per_candidate: int
    runs_per_check: int


def optimise(spec: Spec, workers: int = 1, scheduler: str | None = None, progress=None) -> Result:
    from platypus import EpsNSGAII, Problem, Real
    from platypus.evaluator import Evaluator

    from propeller.app.multirun import run_plan
    from propeller.app.runner import Executor
    from propeller.scenarios.loader import load

    params = load(spec.base).params
    plan = run_plan(spec.base, spec.seeds, spec.draws, spec.seed, spec.until)
    check_plan = run_plan(spec.base, spec.check_seeds, spec.check_draws, spec.seed + 1_000_003, spec.until)
    candidates: list[Candidate] = []
    cache: dict[tuple, list[float]] = {}
    lo, hi = spec.weight_range
    n_vars = len(spec.variables)
    with Executor(workers, scheduler) as ex:
        runner = Runner(spec, plan, spec.draws > 0, ex, progress)
        runner.total = (spec.evaluations + 1) * len(plan.runs)
        (current_eval,) = runner.evaluate([decision_overrides(spec, params, None)])
        current = [current_eval.objective(o) for o in spec.objectives]
        candidates.append(Candidate(0, None, decision_overrides(spec, params, None), current))
        epsilons = [o.epsilon if o.epsilon is not None else max(DEFAULT_EPSILON * abs(v), 1e-9)
                    for o, v in zip(spec.objectives, current, strict=True)]

        class Batch(Evaluator):
            """Platypus's evaluator: a generation's candidates in one call to the executor."""

            def evaluate_all(self, jobs, **kwargs):
                xs = [list(map(float, job.solution.variables)) for job in jobs]
                new = [x for x in dict.fromkeys(tuple(x) for x in xs) if x not in cache]
                evals = runner.evaluate([decision_overrides(spec, params, list(x)) for x in new])
                for x, ev in zip(new, evals, strict=True):
                    values = [ev.objective(o) for o in spec.objectives]
                    cache[x] = values
                    candidates.append(Candidate(len(candidates), list(x), decision_overrides(spec, params, list(x)),
                                                values))
                for job in jobs:
                    job.run()
                return jobs

        problem = Problem(n_vars, len(spec.objectives))
        problem.types[:] = [Real(0.0, 1.0) if v == "targeting" else Real(lo, hi) for v in spec.variables]
        problem.directions[:] = Problem.MAXIMIZE
        problem.function = lambda x: cache[tuple(map(float, x))]
        state = random.getstate()
        random.seed(spec.seed)
        try:
            algorithm = EpsNSGAII(problem, epsilons=epsilons, population_size=spec.population, evaluator=Batch())
            algorithm.run(spec.evaluations)
            archive = [tuple(map(float, s.variables)) for s in algorithm.result]
        finally:
            random.setstate(state)
        by_x = {tuple(c.x): c for c in candidates if c.x is not None}
        front = [by_x[x] for x in dict.fromkeys(archive)]
        for c in front:
            c.pareto = True
        # the check: the Pareto set (at most `top`, spread over the first objective) and the current allocation
        chosen = sorted(front, key=lambda c: -c.objectives[0])
        if len(chosen) > spec.top:
            idx = np.unique(np.round(np.linspace(0, len(chosen) - 1, spec.top)).astype(int))
            chosen = [chosen[i] for i in idx]
        checker = Runner(spec, check_plan, spec.check_draws > 0, ex, progress, "checking on fresh runs")
        checker.total = (len(chosen) + 1) * len(check_plan.runs)
        fresh = checker.evaluate([candidates[0].overrides] + [c.overrides for c in chosen])
    for c in candidates:
        c.alloc = allocation(params, c.overrides)
    checks = []
    base_eval = fresh[0]
    for c, ev in zip([candidates[0], *chosen], fresh, strict=True):
        for o in spec.objectives:
            mine, ref = ev.per_unit(o), base_eval.per_unit(o)
            q05, med, q95 = np.quantile(mine, [0.05, 0.5, 0.95])
            checks.append(Check(c.index, o.label, float(med), float(q05), float(q95), float(np.median(mine - ref)),
                                float(np.mean(mine > ref)) if c.index else float("nan")))
    return Result(spec, candidates, checks, epsilons, len(plan.runs), len(check_plan.runs))


# ------------------------------------------------------------------------------------------ storing and telling
def store(result: Result, db_path: Path) -> None:
    """All of the optimisation in the sweep database, in one transaction (a rerun of the same spec replaces it)."""
    import sqlite_utils

    from propeller.app import store as sweep_store

    spec = result.spec
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite_utils.Database(db_path)
        db.conn.execute(f"PRAGMA busy_timeout = {int(sweep_store.timeout_s() * 1000)}")
        with db.conn:
            for t in ("optimise_candidates", "optimise_checks"):
                if t in db.table_names():
                    db.conn.execute(f"DELETE FROM {t} WHERE optimisation = ?", (spec.id,))
            if "optimisations" in db.table_names():
                db.conn.execute("DELETE FROM optimisations WHERE id = ?", (spec.id,))
            db["optimisations"].insert({
                "id": spec.id, "name": spec.name, "spec": spec.text, "base": str(spec.base), "from": spec.change_from,
                "until": spec.until, "seed": spec.seed, "seeds": spec.seeds, "draws": spec.draws,
                "evaluations": spec.evaluations, "algorithm": "Platypus EpsNSGAII",
                "objectives": json.dumps([o.label for o in spec.objectives]), "epsilons": json.dumps(result.epsilons),
                "runs_per_candidate": result.runs_per_candidate, "runs_per_check": result.runs_per_check},
                pk="id", alter=True)
            rows = []
            for c in result.candidates:
                row = {"optimisation": spec.id, "candidate": c.index, "current": c.x is None, "pareto": c.pareto,
                       "decision": json.dumps(c.x)}
                row.update({f"share_{k}": v for k, v in c.alloc["instrument_share"].items()})
                row.update({f"hub_share_{k}": v for k, v in c.alloc["hub_share"].items()})
                row.update({f"class_weight_{k}": v for k, v in c.alloc["class_weight"].items()})
                row.update({f"objective_{j}": v for j, v in enumerate(c.objectives)})
                rows.append(row)
            db["optimise_candidates"].insert_all(rows, pk=("optimisation", "candidate"), alter=True)
            db["optimise_checks"].insert_all([{"optimisation": spec.id, **c.__dict__} for c in result.checks],
                                             pk=("optimisation", "candidate", "objective"), alter=True)
    except Exception as exc:  # the database's known faults as one line; nothing of this optimisation was kept
        err = sweep_store.translate(db_path, exc)
        if err is None:
            raise
        raise err from None


def _pct(v: float) -> str:
    return f"{v:.0%}"


def _num(v: float, o: Objective) -> str:
    if not math.isfinite(v):
        return "–"
    if o.target is not None:
        return f"{v:.0%}"
    return f"{v:.1%}" if abs(v) < 1.5 and o.outcome.endswith("share") else f"{v:,.0f}"


def format_result(result: Result) -> str:
    spec = result.spec
    by_index = {c.index: c for c in result.candidates}
    front = [c for c in result.candidates if c.pareto]
    evaluated = len(result.candidates) - 1
    what = f"{spec.draws} posterior draws x {spec.seeds} seeds" if spec.draws else f"{spec.seeds} seeds"
    lines = [f"optimise {spec.name}: {evaluated} distinct portfolios evaluated on the same {result.runs_per_candidate} runs "
             f"each ({what}, common random numbers), Platypus ε-NSGA-II; the money is re-allocated from "
             f"{spec.change_from}, the total is the scenario's.",
             "Objectives (higher is better): " + "; ".join(
                 f"{o.label} (ε {e:.3g})" for o, e in zip(spec.objectives, result.epsilons, strict=True)),
             f"Pareto set: {len(front)} portfolios. Checked on fresh runs ({result.runs_per_check} per portfolio: "
             + (f"{spec.check_draws} new posterior draws x {spec.check_seeds} new seeds" if spec.check_draws else
                f"{spec.check_seeds} new seeds") + "): median (90 % interval over the "
             f"{'draws' if spec.check_draws else 'seeds'}), the paired difference from the current allocation, and "
             "P(beats current) = the share of them in which the portfolio does better.", ""]
    cur = by_index[0]
    names = list(cur.alloc["instrument_share"])
    header = "portfolio  " + " ".join(f"{n[:10]:>10}" for n in names)
    hubs = list(cur.alloc["hub_share"])
    if spec.hubs:
        header += "  |" + " ".join(f"{h[:6]:>7}" for h in hubs)
    if spec.targeting:
        header += "  | followers"
    lines += ["Money by instrument" + (" | by hub" if spec.hubs else "") + (" | followers' weight" if spec.targeting
                                                                              else "") + ":", header]
    checked = sorted({c.candidate for c in result.checks})

    def alloc_line(label, c):
        s = f"{label:<10} " + " ".join(f"{_pct(c.alloc['instrument_share'][n]):>10}" for n in names)
        if spec.hubs:
            s += "  |" + " ".join(f"{_pct(c.alloc['hub_share'][h]):>7}" for h in hubs)
        if spec.targeting:
            s += f"  | {c.alloc['class_weight'][CLASSES[-1]]:>9.2f}"
        return s

    for i in checked:
        lines.append(alloc_line("current" if i == 0 else f"#{i}", by_index[i]))
    lines.append("")
    for o in spec.objectives:
        lines.append(f"{o.label}:")
        lines.append(f"  {'portfolio':<10} {'search':>9} {'fresh median':>13} {'90 % interval':>21} "
                     f"{'diff vs current':>16} {'P(beats current)':>17}")
        for ch in [c for c in result.checks if c.objective == o.label]:
            c = by_index[ch.candidate]
            j = spec.objectives.index(o)
            label = "current" if ch.candidate == 0 else f"#{ch.candidate}"
            interval = f"{_num(ch.q05, o)} .. {_num(ch.q95, o)}"
            diff = "0" if ch.candidate == 0 else (f"{ch.diff_median:+.0%}" if o.target is not None
                                                  else f"{ch.diff_median:+,.1f}")
            p = "" if ch.candidate == 0 else f"{ch.p_beats:.0%}"
            lines.append(f"  {label:<10} {_num(c.objectives[j], o):>9} {_num(ch.median, o):>13} {interval:>21} "
                         f"{diff:>16} {p:>17}")
    others = [c.index for c in front if c.index not in checked]
    if others:
        lines.append(f"(Pareto portfolios not checked, beyond reevaluate.top = {spec.top}: "
                     + ", ".join(f"#{i}" for i in others) + ")")
    return "\n".join(lines)


def result_json(result: Result) -> dict:
    return {"optimisation": result.spec.id, "name": result.spec.name,
            "objectives": [o.label for o in result.spec.objectives], "epsilons": result.epsilons,
            "candidates": [{"candidate": c.index, "current": c.x is None, "pareto": c.pareto, "decision": c.x,
                            "objectives": c.objectives, **c.alloc} for c in result.candidates
                           if c.pareto or c.x is None],
            "checks": [c.__dict__ for c in result.checks]}


def main_cli(args) -> int:
    from propeller.app.progress import Stages

    spec = load_spec(args.spec)
    db = Path(args.db) if args.db else Path("outputs") / "sweeps" / f"{spec.name}.db"  # as a sweep's
    if args.dry_run:
        runs = (spec.evaluations + 1) * spec.seeds * max(spec.draws, 1)
        check = (spec.top + 1) * spec.check_seeds * max(spec.check_draws, 1)
        print(f"optimise {spec.name}: {len(spec.variables)} decisions ({', '.join(spec.variables)}), "
              f"{len(spec.objectives)} objectives; {spec.evaluations} portfolios x {spec.seeds * max(spec.draws, 1)} "
              f"runs + the current allocation = {runs} runs, then at most {check} runs to check the Pareto set on "
              f"fresh seeds and draws; results into {db}")
        return 0
    stages = Stages(enabled=not args.no_progress)
    try:
        result = optimise(spec, workers=args.workers, scheduler=args.scheduler, progress=stages.at)
    finally:
        stages.close()
    store(result, db)
    print(format_result(result))
    print(f"stored in {db} (tables optimisations, optimise_candidates, optimise_checks; optimisation {spec.id})")
    if args.json:
        print(json.dumps(result_json(result)))
    return 0


__all__ = ["Objective", "Result", "Spec", "allocation", "decision_overrides", "format_result", "load_spec",
           "optimise", "store"]
