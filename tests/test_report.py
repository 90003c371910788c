"""The steering-group report (`propeller report`, model/app/report/), checked as a person would see it.

A small sweep database (two scenarios x posterior draws x seeds, regional runs of Noord to 2030-12, so the 2030
figures are real) -> the report in English and Dutch -> rendered in headless Chromium (Debian's /usr/bin/chromium
through Playwright; never a downloaded browser): no console errors, every <img> decoded (naturalWidth > 0), no
request leaves the file, a full-page screenshot in outputs/report.png (outputs/report_nl.png). In Python, before
embedding, every figure must have drawn data (Figure.n_values > 0, asserted by the builder and again here).
"""

from __future__ import annotations

import base64
import io
import os
import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from propeller.app.cli import main
from propeller.app.report.build import ReportBuilder
from propeller.app.report.data import REPORT_COLUMNS, SPIDER_DATES, SweepData
from propeller.app.report.provenance import calibrated_values, classify, parameters
from propeller.app.sweeps.design import build_plan
from propeller.app.sweeps.execute import execute
from propeller.app.sweeps.record import model_files
from propeller.app.sweeps.spec import load_spec
from propeller.calibration.abc import load_priors
from propeller.core.constants import THEMES
from propeller.scenarios.loader import SCENARIO_DIR, load

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FIGURES = ("partners", "partners_by_hub", "partners_by_type", "kpis", "probabilities", "occupancy", "adoption",
           "spiders", "productivity")


def _spec(path: Path, name: str, outputs: list[str], seed: int, samples: int, reps: int) -> Path:
    lib = SCENARIO_DIR / "library"
    cols = ", ".join(f'"{c}"' for c in outputs)
    path.write_text(f"""
name = "{name}"
scenarios = ["{lib / 'calibrated.toml'}", "{lib / 'funding_minus50.toml'}"]
seed = {seed}
replications = {reps}
until = "2030-12"
outputs = [{cols}]
key_dates = ["2025-09", "2027-12", "2030-12"]
[overrides]
simulation.region = "noord"
[design]
kind = "posterior"
samples = {samples}
file = "{SCENARIO_DIR / 'posterior.csv'}"
""")
    return path


@pytest.fixture(scope="module")
def sweep_db(tmp_path_factory) -> Path:
    """2 scenarios x 3 posterior draws x 2 seeds = 12 regional runs (Noord) to 2030-12, every report column kept."""
    d = tmp_path_factory.mktemp("report")
    spec = load_spec(_spec(d / "small.toml", "report_small", list(REPORT_COLUMNS), 7, 3, 2))
    db = d / "small.db"
    res = execute(build_plan(spec), db, workers=1, progress=False, stream=io.StringIO())
    assert res.failed == 0 and res.stored == 12
    return db


@pytest.fixture(scope="module")
def reports(sweep_db, tmp_path_factory) -> dict:
    from propeller.app.report import build_report

    d = tmp_path_factory.mktemp("html")
    return {lang: build_report(sweep_db, d / f"report_{lang}.html", lang=lang, reruns=3) for lang in ("en", "nl")}


def _imgs(text: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]+)"', text)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_report_is_one_self_contained_file_with_data_in_every_figure(reports, lang):
    from PIL import Image

    m = reports[lang]
    assert [k for k, *_ in m["figures"]] == list(FIGURES)
    assert all(n > 0 for _, n, _, _ in m["figures"]), m["figures"]   # every figure drew data
    text = Path(m["out"]).read_text(encoding="utf-8")
    srcs = _imgs(text)
    assert len(srcs) == len(FIGURES)
    for src, (key, _, _w, _h) in zip(srcs, m["figures"], strict=True):
        assert src.startswith("data:image/png;base64,"), key
        im = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert im.format == "PNG" and im.width > 300 and im.height > 200, key
        px = np.asarray(im.convert("L"), dtype=float)
        assert px.std() > 5, f"{key}: a blank picture"
    # no scripts, no stylesheets or fonts from elsewhere, no external references
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    assert "url(" not in text
    assert f'<html lang="{lang}">' in text
    words = {"en": ["Key numbers", "How to read this report", "agenderen", "woningcorporaties", "Partners per hub",
                    "Appendix: assumptions and sources", "calibrated"],
             "nl": ["Kerncijfers", "Zo leest u dit rapport", "agenderen", "uitproberen", "adopteren",
                    "woningcorporaties", "gemeenten", "Partners per hub", "Bijlage: aannames en bronnen",
                    "gekalibreerd"]}[lang]
    for w in words:
        assert w in text, w
    # the appendix lists every parameter of uncalibrated_defaults.toml and the calibrated values with their intervals
    for p in parameters():
        assert f"<code>{p.key}</code>" in text, p.key
    for key, v in calibrated_values().items():
        assert v["lo"] in text and v["hi"] in text, key


