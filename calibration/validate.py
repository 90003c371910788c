"""Posterior-predictive check of the committed calibration, without re-calibrating: ``propeller validate``.

    propeller validate [--draws N] [--seed S] [--workers W] [--scheduler ADDR] [--posterior CSV]

Draws ``N`` parameter sets from the committed posterior (``scenarios/posterior.csv``: the final weighted ABC-SMC
population), simulates each with a fresh seed up to the month of the observations, and compares every target
(``calibration/targets.toml``, fitted) and every held-out record (``calibration/validation.toml``, never fitted)
with its posterior-predictive distribution.

The predictive distribution is that of a *new observation*: the model's value plus the observation error the
calibration assumes for the record (its ``sd``: survey sampling error, counting error; Gaussian, as in the
calibration's distance), clipped to what the unit allows (a share lies in [0, 1], a count is >= 0). A record is
"inside its 90 % interval" when the observed value lies between the 5th and 95th percentile of those draws. The
model-only intervals (without the observation error) are reported next to them. Records the model has no output
for are listed and counted, not hidden.

The last line printed is a JSON object: ``targets_in_50``, ``targets_in_90``, ``targets_total``,
``heldout_in_50``, ``heldout_in_90``, ``heldout_total``, the records without output, the draws and the seed.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from propeller.core import outputs
from propeller.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
POSTERIOR = ROOT / "scenarios" / "posterior.csv"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class PosteriorError(UserError):
    """A posterior file that cannot be used: one line naming the file, the column or row, and what was expected."""


# ------------------------------------------------------------------------------------------ the posterior
def load_posterior(path: str | Path = POSTERIOR, schema: dict | None = None) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(parameter names, values (draws x parameters), normalised weights) of a posterior CSV with a ``weight`` column."""
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise PosteriorError(path, "(file)", "an existing posterior CSV (file not found; `propeller calibrate` writes "
                             "scenarios/posterior.csv)", show_got=False) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise PosteriorError(path, "(file)", f"a CSV with a weight column and one column per parameter ({exc})",
                             show_got=False) from None
    if "weight" not in df.columns:
        raise PosteriorError(path, "(header)", "a 'weight' column and one column per calibrated parameter",
                             list(df.columns))
    names = tuple(c for c in df.columns if c != "weight")
    if not names or len(df) == 0:
        raise PosteriorError(path, "(file)", "at least one parameter column and one row", show_got=False)
    if schema is not None:
        for n in names:
            if n not in schema:
                raise PosteriorError(path, n, "a parameter of the scenarios (unknown column name)", show_got=False)
    values = df[list(names)].to_numpy(float)
    w = df["weight"].to_numpy(float)
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
        raise PosteriorError(path, "(values)", "finite parameter values and non-negative weights that sum to > 0",
                             show_got=False)
    return names, values, w / w.sum()


