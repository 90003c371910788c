"""ABC-SMC (calibration/abc.py) on a model with a known posterior, its reproducibility across
executors, and the priors file."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from propeller.app.runner import Executor
from propeller.calibration.abc import Prior, PriorError, abc_smc, abc_smc_mcmc, load_priors

OBS = 1.3   # observed mean of N_OBS draws from N(mu, 1)
N_OBS = 25


def toy_distance(item):
    """Simulate N_OBS draws from N(mu, 1) with the item's seed; distance = |mean - OBS|."""
    params, seed = item
    rng = np.random.default_rng(seed)
    return abs(rng.normal(params["mu"], 1.0, N_OBS).mean() - OBS), {"mean": 0.0}


def _run(executor, seed=3, generations=6):
    prior = Prior(("mu", "scale"), ("uniform", "loguniform"), np.array([-5.0, 0.1]), np.array([5.0, 10.0]), ("", ""))
    return abc_smc(prior, lambda batch: executor.map(toy_distance, batch), n_particles=200, generations=generations,
                   seed=seed, alpha=0.5)


def test_abc_smc_finds_the_known_posterior():
    """Flat prior, normal likelihood: the posterior of mu is N(OBS, 1/sqrt(N_OBS)) = N(1.3, 0.2); ABC
    with a small tolerance approaches it from above (the tolerance adds spread). The unidentified
    second parameter keeps its prior."""
    with Executor(1) as ex:
        res = _run(ex)
    q05, q50, q95 = res.quantiles([0.05, 0.5, 0.95])[:, 0]
    assert abs(q50 - OBS) < 0.12
    assert q05 < OBS < q95
    assert 0.2 * 3.29 * 0.8 < q95 - q05 < 0.2 * 3.29 * 2.0   # 90 % width of N(., 0.2) is 0.66
    eps = [g.epsilon for g in res.generations]
    assert all(b < a for a, b in pairwise(eps[1:]))       # the tolerance shrinks every generation
    z_scale = res.last.z[:, 1]                                # log(scale) stays spread over its prior
    assert z_scale.min() < np.log(0.3) and z_scale.max() > np.log(3.0)
    assert abs(res.last.weights.sum() - 1.0) < 1e-12


def test_abc_smc_is_identical_serial_and_on_a_pool():
    with Executor(1) as ex:
        a = _run(ex, generations=3)
    with Executor(2) as ex:
        b = _run(ex, generations=3)
    for ga, gb in zip(a.generations, b.generations, strict=True):
        assert np.array_equal(ga.x, gb.x) and np.array_equal(ga.weights, gb.weights) and ga.epsilon == gb.epsilon
    with Executor(1) as ex:
        c = _run(ex, seed=4, generations=3)
    assert not np.array_equal(a.last.x, c.last.x)


def test_priors_file_is_valid_and_names_baseline_parameters(baseline):
    prior = load_priors(schema=baseline.params)
    assert prior.dim >= 5
    assert all(len(r) > 40 for r in prior.reasons)  # every prior says why
    for name, lo, hi in zip(prior.names, prior.low, prior.high, strict=True):
        assert lo <= baseline.params[name] <= hi, f"{name}: the baseline value lies outside its prior"


@pytest.mark.parametrize("body, expected", [
    ('[parameters."no.such.key"]\nprior = "uniform"\nlow = 0\nhigh = 1\nreason = "x"', "no.such.key: expected a parameter"),
    ('[parameters."ecosystem.decay"]\nprior = "normal"\nlow = 0\nhigh = 1\nreason = "x"', "prior: expected \"uniform\""),
    ('[parameters."ecosystem.decay"]\nprior = "uniform"\nlow = 1\nhigh = 0\nreason = "x"', "expected numbers low < high"),
    ('[parameters."ecosystem.decay"]\nprior = "loguniform"\nlow = 0\nhigh = 1\nreason = "x"', "expected > 0"),
    ('[parameters."ecosystem.decay"]\nprior = "uniform"\nlow = 0\nhigh = 1', "reason: expected"),
    ('[parameters."simulation.region"]\nprior = "uniform"\nlow = 0\nhigh = 1\nreason = "x"', "expected a numeric parameter"),
    ("[parameters\n", "expected valid TOML"),
    ("", "expected at least one"),
])
def test_bad_priors_give_one_line(tmp_path, baseline, body, expected):
    f = tmp_path / "priors.toml"
    f.write_text(body)
    with pytest.raises(PriorError) as e:
        load_priors(f, schema=baseline.params)
    msg = str(e.value)
    assert expected in msg and msg.startswith("priors.toml: ") and "\n" not in msg


