"""Simulation-based calibration, small version (issue 15, point 7): on synthetic data from known parameters the
calibration's 90 % intervals hold the truth about as often as they claim, and they are narrower than the prior
(coverage alone would pass a method that learns nothing: the prior covers the truth 90 % of the time)."""

from __future__ import annotations

import numpy as np
import pytest

from propeller.app.runner import PRELOAD, Executor
from propeller.calibration.abc import Prior
from propeller.calibration.run import Settings
from propeller.calibration.sbc import sbc, summarise, synthetic_targets
from propeller.calibration.targets import load_targets

PRIOR = Prior(("hubs.oost.recruitment", "ecosystem.decay"), ("loguniform", "loguniform"),
              np.array([0.2, 0.003]), np.array([15.0, 0.06]))
BASE = {"simulation.region": "oost"}


@pytest.fixture(scope="module")
def oost_targets():
    t = load_targets()
    return t[(t["status"] == "ok") & t["name"].str.contains("oost")].reset_index(drop=True)


def test_synthetic_targets_are_the_model_at_the_truth_plus_the_error(oost_targets):
    truth = {"hubs.oost.recruitment": 5.0, "ecosystem.decay": 0.01}
    a = synthetic_targets(oost_targets, truth, 3, BASE, "2025-09", np.random.default_rng(0))
    b = synthetic_targets(oost_targets, {**truth, "hubs.oost.recruitment": 0.3}, 3, BASE, "2025-09",
                          np.random.default_rng(0))
    total = a.set_index("name")["value"]
    assert (total >= 0).all() and not total.equals(oost_targets.set_index("name")["value"])
    assert total["oost_partners_2025_09"] > b.set_index("name")["value"]["oost_partners_2025_09"] + 10


def test_small_sbc_covers_the_truth_and_learns(oost_targets):
    settings = Settings(n_particles=24, generations=3, max_simulations=150, predictive_draws=0)
    with Executor(2, preload=(*PRELOAD, "propeller.calibration.run")) as ex:
        df = sbc(PRIOR, settings, ex, replications=6, seed=1, base=BASE, targets=oost_targets)
    assert len(df) == 12 and df["rank"].between(0, 1).all()
    s = summarise(df).set_index("parameter")
    assert s.loc["all", "coverage_90"] >= 0.6            # the intervals are not overconfident
    assert s.loc["hubs.oost.recruitment", "mean_contraction"] < 0.85   # ... and narrower than the prior
    assert s.loc["all", "rank_uniform_p"] > 0.01
