"""What one query takes alone: the roll-up of a run's call records along its critical path."""

import pytest

from archon_engine import FakeModel, Limits, load_config, run
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.latency import alone_latency, capacity_of
from archon_engine.evaluation.records import EvaluationSpec, baseline
from archon_engine.evaluation.runner import evaluate
from archon_engine.trace import CallRecord

LOCAL = "local/smollm2-135m"
numbers = iter(range(1, 10_000))


def call(layer=0, component="g", service=1.0, follows=None, model="fake/m", cached=False, **fields):
    number = next(numbers)
    return CallRecord(
        id=f"call-{number}",
        layer=layer,
        component=component,
        component_type="generator",
        role="generate",
        model=model,
        messages=[],
        service_s=service,
        follows=follows,
        cached=cached,
        **fields,
    )


def unlimited(model):
    return None


def test_calls_of_one_layer_run_side_by_side_and_layers_one_after_another():
    samples = [call(service=s) for s in (1.0, 2.0, 1.5)]
    fuser = call(layer=1, component="f", service=0.5)

    assert alone_latency([*samples, fuser], unlimited) == pytest.approx(2.5)


def test_components_of_one_layer_run_at_once():
    layer = [call(component="a", service=1.0), call(component="b", service=3.0), call(component="c", service=2.0)]

    assert alone_latency(layer, unlimited) == pytest.approx(3.0)


def test_calls_that_follow_another_wait_for_it():
    # a verifier on two candidates: reasoning then verdict each, the two chains side by side
    first, second = call(service=1.0), call(service=2.0)
    verdicts = [call(service=0.5, follows=first.id), call(service=0.25, follows=second.id)]

    assert alone_latency([first, second, *verdicts], unlimited) == pytest.approx(2.25)


def test_a_parse_retry_adds_its_call_and_a_transport_retry_is_in_the_service_time():
    failed = call(service=1.0, parse_error="not JSON")
    retried = call(service=1.0, follows=failed.id)
    transient = call(component="other", service=2.5, retries=2, retry_errors=["503", "503"])

    assert alone_latency([failed, retried, transient], unlimited) == pytest.approx(2.5)
    assert alone_latency([failed, retried], unlimited) == pytest.approx(2.0)


def test_a_call_that_follows_one_of_an_earlier_layer_starts_with_its_own_layer():
    first = call(service=1.0)
    later = call(layer=1, service=1.0, follows=first.id)

    assert alone_latency([first, later], unlimited) == pytest.approx(2.0)


def test_cached_calls_count_the_service_time_of_the_live_call():
    calls = [call(service=0.8, cached=True, start_s=5.0, end_s=5.0001)]

    assert alone_latency(calls, unlimited) == pytest.approx(0.8)


def test_the_embedded_pool_caps_how_many_calls_run_at_once():
    layer = [call(model=LOCAL, service=1.0) for _ in range(5)]
    capacity = capacity_of(Limits(concurrency=32), pool_size=2)

    assert alone_latency(layer, capacity) == pytest.approx(3.0)  # 2 + 2 + 1
    assert alone_latency(layer, capacity_of(Limits(concurrency=32), pool_size=5)) == pytest.approx(1.0)
    assert alone_latency([call(service=1.0) for _ in range(5)], capacity) == pytest.approx(1.0)  # not local


def test_the_pool_serves_calls_first_come_and_chains_queue_behind():
    a, b = call(model=LOCAL, service=2.0), call(model=LOCAL, service=1.0)
    after_b = call(model=LOCAL, service=1.0, follows=b.id)
    c = call(model=LOCAL, service=1.0)  # made before after_b was ready: served first at t=1

    capacity = capacity_of(Limits(), pool_size=2)
    # t=0: a, b; t=1: c (ready at 0) takes b's instance; t=2: after_b takes a's; ends at 3
    assert alone_latency([a, b, c, after_b], capacity) == pytest.approx(3.0)


def test_the_throttle_caps_other_providers():
    calls = [call(model="openai/x", service=1.0) for _ in range(4)]

    assert alone_latency(calls, capacity_of(Limits(per_provider={"openai": 2}))) == pytest.approx(2.0)


def test_no_calls_take_no_time():
    assert alone_latency([], unlimited) == 0.0


def test_a_run_records_which_calls_follow_which():
    arch = load_config(
        {
            "layers": [
                [{"type": "generator", "model": "fake/m", "samples": 3}],
                [{"type": "verifier", "model": "fake/m"}],
            ]
        }
    )
    calls = run(arch, "q", backend=FakeModel()).trace.calls

    samples = [c for c in calls if c.role == "generate"]
    reasoning = {c.id for c in calls if c.role == "verify_reasoning"}
    verdicts = [c for c in calls if c.role == "verify_verdict"]
    assert all(c.follows is None for c in samples) and len(verdicts) == 3
    assert all(c.follows is None for c in calls if c.id in reasoning)
    assert {c.follows for c in verdicts} == reasoning


def test_a_wait_for_an_instance_is_queueing_not_service():
    arch = {"layers": [[{"type": "generator", "model": LOCAL, "samples": 4}]]}  # the fake plays the pool
    calls = run(arch, "q", backend=FakeModel(latency=0.1, instances=2)).trace.calls

    assert all(c.service_s == pytest.approx(0.1, abs=0.05) for c in calls)
    assert sorted(c.queued_s > 0.05 for c in calls) == [False, False, True, True]
    assert alone_latency(calls, capacity_of(Limits(), pool_size=2)) == pytest.approx(0.2, abs=0.05)


def test_an_evaluation_at_concurrency_4_reports_what_one_call_takes():
    items = [Item(id=str(i), prompt=f"What is {i}+1?", reference=str(i + 1)) for i in range(16)]
    spec = EvaluationSpec(
        systems=[baseline("fake/m")], dataset=Dataset(name="d", kind="numeric", items=items), scorer="numeric"
    )

    evaluation = evaluate(spec, backend=FakeModel(latency=0.3), limits=Limits(concurrency=4))

    (summary,) = evaluation.summaries()
    assert summary.latency_mean_s == pytest.approx(0.3, rel=0.1)
    assert max(r.wall_s for r in evaluation.results) > 0.9  # the last items queued behind three rounds
    assert evaluation.wall_s == pytest.approx(1.2, rel=0.2) and evaluation.ran == 16
    assert evaluation.throughput_qps == pytest.approx(16 / evaluation.wall_s)
    assert "throughput_qps" in evaluation.model_dump()  # in the JSON export
