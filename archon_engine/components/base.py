"""What every component is: a spec, a run over the state, and a plan for estimates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel

from archon_engine.components.replies import ParseError, parse_reply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.models.base import ModelRequest
from archon_engine.models.client import ModelClient
from archon_engine.state import ComponentOutput, RunState
from archon_engine.trace import CallRecord

PARSE_RETRIES = 2  # extra attempts after a reply that cannot be parsed

T = TypeVar("T")
Severity = Literal["error", "warning", "info"]


async def gather_all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Run concurrently, results in order. If one fails, the others are cancelled (no orphans) and
    the first failure is raised as itself, not wrapped in an exception group."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_as_coroutine(a)) for a in awaitables]
    except BaseExceptionGroup as failures:
        first = failures.exceptions[0]
        raise first from failures
    return [task.result() for task in tasks]


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


class Plan(BaseModel):
    """What a component will do with ``n`` incoming candidates, for ``estimate``."""

    calls: int  # at most
    min_calls: int | None = None  # at least, for an adaptive component (None: always ``calls``)
    expected_calls: float | None = None  # on average under estimate's stated agreement (None: ``calls``)
    depth: int = 1  # calls one after another (the critical path inside the component)
    outputs: int | None = None  # candidates it passes on; None: leaves them unchanged
    reads_candidates: bool = True
    writes_candidates: bool = False  # its outputs are new texts (up to max_tokens), not a selection
    reads_unit_tests: bool = False
    context_tokens: int = 0  # prompt tokens of its own beyond query and candidates (a verifier's reasoning)
    annotates: Literal["critiques", "unit_tests"] | None = None  # text it leaves for later components


class Component:
    """Base class. Subclasses set ``type``, ``spec_class``, implement ``run`` and ``plan``.

    ``needs_candidates`` components cannot run without candidates before them (an error in
    ``validate``); ``first_layer_only`` and ``stands_alone`` encode the paper's layer rules
    (warnings in ``validate``); ``one_prompt`` components put every candidate into a single prompt,
    so ``validate`` caps how many may reach them.
    """

    type: ClassVar[str]
    spec_class: ClassVar[type[ComponentSpec]] = ComponentSpec
    settings: ClassVar[tuple[str, ...]] = ()  # optional settings it reads, beyond model/temperature/max_tokens
    needs_candidates: ClassVar[bool] = True
    first_layer_only: ClassVar[bool] = False
    stands_alone: ClassVar[bool] = True
    one_prompt: ClassVar[bool] = False

    def __init__(self, spec: ComponentSpec, *, layer: int, component_id: str, client: ModelClient):
        self.spec = spec
        self.layer = layer
        self.id = component_id
        self.client = client

    async def run(self, state: RunState) -> ComponentOutput:
        raise NotImplementedError

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        raise NotImplementedError

    @classmethod
    def in_one_prompt(cls, spec: ComponentSpec) -> bool:
        """Whether ``spec`` puts every candidate into a single prompt (``one_prompt``, unless its mode says not)."""
        return cls.one_prompt and getattr(spec, "mode", "listwise") != "pointwise"

    @classmethod
    def check(cls, spec: ComponentSpec, n: int) -> list[tuple[Severity, str]]:
        """Findings of this type's own (severity, message), for ``validate``; up to ``n`` candidates reach it."""
        return []

    def output(self, **fields) -> ComponentOutput:
        return ComponentOutput(component=self.id, **fields)

    def keep_count(self, n: int) -> int:
        """How many candidates to pass on: ``first_k`` if set, else ``top_k``, else all."""
        limit = self.spec.first_k if self.spec.first_k is not None else self.spec.top_k
        return n if limit is None else min(n, limit)

    async def call(
        self,
        role: str,
        messages: list[dict],
        *,
        seed: int | None = None,
        schema: dict | None = None,
        **metadata,
    ) -> CallRecord:
        request = ModelRequest(
            model=self.spec.model,
            messages=messages,
            temperature=self.spec.temperature,
            max_tokens=self.spec.max_tokens,
            seed=seed if seed is not None else self.spec.seed,
            response_schema=schema,
            api_base=self.spec.api_base,
            role=role,
            metadata=metadata,
        )
        return await self.client.call(request, layer=self.layer, component=self.id, component_type=self.type)

    async def call_structured(
        self,
        role: str,
        messages: list[dict],
        reply_model: type[BaseModel],
        *,
        schema: dict | None = None,
        check: Callable[[Any], str | None] | None = None,
        **metadata,
    ) -> tuple[Any, str | None]:
        """Ask for a structured reply; retry unparseable ones. Returns (reply, None) or (None, error).

        ``check`` may reject a well-formed reply (returning why); that counts as a parse failure.
        """
        error = None
        schema = schema or schema_of(reply_model)
        for _ in range(1 + PARSE_RETRIES):
            record = await self.call(role, messages, schema=schema, **metadata)
            if record.error is not None:
                return None, record.error
            try:
                reply = parse_reply(record.raw_response or "", reply_model)
                problem = check(reply) if check else None
                if problem:
                    raise ParseError(problem)
            except ParseError as exc:
                record.parse_error = error = str(exc)
                continue
            record.parsed = reply.model_dump()
            return reply, None
        return None, f"unparseable after {1 + PARSE_RETRIES} attempts: {error}"