def test_abc_smc_stops_at_its_simulation_budget_and_says_so():
    prior = Prior(("mu",), ("uniform",), np.array([-5.0]), np.array([5.0]), ("",))
    with Executor(1) as ex:
        res = abc_smc(prior, lambda batch: ex.map(toy_distance, batch), n_particles=100, generations=20, seed=1,
                      max_simulations=600)
    assert "simulation budget 600" in res.stop_reason
    assert res.simulations <= 600 + 100  # at most one batch over
    assert len(res.generations) < 20


def test_abc_smc_is_identical_on_a_dask_cluster():
    """--scheduler: the same posterior on a Dask LocalCluster (loopback only) as serially."""
    distributed = pytest.importorskip("distributed")
    import sys

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need toy_distance, not the tests package
    with Executor(1) as ex:
        a = _run(ex, generations=2)
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None) as cluster,
          Executor(scheduler=cluster.scheduler_address) as ex):
        assert ex.description.startswith("Dask")
        b = _run(ex, generations=2)
    for ga, gb in zip(a.generations, b.generations, strict=True):
        assert np.array_equal(ga.x, gb.x) and np.array_equal(ga.weights, gb.weights)


def _run_mcmc(executor, seed=3, generations=6, n_particles=200):
    prior = Prior(("mu", "scale"), ("uniform", "loguniform"), np.array([-5.0, 0.1]), np.array([5.0, 10.0]), ("", ""))
    return abc_smc_mcmc(prior, lambda batch: executor.map(toy_distance, batch), n_particles=n_particles,
                        generations=generations, seed=seed, alpha=0.5, min_acceptance=0.0)


def test_abc_smc_mcmc_finds_the_known_posterior_with_equal_weights():
    """The replenishment algorithm (Drovandi & Pettitt 2011): same known posterior N(1.3, 0.2) for mu, the
    unidentified parameter keeps its prior, every particle within the final tolerance, weights equal."""
    with Executor(1) as ex:
        res = _run_mcmc(ex, generations=7)
    q05, q50, q95 = res.quantiles([0.05, 0.5, 0.95])[:, 0]
    assert abs(q50 - OBS) < 0.12
    assert 0.2 * 3.29 * 0.8 < q95 - q05 < 0.2 * 3.29 * 2.0
    eps = [g.epsilon for g in res.generations]
    assert all(b <= a for a, b in pairwise(eps))
    assert (res.last.distances <= res.last.epsilon).all()
    assert np.allclose(res.last.weights, 1.0 / len(res.last.weights))
    z_scale = res.last.z[:, 1]
    assert z_scale.min() < np.log(0.3) and z_scale.max() > np.log(3.0)
    assert len(np.unique(res.last.z, axis=0)) > 0.5 * len(res.last.z)   # moved, not 200 copies of a few


def test_abc_smc_mcmc_keeps_a_spread_posterior_in_many_dimensions():
    """Twenty unidentified parameters beside mu: importance weights would collapse onto a few particles; equal weights
    keep every unidentified parameter spread over its prior."""
    names = ("mu",) + tuple(f"u{i}" for i in range(20))
    prior = Prior(names, ("uniform",) * 21, np.array([-5.0] + [0.0] * 20), np.array([5.0] + [1.0] * 20))
    with Executor(1) as ex:
        res = abc_smc_mcmc(prior, lambda batch: ex.map(toy_distance, batch), n_particles=100, generations=4, seed=1,
                           min_acceptance=0.0)
    q = res.quantiles([0.05, 0.95])
    assert (q[1, 1:] - q[0, 1:] > 0.6).all()              # the prior's 90 % width is 0.9


def test_abc_smc_mcmc_is_identical_serial_and_on_a_pool():
    with Executor(1) as ex:
        a = _run_mcmc(ex, generations=3, n_particles=60)
    with Executor(2) as ex:
        b = _run_mcmc(ex, generations=3, n_particles=60)
    for ga, gb in zip(a.generations, b.generations, strict=True):
        assert np.array_equal(ga.x, gb.x) and np.array_equal(ga.distances, gb.distances) and ga.epsilon == gb.epsilon
