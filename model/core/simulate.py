"""The one pure entry point: ``simulate(params, seed, until) -> outcomes``.

No global state: everything a run needs comes from its arguments, and the seed drives every random
draw (population, graph generators, instruments, transitions). The CLI, sweeps, calibration,
notebooks and outside tools all call this.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def as_scenario(params: Any = None):
    """Accept a Scenario, a path to a scenario file, a mapping of dotted overrides on the calibrated scenario, or None
    (the calibrated scenario, scenarios/calibrated.toml)."""
    from propeller.scenarios.loader import Scenario, load

    if params is None:
        return load()
    if isinstance(params, Scenario):
        return params
    if isinstance(params, (str, Path)):
        return load(params)
    if isinstance(params, Mapping):
        return load(overrides=dict(params))
    raise TypeError(f"params: expected a Scenario, a path or a mapping of dotted keys, got {type(params).__name__}")


def _scenario(params: Any, until: str | None):
    scenario = as_scenario(params)
    if until is not None:
        scenario = scenario.with_overrides({"simulation.until": until}, origin="until")
    return scenario


def _run(scenario, seed: int, with_agents: bool, progress=None) -> dict:
    """One replication of a resolved scenario: its outcomes, with ``seed``, ``until`` and ``params``."""
    from propeller.core.model import PropellerModel

    if progress:
        progress("building the model", 0, 1)
    model = PropellerModel(scenario, rng=int(seed), with_agents=with_agents)
    if progress:
        progress("building the model", 1, 1)
    if model.n_months and progress is None:  # a horizon at the start month is the initial state alone (Mesa warns
        model.run_for(model.n_months)        # on run_for(0))
    elif model.n_months:  # month by month: the same steps, in the same order, as one run_for(n_months)
        for done in range(1, model.n_months + 1):
            model.run_for(1)
            progress("simulating months", done, model.n_months)
    out = model.outcomes()
    model.release()  # freed now, not at the next full garbage collection (memory stays flat over many runs)
    out.update(seed=int(seed), until=scenario["simulation.until"], params=dict(scenario.params))
    return out


def simulate(params: Any = None, seed: int = 0, until: str | None = None, *, with_agents: bool = False,
             progress=None) -> dict:
    """Run one simulation and return its outcomes.

    Returns a dict with ``timeseries`` (one row per month from the start), ``occupancy`` (organisations
    per date x route x theme x step), ``partners_by_hub_type``, ``participants`` (Table 3.2 categories),
    ``final_persons``, ``surveys`` (model output -> share of a survey's respondents with an answer, read at the
    survey's month, NaN when nobody took part; scenarios/surveys.toml, docs/surveys.md) and ``survey_dates``
    (model output -> that month), plus ``seed``, ``until`` and ``params`` (the flat parameter dict used).

    ``progress``, if given, is called as ``progress(stage, done, total)`` while the model is built and after each
    month (``propeller run`` shows it); it sees the run and changes nothing in it.
    """
    return _run(_scenario(params, until), seed, with_agents, progress)


def simulate_many(params: Any = None, seeds: Any = (0,), until: str | None = None) -> list[dict]:
    """R replications of one scenario in one call: ``[simulate(params, s, until) for s in seeds]``, with
    identical results (each replication draws only from its own seed's generator).

    The scenario is resolved and checked once for all replications, not once per call. The replications run
    one after another in this process; for parallel runs use a sweep (``propeller sweep``) or
    ``propeller.app.runner.Executor``.
    """
    scenario = _scenario(params, until)
    return [_run(scenario, seed, False) for seed in seeds]
