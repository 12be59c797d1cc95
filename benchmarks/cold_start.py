"""Cold start of the app: from `streamlit run` to the first rendered page, in a real browser.

    python benchmarks/cold_start.py [--runs 5]

Each run starts the server as `streamlit run` does and opens the page when Streamlit prints its URL (the
moment `streamlit run` opens the user's browser), then waits until the Design page is drawn and Streamlit
is idle. Prints one JSON object: each run's seconds from the command to the page (and to the URL), the
median, and whether it meets the target (<= 4 s).
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

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, IDLE, running_app

TARGET_S = 4.0


def one_cold_start(browser, log: Path) -> tuple[float, float]:
    """Seconds from the command to its URL, and to the first page drawn with Streamlit idle."""
    started = time.perf_counter()
    with running_app(log) as url:
        ready = time.perf_counter() - started
        page = browser.new_page()
        page.goto(url, timeout=60_000)
        page.wait_for_selector("h1", timeout=60_000)
        page.wait_for_selector(IDLE, timeout=60_000)
        drawn = time.perf_counter() - started
        page.close()
    return ready, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = [one_cold_start(browser, Path(tmp) / f"streamlit-{n}.log") for n in range(args.runs)]
        browser.close()
    median = statistics.median(drawn for _, drawn in runs)
    print(json.dumps({
        "runs_s": [round(drawn, 2) for _, drawn in runs],
        "url_printed_s": [round(ready, 2) for ready, _ in runs],
        "median_s": round(median, 2),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
        "load_average": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
