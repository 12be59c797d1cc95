"""What if: re-run a finished run from one of its layers, with edited candidates or a changed design.

The layers before the re-run start are the run's own (with the edits): no model is called for them. Only the
layer the re-run starts at and those after it are called, so a planted wrong answer, a dropped layer, another
model or more samples show their effect at the cost of the downstream calls alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from archon_engine.config import Architecture
from archon_engine.execution import Execution, RunResult
from archon_engine.state import LayerResult


def edited_layers(layers: list[LayerResult], edits: Mapping[str, str]) -> list[LayerResult]:
    """``layers`` with each candidate named in ``edits`` (candidate id -> text) given its new text, everywhere it
    appears (where it was made, and in each layer that passed it on). Raises ValueError for an unknown id."""
    seen = {c.id for layer in layers for c in layer.candidates + [c for o in layer.outputs for c in o.candidates or []]}
    unknown = sorted(set(edits) - seen)
    if unknown:
        raise ValueError(f"edits: no candidate {', '.join(unknown)} in the layers kept")

    def edit(candidate):
        return candidate.model_copy(update={"text": edits[candidate.id]}) if candidate.id in edits else candidate

    def edit_all(candidates):
        return None if candidates is None else [edit(c) for c in candidates]

    return [
        layer.model_copy(
            update={
                "candidates": edit_all(layer.candidates),
                "outputs": [o.model_copy(update={"candidates": edit_all(o.candidates)}) for o in layer.outputs],
            }
        )
        for layer in layers
    ]


def what_if(
    run: RunResult,
    *,
    from_layer: int,
    architecture: Architecture | None = None,
    edits: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Execution:
    """An ``Execution`` that goes on from ``run``'s first ``from_layer`` layers (with ``edits`` applied) through
    ``architecture`` (by default the run's own). Await its ``run_to_end()`` for the re-run's result, whose
    trace holds only the calls the re-run made. The keywords are ``Execution``'s (backend, keys, limits...).

    The layers kept are not re-run: an edit in layer 0 re-run from layer 3 reaches layer 3 only (what the
    layers between said was about the original text). Raises ValueError when the layers kept do not fit:
    ``architecture`` must keep the run's layers before ``from_layer`` unchanged.
    """
    arch = architecture or run.architecture
    if not 0 <= from_layer < len(arch.layers):
        raise ValueError(f"from_layer: {from_layer} is not a layer of {arch.name!r} (0 to {len(arch.layers) - 1})")
    if from_layer > len(run.layers):
        raise ValueError(f"from_layer: the run finished only {len(run.layers)} layers")
    for index in range(from_layer):
        if arch.layers[index] != run.architecture.layers[index]:
            raise ValueError(f"layer {index} of the design changed since the run: re-run from layer {index}")
    kept = edited_layers(list(run.layers[:from_layer]), edits or {})
    return Execution(arch, run.messages, done=kept, **kwargs)


class RunDifference(BaseModel):
    """Two runs side by side: the answers' text diff, and calls, cost and latency of each."""

    answer_diff: list[str]  # unified diff lines, original first; empty when the answers are the same
    calls: tuple[int, int]
    cost_usd: tuple[float, float]
    latency_s: tuple[float, float]
    reused_calls: int = 0  # the original's calls the re-run took from it instead of making them again


def difference(original: RunResult, other: RunResult, *, from_layer: int = 0) -> RunDifference:
    """How ``other`` (a what-if re-run of ``original`` from ``from_layer``) differs from ``original``."""
    diff = difflib.unified_diff(
        (original.answer or "").splitlines(),
        (other.answer or "").splitlines(),
        "original",
        "what if",
        lineterm="",
    )
    return RunDifference(
        answer_diff=list(diff),
        calls=(original.usage.calls, other.usage.calls),
        cost_usd=(original.usage.cost_usd, other.usage.cost_usd),
        latency_s=(original.usage.latency_s, other.usage.latency_s),
        reused_calls=sum(call.layer < from_layer for call in original.trace.calls),
    )
