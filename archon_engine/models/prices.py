"""Prices per token, read from the table litellm ships, without importing litellm (it is slow).

Local models (the embedded one, the fake) cost nothing. A model missing from the table has an
unknown price: ``None``, never a guess.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

FREE_PROVIDERS = {"local", "fake"}
_TABLE = "model_prices_and_context_window_backup.json"


@cache
def table() -> dict[str, dict[str, Any]]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(spec.submodule_search_locations[0]) / _TABLE
    return json.loads(path.read_text()) if path.is_file() else {}


def price(model: str) -> tuple[float, float] | None:
    """(input, output) USD per token, or None when unknown."""
    provider, _, name = model.partition("/")
    if provider in FREE_PROVIDERS:
        return (0.0, 0.0)
    entries = table()
    for key in (model, name):
        entry = entries.get(key) if key else None
        if entry and "input_cost_per_token" in entry and "output_cost_per_token" in entry:
            return float(entry["input_cost_per_token"]), float(entry["output_cost_per_token"])
    return None


def estimate_tokens(text: str) -> int:
    """A cautious (high) token count for budgeting: one token per three characters."""
    return len(text) // 3 + 1


def call_cost_bound(model: str, messages: list[dict[str, Any]], max_tokens: int) -> float | None:
    """The most a call can cost: its prompt plus ``max_tokens`` of output."""
    per_token = price(model)
    if per_token is None:
        return None
    prompt = sum(estimate_tokens(str(m.get("content", ""))) for m in messages)
    return prompt * per_token[0] + max_tokens * per_token[1]
