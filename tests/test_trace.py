"""The trace: every call recorded, rolled up per layer, component and run, and exported without secrets."""

import json

import pytest

from archon_engine import FakeModel, ModelError, run
from archon_engine.models import keys
from archon_engine.trace import CallRecord, Usage

PROMPT = "Name three primary colours."  # 4 words: the fake model counts words as tokens
CANARY = "sk-canary-1234567890"


def generator(samples=1, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, **settings}


def two_generators_then_a_fuser(fake):
    layers = [[generator(samples=2), generator(model="fake/other")], [{"type": "fuser", "model": "fake/fuse"}]]
    return run({"layers": layers}, PROMPT, backend=fake)


def record(**fields):
    defaults = {"id": "call-1", "layer": 0, "component": "L0.C0", "component_type": "generator", "role": "generate"}
    return CallRecord(**(defaults | {"model": "fake/gen", "messages": []} | fields))


# Roll-ups


def test_calls_roll_up_by_layer_component_and_run():
    result = two_generators_then_a_fuser(FakeModel(cost_per_call=0.01))

    trace = result.trace
    assert {layer: usage.calls for layer, usage in trace.by_layer().items()} == {0: 3, 1: 1}
    assert {cid: usage.calls for cid, usage in trace.by_component().items()} == {"L0.C0": 2, "L0.C1": 1, "L1.C0": 1}
    assert trace.total().calls == 4
    assert trace.total().cost_usd == pytest.approx(0.04)
    assert trace.by_layer()[0].cost_usd == pytest.approx(0.03)
    assert result.usage == trace.total()


def test_tokens_are_summed_from_the_calls():
    result = two_generators_then_a_fuser(FakeModel())

    by_component = result.trace.by_component()
    assert by_component["L0.C0"].prompt_tokens == 2 * 4
    assert by_component["L0.C0"].completion_tokens == 2 * 4  # "Answer <n> from fake/gen"
    total = result.trace.total()
    assert total.prompt_tokens == sum(call.prompt_tokens for call in result.trace.calls)
    assert total.completion_tokens == sum(u.completion_tokens for u in result.trace.by_layer().values())


def test_latency_is_wall_time_from_first_start_to_last_end():
    result = two_generators_then_a_fuser(FakeModel(latency=0.05))

    by_layer = result.trace.by_layer()
    total = result.trace.total()
    assert 0.05 <= by_layer[0].latency_s < 3 * 0.05  # three calls side by side, not one after another
    assert total.latency_s >= by_layer[0].latency_s + by_layer[1].latency_s
    assert total.latency_s == pytest.approx(
        max(c.end_s for c in result.trace.calls) - min(c.start_s for c in result.trace.calls)
    )
    for call in result.trace.calls:
        assert call.latency_s == pytest.approx(call.end_s - call.start_s)
        assert call.latency_s >= 0.05


def test_failed_and_unparseable_calls_are_counted_as_failed():
    usage = Usage.of([record(), record(error="ModelError: boom"), record(parse_error="no JSON object")])

    assert usage.calls == 3
    assert usage.failed_calls == 2


def test_an_unknown_price_makes_the_cost_unknown_not_zero():
    assert Usage.of([record(cost_usd=0.5), record(cost_usd=None)]).cost_known is False
    assert Usage.of([record(cost_usd=0.5), record(cost_usd=0.25)]).cost_known is True


def test_an_empty_trace_rolls_up_to_zero():
    assert Usage.of([]) == Usage()


def test_each_record_keeps_what_was_sent_and_received():
    result = run({"layers": [[generator(seed=5, temperature=0.3, max_tokens=64)]]}, PROMPT, backend=FakeModel())

    (call,) = result.trace.calls
    assert (call.layer, call.component, call.component_type, call.role, call.model) == (
        0,
        "L0.C0",
        "generator",
        "generate",
        "fake/gen",
    )
    assert call.messages == [{"role": "user", "content": PROMPT}]
    assert call.params == {"temperature": 0.3, "max_tokens": 64, "seed": 5}
    assert call.raw_response == result.answer


