"""What the dashboard draws, as plain functions of the model (no solara here: the benchmark and the
tests call them directly).

* :func:`network_png`: the hub's ecosystem (matplotlib, PNG): organisations coloured by propeller
  phase on a theme and sized by organisation size, organisation-hub relations coloured by ring.
* :func:`series_spec`: monthly series from the DataCollector, with a target line (Vega-Lite);
* :func:`steps_spec`: organisations per propeller step on a theme now (Vega-Lite).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from propeller.core.constants import PHASES, STEP_PHASE, STEPS, THEMES

PHASE_COLORS = {"none": "#d9d9d9", "agenderen": "#fdae61", "uitproberen": "#74add1", "adopteren": "#1a9850"}
RING_COLORS = {1: "#08306b", 2: "#2171b5", 3: "#6baed6", 4: "#e0e0e0"}
RING_LABELS = {1: "ring 1 (strategic)", 2: "ring 2", 3: "ring 3 (ad hoc)", 4: "ring 4 (potential)"}
TIE_COLOR, COLLAB_COLOR = "#d0d0d0", "#9467bd"
MAX_DRAWN = 5000  # organisations: beyond this the view would be unreadable (and the layout slow)
_PHASE_RGB = np.array(list(PHASE_COLORS.values()))
THEMES_DEFAULT = THEMES[0]


def node_sizes(size: np.ndarray) -> np.ndarray:
    """Marker area (points^2) from employees (students for schools): log-scaled."""
    return 3.0 + 7.0 * np.log10(1.0 + np.asarray(size, dtype=float))


def _polyline(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments (n x 2 x 2) as one NaN-separated polyline: one Line2D draws them all."""
    pts = np.full((len(segments), 3, 2), np.nan)
    pts[:, :2] = segments
    pts = pts.reshape(-1, 2)
    return pts[:, 0], pts[:, 1]


class NetworkRenderer:
    """The network view of one model as PNG bytes, drawn by blitting.

    What never moves (the structural ties, the legend, the axes) is drawn once into a background; each
    call restores it and draws only what changes (relations to the hub by ring, ties from joint
    activities, the organisations' phase colours, the hubs, the title), then encodes the pixels.
    """

    def __init__(self, model, dpi: int = 80):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        view = model.network_view(THEMES_DEFAULT)
        self.fig = fig = Figure(figsize=(6.0, 4.5), dpi=dpi)   # 480 x 360 px: fits a SolaraViz grid cell
        self.canvas = FigureCanvasAgg(fig)
        self.ax = ax = fig.add_axes((0.0, 0.0, 0.7, 0.9))
        ax.set_axis_off()
        pos = view["pos"]
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        pad = 0.04 * max((hi - lo).max(), 1e-9)
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
        ax.set_aspect("equal", adjustable="box")
        ax.plot(*_polyline(view["ties"]), color=TIE_COLOR, lw=0.3, zorder=0)
        handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="#555555", label=p)
                   for p, c in PHASE_COLORS.items()]
        handles += [Line2D([], [], color=RING_COLORS[r], label=RING_LABELS[r]) for r in (1, 2, 3, 4)]
        handles += [Line2D([], [], color=TIE_COLOR, label="chain/client/member tie"),
                    Line2D([], [], color=COLLAB_COLOR, label="tie from a joint activity")]
        fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False, title="phase / relation",
                   title_fontsize=7)
        self.rings = {r: ax.plot([], [], color=RING_COLORS[r], lw=0.6 if r < 4 else 0.4, animated=True)[0]
                      for r in (4, 3, 2, 1)}
        self.collab = ax.plot([], [], color=COLLAB_COLOR, lw=0.4, alpha=0.35, animated=True)[0]
        self.nodes = ax.scatter(pos[:, 0], pos[:, 1], s=node_sizes(view["size"]), c=_PHASE_RGB[view["phase"]],
                                linewidths=0, animated=True)
        hp = view["hub_pos"]
        self.hubs = ax.scatter(hp[:, 0], hp[:, 1], s=160, marker="s", c="black", animated=True)
        self.hub_labels = [ax.annotate(name.capitalize(), (x, y), xytext=(6, 6), textcoords="offset points",
                                       fontsize=9, weight="bold", animated=True)
                           for (x, y), name in zip(hp, view["hub_names"], strict=True)]
        self.title = fig.text(0.02, 0.985, "", fontsize=8.5, va="top", animated=True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def png(self, model, theme: str) -> bytes:
        from PIL import Image

        view = model.network_view(theme)
        self.canvas.restore_region(self.background)
        for r, line in self.rings.items():
            line.set_data(*_polyline(view["hub_edges"][r]))
        self.collab.set_data(*_polyline(view["collab"]))
        self.nodes.set_facecolors(_PHASE_RGB[view["phase"]])
        counts = np.bincount(view["phase"], minlength=len(PHASES))
        self.title.set_text(f"{model.region_label}, {model.date}: {theme.replace('_', ' ')}\n"
                            + "   ".join(f"{p} {c}" for p, c in zip(PHASES, counts, strict=True)))
        for artist in (*self.rings.values(), self.collab, self.nodes, self.hubs, *self.hub_labels, self.title):
            self.fig.draw_artist(artist)
        buf = io.BytesIO()
        w, h = self.canvas.get_width_height()
        Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB").save(
            buf, format="png", compress_level=1)
        return buf.getvalue()


