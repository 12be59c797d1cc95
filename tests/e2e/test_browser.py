"""The app in a real browser (Playwright driving Debian's Chromium): pick a preset, click a graph
node, run a prompt on the embedded model, read the answer and the candidate cards; compare; keep a
typed key off the page; keep two sessions apart; bad input.

A screenshot of each step is saved under test-artifacts/ for people to look at.
"""

import itertools
import os
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.app_server import IDLE, ROOT, running_app

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("log") / "streamlit.log"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, server_log):
    env = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}  # no provider ready
    env["ARCHON_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    with running_app(server_log, env=env, debug=True) as url:
        yield url


def open_page(browser) -> Page:
    """A page in a context of its own (its own cookies: a separate Streamlit session), recording console
    errors and every websocket frame the server sends."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.console_errors, page.frames_received = [], []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: page.frames_received.append(frame)))
    return page


@pytest.fixture
def page(browser):
    page = open_page(browser)
    yield page
    page.context.close()


def settle(page: Page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the rerun a click started."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)


def fill_number(page: Page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True).and_(page.get_by_role("spinbutton"))
    box.fill(str(value))
    box.press("Enter")
    settle(page)


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
    fusion_tab = page.get_by_role("tab", name="L1 · fuser")
    fusion_tab.click()  # while the run goes: the tab stays picked when the finished view replaces the live one
    page.get_by_role("button", name="Download the trace (JSON)").wait_for(timeout=240_000)
    settle(page)
    assert fusion_tab.get_attribute("aria-selected") == "true"
    page.get_by_role("tab").first.click()  # layer 0, for the candidate cards
    assert page.get_by_text("Final answer").count() == 1
    for proposer in ("L0.C0.s0", "L0.C1.s0", "L0.C2.s0"):  # a card per candidate of layer 0
        assert page.get_by_text(proposer, exact=True).filter(visible=True).count() > 0
    shot(page, "3-run-finished")

    page.get_by_role("tab", name="L1 · fuser").click()
    page.get_by_text("L1.C0.s0", exact=True).filter(visible=True).first.wait_for()  # the fusion's card
    assert page.get_by_text("Where it came from:").first.is_visible()  # the fusion's provenance legend
    shot(page, "4-run-fusion")

    flow = page.locator('iframe[title="streamlit_agraph.agraph"]')  # the run's flow, above the tabs
    flow.scroll_into_view_if_needed()
    box = flow.bounding_box()
    written_by = page.get_by_text("written by call-")
    for x, y in itertools.product((0.35, 0.3, 0.4, 0.25, 0.45), (0.5, 0.35, 0.65, 0.2, 0.8)):  # a candidate node
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
        settle(page)
        if written_by.count():
            break
    assert written_by.count() == 1, "clicking a candidate in the flow did not show its text and call"
    shot(page, "5-run-flow-node")
    assert [e for e in page.console_errors if "favicon" not in e] == []


def test_a_design_survives_a_reload_and_its_link_opens_it_in_another_browser(browser, app_url):
    first, second = open_page(browser), open_page(browser)
    try:
        first.goto(app_url)
        settle(first)
        first.locator(".st-key-design-card-b-moa-lite [data-testid^=stBaseButton]").click()
        settle(first)
        first.wait_for_url("**design=*")
        first.reload()
        settle(first)
        assert "design=" in first.url
        second.goto(first.url)  # the link, opened in another browser
        settle(second)
        for page, name in ((first, "reload-1-same-design"), (second, "reload-2-link-in-another-browser")):
            go(page, "Run")  # the Run page names the design (the Design page's gallery names every preset)
            shown = page.content()
            assert "MoA-Lite" in shown and "Single model (baseline)" not in shown
            shot(page, name)
    finally:
        first.context.close()
        second.context.close()


def test_compare_the_design_with_the_embedded_model_then_find_it_in_history(page, app_url):
    page.goto(app_url)
    settle(page)
    page.get_by_role("link", name="Compare").click()
    settle(page)
    fill_number(page, "First N items", 2)
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


def go(page: Page, title: str) -> None:
    """Open a page from the sidebar's navigation."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title, exact=True).click()
    settle(page)
    page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)


