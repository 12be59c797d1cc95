"""Small pieces every run widget shares: money, counts and labels as text, a call's facts, a model's text in
a box, and cards in a grid."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from archon_engine.components import registry
from archon_engine.components.instructions import CUSTOM, VARIANTS, variant_of
from archon_engine.config import ComponentSpec
from archon_engine.trace import CallRecord, Usage

CARDS_PER_ROW = 3
LONG_TEXT = 500  # characters; longer texts scroll inside a fixed-height box
SHOWN_TEXT = 20_000  # characters of one text on the page; the trace download has all of them


def money(cost: float | None) -> str:
    if cost is None:
        return "cost unknown"
    return "$0" if cost == 0 else f"${cost:.4f}" if cost >= 0.0001 else f"${cost:.2e}"


def calls_text(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def usage_money(usage: Usage) -> str:
    return money(usage.cost_usd) + ("" if usage.cost_known else " + unknown")


def layer_label(index: int, specs: list[ComponentSpec]) -> str:
    """``L1 · critic``, ``L0 · 3 generators``, ``L0 · generator ×5``."""
    types = list(dict.fromkeys(s.type for s in specs))
    if len(specs) == 1:
        spec = specs[0]
        return f"L{index} · {spec.type}" + (f" ×{spec.samples}" if spec.samples > 1 else "")
    if len(types) == 1:
        return f"L{index} · {len(specs)} {types[0]}s"
    return f"L{index} · " + " + ".join(types)


def call_icon(call: CallRecord) -> str:
    return "❌" if call.error else "⚠️" if call.parse_error else "✅"


def call_facts(call: CallRecord | None, specs: dict[str, ComponentSpec] | None = None) -> str:
    """model · temperature · tokens · cost · latency (· instruction), from the call that made something.

    ``specs`` (component id -> spec) adds the instruction variant the call's component sent.
    """
    if call is None:
        return "no call record"
    temperature = call.params.get("temperature")
    parts = [
        f"`{call.model}`",
        f"t={temperature:g}" if isinstance(temperature, int | float) else None,
        f"{call.prompt_tokens}→{call.completion_tokens} tok",
        money(call.cost_usd),
        f"{call.latency_s:.2f} s",
        instruction_label((specs or {}).get(call.component)),
    ]
    return " · ".join(p for p in parts if p)


def instruction_label(spec: ComponentSpec | None, *, full: bool = False) -> str | None:
    """``instruction: step_by_step`` or ``instruction: custom “…”`` for a component that sends one;
    ``full`` adds a named variant's text and does not shorten the user's own."""
    if spec is None or spec.instruction is None:
        return None
    component = registry.get(spec.type)
    if component is None or "instruction" not in component.settings:
        return None  # set but not sent (the checks say so)
    variant, text = variant_of(spec.instruction), spec.instruction.strip()
    if variant == CUSTOM:
        return f"instruction: custom “{text if full or len(text) <= 60 else text[:59] + '…'}”"
    return f"instruction: {variant}" + (f" “{VARIANTS[text]}”" if full else "")


def shown(text: str) -> str:
    """``text`` cut to SHOWN_TEXT characters with a note saying how many more there are."""
    if len(text) <= SHOWN_TEXT:
        return text
    return f"{text[:SHOWN_TEXT]}\n… {len(text) - SHOWN_TEXT:,} more characters: download the trace to read them all"


def text_box(text: str) -> None:
    """A model's text as markdown; long texts scroll in a fixed-height box."""
    body = shown(text.strip()) or "*(empty)*"
    if len(body) > LONG_TEXT:
        with st.container(height=260, border=False):
            st.markdown(body)
    else:
        st.markdown(body)


def grid(items: list, per_row: int = CARDS_PER_ROW) -> Iterable[tuple]:
    """Yield (column, item) pairs, ``per_row`` cards side by side."""
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        yield from zip(columns, items[start : start + per_row], strict=False)
