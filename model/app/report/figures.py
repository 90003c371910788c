"""The report's figures: matplotlib + seaborn in one style, each returned as PNG bytes with the number of data
values it drew (``Figure.n_values``): build.py refuses to embed a figure without data.

Every figure takes the report's :class:`~propeller.app.report.i18n.Text` so that titles, axes and legends follow
``--lang``. Bands are quantiles over the runs of a scenario per month: 50 % (25-75) dark, 90 % (5-95) light.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from propeller.app.report.data import SPIDER_DATES, TARGETS, SweepData, finite_count  # noqa: E402
from propeller.app.report.i18n import Text  # noqa: E402
from propeller.core import outputs  # noqa: E402
from propeller.core.constants import HUBS, PHASES, ROUTES, THEMES, TYPES  # noqa: E402

DPI = 100
WIDTH = 11.0          # inches: 1,100 px, readable on a laptop screen at 100 %
OBS_COLOR = "#222222"
TARGET_COLOR = "#b2182b"
PHASE_COLORS = {"none": "#e0e0e0", "agenderen": "#9ecae1", "uitproberen": "#fdae6b", "adopteren": "#74c476"}
RING_FILL = ("#f7fbff", "#f7fbff", "#f7fbff", "#f0f0f0")


@dataclass
class Figure:
    key: str
    title: str
    png: bytes
    n_values: int            # finite data values drawn (0 = no data)
    width: int               # pixels
    height: int


def style() -> None:
    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind", font_scale=0.95,
                  rc={"axes.titleweight": "bold", "axes.titlesize": 11, "legend.fontsize": 9, "figure.dpi": DPI,
                      "savefig.dpi": DPI, "axes.spines.top": False, "axes.spines.right": False})


def scenario_colors(labels: list[str]) -> dict[str, tuple]:
    """One colour per scenario: the colour-blind palette in an order that keeps neighbours apart
    (blue, vermillion, green, purple, orange, ...)."""
    pal = sns.color_palette("colorblind", 10)
    order = (0, 3, 2, 4, 1, 9, 5, 6, 8, 7)
    return {lab: pal[order[i % len(order)]] for i, lab in enumerate(labels)}


def _finish(fig, key: str, title: str, n_values: int) -> Figure:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    w, h = fig.get_size_inches() * DPI
    plt.close(fig)
    return Figure(key, title, buf.getvalue(), n_values, int(w), int(h))


def _dates(index) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Index(index), format="%Y-%m")


def _date_axis(ax, t: Text, label: bool = True, every: int = 1) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator(every))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    if label:
        ax.set_xlabel(t("month_axis"))
    else:
        ax.set_xlabel("")


def _bands(ax, data: SweepData, label: str, column: str, color, scale: float = 1.0) -> int:
    b = data.bands(label, column)
    if b.empty:
        return 0
    x = _dates(b.index)
    # the middle 50 % as a band, the 90 % interval as thin dotted edges: several scenarios stay readable on one chart
    ax.fill_between(x, b["q25"] * scale, b["q75"] * scale, color=color, alpha=0.25, lw=0)
    ax.plot(x, b["q05"] * scale, color=color, lw=0.9, ls=":")
    ax.plot(x, b["q95"] * scale, color=color, lw=0.9, ls=":")
    ax.plot(x, b["q50"] * scale, color=color, lw=1.8)
    return finite_count(b["q50"])


def _observed(ax, points, marker="o") -> int:
    if not points:
        return 0
    x = _dates([d for d, _ in points])
    ax.scatter(x, [v for _, v in points], color=OBS_COLOR, marker=marker, s=34, zorder=5, edgecolor="white", lw=0.8)
    return len(points)


def _target(ax, value: float) -> None:
    ax.axhline(value, color=TARGET_COLOR, lw=1.1, ls="--", zorder=1)


def _goal(ax, t: Text, column: str) -> None:
    """The column's programme target (propeller.core.outputs) as a dashed line with its words ("goal_..." in i18n)."""
    target = outputs.get(column).target
    if target is None:
        return
    _target(ax, target.value)
    ax.annotate(t("goal" + target.key.removeprefix("target")), (0.01, target.value), xycoords=("axes fraction", "data"),
                color=TARGET_COLOR, fontsize=9, va="bottom")


