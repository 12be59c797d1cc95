"""Batch evaluation: every system on every item, concurrently, scored, stored as it goes.

    spec = EvaluationSpec(systems=[System.of(preset), baseline("local/smollm2-135m")],
                          dataset=get_dataset("factual"), scorer="normalised")
    evaluation = evaluate(spec, store=Store(), cache=ResponseCache("data/cache.sqlite"))
    print(evaluation.table())

All items share one ``Throttle``: the concurrency limit holds across items, and the engine keeps
it full. An item's ``latency_s`` is what the query takes run alone on the same setup (its calls'
service times along the architecture's critical path: ``latency.alone_latency``), not its wall time
in the crowd (``wall_s``); the evaluation's own wall time and throughput are on the ``Evaluation``.

With a store, each finished item is saved at once, its whole run too (``ItemResult.run_id``: the Run
inspector opens it); ``evaluate(..., resume=ID)`` after a crash or a cancel runs only what is missing (or
failed). With a cache, a repeated evaluation makes no model calls.

With ``spec.repeats`` N > 1, each system answers each item N times (results carry ``repeat`` 0 to
N - 1). Repeat 0 uses the response cache as a single evaluation does; repeat r > 0 sees the cache
under keys of its own (the request's key salted with r), so every repeat is a call of its own even
at temperature 0, and running the evaluation again replays each repeat's own replies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from archon_engine.evaluation.datasets import Item
from archon_engine.evaluation.latency import alone_latency, capacity_of
from archon_engine.evaluation.records import EvaluationSpec, ItemResult, Progress, System, in_order
from archon_engine.evaluation.report import Evaluation
from archon_engine.evaluation.scorers import registry as scorers
from archon_engine.evaluation.scorers.base import Score, Scorer
from archon_engine.execution import RunResult, arun
from archon_engine.models.base import ModelBackend, ModelReply
from archon_engine.models.cache import CachedBackend, ResponseCache
from archon_engine.models.client import Limits, ModelClient, Throttle
from archon_engine.models.keys import redacted
from archon_engine.storage.store import Store, config_hash
from archon_engine.trace import Trace
from archon_engine.validation import ArchitectureError, validate


def item_key(item: Item, system_prompt: str | None) -> str:
    return hashlib.sha256(json.dumps([system_prompt, item.prompt]).encode()).hexdigest()[:16]


class RepeatCache:
    """The response cache as repeat ``repeat`` (> 0) sees it: the same file, keys of its own."""

    def __init__(self, cache: ResponseCache, repeat: int):
        self.cache = cache
        self.repeat = repeat

    def _key(self, key: str) -> str:
        return hashlib.sha256(f"{key}/repeat-{self.repeat}".encode()).hexdigest()

    def get(self, key: str) -> ModelReply | None:
        return self.cache.get(self._key(key))

    def put(self, key: str, model: str, reply: ModelReply) -> None:
        self.cache.put(self._key(key), model, reply)


def _backends(backend: ModelBackend, cache: ResponseCache | None, repeats: int, cache_sampling: bool):
    """The backend each repeat calls: with a cache, one cached backend per repeat on that repeat's keys."""
    if cache is None:
        return [backend] * repeats
    return [
        CachedBackend(backend, cache if r == 0 else RepeatCache(cache, r), cache_sampling=cache_sampling)
        for r in range(repeats)
    ]


