"""The app in a real browser (Playwright driving Debian's Chromium): pick a preset, click a graph
node, run a prompt on the embedded model, read the answer and the candidate cards.

A screenshot of each step is saved under test-artifacts/ for people to look at.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = _free_port()
    env_data = tmp_path_factory.mktemp("data")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
            "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false", "--browser.serverAddress=127.0.0.1",
        ],
        cwd=ROOT,
        env={**os.environ, "ARCHON_DATA_DIR": str(env_data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the app did not start within 60 s") from None
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    page.close()


def settle(page: Page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the rerun a click started."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_deep_link_as_the_servers_first_request_opens_that_page(page, app_url):
    """The first test to load a page: a fresh server must route /settings through the navigation."""
    page.goto(f"{app_url}/settings")
    settle(page)

    page.get_by_role("heading", name="Settings").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Search" in nav and "design" not in nav  # the navigation's titles, not file names


def test_pick_a_preset_click_a_node_and_run_it_on_the_embedded_model(page, app_url):
    page.goto(app_url)
    settle(page)
    page.locator(".st-key-design-card-b-moa-lite [data-testid^=stBaseButton]").click()
    settle(page)
    shot(page, "1-design-moa-lite")

    graph = page.locator('iframe[title="streamlit_agraph.agraph"]')
    graph.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # vis.js draws the nodes after the frame loads
    box = graph.bounding_box()
    fuser_explanation = page.get_by_text("Mixture-of-Agents aggregation step")
    for fraction in (0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6):  # the fuser is the rightmost node
        page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        settle(page)
        if fuser_explanation.count():
            break
    assert fuser_explanation.count() == 1, "clicking the fuser node did not show its settings"
    shot(page, "2-design-node-clicked")

    page.get_by_role("link", name="Run").click()
    settle(page)
    page.get_by_label("Prompt", exact=True).fill("What is the capital of Japan?")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("button", name="Download the trace (JSON)").wait_for(timeout=240_000)
    settle(page)
    assert page.get_by_text("Final answer").count() == 1
    for proposer in ("L0.C0.s0", "L0.C1.s0", "L0.C2.s0"):  # a card per candidate of layer 0
        assert page.get_by_text(proposer, exact=True).first.is_visible()
    shot(page, "3-run-finished")

    page.get_by_role("tab", name="L1 · fuser").click()
    page.get_by_text("L1.C0.s0", exact=True).first.wait_for()
    shot(page, "4-run-fusion")
    assert [e for e in page.console_errors if "favicon" not in e] == []


def test_compare_the_design_with_the_embedded_model_then_find_it_in_history(page, app_url):
    page.goto(app_url)
    settle(page)
    page.get_by_role("link", name="Compare").click()
    settle(page)
    limit = page.get_by_label("First N items", exact=True).and_(page.get_by_role("spinbutton"))
    limit.fill("2")
    limit.press("Enter")
    settle(page)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("button", name="Download the table (CSV)").wait_for(timeout=240_000)
    settle(page)
    assert page.get_by_text("Best single model:").count() == 1  # the callout (the charts label it too)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(1).wait_for(timeout=30_000)  # plotly draws after the page settles
    assert charts.count() == 2  # quality vs cost, quality vs latency
    assert page.get_by_text("Every item, side by side").count() == 1
    page.get_by_text("Best single model:").scroll_into_view_if_needed()
    shot(page, "5-compare-finished")

    page.get_by_role("link", name="History").click()
    settle(page)
    page.get_by_role("tab", name="Evaluations").click()
    page.get_by_role("button", name="Open in Compare").wait_for()
    shot(page, "6-history")
    assert [e for e in page.console_errors if "favicon" not in e] == []