def _legend(fig, data: SweepData, t: Text, colors, observed: str | None = None, target: bool = False,
            ncol: int | None = None) -> None:
    handles = [Line2D([], [], color=colors[lab], lw=2, label=t.scenario(lab)) for lab in data.labels]
    grey = "#666666"
    handles += [Patch(color=grey, alpha=0.35, label=t("band50")), Line2D([], [], color=grey, lw=0.9, ls=":", label=t("band90"))]
    if observed:
        handles.append(Line2D([], [], color=OBS_COLOR, marker="o", ls="", label=t(observed)))
    if target:
        handles.append(Line2D([], [], color=TARGET_COLOR, ls="--", label=t("target")))
    fig.legend(handles=handles, loc="lower center", ncol=ncol or min(len(handles), 6), frameon=False,
               bbox_to_anchor=(0.5, -0.01))


def _grid(n: int, ncols: int, height: float):
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    width = WIDTH if ncols > 1 else WIDTH * 0.5
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows + 0.9), squeeze=False, sharex=True)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _bottom(axes, ncols: int, t: Text) -> None:
    """Month axis label and tick labels only under the lowest panel of each column (shared x axes)."""
    n = len(axes)
    ncols = min(ncols, n)
    for i, ax in enumerate(axes):
        last = i + ncols >= n
        ax.set_xlabel(t("month_axis") if last else "")
        if last:
            ax.xaxis.set_tick_params(labelbottom=True)


# ----------------------------------------------------------------------------------------------
def partners(data: SweepData, t: Text, observed: dict) -> Figure:
    colors = scenario_colors(data.labels)
    fig, axes = _grid(2, 2, 3.8)
    n = 0
    for ax, col in zip(axes, ("partners_four_hubs", "partners_total"), strict=True):
        for lab in data.labels:
            n += _bands(ax, data, lab, col, colors[lab])
        n_obs = _observed(ax, observed.get(col, []))
        _goal(ax, t, col)
        ax.set_title(t.label(col))
        ax.set_ylabel(t("partners_axis"))
        _date_axis(ax, t)
        del n_obs
    _legend(fig, data, t, colors, observed="observed", target=True)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _finish(fig, "partners", t("sec_partners"), n)


def _band_panels(data: SweepData, t: Text, observed: dict, panels: list[tuple[str, str]], ncols: int, height: float,
                 ylabel: str, every: int, title_size: float | None = None, tick_size: float | None = None):
    """One panel per (column, title): every scenario's bands and the observed points. Returns (fig, colours, n)."""
    colors = scenario_colors(data.labels)
    fig, axes = _grid(len(panels), ncols, height)
    n = 0
    for ax, (col, title) in zip(axes, panels, strict=True):
        for lab in data.labels:
            n += _bands(ax, data, lab, col, colors[lab])
        _observed(ax, observed.get(col, []))
        ax.set_title(title, **({"fontsize": title_size} if title_size else {}))
        ax.set_ylabel(ylabel)
        _date_axis(ax, t, every=every)
        if tick_size:
            ax.tick_params(axis="x", labelsize=tick_size)
    _bottom(axes, ncols, t)
    return fig, colors, n


def partners_by_hub(data: SweepData, t: Text, observed: dict, hubs: list[str]) -> Figure:
    fig, colors, n = _band_panels(data, t, observed, [(f"partners_{h}", t.hub(h)) for h in hubs], 3, 3.0,
                                  t("partners_axis"), every=2 if len(hubs) > 1 else 1)
    _legend(fig, data, t, colors, observed="observed", ncol=3 if len(hubs) == 1 else None)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return _finish(fig, "partners_by_hub", t("sec_partners_hub"), n)


