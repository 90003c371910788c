"""What the report reads: the runs of one sweep, their stored outcome columns, a few re-runs, the observations.

A sweep database keeps only the timeseries columns its spec lists (``outputs``), one row per run and month.
The report reads those (``SweepData.matrix``: runs x months per scenario) and summarises them over the runs:
quantile bands per month and the share of runs that reached a target by each year.

Occupancy (organisations per propeller step and route) and the organisations behind the spider diagrams are not
timeseries columns, so the store does not keep them. Rather than widen the store's schema, the report re-runs a
handful of runs of a scenario from their stored records (``scenario_from_record`` + seed: the computation
``propeller sweep --rerun`` repeats exactly) with snapshots of every organisation's ring at the spider dates, and
checks that each re-run reproduces its stored rows. The same re-runs stand in for any column the sweep did not
keep (the report says so under the figure); ``scenarios/sweeps/steering_report.toml`` keeps every column the
report draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from propeller.app.store import Store
from propeller.app.sweeps.spec import SpecError
from propeller.core import outputs
from propeller.core.constants import HUBS, TYPES

# The timeseries columns the report draws (scenarios/sweeps/steering_report.toml keeps them all); labels, formats,
# targets and dates are declared in propeller.core.outputs.
HEADLINE = outputs.HEADLINE
REPORT_COLUMNS: tuple[str, ...] = (
    "partners_total", "partners_four_hubs", *outputs.family("partners_{hub}"), *outputs.family("partners_type_{type}"),
    "kpi4_mkb", "kpi4_mkb_four_hubs", "kpi5_skilled", "kpi5_skilled_four_hubs",
    "adopted_share", *outputs.family("adopted_share_{theme}"), *outputs.family("ring{ring}_{hub}"),
    "productivity_index",
)
# Targets: programme ambition 130 -> 500+ organisations [000 L993-995]; KPI 4 >= 130 MKB companies and KPI 5
# +650 people with new skills [003 L519-563] (docs/ODD.md §1): (target key, column, value).
# the programme's own targets (partners, KPIs); the sector's dated goals are answered by propeller.app.goals
TARGETS = tuple((o.target.key, o.name, o.target.value) for o in outputs.targets() if not o.target.by)
SPIDER_DATES = outputs.SPIDER_DATES
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class ReportError(SpecError):
    """Bad input for the report, as one line ``file-or-argument: key: expected ...``."""


@dataclass
class Rerun:
    run_id: str
    label: str
    seed: int
    timeseries: pd.DataFrame
    occupancy: pd.DataFrame
    rings: dict[str, np.ndarray]       # date -> N x H ring (0 unknown, 1-4) at the end of that month
    otype: np.ndarray                  # N: Table 3.1 type index
    identical: bool | None             # re-run equals the stored rows (None: nothing stored to compare)


@dataclass
class SweepData:
    db: Path
    info: dict                         # the sweep (propeller.app.analysis.pick_sweep)
    runs: pd.DataFrame                 # one row per (scenario label, run): label, run_id, seed, point, ...
    labels: list[str]                  # scenario labels in design order (after --scenario)
    reference: str | None
    kept: list[str]                    # columns every selected run kept
    outcomes: pd.DataFrame             # run_id, month, date + kept columns
    code_version: str
    reruns: list[Rerun] = field(default_factory=list)
    rerun_columns: list[str] = field(default_factory=list)   # report columns taken from the re-runs
    reference_rule: str = "none"       # how the reference was chosen (propeller.app.analysis.REFERENCE_RULES)

    # ------------------------------------------------------------------ reading
    @classmethod
    def load(cls, db: str | Path, sweep: str | None = None, scenarios: list[str] | None = None,
             reference: str | None = None, reruns: int = 6, progress=None) -> SweepData:
        from propeller.app.analysis import pick_sweep
        from propeller.app.sweeps.record import code_version

        db = Path(db)
        if not db.exists():
            raise ReportError(db, "(file)", "an existing sweep database (propeller sweep SPEC --db PATH)",
                              show_got=False)
        with Store(db, readonly=True) as st:
            info = pick_sweep(st, sweep)
            runs = pd.read_sql_query(
                "SELECT sr.point, sr.replication, p.label, p.scenario, r.run_id, r.seed, r.until, r.code_version, "
                "r.outputs, r.scenario_file, r.params FROM sweep_runs sr "
                "JOIN points p ON p.sweep_id = sr.sweep_id AND p.point = sr.point "
                "JOIN runs r ON r.run_id = sr.run_id AND r.status = 'done' "
                "WHERE sr.sweep_id = ? ORDER BY sr.point, sr.replication", st.conn, params=(info["sweep_id"],))
            runs = runs.drop_duplicates(["label", "run_id"]).reset_index(drop=True)
            if runs.empty:
                raise ReportError(db, "runs", f"stored runs of sweep {info['name']!r} (none are done yet: run "
                                  "`propeller sweep SPEC` first)", show_got=False)
            labels = list(dict.fromkeys(runs["label"]))
            if scenarios:
                names = set(labels) | set(runs["scenario"])
                for s in scenarios:
                    if s not in names:
                        raise ReportError("--scenario", s, f"a scenario of sweep {info['name']!r} in {db} "
                                          f"({', '.join(labels)})", show_got=False)
                labels = [lab for lab in labels if lab in scenarios
                          or runs.loc[runs["label"] == lab, "scenario"].iloc[0] in scenarios]
                runs = runs[runs["label"].isin(labels)].reset_index(drop=True)
            if reference is not None and reference not in labels:
                raise ReportError("--reference", reference, f"one of the report's scenarios ({', '.join(labels)})",
                                  show_got=False)
            from propeller.app.analysis import pick_reference

            ref, rule = pick_reference(labels, reference)
            ref = ref or labels[0]  # one scenario: its own runs are the reference of the figures (no differences)
            kept_sets = [set(json.loads(o)) for o in runs["outputs"].unique()]
            kept = [c for c in json.loads(runs["outputs"].iloc[0]) if all(c in k for k in kept_sets)]
            ids = list(runs["run_id"].unique())
            cols = ", ".join(f"[{c}]" for c in kept)
            parts = []
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                parts.append(pd.read_sql_query(
                    f"SELECT run_id, month, date{', ' + cols if cols else ''} FROM outcomes "
                    f"WHERE run_id IN ({','.join('?' * len(chunk))}) ORDER BY run_id, month", st.conn, params=chunk))
            outcomes = pd.concat(parts, ignore_index=True)
        data = cls(db, info, runs, labels, ref, kept, outcomes, code_version())
        data.rerun_columns = [c for c in REPORT_COLUMNS if c not in kept]
        data.reference_rule = rule
        data.do_reruns(reruns, all_labels=bool(data.rerun_columns), progress=progress)
        return data

    # ------------------------------------------------------------------ re-runs
    def pick_reruns(self, label: str, n: int) -> pd.DataFrame:
        """``n`` runs of a scenario spread evenly over its design points and replications."""
        rows = self.runs[self.runs["label"] == label]
        idx = np.unique(np.linspace(0, len(rows) - 1, max(1, min(n, len(rows)))).round().astype(int))
        return rows.iloc[idx]

    def do_reruns(self, n: int, all_labels: bool, progress=None) -> None:
        if n <= 0:  # the stored columns only (propeller goals)
            return
        labels = self.labels if all_labels else [self.reference]
        todo = [(label, row) for label in labels for row in self.pick_reruns(label, n).itertuples(index=False)]
        for label, row in todo:
            self.reruns.append(self._rerun(row))
            if progress:  # propeller.app.progress.Stages
                progress("re-running stored runs", f"re-ran {row.run_id} ({label}, seed {row.seed})", len(todo))

    def _rerun(self, row) -> Rerun:
        from propeller.app.sweeps.record import scenario_from_record
        from propeller.core import calendar
        from propeller.core.model import PropellerModel

        sc = scenario_from_record(json.loads(row.params))
        model = PropellerModel(sc, rng=int(row.seed), with_agents=False)
        start = sc["simulation.start"]
        rings: dict[str, np.ndarray] = {}
        done = 0
        for d in SPIDER_DATES:
            k = calendar.offset(start, d)
            if 0 <= k <= model.n_months:
                if k > done:
                    model.run_for(k - done)
                    done = k
                rings[d] = model.eco.rings().astype(np.int8)
        if model.n_months > done:
            model.run_for(model.n_months - done)
        out = model.outcomes()
        ts = out["timeseries"]
        stored = self.outcomes[self.outcomes["run_id"] == row.run_id].sort_values("month")
        identical = None
        if self.kept and len(stored):
            identical = len(stored) == len(ts) and all(
                np.array_equal(stored[c].to_numpy(dtype=float), ts[c].to_numpy(dtype=float)) for c in self.kept)
        return Rerun(row.run_id, row.label, int(row.seed), ts, out["occupancy"], rings, model.pop.otype.copy(),
                     identical)

    def reruns_of(self, label: str) -> list[Rerun]:
        return [r for r in self.reruns if r.label == label]

    # ------------------------------------------------------------------ matrices and summaries
    @property
    def dates(self) -> list[str]:
        if len(self.outcomes):
            return sorted(self.outcomes["date"].unique())
        return sorted(self.reruns[0].timeseries["date"]) if self.reruns else []

    def source(self, column: str) -> str:
        return "store" if column in self.kept else "reruns"

    def matrix(self, label: str, column: str) -> pd.DataFrame:
        """Runs x dates of one column for one scenario (from the store, or the re-runs if the sweep lacks it)."""
        if column in self.kept:
            ids = self.runs.loc[self.runs["label"] == label, "run_id"]
            sub = self.outcomes[self.outcomes["run_id"].isin(set(ids))]
            return sub.pivot(index="run_id", columns="date", values=column).astype(float)
        rows = {r.run_id: r.timeseries.set_index("date")[column] for r in self.reruns_of(label)
                if column in r.timeseries.columns}
        if not rows:
            return pd.DataFrame()
        return pd.DataFrame(rows).T.astype(float)

    def bands(self, label: str, column: str) -> pd.DataFrame:
        """Per date: quantiles 5, 25, 50, 75, 95 % over the runs of a scenario, and n."""
        m = self.matrix(label, column)
        if m.empty:
            return pd.DataFrame(columns=["q05", "q25", "q50", "q75", "q95", "n"])
        v = m.to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            q = np.nanquantile(v, QUANTILES, axis=0) if np.isfinite(v).any() else np.full((5, v.shape[1]), np.nan)
        out = pd.DataFrame(q.T, index=m.columns, columns=["q05", "q25", "q50", "q75", "q95"])
        out["n"] = np.isfinite(v).sum(axis=0)
        return out

    def at(self, label: str, column: str, date: str) -> np.ndarray:
        m = self.matrix(label, column)
        if m.empty or date not in m.columns:
            return np.array([])
        v = m[date].to_numpy(dtype=float)
        return v[np.isfinite(v)]

    def years(self) -> list[int]:
        """Years whose December every run reaches."""
        ds = self.dates
        if not ds:
            return []
        first, last = int(ds[0][:4]), ds[-1]
        return [y for y in range(first, int(last[:4]) + 1) if f"{y}-12" <= last]

    def reach_probability(self, label: str, column: str, threshold: float) -> dict[int, float]:
        """Year -> share of runs whose value is >= threshold at the end of that year (its last month up to December:
        a run that reached the target and fell below again does not count, so a scenario in which partners leave
        after the programme shows it)."""
        m = self.matrix(label, column)
        out: dict[int, float] = {}
        if m.empty:
            return out
        dates = list(m.columns)
        v = m.to_numpy(dtype=float)
        above = np.nan_to_num(v, nan=-np.inf) >= threshold
        for y in self.years():
            last = max((i for i, d in enumerate(dates) if d <= f"{y}-12"), default=None)
            if last is not None:
                out[y] = float(above[:, last].mean())
        return out

    def active_hubs(self) -> list[str]:
        """Hubs with partners in some run and month (a regional sweep has one)."""
        out = []
        for h in HUBS:
            col = f"partners_{h}"
            if any(np.nanmax(self.matrix(lab, col).to_numpy(dtype=float), initial=0) > 0 for lab in self.labels
                   if not self.matrix(lab, col).empty):
                out.append(h)
        return out

    def n_runs(self, label: str) -> int:
        return int((self.runs["label"] == label).sum())

    def scenario_file(self, label: str) -> str:
        return str(self.runs.loc[self.runs["label"] == label, "scenario_file"].iloc[0])


# ----------------------------------------------------------------------------------------------
def observed_points(targets: pd.DataFrame | None = None) -> dict[str, list[tuple[str, float]]]:
    """Column -> [(date, value)] of the observations in calibration/targets.toml that a report column shows.

    Hub totals and the four-hub partners and KPIs are read as they are; per type, the four-hub sum of Table 3.1
    in September 2025 and, through the table's change column, in March 2024."""
    from propeller.calibration.targets import load_targets, observations

    t = load_targets() if targets is None else targets
    out: dict[str, list[tuple[str, float]]] = {c: list(v) for c, v in observations(t).items() if c in REPORT_COLUMNS}
    plain = t[t["date_from"].isna() if "date_from" in t else slice(None)]
    for typ in TYPES:
        cells = plain[plain["model_output"].isin([f"partners_{h}_{typ}" for h in HUBS[:4]])
                      & (plain["date"] == outputs.OBSERVED_DATE)]
        if len(cells) == 4:
            sep = float(cells["value"].sum())
            pts = [(outputs.OBSERVED_DATE, sep)]
            change = t[t["model_output"] == f"partners_four_hubs_{typ}_change"]
            if len(change) and isinstance(change["date_from"].iloc[0], str):
                pts.insert(0, (change["date_from"].iloc[0], sep - float(change["value"].iloc[0])))
            out[f"partners_type_{typ}"] = pts
    for k in out:
        out[k] = sorted(set(out[k]))
    return out


def finite_count(*arrays) -> int:
    """Number of finite values in the arrays (a figure without any has no data)."""
    n = 0
    for a in arrays:
        a = np.asarray(a, dtype=float)
        n += int(np.isfinite(a).sum())
    return n


def fmt_interval(t, v: np.ndarray, digits: int | None = None, pct: bool = False) -> str:
    """'median (q05 – q95)' in the report's language."""
    if len(v) == 0:
        return "–"
    q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
    f = (lambda x: t.pct(x, 1)) if pct else (lambda x: t.num(x, digits))
    return f"{f(q50)} ({f(q05)} – {f(q95)})"

