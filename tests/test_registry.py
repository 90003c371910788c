"""The instrument registry: the package's instruments, what derives from it, and a toy instrument registered from here.

The toy uses existing kinds of effect only (a forward push, KPI 5) and a Table 3.2 row of its own; its parameters
come from an in-memory extension of the baseline (``Scenario.extended``), so neither the package nor uncalibrated_defaults.toml is
touched. docs/extending.md describes the same steps for a real instrument.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import propeller.core.instruments as package
from propeller.core.constants import HUBS
from propeller.core.instruments import RegistryError, registered, registry
from propeller.core.instruments.base import Instrument, hazard
from propeller.core.model import PropellerModel
from propeller.scenarios.loader import DEFAULTS, ScenarioError, load
from tests import golden

ROOT = Path(__file__).resolve().parents[1]
REGION = {"simulation.region": "west"}


class Toy(Instrument):
    """Workshops for partners in Agenderen: a push one step further (like LLO's), KPI 5 for every person."""

    name = "toy"
    label, label_nl = "toy workshops", "speelwerkplaatsen"
    order = 35  # after education (30), before LLO (40)
    category = "toy"
    ELIGIBILITY = {"awareness": 1.0, "vision": 1.0, "partnering": 1.0}
    PARAMS = Instrument.PARAMS + ("p_advance",)
    kpi5 = True

    def __init__(self, p):
        super().__init__(p)
        self.h_fwd = hazard(self.cfg["p_advance"])


TOY_PARAMS = {
    "instruments.toy.orgs_per_run": 4.0, "instruments.toy.persons_per_org": 1.5, "instruments.toy.intensity_gain": 0.1,
    "instruments.toy.cost": 1000.0, "instruments.toy.staff_days": 1.0, "instruments.toy.p_advance": 0.3,
    **{f"hubs.{hub}.instruments.toy": 2.0 for hub in HUBS},
}


# ---------------------------------------------------------------------------------------------- the package
def test_every_module_of_the_package_registers_its_instrument():
    modules = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in ("base", "registry")]
    by_module = {}
    for cls in registry.instruments():
        by_module.setdefault(cls.__module__.rsplit(".", 1)[-1], []).append(cls.name)
    assert sorted(by_module) == sorted(modules)
    assert all(len(v) == 1 for v in by_module.values()), by_module
    orders = [cls.order for cls in registry.instruments()]
    assert orders == sorted(set(orders))  # month order: ascending and unambiguous


def test_baseline_holds_exactly_the_registered_instruments():
    """Each registered instrument's PARAMS are under [instruments.<name>] and each hub has its run rate; uncalibrated_defaults.toml
    has no instrument table or hub rate that no module registers."""
    p = load(DEFAULTS).params
    assert registry.missing_parameters(p) == []
    assert {k.split(".")[1] for k in p if k.startswith("instruments.")} == set(registry.names())
    for hub in HUBS:
        rates = {k.rsplit(".", 1)[1] for k in p if k.startswith(f"hubs.{hub}.instruments.")}
        assert rates == set(registry.names()), hub


def test_model_and_outputs_follow_the_registry():
    m = PropellerModel(load(DEFAULTS, overrides=REGION), rng=0, with_agents=False)
    assert [i.name for i in m.instruments] == list(registry.names())
    assert list(m.runs) == list(registry.names())
    assert list(m.participants) == list(registry.categories())
    m.run_for(1)
    ts = m.outcomes()["timeseries"]
    assert [c for c in ts if c.startswith("runs_")] == [f"runs_{n}" for n in registry.names()]


