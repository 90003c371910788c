"""Hostile text cannot inject markup or script into the report or the dashboard.

The payloads - a ``<script>`` element, an ``" onerror=`` attribute break-out, an ``<img onerror>`` and matplotlib's
``$...$`` maths - travel in everything a user names: a scenario's file name (the report and the dashboard show it),
its header comment (the report's scenario description), the sweep's description, a design point's label. Spec names
and factor names are refused unless they are plain identifiers. Each test checks the HTML is escaped and that
Chromium, opening the page, runs none of it."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from propeller.app.sweeps.design import build_plan
from propeller.app.sweeps.execute import execute
from propeller.app.sweeps.spec import SpecError, load_spec

pytestmark = pytest.mark.serial  # signals, kills or a browser against a clock: run alone (pyproject.toml)
ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
CHROMIUM = Path("/usr/bin/chromium")
SCRIPT = "<script>window.__pwned = 1</script>"
ATTR = '" onerror="window.__pwned=2" x="'
IMG = "<img src=x onerror=\"window.__pwned=3\">"
SVG = "<svg onload=window.__pwned=4>"
MATH = "$x^{2}$ \\frac{1}{0}"
OPEN_SCRIPT = "<script>window.__pwned=5"  # no '/' in a file name: an unclosed script element
EVIL_NAME = f"evil{ATTR}{SVG}{OPEN_SCRIPT}{MATH}"


def hostile_scenario(folder: Path, extra: str = "") -> Path:
    scen = folder / f"{EVIL_NAME}.toml"
    scen.write_text(f"# Library scenario evil: {SCRIPT} {IMG} {ATTR} {MATH}\n"
                    f"extends = {json.dumps(str(LIB / 'calibrated.toml'))}\n{extra}[funding]\nmultiplier = 0.9\n",
                    encoding="utf-8")
    return scen


def browser_or_skip() -> None:
    """Skip without a browser (playwright, Debian's chromium, solara's front-end files); under CI, fail instead."""
    from tests.test_dashboard import _browser_ready

    reason = _browser_ready()
    if reason:
        if os.environ.get("CI", "").lower() not in ("", "false", "0"):
            pytest.fail(reason)
        pytest.skip(reason)


def assert_inert(html: str) -> None:
    """No element or attribute of a payload survives as markup."""
    assert "<script" not in html.lower()  # the pages have no script of their own in these places
    assert not re.search(r"<(img|svg)[^>]*on(error|load)", html, re.I)
    assert 'onerror="window' not in html


# ------------------------------------------------------------------------------------------ the report
@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    scen = hostile_scenario(d)
    spec = d / "spec.toml"
    spec.write_text(f"name = \"hostile\"\ndescription = {json.dumps(SCRIPT + IMG + ATTR + MATH)}\n"
                    f"scenarios = {json.dumps([str(LIB / 'calibrated.toml'), str(scen)])}\n"
                    'seed = 3\nreplications = 2\nuntil = "2025-09"\n'
                    '[overrides]\nsimulation.region = "midden"\n', encoding="utf-8")
    db = d / "hostile.db"
    res = execute(build_plan(load_spec(spec)), db, workers=1, progress=False, stream=io.StringIO())
    assert res.stored == 4
    from propeller.app.report import build_report

    out = d / "report.html"
    manifest = build_report(db, out, reruns=1)
    assert EVIL_NAME in manifest["scenarios"]  # the scenario is in the report under its own name
    return out


def test_payloads_are_escaped_in_the_report(hostile_report):
    html = hostile_report.read_text(encoding="utf-8")
    scripts = [m for m in re.finditer(r"<script", html, re.I)]
    assert not scripts
    assert_inert(html)
    assert "evil&quot; onerror=&quot;window.__pwned=2&quot; x=&quot;&lt;svg onload=window.__pwned=4&gt;" in html
    assert "&lt;script&gt;window.__pwned=5" in html  # the name, as text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html  # the header comment and the description
    assert "&lt;img src=x onerror=&quot;window.__pwned=3&quot;&gt;" in html  # the header comment, as text


def test_chromium_runs_nothing_from_the_report(hostile_report):
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    dialogs, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page()
        page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
        page.on("request", lambda r: r.url.startswith(("file:", "data:")) or outside.append(r.url))
        page.goto(hostile_report.as_uri())
        page.wait_for_load_state("load")
        pwned = page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")
        injected = page.evaluate("() => document.querySelectorAll('script, svg[onload], [onerror], [onload]').length")
        text = page.inner_text("body")
        browser.close()
    assert pwned is None and injected == 0 and not dialogs
    assert not outside  # "<img src=x>" as markup would have asked for x
    assert SCRIPT in text and IMG in text and SVG in text  # shown as text where the names and descriptions appear


# ------------------------------------------------------------------------------------------ names refused
@pytest.mark.parametrize("where", ["name", "factor"])
def test_hostile_spec_and_factor_names_are_refused(tmp_path, where):
    spec = tmp_path / "spec.toml"
    name = json.dumps(SCRIPT)
    body = (f"name = {name}\n" if where == "name" else 'name = "ok"\n') + (
        f'scenarios = [{json.dumps(str(LIB / "calibrated.toml"))}]\nseed = 1\n')
    if where == "factor":
        body += f'[factors.{json.dumps(ATTR)}]\nkey = "funding.multiplier"\nlevels = [0.5, 1.0]\n'
    spec.write_text(body, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    line = str(err.value)
    assert "\n" not in line and ("name: expected a name of letters" in line
                                 or "expected a factor name that is a Python identifier" in line), line


# ------------------------------------------------------------------------------------------ the dashboard
def test_dashboard_shows_a_hostile_scenario_name_as_text(tmp_path):
    from tests.test_dashboard import start_dashboard

    browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    scen = hostile_scenario(tmp_path, extra='[simulation]\nregion = "midden"\n')
    dialogs, errors = [], []
    with start_dashboard(tmp_path, ["--scenario", str(scen)]) as (url, _port, log), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(20_000)
        page.goto(url)
        overview = page.locator(".propeller-overview").first
        expect(overview).to_contain_text("Scenario file:", timeout=30_000)
        expect(overview).to_contain_text(SVG + OPEN_SCRIPT)  # the name as text ...
        injected = page.evaluate("() => document.querySelectorAll('.propeller-overview script, "
                                 ".propeller-overview svg, [onerror], [onload]').length")
        page.get_by_role("button", name="Step").click()
        expect(page.locator(".propeller-month").first).to_have_text("Month 1")
        pwned = page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")
        page_text = page.inner_text("body")
        browser.close()
    assert injected == 0 and pwned is None and not dialogs, (injected, pwned, dialogs)  # ... and nothing ran
    assert not errors, errors
    assert OPEN_SCRIPT in page_text
    assert "Traceback" not in log.read_text()
