"""Scenario discovery: under which factor values does an outcome miss its target? (``propeller discover``)

PRIM, the patient rule induction method (Friedman & Fisher 1999), as the EMA Workbench implements it
(``ema_workbench.analysis.prim``), on a sweep database: every stored run is one case, its factor values the
sweep's design point (a grid's or Latin hypercube's factors, a posterior design's parameter draw, and the scenario
when the sweep has several), and the *cases of interest* are the runs for which the outcome expression holds, e.g.
``partners_total@2030-12 < 500``. PRIM peels the factor space down to boxes that hold many cases of interest:

- **coverage**: the share of all cases of interest that fall inside the box (how much of the problem it explains);
- **density**: the share of the runs inside the box that are cases of interest (how sure a miss is inside it);
- **mass**: the share of all runs inside the box.

Each box's limits are given on the factors it restricts, with EMA's quasi-p-value of each restriction (small: the
restriction is unlikely to be chance). From the peeling trajectory the box with the highest density among those that
keep at least ``min_coverage`` of the cases of interest is chosen; after a box, its runs are set aside and the next
box is sought in the rest (EMA's default update), up to ``max_boxes``, keeping ``min_coverage`` of the cases left.
A restriction whose quasi-p-value exceeds ``max_qp`` (0.05) is dropped from the box, the least significant first
(EMA's ``drop_restriction``), as an analyst would do by hand: a box states only limits that are unlikely to be chance.

Dates (``YYYY-MM`` factor levels such as ``funding.change_date``) enter as years with a fraction (2026-01 = 2026.0)
and are written back as dates; other text factors, and the scenario, are categories.
"""

from __future__ import annotations

import json
import logging
import math
import operator
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from propeller.app.analysis import _listing, pick_sweep
from propeller.app.store import Store, StoreError
from propeller.app.sweeps.spec import SpecError
from propeller.core import outputs
from propeller.scenarios.loader import did_you_mean

OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
EXPRESSION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)@(\d{4}-\d{2})\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")
EXAMPLE = "partners_total@2030-12 < 500"
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MIN_COVERAGE = 0.5
MAX_BOXES = 2
MAX_QP = 0.05  # a restriction whose quasi-p-value is larger is dropped from the box (no more than chance)
SCENARIO = "scenario name"
FEW_LEVELS = 12  # a numeric factor with at most this many values is shown by its levels (a grid)


@dataclass(frozen=True)
class Outcome:
    """``NAME@YYYY-MM OP VALUE``: the runs for which it holds are the cases of interest."""

    name: str
    date: str
    op: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.name}@{self.date} {self.op} {self.value:g}"

    def holds(self, v: np.ndarray) -> np.ndarray:
        return OPERATORS[self.op](v, self.value)


def parse_outcome(expr: str) -> Outcome:
    m = EXPRESSION.match(expr or "")
    if not m:
        raise SpecError("--outcome", expr, f"OUTCOME@YYYY-MM OP NUMBER with OP one of <, <=, >, >= (e.g. \"{EXAMPLE}\")",
                        show_got=False)
    name, date, op, value = m.groups()
    try:
        v = float(value)
    except ValueError:
        raise SpecError("--outcome", expr, f"a number after {op} (e.g. \"{EXAMPLE}\")", show_got=False) from None
    if not math.isfinite(v):
        raise SpecError("--outcome", expr, "a finite number", show_got=False)
    if not DATE.match(date):
        raise SpecError("--outcome", expr, "a month YYYY-MM with MM 01-12", show_got=False)
    return Outcome(name, date, op, v)


@dataclass
class Restriction:
    factor: str
    kind: str                      # "number", "date" or "category"
    low: float | str | None        # number / date: the box's limits; category: None
    high: float | str | None
    categories: list[str] = field(default_factory=list)
    swept: str = ""                # the range or categories of the whole sweep
    qp: float | None = None        # EMA's quasi-p-value of the restriction (the larger of its two sides)
    levels: list = field(default_factory=list)  # a factor with few values (a grid's levels): those inside the box

    @property
    def text(self) -> str:
        if self.kind == "category":
            return ", ".join(self.categories)
        if self.levels:
            return ", ".join(map(str, self.levels))
        return f"{self.low} .. {self.high}"


@dataclass
class Box:
    coverage: float
    density: float
    mass: float
    n_runs: int                    # runs inside the box
    n_cases: int                   # cases of interest inside it
    restrictions: list[Restriction]
    trajectory: pd.DataFrame       # coverage, density, mass, res_dim along the peeling (for the trade-off)
    dropped: list[str] = field(default_factory=list)  # restrictions left out as no more than chance (qp > max_qp)


