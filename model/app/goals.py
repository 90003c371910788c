"""The sector's goals answered: the probability that each is met by its year, and what the answer hangs on.

For each output with a dated programme target (``propeller.core.outputs``: labour productivity +40 % by 2050 against
the null scenario, half the market industrial, sustainable and digital by 2030, -50 % primary raw materials by 2030,
and Arnhem-Nijmegen's two 2030 targets) and each scenario of a sweep (its runs: posterior draws x seeds, so the
probability holds both the parameter and the stochastic uncertainty):

* P(met at the end of each year) up to the target's year, and the median and 90 % interval at the target's month;
* the pathway assumption the answer depends on most - of those applied after the run (``scenarios/pathway.csv``,
  column ``post_run``), each moved over its range with every run's counts kept (``propeller.core.sector.derived``):
  the one that moves the median most - and the value of that assumption at which the answer would flip (the median
  reaching the target), searched over every value the scenario loader accepts. Where no value does, it says so, and
  (productivity, materials) how high the use of the themes would have to be instead.

    propeller goals outputs/sweeps/sector_goals.db [--json]
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from propeller.core import outputs, sector
from propeller.core.constants import THEMES, TYPES
from propeller.scenarios.loader import SCENARIO_DIR

PATHWAY_TABLE = SCENARIO_DIR / "pathway.csv"

# The values the scenario loader accepts for each post-run assumption (scenarios/loader.py RULES): the flip search's
# bounds, wider than the plausible ranges of pathway.csv.
ACCEPTED = {"productivity.theme_gain": (-0.5, 2.0), "sector.trend_per_year": (-0.05, 0.1),
            "sector.material_saving": (0.0, 1.0), "sector.hub_region_share": (0.0, 1.0),
            "sector.outside_ratio": (0.0, 2.0), "sector.outside_lag_months": (0.0, 240.0)}
# An assumption whose range moves the median by less than this share of the distance to the target drives nothing.
NEGLIGIBLE = 0.01
# Which post-run assumptions each goal's output reads.
READS = {
    "productivity_index": ("productivity.theme_gain", "sector.hub_region_share", "sector.outside_ratio",
                           "sector.outside_lag_months"),
    "sector_productivity_index": ("productivity.theme_gain", "sector.trend_per_year", "sector.hub_region_share",
                                  "sector.outside_ratio", "sector.outside_lag_months"),
    "primary_material_index": ("sector.material_saving", "sector.hub_region_share", "sector.outside_ratio",
                               "sector.outside_lag_months"),
    "market_share_all_three": ("sector.hub_region_share", "sector.outside_ratio", "sector.outside_lag_months"),
    "primary_material_index_region": ("sector.material_saving",),
    "market_share_industrial_region": (),
}
# The pre-run assumption a goal depends on most when no post-run one moves it (a re-run at its bounds is needed).
PRE_RUN = {"market_share_industrial_region": "initial_state.pool_adopteren_by_theme.industrialisation",
           "market_share_all_three": "initial_state.pool_adopteren_by_theme.biobased_circular",  # the rarest of three
           "productivity_index": "initial_state.pool_adopteren_by_theme.industrialisation",
           "sector_productivity_index": "initial_state.pool_adopteren_by_theme.industrialisation",
           "primary_material_index": "initial_state.pool_adopteren_by_theme.biobased_circular",
           "primary_material_index_region": "initial_state.pool_adopteren_by_theme.biobased_circular"}


@dataclass(frozen=True)
class Assumption:
    key: str            # dotted, with the theme for per-theme lists (productivity.theme_gain.industrialisation)
    label: str          # in words, for the reader ("the labour gain of industrialisation")
    low: float
    high: float
    basis: str
    source: str
    post_run: bool

    @property
    def family(self) -> str:
        """The scenario key without the theme or type (productivity.theme_gain)."""
        return _family(self.key)

    @property
    def pathway_field(self) -> str:
        """The :class:`propeller.core.sector.Pathway` field (with ``.theme`` for a per-theme one)."""
        name = self.key.split(".", 1)[1]
        return name

    @property
    def accepted(self) -> tuple[float, float]:
        return ACCEPTED[self.family]


def load_pathway(path: Path = PATHWAY_TABLE) -> list[Assumption]:
    """The pathway table: every assumption after the kernel's counts, with its range and basis."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    rows = []
    for r in csv.DictReader(lines):
        rows.append(Assumption(r["key"], r["label"], float(r["low"]), float(r["high"]), r["basis"], r["source"],
                               r["post_run"].strip() == "yes"))
    return rows


