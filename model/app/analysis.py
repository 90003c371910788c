"""Analysis of a sweep database: scenario comparison and Morris / Sobol sensitivity (SALib).

- ``compare(db)``: per design point (scenario label) x outcome x key date, the median and 90 % interval over
  replications, and the difference from a reference scenario, paired by seed (common random numbers) when
  the seeds match, else the difference of the medians.
- ``sensitivity(db)``: Morris (mu*, its confidence interval, mu, sigma) or Sobol (S1, ST with confidence
  intervals) indices for chosen outcomes at key dates; the outcome of a design point is its mean over
  replications.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from propeller.app.store import Store, StoreError
from propeller.app.sweeps.spec import SpecError
from propeller.app.userio import atomic_write
from propeller.core import outputs
from propeller.scenarios.loader import did_you_mean

SENSITIVITY_OUTCOMES = (f"partners_total@{outputs.TARGET_DATE}", f"kpi5_skilled@{outputs.TARGET_DATE}",
                        f"productivity_index@{outputs.HORIZON_DATE}")


def _listing(names: Sequence[str], most: int = 8) -> str:
    names = list(names)
    return ", ".join(names[:most]) + (f", ... ({len(names)} in all)" if len(names) > most else "")


def pick_sweep(store: Store, sweep: str | None = None, kinds: Sequence[str] | None = None) -> dict:
    """A sweep of the database by name or id (prefix); default: the most recently registered (of ``kinds``)."""
    rows = store.sweeps()
    if kinds:
        rows = rows[rows["design"].map(lambda d: json.loads(d)["kind"] in kinds)]
    if sweep is not None:
        rows = rows[(rows["name"] == sweep) | rows["sweep_id"].str.startswith(sweep)]
    if rows.empty:
        what = f"a sweep named {sweep!r}" if sweep else "a sweep"
        if kinds:
            what += " with a " + " or ".join(kinds) + " design"
        names = list(dict.fromkeys(store.sweeps()["name"]))
        have = f" (it has: {_listing(names)})" if names else " (it has none)"
        raise StoreError(store.path, "sweeps", what + " in this database" + have, show_got=False,
                         hint=did_you_mean(sweep, names) if sweep else "")
    row = rows.iloc[-1]
    full = store.conn.execute("SELECT * FROM sweeps WHERE sweep_id=?", (row["sweep_id"],)).fetchone()
    names = [d[0] for d in store.conn.execute("SELECT * FROM sweeps LIMIT 0").description]
    out = dict(zip(names, full, strict=True))
    for k in ("design", "problem", "factors", "scenarios", "outputs", "key_dates"):
        out[k] = json.loads(out[k])
    return out


def _summaries(store: Store, sweep_id: str) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT sr.point, sr.replication, p.label, r.run_id, r.seed, s.outcome, s.date, s.value "
        "FROM sweep_runs sr JOIN points p ON p.sweep_id = sr.sweep_id AND p.point = sr.point "
        "JOIN runs r ON r.run_id = sr.run_id AND r.status = 'done' "
        "JOIN summaries s ON s.run_id = r.run_id WHERE sr.sweep_id = ?", store.conn, params=(sweep_id,))


def _missing(store: Store, sweep_id: str) -> int:
    return store.conn.execute(
        "SELECT COUNT(DISTINCT sr.run_id) FROM sweep_runs sr LEFT JOIN runs r ON r.run_id = sr.run_id AND r.status = 'done' "
        "WHERE sr.sweep_id = ? AND r.run_id IS NULL", (sweep_id,)).fetchone()[0]


# ----------------------------------------------------------------------------------------------
REFERENCE_RULES = {
    "option": "chosen with --reference",
    "calibrated": "the calibrated scenario: the default reference when a sweep has it; another with --reference",
    "first": "the first scenario of the sweep, as it has no 'calibrated' scenario; another with --reference",
    "none": "",
}


def pick_reference(labels: Sequence[str], given: str | None = None) -> tuple[str | None, str]:
    """The scenario that differences are taken from, and the rule that chose it (a key of REFERENCE_RULES):
    ``given`` (--reference), else ``calibrated`` when the sweep has it, else the sweep's first scenario; none when
    the sweep has only one scenario (nothing to compare). Every output that shows differences states the rule."""
    if given is not None:
        return given, "option"
    if len(labels) < 2:
        return None, "none"
    if "calibrated" in labels:
        return "calibrated", "calibrated"
    return labels[0], "first"


def compare(db_path: str | Path, sweep: str | None = None, reference: str | None = None,
            outcomes: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Scenario x outcome x date: n, median, 5 % and 95 % quantiles, and the difference from ``reference``
    (default: :func:`pick_reference`; a reference that the sweep does not have is an error)."""
    with Store(db_path, readonly=True) as st:
        info = pick_sweep(st, sweep)
        data = _summaries(st, info["sweep_id"])
        info["missing"] = _missing(st, info["sweep_id"])
    if data.empty:
        raise StoreError(db_path, "runs", f"stored runs of sweep {info['name']!r} (none are done yet)", show_got=False)
    if outcomes:
        kept = list(info["outputs"])
        for o in outcomes:
            if o not in kept:
                raise StoreError("--outcome", o, f"an outcome kept by sweep {info['name']!r} ({', '.join(kept)})",
                                 show_got=False, hint=did_you_mean(o, kept))
        data = data[data["outcome"].isin(outcomes)]
    labels = list(dict.fromkeys(data.sort_values("point")["label"]))
    if reference is not None and reference not in labels:
        raise StoreError("--reference", reference, f"a scenario of sweep {info['name']!r} ({_listing(labels)})",
                         show_got=False, hint=did_you_mean(reference, labels))
    info["reference"], info["reference_rule"] = pick_reference(labels, reference)
    reference = info["reference"]
    refs = {k: g.groupby("seed")["value"].mean()
            for k, g in data[data["label"] == reference].groupby(["outcome", "date"])}
    rows = []
    for (label, outcome, date), g in data.groupby(["label", "outcome", "date"], sort=False):
        v = g["value"].to_numpy()
        row = {"scenario": label, "outcome": outcome, "date": date, "n": len(v), "median": np.median(v),
               "q05": np.quantile(v, 0.05), "q95": np.quantile(v, 0.95),
               "diff_median": np.nan, "diff_q05": np.nan, "diff_q95": np.nan, "paired": 0}
        r = refs.get((outcome, date))
        if r is not None:
            paired = g.groupby("seed")["value"].mean().sub(r).dropna()
            if len(paired):  # common random numbers: the same seed in both scenarios
                d = paired.to_numpy()
                row.update(diff_median=np.median(d), diff_q05=np.quantile(d, 0.05), diff_q95=np.quantile(d, 0.95),
                           paired=len(d))
            else:
                row.update(diff_median=np.median(v) - np.median(r.to_numpy()))
        rows.append(row)
    table = pd.DataFrame(rows)
    out_order = {o: i for i, o in enumerate(info["outputs"])}
    lab_order = {lab: i for i, lab in enumerate(labels)}
    table = (table.assign(_o=table["outcome"].map(out_order), _l=table["scenario"].map(lab_order))
             .sort_values(["_o", "date", "_l"]).drop(columns=["_o", "_l"]).reset_index(drop=True))
    return table, info


