"""Survey-shaped outputs (scenarios/surveys.toml, propeller.core.surveys, docs/surveys.md): who the respondents are,
that their state is read at the survey month (not at the end of the run), that the declaration covers every fitted or
held-out survey record, that surveys draw no random numbers, and that a bad declaration is refused in one line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from propeller.calibration.targets import TARGETS, VALIDATION, check_observable, load_targets, load_validation, observe
from propeller.core import surveys
from propeller.core.constants import HUBS, ROUTES, STEPS
from propeller.core.model import PropellerModel
from propeller.core.surveys import Snapshot, SurveyError
from propeller.scenarios.loader import DEFAULTS, load
from tests.conftest import run

SURVEY_GROUPS = ("survey", "adoption_steps", "intentions", "reach", "funnel", "flax")

HAND_BUILT = """
[settings]
intention_months = 3

[answer.know_better]
question = "know better"
all = ["got_further"]
steps = ["awareness", "vision", "partnering"]

[answer.plan_yes]
question = "plan yes"
all = ["intends"]

[answer.plan_maybe]
question = "maybe"
all = ["engaged"]
none = ["intends"]

[answer.plan_any]
question = "yes or maybe"
any = ["plan_yes", "plan_maybe"]

[answer.plan_attributed]
question = "attributed"
all = ["pushed"]
among = "plan_any"

[answer.other_innovation]
question = "other"
all = ["other_theme"]
level = "organisation"

[answer.new_parties]
question = "new"
all = ["new_tie"]
level = "organisation"

[answer.intensified]
question = "intensified"
all = ["tie_intensified"]
level = "organisation"

[answer.to_mlc]
question = "later trajectory"
all = ["later_trajectory"]
level = "organisation"

[[survey]]
name = "all_oost"
instrument = "events"
hubs = ["oost"]
window_first = "2024-03"
window_last = "2024-05"
date = "2024-07"
source = "003 L1"
assumption = "test"
[survey.outputs]
a_know_better_share = "know_better"
a_plan_yes_share = "plan_yes"
a_plan_attributed_share = "plan_attributed"
a_other_share = "other_innovation"
a_new_share = "new_parties"
a_intensified_share = "intensified"
a_mlc_share = "to_mlc"

[[survey]]
name = "gemeenten"
instrument = "events"
hubs = ["oost"]
routes = ["gemeente"]
window_first = "2024-03"
window_last = "2024-05"
date = "2024-07"
source = "003 L1"
assumption = "test"
outputs = { g_know_better_share = "know_better" }

[[survey]]
name = "pooled"
pool = ["all_oost", "gemeenten"]
source = "003 L1"
assumption = "test"
outputs = { p_know_better_share = "know_better" }

