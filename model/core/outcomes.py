"""Monthly outcomes: recorded into preallocated arrays, returned as DataFrames.

Counting conventions (docs/ODD.md, "Observation"):
* partners = organisations in rings 1-3 of a hub; ``partners_total`` sums over hubs as Table 3.1
  does (the report assumes little overlap [003 L2698-2706]); ``partners_unique`` counts each
  organisation once; ``partners_four_hubs`` excludes Midden, for comparison with 405 -> 645.
* KPI 4 = MKB construction & installation companies (type 1) partnered, summed over hubs
  [003 L521-531]. KPI 5 = cumulative persons in trajectories + LLO professionals + students in
  renewed education [003 L537-563, L4409-4435].
* adopted_share = share of all modelled organisations in Adopteren (mean over themes, or one theme).

The columns, their order and dtypes are declared in :mod:`propeller.core.outputs`; ``Recorder.frames`` computes
them and :func:`timeseries_frame` lays them out as declared.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from propeller.core import calendar, helper, outputs, sector
from propeller.core.constants import (
    CLASSES,
    FIRST_ADOPTEREN,
    HUBS,
    MARKETS,
    PERSON_CATEGORIES,
    PHASES,
    ROUTES,
    SCHOOL_LEVELS,
    STEP_PHASE,
    STEPS,
    THEMES,
    TYPES,
)
from propeller.core.kernels import Bound, aggregate_month
from propeller.core.state import Aggregates

_PHASE = np.array(STEP_PHASE)


class Recorder:
    """Counts what the outcome frames need each month (``kernels.aggregate_month``) into
    preallocated arrays and derives the columns at the end, vectorised over time. Memory grows with
    months x hubs x types, not with the population: a national run keeps no copy of the state per
    month. Stage snapshots (``stage``, T x N x K) are kept only while they are small (spell lengths)."""

    HISTORY_CELLS = 20_000_000  # keep stage snapshots up to this many cells (20 MB of int8)

    def __init__(self, m, n_months: int):
        self.m = m
        self.n_t = n_t = n_months + 1
        n, k = m.stage.shape
        n_hubs = len(HUBS)
        self.stage = np.zeros((n_t, n, k), dtype=np.int8) if n_t * n * k <= self.HISTORY_CELLS else None
        p = m.p
        self.theme = p["outputs.theme"]
        use = np.zeros(len(STEPS))
        use[FIRST_ADOPTEREN:] = p["productivity.step_use"]
        self.use = use
        self.pathway = sector.Pathway.from_params(p)
        self.wprod, self.wmarket, self.market_mask = sector.weights(p, m.pop.otype, m.pop.size.astype(np.float64))
        self.wprod_total = sector.regional_totals(self.wprod, m.pop.home)
        self.wmarket_total = sector.regional_totals(self.wmarket, m.pop.home)
        self.region_view = HUBS.index(p["sector.region_view"])
        self._thr = m.eco.ring_thr.astype(np.float64)
        self._phase = _PHASE.astype(np.int8)
        self._was = np.zeros((n, n_hubs), dtype=np.bool_)
        self._agg = Aggregates(
            rings=np.zeros((n_t, n_hubs, 5), dtype=np.int64), by_type=np.zeros((n_t, n_hubs, len(TYPES)), dtype=np.int64),
            joins=np.zeros((n_t, n_hubs), dtype=np.int64), leaves=np.zeros((n_t, n_hubs), dtype=np.int64),
            unique=np.zeros(n_t, dtype=np.int64), by_class=np.zeros((n_t, len(CLASSES)), dtype=np.int64),
            by_phase=np.zeros((n_t, len(PHASES)), dtype=np.int64), adopted=np.zeros((n_t, k), dtype=np.int64),
            used=np.zeros((n_t, n_hubs, k)), market=np.zeros((n_t, n_hubs, len(MARKETS))),
            occupancy=np.zeros((n_t, len(ROUTES), k, len(STEPS)), dtype=np.int64),
        )
        # the model's arrays are updated in place, never replaced: bind them once
        self._agg_args = (m.stage, m.eco.rel, self._thr, m.pop.otype, m.pop.cls, m.pop.route, m.pop.home, self.wprod,
                          self.wmarket, self.market_mask, self.use, self._phase, self._was, self._agg)
        self._pending = None  # the month's counts, when they are being taken beside the next month
        self._beside_args: tuple | None = None  # their copies of the stages and relations, and the arguments
        self.scalars = self._scalars()
        self._aggregate = Bound(aggregate_month)
        sources = {"kpi5": m.kpi5, "students_by_level": m.students_by_level, "adoptions": m.adoptions,
                   "participants": m.participants_table, "runs": m.run_counts, "spent": m.spent,
                   "activity_level": m.activity_level, "connector": m.connector, "staff": m.staff, "plan_changed": m.plan_changed}
        self._copies = [(self.scalars[k], v) for k, v in sources.items()]  # arrays updated in place: bound once

    def _scalars(self) -> dict[str, np.ndarray]:
        """Per-month copies of the model's small counters, preallocated (T x their shape, float)."""
        m, n_t = self.m, self.n_t
        shapes = {"kpi5": m.kpi5.shape, "students_by_level": m.students_by_level.shape,
                  "adoptions": m.adoptions.shape, "participants": m.participants_table.shape,
                  "runs": m.run_counts.shape, "spent": m.spent.shape, "activity_level": m.activity_level.shape,
                  "connector": m.connector.shape, "staff": m.staff.shape, "plan_changed": m.plan_changed.shape}
        return {name: np.zeros((n_t, *shape)) for name, shape in shapes.items()}

    @property
    def agg(self) -> Aggregates:
        """The monthly counts (``state.Aggregates``), complete up to the last recorded month."""
        self.wait()
        return self._agg

    def wait(self) -> None:
        """Wait for counts still being taken in the helper thread (``record(beside=True)``). Safe from several
        threads at once (a dashboard's render thread reading ``agg`` while the model steps): each waits for the job
        itself, and it is forgotten only once done. A failure in the job is raised here."""
        pending = self._pending
        if pending is not None:
            pending.result()
            if self._pending is pending:
                self._pending = None

    def record(self, t: int, beside: bool = False) -> None:
        """Count month ``t``. ``beside``: from copies of the stages and relations, in the helper thread
        (core/helper.py), while the model goes on; ``agg`` and ``frames`` wait for it. The same counts either way."""
        m = self.m
        if self.stage is not None:
            self.stage[t] = m.stage
        for dst, src in self._copies:
            dst[t] = src
        self.wait()  # the counts carry over from month to month (joins, leaves): one month at a time
        if not beside:
            self._aggregate(int(t), *self._agg_args)
            return
        if self._beside_args is None:
            self._beside_args = (m.stage.copy(), m.eco.rel.copy(), *self._agg_args[2:])
        np.copyto(self._beside_args[0], m.stage)
        np.copyto(self._beside_args[1], m.eco.rel)
        self._pending = helper.thread().submit(self._aggregate, int(t), *self._beside_args)

    # ------------------------------------------------------------------ derived columns
    def frames(self, t_last: int) -> dict[str, pd.DataFrame]:
        m = self.m
        n_t = t_last + 1
        n_themes = m.stage.shape[1]
        sc = {k: v[:n_t] for k, v in self.scalars.items()}
        start = calendar.parse(m.p["simulation.start"])
        dates = [calendar.fmt(start + t) for t in range(n_t)]
        cols: dict[str, np.ndarray | list[str]] = {"date": dates, "month": np.arange(n_t)}

        ring_counts, by_hub_type, joins, leaves, unique, by_class, by_phase, adopted_n, used, market, occ = (
            a[:n_t] for a in self.agg)  # in the order of state.Aggregates (waits for the last month's counts)
        per_hub = ring_counts[:, :, 2:].sum(axis=2)                    # levels 2..4 = rings 3..1
        for h, hub in enumerate(HUBS):
            cols[f"partners_{hub}"] = per_hub[:, h]
        cols["partners_total"] = per_hub.sum(axis=1)
        cols["partners_four_hubs"] = per_hub[:, :4].sum(axis=1)
        cols["partners_unique"] = unique
        type_tot = by_hub_type.sum(axis=1)
        for j, name in enumerate(TYPES):
            cols[f"partners_type_{name}"] = type_tot[:, j]
        for ring in (1, 2, 3, 4):                                      # level 4 = ring 1, level 1 = ring 4
            cols[f"ring{ring}"] = ring_counts[:, :, 5 - ring].sum(axis=1)
        for h, hub in enumerate(HUBS):
            for ring in (1, 2, 3, 4):
                cols[f"ring{ring}_{hub}"] = ring_counts[:, h, 5 - ring]
        cols["kpi4_mkb"] = type_tot[:, TYPES.index("mkb_builders")]
        cols["kpi4_mkb_four_hubs"] = by_hub_type[:, :4, TYPES.index("mkb_builders")].sum(axis=1)
        cols["kpi5_skilled"] = sc["kpi5"].sum(axis=1)
        cols["kpi5_skilled_four_hubs"] = sc["kpi5"][:, :4].sum(axis=1)
        for j, lvl in enumerate(SCHOOL_LEVELS):
            cols[f"students_renewed_{lvl}"] = sc["students_by_level"][:, j]

        adopted = adopted_n / m.pop.n                                   # T x K
        cols["adopted_share"] = adopted.mean(axis=1) if self.theme == "all" else adopted[:, THEMES.index(self.theme)]
        for k, theme in enumerate(THEMES):
            cols[f"adopted_share_{theme}"] = adopted[:, k]
        for k, theme in enumerate(THEMES):
            cols[f"adoptions_cum_{theme}"] = sc["adoptions"][:, k]
        n_pairs = np.maximum(unique * n_themes, 1)
        for i, name in enumerate(PHASES):
            cols[f"partner_phase_{name}"] = by_phase[:, i] / n_pairs
        for j, c in enumerate(CLASSES):
            cols[f"partners_class_{c}"] = by_class[:, j]
        for c, cat in enumerate(m.participants):  # Table 3.2 rows: the instruments' categories
            for j, pc in enumerate(PERSON_CATEGORIES):
                cols[f"participants_{cat}_{pc}"] = sc["participants"][:, c, j]
        for i, name in enumerate(m.runs):
            cols[f"runs_{name}"] = sc["runs"][:, i]
        for h, hub in enumerate(HUBS):
            cols[f"joins_cum_{hub}"] = joins[:, h]
            cols[f"leaves_cum_{hub}"] = leaves[:, h]
            cols[f"activity_level_{hub}"] = sc["activity_level"][:, h]
            cols[f"connector_{hub}"] = sc["connector"][:, h]
            cols[f"staff_days_{hub}"] = sc["staff"][:, h]
        cols["budget_spent_cum"] = sc["spent"].sum(axis=1)
        cols["plan_changed"] = sc["plan_changed"][:, 0].astype(np.int64)
        cols.update(sector.counts(used, market, self.wprod_total, self.wmarket_total, self.region_view))
        cols.update(sector.derived(self.pathway, cols))

        ts = timeseries_frame(cols)

        n_r, n_k = len(ROUTES), len(THEMES)
        occ = occ.ravel()
        occupancy = _long(dates, [("route", ROUTES), ("theme", THEMES), ("step", STEPS)], "organisations", occ)
        occupancy["phase"] = pd.Categorical.from_codes(np.tile(np.array(STEP_PHASE), n_t * n_r * n_k), list(PHASES))
        partners_by_hub_type = _long(dates, [("hub", HUBS), ("partner_type", TYPES)], "partners", by_hub_type.ravel())
        return {"timeseries": ts, "occupancy": occupancy, "partners_by_hub_type": partners_by_hub_type}