# Every element that reaches past the page's right edge, or that scrolls sideways inside (a table in its scroll box).
WIDER_THAN_THE_PAGE = """(() => { const W = document.documentElement.clientWidth; const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.right > W + 0.5 || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'))
      out.push(e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 60)); }
  return out.slice(0, 5); })()"""


@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("PROPELLER_REQUIRE_BROWSER"),
                    reason="Debian's chromium is not installed (apt-get install chromium; tools/browser.sh on CI)")
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_report_renders_in_headless_chromium(reports, lang):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    m = reports[lang]
    shot = ROOT / "outputs" / ("report.png" if lang == "en" else f"report_{lang}.png")
    shot.parent.mkdir(exist_ok=True)
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
            page.on("request", lambda req: requests.append(req.url))
            page.goto(Path(m["out"]).resolve().as_uri(), wait_until="load")
            imgs = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight, "
                                 "i.getBoundingClientRect().width])")
            title = page.title()
            headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            too_wide = page.evaluate(WIDER_THAN_THE_PAGE)
            page.screenshot(path=str(shot), full_page=True)
            # in print: an A4 page less its 14 mm margins is 182 mm = 688 CSS px wide
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 688, "height": 1000})
            too_wide_print = page.evaluate(WIDER_THAN_THE_PAGE)
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert len(imgs) == len(FIGURES)
    for complete, nw, nh, shown in imgs:
        assert complete and nw > 0 and nh > 0 and shown > 200, imgs   # decoded, and drawn at a readable size
    assert overflow <= 0, "the page scrolls sideways at 1280 px"
    assert too_wide == [], f"wider than the page at 1280 px: {too_wide}"
    assert too_wide_print == [], f"wider than the printed page: {too_wide_print}"
    assert title and len(headings) >= 10
    im = Image.open(shot)
    assert im.width >= 1280 and im.height > 5000
    assert np.asarray(im.convert("L"), dtype=float).std() > 10


def test_reruns_reproduce_the_stored_rows_and_the_spider_rings(sweep_db):
    data = SweepData.load(sweep_db, reruns=2)
    assert data.reference == "calibrated" and data.rerun_columns == []
    assert len(data.reruns) == 2 and all(r.identical for r in data.reruns)
    for r in data.reruns:
        stored = data.outcomes[data.outcomes["run_id"] == r.run_id].set_index("date")
        for date in SPIDER_DATES:
            rings = r.rings[date][:, 0]   # Noord
            for ring in (1, 2, 3, 4):
                assert (rings == ring).sum() == stored.at[date, f"ring{ring}_noord"], (date, ring)
        occ = r.occupancy.groupby("date", observed=True)["organisations"].sum()
        n_orgs = len(r.rings[SPIDER_DATES[0]])  # the re-run's population (rows of its ring matrix)
        assert len(occ) == len(stored) and (occ == n_orgs * len(THEMES)).all()  # each organisation once per theme
    # the share of runs reaching a target is monotone in the year
    for lab in data.labels:
        p = data.reach_probability(lab, "kpi5_skilled", 650)
        assert list(p) == list(range(2024, 2031)) and all(a <= b for a, b in pairwise(p.values()))


def test_columns_the_sweep_did_not_keep_come_from_reruns(tmp_path):
    from propeller.app.report import build_report

    spec = load_spec(_spec(tmp_path / "few.toml", "report_few", ["partners_total", "kpi4_mkb"], 11, 2, 1))
    db = tmp_path / "few.db"
    execute(build_plan(spec), db, workers=1, progress=False, stream=io.StringIO())
    m = build_report(db, tmp_path / "r.html", scenarios=["calibrated"], reruns=2)
    assert m["scenarios"] == ["calibrated"] and all(n > 0 for _, n, _, _ in m["figures"])
    text = (tmp_path / "r.html").read_text()
    assert "re-run from their stored records (the sweep did not keep" in text
    assert all(ident for _, _, ident in m["reruns"])


