"""The calibration report: outputs/calibration/report.md with its figures.

For every target: observed value against the posterior-predictive median with 50 % and 90 % intervals;
posterior marginals and pairwise correlations; the targets the model cannot meet; the held-out data
(appendices B-E) next to the model's predictions where the model has the output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from propeller.app.userio import atomic_write, atomic_write_text

FINDINGS = Path(__file__).with_name("findings.md")


def _savefig(fig, path: Path) -> None:
    """A figure through a temporary file and os.replace (model/app/userio.py): never half a PNG under its name."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def _weighted_corr(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    m = w @ x
    d = x - m
    cov = (d * w[:, None]).T @ d
    s = np.sqrt(np.diag(cov))
    return cov / np.outer(s, s)


def fit_table(predictive: pd.DataFrame, targets: pd.DataFrame, prefix: str = "target") -> pd.DataFrame:
    """Observed vs posterior-predictive quantiles per target (predictive columns "<prefix>:<model_output>")."""
    rows = []
    for r in targets.itertuples(index=False):
        col = f"{prefix}:{r.model_output}"
        if r.status != "ok" or col not in predictive.columns:
            continue
        v = predictive[col].to_numpy(float)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            continue
        q05, q25, q50, q75, q95 = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95])
        rows.append({"group": r.group, "name": r.name, "date": r.date, "observed": float(r.value), "sd": float(r.sd),
                     "median": q50, "p25": q25, "p75": q75, "p05": q05, "p95": q95,
                     "z": (q50 - float(r.value)) / float(r.sd), "in_50": q25 <= r.value <= q75, "in_90": q05 <= r.value <= q95,
                     "source": r.source})
    return pd.DataFrame(rows)


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.1f}"
    return f"{v:.3f}"


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        out.append("| " + " | ".join(_fmt(v) if isinstance(v, (float, np.floating)) else str(v) for v in row) + " |")
    return "\n".join(out)


def _figures(out: Path, result, fit: pd.DataFrame) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    names = list(result.prior.names)
    g = result.last
    files = []
    # marginals: weighted histograms on the prior range (log axis for log-uniform priors)
    ncol = 4
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.4 * nrow), squeeze=False)
    for j, name in enumerate(names):
        ax = axes[j // ncol][j % ncol]
        log = result.prior.kinds[j] == "loguniform"
        lo, hi = result.prior.low[j], result.prior.high[j]
        bins = np.geomspace(lo, hi, 25) if log else np.linspace(lo, hi, 25)
        ax.hist(g.x[:, j], bins=bins, weights=g.weights, color="#4c72b0", alpha=0.85)
        ax.axhline(1.0 / 24, color="grey", lw=1, ls="--")  # the flat prior's share per bin
        if log:
            ax.set_xscale("log")
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for j in range(len(names), nrow * ncol):
        axes[j // ncol][j % ncol].axis("off")
    fig.suptitle("Posterior marginals (bars) against the flat prior (dashed), final generation")
    fig.tight_layout()
    _savefig(fig, out / "posterior_marginals.png")
    plt.close(fig)
    files.append("posterior_marginals.png")
    # pairwise correlations (transformed space: log for log-uniform priors)
    corr = _weighted_corr(g.z, g.weights)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * len(names), 0.6 * len(names)))
    short = [n.replace("instruments.", "").replace("ecosystem.", "eco.") for n in names]
    sns.heatmap(pd.DataFrame(corr, index=short, columns=short), vmin=-1, vmax=1, cmap="vlag", annot=True, fmt=".2f",
                annot_kws={"size": 7}, ax=ax)
    ax.set_title("Posterior correlations (transformed space)")
    fig.tight_layout()
    _savefig(fig, out / "posterior_correlations.png")
    plt.close(fig)
    files.append("posterior_correlations.png")
    # fit: each target as (value - observed) / sd with 50 % and 90 % intervals
    if len(fit):
        f = fit.copy()
        for c in ("median", "p25", "p75", "p05", "p95"):
            f[c] = (f[c] - f["observed"]) / f["sd"]
        f = f.iloc[::-1].reset_index(drop=True)
        fig, ax = plt.subplots(figsize=(7, 0.18 * len(f) + 1.2))
        y = np.arange(len(f))
        ax.hlines(y, f["p05"], f["p95"], color="#9ecae1", lw=2, label="90 %")
        ax.hlines(y, f["p25"], f["p75"], color="#3182bd", lw=4, label="50 %")
        ax.plot(f["median"], y, "k|", ms=8, label="median")
        ax.axvline(0, color="red", lw=1, label="observed")
        ax.set_yticks(y, f["name"], fontsize=6)
        ax.set_xlabel("(simulated - observed) / sd")
        ax.set_xlim(max(ax.get_xlim()[0], -10), min(ax.get_xlim()[1], 10))
        ax.legend(fontsize=7, loc="lower right")
        ax.set_title("Posterior predictive against each target")
        fig.tight_layout()
        _savefig(fig, out / "targets_fit.png")
        plt.close(fig)
        files.append("targets_fit.png")
    return files