def test_register_refuses_what_it_cannot_order_or_name():
    class Named(Toy):
        pass

    with registered(Toy), pytest.raises(RegistryError, match="already registered"):
        registry.register(Named)
    with pytest.raises(RegistryError, match="order 30 is taken by 'education'"):
        registry.register(type("Clash", (Toy,), {"name": "clash", "order": 30}))
    with pytest.raises(RegistryError, match="lower-case Python identifier"):
        registry.register(type("Bad", (Toy,), {"name": "bad-name"}))
    with pytest.raises(RegistryError, match="label_nl: expected a non-empty string"):
        registry.register(type("Unlabelled", (Toy,), {"name": "unlabelled", "label_nl": ""}))
    with pytest.raises(RegistryError, match="order None"):
        registry.register(type("Unordered", (Toy,), {"name": "unordered", "order": None}))
    with pytest.raises(RegistryError, match="PARAMS: expected intensity_gain, cost, staff_days"):
        registry.register(type("Free", (Toy,), {"name": "free", "PARAMS": ("p_advance",)}))
    with pytest.raises(RegistryError, match="not a subclass"):
        registry.register(dict)
    with pytest.raises(RegistryError, match="not registered"):
        registry.unregister("toy")
    assert "toy" not in registry.names() and "clash" not in registry.names()


def test_categories_once_each_in_month_order():
    events, llo = registry.get("events"), registry.get("llo")
    also_llo = type("AlsoLlo", (Toy,), {"category": "llo"})
    assert registry.categories((events, llo, also_llo, Toy)) == ("events", "llo", "toy")


def test_extended_scenario_adds_only_new_valid_keys():
    base = load(DEFAULTS, overrides=REGION)
    sc = base.extended(TOY_PARAMS, origin="toy")
    assert sc["instruments.toy.p_advance"] == 0.3 and "instruments.toy.p_advance" not in base.params
    assert sc.with_overrides({"instruments.toy.p_advance": 0.5})["instruments.toy.p_advance"] == 0.5
    with pytest.raises(ScenarioError, match="not in the scenario yet"):
        base.extended({"instruments.events.cost": 1.0})
    with pytest.raises(ScenarioError, match=r"instruments.toy.p_advance: expected a number in \[0, 1\]"):
        base.extended({"instruments.toy.p_advance": 1.5})


# ---------------------------------------------------------------------------------------------- a toy instrument
def test_toy_instrument_registers_runs_and_leaves_no_trace():
    from propeller.app.dashboard import app
    from propeller.app.dashboard.model import DashboardModel, scenario_overrides
    from propeller.app.report.i18n import Text

    before = registry.names()
    with registered(Toy):
        names = registry.names()
        assert names.index("toy") == names.index("education") + 1          # its month order
        cats = registry.categories()                                       # a Table 3.2 row of its own, in month order
        assert cats.index("toy") == cats.index("education_students") + 1
        with pytest.raises(RegistryError, match=r"instruments\.toy\.p_advance"):
            PropellerModel(load(DEFAULTS, overrides=REGION), rng=0)                 # its parameters are required

        scenario = load(DEFAULTS, overrides=REGION).extended(TOY_PARAMS, origin="toy")
        m = PropellerModel(scenario, rng=3, with_agents=False)
        assert [i.name for i in m.instruments] == list(names)
        m.run_for(6)
        out = m.outcomes()
        ts, part = out["timeseries"], out["participants"].set_index("activity")
        assert m.runs["toy"] > 0 and ts["runs_toy"].iloc[-1] == m.runs["toy"]      # it ran
        assert part.at["toy", "professionals"] > 0                                   # counted in its category
        assert part.at["toy", "professionals"] == ts["participants_toy_professionals"].iloc[-1]
        assert m.instrument_names.index("toy") in m.participation_log()["instrument"]
        m.release()

        controls = app.model_params()                                      # the dashboard's slider
        assert controls["toy"].label == "Toy workshops ×"
        assert list(controls)[-len(names):] == list(names)
        over = scenario_overrides(scenario, region="west", funding=1.0, connector=1.0, connector_leaves="scenario",
                                  follower_weight=0.15, rates={"toy": 0.5})
        assert over["hubs.west.instruments.toy"] == 0.5 * TOY_PARAMS["hubs.west.instruments.toy"]
        assert "toy workshops, LLO, coaching and client approach" in Text("en").instruments()       # the report's list
        assert "speelwerkplaatsen, LLO, coaching en opdrachtgeversaanpak" in Text("nl").instruments()
        with pytest.raises(TypeError, match="unknown argument"):
            DashboardModel(toys=1.0)

    assert registry.names() == before
    assert golden.compute() == golden.load_golden()  # unregistered: the golden runs are exactly as pinned