@dataclass
class Run:
    """One stored run: its pathway (from its parameters) and the columns the goals read, by month."""

    scenario: str
    pathway: sector.Pathway
    frame: pd.DataFrame          # date-indexed
    seed: int = 0
    params: dict | None = None   # the run's record (to re-run it with a pre-run assumption changed)

    def value(self, output: str, date: str, pathway: sector.Pathway | None = None) -> float:
        if pathway is None or output not in sector.DERIVED:
            return float(self.frame.at[date, output])
        i = self.frame.index.get_loc(date)
        raw = self._raw()
        derived = sector.derived(pathway, {k: v[:i + 1] for k, v in raw.items()})  # the months up to the date
        return float(derived[output][i])

    def _raw(self) -> dict[str, np.ndarray]:
        """The counts :func:`sector.derived` reads, as arrays (read once)."""
        if not hasattr(self, "_raw_cache"):
            self._raw_cache = {c: self.frame[c].to_numpy(float) for c in sector.RAW_COLUMNS}
        return self._raw_cache


@dataclass
class Answer:
    scenario: str
    output: str
    target: outputs.Target
    runs: int
    p_by_year: dict[int, float]
    median: float
    low: float                   # 5 %
    high: float                  # 95 %
    driver: str = ""             # the post-run assumption that moves the median most ("" if none)
    driver_label: str = ""       # the same in words
    driver_range: tuple[float, float] | None = None
    median_at_range: tuple[float, float] | None = None   # the median at the driver's low and high
    flip: float | None = None    # the driver's value at which the median reaches the target (None: no value does)
    needed_use: float | None = None   # use level of every theme by the target's year that would reach it
    pre_run: str = ""            # the pre-run assumption it depends on (no post-run one moves it)
    pre_run_label: str = ""
    rerun: int = 0               # runs re-run at the pre-run assumptions' bounds (0: not asked for)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def p(self) -> float:
        return self.p_by_year[int(self.target.by[:4])]

    def sentence(self, t=None, keys: bool = True) -> str:
        """The answer in one or two sentences, in the language of ``t`` (the report's Text; default English); with
        ``keys`` the assumptions' scenario keys in brackets (the command line), without them words only (the report)."""
        from propeller.app.report.i18n import Text

        t = t or Text("en")
        o = outputs.get(self.output)
        fmt = (lambda v: f"{v:.1%}") if o.percent else (lambda v: f"{v:.1f}")
        s = t("goal_sentence", goal=t.label(self.output), target=t("goal" + self.target.key.removeprefix("target")),
              p=f"{self.p:.0%}", scenario=self.scenario if keys else t.scenario(self.scenario), runs=self.runs,
              median=fmt(self.median), low=fmt(self.low), high=fmt(self.high), by=self.target.by)
        if self.driver:
            lo, hi = self.driver_range
            mlo, mhi = self.median_at_range
            name = f"{self.driver_label} ({self.driver})" if keys else self.driver_label
            s += t("goal_driver", driver=name, lo=f"{lo:g}", hi=f"{hi:g}", mlo=fmt(mlo), mhi=fmt(mhi))
            if self.flip is not None:
                s += t("goal_flip", driver=self.driver_label, value=f"{self.flip:.3g}")
                if self.rerun and _family(self.driver) in PRE_RUN_READS:
                    s += t("goal_rerun_note", n=self.rerun)
            else:
                a, b = ACCEPTED[_family(self.driver)]
                s += t("goal_noflip", a=f"{a:g}", b=f"{b:g}")
        elif self.pre_run and self.rerun:
            s += t("goal_nothing_moves", n=self.rerun)
        elif self.pre_run:
            s += t("goal_prerun", assumption=f"{self.pre_run_label} ({self.pre_run})" if keys else self.pre_run_label)
        if self.needed_use is not None and self.flip is None:
            s += t("goal_needed", use=f"{self.needed_use:.0%}") if self.needed_use <= 1 else t("goal_unreachable")
        return s


def _family(key: str) -> str:
    head, _, tail = key.rpartition(".")
    return head if tail in THEMES or tail in TYPES else key


def goals() -> list[outputs.Output]:
    """The outputs with a dated target."""
    return [o for o in outputs.targets() if o.target.by]


def load_runs(db: str | Path, sweep: str | None = None) -> dict[str, list[Run]]:
    """The sweep's runs per scenario label, with the columns the goals read."""
    return load(db, sweep)[1]


