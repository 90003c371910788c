"""Fit the free parameters (priors.toml) to the hub data (targets.toml) by ABC-SMC with MCMC moves
(``abc.abc_smc_mcmc``), and write the results.

    propeller calibrate [--quick] [--workers N] [--scheduler ADDR] [--seed N] [--out DIR] [--targets TOML] [--priors TOML]
                        [--sbc R]

Outputs (``--out``, default outputs/calibration/): ``posterior.db`` (SQLite: settings, priors,
generations, every accepted particle, posterior-predictive draws, targets and held-out data),
``report.md`` with figures (fit, held-out coverage, contraction, what to measure next - ``drivers.csv`` - and with
``--sbc R`` the simulation-based calibration - ``sbc.csv``), and - for the full calibration - ``scenarios/calibrated.toml`` (the point
estimate: weighted posterior medians) and ``scenarios/posterior.csv`` (the final weighted population,
which sweeps draw parameter sets from). ``--quick`` writes its scenario files into ``--out`` instead, so
a smoke run never replaces the committed calibration.

Everything the user gives is checked before the first simulation (``prepare``): the priors (each bound a value the
scenario loader accepts), the targets (each fitted output readable from a run up to the calibration's horizon) and
the output folder; a problem is one line (PriorError, TargetError, OutputError) and nothing is written. Every file
is written into a temporary folder and moved into place, scenario files through a temporary file and os.replace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from propeller.app.userio import atomic_write_text, writing
from propeller.calibration.abc import PRIORS, Prior, Result, abc_smc_mcmc, load_priors
from propeller.calibration.targets import TARGETS, check_observable, distance, load_targets, load_validation, observe
from propeller.core import outputs

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@dataclass(frozen=True)
class Settings:
    """The method's settings: part of the result (a different batch size is a different calibration)."""

    n_particles: int
    generations: int
    alpha: float = 0.5
    min_acceptance: float = 0.03
    max_simulations: int | None = None
    predictive_draws: int = 100
    until: str = outputs.OBSERVED_DATE  # the month of the observations fitted
    driver_draws: int = 0  # posterior draws run to 2050 for "what to measure next" (calibration/drivers.py)
    target_rejection: float = 0.05  # MCMC moves per copy: a copy stays unmoved with about this probability
    max_moves: int = 30


QUICK = Settings(n_particles=60, generations=3, max_simulations=900, predictive_draws=40, driver_draws=16)
FULL = Settings(n_particles=300, generations=15, min_acceptance=0.02, max_simulations=18_000, predictive_draws=200,
                driver_draws=200)
# Each replication of the simulation-based calibration (``--sbc R``): a smaller fit than FULL, so R of them fit in a
# session; its posteriors are wider than the real fit's, which the report says.
SBC = Settings(n_particles=100, generations=5, min_acceptance=0.03, max_simulations=1_500, predictive_draws=0)


# ------------------------------------------------------------------------------------------ one particle
_CACHE: dict[str, Any] = {}


def _base(overrides: tuple[tuple[str, Any], ...]):
    """The base scenario, loaded and validated once per process."""
    key = ("base", overrides)
    if key not in _CACHE:
        from propeller.scenarios.loader import DEFAULTS, load

        _CACHE[key] = load(DEFAULTS, overrides=dict(overrides))
    return _CACHE[key]


def _targets(which: str) -> pd.DataFrame:
    if which not in _CACHE:
        _CACHE[which] = load_targets() if which == "targets" else load_validation()
    return _CACHE[which]


def evaluate_one(item: tuple) -> tuple[float, dict[str, float]]:
    """Simulate one particle and return (distance to the targets, simulated target values).

    ``item`` = (parameters, seed, until, base overrides, targets frame or None for targets.toml).
    Module level so that process pools and Dask can ship it.
    """
    from propeller.core.simulate import simulate

    params, seed, until, base, targets = item
    targets = _targets("targets") if targets is None else targets
    scenario = _base(base).with_overrides(params, origin="calibration")
    out = simulate(scenario, seed=seed, until=until)
    sim = observe(out, targets)
    return distance(sim, targets), sim


