"""LLM-as-judge: an absolute 1-10 score with a rubric, and pairwise against a baseline in both orders.

Judges call their model at temperature 0 through the run's client, so every judgement is traced
and a repeated evaluation replays it from the cache. A reply that cannot be parsed is asked again
(twice), then reported as the scorer's error.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from archon_engine.components.replies import ParseError, parse_reply, schema_of
from archon_engine.config import DEFAULT_MODEL
from archon_engine.evaluation.datasets import Item
from archon_engine.evaluation.scorers.base import Score, Scorer
from archon_engine.evaluation.scorers.registry import register
from archon_engine.models.base import ModelRequest
from archon_engine.models.client import ModelClient

PARSE_RETRIES = 2
RUBRIC = (
    "Judge the response for correctness first, then helpfulness, completeness and clarity. "
    "1 = wrong or useless, 4 = partly right, 7 = right with minor flaws, 10 = fully right and well put."
)
ABSOLUTE_PROMPT = """You are a strict, fair judge of an AI assistant's response.

Rubric: {rubric}
{reference}
[Question]
{question}

[Response]
{response}

Reply in JSON: {{"reasoning": "<two or three sentences>", "score": <integer 1-10>}}"""
PAIRWISE_PROMPT = """You are a strict, fair judge comparing two AI assistants' responses to one question.
Ignore the order in which they appear and their length; prefer the correct, more helpful response.
{reference}
[Question]
{question}

[Response A]
{a}

[Response B]
{b}

Reply in JSON: {{"reasoning": "<two or three sentences>", "winner": "A" | "B" | "tie"}}"""


class AbsoluteReply(BaseModel):
    reasoning: str = Field(default="", json_schema_extra={"maxLength": 400})
    score: int = Field(ge=1, le=10)


class PairwiseReply(BaseModel):
    reasoning: str = Field(default="", json_schema_extra={"maxLength": 400})
    winner: Literal["A", "B", "tie"]


def _reference(item: Item) -> str:
    return f"\n[Reference answer]\n{item.reference}\n" if item.reference else ""


async def _ask(client: ModelClient, model: str, prompt: str, reply_model: type[BaseModel], role: str):
    """One structured judgement; returns (reply, None) or (None, why it failed)."""
    error = "no attempt"
    request = ModelRequest(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        temperature=0.0,
        max_tokens=300,
        response_schema=schema_of(reply_model),
        role=role,
    )
    for _ in range(1 + PARSE_RETRIES):
        record = await client.call(request, layer=-1, component="judge", component_type="judge")
        if record.error is not None:
            return None, record.error
        try:
            reply = parse_reply(record.raw_response or "", reply_model)
        except ParseError as exc:
            record.parse_error = error = str(exc)
            continue
        record.parsed = reply.model_dump()
        return reply, None
    return None, f"judge reply unparseable after {1 + PARSE_RETRIES} attempts: {error}"


class _Judge(Scorer):
    needs_reference = False
    needs_model = True

    @property
    def model(self) -> str:
        return self.options.get("model") or DEFAULT_MODEL


@register
class AbsoluteJudge(_Judge):
    name = "judge"
    description = (
        "LLM-as-judge: a 1-10 score against a rubric (and the reference if the item has one); value = score/10."
    )

    async def score(self, item, output, *, client=None) -> Score:
        prompt = ABSOLUTE_PROMPT.format(
            rubric=self.options.get("rubric", RUBRIC), reference=_reference(item), question=item.prompt, response=output
        )
        reply, error = await _ask(client, self.model, prompt, AbsoluteReply, "judge")
        if reply is None:
            return Score(value=0.0, error=error)
        return Score(value=reply.score / 10, extracted=f"{reply.score}/10", detail=reply.reasoning)


@register
class PairwiseJudge(_Judge):
    name = "pairwise"
    description = (
        "LLM-as-judge against a baseline's output, asked in both orders to cancel position bias: "
        "win = 1, tie = 0.5, loss = 0; disagreeing orders count as a tie."
    )
    needs_baseline = True

    async def score(self, item, output, *, client=None, baseline: str | None = None) -> Score:
        if baseline is None:
            return Score(value=0.0, error=f"item {item.id}: no baseline output to compare with")
        verdicts = []
        for a, b, ours in ((output, baseline, "A"), (baseline, output, "B")):
            prompt = PAIRWISE_PROMPT.format(reference=_reference(item), question=item.prompt, a=a, b=b)
            reply, error = await _ask(client, self.model, prompt, PairwiseReply, "judge_pairwise")
            if reply is None:
                return Score(value=0.0, error=error)
            verdicts.append(("tie" if reply.winner == "tie" else "win" if reply.winner == ours else "loss", reply))
        (first, one), (second, two) = verdicts
        outcome = pairwise_outcome(first, second)
        detail = f"system first: {first} ({one.reasoning}) | baseline first: {second} ({two.reasoning})"
        return Score(value={"win": 1.0, "tie": 0.5, "loss": 0.0}[outcome], extracted=outcome, detail=detail)


def pairwise_outcome(first: str, second: str) -> str:
    """Combine the verdicts of both orders: agreeing or win+tie decides; disagreeing is a tie."""
    outcomes = {first, second}
    if outcomes in ({"win"}, {"win", "tie"}):
        return "win"
    if outcomes in ({"loss"}, {"loss", "tie"}):
        return "loss"
    return "tie"
