"""The executor: layers in order, components and samples at once, limits, retries, timeouts and budgets."""

import asyncio
import time

import pytest

from archon_engine import ArchitectureError, Budget, Execution, FakeModel, Limits, ModelError, arun, run
from archon_engine.models import prices

PROMPT = "What is the boiling point of water at sea level?"
NO_BACKOFF = Limits(backoff_s=0)


def generator(samples=1, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, **settings}


def component(kind, **settings):
    return {"type": kind, "model": f"fake/{kind}", **settings}


def arch(*layers):
    return {"layers": list(layers)}


def answers_by_seed(request):
    return f"answer-{request.seed}"


def fails_for_seeds(*seeds, error=lambda: ModelError("invalid request: bad parameter")):
    """A generate responder that raises ``error`` for the given seeds and answers the others."""
    return [lambda request: error() if request.seed in seeds else answers_by_seed(request)]


# The answer


def test_the_answer_is_the_first_candidate_of_the_last_layer():
    fake = FakeModel({"generate": [answers_by_seed], "rank": ['{"ranking": [2, 3, 1]}']})

    result = run(arch([generator(samples=3, seed=0)], [component("ranker")]), PROMPT, backend=fake)

    assert result.status == "completed"
    assert result.error is None
    assert result.answer == result.layers[-1].candidates[0].text == "answer-1"
    assert [[c.text for c in layer] for layer in result.candidates] == [
        ["answer-0", "answer-1", "answer-2"],
        ["answer-1", "answer-2", "answer-0"],
    ]


def test_a_conversation_and_a_system_prompt_reach_the_model_and_the_result():
    fake = FakeModel()
    conversation = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": PROMPT},
    ]

    result = run(arch([generator()]), conversation, system="Answer briefly.", backend=fake)

    expected = [{"role": "system", "content": "Answer briefly."}, *conversation]
    assert fake.requests[0].messages == expected
    assert result.messages == expected


# Concurrency


def test_components_of_a_layer_and_samples_run_concurrently():
    fake = FakeModel(latency=0.2)
    layers = [generator(samples=10)], [component("ranker")], [component("critic")], [component("fuser")]

    started = time.perf_counter()
    result = run(arch(*layers), PROMPT, backend=fake, limits=Limits(concurrency=16))
    wall = time.perf_counter() - started

    assert result.status == "completed"
    assert len(result.trace.calls) == 13
    assert wall < 0.5 * 13 * 0.2
    assert fake.max_in_flight >= 10


def test_generators_sharing_a_layer_run_side_by_side():
    fake = FakeModel(latency=0.1)

    run(arch([generator(samples=2), generator(samples=2, model="fake/other")]), PROMPT, backend=fake)

    assert fake.max_in_flight == 4


def test_the_per_provider_concurrency_limit_is_honoured():
    fake = FakeModel(latency=0.02)

    result = run(arch([generator(samples=8)]), PROMPT, backend=fake, limits=Limits(concurrency=3))

    assert result.status == "completed"
    assert fake.max_in_flight == 3


def test_a_provider_can_have_its_own_limit():
    fake = FakeModel(latency=0.02)
    limits = Limits(concurrency=8, per_provider={"fake": 2})

    run(arch([generator(samples=6)]), PROMPT, backend=fake, limits=limits)

    assert fake.max_in_flight == 2


def test_each_provider_has_its_own_pool_of_concurrent_calls():
    fake = FakeModel(latency=0.05)
    layer = [generator(samples=4), generator(samples=4, model="other/model")]

    run(arch(layer), PROMPT, backend=fake, limits=Limits(concurrency=2))

    assert fake.max_in_flight == 4


# Retries, errors and timeouts


def test_transient_failures_are_retried_and_the_record_counts_the_retries():
    fake = FakeModel(fail_first=2)

    result = run(arch([generator()]), PROMPT, backend=fake, limits=NO_BACKOFF)

    assert result.status == "completed"
    (call,) = result.trace.calls
    assert call.retries == 2
    assert call.error is None
    assert len(fake.requests) == 3


