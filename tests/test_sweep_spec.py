"""Sweep specs: the example specs plan the right runs; seeds and run ids come from the spec only; bad specs
are refused with one line naming the file, the key and what was expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from propeller.app.sweeps.design import build_plan
from propeller.app.sweeps.record import make_run_id, record_params, replication_seed, scenario_from_record
from propeller.app.sweeps.spec import SpecError, load_spec
from propeller.scenarios.loader import load

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "scenarios" / "sweeps"
LIB = ROOT / "scenarios" / "library"


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


SMALL = f"""
name = "small"
scenarios = ["{LIB / 'uncalibrated.toml'}", "{LIB / 'funding_minus50.toml'}"]
seed = 11
replications = 3
until = "2025-03"
outputs = ["partners_total", "kpi5_skilled"]
key_dates = ["2025-03"]
[overrides]
simulation.region = "midden"
"""


@pytest.mark.parametrize("name, runs, points", [
    ("scenario_comparison", 16 * 10, 16),
    ("funding_grid", 4 * 3 * 10, 12),
    ("morris", 10 * (9 + 1) * 2, 100),
    ("sobol", 64 * (4 + 2), 384),
])
def test_example_specs_plan(name, runs, points):
    plan = build_plan(load_spec(SWEEPS / f"{name}.toml"))
    assert len(plan.runs) == runs and len(plan.points) == points
    assert {"2027-12"} <= set(plan.key_dates)
    if name in ("morris", "sobol"):
        assert plan.problem["num_vars"] == len(plan.spec.factors)
        assert all(len(p.x) == len(plan.spec.factors) for p in plan.points)
        # SALib draws stay inside the bounds; scaled factors multiply the scenario's value
        rec = next(f for f in plan.spec.factors if f.name == "recruitment")
        base = load(LIB / "calibrated.toml")["hubs.west.recruitment"]
        for p in plan.points:
            assert rec.bounds[0] * base <= p.overrides["hubs.west.recruitment"] <= rec.bounds[1] * base


def test_grid_points_are_the_product_of_levels():
    plan = build_plan(load_spec(SWEEPS / "funding_grid.toml"))
    got = {(p.overrides["funding.multiplier"], p.overrides["funding.change_date"]) for p in plan.points}
    assert got == {(m, d) for m in (0.25, 0.5, 0.75, 1.0) for d in ("2025-01", "2026-01", "2027-01")}
    assert "calibrated [funding=1, from=2026-01]" in {p.label for p in plan.points}


def test_seeds_come_from_the_spec_not_the_order(tmp_path):
    plan = build_plan(load_spec(write(tmp_path, SMALL)))
    expected = [replication_seed(11, r) for r in range(3)]
    assert len(set(expected)) == 3
    for t in plan.runs:  # common random numbers: replication r has the same seed at every point
        assert t["seed"] == expected[t["replication"]]
    again = build_plan(load_spec(write(tmp_path, SMALL)))
    assert [t["run_id"] for t in again.runs] == [t["run_id"] for t in plan.runs]
    other = build_plan(load_spec(write(tmp_path, SMALL.replace("seed = 11", "seed = 12"))))
    assert not {t["seed"] for t in other.runs} & set(expected)
    independent = build_plan(load_spec(write(tmp_path, SMALL.replace("seed = 11", "seed = 11\ncommon_seeds = false"))))
    by_point = [{t["seed"] for t in independent.runs if t["point"] == i} for i in (0, 1)]
    assert len(by_point[0]) == 3 and not by_point[0] & by_point[1]


def test_run_ids_are_content_addressed(tmp_path):
    plan = build_plan(load_spec(write(tmp_path, SMALL)))
    ids = [t["run_id"] for t in plan.runs]
    assert len(set(ids)) == len(ids)
    # the baseline runs of another spec with the same seeds and horizon are the same runs
    one = SMALL.replace(f', "{LIB / "funding_minus50.toml"}"', "").replace('name = "small"', 'name = "other"')
    shared = build_plan(load_spec(write(tmp_path, one, "other.toml")))
    assert [t["run_id"] for t in shared.runs] == ids[:3]
    assert shared.sweep_id != plan.sweep_id
    # ... and any change of seed, horizon or parameters is another run
    t = plan.runs[0]
    digest = "x" * 64
    assert len({make_run_id(digest, t["seed"], "2025-03", "v"), make_run_id(digest, t["seed"] + 1, "2025-03", "v"),
                make_run_id(digest, t["seed"], "2025-04", "v"), make_run_id(digest, t["seed"], "2025-03", "w")}) == 4
    longer = build_plan(load_spec(write(tmp_path, SMALL.replace('until = "2025-03"', 'until = "2025-04"'))))
    assert not set(ids) & {t["run_id"] for t in longer.runs}


def test_record_rebuilds_the_scenario():
    sc = load(LIB / "national_rollout.toml", overrides=["propeller.rates.mkb.test.back=0.05"])
    again = scenario_from_record(record_params(sc))
    assert again.params == sc.params
    assert again.transitions == sc.transitions


BAD = [
    ('name = "x"\n', "(sweep): expected a list of `scenarios` or a [factors] table: the sweep is empty"),
    ("replicatons = 3\n" + SMALL, "replicatons: expected a sweep spec key"),
    (SMALL.replace("replications = 3", "replications = 0"), "replications: expected an integer >= 1, got 0"),
    (SMALL.replace("uncalibrated.toml", "nope.toml"), "scenarios[0]: expected an existing scenario file"),
    (SMALL.replace('"kpi5_skilled"', '"kpi9"'), "outputs[1]: expected an outcome column of the timeseries"),
    (SMALL.replace('key_dates = ["2025-03"]', 'key_dates = ["2027-12"]'),
     "key_dates: expected dates within every run's horizon 2024-03 .. 2025-03, got '2027-12'"),
    (SMALL.replace('until = "2025-03"', 'until = "2025-13"'), "until: expected a date 'YYYY-MM'"),
    (SMALL.replace('"midden"', '"mars"'), "overrides.simulation.region: expected one of"),
    (SMALL + '[design]\nkind = "scenarios"\n[factors.f]\nkey = "funding.multiplier"\nlevels = [1.0]\n',
     "design.kind: expected 'grid', 'lhs', 'sobol' or 'morris' when [factors] are given"),
    ('scenarios = ["../library/uncalibrated.toml"]\n[design]\nkind = "sobol"\n', "factors: expected at least one factor"),
    ('[design]\nkind = "sobol"\nsamples = 10\n[factors.f]\nkey = "funding.multiplier"\nbounds = [0.5, 1.0]\n',
     "design.samples: expected a power of 2"),
    ('[design]\nkind = "morris"\n[factors.f]\nkey = "funding.multiplier"\nbounds = [0.5, 1.0]\n',
     "design.samples: expected the number of trajectories"),
    ('[design]\nkind = "lhs"\nsamples = 4\n[factors.f]\nkey = "funding.multiplier"\nbounds = [1.0, 0.5]\n',
     "factors.f.bounds: expected two numbers [low, high] with low < high"),
    ('[design]\nkind = "lhs"\nsamples = 4\n[factors.f]\nkey = "funding.multiplier"\nlevels = [1.0]\n',
     "factors.f.levels: expected bounds = [low, high] instead of levels"),
    ('[factors.f]\nkey = "funding.multiplyer"\nlevels = [1.0]\n', "factors.f: expected keys that exist in uncalibrated_defaults.toml"),
    ('[factors.f]\nkey = "funding.multiplier"\nlevels = [1.0, -1.0]\n',
     "factors.f: expected levels valid for funding.multiplier: a number >= 0, got -1.0"),
    ('[factors.f]\nkey = "funding.multiplier"\nlevels = []\n', "factors.f.levels: expected a non-empty list"),
    ('[factors.f-1]\nkey = "funding.multiplier"\nlevels = [1.0]\n', "factors.f-1: expected a factor name"),
    ('[design]\nkind = "grid"\nsize = 3\n[factors.f]\nkey = "funding.multiplier"\nlevels = [1.0]\n',
     "design.size: expected a design key"),
    ("[factors\n", "(syntax): expected valid TOML"),
]


@pytest.mark.parametrize("text, fragment", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_specs_one_line(tmp_path, text, fragment):
    sweeps = tmp_path / "sweeps"
    sweeps.mkdir()
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "uncalibrated.toml").write_text(f'extends = "{LIB / "uncalibrated.toml"}"\n')
    path = write(sweeps, text)
    with pytest.raises(SpecError) as exc:
        build_plan(load_spec(path))
    msg = str(exc.value)
    assert "\n" not in msg and fragment in msg, msg
    assert msg.startswith(str(path)) or msg.startswith("spec.toml") or "spec.toml:" in msg


def test_cli_refuses_a_bad_spec_and_writes_nothing(tmp_path):
    spec = write(tmp_path, SMALL.replace("replications = 3", "replications = -1"))
    db = tmp_path / "out.db"
    r = subprocess.run([sys.executable, "-m", "propeller.app.cli", "sweep", str(spec), "--db", str(db)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "replications: expected an integer >= 1, got -1" in lines[0], r.stderr
    assert not db.exists()


def test_latin_hypercube_and_scenarios_times_factors(tmp_path):
    lhs = build_plan(load_spec(write(tmp_path, SMALL + (
        '[design]\nkind = "lhs"\nsamples = 5\n'
        '[factors.q]\nkey = "diffusion.q"\nbounds = [0.03, 0.12]\n'
        '[factors.known]\nkey = "hubs.midden.potential_known"\nbounds = [20, 60]\n'))))
    assert len(lhs.points) == 2 * 5 and len(lhs.runs) == 2 * 5 * 3  # every scenario x every design point
    qs = sorted(p.overrides["diffusion.q"] for p in lhs.points[:5])
    assert all(0.03 <= q <= 0.12 for q in qs)
    strata = {int((q - 0.03) / 0.09 * 5) for q in qs}
    assert strata == {0, 1, 2, 3, 4}  # one draw per stratum: a Latin hypercube
    assert all(isinstance(p.overrides["hubs.midden.potential_known"], int) for p in lhs.points)  # integer key
    assert [p.overrides for p in lhs.points[:5]] == [p.overrides for p in lhs.points[5:]]
    assert {p.scenario for p in lhs.points} == {"uncalibrated", "funding_minus50"}


POSTERIOR = f"""
name = "post"
scenarios = ["{LIB / 'calibrated.toml'}", "{LIB / 'funding_plus50.toml'}"]
seed = 3
replications = 2
until = "2025-03"
outputs = ["partners_total"]
[design]
kind = "posterior"
samples = 5
"""


def test_posterior_design_draws_parameter_sets(tmp_path):
    import pandas as pd

    from propeller.app.sweeps.design import posterior_draws as _posterior_draws

    plan = build_plan(load_spec(write(tmp_path, POSTERIOR)))
    assert len(plan.points) == 10 and len(plan.runs) == 20
    post = pd.read_csv(ROOT / "scenarios" / "posterior.csv")
    cols = [c for c in post.columns if c != "weight"]
    rows = {tuple(r) for r in post[cols].itertuples(index=False)}
    cal, plus = plan.points[:5], plan.points[5:]
    for a, b in zip(cal, plus, strict=True):
        assert a.label == "calibrated" and b.label == "funding_plus50"  # the draws of a scenario are one group
        assert tuple(a.overrides[c] for c in cols) == pytest.approx(next(r for r in rows if r[0] == pytest.approx(
            a.overrides[cols[0]])))  # the calibrated scenario runs the drawn parameter set itself
        for hub in ("noord", "zuid", "oost", "west"):  # funding_plus50 runs the same drawn recruitment
            assert b.overrides[f"hubs.{hub}.recruitment"] == a.overrides[f"hubs.{hub}.recruitment"]
    seeds = {s: [t["seed"] for t in plan.runs if t["scenario"] == s] for s in ("calibrated", "funding_plus50")}
    assert seeds["calibrated"] == seeds["funding_plus50"] and len(set(seeds["calibrated"])) == 10
    again = build_plan(load_spec(write(tmp_path, POSTERIOR)))
    assert [p.overrides for p in again.points] == [p.overrides for p in plan.points]
    # the draws follow the posterior weights
    big = load_spec(write(tmp_path, POSTERIOR.replace("samples = 5", "samples = 4000"), "big.toml"))
    _, draws = _posterior_draws(big)
    top = post["weight"].idxmax()
    p = post.at[top, "weight"] / post["weight"].sum()
    hits = sum(1 for d in draws if d == tuple(float(v) for v in post.loc[top, cols]))
    assert abs(hits - 4000 * p) < 5 * (4000 * p * (1 - p)) ** 0.5


@pytest.mark.parametrize("change, fragment", [
    (("calibrated.toml", "uncalibrated.toml"), "scenarios: expected scenarios that extend scenarios/calibrated.toml"),
    (("samples = 5", "samples = 5\nfile = \"nope.csv\""), "design.file: expected an existing posterior CSV"),
    (("[design]", "[factors.f]\nkey = \"diffusion.p\"\nlevels = [0.001]\n[design]"),
     "factors: expected no [factors] for design 'posterior'"),
    (("samples = 5", "samples = 5\nlevels = 4"), "design.levels: expected no levels for design 'posterior'"),
])
def test_bad_posterior_specs(tmp_path, change, fragment):
    with pytest.raises(SpecError) as exc:
        build_plan(load_spec(write(tmp_path, POSTERIOR.replace(*change))))
    assert fragment in str(exc.value) and "\n" not in str(exc.value)
