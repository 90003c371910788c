"""From adoption to the sector's goals: labour productivity, the market shares of industrial, sustainable and
digital building, and primary raw materials (docs/ODD.md §7.10; parameters and sources: docs/sector_pathway.md).

The kernel (``kernels.aggregate_month``) counts, each month, the *production-weighted* use of each theme per home
region - a company's weight is its employees times the relative value added per employee of its type
(``sector.value_added_per_employee``), its use the level of its step (borgen = "in part of the work" 0.5, opschalen
and doorontwikkelen = "standard" 1, ``productivity.step_use``) - and the same for the market shares of the goals,
where an organisation counts its smallest use over the market's themes (the part of its production that uses them
all). Everything after that is this module: a pure function of those counts and the pathway's assumptions, so the
answers can be recomputed for another value of an assumption without running the model again
(:func:`derived` with :meth:`Pathway.replace`) - that is how ``propeller.app.goals`` finds the value at which an
answer would flip.

The regional-national link: a scenario that models only part of the sector's production (``sector.hub_region_share``
< 1, the national scenario: the hubs' regions are not the whole country) assumes that use outside follows use inside
at a ratio and with a lag, L_out(t) = L(0) + ratio x (L(t - lag) - L(0)); the sector's use is the production-weighted
mix of both. With ``hub_region_share`` = 1 (the baseline: the outputs describe the modelled organisations) the link
does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from propeller.core.constants import COMPANY_TYPES, HUBS, MARKETS, THEMES, TYPES

# The timeseries columns :func:`derived` reads and those it gives (propeller.core.outputs declares them).
RAW_COLUMNS: tuple[str, ...] = (*(f"modelled_use_{t}" for t in THEMES), *(f"modelled_market_{m}" for m in MARKETS),
                                *(f"region_use_{t}" for t in THEMES))
DERIVED: tuple[str, ...] = ("productivity_index", "sector_productivity_index", "primary_material_index",
                            *(f"market_share_{m}" for m in MARKETS), "primary_material_index_region")


@dataclass(frozen=True)
class Pathway:
    """The assumptions after the kernel's counts (sources and ranges: scenarios/pathway.csv)."""

    theme_gain: tuple[float, ...]       # labour-productivity gain per theme at full use
    trend_per_year: float               # the sector's own productivity growth without adoption
    material_saving: tuple[float, ...]  # share of primary raw material saved per unit of output at full use
    hub_region_share: float             # share of the sector's production in the modelled regions
    outside_ratio: float                # use outside the modelled regions relative to inside (above the start)
    outside_lag_months: int             # and how many months later

    @classmethod
    def from_params(cls, p) -> Pathway:
        return cls(theme_gain=tuple(float(x) for x in p["productivity.theme_gain"]),
                   trend_per_year=float(p["sector.trend_per_year"]),
                   material_saving=tuple(float(x) for x in p["sector.material_saving"]),
                   hub_region_share=float(p["sector.hub_region_share"]),
                   outside_ratio=float(p["sector.outside_ratio"]),
                   outside_lag_months=int(p["sector.outside_lag_months"]))

    def replace(self, **changes) -> Pathway:
        """A copy with some assumptions changed; a theme's gain or saving as ``theme_gain.industrialisation=0.4``."""
        direct, per_theme = {}, {}
        for key, value in changes.items():
            name, _, theme = key.partition(".")
            if theme:
                per_theme.setdefault(name, {})[THEMES.index(theme)] = value
            else:
                direct[key] = value
        for name, by_index in per_theme.items():
            values = list(getattr(self, name))
            for k, v in by_index.items():
                values[k] = float(v)
            direct[name] = tuple(values)
        unknown = set(direct) - {f.name for f in fields(self)}
        if unknown:
            raise KeyError(f"not a pathway assumption: {', '.join(sorted(unknown))}")
        return replace(self, **direct)