@pytest.mark.parametrize("args, fragment", [
    (["missing.db"], "missing.db: (file): expected an existing sweep database"),
    (["NOTSQLITE"], "expected an SQLite sweep database"),
    (["DB", "--scenario", "nope"], "--scenario: nope: expected a scenario of sweep 'report_small'"),
    (["DB", "--reference", "nope"], "--reference: nope: expected one of the report's scenarios"),
    (["DB", "--lang", "de"], "argument --lang: invalid choice: 'de'"),
    (["DB", "--out", "FOLDER"], "--out: "),
    (["DB", "--out", "report.txt"], "expected a file name ending in .html"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(sweep_db, tmp_path, capsys, args, fragment):
    (tmp_path / "FOLDER").mkdir()
    (tmp_path / "NOTSQLITE").write_text("not a database\n")
    subst = {"DB": str(sweep_db), "NOTSQLITE": str(tmp_path / "NOTSQLITE"), "FOLDER": str(tmp_path / "FOLDER"),
             "missing.db": str(tmp_path / "missing.db"), "report.txt": str(tmp_path / "report.txt")}
    argv = ["report"] + [subst.get(a, a) for a in args]
    if "--out" not in args:
        argv += ["--out", str(tmp_path / "out.html")]
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FOLDER", "NOTSQLITE"]


def test_cli_report_writes_atomically(sweep_db, tmp_path, capsys):
    out = tmp_path / "sub" / "r.html"
    assert main(["report", str(sweep_db), "--scenario", "funding_minus50", "--lang", "nl", "--out", str(out),
                 "--reruns", "1"]) == 0
    cap = capsys.readouterr()
    assert "Written:" in cap.out
    # progress on standard error: the re-runs counted against their total, then the figures
    assert re.search(r"re-running stored runs: 1/1 \[", cap.err) and re.search(r"drawing figures: \d+ \[", cap.err), cap.err
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]   # no temporary file left behind
    assert main(["report", str(sweep_db), "--scenario", "funding_minus50", "--out", str(out), "--reruns", "1",
                 "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_provenance_of_every_parameter():
    rows = parameters()
    base = load(SCENARIO_DIR / "uncalibrated_defaults.toml").params
    keys = {r.key for r in rows}
    for k in base:  # every flat parameter belongs to a row (an inline table is one row)
        assert k in keys or any(k.startswith(r + ".") for r in keys), k
    kinds = {r.kind for r in rows}
    assert {"source", "assumption", "setting", "calibrated"} <= kinds
    cal = [r for r in rows if r.kind == "calibrated"]
    assert len(cal) == len(calibrated_values()) == len(load_priors().names) and all(r.calibrated["lo"] and r.calibrated["hi"] for r in cal)
    assert all(r.comment for r in rows)
    assert classify("euro/month [000 L3867] split by planned activity (assumption)") == "source_assumption"
    assert classify("setting: sub-steps") == "setting" and classify("assumption") == "assumption"


def test_report_code_is_not_part_of_the_run_ids():
    # editing the report must not change code_version(): stored runs stay valid
    assert not [p for p in model_files() if "report" in p.relative_to(ROOT).parts]



def test_probabilities_count_runs_at_or_above_the_target_at_the_end_of_each_year(sweep_db, monkeypatch):
    """A run that reaches 500+ partners and falls below again does not count at the end of the year it fell: the
    table and the figure show less than 100 %, and the headline table says so for 2030 (after the programme)."""
    from propeller.app.report import figures

    data = SweepData.load(sweep_db, reruns=1)
    runs = data.runs[data.runs["label"] == "calibrated"]["run_id"].tolist()
    half = set(runs[: len(runs) // 2])
    o = data.outcomes
    rows = o["run_id"].isin(half)
    o.loc[rows & (o["date"] >= "2026-01"), "partners_total"] = 600     # above the target from 2026 ...
    o.loc[rows & (o["date"] >= "2029-06"), "partners_total"] = 450     # ... and below it again from mid-2029
    p = data.reach_probability("calibrated", "partners_total", 500)
    share = len(half) / len(runs)
    assert p[2025] == 0.0 and p[2026] == p[2028] == pytest.approx(share) and p[2029] == p[2030] == 0.0
    seen = {}
    real = figures.probabilities
    monkeypatch.setattr(figures, "probabilities", lambda d, t, probs: seen.update(probs) or real(d, t, probs))
    html = ReportBuilder(data, "en").render()
    assert seen[("target_500", "calibrated")][2027] == pytest.approx(share) and share < 1.0
    assert seen[("target_500", "calibrated")][2030] == 0.0
    prob_table = html[html.index('id="prob"'):html.index('id="occupancy"')]
    row = re.search(r"<tr><td>[^<]*500[^<]*</td><td>calibrated \(as planned\)</td>(.*?)</tr>", prob_table).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert len(cells) == 7 and cells[0] == cells[1] == "0 %" and cells[-1] == "0 %"  # 2024 .. 2030
    assert all(c != "100 %" for c in cells) and any(c not in ("0 %", "–") for c in cells)
    # the headline table: met at the end of 2027, and still met after the programme ends (2030)?
    key = html[html.index("P(500+ partners)"):html.index('id="partners"')]
    assert key.startswith("P(500+ partners): end of 2027 · end of 2030")
    cell = re.search(r'<tr class="ref"><td>calibrated \(as planned\)</td><td class="num">([^<]*)</td>', key).group(1)
    assert cell == f"{round(100 * share)} % · 0 %", cell


def test_the_reference_is_explicit_and_its_rule_stated(sweep_db):
    """Differences are taken from --reference, else from 'calibrated', else from the sweep's first scenario; one
    scenario has none. The report and `compare` say which rule chose it."""
    from propeller.app.analysis import compare, format_compare, pick_reference

    assert pick_reference(["a", "calibrated"]) == ("calibrated", "calibrated")
    assert pick_reference(["funding=0.5", "funding=1"]) == ("funding=0.5", "first")
    assert pick_reference(["a", "calibrated"], "a") == ("a", "option")
    assert pick_reference(["calibrated"]) == (None, "none")
    table, info = compare(sweep_db)
    assert info["reference"] == "calibrated" and "the calibrated scenario: the default reference" in format_compare(
        table, info)
    table, info = compare(sweep_db, reference="funding_minus50")
    assert "difference from 'funding_minus50' (chosen with --reference)" in format_compare(table, info)
    html = ReportBuilder(SweepData.load(sweep_db, reruns=1), "en").render()
    assert "Reference scenario: calibrated (as planned), the calibrated scenario, the reference whenever" in html
    assert "design over" not in html  # a posterior sweep is what the report was made for
    assert 'id="discover"' not in html  # and has no factors for scenario discovery to box
    html = ReportBuilder(SweepData.load(sweep_db, reference="funding_minus50", reruns=1), "nl").render()
    assert "Referentiescenario: financiering −50 %, gekozen voor dit rapport (--reference)" in html


def test_a_factor_design_is_named_and_no_chart_has_more_than_six_scenarios(sweep_db):
    import dataclasses

    data = SweepData.load(sweep_db, reruns=1)
    grid = dataclasses.replace(data, info={**data.info, "design": {"kind": "grid"},
                                           "factors": [{"name": "f", "keys": ["funding.multiplier"]}]})
    notes = ReportBuilder(grid, "en").reading_notes()
    assert "This sweep is a grid design over funding.multiplier (2 points)" in notes
    many = dataclasses.replace(data, labels=["calibrated", *(f"p{i}" for i in range(11))])
    groups = ReportBuilder(many, "en").scenario_groups()
    assert all(len(g) <= 6 and g[0] == "calibrated" for g in groups)              # the reference keeps its colour
    assert sorted({lab for g in groups for lab in g}) == sorted(many.labels) and len(groups) == 3
    assert ReportBuilder(data, "en").scenario_groups() == [data.labels]


@pytest.mark.parametrize("lang, name", [("en", "funding −50 %"), ("nl", "financiering −50 %")])
def test_scenarios_go_by_their_names_in_the_readers_language(reports, lang, name):
    text = Path(reports[lang]["out"]).read_text(encoding="utf-8")
    body = text[:text.index('id="appendix"')]
    assert body.count(name) >= 3 and "funding_minus50" not in body   # the file name only in the appendix
    assert "<code>funding_minus50</code>" in text[text.index('id="appendix"'):]
