"""benchmarks/check_streams.py: its comparison flags clearly different samples and passes samples of one
distribution (synthetic data, no model runs), and the committed reference has the expected structure. The check
itself (about a minute of model runs) is run by hand whenever a change moves the random streams."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from benchmarks import check_streams as cs

DATES = ("2025-09", "2027-12")
COLS = ["share", "count", "constant"]


def sample(seed: int, n: int = 40, shift: float = 0.0, constant: int = 7) -> pd.DataFrame:
    """n seeds x DATES: a normal share, a Poisson count, and a column constant over seeds."""
    rng = np.random.default_rng(seed)
    rows = [{"seed": s, "date": d, "share": 0.1 + 0.01 * (rng.standard_normal() + shift),
             "count": int(rng.poisson(40 + 10 * shift)), "constant": constant}
            for s in range(n) for d in DATES]
    return pd.DataFrame(rows)


def test_same_distribution_passes():
    tab, thr, ok = cs.decide(cs.compare(sample(1), sample(2), DATES, COLS))
    assert ok and not tab["reject"].any()
    assert thr == pytest.approx(0.05 / (2 * len(DATES) * len(COLS)))
    const = tab[tab["outcome"] == "constant"]
    assert (const["p_welch"] == 1.0).all() and (const["d"] == 0.0).all()


def test_shifted_sample_fails():
    tab, _, ok = cs.decide(cs.compare(sample(1), sample(2, shift=2.0), DATES, COLS))
    assert not ok
    rejected = tab[tab["reject"]]
    assert set(rejected["outcome"]) == {"share", "count"}
    assert (rejected["d"] > 1.0).all()  # d = (mean new - mean ref) / pooled sd


def test_changed_constant_fails():
    tab, _, ok = cs.decide(cs.compare(sample(1), sample(2, constant=8), DATES, COLS))
    assert not ok
    assert set(tab.loc[tab["reject"], "outcome"]) == {"constant"}
    assert np.isinf(tab.loc[tab["reject"], "d"]).all()


def test_rounding_matches_the_reference():
    df = pd.DataFrame({"seed": [0], "date": ["2025-09"], "x": [0.123456789012], "n": [3]})
    r = cs.rounded(df, ["x", "n"])
    assert r["x"].iloc[0] == 0.12345679 and r["n"].dtype == np.int64


def test_duplicated_months_are_found():
    a, b = sample(1), sample(1)
    b.loc[b["date"] == "2027-12", "share"] += 0.01  # b equals a except later
    dup = cs.duplicates({"a": a, "b": b}, DATES)
    assert ("b", "2025-09", "share") in dup and ("b", "2027-12", "share") not in dup
    assert ("b", "2027-12", "count") in dup and not any(k[0] == "a" for k in dup)


def test_reference_structure():
    rec = cs.load_reference(cs.REFERENCE)
    assert re.fullmatch(r"[0-9a-f]{40}", rec["code_version"]["commit"]) and not rec["code_version"]["dirty"]
    assert rec["dates"] == list(cs.DATES) and rec["until"] == cs.UNTIL and rec["set"] == {}
    assert rec["seeds"] == list(range(len(rec["seeds"]))) and len(rec["seeds"]) >= 20
    assert max(rec["seeds"]) < cs.OFFSET  # the check's seeds are independent of the reference's
    assert set(rec["scenarios"]) == set(cs.SCENARIOS)
    for name, sc in rec["scenarios"].items():
        assert sc["file"] == cs.SCENARIOS[name]["file"] and sc["overrides"] == cs.SCENARIOS[name]["overrides"]
        assert 20 <= len(sc["columns"]) <= 45 and {"partners_total", "kpi4_mkb", "kpi5_skilled"} <= set(sc["columns"])
        df = cs.reference_frame(rec, name)
        assert df.shape == (len(rec["seeds"]) * len(rec["dates"]), 2 + len(sc["columns"]))
        assert df[sc["columns"]].notna().all().all()
        assert (df.groupby("date")["partners_total"].mean().diff().dropna() > 0).all()  # partners grow
    assert [c for c in rec["scenarios"]["west"]["columns"] if c.startswith("partners_") and c != "partners_total"] \
        == ["partners_west"]
