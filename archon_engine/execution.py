"""The executor: layers in order; inside a layer, components, samples and per-candidate calls at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from archon_engine.components import registry
from archon_engine.components.base import gather_all
from archon_engine.config import Architecture, component_id
from archon_engine.loading import load_config
from archon_engine.models.base import ModelBackend
from archon_engine.models.client import Budget, BudgetExceeded, Limits, ModelClient, Throttle
from archon_engine.models.keys import redacted
from archon_engine.state import LayerResult, RunState
from archon_engine.trace import CallRecord, Trace, Usage
from archon_engine.validation import ArchitectureError, validate


class RunEvent(BaseModel):
    """Progress while a run goes: a layer starts, a call ends, a layer ends."""

    kind: Literal["layer_started", "call_finished", "layer_finished"]
    layer: int
    call: CallRecord | None = None
    result: LayerResult | None = None


class RunResult(BaseModel):
    architecture: Architecture
    messages: list[dict[str, Any]]
    status: Literal["completed", "failed", "budget_exceeded"]
    answer: str | None = None
    error: str | None = None
    layers: list[LayerResult]
    trace: Trace
    usage: Usage

    @property
    def candidates(self) -> list[list]:
        """The candidates each layer passed on."""
        return [layer.candidates for layer in self.layers]

    def to_json(self, **kwargs: Any) -> str:
        """The whole result as JSON (made with every known secret redacted, so none is in it)."""
        return self.model_dump_json(**kwargs)


ArchitectureLike = Architecture | str | Path | dict
Prompt = str | list[dict[str, Any]]


def _conversation(prompt: Prompt, system: str | None) -> list[dict[str, Any]]:
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]
    if system:
        messages = [{"role": "system", "content": system}, *[m for m in messages if m.get("role") != "system"]]
    return messages


async def arun(
    architecture: ArchitectureLike,
    prompt: Prompt,
    *,
    system: str | None = None,
    backend: ModelBackend | None = None,
    api_keys: dict[str, str] | None = None,
    limits: Limits | None = None,
    budget: Budget | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
    throttle: Throttle | None = None,
) -> RunResult:
    """Run an architecture on a prompt (or a conversation). Raises ArchitectureError if it cannot run.

    ``backend`` defaults to litellm (with ``api_keys``, provider -> key, over the environment's);
    pass a ``FakeModel`` for tests. Runs sharing a ``throttle`` share its concurrency limits.
    """
    arch = architecture if isinstance(architecture, Architecture) else load_config(architecture)
    errors = [f for f in validate(arch) if f.severity == "error"]
    if errors:
        raise ArchitectureError(errors)
    emit = on_event or (lambda event: None)
    if backend is None:
        from archon_engine.models.litellm_backend import LitellmBackend

        backend = LitellmBackend(api_keys)
    client = ModelClient(
        backend,
        limits=limits,
        budget=budget,
        on_call=lambda record: emit(RunEvent(kind="call_finished", layer=record.layer, call=record)),
        throttle=throttle,
    )
    state = RunState(messages=tuple(_conversation(prompt, system)))
    layers: list[LayerResult] = []
    status, error = "completed", None
    try:
        for index, specs in enumerate(arch.layers):
            emit(RunEvent(kind="layer_started", layer=index))
            result = await _run_layer(index, specs, state, client)
            layers.append(result)
            state.apply(result)
            emit(RunEvent(kind="layer_finished", layer=index, result=result))
            if not result.candidates and any(o.candidates is not None for o in result.outputs):
                status, error = "failed", f"layer {index} produced no candidates: " + "; ".join(result.errors)
                break
    except BudgetExceeded as exc:
        status, error = "budget_exceeded", str(exc)
    answer = state.candidates[0].text if status == "completed" and state.candidates else None
    if status == "completed" and answer is None:
        status, error = "failed", "the last layer passed on no candidate"
    # The calls' records are redacted already (ModelClient); this covers the conversation and the architecture.
    return redacted(
        RunResult(
            architecture=arch,
            messages=list(state.messages),
            status=status,
            answer=answer,
            error=error,
            layers=layers,
            trace=client.trace,
            usage=client.trace.total(),
        )
    )


async def _run_layer(index: int, specs: list, state: RunState, client: ModelClient) -> LayerResult:
    components = [
        registry.get(spec.type)(spec, layer=index, component_id=component_id(index, j), client=client)
        for j, spec in enumerate(specs)
    ]
    outputs = await gather_all(component.run(state) for component in components)
    produced = [o.candidates for o in outputs if o.candidates is not None]
    candidates = [c for batch in produced for c in batch] if produced else list(state.candidates)
    return LayerResult(index=index, outputs=outputs, candidates=candidates)


def run(architecture: ArchitectureLike, prompt: Prompt, **kwargs: Any) -> RunResult:
    """Synchronous ``arun``; works inside a running event loop too (it then uses a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun(architecture, prompt, **kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, arun(architecture, prompt, **kwargs)).result()
