"""Memory: a model is garbage-collected after its run (also while the caller keeps the scenario it ran), and many
runs in one process keep the resident set flat. benchmarks/bench_memory.py measures 2,000 runs and a sweep."""

from __future__ import annotations

import gc
import weakref

import pytest

from model import PropellerModel, simulate
from scenarios.loader import load

TINY = {"simulation.region": "midden", "simulation.until": "2024-09"}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.parametrize("agents, space", [(False, False), (True, False), (True, True)])
def test_model_is_collected_after_its_run(agents, space):
    scenario = load(overrides=TINY)  # kept by the caller, as a notebook or a worker does
    m = PropellerModel(scenario, rng=1, with_agents=agents)
    m.run_for(m.n_months)
    m.outcomes()
    if space:
        m.build_space()
    assert m.scenario is scenario
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None, "the model outlived its run"
    assert not hasattr(scenario, "model")  # Mesa's scenario setter would link the scenario to the model


def test_simulate_leaves_no_model_behind():
    scenario = load(overrides=TINY)
    for seed in range(3):
        simulate(scenario, seed=seed)
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, PropellerModel)]


def test_many_runs_keep_memory_flat():
    """200 tiny runs: after a warm-up of 50 (imports, compiled kernels, allocator pools) the resident set grows by
    less than 20 MB (measured: about 0; a model of this size holds several MB of arrays, so a leak of one model per
    run would add hundreds of MB)."""
    scenario = load(overrides=TINY)
    for seed in range(50):
        simulate(scenario, seed=seed)
    gc.collect()
    start = rss_mb()
    peak = start
    for seed in range(50, 200):
        simulate(scenario, seed=seed)
        if seed % 25 == 0:
            gc.collect()
            peak = max(peak, rss_mb())
    gc.collect()
    end = rss_mb()
    assert end - start < 20 and peak - start < 20, f"RSS {start:.1f} -> {end:.1f} MB (peak {peak:.1f})"
