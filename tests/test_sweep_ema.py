"""simulate() driven unchanged by the EMA Workbench (optional extra `ema`; skipped where it is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

ema = pytest.importorskip("ema_workbench")

from propeller import simulate  # noqa: E402
from propeller.app.ema import dotted_key, ema_name, propeller_model  # noqa: E402


def test_names_round_trip():
    for key in ("funding.multiplier", "hubs.noord.connector_after", "propeller.rates.mkb.test.back"):
        assert ema_name(key).isidentifier() and dotted_key(ema_name(key)) == key


def test_ema_workbench_runs_simulate():
    factors = {"funding.multiplier": (0.3, 1.0), "diffusion.q": (0.03, 0.12)}
    model = propeller_model(factors, outputs=["partners_total", "kpi5_skilled"], key_dates=["2025-09"], seeds=[1, 2],
                            overrides={"simulation.region": "midden"}, until="2025-09")
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=3)
    assert len(experiments) == 3 and {"funding__multiplier", "diffusion__q"} <= set(experiments.columns)
    kpi5 = np.asarray(outcomes["kpi5_skilled_2025_09"])
    assert kpi5.shape == (3, 2)  # experiments x replications (seeds)
    # every outcome is exactly what simulate() gives for that experiment and seed
    for i, row in experiments.iterrows():
        for j, seed in enumerate((1, 2)):
            ts = simulate({"simulation.region": "midden", "funding.multiplier": float(row["funding__multiplier"]),
                           "diffusion.q": float(row["diffusion__q"])}, seed=seed, until="2025-09")["timeseries"]
            assert kpi5[i, j] == ts["kpi5_skilled"].iloc[-1]
            assert outcomes["partners_total_2025_09"][i][j] == ts["partners_total"].iloc[-1]
