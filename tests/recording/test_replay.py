"""Replay is the engine's own run with the recording in place of the model: with every model unreachable it
gives the same answer, candidates and trace as the recorded run, at the recorded pace or faster."""

import asyncio
import time

import pytest

from archon_engine import Budget, Execution, FakeModel, ModelError, load_config, run
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.recording import (
    RecordingError,
    areplay,
    differences,
    parse_speed,
    record,
    replay,
    replay_job_options,
    timings,
)


def test_a_replay_with_no_model_reachable_is_the_recorded_run(recorded_run, no_model):
    recorded = recorded_run()

    replayed = replay(record(recorded), speed=0)

    assert differences(recorded, replayed) == []
    assert replayed.answer == recorded.answer and replayed.candidates == recorded.candidates
    assert [c.raw_response for c in replayed.trace.calls] == [c.raw_response for c in recorded.trace.calls]


def test_failures_parse_retries_and_transient_retries_replay_as_they_happened(recorded_run, no_model):
    samples = iter(["Tokyo", ModelError("quota gone"), "Kyoto", "Tokyo, Japan", "Osaka"])
    ranks = iter(["not json", '{"ranking": [2, 1, 3, 4]}'])
    fake = FakeModel(
        {"generate": [lambda r: next(samples)], "rank": [lambda r: next(ranks)]},
        fail_first=1,  # the first call fails transiently and is retried
    )
    recorded = recorded_run(backend=fake, limits=None)
    assert any(c.retries for c in recorded.trace.calls) and any(c.parse_error for c in recorded.trace.calls)
    assert any(c.error for c in recorded.trace.calls)

    replayed = replay(record(recorded), speed=0)

    assert differences(recorded, replayed) == []


class SlowFirstReasoning(FakeModel):
    """A fake whose first verifier reasoning takes longest: its verdict is made last, out of creation order."""

    async def complete(self, request, on_text=None):
        if request.role == "verify_reasoning" and "Answer 1 " in str(request.messages):
            await asyncio.sleep(0.1)
        return await super().complete(request)


def test_calls_made_as_others_end_keep_their_recorded_order_and_ids_at_any_speed(no_model):
    recorded = run(load_config(BUILTIN_DIR / "best-of-n-verifier.json"), "What is 2 + 2?", backend=SlowFirstReasoning())
    number = {c.id: int(c.id.removeprefix("call-")) for c in recorded.trace.calls}
    reasonings = sorted((c.id for c in recorded.trace.calls if c.role == "verify_reasoning"), key=number.get)
    last_verdict = max((c for c in recorded.trace.calls if c.role == "verify_verdict"), key=lambda c: number[c.id])
    assert last_verdict.follows == reasonings[0]  # the first reasoning made ended last: its verdict was made last

    for speed in (0, 4):
        assert differences(recorded, replay(record(recorded), speed=speed)) == [], speed


def test_a_run_stopped_by_its_budget_replays_to_the_same_call(recorded_run, no_model):
    recorded = recorded_run(budget=Budget(max_calls=6))
    assert recorded.status == "budget_exceeded"

    replayed = replay(record(recorded), speed=0)

    assert replayed.status == "budget_exceeded" and len(replayed.trace.calls) == 6
    assert replayed.layers == recorded.layers


def test_a_run_cancelled_between_layers_replays_the_layers_it_finished(scrf, no_model):
    async def two_layers():
        execution = Execution(scrf, "What is 2 + 2?", backend=FakeModel())
        await execution.step()
        await execution.step()
        return execution.result()

    recorded = asyncio.run(two_layers())
    assert recorded.status == "cancelled"

    replayed = replay(record(recorded), speed=0)

    assert differences(recorded, replayed) == []


def test_a_run_cancelled_while_calls_were_in_flight_replays_its_cut_calls_as_cut(scrf, no_model):
    async def cancelled_in_layer_one():
        execution = Execution(scrf, "What is 2 + 2?", backend=FakeModel(latency=0.3))
        await execution.step()
        task = asyncio.ensure_future(execution.step())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return execution.result()

    recorded = asyncio.run(cancelled_in_layer_one())
    assert any((c.error or "").startswith("cancelled") for c in recorded.trace.calls)

    replayed = replay(record(recorded), speed=0)

    assert replayed.status == "cancelled" and differences(recorded, replayed) == []


def test_a_recording_replayed_on_another_prompt_is_refused(recorded_run, no_model):
    recording = record(recorded_run())
    other = recording.model_copy(
        update={"run": recording.run.model_copy(update={"messages": [{"role": "user", "content": "Hi"}]})}
    )

    with pytest.raises(RecordingError, match="the replay does not follow the recording: no recorded 'generate'"):
        replay(other, speed=0)


def test_speed_one_keeps_each_calls_timing_and_speed_four_is_four_times_faster(recorded_run, no_model):
    recorded = recorded_run(latency=0.3)
    recording = record(recorded)

    started = time.perf_counter()
    at_one = replay(recording, speed=1)
    took_one = time.perf_counter() - started
    started = time.perf_counter()
    replay(recording, speed=4)
    took_four = time.perf_counter() - started

    assert all(abs(t.error) < 0.10 for t in timings(recorded, at_one)), timings(recorded, at_one)
    assert took_one == pytest.approx(recorded.usage.latency_s, rel=0.15)
    assert took_four == pytest.approx(took_one / 4, rel=0.3)


def test_step_mode_over_a_replay_goes_one_layer_at_a_time(recorded_run, no_model):
    recorded = recorded_run()
    recording = record(recorded)

    async def stepped():
        execution = Execution(recording.architecture, recording.run.messages, **replay_job_options(recording, 0))
        first = await execution.step()
        assert [c.id for c in first.candidates] == [c.id for c in recorded.layers[0].candidates]
        assert len(execution.result().trace.calls) == 5
        return await execution.run_to_end()

    assert differences(recorded, asyncio.run(stepped())) == []


def test_events_of_a_replay_are_those_of_a_run(recorded_run, no_model):
    events = []

    asyncio.run(areplay(record(recorded_run()), speed=0, on_event=events.append))

    assert [e.kind for e in events].count("call_finished") == 8
    assert [e.layer for e in events if e.kind == "layer_finished"] == [0, 1, 2, 3]


def test_a_replay_streams_each_written_text_in_pieces_over_its_call(recorded_run, no_model):
    recorded = recorded_run(latency=0.1)
    pieces: dict[str, list[tuple[float, str]]] = {}
    started = time.perf_counter()

    def listen(event):
        if event.kind == "text_delta":
            pieces.setdefault(event.call_id, []).append((time.perf_counter() - started, event.delta))

    replayed = asyncio.run(areplay(record(recorded), speed=1, on_event=listen))

    written = {c.id: c for c in replayed.trace.calls if c.role in ("generate", "fuse")}
    assert set(pieces) == set(written)  # the critic's and ranker's structured replies do not stream
    for call_id, arrived in pieces.items():
        assert "".join(piece for _, piece in arrived) == written[call_id].raw_response
        assert arrived[-1][0] - arrived[0][0] >= 0.05  # spread over the call, not all at its end
    assert differences(recorded, replayed) == []


@pytest.mark.parametrize(("text", "speed"), [("1", 1.0), ("2x", 2.0), ("0.5", 0.5), ("instant", 0.0), ("0", 0.0)])
def test_speeds_read_as_people_write_them(text, speed):
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["fast", "-2", "nan"])
def test_a_bad_speed_is_named(text):
    with pytest.raises(ValueError, match="speed must be"):
        parse_speed(text)
