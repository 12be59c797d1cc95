"""Many requests at once: each gets its own answer; past the concurrent-run limit, 429 with Retry-After."""

import asyncio
import re
import threading
import time

import openai
import pytest

from archon_engine import FakeModel
from archon_engine.serve import ServerLimits
from tests.serve.served import user


def per_prompt(request) -> str:
    """Replies that carry the request's item number: a mixed-up answer shows."""
    item = re.search(r"item-\d+", str(request.messages)).group()
    return f"fused {item}" if request.role == "fuse" else f"candidate {item}"


def test_20_concurrent_requests_get_their_own_answers(start_server):
    served = start_server(backend=FakeModel(per_prompt, latency=0.05), limits=ServerLimits(max_concurrent_runs=20))

    async def ask_all() -> list:
        async with served.async_client() as client:
            asks = [
                client.chat.completions.create(model="two-layers", messages=user(f"What is item-{i}?"))
                for i in range(20)
            ]
            return await asyncio.gather(*asks)

    completions = asyncio.run(ask_all())

    assert [c.choices[0].message.content for c in completions] == [f"fused item-{i}" for i in range(20)]
    assert len({c.archon_run_id for c in completions}) == 20
    store = served.store()
    assert all(store.run(c.archon_run_id).answer == c.choices[0].message.content for c in completions)
    assert served.backend.max_in_flight > 3  # the runs overlapped: three calls each


def test_a_request_past_the_limit_is_429_with_retry_after(start_server):
    served = start_server(backend=FakeModel(latency=0.5), limits=ServerLimits(max_concurrent_runs=1, retry_after_s=2))
    first: dict = {}

    def ask_first() -> None:
        with served.client() as client:
            first["completion"] = client.chat.completions.create(model="two-layers", messages=user("First"))

    thread = threading.Thread(target=ask_first)
    thread.start()
    while served.backend.in_flight == 0:
        time.sleep(0.01)

    with served.client() as client, pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="two-layers", messages=user("Second"))
    thread.join()

    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.body["code"] == "server_busy" and caught.value.body["type"] == "rate_limit_error"
    assert first["completion"].choices[0].message.content  # the run in progress was not disturbed
    assert [r.messages[-1]["content"] for r in served.backend.requests if r.role == "generate"] == ["First", "First"]
