"""Scenario discovery (`propeller discover`): PRIM on a sweep database finds the factor ranges where an outcome
misses, with coverage and density that agree with the stored runs; bad input is one line and exit 2."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from propeller.app.discover import discover, format_discovery, parse_outcome
from propeller.app.sweeps.design import build_plan
from propeller.app.sweeps.execute import execute
from propeller.app.sweeps.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"


@pytest.fixture(scope="module")
def grid_db(tmp_path_factory):
    """Funding (4 levels) x the connector's strength after it leaves... in Oost, 4 x 3 x 3 seeds = 36 runs to 2027."""
    d = tmp_path_factory.mktemp("discover")
    spec = d / "grid.toml"
    spec.write_text(
        'name = "discover_grid"\n'
        f'base = "{LIB / "calibrated.toml"}"\n'
        'seed = 5\nreplications = 3\nuntil = "2027-12"\n'
        'outputs = ["partners_total", "kpi5_skilled"]\nkey_dates = ["2027-12"]\n'
        '[overrides]\nsimulation.region = "oost"\n"funding.change_date" = "2024-06"\n'
        '[design]\nkind = "grid"\n'
        '[factors.funding]\nkey = "funding.multiplier"\nlevels = [0.1, 0.4, 0.7, 1.0]\n'
        '[factors.decay]\nkey = "ecosystem.decay"\nlevels = [0.004, 0.006, 0.008]\n', encoding="utf-8")
    db = d / "grid.db"
    res = execute(build_plan(load_spec(spec)), db, workers=1, progress=False)
    assert res.stored == 36
    return db


def _exit_code(args) -> int:
    from propeller.app.cli import main

    try:
        return main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code


def _values(db: Path, outcome: str, date: str) -> tuple[np.ndarray, list[dict]]:
    with closing(sqlite3.connect(db)) as c:
        rows = c.execute("SELECT p.overrides, s.value FROM sweep_runs sr JOIN points p ON p.sweep_id = sr.sweep_id "
                         "AND p.point = sr.point JOIN summaries s ON s.run_id = sr.run_id AND s.outcome = ? AND s.date = ?"
                         " ORDER BY sr.point, sr.replication", (outcome, date)).fetchall()
    return np.array([v for _, v in rows]), [json.loads(o) for o, _ in rows]


def test_prim_boxes_the_low_funding_levels_with_the_stored_coverage_and_density(grid_db):
    y, over = _values(grid_db, "partners_total", "2027-12")
    funding = np.array([o["funding.multiplier"] for o in over])
    low = np.median(y[funding == 0.1])
    cut = float(np.ceil(max(y[funding <= 0.4].max(), low)))  # every run at funding <= 0.4 is below the cut ...
    assert (y[funding == 1.0] >= cut).all()                     # ... and none at full funding: a clear box exists
    d = discover(grid_db, f"partners_total@2027-12 < {cut:g}")
    interest = y < cut
    assert d.n_runs == 36 and d.n_cases == int(interest.sum())
    box = d.boxes[0]
    funding_limit = next(r for r in box.restrictions if r.factor == "funding")
    assert max(funding_limit.levels) < 1.0 and 0.1 in funding_limit.levels
    assert "decay" not in [r.factor for r in box.restrictions] or box.restrictions[0].factor == "funding"
    # the box's figures are the stored runs' own: coverage = cases inside / all cases, density = cases inside / inside
    inside = np.isin(funding, funding_limit.levels)
    for r in box.restrictions:
        if r.factor == "decay":
            inside &= np.isin([o["ecosystem.decay"] for o in over], r.levels)
    assert box.n_runs == int(inside.sum()) and box.n_cases == int((inside & interest).sum())
    assert box.coverage == pytest.approx((inside & interest).sum() / interest.sum())
    assert box.density == pytest.approx((inside & interest).sum() / inside.sum())
    assert box.mass == pytest.approx(inside.mean())
    assert funding_limit.qp is not None and funding_limit.qp < 0.05
    text = format_discovery(d)
    assert "Box 1: coverage" in text and "funding" in text and "(swept: 0.1, 0.4, 0.7, 1.0)" in text
    assert "coverage  the share of the runs of interest" in text
    assert discover(grid_db, f"partners_total@2027-12 < {cut:g}").as_dict() == d.as_dict()  # deterministic