async def aevaluate(
    spec: EvaluationSpec,
    *,
    backend: ModelBackend | None = None,
    api_keys: dict[str, str] | None = None,
    limits: Limits | None = None,
    cache: ResponseCache | None = None,
    cache_sampling: bool = False,
    store: Store | None = None,
    resume: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Evaluation:
    """Evaluate ``spec``. Cancelling the task stops it; what finished is kept in the store.

    Raises ArchitectureError before any call if a system cannot run.
    """
    for system in spec.systems:
        errors = [f for f in validate(system.architecture) if f.severity == "error"]
        if errors:
            raise ArchitectureError(errors)
    if backend is None:
        from archon_engine.models.litellm_backend import LitellmBackend

        backend = LitellmBackend(api_keys)
    backends = _backends(backend, cache, spec.repeats, cache_sampling)
    limits = limits or Limits(concurrency=32)
    throttle = Throttle(limits)
    capacity = capacity_of(limits)
    scorer = scorers.get(spec.scorer, **spec.scorer_options)
    recorded = redacted(spec)  # what the store and the result hold; the items go to the models as they are
    evaluation_id = resume or (store.create_evaluation(recorded) if store else None)
    if resume and store is None:
        raise ValueError("resume needs the store that holds the evaluation")
    kept = store.item_results(resume) if resume else []
    done = {(r.system, r.item_id, r.repeat): r for r in kept if r.status == "completed" and r.score.error is None}
    results: list[ItemResult] = list(done.values())
    hashes = {s.name: config_hash(s.architecture) for s in spec.systems}
    todo = [
        (s, item, repeat)
        for repeat in range(spec.repeats)
        for item in spec.dataset.items
        for s in spec.systems
        if (s.name, item.id, repeat) not in done
    ]
    baseline_name = spec.comparison_baseline() if scorer.needs_baseline else None
    baseline_outputs: dict[tuple[str, int], asyncio.Future[str | None]] = {}  # (item, repeat) -> its answer
    if baseline_name:
        loop = asyncio.get_running_loop()
        for repeat in range(spec.repeats):
            for item in spec.dataset.items:
                baseline_outputs[item.id, repeat] = loop.create_future()
                if (baseline_name, item.id, repeat) in done:
                    baseline_outputs[item.id, repeat].set_result(done[baseline_name, item.id, repeat].output)
    item_slots = asyncio.Semaphore(4 * limits.concurrency)

    async def one(system: System, item: Item, repeat: int) -> None:
        backend = backends[repeat]
        async with item_slots:  # bounds the runs in flight; scoring waits outside (pairwise waits for the baseline)
            started = time.perf_counter()
            run = await arun(
                system.architecture, item.prompt, system=spec.system_prompt, backend=backend, throttle=throttle
            )
            wall_s = time.perf_counter() - started
        theirs = baseline_outputs.get((item.id, repeat))
        if system.name == baseline_name and theirs is not None and not theirs.done():
            theirs.set_result(run.answer)
        judge = ModelClient(backend, limits=limits, throttle=throttle)
        score = await _score(system, item, run, scorer, judge, baseline_name, theirs)
        calls = run.trace.calls
        result = ItemResult(
            system=system.name,
            item_id=item.id,
            repeat=repeat,
            config_hash=hashes[system.name],
            item_key=item_key(item, spec.system_prompt),
            status=run.status,
            output=run.answer,
            error=run.error,
            score=redacted(score),  # the runs' records are redacted already; a scorer's detail may quote the item
            usage=run.usage,
            judge_usage=judge.trace.total(),
            latency_s=alone_latency(calls, capacity),
            wall_s=wall_s,
            cached=bool(calls) and all(c.cached for c in calls),
            trace=Trace(calls=[*calls, *judge.trace.calls]),
            run_id=_save_run(store, evaluation_id, system, item, repeat, run),
        )
        if result.cached:  # replayed calls carry their live service times; the store keeps the live run's figure
            live = store.live_latency(result.config_hash, result.item_key, repeat) if store is not None else None
            result.latency_s = result.latency_s if live is None else live
            result.latency_replayed = True
        results.append(result)
        if store is not None:
            store.save_item_result(evaluation_id, result)
        if on_progress is not None:
            on_progress(Progress(done=len(results), total=spec.answers, last=result))

    status = "completed"
    started = time.perf_counter()
    try:
        async with asyncio.TaskGroup() as group:
            for system, item, repeat in todo:
                group.create_task(one(system, item, repeat))
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except BaseException:
        status = "failed"
        raise
    finally:
        if store is not None:
            store.set_evaluation_status(evaluation_id, status)
    wall_s = time.perf_counter() - started
    ordered = in_order(results, spec)
    return Evaluation(id=evaluation_id, spec=recorded, results=ordered, status=status, wall_s=wall_s, ran=len(todo))


def _save_run(
    store: Store | None, evaluation_id: str | None, system: System, item: Item, repeat: int, run: RunResult
) -> str | None:
    """Keep an item's whole run (layers, candidates, calls) in the store, for the Run inspector; its id."""
    if store is None:
        return None
    again = f", repeat {repeat + 1}" if repeat else ""
    return store.save_run(run, name=f"{system.name} · item {item.id}{again}", evaluation_id=evaluation_id)


async def _score(
    system: System,
    item: Item,
    run: RunResult,
    scorer: Scorer,
    judge: ModelClient,
    baseline_name: str | None,
    baseline_output: asyncio.Future[str | None] | None,
) -> Score:
    """The run's score; pairwise, against the baseline's answer to the same item in the same repeat."""
    if run.answer is None:
        return Score(value=0.0, error=f"no answer: {run.error}")
    if baseline_name is None or baseline_output is None:
        return await scorer.score(item, run.answer, client=judge)
    if baseline_name == system.name:
        return Score(value=0.5, extracted="tie", detail="the baseline itself")
    theirs = await baseline_output
    if theirs is None:
        return Score(value=0.0, error=f"the baseline {baseline_name} gave no answer to compare with")
    return await scorer.score(item, run.answer, client=judge, baseline=theirs)


def evaluate(spec: EvaluationSpec, **kwargs: Any) -> Evaluation:
    """Synchronous ``aevaluate``; works inside a running event loop too (then in a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(aevaluate(spec, **kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, aevaluate(spec, **kwargs)).result()


Evaluation.model_rebuild(_types_namespace={"EvaluationSpec": EvaluationSpec, "ItemResult": ItemResult})
