"""Cold start of the app: from `streamlit run` to the first rendered page, in a real browser.

    python benchmarks/cold_start.py [--runs 3]

Prints one JSON object: each run's seconds, the median, and whether it meets the target (<= 4 s).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 4.0
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_cold_start(browser) -> float:
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
            "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false", "--browser.serverAddress=127.0.0.1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        page = browser.new_page()
        while True:  # the server is up when the page loads
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=10_000)
                break
            except Exception:
                if time.perf_counter() - started > 60:
                    raise
                time.sleep(0.05)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        page.wait_for_selector("h1", timeout=60_000)
        elapsed = time.perf_counter() - started
        page.close()
        return elapsed
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        runs = [one_cold_start(browser) for _ in range(args.runs)]
        browser.close()
    median = statistics.median(runs)
    print(json.dumps({"runs_s": [round(r, 2) for r in runs], "median_s": round(median, 2), "target_s": TARGET_S,
                      "meets_target": median <= TARGET_S}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
