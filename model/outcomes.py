"""Monthly outcomes: recorded into preallocated arrays, returned as DataFrames.

Counting conventions (docs/ODD.md, "Observation"):
* partners = organisations in rings 1-3 of a hub; ``partners_total`` sums over hubs as Table 3.1
  does (the report assumes little overlap [003 L2698-2706]); ``partners_unique`` counts each
  organisation once; ``partners_four_hubs`` excludes Midden, for comparison with 405 -> 645.
* KPI 4 = MKB construction & installation companies (type 1) partnered, summed over hubs
  [003 L521-531]. KPI 5 = cumulative persons in trajectories + LLO professionals + students in
  renewed education [003 L537-563, L4409-4435].
* adopted_share = share of all modelled organisations in Adopteren (mean over themes, or one theme).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import calendar
from model.constants import (
    ACTIVITY_CATEGORIES, CLASSES, COMPANY_TYPES, FIRST_ADOPTEREN, HUBS, PERSON_CATEGORIES, PHASES, ROUTES,
    STEP_PHASE, STEPS, THEMES, TYPES,
)

_PHASE = np.array(STEP_PHASE)


class Recorder:
    def __init__(self, m, n_months: int):
        self.m = m
        self.T = n_months + 1
        self.cols: dict[str, np.ndarray] = {}
        self.by_hub_type = np.zeros((self.T, len(HUBS), len(TYPES)), dtype=np.int32)
        self.occupancy = np.zeros((self.T, len(ROUTES), len(THEMES), len(STEPS)), dtype=np.int32)
        p = m.p
        self.theme = p["outputs.theme"]
        self.gain = np.array(p["productivity.theme_gain"])
        use = np.zeros(len(STEPS))
        use[FIRST_ADOPTEREN:] = p["productivity.step_use"]
        self.use = use
        company = np.isin(m.pop.otype, COMPANY_TYPES)
        self.emp = np.where(company, m.pop.size, 0.0)
        self.prod0: float | None = None
        self.prev_partner = m.eco.partners()
        self.joins = np.zeros(len(HUBS), dtype=np.int64)
        self.leaves = np.zeros(len(HUBS), dtype=np.int64)

    def _set(self, name: str, t: int, value) -> None:
        col = self.cols.get(name)
        if col is None:
            col = self.cols[name] = np.zeros(self.T)
        col[t] = value

    def productivity(self) -> float:
        m = self.m
        level = (self.emp[:, None] * self.use[m.stage]).sum(axis=0) / max(self.emp.sum(), 1.0)
        return float(np.prod(1.0 + self.gain * level))

    def record(self, t: int) -> None:
        m = self.m
        s = self._set
        part = m.eco.partners()
        self.joins += (part & ~self.prev_partner).sum(axis=0)
        self.leaves += (~part & self.prev_partner).sum(axis=0)
        self.prev_partner = part
        per_hub = part.sum(axis=0)
        for h, hub in enumerate(HUBS):
            s(f"partners_{hub}", t, per_hub[h])
            self.by_hub_type[t, h] = np.bincount(m.pop.otype[part[:, h]], minlength=len(TYPES))
            s(f"joins_cum_{hub}", t, self.joins[h])
            s(f"leaves_cum_{hub}", t, self.leaves[h])
            s(f"activity_level_{hub}", t, m.activity_level[h])
            s(f"connector_{hub}", t, m.connector[h])
        s("partners_total", t, per_hub.sum())
        s("partners_four_hubs", t, per_hub[:4].sum())
        s("partners_unique", t, part.any(axis=1).sum())
        type_tot = self.by_hub_type[t].sum(axis=0)
        for j, name in enumerate(TYPES):
            s(f"partners_type_{name}", t, type_tot[j])
        rings = m.eco.rings()
        for ring in (1, 2, 3, 4):
            s(f"ring{ring}", t, (rings == ring).sum())
        s("kpi4_mkb", t, type_tot[TYPES.index("mkb_builders")])
        s("kpi5_skilled", t, m.kpi5)

        stage = m.stage
        adopted = stage >= FIRST_ADOPTEREN
        share = adopted.mean(axis=0)
        s("adopted_share", t, share.mean() if self.theme == "all" else share[THEMES.index(self.theme)])
        for k, theme in enumerate(THEMES):
            s(f"adopted_share_{theme}", t, share[k])
            s(f"adoptions_cum_{theme}", t, m.adoptions[k])
        n, kk = stage.shape
        flat = (m.pop.route[:, None].astype(np.int64) * kk + np.arange(kk)[None, :]) * len(STEPS) + stage
        self.occupancy[t] = np.bincount(flat.ravel(), minlength=len(ROUTES) * kk * len(STEPS)).reshape(
            len(ROUTES), kk, len(STEPS))
        # Phase shares among partners (any hub), over partner x theme pairs.
        anyp = part.any(axis=1)
        ph = _PHASE[stage[anyp]]
        tot = max(ph.size, 1)
        for i, phase in enumerate(PHASES):
            s(f"partner_phase_{phase}", t, (ph == i).sum() / tot)
        for c, cat in enumerate(ACTIVITY_CATEGORIES):
            for j, pc in enumerate(PERSON_CATEGORIES):
                s(f"participants_{cat}_{pc}", t, m.participants[cat][j])
        for name, count in m.runs.items():
            s(f"runs_{name}", t, count)
        s("budget_spent_cum", t, m.spent.sum())
        prod = self.productivity()
        if self.prod0 is None:
            self.prod0 = prod
        s("productivity_index", t, 100.0 * prod / self.prod0)
        # innovativeness of partners (who the hubs reach)
        cls = np.bincount(m.pop.cls[anyp], minlength=len(CLASSES))
        for j, c in enumerate(CLASSES):
            s(f"partners_class_{c}", t, cls[j])

    # ------------------------------------------------------------------ frames
    def frames(self, t_last: int) -> dict[str, pd.DataFrame]:
        m = self.m
        start = calendar.parse(m.p["simulation.start"])
        dates = [calendar.fmt(start + t) for t in range(t_last + 1)]
        ts = pd.DataFrame({"date": dates, "month": np.arange(t_last + 1)})
        ints = ("partners", "joins", "leaves", "ring", "kpi", "runs", "participants", "adoptions")
        data = {}
        for name, col in self.cols.items():
            v = col[: t_last + 1]
            data[name] = v.astype(np.int64) if name.startswith(ints) else v
        ts = pd.concat([ts, pd.DataFrame(data)], axis=1)
        occ = self.occupancy[: t_last + 1]
        idx = pd.MultiIndex.from_product([dates, ROUTES, THEMES, STEPS], names=["date", "route", "theme", "step"])
        occupancy = pd.DataFrame({"organisations": occ.ravel()}, index=idx).reset_index()
        occupancy["phase"] = occupancy["step"].map(dict(zip(STEPS, (PHASES[i] for i in STEP_PHASE))))
        bht = self.by_hub_type[: t_last + 1]
        idx = pd.MultiIndex.from_product([dates, HUBS, TYPES], names=["date", "hub", "partner_type"])
        by_hub_type = pd.DataFrame({"partners": bht.ravel()}, index=idx).reset_index()
        return {"timeseries": ts, "occupancy": occupancy, "partners_by_hub_type": by_hub_type}
