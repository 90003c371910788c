"""`propeller contributions`: exact Shapley values of the instruments and hubs. They add up to the scenario minus its
organic part, follow the textbook definition on a known game, switch players off with their money and staff, and
bad input is one line and exit 2."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from propeller.app.cli import main
from propeller.app.contributions import OUTCOMES, coalition_overrides, contributions, players, shapley
from propeller.core.instruments import registry
from propeller.core.plan import planned
from propeller.scenarios.loader import CALIBRATED, load

ROOT = Path(__file__).resolve().parents[1]


def _game(n, v):
    return {frozenset(s): v(frozenset(s)) for k in range(n + 1) for s in combinations(range(n), k)}


def test_shapley_on_a_known_game():
    # additive weights plus a synergy of 6 between players 0 and 1 (split equally), and a 3-player glove-like term
    w = np.array([1.0, 2.0, 3.0, 4.0])

    def v(s):
        return sum(w[i] for i in s) + (6.0 if {0, 1} <= s else 0.0) + (9.0 if {1, 2, 3} <= s else 0.0)

    phi = shapley(_game(4, v), 4)
    assert phi == pytest.approx([1 + 3, 2 + 3 + 3, 3 + 3, 4 + 3])
    assert phi.sum() == pytest.approx(v(frozenset(range(4))) - v(frozenset()))
    # symmetric players get the same; a null player gets nothing
    phi = shapley(_game(3, lambda s: float(len(s & {0, 1}) == 2)), 3)
    assert phi == pytest.approx([0.5, 0.5, 0.0])


def test_players_are_the_instruments_run_and_recruitment_or_the_hubs():
    params = load(CALIBRATED).params
    by_instrument = players(params, "instrument")
    assert [p.name for p in by_instrument] == [n for n in registry.names()] + ["recruitment"]
    assert [p.name for p in players(params, "hub")] == ["noord", "zuid", "oost", "west", "midden"]
    oost = load(CALIBRATED, overrides=["simulation.region=oost", "hubs.oost.instruments.coaching=0"]).params
    assert "coaching" not in [p.name for p in players(oost, "instrument")]  # no active hub runs it: no player
    assert [p.name for p in players(oost, "hub")] == ["oost"]


def test_switching_off_takes_the_money_and_staff_along():
    params = load(CALIBRATED).params
    ps = players(params, "instrument")
    assert coalition_overrides(params, ps, ps) == {}
    events = next(p for p in ps if p.name == "events")
    over = coalition_overrides(params, [p for p in ps if p is not events], ps)
    sc = load(CALIBRATED).with_overrides(over, origin="test")
    cost0, days0 = planned(params)
    cost1, days1 = planned(sc.params)
    for h, hub in enumerate(("noord", "zuid", "oost", "west", "midden")):
        assert sc[f"hubs.{hub}.instruments.events"] == 0.0
        assert sc[f"hubs.{hub}.recruitment"] == params[f"hubs.{hub}.recruitment"]
        # the budget-to-plan and staff-to-plan ratios stay: the rest of the plan runs as it did
        assert sc[f"hubs.{hub}.budget"] / cost1[h] == pytest.approx(params[f"hubs.{hub}.budget"] / cost0[h])
        assert sc[f"hubs.{hub}.capacity"] / days1[h] == pytest.approx(params[f"hubs.{hub}.capacity"] / days0[h])
    rec = next(p for p in ps if p.name == "recruitment")
    over = coalition_overrides(params, [p for p in ps if p is not rec], ps)
    assert over == {f"hubs.{h}.{k}": 0.0 for h in ("noord", "zuid", "oost", "west", "midden")
                    for k in ("recruitment", "discovery")}
    hubs = players(params, "hub")
    over = coalition_overrides(params, hubs[1:], hubs)  # Noord off: nothing planned, no money, no staff, no recruits
    assert all(k.startswith("hubs.noord.") for k in over)
    assert over["hubs.noord.budget"] == 0.0 and over["hubs.noord.capacity"] == 0.0
    assert over["hubs.noord.recruitment"] == 0.0 and over["hubs.noord.discovery"] == 0.0


@pytest.fixture(scope="module")
def by_hub():
    (d,) = contributions(CALIBRATED, by=("hub",), seeds=2, until="2024-12")
    return d


def test_the_values_add_up_to_the_scenario_minus_its_organic_part(by_hub):
    d = by_hub
    assert d.dates == ["2024-12"] and d.units == 2 and d.unit_kind == "seeds" and len(d.players) == 5
    for o in OUTCOMES:
        key = f"{o}@2024-12"
        assert d.phi[key].shape == (2, 5)
        assert d.phi[key].sum(axis=1) == pytest.approx(d.total[key] - d.organic[key])
    # without hubs nothing is spent; the hubs' programme brings partners
    assert (d.organic["budget_spent_cum@2024-12"] == 0).all()
    assert (d.phi["budget_spent_cum@2024-12"] > 0).all()
    assert (d.total["partners_total@2024-12"] > d.organic["partners_total@2024-12"]).all()
    t = d.table()
    assert set(t["player"]) == {"all", "organic", "noord", "zuid", "oost", "west", "midden"}
    row = t[(t["outcome"] == "partners_total") & (t["player"] == "zuid")].iloc[0]
    spend = d.phi["budget_spent_cum@2024-12"][:, 1]
    gain = d.phi["partners_total@2024-12"][:, 1]
    assert row["eur_per_unit"] == pytest.approx(np.median(spend / gain))


def test_the_same_seeds_give_the_same_decomposition(by_hub):
    (again,) = contributions(CALIBRATED, by=("hub",), seeds=2, until="2024-12", workers=2)
    for key in by_hub.phi:
        assert np.array_equal(by_hub.phi[key], again.phi[key])


def test_cli_prints_the_decomposition_and_json(capsys):
    assert main(["contributions", str(CALIBRATED), "--by", "hub", "--seeds", "1", "--until", "2024-06",
                 "--json", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Contributions by hub" in out and "organic (no player)" in out and "EUR" in out
    assert "By 2024-06:" in out and "Shapley value:" in out
    (payload,) = json.loads(out.strip().splitlines()[-1])
    assert payload["by"] == "hub" and payload["players"] == ["noord", "zuid", "oost", "west", "midden"]
    rows = [r for r in payload["rows"] if r["outcome"] == "partners_total"]
    total = next(r for r in rows if r["player"] == "all")["median"]
    parts = sum(r["median"] for r in rows if r["player"] != "all")
    assert parts == pytest.approx(total)  # one seed: the median is the value itself


def test_bad_input_is_one_line_and_exit_2(capsys):
    assert main(["contributions", "no/such.toml", "--seeds", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no/such.toml" in err
    assert main(["contributions", str(CALIBRATED), "--seeds", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--seeds" in err and "positive whole number" in err


def test_a_scenario_without_hubs_is_refused(tmp_path, capsys):
    sc = tmp_path / "nohubs.toml"
    sc.write_text(f'extends = "{CALIBRATED}"\n[hubs]\nenabled = false\n', encoding="utf-8")
    assert main(["contributions", str(sc), "--by", "hub", "--seeds", "1", "--until", "2024-06"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--by" in err and "active hubs" in err
