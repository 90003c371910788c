"""Solara components of the dashboard, each a function of the model, for the dashboard's two pages.

Steering: overview, partners with the 500 line, KPI 4 with the 130 target, KPI 5 with the +650 target (the
programme's targets count all hubs, so their lines are drawn in all-hubs runs only), hub activity and
connector. Analyst: overview, network view, propeller occupancy over time (phase shares),
propeller steps now with the theme selector. Every component reads ``update_counter`` so that it re-renders
after each step, as Mesa's own do.
"""

from __future__ import annotations

import html

import solara
from mesa.visualization.utils import update_counter
from solara.widgets import VegaLite

from propeller.app.dashboard.render import MAX_DRAWN, network_png, series_spec, steps_spec
from propeller.core.constants import HUBS, THEMES
from propeller.core.instruments import registry

PAGES = ("Steering", "Analyst")  # page 0, page 1 of components()
theme = solara.reactive(THEMES[0])  # the theme of the network colours and the step bars (per browser session)

PHASE_LINE_COLORS = {"none": "#9e9e9e", "agenderen": "#f28e2b", "uitproberen": "#4e79a7", "adopteren": "#1a9850"}
TARGETS = {"Partners": (500, "target 500+ partners (all hubs)"),
           "KPI 4": (130, "target ≥ 130 MKB companies (2027, all hubs)"),
           "KPI 5": (650, "target +650 people (2027, all hubs)")}


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else html.escape(str(v))


def _num(v) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:.2f}"


def VegaLiteChart(spec: dict):
    return VegaLite.element(spec=spec, listen_to_click=False, listen_to_hover=False)


@solara.component
def Overview(model):
    """Where the run stands: month, the KPIs against their targets, and the lever values in the model."""
    update_counter.get()
    now = model.datacollector.get_model_vars_dataframe().iloc[-1]
    p = model.p
    hubs = [HUBS[h] for h in model.lever_hubs]
    leaves = ", ".join(f"{h}: {p[f'hubs.{h}.connector_leaves'] or 'never'}" for h in hubs)
    connector = ", ".join(f"{h}: {_fmt(p[f'hubs.{h}.connector_strength'])}" for h in hubs)
    rates = "; ".join(f"{h}: " + ", ".join(f"{i} {_fmt(round(p.get(f'hubs.{h}.instruments.{i}', 0.0), 4))}"
                                           for i in registry.names()) for h in hubs)
    all_hubs = model.region == "all"
    cell = "padding: 2px 14px 2px 0"
    rows = "".join(
        f"<tr><td style='{cell}'>{name}</td><td class='now' data-measure='{name}' style='{cell}; text-align: right'>"
        f"{now[name]:,.0f}</td><td style='{cell}'>{TARGETS[name][1] if all_hubs else 'the target counts all hubs'}"
        "</td></tr>" for name in ("Partners", "KPI 4", "KPI 5"))
    body = f"""
<div class="propeller-overview" style="font-size: 14px; line-height: 1.45">
  <div style="font-size: 17px; font-weight: 600">
    <span class="propeller-month">Month {model.t}</span> of {model.n_months} ({model.date})
    — {html.escape(model.region_label)}, seed {model.seed}{'' if model.running else ' — horizon reached'}
  </div>
  <div style="color: #555">Scenario file: {html.escape(model.scenario_label)}</div>
  <table style="margin: 6px 0; border-collapse: collapse">
    <tr><th style="text-align: left; {cell}">measure</th><th style="{cell}; text-align: right">now</th>
        <th style="text-align: left">target</th></tr>
    {rows}
    <tr><td style="{cell}">Adopted share</td><td style="{cell}; text-align: right">{now['Adopted share']:.1%}</td>
        <td style="{cell}">all organisations, mean over themes</td></tr>
  </table>
  <div class="propeller-levers">
    <b>Levers in this run</b> (the model's parameters):<br>
    funding multiplier <span class="lever-funding">{_fmt(p['funding.multiplier'])}</span>
    from {p['funding.change_date']};
    follower weight <span class="lever-followers">{_fmt(p['ecosystem.class_weight'][-1])}</span>;<br>
    connector strength {connector}; connector leaves {html.escape(leaves)};<br>
    instrument runs per month at full activity — {rates}
  </div>
  <div style="color: #777; margin-top: 6px">The targets are the programme's, for all hubs together: they are
    drawn in all-hubs runs only (Region: all). Change the levers, then press Reset.</div>
</div>"""
    solara.HTML(tag="div", unsafe_innerHTML=body)


def make_series_component(measures: dict[str, str], y_title: str, target: tuple[float, str] | None = None,
                          page: int = 0):
    """Like Mesa's ``make_plot_component``: (component, page) drawing DataCollector series, plus a target line."""

    @solara.component
    def Series(model):
        update_counter.get()
        df = model.datacollector.get_model_vars_dataframe()
        now = ", ".join(f"{name} {_num(df[name].iloc[-1])}" for name in measures)
        shown = target if model.region == "all" else None  # the programme's targets count all hubs
        note = "" if target is None or shown else f"; no {target[1]} line: the target counts all hubs, this run one"
        with solara.Column(gap="0px"):
            VegaLiteChart(series_spec(model, measures, y_title, shown))
            months = f"{len(df)} month" + ("s" if len(df) != 1 else "")
            solara.Text(f"{model.date}: {now} ({months} plotted{note})", classes=["series-caption"],
                        style={"font-size": "12px", "color": "#555", "padding-left": "40px"})

    Series.__name__ = "Series_" + "_".join(m.replace(" ", "") for m in measures)
    return (Series, page)


@solara.component
def NetworkView(model):
    """The ecosystem of the run's hub(s), laid out once per model."""
    update_counter.get()
    drawable = model.pop.n <= MAX_DRAWN
    png = solara.use_memo(lambda: network_png(model, theme.value) if drawable else None,
                          [id(model), model.t, theme.value])
    if png is None:
        solara.Warning(f"{model.pop.n} organisations: too many to draw; choose a smaller region or scenario.")
    else:
        solara.Image(png, classes=["propeller-network"])


@solara.component
def PropellerSteps(model):
    """The theme selector, and organisations per propeller step on that theme now."""
    update_counter.get()
    with solara.Column(gap="0px"):
        solara.Select("Theme (network colours and these bars)", value=theme, values=list(THEMES))
        VegaLiteChart(steps_spec(model, theme.value))


def components() -> list:
    """(component, page) pairs: page 0 is PAGES[0] (Steering), page 1 PAGES[1] (Analyst)."""
    return [
        (Overview, 0),
        make_series_component({"Partners": "#1f77b4"}, "partners (rings 1-3)", (500, "500+ partners"), page=0),
        make_series_component({"KPI 4": "#ff7f0e"}, "KPI 4: MKB companies", (130, "≥ 130 (2027)"), page=0),
        make_series_component({"KPI 5": "#2ca02c"}, "KPI 5: people with new skills", (650, "+650 (2027)"), page=0),
        make_series_component({"Activity level": "#8c564b", "Connector": "#7f7f7f"}, "hub activity / connector (0-1)",
                              page=0),
        (Overview, 1),
        (NetworkView, 1),
        make_series_component({f"Phase {p}": c for p, c in PHASE_LINE_COLORS.items()}, "share of partner × theme pairs",
                              page=1),
        (PropellerSteps, 1),
    ]