def network_png(model, theme: str) -> bytes:
    """The network view as PNG bytes; the renderer (and its background) is made once per model."""
    renderer = getattr(model, "_network_renderer", None)
    if renderer is None:
        renderer = model._network_renderer = NetworkRenderer(model)
    with model.render_lock:
        return renderer.png(model, theme)


VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"  # the version solara's front-end loads
TARGET_COLOR = "#d62728"


def month_labels(start: str) -> str:
    """A Vega expression that writes month number ``datum.value`` (0 = ``start``, 'YYYY-MM') as its 'YYYY-MM'."""
    y0, m0 = int(start[:4]), int(start[5:7]) - 1
    return (f"toString({y0} + floor((datum.value + {m0}) / 12)) + '-' + "
            f"pad(toString((datum.value + {m0}) % 12 + 1), 2, '0', 'left')")


def month_axis(start: str) -> dict:
    """Whole months only (no 2.5), labelled by their dates."""
    return {"tickMinStep": 1, "format": "d", "labelExpr": month_labels(start), "labelFlush": True}


def series_spec(model, measures: dict[str, str], y_title: str, target: tuple[float, str] | None = None,
                width: int = 400, height: int = 250) -> dict:
    """A Vega-Lite spec of DataCollector series (one line per measure) with an optional target line.

    Built as a plain dict: about 1 ms, where an Altair chart costs 30-70 ms per render here (schema
    validation), which matters because every chart on the page is rebuilt after every step.
    """
    df = model.datacollector.get_model_vars_dataframe()
    dates = model.dates
    values = [{"month": int(t), "date": dates[t], "measure": name, "value": float(v)}
              for name in measures for t, v in zip(range(len(df)), df[name].to_numpy(), strict=True)]
    layers = [{
        "data": {"values": values},
        "mark": {"type": "line", "point": len(values) <= 2 * len(measures)},
        "encoding": {
            "x": {"field": "month", "type": "quantitative", "title": "month",
                  "scale": {"domain": [0, max(12, len(df) - 1)]}, "axis": month_axis(dates[0])},
            "y": {"field": "value", "type": "quantitative", "title": y_title},
            "color": {"field": "measure", "type": "nominal", "legend": {"orient": "top", "title": None},
                      "scale": {"domain": list(measures), "range": list(measures.values())}},
            "tooltip": [{"field": "date", "title": "month"}, {"field": "measure"},
                        {"field": "value", "format": ",.3~f"}],
        },
    }]
    if target is not None:
        value, label = target
        tdata = {"values": [{"y": value, "label": label}]}
        layers.append({"data": tdata, "mark": {"type": "rule", "color": TARGET_COLOR, "strokeDash": [6, 4]},
                       "encoding": {"y": {"field": "y", "type": "quantitative"}}})
        layers.append({"data": tdata, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -7, "color": TARGET_COLOR},
                       "encoding": {"y": {"field": "y", "type": "quantitative"}, "x": {"value": 0},
                                    "text": {"field": "label"}}})
    return {"$schema": VEGA_LITE, "width": width, "height": height, "layer": layers}


def steps_spec(model, theme: str, width: int = 400, height: int = 220) -> dict:
    """Organisations per propeller step on ``theme`` now, coloured by phase (Vega-Lite)."""
    counts = model.steps_count(theme)
    values = [{"step": s, "organisations": int(c), "phase": PHASES[p]} for s, c, p in zip(STEPS, counts, STEP_PHASE, strict=True)]
    return {
        "$schema": VEGA_LITE, "width": width, "height": height,
        "title": f"Propeller steps, {model.date}: {theme.replace('_', ' ')} ({model.region_label})",
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "step", "type": "nominal", "sort": list(STEPS), "title": None, "axis": {"labelAngle": -40}},
            "y": {"field": "organisations", "type": "quantitative"},
            "color": {"field": "phase", "type": "nominal", "legend": {"orient": "top", "title": None},
                      "scale": {"domain": list(PHASE_COLORS), "range": list(PHASE_COLORS.values())}},
            "tooltip": [{"field": "step"}, {"field": "phase"}, {"field": "organisations"}],
        },
    }