def weights(p, otype: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per organisation: production weight (companies), weight in the goals' market (``sector.market_types``), and the
    market mask (markets x themes, int8) the kernel reads."""
    va = np.zeros(len(TYPES))
    for j in COMPANY_TYPES:
        va[j] = p[f"sector.value_added_per_employee.{TYPES[j]}"]
    wprod = size * va[otype]
    market_types = np.isin(otype, [TYPES.index(t) for t in p["sector.market_types"]])
    wmarket = np.where(market_types, size * np.where(va[otype] > 0, va[otype], 1.0), 0.0)
    mask = np.zeros((len(MARKETS), len(THEMES)), dtype=np.int8)
    for j, name in enumerate(MARKETS):
        for theme in p[f"sector.markets.{name}"]:
            mask[j, THEMES.index(theme)] = 1
    return wprod, wmarket, mask


def regional_totals(weight: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Σ weight per home region (the denominators of the use shares)."""
    return np.bincount(home, weights=weight, minlength=len(HUBS)).astype(float)


def link(share: np.ndarray, path: Pathway) -> np.ndarray:
    """The sector's use from the modelled regions' use (T x ...): the regional-national link (module docstring)."""
    s = path.hub_region_share
    if s >= 1.0:
        return share
    lag = min(max(int(path.outside_lag_months), 0), len(share))  # a lag longer than the run: the start all along
    lagged = np.concatenate([np.repeat(share[:1], lag, axis=0), share[:len(share) - lag]]) if lag else share
    outside = share[:1] + path.outside_ratio * (lagged - share[:1])
    return s * share + (1.0 - s) * np.clip(outside, 0.0, 1.0)


def counts(used: np.ndarray, market: np.ndarray, wprod_total: np.ndarray, wmarket_total: np.ndarray,
           region: int) -> dict[str, np.ndarray]:
    """The kernel's counts as use shares of the modelled organisations (columns ``modelled_use_<theme>``,
    ``modelled_market_<market>``, ``region_use_<theme>``, ``market_share_industrial_region``): from ``used``
    (T x H x K) and ``market`` (T x H x markets) and their denominators per region (H). ``region`` is the regional
    view's hub index. These are what :func:`derived` reads, kept in the timeseries so that the goals' answers can be
    recomputed under other pathway assumptions without running the model again."""
    out: dict[str, np.ndarray] = {}
    level = used.sum(axis=1) / max(wprod_total.sum(), 1e-12)
    shares = market.sum(axis=1) / max(wmarket_total.sum(), 1e-12)
    reg_level = used[:, region, :] / max(wprod_total[region], 1e-12)
    for k, theme in enumerate(THEMES):
        out[f"modelled_use_{theme}"] = level[:, k]
    for j, name in enumerate(MARKETS):
        out[f"modelled_market_{name}"] = shares[:, j]
    for k, theme in enumerate(THEMES):
        out[f"region_use_{theme}"] = reg_level[:, k]
    out["market_share_industrial_region"] = market[:, region, MARKETS.index("industrial")] / max(
        wmarket_total[region], 1e-12)
    return out


def derived(path: Pathway, cols) -> dict[str, np.ndarray]:
    """The sector's outcomes from the counts (:func:`counts`, or the same columns of a stored timeseries): the
    productivity indices, the primary-material indices and the linked market shares."""
    level = link(np.column_stack([np.asarray(cols[f"modelled_use_{t}"], float) for t in THEMES]), path)  # T x K
    n_t = level.shape[0]
    gain = np.asarray(path.theme_gain)
    prod = np.prod(1.0 + gain * level, axis=1)
    out: dict[str, np.ndarray] = {"productivity_index": 100.0 * prod / prod[0]}
    years = np.arange(n_t) / 12.0
    out["sector_productivity_index"] = out["productivity_index"] * (1.0 + path.trend_per_year) ** years
    saving = np.asarray(path.material_saving)
    mat = np.prod(1.0 - saving * level, axis=1)
    out["primary_material_index"] = 100.0 * mat / mat[0]
    shares = link(np.column_stack([np.asarray(cols[f"modelled_market_{m}"], float) for m in MARKETS]), path)
    for j, name in enumerate(MARKETS):
        out[f"market_share_{name}"] = shares[:, j]
    reg_level = np.column_stack([np.asarray(cols[f"region_use_{t}"], float) for t in THEMES])
    reg_mat = np.prod(1.0 - saving * reg_level, axis=1)
    out["primary_material_index_region"] = 100.0 * reg_mat / reg_mat[0]
    return out


def maximum_productivity(path: Pathway) -> float:
    """The index at full use of every theme by every company, from no use at the start: 100 x Π(1 + gain)."""
    return 100.0 * float(np.prod(1.0 + np.asarray(path.theme_gain)))


__all__ = ["DERIVED", "RAW_COLUMNS", "Pathway", "counts", "derived", "link", "maximum_productivity", "regional_totals", "weights"]