@dataclass
class Discovery:
    db: str
    sweep: str
    sweep_id: str
    outcome: Outcome
    n_runs: int
    n_cases: int
    factors: list[str]
    boxes: list[Box]
    min_coverage: float
    max_qp: float = MAX_QP

    @property
    def share(self) -> float:
        return self.n_cases / self.n_runs if self.n_runs else float("nan")

    def as_dict(self) -> dict:
        return {"db": self.db, "sweep": self.sweep, "sweep_id": self.sweep_id, "outcome": self.outcome.text,
                "runs": self.n_runs, "cases_of_interest": self.n_cases, "factors": self.factors,
                "min_coverage": self.min_coverage, "max_qp": self.max_qp,
                "boxes": [{"coverage": b.coverage, "density": b.density, "mass": b.mass, "runs": b.n_runs,
                           "cases_of_interest": b.n_cases, "dropped": b.dropped,
                           "restrictions": [{"factor": r.factor, "kind": r.kind, "low": r.low, "high": r.high,
                                             "categories": r.categories, "levels": r.levels, "swept": r.swept,
                                             "qp": r.qp}
                                            for r in b.restrictions]} for b in self.boxes]}


# ------------------------------------------------------------------------------------------ the cases
def _to_year(v: str) -> float:
    y, m = v.split("-")
    return int(y) + (int(m) - 1) / 12


