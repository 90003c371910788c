"""Is the calibration method honest? Simulation-based calibration on synthetic data from known parameters.

For each replication: draw "true" parameters from the prior, simulate the model with them, add to each fitted
target the observation error the calibration assumes (its ``sd``) - that is synthetic hub data with a known answer -
and calibrate against it with the same ABC-SMC as the real fit. If the method is sound, a parameter's 90 % posterior
interval holds the truth in about 90 % of replications, and the truth's rank in its posterior (the weighted share of
the posterior below it) is uniform (Talts et al. 2018, "Validating Bayesian inference algorithms with
simulation-based calibration"). Coverage alone is not enough - the prior itself covers the truth 90 % of the time -
so each replication also records the contraction (posterior 90 % width / prior 90 % width): a method that learns
nothing has contraction 1.

    propeller calibrate --sbc R [--workers N]   (writes outputs/calibration/sbc.csv and sbc.png, and a section of
                                                  report.md; see calibration/run.py)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from propeller.calibration.abc import Prior


def synthetic_targets(targets: pd.DataFrame, truth: dict[str, float], seed: int, base: dict, until: str,
                      rng: np.random.Generator) -> pd.DataFrame:
    """The fitted targets with their values replaced by the model's at ``truth`` plus each record's error."""
    from propeller.calibration.run import _base
    from propeller.calibration.targets import observe
    from propeller.core.simulate import simulate

    scenario = _base(tuple(sorted(base.items()))).with_overrides(truth, origin="calibration")
    sim = observe(simulate(scenario, seed=seed, until=until), targets)
    out = targets.copy()
    ok = out["status"] == "ok"
    noise = rng.standard_normal(int(ok.sum())) * out.loc[ok, "sd"].to_numpy(float)
    values = out.loc[ok, "model_output"].map(sim).to_numpy(float) + noise
    shares = out.loc[ok, "unit"].eq("share").to_numpy()
    out.loc[ok, "value"] = np.where(shares, np.clip(values, 0.0, 1.0), np.maximum(values, 0.0))
    return out


def sbc(prior: Prior, settings, executor, *, replications: int, seed: int = 0, base: dict | None = None,
        targets: pd.DataFrame | None = None, log=None) -> pd.DataFrame:
    """One row per (replication, parameter): truth, posterior 5/50/95 % quantiles, rank of the truth, inside the
    90 % interval, contraction. ``settings`` are the ABC-SMC settings of each replication's fit."""
    from propeller.calibration.run import calibrate
    from propeller.calibration.targets import load_targets

    base = dict(base or {})
    targets = load_targets() if targets is None else targets
    ss = np.random.SeedSequence([seed, 23])
    rows: list[dict[str, Any]] = []
    width0 = prior.z_high - prior.z_low
    for r, child in enumerate(ss.spawn(replications)):
        rng = np.random.default_rng(child)
        z_true = prior.sample_z(rng, 1)[0]
        truth = prior.as_dict(prior.from_z(z_true))
        synth = synthetic_targets(targets, truth, int(rng.integers(2**31 - 1)), base, settings.until, rng)
        res = calibrate(prior, settings, executor, seed=int(rng.integers(2**31 - 1)), base=base, targets=synth)
        g = res.last
        q = res.quantiles([0.05, 0.5, 0.95])
        zq_all = prior.to_z(q)  # rows: 5 %, 50 %, 95 %, in the prior's flat space
        for j, name in enumerate(prior.names):
            zq = zq_all[:, j]
            rank = min(float(g.weights[g.z[:, j] < z_true[j]].sum()), 1.0)  # weights sum to 1 up to rounding
            rows.append({"replication": r, "parameter": name, "truth": truth[name], "p05": q[0, j], "median": q[1, j],
                         "p95": q[2, j], "rank": rank, "inside_90": bool(q[0, j] <= truth[name] <= q[2, j]),
                         "contraction": float((zq[2] - zq[0]) / (0.9 * width0[j])), "simulations": res.simulations})
        if log:
            inside = np.mean([row["inside_90"] for row in rows if row["replication"] == r])
            log(f"  sbc replication {r + 1}/{replications}: {inside:.0%} of the parameters inside their 90 % interval")
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: coverage of the 90 % interval, mean contraction, and a uniformity check of the ranks
    (Kolmogorov-Smirnov p-value against the uniform distribution; small = the ranks are not uniform)."""
    from scipy.stats import kstest

    out = []
    for name, g in df.groupby("parameter", sort=False):
        out.append({"parameter": name, "replications": len(g), "coverage_90": float(g["inside_90"].mean()),
                    "mean_contraction": float(g["contraction"].mean()),
                    "rank_uniform_p": float(kstest(g["rank"], "uniform").pvalue) if len(g) > 1 else float("nan")})
    total = {"parameter": "all", "replications": int(df["replication"].nunique()),
             "coverage_90": float(df["inside_90"].mean()), "mean_contraction": float(df["contraction"].mean()),
             "rank_uniform_p": float(kstest(df["rank"], "uniform").pvalue) if len(df) > 1 else float("nan")}
    return pd.DataFrame([*out, total])


__all__ = ["sbc", "summarise", "synthetic_targets"]
