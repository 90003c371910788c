"""What the dashboard draws, as plain functions of the model (no solara here: the benchmark and the
tests call them directly).

* :func:`network_png`: the hub's ecosystem (matplotlib, PNG): organisations coloured by propeller
  phase on a theme and sized by organisation size, organisation-hub relations coloured by ring.
* :func:`steps_chart`: organisations per propeller step on a theme now (Altair).
* :func:`with_target`: a post-process for Mesa's plot component that adds a target line.
"""

from __future__ import annotations

import io

import altair as alt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from model.constants import PHASES, STEP_PHASE, STEPS

PHASE_COLORS = {"none": "#d9d9d9", "agenderen": "#fdae61", "uitproberen": "#74add1", "adopteren": "#1a9850"}
RING_COLORS = {1: "#08306b", 2: "#2171b5", 3: "#6baed6", 4: "#e0e0e0"}
RING_LABELS = {1: "ring 1 (strategic)", 2: "ring 2", 3: "ring 3 (ad hoc)", 4: "ring 4 (potential)"}
TIE_COLOR, COLLAB_COLOR = "#d0d0d0", "#9467bd"
MAX_DRAWN = 5000  # organisations: beyond this the view would be unreadable (and the layout slow)
_PHASE_RGB = np.array(list(PHASE_COLORS.values()))


def node_sizes(size: np.ndarray) -> np.ndarray:
    """Marker area (points^2) from employees (students for schools): log-scaled."""
    return 3.0 + 7.0 * np.log10(1.0 + np.asarray(size, dtype=float))


def network_png(model, theme: str, dpi: int = 80) -> bytes:
    """The network view as PNG bytes (about 40-60 ms for one hub region here)."""
    d = model.network_view(theme)
    fig = Figure(figsize=(6.4, 6.4), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 0.93))
    ax.set_axis_off()
    ax.add_collection(LineCollection(d["ties"], colors=TIE_COLOR, linewidths=0.3, zorder=0))
    ax.add_collection(LineCollection(d["collab"], colors=COLLAB_COLOR, linewidths=0.5, alpha=0.7, zorder=1))
    for r in (4, 3, 2, 1):
        ax.add_collection(LineCollection(d["hub_edges"][r], colors=RING_COLORS[r], linewidths=0.6 if r < 4 else 0.4,
                                         zorder=2))
    pos = d["pos"]
    ax.scatter(pos[:, 0], pos[:, 1], s=node_sizes(d["size"]), c=_PHASE_RGB[d["phase"]], edgecolors="#555555",
               linewidths=0.2, zorder=3)
    hp = d["hub_pos"]
    ax.scatter(hp[:, 0], hp[:, 1], s=160, marker="s", c="black", zorder=4)
    for (x, y), name in zip(hp, d["hub_names"]):
        ax.annotate(name.capitalize(), (x, y), xytext=(6, 6), textcoords="offset points", fontsize=9, weight="bold",
                    zorder=5)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    pad = 0.04 * max((hi - lo).max(), 1e-9)
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal", adjustable="datalim")
    handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="#555555", label=p)
               for p, c in PHASE_COLORS.items()]
    handles += [Line2D([], [], color=RING_COLORS[r], label=RING_LABELS[r]) for r in (1, 2, 3, 4)]
    handles += [Line2D([], [], color=COLLAB_COLOR, label="tie from a joint activity")]
    fig.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, framealpha=0.85, ncol=2)
    counts = np.bincount(d["phase"], minlength=len(PHASES))
    fig.suptitle(f"{model.region_label} — {theme.replace('_', ' ')} — {model.date}   "
                 + "  ".join(f"{p} {c}" for p, c in zip(PHASES, counts)), fontsize=9, y=0.985)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def steps_frame(model, theme: str) -> pd.DataFrame:
    counts = model.steps_count(theme)
    return pd.DataFrame({"step": list(STEPS), "order": np.arange(len(STEPS)), "organisations": counts,
                         "phase": [PHASES[p] for p in STEP_PHASE]})


def steps_chart(model, theme: str) -> alt.Chart:
    """Organisations per propeller step on ``theme`` now, coloured by phase."""
    df = steps_frame(model, theme)
    return (
        alt.Chart(df, title=f"Propeller steps now — {theme.replace('_', ' ')} ({model.date})")
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=list(STEPS), title=None, axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("organisations:Q", title="organisations"),
            color=alt.Color("phase:N", scale=alt.Scale(domain=list(PHASE_COLORS), range=list(PHASE_COLORS.values())),
                            legend=alt.Legend(orient="top", title=None)),
            tooltip=["step", "phase", "organisations"],
        )
        .properties(width=420, height=300)
    )


def with_target(value: float, label: str, y_title: str):
    """Post-process for ``make_plot_component``: a dashed target line with its label, and axis titles."""

    def post(chart: alt.Chart) -> alt.LayerChart:
        rule_df = pd.DataFrame({"y": [value], "label": [label]})
        rule = alt.Chart(rule_df).mark_rule(color="#d62728", strokeDash=[6, 4]).encode(y="y:Q")
        text = alt.Chart(rule_df).mark_text(align="left", dx=4, dy=-7, color="#d62728").encode(
            y="y:Q", x=alt.value(0), text="label:N")
        line = chart.encode(x=alt.X("Step:Q", title="month (0 = 2024-03)"), y=alt.Y("Value:Q", title=y_title))
        return alt.layer(line, rule, text)

    return post


def with_titles(y_title: str):
    """Post-process for ``make_plot_component``: axis titles only."""

    def post(chart: alt.Chart) -> alt.Chart:
        return chart.encode(x=alt.X("Step:Q", title="month (0 = 2024-03)"), y=alt.Y("Value:Q", title=y_title))

    return post
