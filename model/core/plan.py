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


def reallocate(rates: np.ndarray, cost: np.ndarray, budget: np.ndarray, capacity: np.ndarray, in_run: np.ndarray,
               instrument_weight: np.ndarray, hub_weight: np.ndarray, hiring_share: float,
               move: tuple[int, int, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plan change's money (``adapt.*``, docs/ODD.md §7.3), as (rates, budget, capacity) after it.

    ``rates``: hubs x instruments planned runs a month; ``cost``: euro per run; ``move``: (from, to, share) of each
    hub's money for instrument ``from`` moved to ``to``. Each hub's instrument money is then re-weighted by
    ``instrument_weight`` and re-normalised so its planned cost stays; the budgets of the hubs ``in_run`` are
    re-weighted by ``hub_weight`` and re-normalised so their total stays, and a hub whose budget grows by a factor
    r raises its planned staff capacity by hiring_share x (r - 1) (one that loses money keeps its staff)."""
    money = rates * cost
    total = money.sum(axis=1)
    if move is not None and move[2] > 0:
        a, b, share = move
        moved = money[:, a] * share
        money[:, a] -= moved
        money[:, b] += moved
    weighted = money * instrument_weight
    wsum = weighted.sum(axis=1)
    scale = np.divide(total, wsum, out=np.zeros_like(total), where=wsum > 0)
    money = np.where(wsum[:, None] > 0, weighted * scale[:, None], money)
    new_rates = np.divide(money, cost, out=rates.astype(float).copy(), where=cost > 0)
    new_budget, new_capacity = budget.astype(float).copy(), capacity.astype(float).copy()
    hw = np.where(in_run, hub_weight, 0.0)
    if (hub_weight[in_run] != 1.0).any() and (hw * budget).sum() > 0:
        weighted_b = hw * budget
        new_budget = np.where(in_run, weighted_b * (budget[in_run].sum() / weighted_b.sum()), budget)
        ratio = np.divide(new_budget, budget, out=np.ones(len(budget)), where=budget > 0)
        new_capacity = capacity * (1.0 + hiring_share * np.maximum(ratio - 1.0, 0.0))
    return new_rates, new_budget, new_capacity


def adapt_arrays(params: Mapping[str, Any], names: Iterable[str]) -> tuple[np.ndarray, np.ndarray,
                                                                            tuple[int, int, float] | None]:
    """(instrument weights, hub weights, move) of a scenario's ``adapt.*`` for instruments ``names``."""
    names = list(names)
    iw = np.array([float(params.get(f"adapt.instrument_weight.{n}", 1.0)) for n in names])
    hw = np.array([float(params[f"adapt.hub_weight.{h}"]) for h in HUBS])
    share = float(params["adapt.move_share"])
    a, b = params["adapt.move_from"], params["adapt.move_to"]
    move = (names.index(a), names.index(b), share) if share > 0 and a in names and b in names else None
    return iw, hw, move


__all__ = ["adapt_arrays", "planned", "rates", "reallocate", "switch_off"]