def has_goals(kept) -> bool:
    """Whether a sweep that kept these columns can be asked about the goals."""
    return all(c in kept for c in ({o.name for o in goals()} | set(sector.RAW_COLUMNS)))


def load(db: str | Path, sweep: str | None = None) -> tuple[dict, dict[str, list[Run]]]:
    """The sweep (``analysis.pick_sweep``'s info) and its runs per scenario label, with the columns the goals read."""
    from propeller.app.report.data import SweepData

    data = SweepData.load(db, sweep=sweep, reruns=0)
    need = sorted({o.name for o in goals()} | set(sector.RAW_COLUMNS))
    missing = [c for c in need if c not in data.kept]
    if missing:
        from propeller.app.report.data import ReportError

        raise ReportError(db, "outputs", "a sweep that keeps the sector's columns (scenarios/sweeps/sector_goals.toml"
                          f"; missing {', '.join(missing[:4])}{'...' if len(missing) > 4 else ''})", show_got=False)
    by_run = {rid: g.set_index("date") for rid, g in data.outcomes.groupby("run_id", sort=False)}
    out: dict[str, list[Run]] = {}
    for _, row in data.runs.iterrows():
        params = json.loads(row["params"]) if isinstance(row["params"], str) else row["params"]
        out.setdefault(row["label"], []).append(Run(row["label"], sector.Pathway.from_params(params),
                                                    by_run[row["run_id"]], int(row["seed"]), params))
    return data.info, out


def _medians(runs: list[Run], output: str, date: str, assumption: str | None, value: float | None) -> float:
    vals = [r.value(output, date, r.pathway.replace(**{assumption: value}) if assumption else None) for r in runs]
    return float(np.median(vals))


def _flip(runs: list[Run], output: str, target: outputs.Target, field_: str, bounds: tuple[float, float]) -> float | None:
    """The assumption's value at which the median reaches the target (bisection; None if no value in ``bounds``)."""
    def gap(v):
        return _medians(runs, output, target.by, field_, v) - target.value

    a, b = bounds
    ga, gb = gap(a), gap(b)
    if ga == 0:
        return a
    if math.copysign(1, ga) == math.copysign(1, gb):
        return None
    for _ in range(40):
        m = 0.5 * (a + b)
        gm = gap(m)
        if math.copysign(1, gm) == math.copysign(1, ga):
            a, ga = m, gm
        else:
            b = m
    return 0.5 * (a + b)


def _needed_use(runs: list[Run], output: str, target: outputs.Target) -> float | None:
    """For the productivity and material indices: the use level of every theme at the target's month that gives the
    target with the median run's starting use (> 1: not reachable)."""
    if output not in ("productivity_index", "sector_productivity_index", "primary_material_index"):
        return None
    path = runs[0].pathway
    start = np.array([np.median([r.frame[f"modelled_use_{t}"].iloc[0] for r in runs]) for t in THEMES])
    years = (pd.Period(target.by, "M") - pd.Period(runs[0].frame.index[0], "M")).n / 12.0
    if output == "primary_material_index":
        m = np.asarray(path.material_saving)
        def index(u): return 100.0 * np.prod(1 - m * u) / np.prod(1 - m * start)
    else:
        g = np.asarray(path.theme_gain)
        trend = (1 + path.trend_per_year) ** years if output == "sector_productivity_index" else 1.0
        def index(u): return 100.0 * trend * np.prod(1 + g * u) / np.prod(1 + g * start)
    if not target.met(index(1.0)):
        return math.inf  # not reachable even at standard use of every theme
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if target.met(index(mid)):
            hi = mid
        else:
            lo = mid
    return hi


