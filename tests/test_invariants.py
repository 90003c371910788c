"""Invariants over a whole run: conservation, valid states, monotone counters, consistent counts."""

from __future__ import annotations

import numpy as np
import pytest

from propeller.core.constants import HUBS, PHASES, STEPS, THEMES
from tests.conftest import run


@pytest.fixture(scope="module", params=[0, 1])
def out(request):
    return run(seed=request.param, until="2030-12")


def test_one_row_per_month(out):
    ts = out["timeseries"]
    assert ts["date"].iloc[0] == "2024-03" and ts["date"].iloc[-1] == "2030-12"
    assert len(ts) == 82 and (ts["month"].diff().iloc[1:] == 1).all()


def test_organisations_conserved_and_states_valid(out):
    occ = out["occupancy"]
    per_month = occ.groupby(["date", "theme"])["organisations"].sum()
    assert per_month.nunique() == 1  # every organisation is somewhere on every theme, every month
    assert set(occ["step"]) == set(STEPS) and set(occ["phase"]) <= set(PHASES)
    assert (occ["organisations"] >= 0).all()


def test_cumulative_counters_never_decrease(out):
    ts = out["timeseries"]
    cum = [c for c in ts.columns if c.startswith(("kpi5", "adoptions_cum", "participants_", "runs_", "joins_cum",
                                                  "leaves_cum", "budget_spent"))]
    assert len(cum) > 25
    assert (ts[cum].diff().iloc[1:] >= 0).all().all()


def test_partners_accounted_for_by_joins_and_leaves(out):
    ts = out["timeseries"]
    for hub in HUBS:
        assert (ts[f"partners_{hub}"] == ts[f"partners_{hub}"].iloc[0] + ts[f"joins_cum_{hub}"]
                - ts[f"leaves_cum_{hub}"]).all()


def test_partner_counts_consistent(out):
    ts = out["timeseries"]
    assert (ts["partners_total"] == ts[[f"partners_{h}" for h in HUBS]].sum(axis=1)).all()
    assert (ts["partners_total"] == ts[["ring1", "ring2", "ring3"]].sum(axis=1)).all()
    assert (ts["partners_unique"] <= ts["partners_total"]).all()
    for hub in HUBS:
        assert (ts[f"partners_{hub}"] == ts[[f"ring{r}_{hub}" for r in (1, 2, 3)]].sum(axis=1)).all()
    assert (ts["ring4"] == ts[[f"ring4_{h}" for h in HUBS]].sum(axis=1)).all()
    types = [c for c in ts.columns if c.startswith("partners_type_")]
    assert (ts[types].sum(axis=1) == ts["partners_total"]).all()
    bht = out["partners_by_hub_type"].groupby("date")["partners"].sum()
    assert (bht.to_numpy() == ts["partners_total"].to_numpy()).all()
    phases = ts[[f"partner_phase_{p}" for p in PHASES]].sum(axis=1)
    assert np.allclose(phases, 1.0)


def test_shares_and_index_in_range(out):
    ts = out["timeseries"]
    for c in ["adopted_share"] + [f"adopted_share_{t}" for t in THEMES]:
        assert ts[c].between(0, 1).all()
    assert ts["productivity_index"].iloc[0] == 100.0
    assert (ts["productivity_index"] > 0).all()


def test_renewed_education_students_by_level_add_up(out):
    ts = out["timeseries"]
    by_level = ts[["students_renewed_mbo", "students_renewed_hbo", "students_renewed_wo"]].sum(axis=1)
    assert (by_level == ts["participants_education_students_students"]).all()


def test_table_3_2_persons_add_up(out):
    part = out["participants"]
    assert (part["total"] == part[["professionals", "students", "teachers"]].sum(axis=1)).all()
    ts = out["timeseries"].iloc[-1]
    assert part.set_index("activity").at["events", "total"] == sum(
        ts[f"participants_events_{c}"] for c in ("professionals", "students", "teachers"))