def test_a_call_that_stays_transiently_failing_ends_as_its_error_after_max_retries():
    fake = FakeModel(fail_first=10)

    result = run(arch([generator()]), PROMPT, backend=fake, limits=Limits(max_retries=2, backoff_s=0))

    (call,) = result.trace.calls
    assert call.retries == 2
    assert call.error == "ModelError: fake transient failure (injected)"
    assert len(fake.requests) == 3
    assert result.status == "failed"


def test_a_non_retryable_error_is_recorded_once_and_the_run_goes_on_with_the_other_samples():
    fake = FakeModel({"generate": fails_for_seeds(1)})

    result = run(arch([generator(samples=3, seed=0)]), PROMPT, backend=fake, limits=NO_BACKOFF)

    assert result.status == "completed"
    assert result.answer == "answer-0"
    assert len(fake.requests) == 3
    (failed,) = [call for call in result.trace.calls if call.error]
    assert failed.error == "ModelError: invalid request: bad parameter"
    assert failed.retries == 0
    assert result.usage.failed_calls == 1


def test_an_unexpected_backend_exception_is_recorded_not_raised():
    fake = FakeModel({"generate": fails_for_seeds(0, error=lambda: RuntimeError("backend bug"))})

    result = run(arch([generator(samples=2, seed=0)]), PROMPT, backend=fake, limits=NO_BACKOFF)

    assert result.status == "completed"
    assert [call.error for call in result.trace.calls if call.error] == ["RuntimeError: backend bug"]


def test_when_every_sample_fails_the_run_fails_with_a_clear_error():
    fake = FakeModel({"generate": [ModelError("invalid request: bad parameter")]})

    result = run(arch([generator(samples=2)], [component("fuser")]), PROMPT, backend=fake)

    assert result.status == "failed"
    assert result.answer is None
    assert result.error.startswith("layer 0 produced no candidates")
    assert "sample 0 failed: ModelError: invalid request: bad parameter" in result.error
    assert len(result.layers) == 1
    assert not [call for call in result.trace.calls if call.role == "fuse"]


def test_timeouts_are_retried_then_end_as_recorded_errors():
    fake = FakeModel(latency=0.2)
    limits = Limits(timeout_s=0.05, max_retries=1, backoff_s=0)

    started = time.perf_counter()
    result = run(arch([generator(samples=2)]), PROMPT, backend=fake, limits=limits)

    assert time.perf_counter() - started < 0.2 * 2
    assert result.status == "failed"
    assert [(call.error, call.retries) for call in result.trace.calls] == [
        ("TimeoutError: timed out after 0.05 s", 1)
    ] * 2
    assert len(fake.requests) == 4
    assert fake.in_flight == 0


# Budgets


def test_a_call_budget_stops_the_run_before_the_cap():
    fake = FakeModel()

    result = run(arch([generator(samples=5)]), PROMPT, backend=fake, budget=Budget(max_calls=3))

    assert result.status == "budget_exceeded"
    assert result.answer is None
    assert len(result.trace.calls) <= 3
    assert len(fake.requests) <= 3


GPT_4O = "gpt-4o"  # a model with a known price: the fake provider ("fake/...") is free, so never capped


def gpt_4o_run(fake, *, max_usd, samples=10):
    layers = [generator(samples=samples, model=GPT_4O, max_tokens=100)]
    return run(arch(layers), "hi", backend=fake, budget=Budget(max_usd=max_usd))


def call_bound():
    """The most one of these gpt-4o calls can cost, as the budget check reckons it."""
    bound = prices.call_cost_bound(GPT_4O, [{"role": "user", "content": "hi"}], 100)
    assert bound, "gpt-4o has no price: is litellm (and its price table) installed?"
    return bound


def test_a_usd_budget_stops_the_run_before_spending_more_than_the_cap():
    cap = 3.5 * call_bound()

    result = gpt_4o_run(FakeModel(cost_per_call=call_bound()), max_usd=cap)

    assert result.status == "budget_exceeded"
    assert len(result.trace.calls) == 3
    assert result.usage.cost_usd <= cap


