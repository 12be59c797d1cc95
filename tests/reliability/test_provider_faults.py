"""Provider faults: the engine against an OpenAI endpoint that fails 20 % of requests, in every way it knows.

Calls go through the real LitellmBackend over HTTP to FakeOpenAIServer on 127.0.0.1, which injects 429s
(with Retry-After), 400s, 500s, 503s, bodies that are not JSON, bodies cut short and hangs longer than the
client's timeout, drawn by a seeded generator. The books must balance: every injected fault is one failed
attempt, and every failed attempt is in the trace, either retried (``CallRecord.retry_errors``) or the
call's final error (``CallRecord.error``), with its cause. Nothing is lost, nothing is counted twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from archon_engine import run
from archon_engine.config import Architecture
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.records import EvaluationSpec, System
from archon_engine.evaluation.runner import evaluate
from archon_engine.execution import arun
from archon_engine.models import prices
from archon_engine.models.client import Budget, Limits, Throttle
from archon_engine.models.fake_server import FAULT_KINDS, FakeOpenAIServer
from archon_engine.models.litellm_backend import LitellmBackend
from archon_engine.storage.store import Store
from archon_engine.trace import CallRecord

MODEL = "openai/gpt-4o-mini"
FAULT_RATE = 0.2
# Small backoff and Retry-After keep the tests quick. The timeout is far above a healthy call's latency (tens of
# ms); on a machine so loaded that a healthy call still exceeds it, the extra timeouts are failed attempts like
# any other, retried or recorded, and are counted apart from the injected ones.
LIMITS = Limits(concurrency=8, timeout_s=5.0, max_retries=4, backoff_s=0.01, max_backoff_s=0.05)
RETRYABLE = tuple(kind for kind in FAULT_KINDS if kind != "400")  # a 400 is the caller's mistake: never retried

pytestmark = pytest.mark.usefixtures("litellm_ready")


def faulty_server(seed: int, kinds: tuple[str, ...] = FAULT_KINDS, **options) -> FakeOpenAIServer:
    return FakeOpenAIServer(fault_rate=FAULT_RATE, fault_kinds=kinds, retry_after=0.01, hang_s=30, seed=seed, **options)


def balance(seen: Counter, server: FakeOpenAIServer) -> int:
    """Check failed attempts in the trace against faults injected, kind by kind; return the extra timeouts.

    Every kind matches exactly, except that the client may also have given up on a healthy request (a machine
    too loaded to read its answer within the timeout): those show as timeouts beyond the injected ones.
    """
    injected = server.injected
    assert seen["unexplained"] == 0, seen
    assert all(seen[kind] == injected[kind] for kind in FAULT_KINDS if kind != "timeout"), (seen, injected)
    extra = seen["timeout"] - injected["timeout"]
    assert extra >= 0, seen
    return extra


def names_a_failed_call(error: str | None, calls: list[CallRecord]) -> bool:
    return bool(error) and any(call.error and call.error in error for call in calls)


def component(server: FakeOpenAIServer, kind: str, **settings) -> dict:
    return {"type": kind, "model": MODEL, "api_base": server.base_url, "max_tokens": 64, **settings}


def four_layers(server: FakeOpenAIServer, samples: int) -> dict:
    """Samples -> critic -> ranker (reading the critiques) -> fuser: every structured role."""
    return {
        "name": "faulty four layers",
        "layers": [
            [component(server, "generator", samples=samples)],
            [component(server, "critic")],
            [component(server, "ranker", top_k=3, use_critiques=True)],
            [component(server, "fuser")],
        ],
    }


def test_architecture_runs_under_20_percent_faults_finish_and_every_failed_attempt_is_in_the_trace(
    fault_ledger, figures
):
    prompts = [f"Question {i}: name a prime number above {10 * i}." for i in range(10)]

    async def ten_runs(server: FakeOpenAIServer):
        backend, throttle = LitellmBackend(), Throttle(LIMITS)
        arch = four_layers(server, samples=10)
        return await asyncio.gather(*(arun(arch, p, backend=backend, throttle=throttle) for p in prompts))

    with faulty_server(seed=1) as server:
        results = asyncio.run(ten_runs(server))
    calls = [call for result in results for call in result.trace.calls]

    assert set(server.injected) == set(FAULT_KINDS)  # every kind of fault happened
    extra_timeouts = balance(fault_ledger(calls), server)  # each one is a failed attempt in the trace, of its kind
    assert server.requests == sum(call.retries + 1 for call in calls)  # and no attempt is missing from it
    for call in calls:  # a call that failed in the end did so for a reason that is not retried, or ran out of retries
        assert call.error is None or "(400)" in call.error or call.retries == LIMITS.max_retries, call.error
    for result in results:  # every run finished: completed, or failed naming the call that broke it
        assert result.status == "completed" or names_a_failed_call(result.error, result.trace.calls), result.error
    figures.set(
        "architecture_runs",
        {
            "runs": len(results),
            "completed": sum(r.status == "completed" for r in results),
            "calls": len(calls),
            "requests": server.requests,
            "faults_injected": server.faults,
            "by_kind": dict(sorted(server.injected.items())),
            "retried": sum(call.retries for call in calls),
            "recorded": sum(call.error is not None for call in calls),
            "client_timeouts_of_answered_requests": extra_timeouts,
        },
    )


def hundred_items() -> Dataset:
    items = [Item(id=f"q{i:03}", prompt=f"What is {i} plus zero?", reference=str(i)) for i in range(100)]
    return Dataset(name="hundred sums", kind="exact", items=items)


def test_a_100_item_evaluation_under_faults_stores_exactly_one_result_per_system_and_item(
    tmp_path, fault_ledger, figures
):
    store = Store(tmp_path / "archon.sqlite")
    with faulty_server(seed=2) as server:
        sample_and_fuse = {"layers": [[component(server, "generator", samples=2)], [component(server, "fuser")]]}
        single_call = {"layers": [[component(server, "generator", temperature=0.0)]]}
        systems = [
            System(name="sample and fuse", architecture=Architecture.model_validate(sample_and_fuse)),
            System(name="single call", architecture=Architecture.model_validate(single_call), baseline=True),
        ]
        spec = EvaluationSpec(name="under faults", systems=systems, dataset=hundred_items(), scorer="exact")
        evaluation = evaluate(spec, backend=LitellmBackend(), limits=LIMITS, store=store)

    expected = {(system.name, item.id) for system in systems for item in spec.dataset.items}
    stored = store.item_results(evaluation.id)
    pairs = [(result.system, result.item_id) for result in stored]
    assert evaluation.status == "completed"
    assert len(pairs) == len(set(pairs)) == 200  # none duplicated
    assert set(pairs) == expected  # none lost
    assert {(r.system, r.item_id) for r in evaluation.results} == expected
    calls = [call for result in stored for call in result.trace.calls]  # read back from SQLite
    extra_timeouts = balance(fault_ledger(calls), server)
    assert server.requests == sum(call.retries + 1 for call in calls)
    for result in stored:  # a failed item says why, in its own record
        assert result.status == "completed" or names_a_failed_call(result.error, result.trace.calls), result.error
    figures.set(
        "evaluation",
        {
            "items": len(spec.dataset.items),
            "systems": len(systems),
            "results_stored": len(stored),
            "results_completed": sum(r.status == "completed" for r in stored),
            "lost": len(expected - set(pairs)),
            "duplicated": len(pairs) - len(set(pairs)),
            "calls": len(calls),
            "requests": server.requests,
            "faults_injected": server.faults,
            "by_kind": dict(sorted(server.injected.items())),
            "retried": sum(call.retries for call in calls),
            "recorded": sum(call.error is not None for call in calls),
            "client_timeouts_of_answered_requests": extra_timeouts,
        },
    )


def test_the_budget_holds_under_faults_and_a_retry_is_not_an_extra_call(figures):
    """Budget(max_calls) counts calls, not attempts: a call retried three times is one call, and costs one reply."""
    patient = LIMITS.model_copy(update={"max_retries": 8})
    prompt = "Which planet is largest?"
    with FakeOpenAIServer() as server:
        clean = run(four_layers(server, samples=3), prompt, limits=patient)
    assert clean.status == "completed" and len(clean.trace.calls) == 6

    # the first three requests fail (the three samples' first attempts), then one in five
    with faulty_server(seed=3, kinds=RETRYABLE, fail_first=3) as server:
        exact = run(four_layers(server, samples=3), prompt, limits=patient, budget=Budget(max_calls=6))
        attempts = server.requests
    assert exact.status == "completed", exact.error
    assert len(exact.trace.calls) == 6 < attempts  # six calls within a budget of six, whatever the retries
    assert exact.usage.cost_usd == pytest.approx(clean.usage.cost_usd)  # failed attempts cost nothing

    with faulty_server(seed=4, kinds=RETRYABLE, fail_first=3) as server:
        short = run(four_layers(server, samples=3), prompt, limits=patient, budget=Budget(max_calls=4))
    assert short.status == "budget_exceeded"
    assert short.error == "budget of 4 calls per run reached"
    assert len(short.trace.calls) == 4  # samples and critic; the ranker's call was refused before it was made
    assert server.requests == sum(call.retries + 1 for call in short.trace.calls)

    # room for the three samples' worst case (prompt + max_tokens each); each call reserves its worst case
    cap = 3 * prices.call_cost_bound(MODEL, clean.trace.calls[0].messages, 64)
    with faulty_server(seed=5, kinds=RETRYABLE, fail_first=3) as server:
        cheap = run(four_layers(server, samples=3), prompt, limits=patient, budget=Budget(max_usd=cap))
    assert cheap.status == "budget_exceeded" and cheap.error.startswith(f"budget of ${cap:.4f} per run reached")
    assert 3 <= len(cheap.trace.calls) < 6
    assert 0 < cheap.usage.cost_usd <= cap
    figures.set(
        "budget",
        {
            "max_calls_6": {"calls": len(exact.trace.calls), "attempts": attempts, "status": exact.status},
            "max_calls_4": {"calls": len(short.trace.calls), "status": short.status},
            "max_usd": {"cap": cap, "spent": cheap.usage.cost_usd, "status": cheap.status},
        },
    )
