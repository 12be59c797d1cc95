"""The replay backend answers each request from its recorded twin: identical requests in the order they were
made, at the recorded pace divided by the speed, streamed in pieces when asked."""

import asyncio
import time

import pytest

from archon_engine import ModelRequest
from archon_engine.models.base import ModelError
from archon_engine.recording import ReplayBackend, ReplayMismatch
from archon_engine.trace import CallRecord

MESSAGES = [{"role": "user", "content": "Name a prime."}]


def call(number: int, text: str, *, service_s: float = 0.0, queued_s: float = 0.0, **fields) -> CallRecord:
    return CallRecord(
        id=f"call-{number}",
        layer=0,
        component="L0.C0",
        component_type="generator",
        role="generate",
        model="gpt-4o",
        messages=MESSAGES,
        params={"temperature": 0.7, "max_tokens": 512},
        raw_response=text,
        prompt_tokens=4,
        completion_tokens=len(text.split()),
        cost_usd=0.001,
        start_s=0.0,
        end_s=queued_s + service_s,
        queued_s=queued_s,
        service_s=service_s,
        finish_reason="stop",
        **fields,
    )


REQUEST = ModelRequest(model="gpt-4o", messages=MESSAGES, role="generate")


def complete(backend: ReplayBackend, request: ModelRequest = REQUEST, **kwargs):
    return asyncio.run(backend.complete(request, **kwargs))


def test_identical_requests_get_the_recorded_replies_in_the_order_the_calls_were_made():
    backend = ReplayBackend([call(3, "Seven"), call(1, "Two"), call(2, "Five")], speed=0)

    texts = [complete(backend).text for _ in range(3)]

    assert texts == ["Two", "Five", "Seven"]
    assert backend.unused() == []


def test_a_reply_carries_the_recorded_tokens_cost_and_finish_reason():
    reply = complete(ReplayBackend([call(1, "Two is prime")], speed=0))

    assert (reply.prompt_tokens, reply.completion_tokens, reply.cost_usd) == (4, 3, 0.001)
    assert reply.finish_reason == "stop" and not reply.cached


def test_a_request_the_recording_does_not_have_fails_and_is_kept():
    backend = ReplayBackend([call(1, "Two")], speed=0)
    other = REQUEST.model_copy(update={"messages": [{"role": "user", "content": "Name a colour."}]})

    with pytest.raises(ReplayMismatch, match="no recorded 'generate' call to gpt-4o matches this request"):
        complete(backend, other)
    assert len(backend.mismatches) == 1 and [c.id for c in backend.unused()] == ["call-1"]


def test_a_different_seed_or_temperature_is_another_request():
    backend = ReplayBackend([call(1, "Two")], speed=0)

    with pytest.raises(ReplayMismatch):
        complete(backend, REQUEST.model_copy(update={"seed": 3}))
    with pytest.raises(ReplayMismatch):
        complete(backend, REQUEST.model_copy(update={"temperature": 0.0}))


@pytest.mark.parametrize("speed", [1.0, 2.0, 4.0])
def test_a_call_takes_its_recorded_time_divided_by_the_speed(speed):
    backend = ReplayBackend([call(1, "Two", queued_s=0.1, service_s=0.3)], speed=speed)

    started = time.perf_counter()
    reply = complete(backend)
    took = time.perf_counter() - started

    assert 0.4 / speed <= took < 0.4 / speed + 0.1  # never early; late only by the machine's scheduling
    assert reply.queued_s == pytest.approx(0.1 / speed)


def test_instant_answers_at_once():
    backend = ReplayBackend([call(1, "Two", service_s=5.0)], speed=0)

    started = time.perf_counter()
    complete(backend)

    assert time.perf_counter() - started < 0.05


def test_streaming_spreads_the_recorded_text_over_the_call_and_joins_to_it():
    text = "Two is the only even prime, and every other prime is odd."
    backend = ReplayBackend([call(1, text, service_s=0.4)], speed=1)
    arrivals: list[tuple[float, str]] = []
    started = time.perf_counter()

    reply = complete(backend, on_text=lambda piece: arrivals.append((time.perf_counter() - started, piece)))

    assert "".join(piece for _, piece in arrivals) == reply.text == text
    assert len(arrivals) > 5
    assert arrivals[0][0] < 0.15 and arrivals[-1][0] >= 0.38  # the first words early, the last at the end


def test_a_call_retried_after_transient_failures_fails_the_same_way_first():
    errors = ["ModelError: rate limited (429)", "TimeoutError: timed out after 120 s"]
    backend = ReplayBackend([call(1, "Two", retries=2, retry_errors=errors)], speed=0)

    seen = []
    for _ in range(2):
        with pytest.raises(ModelError) as caught:
            complete(backend)
        seen.append((f"{type(caught.value).__name__}: {caught.value}", caught.value.retryable))

    assert seen == [(errors[0], True), (errors[1], True)]
    assert complete(backend).text == "Two"


def test_a_call_that_failed_fails_with_its_error_and_is_not_retried():
    backend = ReplayBackend([call(1, "", error="ModelError: the provider said no")], speed=0)

    with pytest.raises(ModelError, match="the provider said no") as caught:
        complete(backend)

    assert not caught.value.retryable


def test_a_negative_speed_is_refused():
    with pytest.raises(ValueError, match="speed must be 0"):
        ReplayBackend([], speed=-1)
