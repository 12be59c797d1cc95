"""Twenty architecture runs at once against the fake endpoint: each completes, and each trace holds its own calls
and nobody else's (no shared state between runs leaks a prompt, a reply or a call record)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from archon_engine.execution import arun
from archon_engine.models.fake_server import FakeOpenAIServer

MODEL = "openai/gpt-4o-mini"
RUNS = 20

pytestmark = pytest.mark.usefixtures("litellm_ready")


def test_20_concurrent_runs_complete_with_correct_separate_traces(figures):
    markers = [f"[run {i:02}]" for i in range(RUNS)]
    with FakeOpenAIServer(latency=0.2) as server:
        common = {"model": MODEL, "api_base": server.base_url, "max_tokens": 64}
        arch = {
            "name": "sample, critique, rank, fuse",
            "layers": [
                [{"type": "generator", "samples": 3, **common}],
                [{"type": "critic", **common}],
                [{"type": "ranker", "top_k": 2, "use_critiques": True, **common}],
                [{"type": "fuser", **common}],
            ],
        }

        async def all_at_once():
            return await asyncio.gather(*(arun(arch, f"{m} Which river is the longest?") for m in markers))

        start = time.perf_counter()
        results = asyncio.run(all_at_once())
        wall = time.perf_counter() - start

    assert [r.status for r in results] == ["completed"] * RUNS
    assert server.requests == RUNS * 6
    for marker, result in zip(markers, results, strict=True):
        calls = result.trace.calls
        assert [c.role for c in calls].count("generate") == 3 and len(calls) == 6
        assert len({c.id for c in calls}) == 6  # its own numbering, no record twice
        for call in calls:
            sent = json.dumps(call.messages)
            assert marker in sent, call.id  # every call carries this run's prompt...
            assert [m for m in markers if m in sent] == [marker]  # ...and no other run's
            assert [m for m in markers if m in (call.raw_response or "")] in ([], [marker])
        for call in (c for c in calls if c.role == "generate"):  # the endpoint echoes each generator's prompt
            assert call.raw_response.startswith(f"Echo: {marker}")
    assert server.max_in_flight > 1  # they did run side by side
    foreign = sum(
        any(m in json.dumps(c.messages) for m in markers if m != marker)
        for marker, result in zip(markers, results, strict=True)
        for c in result.trace.calls
    )
    figures.set(
        "concurrent_runs",
        {
            "runs": RUNS,
            "completed": sum(r.status == "completed" for r in results),
            "calls": sum(len(r.trace.calls) for r in results),
            "foreign_calls_in_a_trace": foreign,
            "server_max_in_flight": server.max_in_flight,
            "wall_s": round(wall, 2),
            "one_run_critical_path_s": 4 * 0.2,
        },
    )
