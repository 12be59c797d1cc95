"""The browser every e2e test module drives: Debian's Chromium under Playwright (it cannot download its own here)."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
