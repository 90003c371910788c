"""The output declaration (propeller.core.outputs) is the one list of columns: the recorder, the summary, the sweep
store, the report and the docs agree with it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from propeller.core import outputs
from propeller.core.constants import HUBS, PHASES, THEMES, TYPES
from propeller.core.instruments import registry
from propeller.core.outcomes import timeseries_frame
from tests.conftest import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ts():
    return run({"simulation.region": "west"}, seed=2, until="2024-09")["timeseries"]


def test_recorder_emits_exactly_the_declared_columns_in_order(ts):
    assert list(ts.columns) == list(outputs.names())
    assert {c: str(t) for c, t in ts.dtypes.items()} == {o.name: o.dtype for o in outputs.timeseries()}


def test_an_undeclared_or_missing_column_is_refused(ts):
    cols = {c: ts[c].to_numpy() for c in ts.columns}
    cols["date"] = list(ts["date"])
    pd.testing.assert_frame_equal(timeseries_frame(cols), ts)
    with pytest.raises(RuntimeError, match="not declared \\['partners_extra'\\]"):
        timeseries_frame({**cols, "partners_extra": np.zeros(len(ts))})
    without = dict(cols)
    del without["productivity_index"]
    with pytest.raises(RuntimeError, match="not computed \\['productivity_index'\\]"):
        timeseries_frame(without)


def test_families_come_from_the_constants():
    assert outputs.family("partners_{hub}") == tuple(f"partners_{h}" for h in HUBS)
    assert outputs.family("partners_type_{type}") == tuple(f"partners_type_{t}" for t in TYPES)
    assert outputs.family("adopted_share_{theme}") == tuple(f"adopted_share_{k}" for k in THEMES)
    assert outputs.family("runs_{instrument}") == tuple(f"runs_{i}" for i in registry.names())
    assert outputs.family("ring{ring}_{hub}")[:5] == ("ring1_noord", "ring2_noord", "ring3_noord", "ring4_noord",
                                                       "ring1_zuid")
    # a family of several templates interleaves them, hub by hub
    names = outputs.names()
    i = names.index("joins_cum_noord")
    assert names[i:i + 25:6] == ("joins_cum_noord", "leaves_cum_zuid", "activity_level_oost", "connector_west",
                                 "staff_days_midden")
    assert outputs.get("partners_noord").label == "Partners Noord"
    assert outputs.get("partner_phase_none").label == "Partners x themes: not engaged"
    with pytest.raises(KeyError):
        outputs.family("partners_{nothing}")


def test_declarations_are_complete():
    for o in outputs.timeseries():
        assert o.label and o.unit and o.description, o.name
        assert o.dtype in outputs.SQLITE_TYPES and "{" not in o.name + o.label + o.description, o.name
    for selection in (outputs.HEADLINE, outputs.SUMMARY, outputs.INDEX):
        assert all(outputs.is_output(c) for c in selection)
    assert [o.name for o in outputs.targets()] == ["partners_total", "kpi4_mkb", "kpi5_skilled", "productivity_index",
                                                   "primary_material_index", "market_share_all_three",
                                                   "market_share_industrial_region", "primary_material_index_region"]
    assert outputs.SUMMARY_DATES == outputs.KEY_DATES and all(re.fullmatch(r"\d{4}-\d\d", d) for d in
                                                              outputs.KEY_DATES + outputs.SPIDER_DATES)
    assert outputs.get("adopted_share").format(0.1234) == "12.3%" and outputs.get("kpi4_mkb").format(7) == "7"
    assert outputs.get("productivity_index").title == "Labour productivity against the trend (trend = 100)"
    assert outputs.get("partners_total").title == "Partners, all hubs (target 500+)"


def test_docs_table_is_the_generated_one():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    m = outputs.BLOCK.search(text)
    assert m, "docs/ODD.md has no outputs-table block"
    assert m.group(2) == outputs.markdown(), "docs/ODD.md §10.1 is stale: make outputs-table"
    gen = subprocess.run([sys.executable, "-m", "propeller.core.outputs", "--markdown"], capture_output=True,
                         text=True, check=True)
    assert gen.stdout == outputs.markdown()


def test_readme_column_table_names_declared_columns():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Main output columns (`timeseries`)", 1)[1].split("\n\n", 2)[1]
    tokens = set(re.findall(r"`([^`]+)`", table))
    names = [t for t in tokens if re.fullmatch(r"[a-z][a-z0-9_<>]*", t)]  # not YYYY-MM, not dotted parameters
    assert len(names) >= 20
    known = set(outputs.names()) | set(outputs.patterns())
    assert sorted(set(names) - known) == []


def test_store_types_come_from_the_declaration_not_the_values(tmp_path):
    """A float output whose values happen to be whole numbers is still a REAL column."""
    from propeller.app.store import Store

    months = [0, 1]
    task = {"run_id": "r1", "scenario": "s", "scenario_file": "s.toml", "overrides": {}, "params": {}, "seed": 1,
            "until": "2024-04", "code_version": "x", "outputs": ["budget_spent_cum", "runs_events", "adopted_share"],
            "key_dates": ["2024-04"]}
    result = {"run_id": "r1", "status": "done", "error": None, "started": "", "ended": "", "seconds": 0.0,
              "worker": "w", "columns": {"month": months, "date": ["2024-03", "2024-04"], "budget_spent_cum": [0, 5],
                                         "runs_events": [0, 2], "adopted_share": [0, 0]},
              "summaries": [("runs_events", "2024-04", 2.0)]}
    with Store(tmp_path / "s.db") as st:
        assert st.write(task, result) == "new"
        types = {c.name: c.type for c in st.db["outcomes"].columns}
    assert types == {"run_id": "TEXT", "month": "INTEGER", "date": "TEXT", "budget_spent_cum": "REAL",
                     "runs_events": "INTEGER", "adopted_share": "REAL"}


def test_no_dtype_or_format_is_guessed_from_a_name():
    model = ROOT / "model"
    for rel in ("core/outcomes.py", "core/outputs.py", "app/store.py", "app/sweeps/spec.py", "app/cli.py",
                "app/report/data.py", "app/report/figures.py", "app/report/i18n.py"):
        assert "startswith(" not in (model / rel).read_text(encoding="utf-8"), rel
    for path in model.rglob("*.py"):  # nor anywhere else, from a column's prefix
        src = path.read_text(encoding="utf-8")
        assert not re.search(r"startswith\(\(?\s*[\"'](partner|ring|kpi|adopt|runs|particip|joins|leaves)", src), path


def test_module_is_light_and_core_only():
    code = ("import sys; import propeller.core.outputs as o; o.family('partners_{hub}'); o.targets(); "
            "print(sorted(m for m in sys.modules if m.startswith(('propeller.app', 'numba', 'pandas'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_consumers_read_the_declaration():
    from propeller.app import cli
    from propeller.app.report import data, i18n
    from propeller.app.sweeps import spec as sweep

    assert sweep.DEFAULT_OUTPUTS == outputs.HEADLINE == data.HEADLINE
    assert sweep.DEFAULT_KEY_DATES == outputs.KEY_DATES and sweep.ALWAYS_KEPT == outputs.INDEX
    assert data.SPIDER_DATES == outputs.SPIDER_DATES
    assert data.TARGETS == (("target_500", "partners_total", 500.0), ("target_kpi4", "kpi4_mkb", 130.0),
                            ("target_kpi5", "kpi5_skilled", 650.0))
    assert all(outputs.is_output(c) for c in data.REPORT_COLUMNS)
    for lang, labels in i18n.OUTPUT_LABELS.items():  # translations of declared outputs only
        assert all(outputs.is_output(c) for c in labels), lang
    en = i18n.Text("en")
    assert en.label("kpi4_mkb") == outputs.get("kpi4_mkb").label and i18n.Text("nl").label("partners_noord") == \
        "Partners Noord"
    assert all(c not in i18n.STRINGS["en"] for c in outputs.names())
    assert i18n.PHASE_NAMES["en"] == {p: outputs.PHASE.name(p) for p in PHASES}
    table = cli.summary_table(pd.DataFrame({"date": ["2025-09"], **{c: [0.5] for c in outputs.SUMMARY}}))
    assert list(table.index) == [outputs.get(c).title for c in outputs.SUMMARY]
    assert table.loc["Partners Noord", "observed 2025-09"] == "100"