def test_a_usd_budget_reserves_the_worst_case_of_calls_still_in_flight():
    fake = FakeModel(latency=0.05, cost_per_call=call_bound())

    result = gpt_4o_run(fake, max_usd=3.5 * call_bound())

    assert result.status == "budget_exceeded"
    assert len(fake.requests) == 3


def test_a_run_within_its_usd_budget_completes():
    result = gpt_4o_run(FakeModel(cost_per_call=0.001), max_usd=10 * call_bound(), samples=3)

    assert result.status == "completed"
    assert result.usage.cost_usd == pytest.approx(0.003)


def test_a_free_model_is_never_stopped_by_a_usd_budget():
    result = run(arch([generator(samples=3)]), PROMPT, backend=FakeModel(), budget=Budget(max_usd=0))

    assert result.status == "completed"


@pytest.mark.parametrize(
    ("budget", "message"),
    [(Budget(max_calls=3), "budget of 3 calls per run reached"), (Budget(max_usd=1e-9), "budget of $0.0000 per run")],
    ids=["max_calls", "max_usd"],
)
def test_a_budget_stop_says_which_budget_was_reached(budget, message):
    """Engine bug: execution.py reports the outer TaskGroup's ExceptionGroup, not the BudgetExceeded inside it."""
    layers = [generator(samples=5, model=GPT_4O)]

    result = run(arch(layers), PROMPT, backend=FakeModel(), budget=budget)

    assert result.status == "budget_exceeded"
    assert message in result.error


def test_calls_cut_short_by_a_budget_stop_are_not_recorded_as_successful():
    """Engine bug: calls cancelled in flight are appended to the trace with neither a response nor an error."""
    fake = FakeModel(latency=0.05)

    result = run(arch([generator(samples=5)]), PROMPT, backend=fake, budget=Budget(max_calls=3))

    assert result.status == "budget_exceeded"
    for call in result.trace.calls:
        assert call.raw_response is not None or call.error is not None, call
    assert result.usage.failed_calls == sum(call.raw_response is None for call in result.trace.calls)


# Sync and async entry points


def test_run_works_inside_a_running_event_loop():
    async def caller():
        return run(arch([generator(samples=2)]), PROMPT, backend=FakeModel())

    result = asyncio.run(caller())

    assert result.status == "completed"
    assert len(result.candidates[0]) == 2


def test_arun_reports_layers_and_calls_in_order():
    events = []

    result = asyncio.run(
        arun(
            arch([generator(samples=2)], [component("fuser")]),
            PROMPT,
            backend=FakeModel(),
            on_event=events.append,
        )
    )

    assert [(e.kind, e.layer) for e in events if e.kind != "text_delta"] == [
        ("layer_started", 0),
        ("call_finished", 0),
        ("call_finished", 0),
        ("layer_finished", 0),
        ("layer_started", 1),
        ("call_finished", 1),
        ("layer_finished", 1),
    ]
    assert [e.call.id for e in events if e.call] == [call.id for call in result.trace.calls]
    assert [e.result for e in events if e.kind == "layer_finished"] == result.layers


def test_an_architecture_with_errors_raises_before_any_call():
    fake = FakeModel()

    with pytest.raises(ArchitectureError) as raised:
        run(arch([component("fuser")]), PROMPT, backend=fake)

    (finding,) = raised.value.findings
    assert finding.severity == "error"
    assert finding.component == "L0.C0"
    assert "needs candidates" in finding.message
    assert "needs candidates" in str(raised.value)
    assert fake.requests == []


def test_cancelling_a_run_stops_every_call_in_flight_promptly():
    fake = FakeModel(latency=5.0)
    seen = []

    async def start_then_cancel():
        task = asyncio.create_task(arun(arch([generator(samples=4)]), "Q", backend=fake, on_event=seen.append))
        await asyncio.sleep(0.1)
        task.cancel()
        started = time.perf_counter()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.perf_counter() - started

    assert asyncio.run(start_then_cancel()) < 1.0
    finished = [e.call for e in seen if e.kind == "call_finished"]
    assert len(finished) == 4
    assert all(call.error.startswith("cancelled") for call in finished)


# Step by step: Execution


SCRF = "presets/sample-critic-rank-fuse.json"