def posterior_draws(names, values, weights, draws: int, seed: int) -> tuple[list[dict[str, float]], np.ndarray]:
    """``draws`` parameter sets drawn by weight, and a fresh simulation seed for each (both from ``seed``)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    idx = rng.choice(len(weights), size=draws, p=weights)
    seeds = rng.integers(0, 2**31 - 1, size=draws)
    return [dict(zip(names, map(float, values[i]), strict=True)) for i in idx], seeds


# ------------------------------------------------------------------------------------------ coverage
def coverage(predictive: pd.DataFrame, records: pd.DataFrame, prefix: str, seed: int = 0) -> pd.DataFrame:
    """One row per record: observed value, posterior-predictive quantiles of a new observation (model value + the
    record's observation error) and of the model value alone, and whether the observation lies inside the 50 % and
    90 % intervals. Records without a model output get ``has_output = False`` and no intervals."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13]))
    rows = []
    for r in records.itertuples(index=False):
        col = f"{prefix}:{r.model_output}"
        row: dict[str, Any] = {"group": r.group, "name": r.name, "date": r.date, "unit": r.unit,
                               "observed": float(r.value), "sd": float(r.sd), "source": r.source}
        v = predictive[col].to_numpy(float) if r.status == "ok" and col in predictive.columns else np.empty(0)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            rows.append({**row, "has_output": False, "in_50": False, "in_90": False})
            continue
        y = v + float(r.sd) * rng.standard_normal(len(v))  # a new observation: the model's value + its error
        y = np.clip(y, 0.0, 1.0) if r.unit == "share" else np.maximum(y, 0.0)
        q = np.quantile(y, QUANTILES)
        m = np.quantile(v, QUANTILES)
        row.update(has_output=True, n_draws=len(v), p05=q[0], p25=q[1], median=q[2], p75=q[3], p95=q[4],
                   model_p05=m[0], model_median=m[2], model_p95=m[4],
                   in_50=bool(q[1] <= r.value <= q[3]), in_90=bool(q[0] <= r.value <= q[4]),
                   model_in_90=bool(m[0] <= r.value <= m[4]), z=(m[2] - float(r.value)) / float(r.sd))
        rows.append(row)
    return pd.DataFrame(rows)


def summary(targets_cov: pd.DataFrame, held_cov: pd.DataFrame) -> dict[str, Any]:
    """Counts of records inside their intervals (among those with a model output)."""
    def part(df: pd.DataFrame, key: str) -> dict[str, Any]:
        ok = df[df["has_output"]] if len(df) else df
        return {f"{key}_in_50": int(ok["in_50"].sum()) if len(ok) else 0,
                f"{key}_in_90": int(ok["in_90"].sum()) if len(ok) else 0,
                f"{key}_total": len(ok),
                f"{key}_without_output": int((~df["has_output"]).sum()) if len(df) else 0}

    return {**part(targets_cov, "targets"), **part(held_cov, "heldout")}


def contraction(prior, names, values, weights) -> pd.DataFrame:
    """Per parameter: posterior 90 % width / prior 90 % width, both in the prior's flat space (log for log-uniform).
    Near 1: the data left the parameter where the prior had it; near 0: the data decide it."""
    rows = []
    for j, n in enumerate(names):
        if n not in prior.names:
            rows.append({"parameter": n, "prior_90_width": math.nan, "posterior_90_width": math.nan,
                         "contraction": math.nan})
            continue
        k = prior.names.index(n)
        log = prior.kinds[k] == "loguniform"
        z = np.log(values[:, j]) if log else values[:, j]
        order = np.argsort(z)
        cw = np.cumsum(weights[order])
        cw /= cw[-1]
        lo, hi = (z[order][min(np.searchsorted(cw, q), len(z) - 1)] for q in (0.05, 0.95))
        zl, zh = (math.log(prior.low[k]), math.log(prior.high[k])) if log else (prior.low[k], prior.high[k])
        rows.append({"parameter": n, "prior_90_width": 0.9 * (zh - zl), "posterior_90_width": hi - lo,
                     "contraction": (hi - lo) / (0.9 * (zh - zl))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ the command
def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table_text(cov: pd.DataFrame, title: str) -> str:
    lines = [title, f"{'record':<52} {'observed':>9} {'median':>8} {'90 % interval':>17}  in 50 / 90"]
    for r in cov.itertuples(index=False):
        if not r.has_output:
            lines.append(f"{r.name:<52} {_fmt(r.observed):>9} {'':>8} {'no model output':>17}")
            continue
        interval = f"{_fmt(r.p05)} - {_fmt(r.p95)}"
        lines.append(f"{r.name:<52} {_fmt(r.observed):>9} {_fmt(r.median):>8} {interval:>17}  "
                     f"{'yes' if r.in_50 else 'no':>3} / {'yes' if r.in_90 else 'no'}")
    return "\n".join(lines)


def run(draws: int = 100, seed: int = 0, workers: int = 1, scheduler: str | None = None,
        posterior: str | Path | None = None, log=print, progress=None) -> dict[str, Any]:
    """Simulate ``draws`` posterior draws and compare them with every target and held-out record."""
    from propeller.app.runner import PRELOAD, Executor
    from propeller.calibration.run import predict_one
    from propeller.calibration.targets import load_targets, load_validation
    from propeller.scenarios.loader import DEFAULTS, load

    base = load(DEFAULTS)
    names, values, weights = load_posterior(posterior or POSTERIOR, schema=base.params)
    targets, validation = load_targets(), load_validation()
    params, seeds = posterior_draws(names, values, weights, draws, seed)
    with Executor(workers, scheduler, preload=(*PRELOAD, "propeller.calibration.run")) as ex:
        log(f"validate: {draws} posterior draws of {len(names)} parameters, on {ex.description}")
        rows = ex.map(predict_one, [(p, int(s), outputs.OBSERVED_DATE, (), None) for p, s in zip(params, seeds, strict=True)],
                      progress=progress)
    predictive = pd.DataFrame(rows)
    t_cov = coverage(predictive, targets[targets["status"] != "initial condition"], "target", seed)
    h_cov = coverage(predictive, validation, "held_out", seed)
    res = {**summary(t_cov, h_cov), "draws": draws, "seed": seed,
           "posterior": str(Path(posterior or POSTERIOR).name)}
    try:
        from propeller.calibration.abc import load_priors

        res["contraction"] = contraction(load_priors(schema=base.params), names, values, weights)
    except UserError:
        res["contraction"] = None
    res.update(targets_table=t_cov, heldout_table=h_cov, predictive=predictive, split_note=split_note())
    return res


def split_note(calibrated: Path = ROOT / "scenarios" / "calibrated.toml") -> str:
    """Whether the committed calibration was fitted against today's split of fitted and held-out records (the
    fingerprint its header records, ``run.split_fingerprint``): '' when it was, else one sentence saying so."""
    from propeller.calibration.run import split_fingerprint

    try:
        header = [ln for ln in calibrated.read_text(encoding="utf-8").splitlines() if ln.startswith("# Split fitted")]
    except OSError:
        return f"{calibrated.name} not found: the split it was fitted against is unknown."
    now = split_fingerprint()
    if not header:
        return f"{calibrated.name} does not record its split (made before the split was recorded)."
    if now not in header[0]:
        return (f"the targets or held-out records changed since {calibrated.name} was fitted ({header[0][2:]}; now "
                f"{now}): re-run `propeller calibrate` before reading these figures as a held-out test.")
    return ""


def main_cli(args) -> int:
    from propeller.app.progress import Stages

    stages = Stages(enabled=not getattr(args, "no_progress", False), leave=False)
    try:
        res = run(draws=args.draws, seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                  posterior=args.posterior, log=lambda s: print(s, file=sys.stderr, flush=True),
                  progress=lambda done, total: stages.at("simulating posterior draws", done, total))
    finally:
        stages.close()
    t, h = res["targets_table"], res["heldout_table"]
    print(table_text(t, "Targets (fitted): observed against the posterior-predictive distribution of a new observation"))
    print()
    print(table_text(h, "Held-out records (never fitted)"))
    print()
    c = res["contraction"]
    if c is not None and len(c):
        print("Contraction per parameter (posterior 90 % width / prior 90 % width; 1 = the data said nothing)")
        for r in c.itertuples(index=False):
            print(f"  {r.parameter:<48} {_fmt(r.contraction):>6}")
        print()
    if res["split_note"]:
        print(f"Note: {res['split_note']}")
    print(f"Targets inside their 90 % interval: {res['targets_in_90']} of {res['targets_total']} "
          f"(50 %: {res['targets_in_50']}); held-out records: {res['heldout_in_90']} of {res['heldout_total']} "
          f"(50 %: {res['heldout_in_50']}); without a model output: {res['targets_without_output']} targets, "
          f"{res['heldout_without_output']} held-out records.")
    keys = ("targets_in_50", "targets_in_90", "targets_total", "targets_without_output", "heldout_in_50",
            "heldout_in_90", "heldout_total", "heldout_without_output", "draws", "seed", "posterior")
    print(json.dumps({k: res[k] for k in keys}))
    return 0


__all__ = ["PosteriorError", "contraction", "coverage", "load_posterior", "posterior_draws", "run", "summary"]
