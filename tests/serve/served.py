"""What the serve tests share: the served design, a server in a background thread, and its clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import openai
import uvicorn

from archon_engine import FakeModel
from archon_engine.storage.store import Store

# Two generator samples, then a fuser: three calls, and the answer is the fuser's.
TWO_LAYERS = {
    "name": "two layers",
    "layers": [
        [{"type": "generator", "model": "fake/generator", "samples": 2}],
        [{"type": "fuser", "model": "fake/fuser"}],
    ],
}


@dataclass
class Served:
    """A running server: its address, its run store and the fake model behind it."""

    base_url: str
    store_path: Path
    backend: FakeModel

    def client(self, api_key: str = "no-key-needed") -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key=api_key, max_retries=0)

    def async_client(self, api_key: str = "no-key-needed") -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.base_url, api_key=api_key, max_retries=0)

    def store(self) -> Store:
        return Store(self.store_path)


@contextmanager
def in_background(app) -> Iterator[str]:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread; yields the base URL, then stops it cleanly."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]