def answer(runs: list[Run], output: str, pathway: list[Assumption] | None = None) -> Answer:
    o = outputs.get(output)
    target = o.target
    by_year = int(target.by[:4])
    first = int(runs[0].frame.index[0][:4])
    month = target.by[5:]
    p_by_year = {}
    for year in range(first, by_year + 1):
        date = f"{year}-{month}"
        if date not in runs[0].frame.index:
            continue
        p_by_year[year] = float(np.mean([bool(target.met(r.value(output, date))) for r in runs]))
    at = np.array([r.value(output, target.by) for r in runs])
    ans = Answer(runs[0].scenario, output, target, len(runs), p_by_year, float(np.median(at)),
                 float(np.quantile(at, 0.05)), float(np.quantile(at, 0.95)))
    pathway = load_pathway() if pathway is None else pathway
    best, best_move = None, 0.0
    for a in pathway:
        if not a.post_run or a.family not in READS.get(output, ()):
            continue
        lo, hi = (_medians(runs, output, target.by, a.pathway_field, v) for v in (a.low, a.high))
        if abs(hi - lo) > best_move + 1e-12:
            best, best_move, ans.median_at_range = a, abs(hi - lo), (lo, hi)
    # a move smaller than 1 % of the distance to the target does not make an assumption the answer's driver
    if best is not None and best_move < NEGLIGIBLE * abs(target.value - ans.median):
        best, ans.median_at_range = None, None
    if best is not None:
        ans.driver, ans.driver_label, ans.driver_range = best.key, best.label, (best.low, best.high)
        ans.flip = _flip(runs, output, target, best.pathway_field, best.accepted)
    else:
        ans.pre_run = PRE_RUN.get(output, "")
        ans.pre_run_label = next((a.label for a in pathway if a.key == ans.pre_run), ans.pre_run)
    ans.needed_use = _needed_use(runs, output, target)
    return ans


def answers(runs_by_scenario: dict[str, list[Run]], rerun: int = 0, workers: int = 1,
            scheduler: str | None = None, log=None, progress=None) -> list[Answer]:
    """Every goal for every scenario. With ``rerun`` = N, the first scenario's first N runs are also re-run with
    each pre-run assumption at the ends of its range, and an answer's driver is the assumption - applied before or
    after the run - that moves its median most (:func:`pre_run_effects`)."""
    pathway = load_pathway()
    items = [answer(runs, o.name, pathway) for runs in runs_by_scenario.values() for o in goals()]
    if rerun:
        first = next(iter(runs_by_scenario))
        effects = pre_run_effects(runs_by_scenario[first][:rerun], pathway, workers, scheduler, log, progress)
        for a in items:
            if a.scenario == first:
                _apply_pre_run(a, effects, pathway, min(rerun, len(runs_by_scenario[first])))
    return items


# Pre-run assumptions that change what the kernel counts, and whether each goal reads them.
PRE_RUN_READS = {
    "initial_state.pool_adopteren_by_theme": tuple(o for o in READS),
    "productivity.step_use": tuple(o for o in READS),
    "sector.value_added_per_employee": ("productivity_index", "sector_productivity_index", "primary_material_index",
                                        "primary_material_index_region"),
}
ACCEPTED.update({"initial_state.pool_adopteren_by_theme": (0.0, 0.95), "productivity.step_use": (0.0, 1.0),
                 "sector.value_added_per_employee": (0.01, 100.0)})


def _override(params: dict, key: str, value: float) -> dict:
    """The scenario override that sets one pre-run assumption (a theme's element, borgen's use, or a key)."""
    family, _, last = key.rpartition(".")
    if last in THEMES and family in params:
        values = list(params[family])
        values[THEMES.index(last)] = float(value)
        return {family: values}
    if key == "productivity.step_use":  # the range is borgen's ("in part of the work"); opschalen stays 1
        values = list(params[key])
        values[0] = float(value)
        return {key: values}
    return {key: float(value)}


def _rerun_one(item) -> dict[str, float]:
    """Re-run one stored run with one override; the goals' outputs at their months."""
    from propeller.app.sweeps.record import scenario_from_record
    from propeller.core.simulate import simulate

    params, override, seed, until = item
    sc = scenario_from_record(params).with_overrides(override, origin="goals --rerun")
    ts = simulate(sc, seed=seed, until=until)["timeseries"].set_index("date")
    return {o.name: float(ts.at[o.target.by, o.name]) for o in goals() if o.target.by in ts.index}


def pre_run_effects(runs: list[Run], pathway: list[Assumption], workers: int = 1, scheduler: str | None = None,
                    log=None, progress=None) -> dict[tuple[str, float], dict[str, float]]:
    """(assumption key, value) -> goal output -> median over ``runs`` re-run (same seeds) with that value, for each
    pre-run assumption at the low and high end of its range."""
    from propeller.app.runner import Executor

    pre = [a for a in pathway if not a.post_run]
    until = max(o.target.by for o in goals())
    items, keys = [], []
    for a in pre:
        for v in (a.low, a.high):
            for r in runs:
                items.append((r.params, _override(r.params, a.key, v), r.seed, until))
                keys.append((a.key, v))
    if log:
        log(f"goals: re-running {len(runs)} runs x {len(pre)} pre-run assumptions x 2 ends = {len(items)} runs")
    with Executor(workers, scheduler) as ex:
        results = list(ex.map(_rerun_one, items,
                              progress=(lambda done, total: progress("re-running at the assumptions' ends", done, total))
                              if progress else None))
    grouped: dict[tuple[str, float], list[dict]] = {}
    for k, res in zip(keys, results, strict=True):
        grouped.setdefault(k, []).append(res)
    return {k: {name: float(np.median([r[name] for r in rs])) for name in rs[0]} for k, rs in grouped.items()}