# Secrets never reach exports


def leaky_run():
    """A run whose prompt, replies, reasons and errors all contain the canary."""

    def generate(request):
        if request.seed == 1:
            return ModelError(f"401 Unauthorized: invalid api key {CANARY}")
        if request.seed == 2:
            return RuntimeError(f"backend crashed with key={CANARY}")
        return f"The key is {CANARY}."

    fake = FakeModel(
        {
            "generate": [generate],
            "rank": [json.dumps({"ranking": [1], "reason": f"it quotes {CANARY}"})],
        }
    )
    layers = [[generator(samples=3, seed=0)], [{"type": "ranker", "model": "fake/rank"}]]
    return run({"layers": layers}, f"Is {CANARY} a valid key?", backend=fake)


def test_an_api_key_in_the_environment_never_reaches_the_exports(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)

    result = leaky_run()

    assert result.answer == "The key is [REDACTED]."  # the canary flowed through the run, redacted as recorded
    for export in (result.to_json(), result.to_json(indent=2), result.trace.to_json()):
        assert CANARY not in export
        assert "[REDACTED]" in export


def test_the_model_gets_the_conversation_as_it_is_and_every_record_has_it_redacted(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    events = []
    fake = FakeModel({"generate": [f"The key is {CANARY}."], "rank": [json.dumps({"ranking": [1, 2]})]})
    layers = [[generator(samples=2, seed=0)], [{"type": "ranker", "model": "fake/rank"}]]

    result = run({"layers": layers}, f"Is {CANARY} a valid key?", backend=fake, on_event=events.append)

    assert all(CANARY in str(request.messages[-1]) for request in fake.requests)  # the user's prompt, as typed
    assert "The key is [REDACTED]." in str(fake.requests[-1].messages)  # a reply reaches later calls redacted
    assert CANARY not in result.model_dump_json() and CANARY not in str(result.messages)
    assert events and all(CANARY not in event.model_dump_json() for event in events)  # the live view's too


def test_errors_are_redacted_when_recorded(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)

    result = leaky_run()

    errors = [call.error for call in result.trace.calls if call.error]
    assert len(errors) == 2
    assert all("[REDACTED]" in error and CANARY not in error for error in errors)
    assert all(CANARY not in error for error in result.layers[0].errors)


def test_a_registered_secret_is_redacted_like_an_environment_key(monkeypatch):
    monkeypatch.setattr(keys, "_extra_secrets", set())
    secret = "typed-into-the-app-0987654321"
    fake = FakeModel({"generate": [f"my secret is {secret}", ModelError(f"denied for {secret}")]})
    keys.register_secret(secret)

    result = run({"layers": [[generator(samples=2)]]}, PROMPT, backend=fake)

    assert result.answer == "my secret is [REDACTED]"
    assert secret not in result.to_json()
    assert secret not in result.trace.to_json()
    assert "[REDACTED]" in result.trace.to_json()


def test_values_too_short_to_be_secrets_are_not_registered(monkeypatch):
    monkeypatch.setattr(keys, "_extra_secrets", set())

    keys.register_secret("abc")
    keys.register_secret("")

    assert keys.redact("abc") == "abc"


def test_a_call_records_its_service_time_and_the_call_it_followed():
    arch = {"layers": [[{"type": "generator", "model": "fake/m"}], [{"type": "ranker", "model": "fake/m"}]]}
    ranking = iter(["not JSON", '{"ranking": [1]}'])
    fake = FakeModel(replies={"rank": [lambda request: next(ranking)]}, latency=0.05)

    sample, first, retry = run(arch, "q", backend=fake).trace.calls

    assert sample.follows is None and first.follows is None
    assert retry.follows == first.id  # the parse retry waited for the first call
    assert first.service_s == pytest.approx(first.latency_s, abs=1e-3) and first.queued_s < 1e-3