def _to_date(x: float) -> str:
    months = round(x * 12)
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def _factor_table(points: pd.DataFrame, info: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per design point: the factor values (numbers, dates as years, categories) and each factor's kind."""
    overrides = [json.loads(o) if o else {} for o in points["overrides"]]
    if info["factors"]:
        columns = {f["name"]: f["keys"][0] for f in info["factors"]}
    else:  # a posterior design: the parameters of its draws; a scenarios design: none
        keys = sorted({k for o in overrides for k in o})
        columns = {k: k for k in keys}
    table, kinds = {}, {}
    for name, key in columns.items():
        values = [o.get(key) for o in overrides]
        if any(v is None or isinstance(v, (list, dict, bool)) for v in values):
            continue  # not set at every point, or not a single value: not a factor PRIM can box
        if all(isinstance(v, (int, float)) for v in values):
            table[name], kinds[name] = np.asarray(values, dtype=float), "number"
        elif all(isinstance(v, str) and DATE.match(v) for v in values):
            table[name], kinds[name] = np.asarray([_to_year(v) for v in values], dtype=float), "date"
        else:
            table[name], kinds[name] = np.asarray([str(v) for v in values], dtype=object), "category"
    if points["scenario"].nunique() > 1:  # (EMA's PRIM drops a column named "scenario": this one has another name)
        table[SCENARIO], kinds[SCENARIO] = points["scenario"].astype(str).to_numpy(dtype=object), "category"
    frame = pd.DataFrame(table, index=points["point"].to_numpy())
    varying = [c for c in frame.columns if frame[c].nunique() > 1]
    return frame[varying], {c: kinds[c] for c in varying}


def load_cases(db: str | Path, outcome: Outcome, sweep: str | None = None) -> tuple[dict, pd.DataFrame, np.ndarray,
                                                                                     dict[str, str]]:
    """(sweep info, factor values per run, the outcome per run, factor kinds) of the stored runs of a sweep."""
    with Store(db, readonly=True) as st:
        info = pick_sweep(st, sweep)
        if outcome.name not in info["outputs"]:
            known = outputs.is_output(outcome.name)
            raise StoreError("--outcome", outcome.text, f"an outcome kept by sweep {info['name']!r} "
                             f"({', '.join(info['outputs'])})" + ("" if known else " (no such outcome)"),
                             show_got=False, hint="" if known else did_you_mean(outcome.name, info["outputs"]))
        points = pd.read_sql_query("SELECT point, scenario, label, overrides FROM points WHERE sweep_id=? ORDER BY point",
                                   st.conn, params=(info["sweep_id"],))
        if outcome.date in info["key_dates"]:
            values = pd.read_sql_query(
                "SELECT sr.point, sr.replication, s.value FROM sweep_runs sr "
                "JOIN runs r ON r.run_id = sr.run_id AND r.status = 'done' "
                "JOIN summaries s ON s.run_id = r.run_id AND s.outcome = ? AND s.date = ? WHERE sr.sweep_id = ?",
                st.conn, params=(outcome.name, outcome.date, info["sweep_id"]))
        else:
            values = pd.read_sql_query(
                f'SELECT sr.point, sr.replication, o."{outcome.name}" AS value FROM sweep_runs sr '
                "JOIN runs r ON r.run_id = sr.run_id AND r.status = 'done' "
                "JOIN outcomes o ON o.run_id = r.run_id AND o.date = ? WHERE sr.sweep_id = ?",
                st.conn, params=(outcome.date, info["sweep_id"]))
    if values.empty:
        raise StoreError("--outcome", outcome.text, f"a month the runs of sweep {info['name']!r} reached (key dates "
                         f"{', '.join(info['key_dates'])}; monthly results to {info.get('until') or 'its horizon'})",
                         show_got=False)
    factors, kinds = _factor_table(points, info)
    if factors.empty:
        raise StoreError(db, "sweeps", f"a sweep whose runs differ in factors or parameters (sweep {info['name']!r} "
                         "has one design point per scenario and one scenario: nothing for PRIM to box; run a grid, "
                         "Latin hypercube or posterior design)", show_got=False)
    values = values.sort_values(["point", "replication"])
    x = factors.loc[values["point"].to_numpy()].reset_index(drop=True)
    return info, x, values["value"].to_numpy(dtype=float), kinds


# ------------------------------------------------------------------------------------------ PRIM
def _choose(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The trajectory's box with the highest density among those with coverage >= min_coverage (ties: the larger
    coverage); the first box (everything) when none qualifies beyond it."""
    ok = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    if ok.empty:
        return 0
    best = ok.sort_values(["density", "coverage"], ascending=[False, False], kind="stable")
    return int(best.index[0])


def _fmt(v: float, kind: str) -> float | str:
    if kind == "date":
        return _to_date(v)
    return float(f"{v:.4g}")


def _restrictions(box, i: int, x: pd.DataFrame, kinds: dict[str, str]) -> list[Restriction]:
    from ema_workbench.analysis import scenario_discovery_util as sdutil

    lims, full = box.box_lims[i], box.box_lims[0]
    out = []
    for unc in sdutil._determine_restricted_dims(lims, full):
        kind = kinds[unc]
        qp = box.p_values[i].get(unc)
        qp = None if qp is None else max((q for q in qp if q is not None and q >= 0), default=None)
        if kind == "category":
            cats = sorted(str(c) for c in lims[unc].iloc[0])
            out.append(Restriction(unc, kind, None, None, cats, ", ".join(sorted(map(str, x[unc].unique()))), qp))
        else:
            lo, hi = float(lims[unc].iloc[0]), float(lims[unc].iloc[1])
            values = np.unique(x[unc].to_numpy(dtype=float))
            levels = []
            if len(values) <= FEW_LEVELS:  # a grid: name the levels inside the box, and all of them
                levels = [_fmt(v, kind) for v in values if lo - 1e-9 <= v <= hi + 1e-9]
                swept = ", ".join(str(_fmt(v, kind)) for v in values)
            else:
                swept = f"{_fmt(float(values[0]), kind)} .. {_fmt(float(values[-1]), kind)}"
            out.append(Restriction(unc, kind, _fmt(lo, kind), _fmt(hi, kind), [], swept, qp, levels))
    return out


def _prim():
    import warnings

    with warnings.catch_warnings():  # EMA announces evaluators it cannot offer (ipyparallel, MPI); not needed here
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("ema_workbench").setLevel(logging.WARNING)
    return prim


def discover(db: str | Path, outcome: str | Outcome, sweep: str | None = None, min_coverage: float = MIN_COVERAGE,
             max_boxes: int = MAX_BOXES, peel_alpha: float = 0.05, max_qp: float = MAX_QP) -> Discovery:
    """PRIM on the stored runs of a sweep (module docstring); deterministic for a given database."""
    prim = _prim()

    oc = outcome if isinstance(outcome, Outcome) else parse_outcome(outcome)
    if not 0.0 < min_coverage <= 1.0:
        raise SpecError("--min-coverage", str(min_coverage), "a share in (0, 1]", show_got=False)
    info, x, y_values, kinds = load_cases(db, oc, sweep)
    y = oc.holds(y_values)
    result = Discovery(str(db), info["name"], info["sweep_id"], oc, len(y), int(y.sum()), list(x.columns), [],
                       min_coverage, max_qp)
    if y.sum() == 0 or y.all():
        return result  # nothing to separate: every run, or none, is a case of interest
    x_prim = x.copy()
    for c, k in kinds.items():
        if k == "category":
            x_prim[c] = x_prim[c].astype("category")
    with warnings.catch_warnings():  # EMA's own pandas deprecations, not this code's
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        _find_boxes(result, prim.Prim(x_prim, y, peel_alpha=peel_alpha, mass_min=0.05), x, y, kinds, min_coverage,
                    max_boxes, max_qp)
    return result


def _find_boxes(result: Discovery, finder, x: pd.DataFrame, y: np.ndarray, kinds: dict[str, str], min_coverage: float,
                max_boxes: int, max_qp: float) -> None:
    remaining = np.ones(len(y), dtype=bool)
    for _ in range(max_boxes):
        box = finder.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].reset_index(drop=True)
        # coverage is against all cases of interest: a later box is asked for min_coverage of those still left
        i = _choose(traj, min_coverage * y[remaining].sum() / y.sum())
        if i == 0:
            break  # no restriction beats the whole space at that coverage
        box.select(i)
        restr = _restrictions(box, i, x, kinds)
        dropped = []
        while restr and max(r.qp if r.qp is not None else 0.0 for r in restr) > max_qp:
            worst = max(restr, key=lambda r: r.qp if r.qp is not None else 0.0)
            box.drop_restriction(worst.factor, i)  # EMA adds the box without it to the trajectory and selects it
            i = len(box.peeling_trajectory) - 1
            dropped.append(worst.factor)
            restr = _restrictions(box, i, x, kinds)
        if not restr:
            break  # no restriction is more than chance
        inside = np.zeros(len(y), dtype=bool)
        inside[box.yi] = True
        # coverage, density and mass against the whole sweep (EMA's are against the cases left for this box)
        hits = inside & remaining
        result.boxes.append(Box(float(y[hits].sum() / y.sum()), float(y[hits].mean()) if hits.any() else 0.0,
                                float(hits.mean()), int(hits.sum()), int(y[hits].sum()), restr, traj, dropped))
        remaining &= ~inside
        if y[remaining].sum() == 0:
            break


# ------------------------------------------------------------------------------------------ the text
def words(outcome: Outcome) -> list[str]:
    return [
        f"  coverage  the share of the runs of interest ({outcome.text}) that lie inside the box",
        "  density   the share of the runs inside the box that are of interest: how likely it is under those conditions",
        "  mass      the share of all runs that lie inside the box",
        "  qp        the quasi-p-value of a limit: small (< 0.05) = unlikely to be chance",
    ]


def format_discovery(d: Discovery, trade_off: bool = True) -> str:
    lines = [f"Scenario discovery (PRIM, EMA Workbench) on sweep {d.sweep} ({d.sweep_id[:16]}): {d.n_runs} runs; "
             f"{d.outcome.text} in {d.n_cases} of them ({d.share:.0%})."]
    if d.n_cases == 0 or d.n_cases == d.n_runs:
        lines.append(f"{'No' if d.n_cases == 0 else 'Every'} run meets {d.outcome.text}: there are no conditions to "
                     "separate; PRIM finds no box.")
        return "\n".join(lines)
    lines.append(f"Factors: {_listing(d.factors, 10)}.")
    if not d.boxes:
        lines.append(f"No box keeps {d.min_coverage:.0%} of the runs of interest with a higher density than the sweep "
                     f"as a whole ({d.share:.0%}) and limits that are more than chance (qp <= {d.max_qp:g}): the "
                     "outcome does not depend clearly on where in their ranges a run lies (try --min-coverage 0.3, more "
                     "runs, or a sweep over other factors).")
        return "\n".join(lines)
    lines += ["", *words(d.outcome)]
    for k, b in enumerate(d.boxes, 1):
        lines += ["", f"Box {k}: coverage {b.coverage:.0%}, density {b.density:.0%}, mass {b.mass:.0%} "
                      f"({b.n_cases} of the {b.n_runs} runs inside it meet {d.outcome.text})"]
        width = max(len(r.factor) for r in b.restrictions)
        for r in b.restrictions:
            qp = "" if r.qp is None else f"   qp {r.qp:.2g}"
            lines.append(f"  {r.factor:<{width}}  {r.text:<24} (swept: {r.swept}){qp}")
        if b.dropped:
            lines.append(f"  (limits on {', '.join(b.dropped)} left out: no more than chance, qp > {d.max_qp:g})")
        if trade_off and k == 1:
            t = b.trajectory
            picks = sorted(set(np.linspace(0, len(t) - 1, min(len(t), 6)).round().astype(int)))
            lines.append("  trade-off along the peeling (coverage / density): "
                         + ", ".join(f"{t.at[i, 'coverage']:.0%} / {t.at[i, 'density']:.0%}" for i in picks))
    return "\n".join(lines)


def main_cli(args) -> int:
    d = discover(args.db, args.outcome, sweep=args.sweep, min_coverage=args.min_coverage, max_boxes=args.boxes)
    print(format_discovery(d))
    if args.json:
        print(json.dumps(d.as_dict()))
    return 0


__all__: Sequence[str] = ["Box", "Discovery", "Outcome", "Restriction", "discover", "format_discovery",
                          "load_cases", "parse_outcome"]
