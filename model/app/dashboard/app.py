"""The solara app: Mesa's SolaraViz around a DashboardModel (``solara run propeller.app.dashboard.app``).

``propeller dashboard`` starts it; the scenario file given there arrives in the environment variable
``PROPELLER_DASHBOARD_SCENARIO`` (default: the baseline). Each browser session gets its own model.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import solara
from mesa.visualization import Slider, SolaraViz

from propeller.app.dashboard.components import components
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


@solara.component
def Page():
    model = solara.use_memo(lambda: DashboardModel(**initial_kwargs(PARAMS)), [])
    SolaraViz(model, components=COMPONENTS, model_params=PARAMS, name="Propeller dashboard")
