"""`propeller contributions SCENARIO`: how much of each headline outcome each instrument and each hub contributes.

The question "of the growth from 405 to 645 partners, how much came from events, from trajectories, and how much was
organic?" has an exact answer in the model once "came from" is defined. Here it is the **Shapley value**: every
subset (coalition) of the players - the instruments, and the hubs' targeted recruitment and discovery - is run with
the others switched off, and each player gets its marginal effect averaged over all orders in which the players
could have been added. The values add up exactly to the difference between the scenario and the run with every
player off, which is the **organic** part (partners who join by word of mouth and the lapsing of the start
partners, without any hub activity). Where players do not interact, a player's Shapley value is simply the loss
when it alone is switched off; where they do (events bring organisations into reach of trajectories), Shapley
shares the interaction fairly, and the output reports how large the interactions are.

A player switched off leaves with its money and staff (:func:`propeller.core.plan.switch_off`), so the rest of the
plan runs as it did: the counterfactual is "without this instrument", not "this money spent on the others".

Every coalition runs with the same seeds and - with ``draws`` - the same parameter sets from the calibration's
posterior (common random numbers), exactly as ``propeller run --seeds N --draws M`` draws them. The intervals are
over the posterior draws (or, without draws, over the seeds): each draw's Shapley values are those of the mean over
its seeds. Euros per unit are the Shapley value of the money spent divided by that of the outcome.

Players by hub work the same way: a hub switched off runs no instrument and recruits nobody (its start partners
stay and lapse).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from propeller.core import outputs
from propeller.core.constants import HUBS, THEMES
from propeller.errors import UserError

RECRUITMENT = "recruitment"
OUTCOMES = ("partners_total", "kpi4_mkb", "kpi5_skilled", "adoptions", "budget_spent_cum")
SPEND = "budget_spent_cum"
LABELS = {"partners_total": "Partners gained since the start", "kpi4_mkb": "KPI 4: active MKB companies",
          "kpi5_skilled": "KPI 5: people with new skills", "adoptions": "Adoptions (organisation x theme)",
          SPEND: "Money spent (EUR)"}
PER_UNIT = {"partners_total": "per partner", "kpi4_mkb": "per KPI 4 company", "kpi5_skilled": "per KPI 5 person",
            "adoptions": "per adoption"}
MAX_PLAYERS = 10  # 2^10 coalitions: beyond that the exact Shapley value is not worth its runs here


@dataclass(frozen=True)
class Player:
    name: str
    label: str
    kind: str   # "instrument", "recruitment" or "hub"


def _active_hubs(params) -> list[str]:
    region = params["simulation.region"]
    return [h for h in HUBS if params["hubs.enabled"] and region in ("all", h)]


def players(params, by: str) -> list[Player]:
    """The players of a decomposition ``by`` "instrument" (the instruments some active hub runs, and recruitment) or
    "hub" (the active hubs)."""
    from propeller.core.instruments import registry
    from propeller.core.plan import rates

    hubs = _active_hubs(params)
    if by == "hub":
        return [Player(h, h.capitalize(), "hub") for h in hubs]
    out = [Player(n, registry.heading(n), "instrument") for n in registry.names()
           if any(rates(params, h)[n] > 0 for h in hubs)]
    if any(params[f"hubs.{h}.recruitment"] > 0 or params[f"hubs.{h}.discovery"] > 0 for h in hubs):
        out.append(Player(RECRUITMENT, "Recruitment and discovery", "recruitment"))
    return out


def coalition_overrides(params, members: Sequence[Player], all_players: Sequence[Player]) -> dict[str, Any]:
    """The overrides that switch off every player not in ``members`` (with its money and staff)."""
    from propeller.core.instruments import registry
    from propeller.core.plan import switch_off

    off = [p for p in all_players if p not in members]
    hubs = _active_hubs(params)
    out: dict[str, Any] = {}
    off_instruments = [p.name for p in off if p.kind == "instrument"]
    if off_instruments:
        out.update(switch_off(params, off_instruments, hubs))
    off_hubs = [p.name for p in off if p.kind == "hub"]
    if off_hubs:
        out.update(switch_off(params, registry.names(), off_hubs))
    for h in (hubs if any(p.kind == "recruitment" for p in off) else off_hubs):
        out[f"hubs.{h}.recruitment"] = 0.0
        out[f"hubs.{h}.discovery"] = 0.0
    return out


def _values(ts: pd.DataFrame, dates: Sequence[str]) -> dict[str, float]:
    ts = ts.set_index("date")
    adoptions = sum(ts[f"adoptions_cum_{k}"] for k in THEMES)
    out = {}
    for d in dates:
        for o in OUTCOMES:
            v = adoptions.at[d] if o == "adoptions" else ts.at[d, o]
            if o == "partners_total":
                v = v - ts["partners_total"].iloc[0]
            out[f"{o}@{d}"] = float(v)
    return out


def _run_one(item) -> dict[str, float]:
    from propeller.app.sweeps.record import scenario_from_record
    from propeller.core.simulate import simulate

    record, overrides, seed, until, dates = item
    sc = scenario_from_record(record)
    if overrides:
        sc = sc.with_overrides(overrides, origin="contributions")
    return _values(simulate(sc, seed=seed, until=until)["timeseries"], dates)


def shapley(values: dict[frozenset, float], n_players: int) -> np.ndarray:
    """Exact Shapley values from the value of every coalition (frozensets of player indices)."""
    phi = np.zeros(n_players)
    fact = [math.factorial(k) for k in range(n_players + 1)]
    for i in range(n_players):
        others = [j for j in range(n_players) if j != i]
        for k in range(n_players):
            w = fact[k] * fact[n_players - k - 1] / fact[n_players]
            for s in combinations(others, k):
                s = frozenset(s)
                phi[i] += w * (values[s | {i}] - values[s])
    return phi


@dataclass
class Decomposition:
    by: str
    players: list[Player]
    dates: list[str]
    units: int                      # posterior draws (or seeds, without draws) the intervals are over
    unit_kind: str                  # "posterior draws" or "seeds"
    seeds: int
    draws: int
    total: dict[str, np.ndarray]    # outcome@date -> per unit: value with every player on
    organic: dict[str, np.ndarray]  # ... with every player off
    phi: dict[str, np.ndarray]      # ... units x players: Shapley values
    one_off: dict[str, np.ndarray]  # ... units x players: loss when only this player is switched off

    def table(self) -> pd.DataFrame:
        rows = []
        for key in self.total:
            outcome, date = key.split("@")
            rows.append(_row(outcome, date, "all", "in all", self.total[key], None))
            rows.append(_row(outcome, date, "organic", "organic (no player)", self.organic[key], None))
            for j, p in enumerate(self.players):
                spend = self.phi[f"{SPEND}@{date}"][:, j] if outcome != SPEND else None
                rows.append(_row(outcome, date, p.name, p.label, self.phi[key][:, j], spend,
                                 one_off=self.one_off[key][:, j]))
        return pd.DataFrame(rows)

    def interaction_share(self, key: str) -> float:
        """1 - (sum of one-off losses) / (total - organic), median over units: 0 = no interaction."""
        effect = self.total[key] - self.organic[key]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = 1.0 - self.one_off[key].sum(axis=1) / effect
        share = share[np.isfinite(share)]
        return float(np.median(share)) if len(share) else float("nan")


def _row(outcome, date, player, label, values, spend, one_off=None) -> dict:
    q05, med, q95 = np.quantile(values, [0.05, 0.5, 0.95])
    row = {"outcome": outcome, "date": date, "player": player, "label": label, "median": med, "q05": q05, "q95": q95,
           "one_off_median": float(np.median(one_off)) if one_off is not None else np.nan}
    if spend is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(values > 0, spend / values, np.nan)
        ratio = ratio[np.isfinite(ratio)]
        row["eur_per_unit"] = float(np.median(ratio)) if len(ratio) == len(values) and np.median(spend) > 0 else np.nan
    return row


def contributions(scenario: str | Path, by: Sequence[str] = ("instrument", "hub"), seeds: int = 4, draws: int = 0,
                  seed: int = 0, until: str | None = None, workers: int = 1, scheduler: str | None = None,
                  progress=None) -> list[Decomposition]:
    from propeller.app.multirun import run_plan
    from propeller.app.runner import Executor
    from propeller.scenarios.loader import load

    path = Path(scenario)
    sc = load(path)
    plan = run_plan(path, seeds, draws, seed, until)
    until = plan.horizon[1]
    dates = [d for d in outputs.KEY_DATES if d <= until] or [until]
    base_params = sc.params
    items, index = [], []
    decomps = []
    for kind in by:
        ps = players(base_params, kind)
        if not ps:
            raise UserError("contributions", "--by", f"a scenario with active {kind}s", kind, show_got=False)
        if len(ps) > MAX_PLAYERS:
            raise UserError("contributions", "--by", f"at most {MAX_PLAYERS} players ({len(ps)} {kind}s)", kind,
                            show_got=False)
        coalitions = [frozenset(s) for k in range(len(ps) + 1) for s in combinations(range(len(ps)), k)]
        for c in coalitions:
            over = coalition_overrides(base_params, [ps[j] for j in c], ps)
            for r, run in enumerate(plan.runs):
                items.append((run["params"], over, run["seed"], until, dates))
                index.append((kind, c, r))
        decomps.append((kind, ps, coalitions))
    with Executor(workers, scheduler) as ex:
        results = ex.map(_run_one, items, progress=(lambda done, total: progress("simulating coalitions", done, total))
                         if progress else None)
    unit_of = [run["point"] if draws else run["replication"] for run in plan.runs]
    units = sorted(set(unit_of))
    out = []
    for kind, ps, _coalitions in decomps:
        n = len(ps)
        full, empty = frozenset(range(n)), frozenset()
        keys = list(results[0])
        # the value of each coalition per unit: mean over the unit's runs
        v = {key: {u: {} for u in units} for key in keys}
        acc: dict[tuple, list] = {}
        for (k, c, r), res in zip(index, results, strict=True):
            if k != kind:
                continue
            for key in keys:
                acc.setdefault((key, unit_of[r], c), []).append(res[key])
        for (key, u, c), vals in acc.items():
            v[key][u][c] = float(np.mean(vals))
        total = {key: np.array([v[key][u][full] for u in units]) for key in keys}
        organic = {key: np.array([v[key][u][empty] for u in units]) for key in keys}
        phi = {key: np.array([shapley(v[key][u], n) for u in units]) for key in keys}
        one_off = {key: np.array([[v[key][u][full] - v[key][u][full - {j}] for j in range(n)] for u in units])
                   for key in keys}
        out.append(Decomposition(kind, ps, dates, len(units), "posterior draws" if draws else "seeds", seeds, draws,
                                 total, organic, phi, one_off))
    return out


# ------------------------------------------------------------------------------------------ the text
def _fmt(outcome: str, v: float) -> str:
    if not math.isfinite(v):
        return "–"
    if outcome == SPEND:
        return f"{v / 1e6:,.2f} M"
    return f"{v:,.0f}"


def format_decomposition(d: Decomposition, scenario: str) -> str:
    t = d.table()
    what = f"{d.draws} posterior draws x {d.seeds} seeds" if d.draws else f"{d.seeds} seeds"
    n = len(d.players)
    lines = [f"Contributions by {d.by} to {scenario}: exact Shapley values over the {2 ** n} combinations of {n} "
             f"players ({', '.join(p.label for p in d.players)}) switched on or off, {what}, the same seeds for "
             f"every combination; median (90 % interval over the {d.unit_kind})."]
    for date in d.dates:
        lines.append("")
        lines.append(f"By {date}:")
        for outcome in OUTCOMES:
            g = t[(t["outcome"] == outcome) & (t["date"] == date)]
            head = g[g["player"] == "all"].iloc[0]
            lines.append(f"  {LABELS[outcome]}: {_fmt(outcome, head['median'])} "
                         f"({_fmt(outcome, head['q05'])} to {_fmt(outcome, head['q95'])}) in all")
            for _, r in g[g["player"] != "all"].iterrows():
                money = ""
                if outcome != SPEND and "eur_per_unit" in r and math.isfinite(r.get("eur_per_unit", np.nan)):
                    money = f"   EUR {r['eur_per_unit']:,.0f} {PER_UNIT[outcome]}"
                lines.append(f"    {r['label']:<34} {_fmt(outcome, r['median']):>10} "
                             f"({_fmt(outcome, r['q05'])} to {_fmt(outcome, r['q95'])}){money}")
            share = d.interaction_share(f"{outcome}@{date}")
            if math.isfinite(share) and outcome != SPEND:
                lines.append(f"    interactions: {share:+.0%} of the effect (1 - the one-off losses / (all - organic); "
                             "0 = the players act independently)")
    return "\n".join(lines)


WORDS = ("Shapley value: a player's effect averaged over every order in which the players could be switched on; the "
         "values add up to 'in all' minus 'organic'. Organic: the same seeds with every player switched off. EUR per "
         "unit: the player's Shapley value of the money spent over that of the outcome (– where it gains nothing or "
         "spends nothing, e.g. recruitment, which has no cost in the model).")


def main_cli(args) -> int:
    from propeller.app.progress import Stages

    stages = Stages(enabled=not args.no_progress)
    by = ("instrument", "hub") if args.by == "both" else (args.by,)
    try:
        result = contributions(args.scenario, by=by, seeds=args.seeds, draws=args.draws or 0, seed=args.seed,
                               until=args.until, workers=args.workers, scheduler=args.scheduler, progress=stages.at)
    finally:
        stages.close()
    print(WORDS)
    for d in result:
        print()
        print(format_decomposition(d, args.scenario))
    if args.json:
        print(json.dumps([{"by": d.by, "players": [p.name for p in d.players], "dates": d.dates,
                           "rows": d.table().replace({np.nan: None}).to_dict(orient="records")} for d in result]))
    return 0


__all__ = ["Decomposition", "Player", "coalition_overrides", "contributions", "format_decomposition", "players",
           "shapley"]
