"""The solara app: the dashboard page around a DashboardModel (``solara run propeller.app.dashboard.app``).

``propeller dashboard`` starts it; the scenario file given there arrives in the environment variable
``PROPELLER_DASHBOARD_SCENARIO`` (default: the calibrated scenario). Each browser session gets its own model.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from propeller.app.dashboard.components import PAGES, components
from propeller.app.dashboard.model import LEAVES_CHOICES, REGIONS, DashboardModel, scenario_label, scenario_path
from propeller.core.instruments import registry
from propeller.scenarios.loader import SCENARIO_DIR, load

DEFAULT_REGION = "west"


def scenario_choices(current: Path) -> list[str]:
    """The scenario files of scenarios/ plus the one given on the command line."""
    files = [scenario_label(p) for p in sorted(SCENARIO_DIR.glob("*.toml"))]
    label = scenario_label(current)
    return files if label in files else [label] + files


def model_params(scenario_file: str | Path | None = None) -> dict:
    """SolaraViz controls (short labels: solara puts a slider beside its label).

    "×" sliders multiply the scenario's values (the connector strength, capped at 1, and the instrument
    rates of the run's hub, or of every hub in an all-hubs run: one slider per registered instrument, named
    and labelled by the registry); "Funding" sets funding.multiplier from
    funding.change_date and "Follower weight" the followers' class weight (1 = target followers), both
    starting at ``scenario_file``'s values. Once the model is rebuilt (Reset) every control applies.
    """
    path = scenario_path(str(scenario_file) if scenario_file else None)
    base = load(path)
    rate = {"step": 0.1, "min": 0.0, "max": 3.0}
    controls = {
        "scenario_file": {"type": "Select", "value": scenario_label(path), "values": scenario_choices(path),
                          "label": "Scenario file"},
        "region": {"type": "Select", "value": DEFAULT_REGION, "values": list(REGIONS),
                   "label": "Region: one hub's region, or all hubs"},
        "rng": {"type": "InputText", "value": "0", "label": "Random seed"},
        "funding": Slider(f"Funding from {base['funding.change_date']}", float(base["funding.multiplier"]), 0.0, 2.0, 0.05),
        "connector": Slider("Connector ×", 1.0, 0.0, 1.5, 0.05),
        "connector_leaves": {"type": "Select", "value": "scenario", "values": list(LEAVES_CHOICES),
                             "label": "Connector leaves"},
        "follower_weight": Slider("Follower weight", float(base["ecosystem.class_weight"][-1]), 0.0, 1.0, 0.05),
    }
    own = set(inspect.signature(DashboardModel.__init__).parameters) - {"self", "rates"}
    clash = own & set(registry.names())
    if clash:  # the instrument's multiplier would arrive as that argument
        raise ValueError(f"instrument name(s) {', '.join(sorted(clash))} clash with DashboardModel's arguments")
    controls.update({name: Slider(f"{registry.heading(name)} ×", 1.0, **rate) for name in registry.names()})
    return controls


def initial_kwargs(params: dict) -> dict:
    return {k: (v.value if isinstance(v, Slider) else v["value"]) for k, v in params.items()}


SCENARIO = os.environ.get("PROPELLER_DASHBOARD_SCENARIO") or None
PARAMS = model_params(SCENARIO)
COMPONENTS = components()


def _shown(value, step) -> str:
    """A control's value as the sidebar shows it (no float noise: 0.30000000000000004 -> 0.3)."""
    if isinstance(value, float):
        digits = max(0, -int(f"{step:e}".split("e")[1])) if step else 2
        return f"{value:.{digits}f}"
    return str(value)


@solara.component
def Levers(params: dict, values: solara.Reactive[dict]):
    """The controls, each showing its current value beside its label (Mesa's own sliders show it only while
    dragged); the values reach the model on Reset (Mesa's ModelController rebuilds it from ``values``)."""
    solara.use_effect(lambda: values.set(initial_kwargs(params)), [])

    def setter(name):
        return lambda v: values.set({**values.value, name: v})

    for name, spec in params.items():
        now = values.value.get(name, spec.value if isinstance(spec, Slider) else spec["value"])
        if isinstance(spec, Slider):
            with solara.Div(classes=[f"control-{name}"]):  # SliderFloat takes no classes; the browser test finds it
                solara.SliderFloat(f"{spec.label}: {_shown(now, spec.step)}", value=now, on_value=setter(name),
                                   min=spec.min, max=spec.max, step=spec.step, thumb_label=True)
        elif spec["type"] == "Select":
            solara.Select(spec["label"], value=now, values=spec["values"], on_value=setter(name))
        else:
            solara.InputText(spec["label"], value=now, on_value=setter(name))


@solara.component
def RunInfo(model):
    update_counter.get()
    solara.Text(f"{model.date}: month {model.t} of {model.n_months}", classes=["propeller-runinfo"])


@solara.component
def Pages(model):
    """The pages as named tabs (Steering, Analyst); only the open page's components are built."""
    tab, set_tab = solara.use_state(0)
    with solara.v.Tabs(v_model=tab, on_v_model=set_tab):
        for name in PAGES:
            solara.v.Tab(children=[name])
    with solara.Div(classes=["propeller-page"]):
        items = [comp for comp, page in COMPONENTS if page == tab]
        with solara.GridFixed(columns=2, align_items="start"):
            for comp in items:
                comp(model)


@solara.component
def Page():
    """The dashboard: Mesa's ModelController (Reset, play, Step) and the levers in the sidebar, the named pages
    beside them. Not SolaraViz: its tabs are numbered ("Page 0") and it adds play-interval, render-interval and
    thread controls that change nothing a reader of this model needs (one month per step, drawn every step)."""
    first = solara.use_memo(lambda: DashboardModel(**initial_kwargs(PARAMS)), [])
    model = solara.use_reactive(first)
    values = solara.use_reactive(initial_kwargs(PARAMS))
    play_interval = solara.use_reactive(150)     # ms between months while playing
    render_interval = solara.use_reactive(1)     # draw every month
    use_threads = solara.use_reactive(False)
    with solara.AppBar():
        solara.AppBarTitle("Propeller dashboard")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(model, model_parameters=values, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
            RunInfo(model.value)
        with solara.Card("Levers (they apply on Reset)"):
            Levers(PARAMS, values)
    Pages(model.value)