def test_nothing_to_separate_is_said_plainly(grid_db):
    d = discover(grid_db, "partners_total@2027-12 < 0")
    assert d.n_cases == 0 and d.boxes == []
    assert "No run meets partners_total@2027-12 < 0: there are no conditions to separate" in format_discovery(d)
    d = discover(grid_db, "partners_total@2027-12 >= 0")
    assert d.n_cases == d.n_runs and "Every run meets" in format_discovery(d)


def test_cli_prints_the_boxes_and_json(grid_db, capsys):
    from propeller.app.cli import main

    y, _ = _values(grid_db, "kpi5_skilled", "2027-12")
    cut = float(np.median(y))
    assert main(["discover", str(grid_db), "--outcome", f"kpi5_skilled@2027-12 <= {cut:g}", "--json"]) == 0
    out = capsys.readouterr().out
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["outcome"] == f"kpi5_skilled@2027-12 <= {cut:g}" and payload["runs"] == 36
    assert payload["cases_of_interest"] == int((y <= cut).sum())
    assert out.startswith("Scenario discovery (PRIM, EMA Workbench) on sweep discover_grid")


@pytest.mark.parametrize("expr, fragment", [
    ("partners_total < 500", "--outcome: partners_total < 500: expected OUTCOME@YYYY-MM OP NUMBER"),
    ("partners_total@2027-13 < 5", "expected a month YYYY-MM with MM 01-12"),
    ("partners_totaal@2027-12 < 5", "expected an outcome kept by sweep 'discover_grid' (partners_total, kpi5_skilled)"
                                    " (no such outcome); did you mean 'partners_total'?"),
    ("partners_total@2031-12 < 5", "expected a month the runs of sweep 'discover_grid' reached"),
])
def test_bad_input_is_one_line_and_exit_2(grid_db, capsys, expr, fragment):
    capsys.readouterr()
    code = _exit_code(["discover", grid_db, "--outcome", expr])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and fragment in err, err


def test_a_sweep_without_factors_is_refused(tmp_path, capsys):
    spec = tmp_path / "one.toml"
    spec.write_text(f'name = "one"\nscenarios = ["{LIB / "calibrated.toml"}"]\nseed = 1\nreplications = 2\n'
                    'until = "2024-09"\noutputs = ["partners_total"]\n[overrides]\nsimulation.region = "midden"\n',
                    encoding="utf-8")
    db = tmp_path / "one.db"
    execute(build_plan(load_spec(spec)), db, workers=1, progress=False)
    capsys.readouterr()
    code = _exit_code(["discover", db, "--outcome", "partners_total@2024-09 < 30"])
    err = capsys.readouterr().err
    assert code == 2 and "nothing for PRIM to box" in err


def test_outcome_expressions():
    o = parse_outcome(" kpi4_mkb@2027-12>=130 ")
    assert (o.name, o.date, o.op, o.value) == ("kpi4_mkb", "2027-12", ">=", 130.0)
    assert list(o.holds(np.array([129.0, 130.0]))) == [False, True]


def test_the_steering_report_shows_the_boxes_of_a_factor_sweep(grid_db):
    import re

    from propeller.app.report.build import ReportBuilder
    from propeller.app.report.data import TARGETS, SweepData

    data = SweepData.load(grid_db, reruns=1)
    section = ReportBuilder(data, "en").discovery()
    assert section.startswith("<p>This sweep varies funding (funding.multiplier), decay (ecosystem.decay).")
    rows = re.findall(r"<tr><td>([^<]*), 2027</td><td class=\"num\">(\d+) / 36</td><td>([^<]*)</td>", section)
    kept = {ReportBuilder(data, "en").t(k) for k, col, _ in TARGETS if col in data.info["outputs"]}
    assert {r[0] for r in rows} == kept and len(kept) == 2   # partners and KPI 5 (the sweep keeps no KPI 4)
    for _target, missing, conditions in rows:
        n = int(missing)
        assert (conditions == "no run misses") == (n == 0) and (conditions == "every run misses") == (n == 36)
        if 0 < n < 36 and not conditions.startswith("no clear"):
            assert "funding: " in conditions or "decay: " in conditions
    assert ReportBuilder(data, "nl").discovery().startswith("<p>Deze sweep varieert")
