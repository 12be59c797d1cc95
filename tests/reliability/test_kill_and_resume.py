"""SIGKILL half way: an evaluation started from the command line is killed, started again with --resume, and
finishes from the store with exactly one result per item, without redoing a single finished item.

The evaluation runs in a subprocess (``python -m archon_engine eval``) against the fake endpoint served from
this test on 127.0.0.1; its components name that endpoint as ``api_base``, so no API key is involved.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from archon_engine.models.fake_server import FakeOpenAIServer
from archon_engine.storage.store import Store

REPO = Path(__file__).resolve().parents[2]
ITEMS = 40


def stored_results(path: Path) -> int:
    """Results in the store so far, read as another process would (0 before the store exists)."""
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM evaluation_results").fetchone()[0]
        except sqlite3.OperationalError:  # the tables are not there yet
            return 0


def settle(server: FakeOpenAIServer) -> int:
    """The request count once requests the killed process had already sent have all arrived."""
    count, stable_since = server.requests, time.monotonic()
    while time.monotonic() - stable_since < 0.5 or server.in_flight:
        time.sleep(0.05)
        if server.requests != count:
            count, stable_since = server.requests, time.monotonic()
    return count


def prompts_of(bodies: list[dict]) -> set[str]:
    return {body["messages"][-1]["content"] for body in bodies}


def test_an_evaluation_killed_with_sigkill_resumes_and_finishes_with_one_result_per_item(tmp_path, figures):
    dataset = tmp_path / "sums.jsonl"
    items = [{"id": f"q{i:02}", "prompt": f"What is {i} plus zero?", "reference": str(i)} for i in range(ITEMS)]
    dataset.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    store_path = tmp_path / "archon.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}  # a custom endpoint needs no key
    env |= {"ARCHON_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}

    with FakeOpenAIServer(latency=0.2) as server:  # 2 calls at a time, 0.2 s each: 4 s for the 40 items
        config = tmp_path / "one-call.json"
        generator = {"type": "generator", "model": "openai/gpt-4o-mini", "api_base": server.base_url, "temperature": 0}
        config.write_text(json.dumps({"name": "one call", "layers": [[generator]]}), encoding="utf-8")
        command = [sys.executable, "-m", "archon_engine", "eval", str(config), "--dataset", str(dataset)]
        command += ["--store", str(store_path), "--no-cache", "--concurrency", "2", "--out", str(tmp_path / "out")]

        first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while stored_results(store_path) < ITEMS // 2 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
        _, err = first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL, err.decode()
        sent_before = settle(server)

        store = Store(store_path)
        (evaluation,) = store.evaluations()
        assert f"finish it with --resume {evaluation.id}" in err.decode()  # printed before any item ran
        assert evaluation.status == "running"  # the killed process could not say otherwise
        finished = {r.item_id for r in store.item_results(evaluation.id)}
        assert ITEMS // 2 <= len(finished) < ITEMS

        resume = [*command, "--resume", evaluation.id]
        second = subprocess.run(resume, cwd=tmp_path, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode()
        resumed = server.bodies[sent_before:]

    results = store.item_results(evaluation.id)
    ids = [r.item_id for r in results]
    assert len(ids) == len(set(ids)) == ITEMS  # exactly one result per item
    assert all(r.status == "completed" for r in results)
    assert len(resumed) == ITEMS - len(finished)  # only what was missing was asked again
    finished_prompts = {f"What is {int(item[1:])} plus zero?" for item in finished}
    assert not prompts_of(resumed) & finished_prompts  # no finished item was redone
    assert store.evaluations()[0].status == "completed"
    assert re.search(rf"evaluation id: {evaluation.id}", second.stdout.decode())
    figures.set(
        "sigkill_resume",
        {
            "items": ITEMS,
            "stored_when_killed": len(finished),
            "requests_before_kill": sent_before,
            "requests_on_resume": len(resumed),
            "results_after_resume": len(ids),
            "duplicates": len(ids) - len(set(ids)),
            "finished_items_redone": len(prompts_of(resumed) & finished_prompts),
        },
    )
