"""The initial state reproduces March 2024 (Table 3.1 margins, appendix hub totals)."""

from __future__ import annotations

import numpy as np

from propeller import PropellerModel
from propeller.core.constants import HUBS, ROUTES, TYPES
from propeller.core.population import ipf, march_2024_types, round_preserving
from propeller.scenarios.loader import DEFAULTS, load


def test_march_2024_matrix_matches_both_margins(baseline):
    m = march_2024_types(baseline.params)
    # hub totals: Noord 69 [003 L6099], Zuid 124 (derived), Oost 70 [003 L11856], West 142 [003 L8400]
    assert m.sum(axis=1).tolist() == [69, 124, 70, 142]
    # type totals: Sep 2025 minus the change since March 2024 (Table 3.1 [003 L2720-2776])
    assert m.sum(axis=0).tolist() == [94, 50, 34, 36, 62, 52, 46, 31]
    assert m.sum() == 405 and (m >= 0).all()


def test_ipf_and_controlled_rounding_keep_margins():
    rng = np.random.default_rng(3)
    seed = rng.integers(1, 50, size=(4, 6)).astype(float)
    rows = np.array([30.0, 50.0, 20.0, 40.0])
    cols = np.array([10.0, 30.0, 25.0, 25.0, 20.0, 30.0])
    fit = ipf(seed, rows, cols)
    assert np.allclose(fit.sum(axis=1), rows) and np.allclose(fit.sum(axis=0), cols)
    r = round_preserving(fit, rows, cols)
    assert r.sum(axis=1).tolist() == rows.astype(int).tolist()
    assert r.sum(axis=0).tolist() == cols.astype(int).tolist()
    assert np.abs(r - fit).max() < 1.0


def test_first_row_is_march_2024(baseline):
    m = PropellerModel(baseline, rng=5, with_agents=False)
    ts = m.outcomes()["timeseries"]
    row = ts.iloc[0]
    assert row["date"] == "2024-03"
    assert row["partners_four_hubs"] == 405
    assert [row[f"partners_{h}"] for h in HUBS] == [69, 124, 70, 142, 0]  # Midden opens 2024-09
    assert row["kpi4_mkb"] == 94


def test_midden_opens_in_september_2024(baseline):
    m = PropellerModel(baseline, rng=1, with_agents=False)
    m.run_for(7)
    ts = m.outcomes()["timeseries"].set_index("date")
    assert ts.loc["2024-08", "partners_midden"] == 0
    assert ts.loc["2024-09", "partners_midden"] >= baseline["hubs.midden.partners_start"] * 0.9


def test_population_has_every_type_route_and_class(baseline):
    m = PropellerModel(baseline, rng=2, with_agents=False)
    assert set(np.unique(m.pop.otype)) == set(range(len(TYPES)))
    assert set(np.unique(m.pop.route)) == set(range(len(ROUTES)))
    # the hubs reach mostly frontrunners and early adopters [003 L1313-1336]
    partners = m.pop.initial_partner
    first_two = np.isin(m.pop.cls[partners], (0, 1)).mean()
    pool_first_two = np.isin(m.pop.cls[~partners], (0, 1)).mean()
    assert first_two > 0.6 > pool_first_two


def test_regional_run_holds_one_region():
    s = load(DEFAULTS, overrides={"simulation.region": "west"})
    m = PropellerModel(s, rng=1, with_agents=False)
    assert (m.pop.home == HUBS.index("west")).all()
    ts = m.outcomes()["timeseries"]
    assert ts.iloc[0]["partners_total"] == ts.iloc[0]["partners_west"] == 142


def test_provinces_follow_the_government_route():
    """Bijlage F's 'Overheid als opdrachtgever' is the route of 'overheden (gemeente, provincie)'
    [003 L12966-12968]: every government organisation, provinces included, is on the government route."""
    m = PropellerModel(load(DEFAULTS, overrides={"simulation.region": "noord"}), rng=0, with_agents=False)
    government = m.pop.otype == TYPES.index("government")
    assert government.sum() > 10
    assert (m.pop.route[government] == ROUTES.index("gemeente")).all()
    assert set(np.flatnonzero(m.pop.route == ROUTES.index("gemeente"))) == set(np.flatnonzero(government))