def predict_one(item: tuple) -> dict[str, float]:
    """Simulated values of the targets ("target:<output>") and of the held-out data ("held_out:<output>")
    for one posterior draw."""
    from propeller.core.simulate import simulate

    params, seed, until, base, *rest = item
    targets = rest[0] if rest and rest[0] is not None else _targets("targets")
    scenario = _base(base).with_overrides(params, origin="calibration")
    out = simulate(scenario, seed=seed, until=until)
    values = {f"target:{k}": v for k, v in observe(out, targets).items()}
    values.update({f"held_out:{k}": v for k, v in observe(out, _targets("validation")).items()})
    return values


# ------------------------------------------------------------------------------------------ the fit
def calibrate(prior: Prior, settings: Settings, executor, *, seed: int = 0, base: dict | None = None,
              targets: pd.DataFrame | None = None, progress=None) -> Result:
    """ABC-SMC over ``prior`` against ``targets`` (default: targets.toml); runs go through ``executor.map``
    (``propeller.app.runner.Executor``: each fixed batch's results in proposal order, whoever computes them)."""
    base_key = tuple(sorted((base or {}).items()))

    def evaluate(batch):
        return executor.map(evaluate_one, [(p, s, settings.until, base_key, targets) for p, s in batch])

    return abc_smc_mcmc(prior, evaluate, n_particles=settings.n_particles, generations=settings.generations, seed=seed,
                        alpha=settings.alpha, min_acceptance=settings.min_acceptance,
                        max_simulations=settings.max_simulations, target_rejection=settings.target_rejection,
                        max_moves=settings.max_moves, progress=progress)


def posterior_predictive(result: Result, settings: Settings, executor, *, seed: int = 0,
                         base: dict | None = None, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Targets and held-out outputs simulated for draws from the posterior (fresh seeds): one row per draw."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    xs = result.sample(settings.predictive_draws, rng)
    seeds = rng.integers(0, 2**31 - 1, size=len(xs))
    base_key = tuple(sorted((base or {}).items()))
    rows = executor.map(predict_one, [(result.prior.as_dict(x), int(s), settings.until, base_key, targets)
                                      for x, s in zip(xs, seeds, strict=True)])
    df = pd.DataFrame(rows)
    df.insert(0, "draw", np.arange(len(df)))
    return df


# ------------------------------------------------------------------------------------------ writing
def _code_version() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True, timeout=5)
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if rev.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def calibrated_toml(result: Result, settings: Settings, meta: dict, folder: Path = SCENARIOS) -> str:
    """scenarios/calibrated.toml: extends the baseline with the point estimates, each with its interval."""
    q = result.quantiles([0.05, 0.5, 0.95])
    lines = [
        "# Calibrated parameters: written by `propeller calibrate` - do not edit by hand.",
        f"# ABC-SMC with MCMC moves (calibration/abc.py), {meta['created']}, code {meta['code_version']}, seed {meta['seed']}:",
        f"# {len(result.generations)} generations x {settings.n_particles} particles, {result.simulations} simulations,",
        f"# final tolerance {result.last.epsilon:.3g} (sd-weighted RMS miss over the targets of calibration/targets.toml).",
        f"# Split fitted / held out: {meta.get('split', 'not recorded')}.",
        "# Each value is the weighted posterior median; the comment gives the 90 % posterior interval.",
        "# Sourced and assumed defaults stay in uncalibrated_defaults.toml; the posterior sample is scenarios/posterior.csv.",
        f'extends = "{os.path.relpath(SCENARIOS / "uncalibrated_defaults.toml", folder)}"',
        "",
    ]
    groups: dict[str, list[tuple[str, float, float, float]]] = {}
    for j, name in enumerate(result.prior.names):
        table, key = name.rsplit(".", 1)
        groups.setdefault(table, []).append((key, q[1, j], q[0, j], q[2, j]))
    for table, items in groups.items():
        lines.append(f"[{table}]")
        for key, med, lo, hi in items:
            lines.append(f"{key} = {float(f'{med:.4g}')!r:<12} # calibrated: 90 % interval {lo:.4g} - {hi:.4g}")
        lines.append("")
    return "\n".join(lines)


# Scenario files are written through a temporary file and os.replace (model/app/userio.py)
_atomic_write = atomic_write_text


