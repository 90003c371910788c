"""What to measure next: which calibrated parameter's remaining uncertainty drives each headline projection.

For posterior draws (each with a fresh seed) the calibrated model is run to 2050 and the headline projections are read:
partners 2030, KPI 5 2027, adopted share and productivity index 2030 and 2050. For each projection Y and free
parameter X_j, the share of Var(Y) that X_j's posterior uncertainty explains is the first-order index
S_j = Var(E[Y | X_j]) / Var(Y), estimated from the given draws by SALib's delta module (``SALib.analyze.delta``,
"compatible with all samplers": it needs no special design, so posterior draws serve). The parameters of a posterior
are correlated; S_j then counts what X_j carries of its partners too, so the shares need not add to one.

Learning X_j exactly would leave, on average, Var(Y) (1 - S_j): the projection's 90 % band would narrow by
1 - sqrt(1 - S_j). The stochastic part - what remains when every parameter is known - is estimated from repeated
seeds at the posterior median. ``priors.toml`` says for each parameter which observation would inform it
(``informs``); the paragraph of the calibration report turns the ranking into a monitoring recommendation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

PROJECTIONS: tuple[tuple[str, str, str], ...] = (
    ("partners_total", "2030-12", "partners 2030"),
    ("kpi5_skilled", "2027-12", "KPI 5 2027"),
    ("adopted_share", "2030-12", "adopted share 2030"),
    ("adopted_share", "2050-12", "adopted share 2050"),
    ("productivity_index", "2030-12", "productivity index 2030"),
    ("productivity_index", "2050-12", "productivity index 2050"),
)
UNTIL = "2050-12"


def project_one(item: tuple) -> dict[str, float]:
    """The headline projections of one parameter set (overrides on the baseline) and seed. Module level for pools."""
    from propeller.calibration.run import _base
    from propeller.calibration.targets import _at
    from propeller.core.simulate import simulate

    params, seed = item
    out = simulate(_base(()).with_overrides(params, origin="calibration"), seed=int(seed), until=UNTIL)
    return {label: _at(out, output, date) for output, date, label in PROJECTIONS}


def first_order(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], seed: int = 0) -> pd.DataFrame:
    """S1 (and its bootstrap 95 % half-width) of each column of x for the output y, by SALib's delta module."""
    from SALib.analyze import delta

    lo, hi = x.min(axis=0), x.max(axis=0)
    hi = np.where(hi > lo, hi, lo + 1e-12)
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[float(a), float(b)] for a, b in zip(lo, hi, strict=True)]}
    if np.ptp(y) == 0:
        return pd.DataFrame({"parameter": names, "S1": 0.0, "S1_conf": 0.0})
    res = delta.analyze(problem, x, y, num_resamples=50, seed=seed, method="sobol")
    s1 = np.clip(np.asarray(res["S1"], float), 0.0, 1.0)
    return pd.DataFrame({"parameter": names, "S1": s1, "S1_conf": np.asarray(res["S1_conf"], float)})


def drivers(names: tuple[str, ...], values: np.ndarray, weights: np.ndarray, executor, *, draws: int = 200,
            seed_repeats: int = 16, seed: int = 0) -> dict[str, Any]:
    """Simulate ``draws`` posterior draws to 2050 and rank the parameters per projection.

    Returns ``table`` (projection x parameter: S1, its confidence, the band's narrowing if the parameter were known),
    ``stochastic`` (per projection: the share of the variance left with every parameter at its posterior median),
    ``projections`` (the simulated values per draw) and ``draws``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17]))
    idx = rng.choice(len(weights), size=draws, p=weights)
    seeds = rng.integers(0, 2**31 - 1, size=draws + seed_repeats)
    x = values[idx]
    items = [(dict(zip(names, map(float, row), strict=True)), int(s)) for row, s in zip(x, seeds[:draws], strict=True)]
    median = {n: float(_wquantile(values[:, j], weights, 0.5)) for j, n in enumerate(names)}
    items += [(median, int(s)) for s in seeds[draws:]]
    rows = executor.map(project_one, items)
    proj = pd.DataFrame(rows[:draws])
    at_median = pd.DataFrame(rows[draws:])
    z = np.log(np.maximum(x, 1e-300))  # ranks do not depend on the scale; log keeps log-uniform ones even
    out = []
    stochastic = {}
    for _, _, label in PROJECTIONS:
        y = proj[label].to_numpy(float)
        var = float(np.var(y))
        stochastic[label] = float(np.var(at_median[label].to_numpy(float)) / var) if var > 0 else math.nan
        s = first_order(z, y, names, seed)
        s.insert(0, "projection", label)
        s["narrowing"] = 1.0 - np.sqrt(1.0 - s["S1"].to_numpy())
        s["median"], s["p05"], s["p95"] = np.median(y), np.quantile(y, 0.05), np.quantile(y, 0.95)
        out.append(s)
    table = pd.concat(out, ignore_index=True)
    return {"table": table, "stochastic": stochastic, "projections": proj, "draws": draws}


def _wquantile(v: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(v)
    cw = np.cumsum(w[order])
    cw /= cw[-1]
    return float(v[order][min(np.searchsorted(cw, q), len(v) - 1)])


def paragraph(res: dict[str, Any], informs: dict[str, str], top: int = 3) -> str:
    """The report's "what to measure next" text: per projection the leading parameters, and the observations that
    would narrow them, ranked by how much of the projection's band they would take away."""
    table, stoch = res["table"], res["stochastic"]
    lines = [f"From {res['draws']} posterior draws run to 2050 (each with its own seed), the share of each headline "
             "projection's variance that a parameter's remaining uncertainty explains (first-order index S1, "
             "SALib delta; in brackets: how much the projection's 90 % band would narrow if that parameter were "
             "known exactly). 'Chance' is the share left when every parameter sits at its posterior median - the "
             "part no measurement removes.", ""]
    votes: dict[str, list[float]] = {}
    for _, _, label in PROJECTIONS:
        t = table[table["projection"] == label].sort_values("S1", ascending=False)
        lead = t[t["S1"] > t["S1_conf"]].head(top)  # above its own bootstrap noise
        parts = [f"{r.parameter} {r.S1:.0%} (-{r.narrowing:.0%})" for r in lead.itertuples(index=False)]
        med, lo, hi = t["median"].iloc[0], t["p05"].iloc[0], t["p95"].iloc[0]
        lines.append(f"- **{label}** (median {_num(med)}, 90 % {_num(lo)} - {_num(hi)}): "
                     + (", ".join(parts) if parts else "no parameter stands out from the estimate's noise")
                     + f"; chance {min(stoch[label], 1.0):.0%}.")
        for r in lead.itertuples(index=False):
            votes.setdefault(r.parameter, []).append(float(r.narrowing))
    lines.append("")
    ranked = sorted(votes.items(), key=lambda kv: -sum(kv[1]))  # by the narrowing summed over the projections it leads
    if ranked:
        lines.append("**What the next monitoring round should collect**, in order of how much it would narrow these "
                     "projections together:")
        for k, (name, v) in enumerate(ranked[:5], start=1):
            lines.append(f"{k}. {informs.get(name) or 'no observation named in priors.toml'} - informs `{name}`, "
                         f"among the leading parameters of {len(v)} projection(s); knowing it would narrow their bands "
                         f"by up to {max(v):.0%}.")
    return "\n".join(lines)


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


__all__ = ["PROJECTIONS", "drivers", "first_order", "paragraph", "project_one"]