# ---------------------------------------------------------------------------------------------- the docs
def _table_row(text: str, first_cell: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if re.match(rf"\|\s*{re.escape(first_cell)}\s*\|", ln))
    return [c.strip() for c in line.strip().strip("|").split("|")][1:]


def _short(v: float) -> str:
    return f"{v:g}".removeprefix("0") if v else "0"


def test_docs_list_the_registered_instruments():
    """The ODD's and README's lists of instruments, their month order and Table 3.2 rows are the registry's."""
    from propeller.app.report.i18n import Text

    odd = (ROOT / "docs" / "ODD.md").read_text()
    readme = (ROOT / "README.md").read_text()
    names = registry.names()
    headings = [registry.heading(n) for n in names]
    assert f"run their instruments:\n{Text('en').instruments()} (§7.5)" in odd                   # §1
    assert f"fixed order (`order`, §7.5) **{', '.join(headings)}**" in odd                     # §3, the month
    section = odd.split("### 7.5 Instruments", 1)[1]                                              # §7.5 tables
    assert _table_row(section, "") == headings
    assert _table_row(section, "Field")[1:] == headings
    rows = [cell.split(" / ")[0] for cell in _table_row(odd, "Table 3.2 row / KPI 5 (credited to the running hub)")]
    assert rows == [registry.get(n).category or "none" for n in names]
    p = load(DEFAULTS).params                                                                              # §2.2, baseline rates
    labels = ", ".join(registry.label(n) for n in names)
    assert _table_row(odd, f"runs/month: {labels}") == [" ".join(_short(p[f"hubs.{h}.instruments.{n}"]) for n in names)
                                                        for h in HUBS]
    cats = registry.categories()          # §10.2 (the §10.1 column table is generated: tests/test_outputs.py)
    assert f"{len(cats)} rows (`activity` = {', '.join(cats)})" in odd
    assert f"Table 3.2 activity ({', '.join(cats)})" in readme
    assert f"| {headings[0]} × … {headings[-1]} × |" in readme


def test_docs_extending_names_what_exists():
    """docs/extending.md's paths, functions and tests exist."""
    text = (ROOT / "docs" / "extending.md").read_text()
    paths = re.findall(r"`((?:model|scenarios|tests|docs)/[\w/.]+\.(?:py|toml|csv|md))`", text)
    funcs = re.findall(r"`registry\.(\w+)\(", text)
    tests = re.findall(r"`tests/(test_\w+)\.py::(test_\w+)`", text)
    assert len(paths) > 5 and len(funcs) > 2 and len(tests) >= 3
    assert [p for p in paths if not (ROOT / p).exists()] == []
    assert [f for f in funcs if not hasattr(registry, f)] == []
    assert [t for t in tests if not hasattr(importlib.import_module(f"tests.{t[0]}"), t[1])] == []


class Tagging(Toy):
    """The toy, plus an effect that is not data (``Instrument.after``): it tags its participants."""

    calls: list = []

    def after(self, m, h, sel, themes):
        Tagging.calls.append((m.t, h, sel.copy(), themes.copy()))


def test_an_effect_that_is_not_data_is_called_with_the_months_participants():
    Tagging.calls = []
    with registered(Tagging):
        scenario = load(DEFAULTS, overrides=REGION).extended(TOY_PARAMS, origin="toy")
        m = PropellerModel(scenario, rng=3, with_agents=False)
        m.run_for(4)
        log = m.participation_log()
        mine = log["instrument"] == m.instrument_names.index("toy")
        assert mine.sum() > 0 and len(Tagging.calls) > 0
        assert {h for _, h, _, _ in Tagging.calls} == {HUBS.index("west")}   # a West run: only West's hub
        got = np.concatenate([s for *_, s, _ in Tagging.calls])
        assert sorted(got.tolist()) == sorted(log["organisation"][mine].tolist())  # exactly its participants
        for t, _h, sel, themes in Tagging.calls:                               # called in the month they took part
            at = mine & (log["month"] == t)
            assert sorted(zip(sel.tolist(), themes.tolist(), strict=True)) == sorted(
                zip(log["organisation"][at].tolist(), log["theme"][at].tolist(), strict=True))
        m.release()
