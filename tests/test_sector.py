"""The pathway from adoption to the sector's goals (propeller.core.sector): the documented limits and monotonicity,
the regional-national link, the loader's checks of the new keys, and the goals' answers from a small sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from propeller.app import goals
from propeller.core import outputs, sector
from propeller.core.constants import MARKETS, THEMES
from propeller.scenarios.loader import DEFAULTS, ScenarioError, load

BASE = load(DEFAULTS)


def _cols(use_by_theme: np.ndarray, market: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Raw columns for :func:`sector.derived` from a T x K use array (and T x markets market use)."""
    n_t = use_by_theme.shape[0]
    market = np.zeros((n_t, len(MARKETS))) if market is None else market
    cols = {f"modelled_use_{t}": use_by_theme[:, k] for k, t in enumerate(THEMES)}
    cols.update({f"modelled_market_{m}": market[:, j] for j, m in enumerate(MARKETS)})
    cols.update({f"region_use_{t}": use_by_theme[:, k] for k, t in enumerate(THEMES)})
    return cols


PATH = sector.Pathway.from_params(BASE.params)
T = 12 * 26 + 1


def test_no_adoption_gives_the_trend_alone():
    out = sector.derived(PATH, _cols(np.zeros((T, len(THEMES)))))
    assert np.allclose(out["productivity_index"], 100.0)
    years = np.arange(T) / 12
    assert np.allclose(out["sector_productivity_index"], 100.0 * (1 + PATH.trend_per_year) ** years)
    assert np.allclose(out["primary_material_index"], 100.0)
    assert PATH.trend_per_year > 0 and out["sector_productivity_index"][-1] > 100.0


def test_full_adoption_gives_the_documented_maximum():
    use = np.zeros((T, len(THEMES)))
    use[1:] = 1.0  # from no use to standard use of every theme by every company
    out = sector.derived(PATH, _cols(use))
    assert out["productivity_index"][-1] == pytest.approx(sector.maximum_productivity(PATH))
    # the documented maximum: 1.316 x 1.03 x 1.04 on gains (0, 0.03, 0.316, 0.04) (docs/ODD.md §7.10)
    assert PATH.theme_gain == (0.0, 0.03, 0.316, 0.04)
    assert sector.maximum_productivity(PATH) == pytest.approx(100 * 1.0 * 1.03 * 1.316 * 1.04)
    assert out["primary_material_index"][-1] == pytest.approx(100 * np.prod(1 - np.array(PATH.material_saving)))


def test_indices_are_monotone_in_adoption():
    rng = np.random.default_rng(5)
    steps = rng.random((T, len(THEMES))) * 0.002  # stays below standard use (no cap reached)
    use = np.minimum(np.cumsum(steps, axis=0), 1.0)  # use that only grows
    mk = np.minimum(np.cumsum(rng.random((T, len(MARKETS))) * 0.01, axis=0), 1.0)
    out = sector.derived(PATH, _cols(use, mk))
    assert (np.diff(out["productivity_index"]) >= 0).all()
    assert (np.diff(out["sector_productivity_index"]) > 0).all()
    assert (np.diff(out["primary_material_index"]) <= 0).all()
    for m in MARKETS:
        assert (np.diff(out[f"market_share_{m}"]) >= 0).all()
    # and from the same start, more use later gives a higher index (and fewer materials) at every month
    more_use = np.minimum(use[:1] + (use - use[:1]) * 1.5, 1.0)
    more = sector.derived(PATH, _cols(more_use, mk))
    assert (more["productivity_index"] >= out["productivity_index"] - 1e-12).all()
    assert more["productivity_index"][-1] > out["productivity_index"][-1]
    assert (more["primary_material_index"] <= out["primary_material_index"] + 1e-12).all()


def test_the_regional_national_link():
    share = np.linspace(0.1, 0.5, T)[:, None]
    inside = sector.link(share, PATH)  # baseline: hub_region_share = 1, the link does nothing
    assert PATH.hub_region_share == 1.0 and np.array_equal(inside, share)
    path = PATH.replace(hub_region_share=0.8, outside_ratio=0.5, outside_lag_months=24)
    mixed = sector.link(share, path)
    t = 100
    outside = 0.1 + 0.5 * (share[t - 24, 0] - 0.1)
    assert mixed[t, 0] == pytest.approx(0.8 * share[t, 0] + 0.2 * outside)
    assert np.allclose(mixed[:25, 0], 0.8 * share[:25, 0] + 0.2 * 0.1)  # nothing outside before the lag
    assert (mixed[1:] <= share[1:]).all()  # outside follows at a ratio below 1: the sector lags the hubs' regions
    # a run shorter than the lag (a dry run's one-year estimate): outside stays at the start all along
    short = sector.link(share[:13], path)
    assert short.shape == (13, 1) and np.allclose(short[:, 0], 0.8 * share[:13, 0] + 0.2 * 0.1)


