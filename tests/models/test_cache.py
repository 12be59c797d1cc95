"""The response cache: an identical request is answered from SQLite without calling the model."""

import asyncio
import contextlib

import pytest

from archon_engine import ModelError, ModelRequest, run
from archon_engine.models.cache import CachedBackend, ResponseCache, request_key
from archon_engine.models.fake import FakeModel

GREEDY = ModelRequest(model="fake/m", messages=[{"role": "user", "content": "hi"}], temperature=0.0)
SAMPLED = GREEDY.model_copy(update={"temperature": 0.7})


def ask(backend, *requests):
    async def go():
        return [await backend.complete(r) for r in requests]

    return asyncio.run(go())


def test_a_repeated_greedy_request_is_replayed_and_marked_cached(tmp_path):
    fake = FakeModel(cost_per_call=0.01)
    backend = CachedBackend(fake, ResponseCache(tmp_path / "cache.sqlite"))

    first, second = ask(backend, GREEDY, GREEDY)

    assert len(fake.requests) == 1
    assert second.text == first.text and second.cached and not first.cached
    assert second.cost_usd == 0.01  # what the call costs, kept for per-query cost figures
    assert (backend.hits, backend.misses) == (1, 1)


def test_the_cache_survives_a_restart(tmp_path):
    ask(CachedBackend(FakeModel(), ResponseCache(tmp_path / "c.sqlite")), GREEDY)
    fake = FakeModel()

    (reply,) = ask(CachedBackend(fake, ResponseCache(tmp_path / "c.sqlite")), GREEDY)

    assert reply.cached and fake.requests == []


def test_the_key_covers_model_messages_parameters_and_seed():
    variants = [
        GREEDY.model_copy(update={"model": "fake/other"}),
        GREEDY.model_copy(update={"messages": [{"role": "user", "content": "hello"}]}),
        GREEDY.model_copy(update={"max_tokens": 7}),
        GREEDY.model_copy(update={"seed": 1}),
        GREEDY.model_copy(update={"response_schema": {"type": "object"}}),
    ]
    keys = {request_key(r) for r in [GREEDY, *variants]}
    assert len(keys) == 6
    assert request_key(GREEDY) == request_key(GREEDY.model_copy(update={"role": "rank", "metadata": {"x": 1}}))


def test_sampling_without_a_seed_is_not_cached_unless_asked():
    fake = FakeModel()
    ask(CachedBackend(fake, ResponseCache()), SAMPLED, SAMPLED)
    assert len(fake.requests) == 2

    seeded = SAMPLED.model_copy(update={"seed": 5})
    fake = FakeModel()
    ask(CachedBackend(fake, ResponseCache()), seeded, seeded)
    assert len(fake.requests) == 1  # a seed makes a draw repeatable


def test_cached_sampling_keeps_samples_distinct_and_replays_them_all():
    cache = ResponseCache()
    first = ask(CachedBackend(FakeModel(), cache, cache_sampling=True), SAMPLED, SAMPLED, SAMPLED)
    fake = FakeModel()

    again = ask(CachedBackend(fake, cache, cache_sampling=True), SAMPLED, SAMPLED, SAMPLED)

    assert len({r.text for r in first}) == 3
    assert [r.text for r in again] == [r.text for r in first] and fake.requests == []


def test_failed_calls_are_not_cached():
    fake = FakeModel(fail_first=1)
    backend = CachedBackend(fake, ResponseCache())
    with contextlib.suppress(ModelError):
        ask(backend, GREEDY)

    (reply,) = ask(backend, GREEDY)

    assert not reply.cached and len(fake.requests) == 2


def test_a_whole_run_replays_from_the_cache_with_every_call_marked(tmp_path):
    arch = {"layers": [[{"type": "generator", "model": "fake/m", "temperature": 0, "samples": 1}],
                       [{"type": "fuser", "model": "fake/m", "temperature": 0}]]}  # fmt: skip
    cache = ResponseCache(tmp_path / "c.sqlite")
    first = run(arch, "q", backend=CachedBackend(FakeModel(), cache))
    fake = FakeModel()

    again = run(arch, "q", backend=CachedBackend(fake, cache))

    assert again.answer == first.answer and fake.requests == []
    assert again.usage.cached_calls == again.usage.calls == 2
    assert first.usage.cached_calls == 0


def test_a_replay_keeps_the_service_time_of_the_live_call(tmp_path):
    backend = CachedBackend(FakeModel(latency=0.1), ResponseCache(tmp_path / "cache.sqlite"))
    arch = {"layers": [[{"type": "generator", "model": "fake/m", "temperature": 0}]]}

    (live,) = run(arch, "q", backend=backend).trace.calls
    (replayed,) = run(arch, "q", backend=backend).trace.calls

    assert replayed.cached and replayed.latency_s < 0.05
    assert replayed.service_s == pytest.approx(live.service_s, abs=0.01) and live.service_s >= 0.1


def test_a_streaming_miss_streams_from_the_model_and_a_hit_passes_the_whole_text_at_once(tmp_path):
    backend = CachedBackend(FakeModel(), ResponseCache(tmp_path / "cache.sqlite"))

    async def go():
        live, replayed = [], []
        first = await backend.complete(GREEDY, live.append)
        second = await backend.complete(GREEDY, replayed.append)
        return first, second, live, replayed

    first, second, live, replayed = asyncio.run(go())
    assert len(live) > 1 and "".join(live) == first.text  # streamed by the model
    assert replayed == [first.text] and second.cached  # no model: the stored text in one piece