def comparable(result):
    """A result without its timings (which differ between two runs of the same calls)."""
    calls = [c.model_dump(exclude={"start_s", "end_s", "queued_s", "service_s", "follows"}) for c in result.trace.calls]
    return result.answer, result.status, [layer.model_dump() for layer in result.layers], calls


def test_stepping_runs_each_layer_once_and_ends_as_a_plain_run_does():
    stepped = Execution(SCRF, PROMPT, backend=FakeModel())
    seen = []
    while stepped.next_layer is not None:
        before = len(stepped.layers)
        layer = asyncio.run(stepped.step())
        assert layer.index == before and stepped.layers[-1] is layer
        seen.append((layer.index, len(stepped.result().trace.calls)))
    plain = run(SCRF, PROMPT, backend=FakeModel())
    assert comparable(stepped.result()) == comparable(plain)
    assert [index for index, _ in seen] == [0, 1, 2, 3]
    assert seen[-1][1] == len(plain.trace.calls)  # no call was made twice
    with pytest.raises(RuntimeError, match="no layer is left"):
        asyncio.run(stepped.step())


def test_a_run_stopped_between_layers_is_cancelled_with_what_it_finished():
    execution = Execution(SCRF, PROMPT, backend=FakeModel())
    asyncio.run(execution.step())
    result = execution.result()
    assert result.status == "cancelled" and result.answer is None
    assert result.error == "stopped after 1 of 4 layers"
    assert [layer.index for layer in result.layers] == [0] and len(result.trace.calls) == 5


def test_a_cancelled_step_ends_the_run_as_cancelled_with_the_calls_cut_in_flight():
    async def cancel_the_second_layer():
        execution = Execution(arch([generator(samples=2)], [component("critic")]), "Q", backend=FakeModel(latency=0.2))
        await execution.step()
        task = asyncio.create_task(execution.step())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return execution

    execution = asyncio.run(cancel_the_second_layer())
    result = execution.result()
    assert execution.finished and execution.next_layer is None
    assert (result.status, result.error) == ("cancelled", "cancelled while layer 1 ran")
    assert len(result.layers) == 1
    assert [c.error for c in result.trace.calls if c.layer == 1] == [
        "cancelled: the run stopped before this call finished"
    ]


def test_iterating_an_execution_yields_each_layer_then_the_result_is_complete():
    async def iterate():
        execution = Execution(arch([generator(samples=3)], [component("fuser")]), "Q", backend=FakeModel())
        return execution, [layer.index async for layer in execution]

    execution, indexes = asyncio.run(iterate())
    assert indexes == [0, 1] and execution.result().status == "completed"


def test_layers_already_done_are_taken_as_they_are_and_the_run_goes_on_after_them():
    first = run(SCRF, PROMPT, backend=FakeModel())
    fake = FakeModel()
    resumed = Execution(SCRF, PROMPT, backend=fake, done=first.layers[:2])
    result = asyncio.run(resumed.run_to_end())
    assert {r.role for r in fake.requests} == {"rank", "fuse"}  # only the layers after those done
    assert result.layers[:2] == first.layers[:2] and {c.layer for c in result.trace.calls} == {2, 3}
    fused, before = result.layers[3].candidates[0], first.layers[3].candidates[0]
    assert fused.inputs == before.inputs  # the fusion read the candidates the earlier layers kept


def test_layers_done_that_do_not_fit_the_architecture_are_refused():
    first = run(SCRF, PROMPT, backend=FakeModel())
    with pytest.raises(ValueError, match="layer 1 given where layer 0"):
        Execution(SCRF, PROMPT, backend=FakeModel(), done=first.layers[1:])


# Streaming: the text calls write, as it arrives


def text_deltas(events):
    return [e for e in events if e.kind == "text_delta"]


def joined(events) -> dict[str, str]:
    """Each streaming call's text, joined from its deltas."""
    texts: dict[str, str] = {}
    for event in text_deltas(events):
        texts[event.call_id] = texts.get(event.call_id, "") + event.delta
    return texts


