"""Memory: a model is freed after its run - by reference counting, because ``simulate()`` calls ``release()`` - also
while the caller keeps the scenario it ran, and many runs in one process do not grow the traced heap.

Each check has a companion that breaks what it guards (``release()`` made a no-op, the scenario linked to the model
as Mesa's scenario setter would do) and shows that the check then reports the model that stayed behind.
benchmarks/bench_memory.py measures the resident set over 2,000 runs and a sweep.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from contextlib import contextmanager

import pytest
from mesa import Model

from propeller import PropellerModel, simulate
from propeller.scenarios.loader import DEFAULTS, load

TINY = {"simulation.region": "midden", "simulation.until": "2024-09"}
# Traced heap growth allowed per run once warm. Measured ~2-3 kB (free lists of small objects, which only a
# collection clears); a model that stays behind costs ~590 kB, and the leak this guards against (a sweep worker
# keeping its dead models until a rare full collection) grew the resident set by ~45 kB a run.
MAX_GROWTH_PER_RUN = 16_000


@contextmanager
def no_cycle_collector():
    """The worst case of a long-running worker: no collection of reference cycles at all."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def no_release(monkeypatch):
    monkeypatch.setattr(PropellerModel, "release", lambda self: None)


def link_scenario_to_model(monkeypatch):
    """What Mesa's ``Model.scenario`` setter does (``scenario.model = self``), which PropellerModel avoids."""
    init = PropellerModel.__init__

    def linked(self, scenario=None, *args, **kwargs):
        init(self, scenario, *args, **kwargs)
        Model.scenario.fset(self, self._scenario)

    monkeypatch.setattr(PropellerModel, "__init__", linked)


# ------------------------------------------------------------------------------------------------ one model
def outlives_its_run(scenario, agents: bool, space: bool) -> bool:
    """Run a model by hand, drop it, collect: does it survive (something outside holds it)?"""
    m = PropellerModel(scenario, rng=1, with_agents=agents)
    m.run_for(m.n_months)
    m.outcomes()
    if space:
        m.build_space()
    assert m.scenario is scenario
    ref = weakref.ref(m)
    del m
    gc.collect()
    return ref() is not None


@pytest.mark.parametrize("agents, space", [(False, False), (True, False), (True, True)])
def test_model_is_collected_after_its_run(agents, space):
    scenario = load(DEFAULTS, overrides=TINY)  # kept by the caller, as a notebook or a worker does
    assert not outlives_its_run(scenario, agents, space), "the model outlived its run"
    assert not hasattr(scenario, "model")


def test_a_scenario_holding_its_model_is_detected(monkeypatch):
    link_scenario_to_model(monkeypatch)
    scenario = load(DEFAULTS, overrides=TINY)
    assert outlives_its_run(scenario, agents=True, space=False)
    assert isinstance(scenario.model, PropellerModel)


def freed_by_reference_counting(scenario, agents: bool, space: bool) -> bool:
    """With the cycle collector off, is a model gone as soon as its last reference is, after ``release()``?"""
    with no_cycle_collector():
        m = PropellerModel(scenario, rng=2, with_agents=agents)
        m.run_for(m.n_months)
        m.outcomes()
        if space:
            m.build_space()
        m.release()
        ref = weakref.ref(m)
        del m
        return ref() is None


@pytest.mark.parametrize("agents, space", [(False, False), (True, True)])
def test_a_released_model_goes_without_the_cycle_collector(agents, space):
    """A Mesa model is a web of reference cycles; full collections are rare in a process with many long-lived
    objects (a sweep worker held hundreds of dead models). ``release()`` frees it by reference counting alone."""
    assert freed_by_reference_counting(load(DEFAULTS, overrides=TINY), agents, space)


def test_an_unreleased_model_needs_the_cycle_collector(monkeypatch):
    no_release(monkeypatch)
    assert not freed_by_reference_counting(load(DEFAULTS, overrides=TINY), agents=True, space=True)
    gc.collect()  # (the cycles it left are freed here, not in later tests)


# ------------------------------------------------------------------------------------------------ simulate()
def models_left_by_simulate(monkeypatch, scenario, seeds, with_agents: bool) -> tuple[int, int]:
    """(models still alive after their simulate() returned, release() calls), with the cycle collector off."""
    refs, released = [], []
    outcomes, release = PropellerModel.outcomes, PropellerModel.release

    def watched_outcomes(self):
        refs.append(weakref.ref(self))
        return outcomes(self)

    def watched_release(self):
        released.append(1)
        release(self)

    monkeypatch.setattr(PropellerModel, "outcomes", watched_outcomes)
    monkeypatch.setattr(PropellerModel, "release", watched_release)
    alive = 0
    with no_cycle_collector():
        for seed in seeds:
            out = simulate(scenario, seed=seed, with_agents=with_agents)
            assert len(out["timeseries"]) == 7
            alive += refs[-1]() is not None
    gc.collect()
    assert len(refs) == len(seeds)
    return alive, len(released)


@pytest.mark.parametrize("with_agents", [False, True])
def test_simulate_releases_every_model(monkeypatch, with_agents):
    alive, released = models_left_by_simulate(monkeypatch, load(DEFAULTS, overrides=TINY), range(4), with_agents)
    assert released == 4, "simulate() must call release() once a run"
    assert alive == 0, f"{alive} models outlived their simulate()"


def test_simulate_without_release_is_detected(monkeypatch):
    no_release(monkeypatch)
    alive, _ = models_left_by_simulate(monkeypatch, load(DEFAULTS, overrides=TINY), range(4), with_agents=True)
    assert alive == 4


# ------------------------------------------------------------------------------------------------ many runs
def heap_growth(scenario, runs: int) -> tuple[float, int]:
    """Traced heap growth per run over ``runs`` warm runs with the cycle collector off, and how many unreachable
    objects the cycle collector then finds (0: every model went by reference counting)."""
    for seed in range(5):  # warm: imports, compiled kernels, caches
        simulate(scenario, seed=seed)
    with no_cycle_collector():
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            for seed in range(runs):
                simulate(scenario, seed=100 + seed)
            end = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        garbage = gc.collect()
    return (end - start) / runs, garbage


def test_many_runs_keep_memory_flat(monkeypatch):
    """As a sweep worker runs: without the tests' kernel type checks (PROPELLER_CHECK_KERNEL_TYPES), whose numba
    ``typeof`` calls on every kernel call keep some 8-12 kB a run of numba's own caches (15-19 kB a run with them, 7 kB
    without, measured 2026-12-07)."""
    from propeller.core import kernels

    monkeypatch.setattr(kernels, "CHECK_TYPES", False)
    per_run, garbage = heap_growth(load(DEFAULTS, overrides=TINY), runs=60)
    assert per_run < MAX_GROWTH_PER_RUN, f"the traced heap grew by {per_run / 1000:.1f} kB a run"
    assert garbage == 0, f"{garbage} objects were left to the cycle collector"


def test_a_run_that_keeps_its_model_grows_the_heap(monkeypatch):
    no_release(monkeypatch)
    per_run, garbage = heap_growth(load(DEFAULTS, overrides=TINY), runs=10)
    assert per_run > 10 * MAX_GROWTH_PER_RUN and garbage > 1000, (per_run, garbage)