def _num(v: float) -> str:
    if pd.isna(v):
        return ""
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.5g}"


def format_compare(table: pd.DataFrame, info: dict) -> str:
    lines = [f"sweep {info['name']} ({info['sweep_id']}): median and 90 % interval over the n runs of each scenario"
             + (f"; difference from {info['reference']!r} ({REFERENCE_RULES[info['reference_rule']]}), "
                "paired by seed" if info["reference"] else "; one scenario, so no differences")]
    if info["missing"]:
        lines.append(f"note: {info['missing']} runs of this sweep are not stored yet")
    for (outcome, date), g in table.groupby(["outcome", "date"], sort=False):
        view = pd.DataFrame({
            "scenario": g["scenario"], "n": g["n"],
            "median": g["median"].map(_num),
            "90 % interval": [f"{_num(a)} .. {_num(b)}" for a, b in zip(g["q05"], g["q95"], strict=True)],
        })
        if info["reference"]:
            view[f"diff vs {info['reference']}"] = [("+" if d > 0 else "") + _num(d) if not pd.isna(d) else ""
                                                   for d in g["diff_median"]]
            view["diff 90 %"] = [f"{_num(a)} .. {_num(b)}" if not pd.isna(a) else "" for a, b in
                                 zip(g["diff_q05"], g["diff_q95"], strict=True)]
        lines += ["", f"{outcome} at {date}", view.to_string(index=False)]
    return "\n".join(lines)


