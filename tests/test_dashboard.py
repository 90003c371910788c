"""The dashboard: the model behind it, its set-up, and the page in a real browser.

The browser test starts ``propeller dashboard`` on a free port of 127.0.0.1, opens the page in
Debian's headless Chromium through Playwright, steps, changes a slider, resets, looks at the
analyst page, saves screenshots in outputs/ and stops the server. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from propeller.app.dashboard.model import REPORTERS, DashboardModel
from propeller.core.constants import HUBS, PHASES
from propeller.core.simulate import simulate
from propeller.scenarios.loader import load

pytestmark = pytest.mark.serial  # signals, kills or a browser against a clock: run alone (pyproject.toml)
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


# ---------------------------------------------------------------------------------------------- model
def test_default_dashboard_model_is_the_scenario():
    """Untouched controls = the scenario file: the DataCollector series equal simulate()'s columns."""
    m = DashboardModel(region="noord", rng=3)
    m.run_for(8)
    dc = m.datacollector.get_model_vars_dataframe()
    calibrated = ROOT / "scenarios" / "calibrated.toml"  # the dashboard's default scenario
    ts = simulate(load(calibrated, overrides={"simulation.region": "noord"}), seed=3, until="2024-11")["timeseries"]
    assert len(dc) == len(ts) == 9
    np.testing.assert_array_equal(dc["Partners"], ts["partners_total"])
    np.testing.assert_array_equal(dc["KPI 4"], ts["kpi4_mkb"])
    np.testing.assert_array_equal(dc["KPI 5"], ts["kpi5_skilled"])
    np.testing.assert_array_equal(dc["Partners Noord"], ts["partners_noord"])
    np.testing.assert_allclose(dc["Adopted share"], ts["adopted_share"])
    for p in PHASES:
        np.testing.assert_allclose(dc[f"Phase {p}"], ts[f"partner_phase_{p}"])
    np.testing.assert_allclose(dc["Activity level"], ts["activity_level_noord"])


def test_levers_reach_the_parameters():
    base = load(ROOT / "scenarios" / "calibrated.toml")  # the default scenario
    m = DashboardModel(region="west", funding=0.5, connector=0.5, connector_leaves="2026-01", follower_weight=1.0,
                       events=2.0, coaching=0.0, rng="7")
    p = m.p
    assert m.seed == 7 and p["simulation.region"] == "west" and p["funding.multiplier"] == 0.5
    assert p["ecosystem.class_weight"] == base["ecosystem.class_weight"][:-1] + [1.0]
    assert p["hubs.west.connector_strength"] == 0.5 * base["hubs.west.connector_strength"]
    assert p["hubs.west.connector_leaves"] == "2026-01"
    assert p["hubs.west.instruments.events"] == 2.0 * base["hubs.west.instruments.events"]
    assert p["hubs.west.instruments.coaching"] == 0.0
    assert p["hubs.noord.instruments.events"] == base["hubs.noord.instruments.events"]  # other hubs untouched
    m_all = DashboardModel(region="all", connector=2.0, rng=0)  # capped at 1; every hub in an all-hubs run
    assert all(m_all.p[f"hubs.{h}.connector_strength"] == min(1.0, 2 * base[f"hubs.{h}.connector_strength"])
               for h in HUBS)
    with pytest.raises(ValueError, match="seed"):
        DashboardModel(rng="abc")


def test_layout_once_and_without_touching_the_run():
    a, b = DashboardModel(region="midden", rng=5), DashboardModel(region="midden", rng=5)
    layout = a.layout()
    assert a.layout() is layout                       # once per model
    a.run_for(6)
    b.run_for(6)
    np.testing.assert_array_equal(a.stage, b.stage)   # the layout drew nothing from the model's generators
    assert a.layout() is layout
    view = a.network_view("digitalisation")
    n = a.pop.n
    assert view["pos"].shape == (n, 2) and view["phase"].shape == (n,) and np.isfinite(view["pos"]).all()
    assert view["hub_names"] == ["midden"]
    assert sum(len(e) for e in view["hub_edges"].values()) == int((a.eco.rings()[:, HUBS.index("midden")] > 0).sum())


def test_stops_at_the_horizon():
    m = DashboardModel(region="midden", rng=0)
    m.run_for(m.n_months + 3)
    assert not m.running and m.t == m.n_months and len(m.datacollector.get_model_vars_dataframe()) == m.n_months + 1