def write_db(path: Path, result: Result, settings: Settings, meta: dict, predictive: pd.DataFrame,
             targets: pd.DataFrame, validation: pd.DataFrame) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db["meta"].insert_all([{"key": k, "value": json.dumps(v)} for k, v in {**meta, **asdict(settings)}.items()], pk="key")
    db["priors"].insert_all([{"name": n, "prior": k, "low": float(lo), "high": float(hi), "reason": r}
                             for n, k, lo, hi, r in zip(result.prior.names, result.prior.kinds, result.prior.low,
                                                        result.prior.high, result.prior.reasons, strict=True)], pk="name")
    db["generations"].insert_all([{"t": g.t, "epsilon": g.epsilon, "particles": len(g.weights), "simulations": g.simulations,
                                   "move_acceptance": g.move_acceptance, "distinct_particles": g.distinct, "seconds": g.seconds}
                                  for g in result.generations], pk="t")
    rows = []
    for g in result.generations:
        for i in range(len(g.weights)):
            rows.append({"t": g.t, "i": i, "weight": float(g.weights[i]), "distance": float(g.distances[i]),
                         "seed": int(g.seeds[i]), **result.prior.as_dict(g.x[i])})
    db["particles"].insert_all(rows, pk=("t", "i"))
    db["particles"].create_index(["t"])
    long = predictive.melt(id_vars="draw", var_name="name", value_name="value")
    db["predictive"].insert_all(long.to_dict(orient="records"), pk=("draw", "name"))
    for name, df in (("targets", targets), ("validation", validation)):
        db[name].insert_all(df.astype(object).where(df.notna(), None).to_dict(orient="records"), pk="name")
    db.close()


def posterior_frame(result: Result) -> pd.DataFrame:
    g = result.last
    df = pd.DataFrame(g.x, columns=list(result.prior.names))
    df.insert(0, "weight", g.weights)
    return df


def prepare(settings: Settings, targets_path: str | Path | None = None, priors_path: str | Path | None = None,
            out: Path | None = None) -> tuple[Prior, pd.DataFrame, pd.DataFrame]:
    """Check everything the user gives before the first simulation: priors, targets (readable from a run up to the
    horizon: one short regional run), validation data and the output folder. Returns (prior, targets, validation)."""
    from propeller.app.userio import check_output_dir
    from propeller.core.simulate import simulate
    from propeller.scenarios.loader import DEFAULTS, load

    if out is not None:
        check_output_dir(out, "--out")
    base = load(DEFAULTS)
    prior = load_priors(priors_path or PRIORS, schema=base.params)
    targets, validation = load_targets(targets_path), load_validation()
    probe = simulate(base.with_overrides({"simulation.region": "midden"}, origin="calibration"), seed=0,
                     until=settings.until)
    check_observable(targets, probe, targets_path or TARGETS)
    return prior, targets, validation


def split_fingerprint() -> str:
    """Short hashes of the fitted and the held-out records' files: which split a calibration was made against."""
    import hashlib

    from propeller.calibration.targets import TARGETS, VALIDATION

    return ", ".join(f"{f.name} {hashlib.sha256(f.read_bytes()).hexdigest()[:12]}" for f in (TARGETS, VALIDATION))