def timeseries_frame(cols: Mapping[str, np.ndarray | list[str]]) -> pd.DataFrame:
    """The ``timeseries`` frame: exactly the declared columns (:mod:`propeller.core.outputs`), in declared order and
    with declared dtypes. A column computed but not declared, or declared but not computed, is an error."""
    declared = outputs.timeseries()
    if set(cols) != set(outputs.names()):
        missing = [o.name for o in declared if o.name not in cols]
        extra = [k for k in cols if not outputs.is_output(k)]
        raise RuntimeError(f"timeseries columns differ from propeller.core.outputs: not computed {missing}, "
                           f"not declared {extra}")
    return pd.DataFrame({o.name: cols[o.name] if o.dtype == "str" else np.asarray(cols[o.name]).astype(o.dtype)
                         for o in declared})


def _long(dates: list[str], dims: list[tuple[str, tuple[str, ...]]], name: str, values: np.ndarray) -> pd.DataFrame:
    """A long table: one row per date x the given dimensions (row-major, as ``values`` is laid out)."""
    inner = int(np.prod([len(v) for _, v in dims]))
    cols = {"date": pd.Categorical.from_codes(np.repeat(np.arange(len(dates)), inner), dates)}
    rep = inner
    for col, labels in dims:
        rep //= len(labels)
        codes = np.tile(np.repeat(np.arange(len(labels)), rep), len(dates) * inner // (len(labels) * rep))
        cols[col] = pd.Categorical.from_codes(codes, list(labels))
    cols[name] = values
    return pd.DataFrame(cols)


def spell_lengths(stage_history: np.ndarray, phase: int) -> np.ndarray:
    """Lengths (months) of completed stays in ``phase``, from monthly stage snapshots (T x N x K).

    A stay is completed when the organisation leaves the phase before the last month; stays still
    running at the end (or already running at the start) are left out (no censoring bias).
    """
    inside = _PHASE[stage_history] == phase                        # T x N x K
    x = inside.reshape(inside.shape[0], -1).astype(np.int8)
    d = np.diff(x, axis=0)                                          # +1 entry, -1 exit (between months)
    t_in, c_in = np.nonzero(d == 1)
    t_out, c_out = np.nonzero(d == -1)
    lengths = []
    order_in = np.lexsort((t_in, c_in))
    order_out = np.lexsort((t_out, c_out))
    t_in, c_in, t_out, c_out = t_in[order_in], c_in[order_in], t_out[order_out], c_out[order_out]
    j = 0
    for t, c in zip(t_in.tolist(), c_in.tolist(), strict=True):
        while j < len(c_out) and (c_out[j] < c or (c_out[j] == c and t_out[j] <= t)):
            j += 1
        if j < len(c_out) and c_out[j] == c:
            lengths.append(t_out[j] - t)
    return np.array(lengths)