def test_render_functions():
    from propeller.app.dashboard.render import network_png, series_spec, steps_spec

    m = DashboardModel(region="oost", rng=1)
    m.run_for(2)
    assert network_png(m, "biobased_circular")[:8] == b"\x89PNG\r\n\x1a\n"
    spec = series_spec(m, {"Partners": "#1f77b4"}, "partners", (500, "500+"))
    assert len(spec["layer"]) == 3 and len(spec["layer"][0]["data"]["values"]) == 3
    assert spec["layer"][1]["data"]["values"][0]["y"] == 500
    assert sum(v["organisations"] for v in steps_spec(m, "digitalisation")["data"]["values"]) == m.pop.n


def test_month_axis_shows_whole_months_as_dates():
    """The x axis of the series: ticks on whole months only, each labelled by its date (the Vega expression,
    evaluated here with Vega's functions toString, floor and pad)."""
    import math

    from propeller.app.dashboard.render import month_axis

    axis = month_axis("2024-03")
    assert axis["tickMinStep"] == 1 and axis["format"] == "d"

    def label(month: int) -> str:
        def pad(s, n, c, _align):
            return s.rjust(n, c)
        expr = axis["labelExpr"].replace("datum.value", str(month))
        return eval(expr, {"toString": lambda v: str(int(v)), "floor": math.floor, "pad": pad})  # noqa: S307

    assert [label(m) for m in (0, 9, 10, 21, 81)] == ["2024-03", "2024-12", "2025-01", "2025-12", "2030-12"]


def test_app_parameters_fit_the_model():
    """Every control names a DashboardModel argument (Mesa's own check), and the start values build a model."""
    from mesa.visualization.solara_viz import _check_model_params

    from propeller.app.dashboard import app

    assert callable(app.Page)
    m = DashboardModel(**app.initial_kwargs(app.PARAMS))
    _check_model_params(m, app.PARAMS)
    assert set(REPORTERS) <= set(m.datacollector.model_vars)
    assert "scenarios/uncalibrated_defaults.toml" in app.PARAMS["scenario_file"]["values"]
    if app.SCENARIO is None:  # no scenario named: the calibrated one, not the uncalibrated prior defaults
        assert app.PARAMS["scenario_file"]["value"] == "scenarios/calibrated.toml"


def test_asset_list_follows_solara():
    """The front-end files solara's page and widgets ask for are the ones propeller.app.dashboard.assets fetches."""
    import solara

    from propeller.app.dashboard.assets import PACKAGES

    base = Path(solara.__file__).parent
    files = [base / "server" / "templates" / "solara.html.j2", base / "widgets" / "vue" / "gridlayout.vue",
             base / "widgets" / "vue" / "vegalite.vue"]
    text = "\n".join(f.read_text() for f in files)
    text = text.split("{% if vue3 == True %}")[0] + text.split("{% else %}", 1)[-1]  # the Vue 2 branch
    asked = set(re.findall(r"(?:\{\{cdn\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/", text))
    asked.discard("@widgetti/solara-vuetify3-app@5.2.0")
    assert asked <= set(PACKAGES), asked - set(PACKAGES)