def run(quick: bool = False, workers: int = 1, scheduler: str | None = None, seed: int = 0,
        out: Path | None = None, write_scenarios: bool | None = None, settings: Settings | None = None,
        log=print, targets_path: str | Path | None = None, priors_path: str | Path | None = None,
        sbc_replications: int = 0) -> dict:
    """The ``propeller calibrate`` command: fit, predict, write db + report (+ scenario files)."""
    from propeller.app.runner import PRELOAD, Executor

    settings = settings or (QUICK if quick else FULL)
    out = Path(out or ROOT / "outputs" / "calibration")
    write_scenarios = (not quick) if write_scenarios is None else write_scenarios
    prior, targets, validation = prepare(settings, targets_path, priors_path, out)
    custom = targets if targets_path is not None else None  # default targets: each worker reads targets.toml once
    code_version = _code_version()  # of the code that runs, not of whatever is checked out at the end
    t0 = time.perf_counter()
    with Executor(workers, scheduler, preload=(*PRELOAD, __name__)) as ex:
        log(f"calibrate: {'quick' if quick else 'full'} ABC-SMC, {len(prior.names)} parameters, "
            f"{int((targets['status'] == 'ok').sum())} targets, {settings.n_particles} particles, on {ex.description}")
        result = calibrate(prior, settings, ex, seed=seed, targets=custom, progress=lambda s: log(f"  {s}"))
        log(f"  predictive: {settings.predictive_draws} draws from the posterior")
        predictive = posterior_predictive(result, settings, ex, seed=seed, targets=custom)
        fit_seconds = time.perf_counter() - t0
        drivers_res = None
        if settings.driver_draws:
            from propeller.calibration.drivers import drivers

            log(f"  drivers: {settings.driver_draws} posterior draws run to 2050")
            drivers_res = drivers(result.prior.names, result.last.x, result.last.weights, ex,
                                  draws=settings.driver_draws, seed=seed)
        sbc_df = None
        if sbc_replications:
            from propeller.calibration.sbc import sbc

            log(f"  simulation-based calibration: {sbc_replications} replications of {SBC.max_simulations} simulations")
            sbc_df = sbc(prior, SBC, ex, replications=sbc_replications, seed=seed, targets=custom,
                         log=lambda m: log(f"  {m}"))
    seconds = time.perf_counter() - t0
    meta = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "code_version": code_version,
            "seed": seed, "quick": quick, "workers": workers, "scheduler": scheduler or "", "seconds": round(seconds, 1),
            "fit_seconds": round(fit_seconds, 1), "split": split_fingerprint(),
            "simulations": result.simulations, "stop_reason": result.stop_reason,
            "method": "ABC-SMC with MCMC moves (calibration/abc.py abc_smc_mcmc)"}
    # out of space: one line, and the folder as it was (every file is written in a temporary folder first)
    with writing(out, "nothing was half-written, but this calibration's results are lost - free space and run "
                 "the same command again"):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            write_db(tmp / "posterior.db", result, settings, meta, predictive, targets, validation)
            import sqlite_utils

            db = sqlite_utils.Database(tmp / "posterior.db")
            if drivers_res is not None:
                db["drivers"].insert_all(drivers_res["table"].to_dict(orient="records"))
            if sbc_df is not None:
                db["sbc"].insert_all(sbc_df.to_dict(orient="records"))
            db.close()
            posterior_frame(result).to_csv(tmp / "posterior.csv", index=False)
            (tmp / "calibrated.toml").write_text(calibrated_toml(result, settings, meta, out.resolve()))
            from propeller.calibration.report import write_report

            write_report(tmp, result, settings, meta, predictive, targets, validation, drivers_res=drivers_res,
                         sbc_df=sbc_df, informs=dict(zip(prior.names, prior.informs, strict=False)))
            if drivers_res is not None:
                drivers_res["table"].to_csv(tmp / "drivers.csv", index=False)
            if sbc_df is not None:
                sbc_df.to_csv(tmp / "sbc.csv", index=False)
            for f in tmp.iterdir():  # on disk before the names point at them
                if f.is_file():
                    with open(f, "rb+") as fh:
                        os.fsync(fh.fileno())
            out.mkdir(parents=True, exist_ok=True)
            for f in tmp.iterdir():
                dest = out / f.name
                if dest.is_dir():
                    shutil.rmtree(dest)
                os.replace(f, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if write_scenarios:
        _atomic_write(SCENARIOS / "calibrated.toml", calibrated_toml(result, settings, meta))
        _atomic_write(SCENARIOS / "posterior.csv", (out / "posterior.csv").read_text())
    log(f"calibrate: {result.simulations} simulations, fit and predictive in {fit_seconds:.0f} s, {seconds:.0f} s in all "
        f"({result.stop_reason}); "
        f"final tolerance {result.last.epsilon:.3g}")
    log(f"Written: {out / 'posterior.db'}, {out / 'report.md'}"
        + (f", {SCENARIOS / 'calibrated.toml'}, {SCENARIOS / 'posterior.csv'}" if write_scenarios else
           f", {out / 'calibrated.toml'}, {out / 'posterior.csv'}"))
    return {"result": result, "predictive": predictive, "meta": meta, "out": out}


def main_cli(args) -> int:
    run(quick=args.quick, workers=args.workers, scheduler=args.scheduler, seed=args.seed,
        out=Path(args.out) if args.out else None, targets_path=getattr(args, "targets", None),
        priors_path=getattr(args, "priors", None), log=lambda s: print(s, file=sys.stderr, flush=True),
        sbc_replications=getattr(args, "sbc", 0) or 0)
    return 0


__all__ = ["FULL", "QUICK", "Settings", "calibrate", "evaluate_one", "posterior_predictive", "run"]