def write_csv(table: pd.DataFrame, path: str | Path) -> None:
    atomic_write(Path(path), lambda tmp: table.to_csv(tmp, index=False))


# ----------------------------------------------------------------------------------------------
def _parse_outcome(item: str) -> tuple[str, str]:
    if "@" not in item:
        raise SpecError("--outcome", item, f"OUTCOME@YYYY-MM, e.g. {SENSITIVITY_OUTCOMES[0]}", show_got=False)
    o, d = item.split("@", 1)
    from propeller.scenarios.loader import _date

    if not o or _date(d):
        raise SpecError("--outcome", item, f"OUTCOME@YYYY-MM, e.g. {SENSITIVITY_OUTCOMES[0]}", show_got=False)
    return o, d


def sensitivity(db_path: str | Path, sweep: str | None = None, outcomes: Sequence[str] | None = None,
                sweep_id: str | None = None, seed: int = 0) -> tuple[pd.DataFrame, dict, list[str]]:
    """Morris or Sobol indices (with 95 % confidence intervals) of a stored sweep for outcome@date items.

    Returns (table, sweep info, notes on outcomes that the sweep did not keep)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    requested = list(outcomes or SENSITIVITY_OUTCOMES)
    explicit = bool(outcomes)  # asked for by name: an outcome the sweep cannot give is an error, not a note
    with Store(db_path, readonly=True) as st:
        info = pick_sweep(st, sweep_id or sweep, kinds=("morris", "sobol"))
        data = _summaries(st, info["sweep_id"])
        missing = _missing(st, info["sweep_id"])
        points = pd.read_sql_query("SELECT point, scenario, x FROM points WHERE sweep_id=? ORDER BY point", st.conn,
                                   params=(info["sweep_id"],))
    if missing:
        raise StoreError(db_path, "runs", f"every run of sweep {info['name']!r} stored ({missing} missing: run "
                         "`propeller sweep SPEC` again to finish it)", show_got=False)
    if points["scenario"].nunique() != 1:
        raise StoreError(db_path, "sweeps", "a sensitivity design on one base scenario", show_got=False)
    kind = info["design"]["kind"]
    problem = info["problem"]
    x = np.array([json.loads(v) for v in points["x"]], dtype=float)
    notes, rows = [], []
    for item in requested:
        outcome, date = _parse_outcome(item)
        if explicit and outcome not in info["outputs"]:
            known = outputs.is_output(outcome)
            raise StoreError("--outcome", item, f"an outcome kept by sweep {info['name']!r} "
                             f"({', '.join(info['outputs'])})" + ("" if known else " (no such outcome)"),
                             show_got=False, hint="" if known else did_you_mean(outcome, info["outputs"]))
        if explicit and date not in info["key_dates"]:
            raise StoreError("--outcome", item, f"one of the sweep's key dates ({', '.join(info['key_dates'])})",
                             show_got=False)
        if outcome not in info["outputs"] or date not in info["key_dates"]:
            notes.append(f"{item}: not kept by sweep {info['name']} (outputs {', '.join(info['outputs'])}; "
                         f"key dates {', '.join(info['key_dates'])}): skipped")
            continue
        sel = data[(data["outcome"] == outcome) & (data["date"] == date)]
        y = sel.groupby("point")["value"].mean().reindex(points["point"]).to_numpy()
        if kind == "morris":
            res = morris_analyze.analyze(problem, x, y, num_resamples=1000, conf_level=0.95,
                                         num_levels=info["design"]["levels"], seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append({"outcome": outcome, "date": date, "factor": name, "mu_star": res["mu_star"][i],
                             "mu_star_conf": res["mu_star_conf"][i], "mu": res["mu"][i], "sigma": res["sigma"][i]})
        else:
            second = info["design"]["second_order"]
            res = sobol_analyze.analyze(problem, y, calc_second_order=second, num_resamples=1000, conf_level=0.95,
                                        seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append({"outcome": outcome, "date": date, "factor": name, "S1": res["S1"][i],
                             "S1_conf": res["S1_conf"][i], "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})
    if not rows:
        raise StoreError(db_path, "outcomes", "at least one OUTCOME@DATE kept by the sweep (outputs "
                         + ", ".join(info["outputs"]) + "; key dates " + ", ".join(info["key_dates"]) + ")",
                         show_got=False)
    return pd.DataFrame(rows), info, notes


# What the columns of `propeller sensitivity` mean, in a sentence each (printed above the tables).
SENSITIVITY_WORDS = {
    "morris": [
        "  mu*   how much the outcome moves, on average, when this factor alone is moved across its range (in the "
        "outcome's own unit; larger = more influential)",
        "  mu    the same with signs kept: positive = the outcome rises with the factor, near 0 with a large mu* = "
        "the direction depends on the other factors",
        "  sigma how much that effect differs from one combination of the other factors to the next (large = the "
        "factor interacts with others, or acts non-linearly)",
    ],
    "sobol": [
        "  S1    the share of the outcome's variance that this factor explains on its own (0 to 1)",
        "  ST    the share it explains including all its interactions with other factors; ST much larger than S1 = "
        "the factor matters mainly in combination",
    ],
}


def format_sensitivity(table: pd.DataFrame, info: dict) -> str:
    kind = info["design"]["kind"]
    head = ("Morris elementary effects: mu* (mean |effect|) with 95 % CI, mu, sigma" if kind == "morris" else
            "Sobol indices: first order S1 and total ST with 95 % CI")
    lines = [f"sweep {info['name']} ({info['sweep_id']}), {kind} design, {info['n_points']} points x "
             f"{info['replications']} replication(s) (mean over replications): {head}"]
    lines += SENSITIVITY_WORDS["morris" if kind == "morris" else "sobol"]
    for (outcome, date), g in table.groupby(["outcome", "date"], sort=False):
        if kind == "morris":
            view = pd.DataFrame({"factor": g["factor"], "mu*": g["mu_star"].map(_num),
                                 "95 % CI": ("± " + g["mu_star_conf"].map(_num)), "mu": g["mu"].map(_num),
                                 "sigma": g["sigma"].map(_num)}).iloc[np.argsort(-g["mu_star"].to_numpy())]
        else:
            view = pd.DataFrame({"factor": g["factor"], "S1": g["S1"].map(lambda v: f"{v:.3f}"),
                                 "S1 95 % CI": g["S1_conf"].map(lambda v: f"± {v:.3f}"),
                                 "ST": g["ST"].map(lambda v: f"{v:.3f}"),
                                 "ST 95 % CI": g["ST_conf"].map(lambda v: f"± {v:.3f}")}
                                ).iloc[np.argsort(-g["ST"].to_numpy())]
        lines += ["", f"{outcome} at {date}", view.to_string(index=False)]
    return "\n".join(lines)


def plot_sensitivity(table: pd.DataFrame, info: dict, path: str | Path) -> None:
    """One panel per outcome: mu* (Morris) or S1 and ST (Sobol) per factor with 95 % confidence intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    kind = info["design"]["kind"]
    groups = list(table.groupby(["outcome", "date"], sort=False))
    n_f = table["factor"].nunique()
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 0.9 + 0.42 * n_f), squeeze=False)
    for ax, ((outcome, date), g) in zip(axes[0], groups, strict=True):
        y = np.arange(len(g))
        if kind == "morris":
            g = g.sort_values("mu_star")
            ax.barh(y, g["mu_star"], xerr=g["mu_star_conf"], color=sns.color_palette()[0], capsize=3)
            ax.set_xlabel("Morris mu* (95 % CI)")
        else:
            g = g.sort_values("ST")
            ax.barh(y + 0.2, g["ST"], height=0.4, xerr=g["ST_conf"], label="total ST", capsize=3)
            ax.barh(y - 0.2, g["S1"], height=0.4, xerr=g["S1_conf"], label="first order S1", capsize=3)
            ax.set_xlabel("Sobol index (95 % CI)")
            ax.legend(loc="lower right", fontsize=7)
        ax.set_yticks(y, g["factor"])
        ax.set_title(f"{outcome}\n{date}", fontsize=9)
    fig.suptitle(f"Sensitivity: sweep {info['name']} ({kind}, {info['n_points']} points)", fontsize=10)
    fig.tight_layout()

    def save(tmp: Path) -> None:
        fig.savefig(tmp, format="png", dpi=120)

    atomic_write(Path(path), save)
    plt.close(fig)
