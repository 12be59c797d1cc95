"""The executor: layers in order; inside a layer, components, samples and per-candidate calls at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from archon_engine.components import registry
from archon_engine.components.base import gather_all
from archon_engine.config import Architecture, component_id
from archon_engine.loading import load_config
from archon_engine.models.base import ModelBackend, ModelRequest
from archon_engine.models.client import Budget, BudgetExceeded, Limits, ModelClient, Throttle
from archon_engine.models.keys import redacted
from archon_engine.state import LayerResult, RunState
from archon_engine.trace import CallRecord, Trace, Usage
from archon_engine.validation import ArchitectureError, validate


class RunEvent(BaseModel):
    """Progress while a run goes: a layer starts, a call ends, a layer ends, a call's text grows.

    ``text_delta``: the next piece of the text a call is writing, as it arrives (``delta``, redacted). Only
    calls that write free text stream (generators' and fusers' candidates, verifiers' reasoning); calls
    answering with a JSON schema (critics, rankers, verdicts, unit tests) do not. ``call_id`` and
    ``component`` say whose text it is, ``role`` the call's role; ``candidate`` is the candidate the call
    writes (``L0.C0.s2``) or, for a verifier, judges; ``sample`` the generator's or fuser's sample index.
    ``attempt`` counts retries from 0: a piece of a new attempt starts the text anew. The pieces of the last
    attempt join to the call's ``raw_response``; its ``call_finished`` follows them.
    """

    kind: Literal["layer_started", "call_finished", "layer_finished", "text_delta"]
    layer: int
    call: CallRecord | None = None
    result: LayerResult | None = None
    call_id: str | None = None
    component: str | None = None
    role: str | None = None
    candidate: str | None = None
    sample: int | None = None
    attempt: int = 0
    delta: str | None = None

    @classmethod
    def text_delta(cls, record: CallRecord, request: ModelRequest, delta: str) -> RunEvent:
        """The event for one piece of ``record``'s text."""
        sample = request.metadata.get("sample")
        sample = sample if isinstance(sample, int) else None
        judged = request.metadata.get("candidate")
        candidate = (
            f"{record.component}.s{sample}" if sample is not None else judged if isinstance(judged, str) else None
        )
        return cls(
            kind="text_delta",
            layer=record.layer,
            call_id=record.id,
            component=record.component,
            role=record.role,
            candidate=candidate,
            sample=sample,
            attempt=record.retries,
            delta=delta,
        )


class RunResult(BaseModel):
    architecture: Architecture
    messages: list[dict[str, Any]]
    status: Literal["completed", "failed", "budget_exceeded", "cancelled"]
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


class Execution:
    """A run of an architecture that goes one layer at a time, and its state between layers.

    ``await step()`` runs the next layer (its calls at once) and returns it; ``async for layer in execution``
    runs the rest one by one; ``run_to_end()`` finishes and returns the result. Nothing is repeated: each step
    goes on from the candidates, critiques and tests the layers before it left. ``result()`` is the run as it
    stands: a run stopped before its end (its task cancelled, or not stepped further) has status
    "cancelled", with the layers and calls finished so far (calls cut in flight are in the trace, marked).

    ``done``: layers that already ran for this architecture and prompt (an earlier run's, perhaps edited),
    taken as they are with no call; the run goes on after them. Its trace holds the calls it made itself.
    ``on_event`` is told of its progress (``RunEvent``); with ``stream`` (the default) it is also told each piece
    of text that calls writing free text receive (``text_delta``). Without a listener nothing streams.
    Raises ArchitectureError if the architecture cannot run, ValueError if ``done`` does not fit it.
    """

    def __init__(
        self,
        architecture: ArchitectureLike,
        prompt: Prompt,
        *,
        system: str | None = None,
        backend: ModelBackend | None = None,
        api_keys: dict[str, str] | None = None,
        limits: Limits | None = None,
        budget: Budget | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        stream: bool = True,
        throttle: Throttle | None = None,
        done: Sequence[LayerResult] = (),
    ):
        arch = architecture if isinstance(architecture, Architecture) else load_config(architecture)
        errors = [f for f in validate(arch) if f.severity == "error"]
        if errors:
            raise ArchitectureError(errors)
        if backend is None:
            from archon_engine.models.litellm_backend import LitellmBackend

            backend = LitellmBackend(api_keys)
        self.architecture = arch
        self._emit = on_event or (lambda event: None)
        self._client = ModelClient(
            backend,
            limits=limits,
            budget=budget,
            on_call=lambda record: self._emit(RunEvent(kind="call_finished", layer=record.layer, call=record)),
            on_text=self._text_delta if on_event is not None and stream else None,
            throttle=throttle,
        )
        self._state = RunState(messages=tuple(_conversation(prompt, system)))
        self.layers: list[LayerResult] = []
        self._status: str | None = None  # None while layers remain
        self._error: str | None = None
        for index, layer in enumerate(done):
            if layer.index != index or index >= len(arch.layers):
                raise ValueError(f"done: layer {layer.index} given where layer {index} of {len(arch.layers)} goes")
            self._keep(layer)

    def _text_delta(self, record: CallRecord, request: ModelRequest, delta: str) -> None:
        self._emit(RunEvent.text_delta(record, request, delta))

    @property
    def finished(self) -> bool:
        return self._status is not None

    @property
    def next_layer(self) -> int | None:
        """The index of the layer ``step`` runs next; None once the run has ended."""
        return None if self.finished else len(self.layers)

    async def step(self) -> LayerResult | None:
        """Run the next layer; None if it could not finish (the budget ran out: see ``result()``)."""
        index = self.next_layer
        if index is None:
            raise RuntimeError(f"the run has ended ({self._status}): no layer is left to run")
        self._emit(RunEvent(kind="layer_started", layer=index))
        try:
            layer = await _run_layer(index, self.architecture.layers[index], self._state, self._client)
        except BudgetExceeded as exc:
            self._status, self._error = "budget_exceeded", str(exc)
            return None
        except asyncio.CancelledError:
            self._status, self._error = "cancelled", f"cancelled while layer {index} ran"
            raise
        self._keep(layer)
        self._emit(RunEvent(kind="layer_finished", layer=index, result=layer))
        return layer

    def _keep(self, layer: LayerResult) -> None:
        self.layers.append(layer)
        self._state.apply(layer)
        if not layer.candidates and any(o.candidates is not None for o in layer.outputs):
            self._status = "failed"
            self._error = f"layer {layer.index} produced no candidates: " + "; ".join(layer.errors)
        elif len(self.layers) == len(self.architecture.layers):
            self._status = "completed" if self._state.candidates else "failed"
            self._error = None if self._state.candidates else "the last layer passed on no candidate"

    def __aiter__(self) -> Execution:
        return self

    async def __anext__(self) -> LayerResult:
        if self.finished or (layer := await self.step()) is None:
            raise StopAsyncIteration
        return layer

    async def run_to_end(self) -> RunResult:
        async for _ in self:
            pass
        return self.result()

    def result(self) -> RunResult:
        """The run as it stands (status "cancelled" while layers remain), with every known secret redacted."""
        status = self._status or "cancelled"
        error = self._error
        if self._status is None:
            error = f"stopped after {len(self.layers)} of {len(self.architecture.layers)} layers"
        answer = self._state.candidates[0].text if status == "completed" else None
        # The calls' records are redacted already (ModelClient); this covers the conversation and the architecture.
        return redacted(
            RunResult(
                architecture=self.architecture,
                messages=list(self._state.messages),
                status=status,
                answer=answer,
                error=error,
                layers=list(self.layers),
                trace=self._client.trace,
                usage=self._client.trace.total(),
            )
        )


async def arun(architecture: ArchitectureLike, prompt: Prompt, **kwargs: Any) -> RunResult:
    """Run an architecture on a prompt (or a conversation). Raises ArchitectureError if it cannot run.

    ``backend`` defaults to litellm (with ``api_keys``, provider -> key, over the environment's); pass a
    ``FakeModel`` for tests. Runs sharing a ``throttle`` share its concurrency limits. The keywords are
    ``Execution``'s. A cancelled ``arun`` raises CancelledError; to keep what a cancelled run finished, hold
    its ``Execution`` and read ``result()``.
    """
    return await Execution(architecture, prompt, **kwargs).run_to_end()


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
