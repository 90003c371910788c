"""The model behind the dashboard: PropellerModel built from slider values, with a DataCollector.

SolaraViz rebuilds the model on Reset by calling the model class with the control values as keyword
arguments, so :class:`DashboardModel` takes keyword parameters only, all with defaults, and turns
them into dotted scenario overrides for ``propeller.scenarios.loader.load``. Its monthly series live in a
``mesa.DataCollector`` whose model reporters read the counts the Recorder already made this month
(no second pass over the organisations). The network layout is computed once, on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from mesa import DataCollector
from mesa.experimental.scenarios import Scenario as MesaScenario

from propeller.core import calendar
from propeller.core.constants import HUBS, PHASES, STEP_PHASE, THEMES, TYPES
from propeller.core.instruments import registry
from propeller.core.model import PropellerModel
from propeller.scenarios.loader import SCENARIO_DIR, load

ROOT = SCENARIO_DIR.parent
_LAYOUTS: dict = {}  # initial graph + seed -> layout: a Reset with other levers reuses the layout

REGIONS = HUBS + ("all",)
LEAVES_CHOICES = ("scenario", "never", "2025-01", "2026-01", "2027-01", "2028-01")
_MKB = TYPES.index("mkb_builders")
_STEP_PHASE = np.array(STEP_PHASE)


# Model reporters: module functions (picklable), reading this month's Recorder counts.
def partners(m) -> int:
    """Partners (rings 1-3) summed over the hubs, as Table 3.1 counts them (``partners_total``)."""
    return int(m.recorder.agg.rings[m.t, :, 2:].sum())


def kpi4(m) -> int:
    """KPI 4: MKB construction and installation companies that are partners (``kpi4_mkb``)."""
    return int(m.recorder.agg.by_type[m.t, :, _MKB].sum())


def kpi5(m) -> int:
    """KPI 5: people with new skills, cumulative (``kpi5_skilled``)."""
    return int(m.kpi5.sum())


def adopted_share(m) -> float:
    """Share of all organisations in Adopteren, mean over themes."""
    return float(m.recorder.agg.adopted[m.t].mean() / m.pop.n)


def activity_level(m) -> float:
    """Activity level (0-1, budget- and capacity-limited) of the hub(s) the levers act on."""
    return float(m.activity_level[m.lever_hubs].mean()) if len(m.lever_hubs) else 0.0


def connector_strength(m) -> float:
    """Connector strength of the hub(s) the levers act on."""
    return float(m.connector[m.lever_hubs].mean()) if len(m.lever_hubs) else 0.0


def _phase_share(i: int):
    def share(m) -> float:
        n_pairs = max(int(m.recorder.agg.unique[m.t]) * len(THEMES), 1)
        return float(m.recorder.agg.by_phase[m.t, i] / n_pairs)
    share.__name__ = f"phase_share_{PHASES[i]}"
    return share


def _hub_partners(h: int):
    def hub_partners(m) -> int:
        return int(m.recorder.agg.rings[m.t, h, 2:].sum())
    hub_partners.__name__ = f"partners_{HUBS[h]}"
    return hub_partners


REPORTERS = {
    "Partners": partners,
    "KPI 4": kpi4,
    "KPI 5": kpi5,
    **{f"Partners {hub.capitalize()}": _hub_partners(h) for h, hub in enumerate(HUBS)},
    **{f"Phase {name}": _phase_share(i) for i, name in enumerate(PHASES)},
    "Adopted share": adopted_share,
    "Activity level": activity_level,
    "Connector": connector_strength,
}


def scenario_overrides(base, *, region: str, funding: float, connector: float, connector_leaves: str,
                       follower_weight: float, rates: dict[str, float]) -> dict:
    """Dotted overrides for the dashboard's levers on top of the scenario ``base``.

    The hub levers (connector, connector leaves, instrument rates) act on the hub of the run, or on
    every hub when the run covers all hubs. ``connector`` and ``rates`` multiply the scenario's values
    (1 = as in the file; the connector is capped at 1); ``funding`` and ``follower_weight`` set
    ``funding.multiplier`` and the followers' class weight (the last of ``ecosystem.class_weight``).
    """
    hubs = HUBS if region == "all" else (region,)
    over: dict = {"simulation.region": region, "funding.multiplier": float(funding)}
    weights = list(base["ecosystem.class_weight"])
    weights[-1] = float(follower_weight)
    over["ecosystem.class_weight"] = weights
    for hub in hubs:
        over[f"hubs.{hub}.connector_strength"] = float(min(1.0, base[f"hubs.{hub}.connector_strength"] * connector))
        if connector_leaves != "scenario":
            over[f"hubs.{hub}.connector_leaves"] = "" if connector_leaves == "never" else connector_leaves
        for name, mult in rates.items():
            key = f"hubs.{hub}.instruments.{name}"
            if key in base.params:
                over[key] = float(base[key] * mult)
    return over


def scenario_path(name: str | None) -> Path:
    """A scenario file: absolute, relative to the working directory, or relative to the repository."""
    if not name:  # the default nobody trips over: the calibrated projection
        return SCENARIO_DIR / "calibrated.toml"
    path = Path(name)
    if not path.is_absolute() and not path.exists() and (ROOT / path).exists():
        path = ROOT / path
    return path


def scenario_label(path: str | Path) -> str:
    """The file relative to the repository when it lies inside it."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def _seed(rng):
    """The seed field's text (or an int, or None) as an int."""
    if rng is None or isinstance(rng, (int, np.integer)):
        return rng
    try:
        return int(str(rng).strip() or 0)
    except ValueError:
        raise ValueError(f"seed: expected a whole number, got {rng!r}") from None


