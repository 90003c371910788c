"""Mesa agents: the inspection interface onto the model's arrays.

The state of every organisation lives in numpy arrays on the model (structure of arrays, so that a
month runs vectorised over all organisations). An agent holds only its index and reads its state
from those arrays, so agents and arrays can never disagree.
"""

from __future__ import annotations

from mesa import Agent
from mesa.discrete_space import FixedAgent

from propeller.core.constants import CLASSES, HUBS, PHASES, ROUTES, SCHOOL_LEVELS, STEP_PHASE, STEPS, THEMES, TYPES


class _PlacedOnDemand(FixedAgent):
    """A FixedAgent whose cell exists only once the model built its space (visualisation)."""

    def remove(self) -> None:
        if self.cell is None:
            Agent.remove(self)
        else:
            super().remove()


class Organisation(_PlacedOnDemand):
    """An organisation of one of the 8 Table 3.1 types, on its stakeholder route."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def partner_type(self) -> str:
        return TYPES[self.model.pop.otype[self.index]]

    @property
    def route(self) -> str:
        return ROUTES[self.model.pop.route[self.index]]

    @property
    def home_hub(self) -> str:
        return HUBS[self.model.pop.home[self.index]]

    @property
    def innovativeness(self) -> str:
        return CLASSES[self.model.pop.cls[self.index]]

    @property
    def education_level(self) -> str | None:
        """mbo, hbo or wo for schools; None for other organisations."""
        lvl = int(self.model.pop.level[self.index])
        return SCHOOL_LEVELS[lvl] if lvl >= 0 else None

    @property
    def size(self) -> int:
        """Employees; for schools, students."""
        return int(self.model.pop.size[self.index])

    @property
    def stages(self) -> dict[str, str]:
        """Propeller step per theme."""
        return {theme: STEPS[s] for theme, s in zip(THEMES, self.model.stage[self.index], strict=True)}

    def phase(self, theme: str) -> str:
        return PHASES[STEP_PHASE[self.model.stage[self.index, THEMES.index(theme)]]]

    @property
    def rings(self) -> dict[str, int]:
        """Ring per hub (1-3 partner, 4 potential); hubs that do not know the organisation are left out."""
        rings = self.model.eco.rings()[self.index]
        return {hub: int(r) for hub, r in zip(HUBS, rings, strict=True) if r}

    @property
    def hubs(self) -> list[str]:
        """Hubs this organisation is a partner of (rings 1-3)."""
        return [hub for hub, r in self.rings.items() if r <= 3]

    @property
    def persons(self) -> dict[str, int]:
        return {k: int(v[self.index]) for k, v in self.model.persons.items()}


class Hub(_PlacedOnDemand):
    """A regional hub with its lead partner (the connector), capacity, budget and instrument mix."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)
        self.name = HUBS[index]
        p = model.p
        self.lead_partner: str = p[f"hubs.{self.name}.lead_partner"]
        self.capacity: float = p[f"hubs.{self.name}.capacity"]
        self.budget: float = p[f"hubs.{self.name}.budget"]
        self.instrument_mix: dict[str, float] = {
            k.rsplit(".", 1)[1]: v for k, v in p.items() if k.startswith(f"hubs.{self.name}.instruments.")
        }
        self.focus: dict[str, float] = dict(zip(THEMES, p[f"hubs.{self.name}.focus"], strict=True))

    @property
    def connector_strength(self) -> float:
        return float(self.model.connector[self.index])

    @property
    def activity_level(self) -> float:
        return float(self.model.activity_level[self.index])

    @property
    def partners(self) -> int:
        return int(self.model.eco.partners()[:, self.index].sum())