def run_prompt(page: Page, prompt: str) -> None:
    """Run ``prompt`` and wait for its finished view (a different prompt from the page's last run)."""
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(f"Last run: “{prompt[:24].strip()}").wait_for(timeout=240_000)
    settle(page)


def type_key(page: Page, provider: str, key: str) -> None:
    go(page, "Settings")
    page.get_by_label("Provider", exact=True).click()  # the selectbox opens its list
    page.get_by_role("option", name=provider, exact=True).click()
    page.get_by_role("textbox", name="API key").fill(key)
    page.get_by_role("button", name="Use this key").click()
    page.get_by_text(f"{provider} is ready for this session.").wait_for()
    settle(page)  # that rerun has drawn the providers' table too (on a busy machine it draws after the message)


def provider_row(page: Page, provider: str) -> list[str]:
    """The Settings table's row of ``provider``: provider, ready, key from, variable."""
    grid = page.locator('[data-testid="stDataFrame"] [role="gridcell"]')
    grid.get_by_text(provider, exact=True).wait_for(
        state="attached", timeout=30_000
    )  # the table is drawn after the script ends
    cells = grid.all_inner_texts()
    start = cells.index(provider)
    return cells[start : start + 4]


def received(page: Page) -> bytes:
    return b"".join(f if isinstance(f, bytes) else f.encode() for f in page.frames_received)


def test_a_key_typed_in_settings_reaches_neither_the_page_nor_the_server_log(page, app_url, server_log):
    canary = "sk-page-canary-" + secrets.token_hex(12)
    page.goto(app_url)
    settle(page)
    type_key(page, "openai", canary)
    assert provider_row(page, "openai")[:2] == ["openai", "✅"]
    pages = [page.content()]
    go(page, "Run")
    run_prompt(page, "What is the capital of Japan?")
    pages.append(page.content())
    for title in ("Design", "Compare", "Search", "History", "Settings"):
        go(page, title)
        pages.append(page.content())

    for piece in (canary, canary[-12:]):
        assert not any(piece in html for html in pages), "the key is in the page's HTML"
        assert piece.encode() not in received(page), "the server sent the key to the browser"
        assert piece.encode() not in server_log.read_bytes(), "the key is in the server's log"
    assert [e for e in page.console_errors if "favicon" not in e] == []


def test_two_sessions_at_once_see_neither_each_others_design_nor_keys_nor_run(browser, app_url):
    alice, bob = open_page(browser), open_page(browser)
    try:
        alice.goto(app_url)
        bob.goto(app_url)
        settle(alice)
        settle(bob)
        type_key(alice, "anthropic", "sk-ant-alice-" + secrets.token_hex(8))
        go(alice, "Run")
        run_prompt(alice, "Alice asks: what is the capital of Peru?")
        go(alice, "Design")
        alice.locator(".st-key-design-card-b-moa-lite [data-testid^=stBaseButton]").click()
        settle(alice)
        go(alice, "Run")
        assert alice.get_by_text("MoA-Lite", exact=False).count() > 0

        go(bob, "Run")
        bob_run = bob.content()
        assert "Alice asks" not in bob_run and "Final answer" not in bob_run  # not her run
        assert "MoA-Lite" not in bob_run and "Single model (baseline)" in bob_run  # not her design
        go(bob, "Settings")
        assert provider_row(bob, "anthropic")[:2] == ["anthropic", "—"]  # not her key
        go(alice, "Settings")
        assert provider_row(alice, "anthropic")[:2] == ["anthropic", "✅"]
        assert b"Alice asks" not in received(bob)
    finally:
        alice.context.close()
        bob.context.close()