def _sbc_figure(out: Path, sbc_df: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
    a.hist(sbc_df["rank"], bins=10, range=(0, 1), color="#4c72b0", alpha=0.85)
    a.axhline(len(sbc_df) / 10, color="grey", ls="--", lw=1, label="uniform")
    a.set_xlabel("rank of the true value in its posterior (0 = below all, 1 = above all)")
    a.set_ylabel("parameters x replications")
    a.legend(fontsize=7)
    a.set_title("Ranks of the truth (uniform if calibrated)", fontsize=9)
    per = sbc_df.groupby("parameter", sort=False).agg(coverage=("inside_90", "mean"), contraction=("contraction", "mean"))
    y = np.arange(len(per))
    b.barh(y, per["coverage"], color="#4c72b0", alpha=0.85, label="coverage of the 90 % interval")
    b.plot(per["contraction"], y, "k|", ms=10, label="mean contraction (1 = learned nothing)")
    b.axvline(0.9, color="red", lw=1)
    b.set_yticks(y, [n.replace("instruments.", "").replace("ecosystem.", "eco.") for n in per.index], fontsize=6)
    b.set_xlim(0, 1.05)
    b.legend(fontsize=6, loc="lower right")
    b.set_title("Per parameter", fontsize=9)
    fig.tight_layout()
    _savefig(fig, out / "sbc.png")
    plt.close(fig)
    return "sbc.png"


def _drives(drivers_res: dict | None, name: str) -> str:
    """The headline projections a parameter explains at least 10 % of (from the drivers analysis)."""
    if not drivers_res:
        return "-"
    t = drivers_res["table"]
    lead = t[(t["parameter"] == name) & (t["S1"] >= 0.10) & (t["S1"] > t["S1_conf"])].sort_values("S1", ascending=False)
    return ", ".join(f"{r.projection} ({r.S1:.0%})" for r in lead.itertuples(index=False)) or "none above 10 %"


def write_report(out: Path, result, settings, meta: dict, predictive: pd.DataFrame, targets: pd.DataFrame,
                 validation: pd.DataFrame, drivers_res: dict | None = None, sbc_df: pd.DataFrame | None = None,
                 informs: dict[str, str] | None = None) -> None:
    """Write report.md and its figures into ``out``."""
    from propeller.calibration.validate import contraction, coverage

    ok = targets[targets["status"] == "ok"]
    fit = fit_table(predictive, ok)
    held_cov = coverage(predictive, validation, "held_out", int(meta["seed"]))
    target_cov = coverage(predictive, ok, "target", int(meta["seed"]))
    g = result.last
    contr = contraction(result.prior, result.prior.names, g.x, g.weights)
    figs = _figures(out, result, fit)
    q = result.quantiles([0.05, 0.25, 0.5, 0.75, 0.95])
    scheduler = f" / {meta['scheduler']}" if meta["scheduler"] else ""
    lines = [
        "# Calibration report",
        "",
        f"ABC-SMC with MCMC moves (`calibration/abc.py`, Drovandi & Pettitt 2011), "
        f"{'quick' if meta['quick'] else 'full'} run of {meta['created']}, code "
        f"{meta['code_version']}, seed {meta['seed']}, on {meta['workers']} worker(s){scheduler}: "
        f"{meta['simulations']} simulations in {meta['seconds']:.0f} s; stopped: {meta['stop_reason']}. "
        f"Distance: root-mean-square of (simulated - observed) / sd over the {len(ok)} fitted targets "
        f"(`calibration/targets.toml`), simulated to {settings.until}.",
        "",
        "## Generations",
        "",
        _md_table(pd.DataFrame([{"generation": g.t, "tolerance": g.epsilon, "simulations": g.simulations,
                                 "move acceptance": g.move_acceptance, "distinct particles": g.distinct,
                                 "median distance": float(np.median(g.distances))}
                                for g in result.generations])),
        "",
        "## Parameters",
        "",
        "Prior: flat on the range (in log for log-uniform). Posterior: weighted quantiles of the final population.",
        "",
        _md_table(pd.DataFrame({"parameter": result.prior.names, "prior": result.prior.kinds,
                                "range": [f"{lo:g} - {hi:g}" for lo, hi in zip(result.prior.low, result.prior.high, strict=True)],
                                "median": q[2], "50 % interval": [f"{a:.3g} - {b:.3g}" for a, b in zip(q[1], q[3], strict=True)],
                                "90 % interval": [f"{a:.3g} - {b:.3g}" for a, b in zip(q[0], q[4], strict=True)]})),
        "",
        "Why these priors (`calibration/priors.toml`):",
        "",
        *[f"- `{n}`: {r}" for n, r in zip(result.prior.names, result.prior.reasons, strict=True)],
        "",
        *[f"![{f}]({f})" for f in figs if f.startswith("posterior")],
        "",
        "## Targets: observed against the posterior predictive",
        "",
        f"{settings.predictive_draws} draws from the posterior, each with a fresh seed (parameter and stochastic "
        "uncertainty together). z = (median - observed) / sd.",
        "",
    ]
    if len(fit):
        lines += [f"Inside the 90 % interval: {int(fit['in_90'].sum())} of {len(fit)}; inside the 50 % interval: "
                  f"{int(fit['in_50'].sum())}.", "", "![targets](targets_fit.png)", ""]
        show = fit[["group", "name", "date", "observed", "sd", "median", "p25", "p75", "p05", "p95", "z", "source"]]
        lines += [_md_table(show), ""]
        miss = fit[~fit["in_90"]].sort_values("z", key=np.abs, ascending=False)
        lines += ["## Targets the model does not meet", ""]
        if len(miss):
            lines += [f"{len(miss)} targets lie outside the 90 % posterior-predictive interval:", "",
                      _md_table(miss[["name", "observed", "median", "p05", "p95", "z"]]), ""]
        else:
            lines += ["None: every target lies inside its 90 % posterior-predictive interval.", ""]
        if FINDINGS.exists():
            lines += [FINDINGS.read_text().strip(), ""]
    skipped = targets[targets["status"] != "ok"]
    if len(skipped):
        lines += [f"Not fitted: {len(skipped)} records ({', '.join(sorted(skipped['status'].unique()))}); see "
                  "docs/calibration_targets.md.", ""]
    lines += ["## Held-out data (appendices B-E): predictions, not fitted", "",
              "The split between fitted and held-out records was fixed before fitting (docs/calibration_split.md). "
              "Intervals are those of a new observation: the model's value plus the record's "
              "observation error (its sd), as `propeller validate` computes them.", ""]
    with_out = held_cov[held_cov["has_output"]] if len(held_cov) else held_cov
    if len(with_out):
        n = len(with_out)
        lines += [f"**Held-out records inside their 50 % interval: {int(with_out['in_50'].sum())} of {n} "
                  f"({with_out['in_50'].mean():.0%}); inside their 90 % interval: {int(with_out['in_90'].sum())} of {n} "
                  f"({with_out['in_90'].mean():.0%})** (goal: at least 80 % inside the 90 % interval). Fitted targets, "
                  f"the same way: {int(target_cov['in_90'].sum())} of {int(target_cov['has_output'].sum())} inside "
                  "their 90 % interval.", "",
                  _md_table(with_out[["name", "date", "observed", "median", "p05", "p95", "model_median", "in_50",
                                      "in_90", "source"]]), ""]
    no_output = held_cov[~held_cov["has_output"]] if len(held_cov) else held_cov
    if len(no_output):
        lines += [f"{len(no_output)} held-out records have no model output: "
                  + ", ".join(f"`{n}`" for n in no_output["name"]) + ".", ""]
    lines += ["## What the data decide: contraction per parameter", "",
              "Contraction = posterior 90 % width / prior 90 % width (in log for log-uniform priors): near 1, the "
              "data left the parameter where the prior had it, and every projection it drives carries the prior's "
              "uncertainty. 'Drives' lists the headline projections whose variance the parameter explains at least "
              "10 % of (next section).", ""]
    contr["drives"] = [_drives(drivers_res, n) for n in contr["parameter"]]
    contr["would be narrowed by"] = [(informs or {}).get(n, "") or "-" for n in contr["parameter"]]
    lines += [_md_table(contr[["parameter", "contraction", "drives", "would be narrowed by"]]), ""]
    if drivers_res:
        from propeller.calibration.drivers import paragraph

        lines += ["## What to measure next", "", paragraph(drivers_res, informs or {}), ""]
    if sbc_df is not None and len(sbc_df):
        from propeller.calibration.sbc import summarise

        summ = summarise(sbc_df)
        allrow = summ[summ["parameter"] == "all"].iloc[0]
        sims = int(sbc_df.groupby("replication")["simulations"].first().mean())
        lines += ["## Is the method honest? Simulation-based calibration", "",
                  f"{int(allrow['replications'])} replications: parameters drawn from the prior, the model run with "
                  "them, each target's observation error added, and the calibration run against that synthetic data "
                  f"(about {sims} simulations per replication: fewer than the real fit, so its posteriors are wider). "
                  f"**The 90 % intervals held the truth in {allrow['coverage_90']:.0%} of the cases** (goal: about "
                  f"90 %), with mean contraction {allrow['mean_contraction']:.2f} and a rank-uniformity p-value of "
                  f"{allrow['rank_uniform_p']:.2f}.", "", f"![sbc]({_sbc_figure(out, sbc_df)})", "",
                  _md_table(summ), ""]
    atomic_write_text(out / "report.md", "\n".join(lines))