def _apply_pre_run(a: Answer, effects: dict, pathway: list[Assumption], n: int) -> None:
    """Make a pre-run assumption the answer's driver where it moves the median more than the post-run one; its flip
    value is interpolated linearly between the two ends (extrapolated within the accepted values)."""
    best, at = None, None
    best_move = max(abs(a.median_at_range[1] - a.median_at_range[0]) if a.median_at_range else 0.0,
                    NEGLIGIBLE * abs(a.target.value - a.median))
    for asm in pathway:
        if asm.post_run or a.output not in PRE_RUN_READS.get(asm.family, ()):
            continue
        lo, hi = effects[(asm.key, asm.low)][a.output], effects[(asm.key, asm.high)][a.output]
        if abs(hi - lo) > best_move + 1e-12:
            best, best_move, at = asm, abs(hi - lo), (lo, hi)
    a.rerun = n
    if best is None:
        return
    a.driver, a.driver_label, a.driver_range, a.median_at_range = best.key, best.label, (best.low, best.high), at
    a.pre_run = a.pre_run_label = ""
    slope = (at[1] - at[0]) / (best.high - best.low)
    flip = best.low + (a.target.value - at[0]) / slope if slope else None
    lo_ok, hi_ok = ACCEPTED[best.family]
    a.flip = flip if flip is not None and lo_ok <= flip <= hi_ok else None


def table(items: list[Answer]) -> pd.DataFrame:
    rows = []
    for a in items:
        row = {"scenario": a.scenario, "goal": outputs.get(a.output).label, "target": a.target.text,
               "runs": a.runs, "median": a.median, "p05": a.low, "p95": a.high}
        row.update({f"P {y}": p for y, p in a.p_by_year.items() if y % 5 == 0 or y == max(a.p_by_year)})
        row.update({"depends most on": a.driver or a.pre_run, "flips at": "" if a.flip is None else a.flip})
        rows.append(row)
    return pd.DataFrame(rows)


def run_lines(ts: pd.DataFrame, params) -> list[str]:
    """The goals block of a `propeller run` summary: each dated goal the run reaches, its value and whether this one
    run meets it. Only for a scenario that models the sector (``sector.hub_region_share`` < 1, the national one):
    elsewhere the sector columns describe the modelled organisations, not the sector."""
    if float(params["sector.hub_region_share"]) >= 1.0:
        return []
    ts = ts.set_index("date")
    lines = []
    for o in goals():
        if o.target.by not in ts.index:
            continue
        v = float(ts.at[o.target.by, o.name])
        lines.append(f"  {o.label:<58} {o.format(v):>8} in {o.target.by}  target {o.target.text:<26} "
                     f"{'met' if o.target.met(v) else 'not met'}")
    if lines:
        lines = ["", "Sector goals (this one run; the probability over posterior draws and seeds: "
                 "propeller sweep scenarios/sweeps/sector_goals.toml, then propeller goals DB):", *lines]
    return lines


def main_cli(args) -> int:
    import sys

    from propeller.app.progress import Stages

    stages = Stages(enabled=not getattr(args, "no_progress", False))
    items = answers(load_runs(args.db, getattr(args, "sweep", None)), rerun=getattr(args, "rerun", 0) or 0,
                    workers=getattr(args, "workers", 1), scheduler=getattr(args, "scheduler", None),
                    log=lambda m: print(m, file=sys.stderr, flush=True), progress=stages.at)
    stages.close()
    df = table(items)
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep=""))
    print()
    for a in items:
        print(a.sentence())
    if getattr(args, "json", False):
        print(json.dumps([{"scenario": a.scenario, "output": a.output, "target": a.target.value, "by": a.target.by,
                           "p": a.p, "p_by_year": a.p_by_year, "median": a.median, "p05": a.low, "p95": a.high,
                           "driver": a.driver, "flip": a.flip,
                           "needed_use": a.needed_use if a.needed_use is None or math.isfinite(a.needed_use) else None}
                          for a in items]))
    return 0


__all__ = ["Answer", "answer", "answers", "goals", "load_pathway", "load_runs", "run_lines", "table"]