[[survey]]
name = "later"
instrument = "events"
hubs = ["oost"]
window_first = "2024-03"
window_last = "2024-05"
date = "2024-12"
source = "003 L1"
assumption = "test"
outputs = { late_know_better_share = "know_better" }
"""


def _decl(tmp_path, text=HAND_BUILT, name="surveys.toml"):
    f = tmp_path / name
    f.write_text(text)
    return surveys.load(str(f))


def test_hand_built_case_gives_the_shares_worked_out_by_hand(tmp_path):
    """4 organisations, 2 themes; run starting 2024-01: window = months 2..4, survey at month 6, 'before' = month 1.
    Respondents: (0, theme 0) and (1, theme 0), (1, theme 1) in Oost in the window; org 2 took part after the window,
    org 3 in another hub. Worked out in the comments."""
    decl = _decl(tmp_path)
    times = {s: surveys.timing(decl.surveys[s], "2024-01") for s in ("all_oost", "gemeenten")}
    assert (times["all_oost"].before, times["all_oost"].first, times["all_oost"].last, times["all_oost"].at) == (1, 2, 4, 6)
    ev, tr, oost, zuid = 0, 1, HUBS.index("oost"), HUBS.index("zuid")
    rows = [(ev, oost, 3, 0, 0), (ev, oost, 4, 1, 0), (ev, oost, 2, 1, 1),   # respondents
            (ev, oost, 6, 2, 1), (ev, zuid, 3, 3, 0),                        # after the window / another hub
            (tr, oost, 5, 0, 0)]                                             # org 0 goes on to a trajectory
    log = {k: np.array(v, dtype=np.int64) for k, v in zip(("instrument", "hub", "month", "organisation", "theme"),
                                                           zip(*rows, strict=True), strict=True)}
    # ties: edge 0 = structural 0-1 (0.3 -> 0.5 by the survey), edge 1 = collaboration 1-2 made in the window
    u, v = np.array([0, 1]), np.array([1, 2])
    never = np.full((4, 2), -1)
    pushed_end = never.copy()
    pushed_end[0, 0], pushed_end[1, 1] = 3, 2          # org 0 pushed on theme 0 in month 3, org 1 on theme 1 in month 2
    snaps = {
        1: Snapshot(np.array([[0, 0], [1, 0], [0, 0], [0, 0]]), never, np.zeros(4, int), np.array([0.3])),
        4: Snapshot(np.array([[1, 0], [2, 1], [0, 0], [0, 0]]), pushed_end, np.zeros(4, int), np.array([0.5, 0.3])),
        6: Snapshot(np.array([[2, 1], [2, 0], [5, 5], [9, 9]]), pushed_end, np.array([0, 1, 1, 0]), np.array([0.5, 0.3])),
    }
    route = np.full(4, ROUTES.index("mkb"))
    route[1] = ROUTES.index("gemeente")
    out = surveys.shares(decl, times, snaps, log, ("events", "trajectories"), np.zeros(4, int), route, u, v)
    # got further: (0,0) 0->2 yes, (1,0) 1->2 yes, (1,1) 0->0 no; both at vision (Agenderen): 2 of 3
    assert out["a_know_better_share"] == pytest.approx(2 / 3)
    # intends: (0,0) pushed in the window, 6 - 3 <= 3 months, not fallen back; (1,1) pushed 4 months ago: 1 of 3
    assert out["a_plan_yes_share"] == pytest.approx(1 / 3)
    # among the engaged (0,0) and (1,0), pushed in the window: (0,0): 1 of 2
    assert out["a_plan_attributed_share"] == pytest.approx(1 / 2)
    # by organisation: org 0 became engaged on theme 1 (was not before), org 1 did not: 1 of 2
    assert out["a_other_share"] == pytest.approx(1 / 2)
    # org 1 has a new collaboration tie, org 0 none: 1 of 2; the 0-1 tie intensified: both
    assert out["a_new_share"] == pytest.approx(1 / 2) and out["a_intensified_share"] == 1.0
    # org 0 took part in an Oost trajectory in month 5, after its event in month 3: 1 of 2
    assert out["a_mlc_share"] == pytest.approx(1 / 2)
    # only the gemeente (org 1): (1,0) yes, (1,1) no; pooled: 2 + 1 of 3 + 2
    assert out["g_know_better_share"] == pytest.approx(1 / 2)
    assert out["p_know_better_share"] == pytest.approx(3 / 5)
    assert "late_know_better_share" not in out                              # its month was not reached
    # nobody took part: NaN
    empty = {k: a[:0] for k, a in log.items()}
    assert math.isnan(surveys.shares(decl, times, snaps, empty, ("events", "trajectories"), np.zeros(4, int), route,
                                     u, v)["a_know_better_share"])


@pytest.fixture(scope="module")
def oost_model():
    """A regional run past the survey month (2025-09), with its stage history kept (small)."""
    m = PropellerModel(load(DEFAULTS, overrides={"simulation.region": "oost", "simulation.until": "2026-12"}), rng=3,
                       with_agents=False)
    m.run_for(m.n_months)
    return m


def _know_better_by_hand(m, name, at):
    s, tm = m.surveys.decl.surveys[name], m.surveys.times[name]
    log = m.participation_log()
    keep = ((log["instrument"] == m.instrument_names.index(s.instrument)) & np.isin(log["hub"], s.hubs)
            & (log["month"] >= tm.first) & (log["month"] <= tm.last))
    pairs = np.unique(np.stack([log["organisation"][keep], log["theme"][keep]], axis=1), axis=0)
    o, k = pairs[:, 0], pairs[:, 1]
    s0, s1 = m.recorder.stage[tm.before][o, k], m.recorder.stage[at][o, k]
    agenderen = [STEPS.index(x) for x in ("awareness", "vision", "partnering")]
    return float(((s1 > s0) & np.isin(s1, agenderen)).mean())


def test_shares_are_read_at_the_survey_month_not_at_the_end_of_the_run(oost_model):
    m = oost_model
    assert m.recorder.stage is not None
    for t, snap in m.surveys.snaps.items():   # the snapshots are the state at the end of their month
        assert np.array_equal(snap.stage, m.recorder.stage[t])
    at = m.surveys.times["oost_second_knowledge_sessions"].at
    assert at == 18 and m.t > at
    out = m.outcomes()
    got = out["surveys"]["knowledge_session_step_know_better_share"]
    assert got == pytest.approx(_know_better_by_hand(m, "oost_second_knowledge_sessions", at))
    # the same share read at the end of the run is another number: the test can tell the two apart
    assert got != pytest.approx(_know_better_by_hand(m, "oost_second_knowledge_sessions", m.t))
    assert out["survey_dates"]["knowledge_session_step_know_better_share"] == "2025-09"


def test_snapshots_only_at_declared_months(oost_model):
    m = oost_model
    due = set()
    for tm in m.surveys.times.values():
        due |= {tm.before, tm.last, tm.at}
    assert set(m.surveys.snaps) == due == set(m.surveys.due)
    assert len(due) <= 8 < m.n_months


def test_surveys_draw_no_random_numbers(monkeypatch):
    """A run without any survey declared gives the same outcome frames as with the surveys."""
    overrides = {"simulation.region": "zuid", "simulation.until": "2025-09"}
    from propeller import simulate

    with_surveys = simulate(overrides, seed=5)
    empty = surveys.Declaration({}, {}, 6)
    monkeypatch.setattr(surveys, "load", lambda path=None: empty)
    without = simulate(overrides, seed=5)
    assert with_surveys["surveys"] and without["surveys"] == {}
    for key in ("timeseries", "occupancy", "partners_by_hub_type", "participants"):
        pd.testing.assert_frame_equal(with_surveys[key], without[key])


def test_every_ok_survey_record_is_declared_and_observable():
    decl = surveys.load()
    declared = decl.output_dates()
    targets, validation = load_targets(), load_validation()
    out = run(until="2025-09")
    for df, path in ((targets, TARGETS), (validation, VALIDATION)):
        recs = df[df["group"].isin(SURVEY_GROUPS)]
        ok = recs[recs["status"] == "ok"]
        assert set(ok["model_output"]) <= set(declared), path
        for r in ok.itertuples():
            assert declared[r.model_output] == r.date, r.name
        # no survey output is declared that a record does not use with status ok
        others = set(recs.loc[recs["status"] != "ok", "model_output"])
        assert not others & set(declared), path
        check_observable(df, out, path)
        values = observe(out, ok)
        assert all(math.isnan(x) or 0.0 <= x <= 1.0 for x in values.values())
    assert len(targets[(targets["group"] == "survey") & (targets["status"] == "ok")]) == 29
    assert len(validation[(validation["status"] == "ok")]) == 15


def test_a_survey_read_at_another_month_is_refused():
    out = run(until="2025-09")
    t = load_validation()
    row = t[t["model_output"] == "knowledge_session_step_testing_share"].copy()
    row["date"] = "2025-06"
    with pytest.raises(KeyError, match="read at 2025-09"):
        observe(out, row)


BAD = [
    ('instrument = "events"', 'instrument = "nope"', "survey all_oost: instrument: expected an instrument of the model"),
    ('window_last = "2024-05"', 'window_last = "2024-01"',
     "survey all_oost: window_last: expected a month at or after window_first (2024-03), got '2024-01'"),
    ('a_mlc_share = "to_mlc"', 'a_mlc_share = "to_mcl"', "survey all_oost: outputs.a_mlc_share: expected an answer"),
    ('hubs = ["oost"]\nroutes', 'hubs = ["east"]\nroutes', "survey gemeenten: hubs: expected one of noord, zuid"),
    ('all = ["later_trajectory"]', 'all = ["later_trajectroy"]', "answer to_mlc: all/any/none: expected a model state"),
    ('pool = ["all_oost", "gemeenten"]', 'pool = ["all_oost", "gemeenten"]\ndate = "2024-07"',
     "survey pooled: date: expected no activity keys in a pooled survey"),
    ("intention_months = 3", "intention_months = 0", "settings: intention_months: expected an integer number"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[b[2].split(":")[1].strip() + str(i) for i, b in enumerate(BAD)])
def test_a_bad_declaration_is_one_line_naming_file_key_and_value(tmp_path, old, new, message):
    assert old in HAND_BUILT
    with pytest.raises(SurveyError) as err:
        _decl(tmp_path, HAND_BUILT.replace(old, new, 1), name=f"s{abs(hash(new))}.toml")
    text = str(err.value)
    assert "\n" not in text and text.startswith("s") and ".toml: " in text and message in text, text


def test_the_doc_explains_every_declared_survey_and_answer():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "surveys.md").read_text(encoding="utf-8")
    decl = surveys.load()
    missing = [f"`{n}`" for n in (*decl.surveys, *decl.answers, *surveys.PRIMITIVES) if f"`{n}`" not in doc]
    assert not missing, f"docs/surveys.md lacks {missing}"
    assert f"`intention_months` = {decl.intention_months}" in doc


def test_outcomes_of_a_run_stopped_before_the_survey_month_leave_that_survey_out():
    m = PropellerModel(load(DEFAULTS, overrides={"simulation.region": "oost", "simulation.until": "2026-12"}), rng=3,
                       with_agents=False)
    m.run_for(12)                                                     # to 2025-03, before the surveys of 2025-09
    assert m.outcomes()["surveys"] == {}
    m.run_for(6)                                                      # to 2025-09
    assert "knowledge_session_step_know_better_share" in m.outcomes()["surveys"]
