"""Leave-one-out fusion: which sentences of a fused answer change when one of its candidates is left out.

Provenance (``fusion_provenance``) says which candidate a sentence looks copied from; this asks the fuser
itself. For each candidate the fusion read, the fuser is called again, exactly as in the run (its model,
settings, sample seed, the query and the critiques), on the other candidates only: one call per candidate.
A sentence of the fusion that the fusion without a candidate no longer holds depends on that candidate.

Calls go through the response cache when one is given (sampled fusions too: the n-th identical request
replays the n-th stored reply), so asking twice costs nothing the second time. At temperature > 0 without
a seed the fuser's reply varies by chance as well, so a changed sentence is not always the candidate's
doing (``sampled`` says so).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from pydantic import BaseModel, Field

from archon_engine.components import registry
from archon_engine.components.base import gather_all
from archon_engine.config import Architecture, ComponentSpec, component_id
from archon_engine.execution import RunResult
from archon_engine.explain.text import containment, sentences
from archon_engine.models.base import ModelBackend
from archon_engine.models.cache import CachedBackend, ResponseCache
from archon_engine.models.client import Budget, Limits, ModelClient
from archon_engine.models.keys import redacted
from archon_engine.state import Candidate, RunState
from archon_engine.trace import Trace, Usage

KEPT_AT_LEAST = 0.8  # a sentence is kept when one sentence of the other fusion holds this much of it


class CandidateEffect(BaseModel):
    """What the fusion became without one candidate, and which of its sentences that changed."""

    candidate_id: str
    fused_without: str | None  # the fuser's reply without this candidate (None: the call failed)
    error: str | None = None
    changed: list[int] = Field(default_factory=list)  # indexes of the fusion's sentences it no longer holds
    added: list[str] = Field(default_factory=list)  # its sentences the fusion did not have
    dependence: float = 0.0  # share (0 to 1) of the fusion's characters in the changed sentences
    cached: bool = False  # the reply came from the response cache


class LeaveOneOut(BaseModel):
    """A fusion's sentences and, per candidate it read, what leaving that candidate out changed."""

    fused_id: str
    sentences: list[str]
    effects: list[CandidateEffect]
    sampled: bool  # the fuser samples (temperature > 0, no seed): a change may be chance
    trace: Trace  # the calls made (cached ones marked)

    @property
    def usage(self) -> Usage:
        return self.trace.total()

    def effect(self, candidate_id: str) -> CandidateEffect:
        return next(e for e in self.effects if e.candidate_id == candidate_id)


def planned_calls(run: RunResult, fused_id: str) -> int:
    """How many calls ``leave_one_out`` makes for this fusion (one per candidate it read); ValueError if none."""
    return len(_fusion(run, fused_id)[0].inputs)


def compare_fusions(fused: str, without: str) -> tuple[list[int], list[str], float]:
    """The sentences of ``fused`` that ``without`` does not hold (indexes), the sentences of ``without`` that
    ``fused`` does not hold, and the share of ``fused``'s characters in the first."""
    ours, theirs = sentences(fused), sentences(without)
    changed = [i for i, s in enumerate(ours) if not _held(s, theirs)]
    added = [s for s in theirs if not _held(s, ours)]
    total = sum(len(s) for s in ours)
    share = sum(len(ours[i]) for i in changed) / total if total else 0.0
    return changed, added, round(share, 3)


def _held(sentence: str, others: list[str]) -> bool:
    return any(containment(sentence, other) >= KEPT_AT_LEAST for other in others)


def _fusion(run: RunResult, fused_id: str) -> tuple[Candidate, ComponentSpec, int]:
    """The fused candidate, its fuser's spec and its sample index; ValueError naming what does not fit."""
    for layer in run.layers:
        for output in layer.outputs:
            for candidate in output.candidates or []:
                if candidate.id != fused_id:
                    continue
                spec = _spec(run.architecture, candidate)
                if spec is None or spec.type != "fuser" or output.fusion_skip is not None:
                    raise ValueError(f"fused_id: {fused_id} was not written by a fuser's call")
                if len(candidate.inputs) < 2:
                    read = len(candidate.inputs)
                    raise ValueError(f"fused_id: {fused_id} read {read} candidate: nothing to leave out")
                sample = candidate.id.rpartition(".s")[2]
                return candidate, spec, int(sample) if sample.isdigit() else 0
    raise ValueError(f"fused_id: no candidate {fused_id} in this run")


def _spec(arch: Architecture, candidate: Candidate) -> ComponentSpec | None:
    layer = arch.layers[candidate.layer] if candidate.layer < len(arch.layers) else []
    return next((spec for j, spec in enumerate(layer) if component_id(candidate.layer, j) == candidate.source), None)


def _state_before(run: RunResult, layer: int) -> RunState:
    state = RunState(messages=tuple(run.messages))
    for done in run.layers[:layer]:
        state.apply(done)
    return state


async def aleave_one_out(
    run: RunResult,
    fused_id: str,
    *,
    backend: ModelBackend | None = None,
    cache: ResponseCache | None = None,
    api_keys: dict[str, str] | None = None,
    limits: Limits | None = None,
    budget: Budget | None = None,
) -> LeaveOneOut:
    """Re-run the fuser that wrote ``fused_id`` without each of its candidates in turn (the calls at once).

    ``backend`` defaults to litellm (with ``api_keys``); with ``cache`` every call goes through it. Raises
    ValueError when ``fused_id`` is not a fusion of two candidates or more of this run.
    """
    fused, spec, sample = _fusion(run, fused_id)
    state = _state_before(run, fused.layer)
    by_id = {c.id: c for c in state.candidates}
    missing = [cid for cid in fused.inputs if cid not in by_id]
    if missing:
        raise ValueError(f"fused_id: the candidates {', '.join(missing)} it read are not in the run's layers")
    if backend is None:
        from archon_engine.models.litellm_backend import LitellmBackend

        backend = LitellmBackend(api_keys)
    if cache is not None:
        backend = CachedBackend(backend, cache, cache_sampling=True)
    client = ModelClient(backend, limits=limits, budget=budget)
    seed = None if spec.seed is None else spec.seed + sample
    one_call = spec.model_copy(update={"samples": 1, "seed": seed, "first_k": None, "skip_when_agree": None})
    fuser = registry.get("fuser")(one_call, layer=fused.layer, component_id=fused.source, client=client)

    async def without(left_out: str) -> CandidateEffect:
        others = [by_id[cid] for cid in fused.inputs if cid != left_out]
        output = await fuser.run(state.model_copy(update={"candidates": others}))
        if not output.candidates:
            return CandidateEffect(candidate_id=left_out, fused_without=None, error="; ".join(output.errors))
        text = output.candidates[0].text
        changed, added, share = compare_fusions(fused.text, text)
        call = next((c for c in client.trace.calls if c.id == output.candidates[0].call_id), None)
        return CandidateEffect(
            candidate_id=left_out,
            fused_without=text,
            changed=changed,
            added=added,
            dependence=share,
            cached=bool(call and call.cached),
        )

    effects = await gather_all(without(cid) for cid in fused.inputs)
    return redacted(
        LeaveOneOut(
            fused_id=fused_id,
            sentences=sentences(fused.text),
            effects=effects,
            sampled=spec.temperature > 0 and seed is None,
            trace=client.trace,
        )
    )


def leave_one_out(run: RunResult, fused_id: str, **kwargs: Any) -> LeaveOneOut:
    """Synchronous ``aleave_one_out``; works inside a running event loop too (it then uses a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(aleave_one_out(run, fused_id, **kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, aleave_one_out(run, fused_id, **kwargs)).result()