def paste(page: Page, text: str) -> None:
    """Paste a design's JSON on the Design page and load it."""
    if page.get_by_role("tab", name="Import Archon JSON").count() == 0:
        page.get_by_text("Start from a preset, an Archon JSON, or from scratch").click()
        settle(page)
    page.get_by_role("tab", name="Import Archon JSON").click()
    page.get_by_label("…or paste the JSON").fill(text)
    page.get_by_role("button", name="Load the pasted JSON").click()
    settle(page)


def test_bad_input_in_the_browser_gets_one_message_and_the_page_keeps_working(page, app_url):
    page.goto(app_url)
    settle(page)
    for text, message in (
        ('{"layers": [[{"type": "generator",', "invalid JSON at line 1"),
        ('{"layers": [[{"type": "generator", "model": "m", "samples": "five"}]]}', "layers[0][0].samples"),
        (
            '{"name": "huge", "layers": [[{"type": "generator", "model": "local/smollm2-135m", "samples": 10000}],'
            ' [{"type": "fuser", "model": "local/smollm2-135m"}]]}',
            "10,000 candidates reach this fuser",
        ),
    ):
        paste(page, text)
        assert page.locator('[data-testid="stAlertContentError"]', has_text=message).count() == 1, message
        assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "7-bad-input-design")

    go(page, "Run")
    assert page.get_by_role("button", name="Run", exact=True).is_disabled()  # the huge design cannot run
    for design, prompt, message in (
        ('{"name": "small", "layers": [[{"type": "generator", "model": "local/smollm2-135m", "max_tokens": 16}]]}',
         "word " * 200_000, "exceed context window"),  # a 1 MB prompt
        ('{"name": "unknown", "layers": [[{"type": "generator", "model": "nosuch/model"}]]}',
         "Hello?", "unknown model 'nosuch/model'"),
    ):  # fmt: skip
        go(page, "Design")
        paste(page, design)
        go(page, "Run")
        run_prompt(page, prompt)
        shot(page, f"8-bad-input-run-{len(prompt)}")
        failed = page.locator('[data-testid="stAlertContentError"]', has_text="The run failed")
        assert failed.count() == 1 and message in failed.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "8-bad-input-run")
    assert [e for e in page.console_errors if "favicon" not in e] == []


def test_search_a_small_space_on_the_embedded_model_for_its_pareto_front(page, app_url):
    page.goto(app_url)
    settle(page)
    go(page, "Search")
    fill_number(page, "First N items", 2)  # one dev item, one held out
    fill_number(page, "Max calls per query", 4)
    fill_number(page, "Evaluations", 2)
    page.get_by_text("Pareto front (quality, cost, latency)").click()
    settle(page)
    page.get_by_role("button", name="Start").click()

    page.get_by_text("Pareto front:").wait_for(timeout=300_000)
    settle(page)
    assert page.get_by_text("Quality vs cost").count() == 1 and page.get_by_text("Quality vs latency").count() == 1
    page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for(timeout=30_000)
    headers = page.locator('[data-testid="stDataFrame"] [role="columnheader"]')
    headers.get_by_text("front", exact=True).first.wait_for(state="attached", timeout=30_000)  # marks the front
    assert {"trial", "state", "architecture", "quality", "cost/query $"} <= set(headers.all_inner_texts())
    page.get_by_role("button", name="Re-evaluate the top 3 on the held-out split").click()
    headers.get_by_text("held-out quality", exact=True).wait_for(state="attached", timeout=300_000)
    settle(page)
    shot(page, "9-search-pareto")
    assert page.locator('[data-testid="stException"]').count() == 0

    go(page, "History")  # each evaluation of the search is kept, the held-out check last
    page.get_by_role("tab", name="Evaluations").click()
    page.get_by_text(": held-out check").first.wait_for(state="attached")
    assert [e for e in page.console_errors if "favicon" not in e] == []