def partners_by_type(data: SweepData, t: Text, observed: dict) -> Figure:
    fig, colors, n = _band_panels(data, t, observed, [(f"partners_type_{typ}", t.type(typ)) for typ in TYPES], 4, 2.6,
                                  t("organisations"), every=2, title_size=9.5, tick_size=8.5)
    _legend(fig, data, t, colors, observed="observed_four")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return _finish(fig, "partners_by_type", t("sec_partners_type"), n)


def kpis(data: SweepData, t: Text, observed: dict) -> Figure:
    colors = scenario_colors(data.labels)
    fig, axes = _grid(2, 2, 3.6)
    n = 0
    for ax, (col, obs_col) in zip(axes, (("kpi4_mkb", "kpi4_mkb_four_hubs"), ("kpi5_skilled", "kpi5_skilled_four_hubs")), strict=True):
        for lab in data.labels:
            n += _bands(ax, data, lab, col, colors[lab])
        _observed(ax, observed.get(obs_col, []))
        _goal(ax, t, col)
        ax.set_title(t.label(col))
        ax.set_ylabel(t(outputs.get(col).unit))
        _date_axis(ax, t)
    _legend(fig, data, t, colors, observed="observed_four", target=True)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _finish(fig, "kpis", t("sec_kpi"), n)


def probabilities(data: SweepData, t: Text, probs: dict) -> Figure:
    """probs: (target key, label) -> {year: share}."""
    colors = scenario_colors(data.labels)
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(WIDTH, 3.6), squeeze=False, sharey=True)
    n = 0
    for ax, (key, _col, _thr) in zip(axes[0], TARGETS, strict=True):
        for i, lab in enumerate(data.labels):
            p = probs.get((key, lab), {})
            if not p:
                continue
            years = sorted(p)
            y = [100 * p[k] for k in years]
            ax.plot(years, y, marker="o", color=colors[lab], lw=1.8, ms=5, label=t.scenario(lab),
                    alpha=0.9, zorder=3 + i, ls=("-", "--", ":", "-.")[i % 4])
            n += finite_count(y)
        ax.set_title(t(key))
        ax.set_ylim(-3, 103)
        ax.set_xlabel(t("year_axis"))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0][0].set_ylabel(t("probability_axis"))
    handles = [Line2D([], [], color=colors[lab], lw=2, ls=("-", "--", ":", "-.")[i % 4], marker="o", label=t.scenario(lab))
               for i, lab in enumerate(data.labels)]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), frameon=False,
               bbox_to_anchor=(0.5, -0.01))
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return _finish(fig, "probabilities", t("sec_prob"), n)


def occupancy(data: SweepData, t: Text, label: str) -> Figure:
    """Stacked areas: organisations per propeller phase, per route (mean over themes and re-runs)."""
    runs = data.reruns_of(label)
    frames = []
    for r in runs:
        occ = r.occupancy
        g = occ.groupby(["date", "route", "phase"], observed=True)["organisations"].sum() / len(THEMES)
        frames.append(g)
    mean = pd.concat(frames, axis=1).mean(axis=1) if frames else pd.Series(dtype=float)
    fig, axes = _grid(len(ROUTES), 3, 3.0)
    n = 0
    shown = [p for p in PHASES if p != "none"]
    for ax, route in zip(axes, ROUTES, strict=True):
        if mean.empty:
            continue
        sub = mean.xs(route, level="route").unstack("phase").reindex(columns=list(PHASES)).fillna(0.0)
        x = _dates(sub.index)
        ys = [sub[p].to_numpy() for p in shown]
        ax.stackplot(x, ys, colors=[PHASE_COLORS[p] for p in shown], labels=[t.phase(p) for p in shown],
                     edgecolor="white", lw=0.3)
        n += finite_count(*ys)
        total = sub.sum(axis=1).iloc[0]
        ax.set_title(f"{t.route(route)} (n = {t.num(total, 0)})", fontsize=10)
        ax.set_ylabel(t("organisations"))
        _date_axis(ax, t, every=2)
    _bottom(axes, 3, t)
    handles = [Patch(color=PHASE_COLORS[p], label=t.phase(p)) for p in shown]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, -0.01))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _finish(fig, "occupancy", t("sec_occupancy"), n)