class DashboardModel(PropellerModel):
    """PropellerModel built from dashboard controls (keyword arguments, all with defaults).

    ``scenario_file``: TOML scenario (default: the calibrated scenario). ``region``: a hub (a regional run) or
    "all". ``rng``: the seed (SolaraViz passes the text of its seed field). ``**rates``: one multiplier
    per registered instrument, by its name (``events=2.0``; default 1). Other arguments: see
    :func:`scenario_overrides`. ``scenario``: ignored - SolaraViz passes its own (empty) Mesa scenario on
    Reset to a model that takes ``**kwargs``; the Propeller scenario is ``scenario_file``.
    """

    def __init__(self, scenario_file: str | None = None, region: str = "west", funding: float = 1.0,
                 connector: float = 1.0, connector_leaves: str = "scenario", follower_weight: float = 0.15,
                 rng=0, scenario=None, **rates: float):
        unknown = sorted(set(rates) - set(registry.names()))
        if unknown:
            raise TypeError(f"DashboardModel: unknown argument(s) {', '.join(unknown)}; the instrument multipliers "
                            f"are {', '.join(registry.names())}")
        path = scenario_path(scenario_file)
        base = load(path)
        rates = {name: float(rates.get(name, 1.0)) for name in registry.names()}
        over = scenario_overrides(base, region=region, funding=funding, connector=connector,
                                  connector_leaves=connector_leaves, follower_weight=follower_weight, rates=rates)
        scenario = base.with_overrides(over, origin="dashboard")
        seed = _seed(rng)
        self.scenario_file = str(path)
        self.region = region
        self.lever_hubs = np.array([h for h, hub in enumerate(HUBS) if region in ("all", hub)])
        super().__init__(scenario, rng=seed, with_agents=True)
        self.seed = seed
        self._layout = None
        self.render_lock = threading.Lock()  # the network renderer is drawn from solara's render threads
        rings = self.eco.rings()
        self._layout_key = (self.seed, self.pop.n, hash(self.eco.u.tobytes()), hash(self.eco.v.tobytes()),
                            hash(rings.tobytes()))
        self.datacollector = DataCollector(model_reporters=REPORTERS)
        self.datacollector.collect(self)

    # Mesa's Model owns ``scenario`` (a mesa Scenario; SolaraViz reads its defaults on Reset). The
    # Propeller scenario (a propeller.scenarios.loader.Scenario) is kept as ``propeller_scenario`` instead.
    @property
    def scenario(self):
        return getattr(self, "_mesa_scenario", None)

    @scenario.setter
    def scenario(self, value) -> None:
        if isinstance(value, MesaScenario):
            self._mesa_scenario = value
            value.model = self
        else:
            self.propeller_scenario = value

    def step(self) -> None:
        if self.t >= self.n_months:  # the recorder holds months 0..n_months
            self.running = False
            return
        super().step()
        self.datacollector.collect(self)
        if self.t >= self.n_months:
            self.running = False

    # ------------------------------------------------------------------ view data
    @property
    def date(self) -> str:
        return calendar.fmt(calendar.parse(self.start) + self.t)

    @property
    def dates(self) -> list[str]:
        """'YYYY-MM' of months 0..n_months."""
        if getattr(self, "_dates", None) is None:
            start = calendar.parse(self.start)
            self._dates = [calendar.fmt(start + t) for t in range(self.n_months + 1)]
        return self._dates

    @property
    def scenario_label(self) -> str:
        return scenario_label(self.scenario_file)

    @property
    def region_label(self) -> str:
        return "All hubs" if self.region == "all" else self.region.capitalize()

    def layout(self) -> tuple[np.ndarray, np.ndarray]:
        """(organisation positions N x 2, hub positions H x 2), computed once per model."""
        if self._layout is None:
            from propeller.app.dashboard.layout import region_layout

            if self._layout_key not in _LAYOUTS:
                if len(_LAYOUTS) >= 8:
                    _LAYOUTS.pop(next(iter(_LAYOUTS)))
                _LAYOUTS[self._layout_key] = region_layout(self, int(self.seed or 0))
            self._layout = _LAYOUTS[self._layout_key]
        return self._layout

    def phase(self, theme: str) -> np.ndarray:
        """Propeller phase index (0 none .. 3 adopteren) of every organisation on ``theme``."""
        return _STEP_PHASE[self.stage[:, THEMES.index(theme)]]

    def network_view(self, theme: str) -> dict:
        """Arrays for the network view: node positions, phases, sizes, and edge segments by kind.

        ``hub_edges[r]`` are the organisation-hub relations in ring r (1-3 partners, 4 potential);
        ``ties`` the structural organisation ties; ``collab`` the ties made in joint activities.
        """
        org_pos, hub_pos = self.layout()
        rings = self.eco.rings()
        hubs = [h for h in range(len(HUBS)) if self.pop.regions[h].stop > self.pop.regions[h].start]
        hub_edges = {}
        for r in (4, 3, 2, 1):
            segs = []
            for h in hubs:
                idx = np.flatnonzero(rings[:, h] == r)
                if len(idx):
                    s = np.empty((len(idx), 2, 2))
                    s[:, 0] = hub_pos[h]
                    s[:, 1] = org_pos[idx]
                    segs.append(s)
            hub_edges[r] = np.concatenate(segs) if segs else np.empty((0, 2, 2))
        ns, m = self.eco.n_static, self.eco.m
        u, v = self.eco._u[:m], self.eco._v[:m]
        seg = np.stack([org_pos[u], org_pos[v]], axis=1)
        known = rings.any(axis=1) if len(hubs) else np.zeros(self.pop.n, dtype=bool)
        return {
            "pos": org_pos, "hub_pos": hub_pos[hubs], "hub_names": [HUBS[h] for h in hubs],
            "phase": self.phase(theme), "size": self.pop.size, "known": known,
            "hub_edges": hub_edges, "ties": seg[:ns], "collab": seg[ns:],
        }

    def steps_count(self, theme: str) -> np.ndarray:
        """Organisations per propeller step (10) on ``theme``."""
        return np.bincount(self.stage[:, THEMES.index(theme)], minlength=len(_STEP_PHASE))