def test_dashboard_command_refuses_bad_input():
    exe = Path(sys.executable).parent / "propeller"
    r = subprocess.run([str(exe), "dashboard", "--scenario", "missing.toml"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "missing.toml" in r.stderr
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:   # a port already in use
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([str(exe), "dashboard", "--port", str(port)], cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "in use" in r.stderr
    from propeller.app.cli import build_parser

    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1" and args.port == 8765


# ---------------------------------------------------------------------------------------------- browser
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                found.add(addr)
    return found


def _browser_ready() -> str | None:
    from propeller.app.dashboard.assets import missing

    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (bash tools/browser.sh installs Debian's chromium)"
    if missing():
        return f"solara's front-end files are missing: {missing()} (bash tools/browser.sh)"
    return None


@contextlib.contextmanager
def start_dashboard(tmp_path: Path, args: list[str] = ()):
    """``propeller dashboard ARGS --port P`` in a subprocess, until it answers: yields (url, port, log)."""
    port = _free_port()
    log = tmp_path / "server.log"
    exe = Path(sys.executable).parent / "propeller"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "dashboard", *args, "--port", str(port)], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the dashboard did not answer within 40 s\n" + log.read_text()
            time.sleep(0.25)
        yield url, port, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def dashboard(tmp_path):
    reason = _browser_ready()
    if reason:
        if os.environ.get("CI", "").lower() not in ("", "false", "0"):
            pytest.fail(reason)
        pytest.skip(reason)
    with start_dashboard(tmp_path) as running:
        yield running


def test_dashboard_in_a_browser(dashboard):
    from playwright.sync_api import expect, sync_playwright

    url, port, log = dashboard
    assert _listening_addresses(port) == {"0100007F"}, "listens on 127.0.0.1 only"
    errors, outside = [], []
    (ROOT / "outputs").mkdir(exist_ok=True)
    t0 = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
        page.on("request", lambda r: r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
                or outside.append(r.url))
        page.set_default_timeout(20_000)
        expect.set_options(timeout=20_000)
        page.goto(url)
        month = page.locator(".propeller-month").first
        expect(month).to_have_text("Month 0")
        caption = page.locator(".series-caption").first       # under the partners chart
        expect(caption).to_contain_text("(1 month plotted; no 500+ partners line: the target counts all hubs")
        expect(page.locator(".vega-embed canvas, .vega-embed svg.marks")).to_have_count(4)

        step = page.get_by_role("button", name="Step")
        for k in (1, 2, 3):                                    # step: the month and the plotted series advance
            step.click()
            expect(month).to_have_text(f"Month {k}")
        expect(page.locator(".propeller-runinfo").first).to_have_text(re.compile(r"2024-06: month 3 of \d+"))
        expect(caption).to_contain_text("2024-06: Partners")
        expect(caption).to_contain_text("(4 months plotted; no 500+ partners line: the target counts all hubs")
        # named pages, and none of Mesa's controls that change nothing here
        expect(page.get_by_role("tab", name="Steering")).to_be_visible()
        expect(page.get_by_role("tab", name="Analyst")).to_be_visible()
        body = page.locator("body").inner_text()
        for gone in ("Page 0", "Page 1", "Use Threads", "Play Interval", "Render Interval", "Time: "):
            assert gone not in body, gone

        funding_input = page.locator(".v-input", has_text="Funding from").first
        expect(funding_input).to_contain_text(": 1.00")        # the slider's value beside its label
        funding = funding_input.locator("[role=slider]").first
        funding.focus()
        for _ in range(10):                                    # 1.0 -> 0.5 in steps of 0.05
            page.keyboard.press("ArrowLeft")
        expect(funding).to_have_attribute("aria-valuenow", "0.5")
        expect(funding_input).to_contain_text(": 0.50")
        page.wait_for_timeout(500)  # ipywidgets sends a burst of slider values one at a time: let the last arrive
        reset = page.get_by_role("button", name="Reset")
        reset.click()                                          # the slider takes effect on Reset
        expect(month).to_have_text("Month 0")
        lever = page.locator(".lever-funding").first
        try:
            expect(lever).to_have_text("0.5", timeout=3_000)
        except AssertionError:                                 # the last value came after the click: once more
            print("dashboard test: second Reset needed")
            reset.click()
            expect(lever).to_have_text("0.5")
        step.click()
        expect(month).to_have_text("Month 1")
        page.wait_for_timeout(500)  # the charts redraw after the month text: let them, for the screenshot
        page.screenshot(path=str(ROOT / "outputs" / "dashboard_steering.png"), full_page=True)

        page.get_by_role("tab", name="Analyst").click()        # the analyst page: network and propeller
        network = page.locator("img.propeller-network, .propeller-network img").first
        expect(network).to_be_visible()
        assert network.evaluate("img => img.naturalWidth") >= 400
        step.click()
        expect(page.locator(".propeller-month").last).to_have_text("Month 2")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ROOT / "outputs" / "dashboard.png"), full_page=True)

        # all hubs: the programme's target lines apply (and are named in the overview)
        page.get_by_role("tab", name="Steering").click()
        page.locator(".v-input", has_text="Region").first.click()
        page.get_by_role("option", name="all", exact=True).click()
        page.wait_for_timeout(300)
        reset.click()
        expect(page.locator(".propeller-overview").first).to_contain_text("All hubs", timeout=30_000)
        expect(page.locator(".propeller-overview").first).to_contain_text("target 500+ partners (all hubs)")
        expect(caption).not_to_contain_text("no 500+ partners line")
        browser.close()
    elapsed = time.monotonic() - t0
    server = log.read_text()
    assert not errors, "\n".join(errors)
    assert not outside, outside
    assert "Could not load URL" not in server and "Traceback" not in server, server
    assert elapsed < 60, f"browser session took {elapsed:.0f} s"