def adoption(data: SweepData, t: Text) -> Figure:
    colors = scenario_colors(data.labels)
    fig, axes = _grid(len(THEMES), 2, 3.0)
    n = 0
    for ax, theme in zip(axes, THEMES, strict=True):
        for lab in data.labels:
            n += _bands(ax, data, lab, f"adopted_share_{theme}", colors[lab], scale=100.0)
        ax.set_title(t.theme(theme))
        ax.set_ylabel(t("share_axis"))
        _date_axis(ax, t)
    _bottom(axes, 2, t)
    _legend(fig, data, t, colors)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return _finish(fig, "adoption", t("sec_adoption"), n)


def productivity(data: SweepData, t: Text) -> Figure:
    colors = scenario_colors(data.labels)
    fig, ax = plt.subplots(figsize=(WIDTH * 0.62, 3.8))
    n = 0
    for lab in data.labels:
        n += _bands(ax, data, lab, "productivity_index", colors[lab])
    ax.axhline(100, color="#888888", lw=0.8)
    ax.set_title(t.label("productivity_index"))
    ax.set_ylabel(t("index_axis"))
    _date_axis(ax, t)
    _legend(fig, data, t, colors, ncol=3)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return _finish(fig, "productivity", t("sec_productivity"), n)


def spiders(data: SweepData, t: Text, label: str, run, hubs: list[str]) -> Figure:
    """Figure 3.1-style ring diagrams, one per hub and date: dots = the organisations of one run by ring (radius)
    and partner type (sector); the title gives the median partners and the numbers under each diagram the median
    count per ring over all runs of the scenario."""
    dates = [d for d in SPIDER_DATES if d in run.rings]
    type_colors = sns.color_palette("tab10", len(TYPES))
    by_row = len(hubs) >= len(dates)    # rows = dates, columns = hubs; one or two hubs: rows = hubs, columns = dates
    nrows, ncols = (len(dates), len(hubs)) if by_row else (len(hubs), len(dates))
    cell = min(WIDTH / ncols, 3.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(cell * ncols, 7.5), cell * nrows + 1.3),
                             subplot_kw={"projection": "polar"}, squeeze=False)
    rng = np.random.default_rng(12345)
    n = 0
    sector = 2 * np.pi / len(TYPES)
    for i, date in enumerate(dates):
        rings = run.rings[date]
        for j, hub in enumerate(hubs):
            ax = axes[i][j] if by_row else axes[j][i]
            h = HUBS.index(hub)
            r = rings[:, h]
            theta_grid = np.linspace(0, 2 * np.pi, 200)
            for k in range(4):  # ring k+1 occupies radius k+0.4 .. k+1.4 (1.4 = hub in the centre)
                ax.fill_between(theta_grid, k + 0.4, k + 1.4, color=RING_FILL[k], zorder=0)
                ax.plot(theta_grid, np.full_like(theta_grid, k + 1.4), color="#bbbbbb", lw=0.7, zorder=1)
            for s in range(len(TYPES)):
                ax.plot([s * sector, s * sector], [0.4, 4.4], color="#dddddd", lw=0.6, zorder=1)
            for typ in range(len(TYPES)):
                for ring in (1, 2, 3, 4):
                    idx = np.flatnonzero((r == ring) & (run.otype == typ))
                    if len(idx) == 0:
                        continue
                    th = typ * sector + sector * (0.08 + 0.84 * rng.random(len(idx)))
                    rad = ring - 0.6 + 0.15 + 0.7 * rng.random(len(idx))
                    ax.scatter(th, rad, s=5 if ring == 4 else 7, color=type_colors[typ], alpha=0.55 if ring == 4 else 0.9,
                               lw=0, zorder=3)
                    n += len(idx)
            counts = []
            for ring in (1, 2, 3, 4):
                v = data.at(label, f"ring{ring}_{hub}", date)
                counts.append(np.median(v) if len(v) else np.nan)
            for ring in (1, 2, 3, 4):  # the ring's number, on the line between two sectors
                ax.text(np.pi / 2, ring - 0.1, str(ring), fontsize=7, ha="center", va="center", color="#333333",
                        zorder=5, bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85})
            ax.set_ylim(0, 4.45)
            ax.set_yticks([])
            ax.set_xticks([])
            ax.grid(False)
            ax.spines["polar"].set_visible(False)
            total = data.at(label, f"partners_{hub}", date)
            partners = np.median(total) if len(total) else np.nansum(counts[:3])
            ax.set_title(f"{t.hub(hub)} {date}\n{t('partners_axis').split(' (')[0]} {t.num(partners, 0)}\n"
                         + " · ".join(t.num(c, 0) for c in counts), fontsize=8.5, pad=7, linespacing=1.25)
    handles = [Line2D([], [], color=type_colors[k], marker="o", ls="", label=t.type(typ))
               for k, typ in enumerate(TYPES)]
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=8.5, bbox_to_anchor=(0.5, -0.01))
    fig.tight_layout(rect=(0, 1.1 / (cell * nrows + 1.3), 1, 1))
    return _finish(fig, "spiders", t("sec_rings"), n)


