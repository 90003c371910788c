"""`propeller optimise`: the allocation of the same money, searched with Platypus's ε-NSGA-II on common random
numbers, checked on fresh runs against the current allocation, stored in the sweep database; the same spec gives the
same portfolios serial or on workers; bad specs are one line and exit 2."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from propeller.app.cli import main
from propeller.app.optimise import allocation, decision_overrides, format_result, load_spec, optimise, store
from propeller.core.simulate import simulate
from propeller.scenarios.loader import load

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"

SMALL = f'''name = "small"
base = "{LIB / "calibrated.toml"}"
from = "2024-09"
until = "2025-06"
seed = 11
seeds = 2
draws = 0
population = 4
evaluations = 8
[decisions]
instruments = ["events", "trajectories", "education"]
hubs = ["noord", "zuid"]
targeting = true
[[objectives]]
outcome = "partners_total@2025-06"
[[objectives]]
outcome = "kpi5_skilled@2025-06"
target = 1000
[reevaluate]
seeds = 3
top = 2
'''


def write(tmp_path, text, name="spec.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("optimise")
    spec = load_spec(write(d, SMALL))
    return spec, optimise(spec, workers=1)


def test_the_spec_reads_its_decisions_and_objectives(tmp_path):
    spec = load_spec(write(tmp_path, SMALL))
    assert spec.variables == ["instrument:events", "instrument:trajectories", "instrument:education", "hub:noord",
                              "hub:zuid", "targeting"]
    assert [o.label for o in spec.objectives] == ["mean partners_total at 2025-06",
                                                  "P(kpi5_skilled >= 1000 at 2025-06)"]
    assert (spec.check_seeds, spec.check_draws, spec.top) == (3, 0, 2)
    lib = load_spec(ROOT / "scenarios" / "optimise" / "allocation.toml")
    assert len(lib.variables) == 12 and lib.change_from == "2026-01"


def test_decisions_become_a_plan_change_with_the_same_money():
    params = load(LIB / "calibrated.toml").params
    spec = load_spec(ROOT / "scenarios" / "optimise" / "allocation.toml")
    cur = decision_overrides(spec, params, None)
    assert cur == {"adapt.from": "2026-01", "adapt.output": ""}
    now = allocation(params, cur)
    assert sum(now["instrument_share"].values()) == pytest.approx(1.0)
    assert sum(now["hub_share"].values()) == pytest.approx(1.0)
    x = [1.0, 0.0, 1.0, 1.0, 1.0, 1.0] + [1.0, 1.0, 1.0, 1.0, 1.0] + [1.0]  # no trajectories; followers = frontrunners
    over = decision_overrides(spec, params, x)
    assert over["adapt.instrument_weight.trajectories"] == 0.0 and over["adapt.class_weight"] == [1.0, 1.0, 1.0, 1.0]
    after = allocation(params, over)
    assert after["instrument_share"]["trajectories"] == 0.0
    assert sum(after["instrument_share"].values()) == pytest.approx(1.0)
    assert after["hub_share"] == pytest.approx(now["hub_share"])  # the hubs keep their money
    others = {k: v / (1 - now["instrument_share"]["trajectories"]) for k, v in now["instrument_share"].items()
              if k != "trajectories"}
    # each hub scales its other instruments up in proportion; programme-wide shares follow the hubs' own mixes
    assert sum(others.values()) == pytest.approx(1.0)
    assert all(after["instrument_share"][k] > now["instrument_share"][k] for k in others if now["instrument_share"][k])


def test_every_portfolio_runs_on_the_same_seeds_and_the_current_is_the_scenario(small):
    spec, result = small
    cur = result.candidates[0]
    assert cur.x is None and cur.overrides == {"adapt.from": "2024-09", "adapt.output": ""}
    # common random numbers: the current allocation's objective is the scenario itself on the plan's seeds
    from propeller.app.multirun import run_plan

    plan = run_plan(spec.base, spec.seeds, spec.draws, spec.seed, spec.until)
    seeds = [r["seed"] for r in plan.runs]
    vals = [simulate(load(spec.base), seed=s, until=spec.until)["timeseries"].set_index("date").at["2025-06", c]
            for s in seeds for c in ("partners_total", "kpi5_skilled")]
    partners, kpi5 = np.array(vals[::2]), np.array(vals[1::2])
    assert cur.objectives == pytest.approx([partners.mean(), (kpi5 >= 1000).mean()])
    assert len({tuple(c.x) for c in result.candidates[1:]}) == len(result.candidates) - 1  # each evaluated once
    assert result.runs_per_candidate == 2 and result.runs_per_check == 3


def test_the_pareto_set_is_not_dominated_beyond_epsilon(small):
    _, result = small
    front = [c for c in result.candidates if c.pareto]
    assert front
    eps = np.array(result.epsilons)
    for c in front:
        for d in result.candidates:
            assert not (np.array(d.objectives) >= np.array(c.objectives) + eps).all(), (c.index, d.index)


def test_the_check_runs_fresh_seeds_and_says_how_often_each_beats_the_current(small):
    spec, result = small
    checked = sorted({c.candidate for c in result.checks})
    assert checked[0] == 0 and 1 <= len(checked) - 1 <= spec.top
    assert all(result.candidates[i].pareto for i in checked[1:])
    for ch in result.checks:
        if ch.candidate == 0:
            assert np.isnan(ch.p_beats) and ch.diff_median == 0
        else:
            assert 0.0 <= ch.p_beats <= 1.0 and ch.q05 <= ch.median <= ch.q95
    text = format_result(result)
    assert "P(beats current)" in text and "current" in text and "Money by instrument | by hub" in text


def test_same_spec_same_portfolios_serial_or_on_workers(small, tmp_path):
    spec, result = small
    again = optimise(load_spec(write(tmp_path, SMALL)), workers=2)
    assert [c.x for c in again.candidates] == [c.x for c in result.candidates]
    assert [c.objectives for c in again.candidates] == [c.objectives for c in result.candidates]
    assert [(c.candidate, c.objective, c.median, c.diff_median) for c in again.checks] == \
        [(c.candidate, c.objective, c.median, c.diff_median) for c in result.checks]


def test_results_are_stored_in_the_sweep_database_and_a_rerun_replaces_them(small, tmp_path):
    spec, result = small
    db = tmp_path / "sweeps" / "small.db"
    store(result, db)
    store(result, db)
    with closing(sqlite3.connect(db)) as conn:
        (n,) = conn.execute("SELECT count(*) FROM optimise_candidates WHERE optimisation = ?", (spec.id,)).fetchone()
        assert n == len(result.candidates)
        (k,) = conn.execute("SELECT count(*) FROM optimise_checks").fetchone()
        assert k == len(result.checks)
        (name, objectives) = conn.execute("SELECT name, objectives FROM optimisations").fetchone()
        assert name == "small" and json.loads(objectives)[1].startswith("P(kpi5_skilled")
        shares = conn.execute("SELECT share_events + share_trajectories + share_education + share_llo + "
                              "share_coaching + share_opdrachtgeversaanpak FROM optimise_candidates").fetchall()
        assert all(s == pytest.approx(1.0) for (s,) in shares)


def test_cli_runs_prints_and_stores(tmp_path, capsys):
    spec = write(tmp_path, SMALL.replace("evaluations = 8", "evaluations = 4"))
    db = tmp_path / "o.db"
    assert main(["optimise", str(spec), "--dry-run"]) == 0
    assert "4 portfolios" in capsys.readouterr().out and not db.exists()
    assert main(["optimise", str(spec), "--db", str(db), "--json", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Pareto set" in out and f"stored in {db}" in out
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["name"] == "small" and payload["candidates"][0]["current"]


@pytest.mark.parametrize("change, fragment", [
    (("evaluations = 8", "evaluations = 2"), "evaluations: expected at least the population"),
    (('outcome = "partners_total@2025-06"', 'outcome = "partners_totl@2025-06"'), "did you mean 'partners_total'"),
    (('outcome = "partners_total@2025-06"', 'outcome = "partners_total@2024-06"'), "a date between from"),
    (('from = "2024-09"', 'from = "2026-01"'), "from: expected a month after the start"),
    (('hubs = ["noord", "zuid"]', 'hubs = ["noord", "north"]'), "decisions.hubs"),
    (("targeting = true", "targeting = 1"), "decisions.targeting: expected true or false"),
    (("seed = 11", "seed = 11\nspeed = 3"), "speed: expected one of"),
    (("target = 1000", "target = 1000\nepsilon = -1"), "epsilon: expected a number > 0"),
])
def test_bad_specs_are_one_line_and_exit_2(tmp_path, capsys, change, fragment):
    spec = write(tmp_path, SMALL.replace(*change))
    assert main(["optimise", str(spec), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "spec.toml" in err, err


def test_a_missing_spec_is_one_line(capsys):
    assert main(["optimise", "no/such.toml"]) == 2
    assert "no/such.toml" in capsys.readouterr().err
