"""Time to the first token on the Run page, against the time to the first whole card, on the embedded model.

    python benchmarks/first_token.py [--runs 4] [--preset sample-critic-rank-fuse]

Part 1, in a real browser (Debian's Chromium driving `streamlit run`): pick the preset, open Run, keep the
page's prompt, click Run, and time from the click to (a) the first streamed text in a card (a card still
writing ends in the cursor) and (b) the first whole card (a finished call's card, with its tokens and
latency: what the page showed first before streaming). The first run loads the model; the later ones are
warm. Target: the first token in under 1 s.

Part 2, the engine alone (same preset, same prompt, no page): time from the start of a run to its first
``text_delta`` and to its first ``call_finished``, with streaming on and off (off is the run as it was before
streaming): streaming must not delay the whole texts.

Prints one JSON object. Reading: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Page, sync_playwright

from app.widgets.live_view import CURSOR
from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, running_app

TARGET_S = 1.0
PROMPT = "What is the capital of Japan? Answer in one sentence."  # the Run page's own default prompt
MARKDOWN = "[...document.querySelectorAll('[data-testid=stMarkdownContainer]')]"
WRITING = f"() => {MARKDOWN}.some(e => e.innerText.includes('{CURSOR}'))"
WHOLE = (
    "() => [...document.querySelectorAll('[data-testid=stCaptionContainer]')].some(e => / tok · /.test(e.innerText))"
)


def settle(page: Page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=120_000)


def one_run(page: Page) -> dict[str, float]:
    """Click Run; seconds to the first streamed text and to the first whole card."""
    started = time.perf_counter()
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function(WRITING, timeout=120_000, polling="raf")
    first_token = time.perf_counter() - started
    page.wait_for_function(WHOLE, timeout=120_000, polling="raf")
    first_card = time.perf_counter() - started
    page.get_by_role("button", name="Download the trace (JSON)").wait_for(timeout=600_000)
    settle(page)
    return {"first_token_s": round(first_token, 3), "first_whole_card_s": round(first_card, 3)}


def in_the_browser(preset: str, runs: int) -> list[dict[str, float]]:
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        env = {**os.environ, "ARCHON_DATA_DIR": tmp}
        with running_app(Path(tmp) / "streamlit.log", env=env) as url:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(url, timeout=60_000)
            settle(page)
            page.locator(f".st-key-design-card-b-{preset} [data-testid^=stBaseButton]").click()
            settle(page)
            page.get_by_role("link", name="Run").click()
            settle(page)
            results = [one_run(page) for _ in range(runs)]
        browser.close()
    return results


def in_the_engine(preset: str, runs: int) -> dict[str, dict[str, float]]:
    """Median seconds from a run's start to its first text delta and first finished call, streaming on and off."""
    from archon_engine import load_config, run

    arch = load_config(ROOT / "presets" / f"{preset}.json")
    figures: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}
    run(arch, PROMPT)  # warm: litellm imported, the model loaded (the browser part's later runs are warm too)
    for _ in range(runs):
        for mode in ("on", "off"):
            started, seen = time.perf_counter(), {}

            def note(event, seen=seen, started=started) -> None:
                seen.setdefault(event.kind, time.perf_counter() - started)

            run(arch, PROMPT, on_event=note, stream=mode == "on")
            for kind in ("text_delta", "call_finished"):
                if kind in seen:
                    figures[mode].setdefault(kind, []).append(seen[kind])
    return {
        mode: {f"first_{kind}_s": round(statistics.median(times), 3) for kind, times in kinds.items()}
        for mode, kinds in figures.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--preset", default="sample-critic-rank-fuse")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    browser = in_the_browser(args.preset, args.runs)
    warm = browser[1:] or browser
    engine = in_the_engine(args.preset, max(1, args.runs - 1))
    median_token = statistics.median(r["first_token_s"] for r in warm)
    print(
        json.dumps(
            {
                "preset": args.preset,
                "prompt": PROMPT,
                "browser_runs": browser,
                "warm_median_first_token_s": median_token,
                "warm_median_first_whole_card_s": statistics.median(r["first_whole_card_s"] for r in warm),
                "engine_median": engine,
                "target_first_token_s": TARGET_S,
                "meets_target": median_token < TARGET_S,
                "load_average_at_start": round(load, 2),
                "cores": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