def goals(runs_by_scenario: dict, t: Text) -> Figure:
    """The sector's goals (propeller.app.goals): one panel per dated target, each scenario's median and 50 % / 90 %
    bands over its runs to the target's year, the target as a dashed line and its month as a dotted one."""
    from propeller.app.goals import goals as dated

    items = dated()
    labels = list(runs_by_scenario)
    colors = scenario_colors(labels)
    nrows = int(np.ceil(len(items) / 2))
    fig, grid = plt.subplots(nrows, 2, figsize=(WIDTH, 2.9 * nrows + 0.6), squeeze=False)  # own x axis each
    axes = grid.ravel()[:len(items)]
    for ax in grid.ravel()[len(items):]:
        ax.set_visible(False)
    n = 0
    for ax, o in zip(axes, items, strict=True):
        scale = 100.0 if o.percent else 1.0
        for lab in labels:
            frames = [r.frame[o.name] for r in runs_by_scenario[lab]]
            m = pd.concat(frames, axis=1)
            m = m.loc[:o.target.by]
            q = m.quantile([0.05, 0.25, 0.5, 0.75, 0.95], axis=1).T
            x = _dates(q.index)
            ax.fill_between(x, q[0.25] * scale, q[0.75] * scale, color=colors[lab], alpha=0.25, lw=0)
            ax.plot(x, q[0.05] * scale, color=colors[lab], lw=0.9, ls=":")
            ax.plot(x, q[0.95] * scale, color=colors[lab], lw=0.9, ls=":")
            ax.plot(x, q[0.5] * scale, color=colors[lab], lw=1.8)
            n += finite_count(q[0.5])
        _target(ax, o.target.value * scale)
        ax.annotate(t("goal" + o.target.key.removeprefix("target")), (0.01, o.target.value * scale),
                    xycoords=("axes fraction", "data"), color=TARGET_COLOR, fontsize=9, va="bottom")
        ax.axvline(_dates([o.target.by])[0], color="#888888", lw=0.8, ls=":")
        ax.set_title(t.label(o.name), fontsize=10)
        ax.set_ylabel("%" if o.percent else (t("trend_axis") if o.name == "productivity_index" else t("index_axis")))
        _date_axis(ax, t, label=False, every=5 if o.target.by >= "2040" else 1)
    handles = [Line2D([], [], color=colors[lab], lw=2, label=t.scenario(lab)) for lab in labels]
    grey = "#666666"
    handles += [Patch(color=grey, alpha=0.35, label=t("band50")), Line2D([], [], color=grey, lw=0.9, ls=":", label=t("band90")),
                Line2D([], [], color=TARGET_COLOR, ls="--", label=t("target"))]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), frameon=False,
               bbox_to_anchor=(0.5, -0.01))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _finish(fig, "goals", t("sec_goals"), n)
