"""The app served as `streamlit run` serves it, and Debian's Chromium to open it: shared by the browser
tests and benchmarks/cold_start.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(
    log: Path, *, env: dict[str, str] | None = None, debug: bool = False, timeout: float = 60
) -> Iterator[str]:
    """Serve the app on a free port, its output going to ``log``; yields its URL at the moment Streamlit
    prints it, which is when `streamlit run` opens the user's browser (the server is ready for sessions)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
        "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false", "--browser.serverAddress=127.0.0.1",
        *(["--logger.level=debug"] if debug else []),
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while f"URL: {url}" not in log.read_text(errors="replace"):
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the app did not start within {timeout:g} s:\n{tail}")
                time.sleep(0.02)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
