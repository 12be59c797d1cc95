"""Code tasks: the output's code and the item's tests run together in the sandbox."""

from __future__ import annotations

import re

from archon_engine.evaluation.datasets import Item
from archon_engine.evaluation.sandbox import SandboxLimits, arun_python
from archon_engine.evaluation.scorers.base import Score, Scorer
from archon_engine.evaluation.scorers.registry import register

FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


def extract_code(output: str, entry_point: str | None = None) -> str:
    """The code in a reply: the fenced block defining ``entry_point`` (else the first block), else
    the whole reply."""
    blocks = [b for b in FENCE.findall(output) if b.strip()]
    if not blocks:
        return output
    if entry_point:
        for block in blocks:
            if re.search(rf"\bdef\s+{re.escape(entry_point)}\s*\(", block):
                return block
    return blocks[0]


@register
class CodeTests(Scorer):
    name = "code"
    description = (
        "Code tasks: 1 if the output's code passes the item's tests, run in an isolated subprocess "
        "(CPU, memory, process and file-size limits, a wall timeout, no network, no environment)."
    )

    async def score(self, item: Item, output: str, *, client=None) -> Score:
        if not item.tests:
            return Score(value=0.0, error=f"item {item.id} has no tests to run")
        code = extract_code(output, item.entry_point)
        limits = SandboxLimits(**self.options.get("limits", {}))
        result = await arun_python(f"{code}\n\n\n{item.tests}\n", limits=limits)
        if result.ok:
            return Score(value=1.0, extracted=code[:2000], detail="all tests passed")
        reason = result.killed_reason or f"exit code {result.returncode}"
        tail = result.stderr.strip().splitlines()[-3:]
        return Score(value=0.0, extracted=code[:2000], detail="; ".join([f"tests failed: {reason}", *tail]))
