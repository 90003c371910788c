"""A hub's plan in money and staff: what its planned instrument runs cost a month and how many staff days they take.

The model's activity level is what the budget and staff allow of this plan (``kernels.hub_month``), so a scenario
that changes the plan with the same budget re-allocates the money: switching an instrument off with its money still
there buys more of the others. :func:`switch_off` instead takes the instrument out *with* its share of the budget
and of the staff, so the rest of the plan runs exactly as before - the counterfactual "without this instrument" of
``propeller contributions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from propeller.core.constants import HUBS
from propeller.core.instruments import registry


def rates(params: Mapping[str, Any], hub: str) -> dict[str, float]:
    return {name: float(params.get(f"hubs.{hub}.instruments.{name}", 0.0)) for name in registry.names()}


def planned(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(planned cost in euro a month, planned staff days a month), one value per hub of ``HUBS``."""
    cost = np.array([params[f"instruments.{n}.cost"] for n in registry.names()], dtype=float)
    days = np.array([params[f"instruments.{n}.staff_days"] for n in registry.names()], dtype=float)
    r = np.array([[rates(params, h)[n] for n in registry.names()] for h in HUBS], dtype=float)
    return r @ cost, r @ days


def switch_off(params: Mapping[str, Any], instruments: str | Iterable[str], hubs: Iterable[str] | None = None
               ) -> dict[str, Any]:
    """Overrides that take ``instruments`` out of the plan of ``hubs`` (default: all) together with their money and
    staff: rate 0, and the hub's budget and staff capacity reduced by the instruments' share of its planned cost and
    planned staff days (so the budget-to-plan and staff-to-plan ratios, and with them the rest of the plan's
    activity, stay as they were). A hub whose whole plan is switched off keeps no budget and no staff."""
    names = [instruments] if isinstance(instruments, str) else list(instruments)
    unknown = [n for n in names if n not in registry.names()]
    if unknown:
        raise KeyError(f"no instrument {unknown[0]!r} (instruments: {', '.join(registry.names())})")
    out: dict[str, Any] = {}
    for hub in (HUBS if hubs is None else list(hubs)):
        r = rates(params, hub)
        cost = sum(r[n] * float(params[f"instruments.{n}.cost"]) for n in registry.names())
        days = sum(r[n] * float(params[f"instruments.{n}.staff_days"]) for n in registry.names())
        off_cost = sum(r[n] * float(params[f"instruments.{n}.cost"]) for n in names)
        off_days = sum(r[n] * float(params[f"instruments.{n}.staff_days"]) for n in names)
        if off_cost == 0 and off_days == 0:
            continue  # the hub does not run them
        for n in names:
            out[f"hubs.{hub}.instruments.{n}"] = 0.0
        out[f"hubs.{hub}.budget"] = float(params[f"hubs.{hub}.budget"]) * ((cost - off_cost) / cost if cost else 0.0)
        out[f"hubs.{hub}.capacity"] = float(params[f"hubs.{hub}.capacity"]) * ((days - off_days) / days if days else 0.0)
    return out


__all__ = ["planned", "rates", "switch_off"]
