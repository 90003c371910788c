"""Drive ``simulate()`` from the EMA Workbench (optional: ``pip install -e '.[ema]'``).

EMA calls a model function with keyword arguments named after its uncertainties, which must be Python
identifiers; dotted parameter keys are spelt with ``__`` for ``.`` (``funding__multiplier``). The function
below maps them back, calls the unchanged ``simulate(params, seed, until)`` and returns scalar outcomes at
key dates, named ``<column>_<YYYY>_<MM>``::

    from ema_workbench import SequentialEvaluator
    from propeller.app.ema import propeller_model

    model = propeller_model({"funding.multiplier": (0.5, 1.0), "diffusion.q": (0.03, 0.12)},
                            outputs=["partners_total", "kpi5_skilled"], key_dates=["2027-12"], seeds=[1, 2, 3])
    with SequentialEvaluator(model) as ev:   # or MultiprocessingEvaluator(model, n_processes=2)
        experiments, outcomes = ev.perform_experiments(scenarios=20)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def ema_name(key: str) -> str:
    return key.replace(".", "__")


def dotted_key(name: str) -> str:
    return name.replace("__", ".")


def outcome_name(column: str, date: str) -> str:
    return f"{column}_{date.replace('-', '_')}"


class PropellerFunction:
    """A picklable model function for EMA: keyword uncertainties (``__`` for ``.``) + ``seed`` -> outcomes."""

    def __init__(self, scenario: str | Path | None, outputs: Sequence[str], key_dates: Sequence[str],
                 overrides: Mapping[str, Any] | None = None, until: str | None = None):
        self.scenario = None if scenario is None else str(scenario)
        self.outputs, self.key_dates = list(outputs), list(key_dates)
        self.overrides, self.until = dict(overrides or {}), until

    def __call__(self, seed: int = 0, **factors: Any) -> dict[str, float]:
        from propeller.core.simulate import simulate
        from propeller.scenarios.loader import load

        values = {dotted_key(k): (v.item() if hasattr(v, "item") else v) for k, v in factors.items()}
        scenario = load(self.scenario, overrides={**self.overrides, **values})
        ts = simulate(scenario, seed=int(seed), until=self.until)["timeseries"].set_index("date")
        return {outcome_name(o, d): float(ts.at[d, o]) for o in self.outputs for d in self.key_dates}


def propeller_model(factors: Mapping[str, tuple[float, float]], outputs: Sequence[str], key_dates: Sequence[str],
                    seeds: Sequence[int] = (0,), scenario: str | Path | None = None,
                    overrides: Mapping[str, Any] | None = None, until: str | None = None, name: str = "propeller"):
    """An EMA ``ReplicatorModel`` over ``simulate()``: real-valued uncertainties on dotted keys, one replication
    per seed, outcomes at the key dates (an array over the seeds per experiment)."""
    from ema_workbench import ArrayOutcome, RealParameter, ReplicatorModel

    model = ReplicatorModel(name, function=PropellerFunction(scenario, outputs, key_dates, overrides, until))
    model.uncertainties = [RealParameter(ema_name(k), float(lo), float(hi)) for k, (lo, hi) in factors.items()]
    model.outcomes = [ArrayOutcome(outcome_name(o, d)) for o in outputs for d in key_dates]  # one value per seed
    model.replications = [{"seed": int(s)} for s in seeds]
    return model