def test_text_deltas_join_to_each_generator_and_fuser_text_and_name_the_candidate_they_write():
    events = []
    architecture = arch([generator(3)], [component("critic")], [component("fuser", samples=2)])
    result = run(architecture, PROMPT, backend=FakeModel(), on_event=events.append)
    calls = {c.id: c for c in result.trace.calls}
    texts = joined(events)
    assert {calls[i].role for i in texts} == {"generate", "fuse"}  # the critic answers in JSON: it does not stream
    assert all(texts[i] == calls[i].raw_response for i in texts)
    written = {e.call_id: e.candidate for e in text_deltas(events)}
    made = {c.call_id: c.id for layer in result.layers for o in layer.outputs for c in o.candidates or []}
    assert written == made  # each delta names the candidate its call wrote
    assert {e.sample for e in text_deltas(events) if e.layer == 2} == {0, 1}


def test_every_delta_of_a_call_comes_before_its_call_finished():
    events = []
    run(arch([generator(2)]), PROMPT, backend=FakeModel(), on_event=events.append)
    finished_at = {e.call.id: n for n, e in enumerate(events) if e.kind == "call_finished"}
    assert all(n < finished_at[e.call_id] for n, e in enumerate(events) if e.kind == "text_delta")


def test_a_verifiers_reasoning_streams_naming_the_candidate_it_judges():
    events = []
    architecture = arch([generator(2)], [component("verifier")])
    result = run(architecture, PROMPT, backend=FakeModel(), on_event=events.append)
    reasoning = [e for e in text_deltas(events) if e.role == "verify_reasoning"]
    assert {e.candidate for e in reasoning} == {c.id for c in result.layers[0].candidates}
    assert {e.role for e in text_deltas(events)} == {"generate", "verify_reasoning"}  # verdicts are JSON


def test_streaming_leaves_the_trace_usage_and_answer_as_they_are_without_it():
    timing = {"start_s", "end_s", "service_s", "queued_s"}
    architecture = arch([generator(3)], [component("critic")], [component("ranker")], [component("fuser")])
    quiet = run(architecture, PROMPT, backend=FakeModel(cost_per_call=0.01))
    streamed = run(architecture, PROMPT, backend=FakeModel(cost_per_call=0.01), on_event=lambda event: None)
    assert streamed.answer == quiet.answer
    assert [c.model_dump(exclude=timing) for c in streamed.trace.calls] == [
        c.model_dump(exclude=timing) for c in quiet.trace.calls
    ]
    assert streamed.usage.model_dump(exclude={"latency_s"}) == quiet.usage.model_dump(exclude={"latency_s"})


def test_nothing_streams_without_a_listener_or_with_stream_off():
    fake = FakeModel(cut_first=99)  # a stream would be cut: a call that streamed would fail
    assert run(arch([generator(2)]), PROMPT, backend=fake).status == "completed"
    events = []
    result = run(arch([generator(2)]), PROMPT, backend=fake, on_event=events.append, stream=False)
    assert result.status == "completed" and text_deltas(events) == []


def test_a_stream_cut_in_the_middle_is_an_error_in_the_trace_with_the_text_so_far():
    events = []
    limits = Limits(max_retries=0)
    result = run(arch([generator(2)]), PROMPT, backend=FakeModel(cut_first=1), limits=limits, on_event=events.append)
    (cut,) = [c for c in result.trace.calls if c.error]
    assert "stream cut" in cut.error and cut.raw_response == joined(events)[cut.id] == "Answer 1 "
    assert result.status == "completed"  # the other sample carries the run
    assert len(result.layers[0].candidates) == 1 and cut.error in result.layers[0].errors[0]


def test_a_retried_stream_says_its_attempt_so_a_listener_can_start_the_text_anew():
    events = []
    result = run(arch([generator()]), PROMPT, backend=FakeModel(cut_first=1), limits=NO_BACKOFF, on_event=events.append)
    attempts = [e.attempt for e in text_deltas(events)]
    assert attempts[0] == 0 and attempts[-1] == 1 and attempts == sorted(attempts)
    last = "".join(e.delta for e in text_deltas(events) if e.attempt == 1)
    assert last == result.answer