def test_pathway_replace_per_theme():
    p = PATH.replace(**{"theme_gain.industrialisation": 0.4, "trend_per_year": 0.0})
    assert p.theme_gain[THEMES.index("industrialisation")] == 0.4 and p.trend_per_year == 0.0
    assert p.theme_gain[0] == PATH.theme_gain[0]
    with pytest.raises(KeyError, match="not a pathway assumption"):
        PATH.replace(nonsense=1)


@pytest.mark.parametrize("key, value, expected", [
    ("sector.market_types", ["mkb_builders", "bakers"], "a non-empty list of distinct names"),
    ("sector.markets.all_three", [], "a non-empty list"),
    ("sector.region_view", "friesland", "one of 'noord'"),
    ("sector.hub_region_share", 1.2, "a number in [0, 1]"),
    ("initial_state.pool_adopteren_by_theme", [0.1, 0.2, 0.99, 0.1], "values in [0, 0.95]"),
    ("productivity.theme_gain", [0.0, 0.03, 3.0, 0.04], "values in [-0.5, 2]"),
])
def test_bad_pathway_values_are_refused(key, value, expected):
    with pytest.raises(ScenarioError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        BASE.with_overrides({key: value})


def test_market_types_may_be_a_longer_list():
    sc = BASE.with_overrides({"sector.market_types": ["mkb_builders", "suppliers"]})
    assert sc["sector.market_types"] == ["mkb_builders", "suppliers"]


def test_pool_state_per_theme():
    from propeller.core.population import pool_phase_shares

    p = BASE.with_overrides({"initial_state.pool_adopteren_by_theme": [0.0, 0.2, 0.0, 0.0]}).params
    assert pool_phase_shares(p, 0) == p["initial_state.pool_phase_shares"]
    shares = pool_phase_shares(p, 1)
    assert shares[3] == 0.2 and sum(shares) == pytest.approx(1.0)
    base = p["initial_state.pool_phase_shares"]
    assert shares[0] / shares[1] == pytest.approx(base[0] / base[1])


def test_goal_targets_are_dated():
    dated = {o.name: o.target for o in outputs.targets() if o.target.by}
    assert dated["productivity_index"].value == 140.0 and dated["productivity_index"].by == "2050-12"
    assert dated["market_share_all_three"].value == 0.5 and dated["market_share_all_three"].by == "2030-12"
    assert dated["primary_material_index"].below and dated["primary_material_index"].met(49.0)
    assert not dated["primary_material_index"].met(51.0)


def test_pathway_table_covers_the_assumptions():
    from propeller.app.goals import load_pathway

    rows = {a.key: a for a in load_pathway()}
    for k, theme in enumerate(THEMES):
        for family, values in (("productivity.theme_gain", PATH.theme_gain),
                               ("sector.material_saving", PATH.material_saving)):
            a = rows[f"{family}.{theme}"]
            assert a.low <= values[k] <= a.high, (family, theme)
            assert a.post_run
    for key in ("sector.trend_per_year", "sector.outside_ratio", "sector.outside_lag_months"):
        assert rows[key].low <= BASE[key] <= rows[key].high, key
    national = load("scenarios/national.toml")
    assert rows["sector.hub_region_share"].low <= national["sector.hub_region_share"] <= 1.0
    for k, theme in enumerate(THEMES):
        a = rows[f"initial_state.pool_adopteren_by_theme.{theme}"]
        assert a.low <= national["initial_state.pool_adopteren_by_theme"][k] <= a.high
    assert all(a.basis in ("source", "derived", "assumption") and a.source for a in rows.values())


# ------------------------------------------------------------------------------------------ the goals' answers
def _run(final_use: float, path=PATH) -> goals.Run:
    dates = pd.period_range("2024-03", "2050-12", freq="M").strftime("%Y-%m")
    use = np.outer(np.linspace(0.0, 1.0, len(dates)), np.full(len(THEMES), final_use))
    cols = _cols(use, np.column_stack([use[:, 2], use[:, 0], use[:, 1], use[:, :3].min(axis=1)]))
    cols.update(sector.derived(path, cols))
    cols["market_share_industrial_region"] = use[:, 2]
    return goals.Run("synthetic", path, pd.DataFrame(cols, index=dates))


def test_probability_counts_the_runs_that_meet_the_target_in_its_year():
    runs = [_run(u) for u in np.linspace(0.1, 1.0, 10)]  # productivity 2050 rises with u; ~1.0 reaches +40 %
    a = goals.answer(runs, "productivity_index")
    met = [r.frame.at["2050-12", "productivity_index"] >= 140 for r in runs]
    assert a.p == pytest.approx(np.mean(met)) and 0 < a.p < 1
    assert a.p_by_year[2030] <= a.p_by_year[2050]
    m = goals.answer(runs, "primary_material_index")  # a reduction target: met at or below 50
    assert m.p == pytest.approx(np.mean([r.frame.at["2030-12", "primary_material_index"] <= 50 for r in runs]))


def test_the_flip_value_brings_the_median_to_the_target():
    runs = [_run(u) for u in (0.55, 0.6, 0.65)]
    a = goals.answer(runs, "productivity_index")
    assert a.driver == "productivity.theme_gain.industrialisation"  # the largest gain moves the index most
    assert a.flip is not None and a.flip > PATH.theme_gain[THEMES.index("industrialisation")]
    flipped = PATH.replace(**{"theme_gain.industrialisation": a.flip})
    assert np.median([r.value("productivity_index", "2050-12", flipped) for r in runs]) == pytest.approx(140, abs=1e-6)
    assert "would flip at the labour gain of industrialisation" in a.sentence()
    # no gain at all brings a run with hardly any adoption to +40 %: said so, with the use that would be needed
    low = goals.answer([_run(0.1)], "productivity_index")
    assert low.flip is None and "no value of it" in low.sentence()
    assert 0 < low.needed_use <= 1


def test_goals_in_the_summary_of_a_national_run_only():
    from propeller.app.goals import run_lines

    ts = _run(0.5).frame.reset_index(names="date")
    assert run_lines(ts, BASE.params) == []  # the baseline's columns describe the modelled organisations
    national = load("scenarios/national.toml").params
    lines = run_lines(ts, national)
    assert any("target +40 % by 2050" in ln and ln.rstrip().endswith(("met", "not met")) for ln in lines)


def test_goals_from_a_sweep_in_goals_compare_and_report(tmp_path, capsys):
    """End to end on a small sweep: one region to 2050 standing in for the sector (hub_region_share < 1), two
    posterior draws. `propeller goals` answers every dated goal with a probability, `compare` adds the answers, and
    the report's goals section shows them with the figure."""
    import json
    from pathlib import Path

    from propeller.app.cli import main
    from propeller.core.sector import RAW_COLUMNS

    root = Path(__file__).resolve().parent.parent
    cols = ["partners_total", "ring1", "ring2", *(o.name for o in goals.goals()), "sector_productivity_index",
            *RAW_COLUMNS]
    spec = tmp_path / "goals.toml"
    spec.write_text(
        'name = "goals_small"\n'
        f'scenarios = ["{root}/scenarios/library/calibrated.toml"]\n'
        f'seed = 7\nreplications = 1\nuntil = "2050-12"\noutputs = {json.dumps(cols)}\n'
        'key_dates = ["2030-12", "2050-12"]\n'
        '[overrides]\n"simulation.region" = "midden"\n"sector.region_view" = "midden"\n"sector.hub_region_share" = 0.85\n'
        '"initial_state.pool_adopteren_by_theme" = [0.05, 0.2, 0.15, 0.1]\n'
        f'[design]\nkind = "posterior"\nsamples = 2\nfile = "{root}/scenarios/posterior.csv"\n')
    db = tmp_path / "goals.db"

    def run(*args):
        capsys.readouterr()
        assert main(list(args)) == 0
        return capsys.readouterr().out

    run("sweep", str(spec), "--db", str(db))
    out = run("goals", str(db), "--json")
    answers = json.loads(out.strip().splitlines()[-1])
    assert {a["output"] for a in answers} == {o.name for o in goals.goals()}
    for a in answers:
        assert 0.0 <= a["p"] <= 1.0 and a["by"] in ("2030-12", "2050-12")
        assert a["p"] == a["p_by_year"][a["by"][:4]]
    assert "probability" in out and "depends most on" in out
    # a pre-run assumption re-run at its range's ends (one of them here, one run: two re-runs)
    _, runs = goals.load(db)
    key = "initial_state.pool_adopteren_by_theme.industrialisation"
    from dataclasses import replace

    one = [replace(a, low=0.0, high=0.9) for a in goals.load_pathway() if a.key == key]  # wide: beyond chance
    seen = []
    effects = goals.pre_run_effects(runs["calibrated"][:1], one, progress=lambda stage, done, total: seen.append((done, total)))
    assert seen[-1] == (2, 2)  # the progress line counts the re-runs
    low, high = effects[(key, one[0].low)], effects[(key, one[0].high)]
    assert high["market_share_industrial_region"] > low["market_share_industrial_region"]
    assert "The sector's goals" in run("compare", str(db))
    html = tmp_path / "report.html"
    run("report", str(db), "--out", str(html), "--goals", str(db), "--reruns", "1")
    text = html.read_text()
    assert 'id="goals"' in text and 'id="fig-goals"' in text and "probability" in text


def test_a_pre_run_assumption_can_be_the_driver_with_an_interpolated_flip():
    """With re-runs, an assumption applied before the run (the sector's 2024 state) that moves the median more than
    any post-run one becomes the driver, and its flip value is where the line through the two ends meets the
    target."""
    pathway = goals.load_pathway()
    a = goals.answer([_run(0.3)], "market_share_industrial_region", pathway)
    assert a.driver == "" and a.pre_run  # nothing post-run moves it
    effects = {(x.key, v): {o.name: 0.0 for o in goals.goals()} for x in pathway if not x.post_run
               for v in (x.low, x.high)}
    key = "initial_state.pool_adopteren_by_theme.industrialisation"  # range 0.10-0.20
    effects[(key, 0.10)]["market_share_industrial_region"] = 0.10
    effects[(key, 0.20)]["market_share_industrial_region"] = 0.20
    goals._apply_pre_run(a, effects, pathway, 3)
    assert a.driver == key and a.median_at_range == (0.10, 0.20)
    assert a.flip == pytest.approx(0.5)  # 0.1 + (0.5 - 0.1) / 1.0
    assert "Interpolated from 3 runs" in a.sentence()
    over = {k: dict(v) for k, v in effects.items()}
    over[(key, 0.20)]["market_share_industrial_region"] = 0.11  # too flat: the line meets 0.5 beyond 0.95
    b = goals.answer([_run(0.3)], "market_share_industrial_region", pathway)
    goals._apply_pre_run(b, over, pathway, 3)
    assert b.driver == key and b.flip is None and "no value of it (0 to 0.95)" in b.sentence()


def test_override_of_one_pre_run_element():
    p = BASE.params
    assert goals._override(p, "initial_state.pool_adopteren_by_theme.digitalisation", 0.3) == {
        "initial_state.pool_adopteren_by_theme": [0.0, 0.3, 0.0, 0.0]}
    assert goals._override(p, "productivity.step_use", 0.4) == {"productivity.step_use": [0.4, 1.0, 1.0]}
    assert goals._override(p, "sector.value_added_per_employee.suppliers", 1.5) == {
        "sector.value_added_per_employee.suppliers": 1.5}


def test_a_negligible_move_drives_nothing():
    """Hardly any adoption: no post-run assumption moves the median by 1 % of its distance to +40 %; the answer then
    names the pre-run assumption it rests on instead of a driver."""
    a = goals.answer([_run(0.005)], "productivity_index")
    assert a.driver == "" and a.flip is None and a.pre_run.startswith("initial_state.pool_adopteren_by_theme")
    assert "No assumption applied after the run moves it" in a.sentence()


def test_nothing_moves_it_even_with_reruns():
    pathway = goals.load_pathway()
    a = goals.answer([_run(0.005)], "market_share_all_three", pathway)
    effects = {(x.key, v): {o.name: 0.0 for o in goals.goals()} for x in pathway if not x.post_run
               for v in (x.low, x.high)}
    goals._apply_pre_run(a, effects, pathway, 2)
    assert a.driver == "" and "Neither an assumption applied after the run nor the pre-run ones" in a.sentence()
