"""When a step did not do its job, said plainly and computed from the run (no model call).

The paper's small-model limitation made visible: a critic that writes the same words for every candidate, a
ranking that is the input order, verdicts that are all the same, a fusion that copies one candidate, an
output cut at max_tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

from archon_engine.explain.text import containment, content_words, normalised, words
from archon_engine.state import Candidate, ComponentOutput
from archon_engine.trace import CallRecord

COPIED_AT_LEAST = 0.9  # a fusion and a candidate that hold this much of each other are the same text
FILLER = frozenset({"answer", "response", "candidate", "says", "states", "given"})


def cut_at_max_tokens(call: CallRecord) -> bool:
    """The reply was cut at its ``max_tokens``: the provider's finish reason is "length", or, where the
    provider reported none, the reply used all of its ``max_tokens``."""
    if call.error is not None:
        return False
    if call.finish_reason is not None:
        return call.finish_reason == "length"
    limit = call.params.get("max_tokens")
    return isinstance(limit, int) and limit > 0 and call.completion_tokens >= limit


def cut_calls(calls: Sequence[CallRecord]) -> list[str]:
    """One warning per component whose replies were cut at max_tokens."""
    by_component: dict[str, list[CallRecord]] = {}
    for call in calls:
        by_component.setdefault(call.component, []).append(call)
    found = []
    for component, records in by_component.items():
        cut = [c for c in records if cut_at_max_tokens(c)]
        if cut:
            limit = cut[0].params.get("max_tokens")
            found.append(
                f"{component}: {len(cut)} of {len(records)} replies stopped at max_tokens ({limit}): "
                "they were cut off mid-answer; raise max_tokens"
            )
    return found


def critic_problems(output: ComponentOutput, inputs: Sequence[Candidate]) -> list[str]:
    critiques = output.critiques
    if not critiques:
        return []
    found = []
    pairs = {(normalised(c.strengths), normalised(c.weaknesses)) for c in critiques}
    if len(critiques) > 1 and len(pairs) == 1:
        found.append(f"{output.component}: wrote the same strengths and weaknesses for all {len(critiques)} candidates")
    if all(normalised(c.strengths) == normalised(c.weaknesses) for c in critiques):
        found.append(f"{output.component}: its strengths and weaknesses are the same words: it did not judge")
    texts = {c.id: c.text for c in inputs}
    repeating = [c.candidate_id for c in critiques if _only_repeats(c.strengths, c.weaknesses, texts)]
    if repeating and len(repeating) == len(critiques):
        found.append(f"{output.component}: its critiques only repeat an answer instead of judging it")
    return found


def _only_repeats(strengths: str, weaknesses: str, texts: dict[str, str]) -> bool:
    """Both parts of a critique say nothing beyond the words of some candidate's answer."""

    def repeats(part: str) -> bool:
        meaning = content_words(part) - FILLER
        return bool(meaning) and any(
            len(meaning & set(words(text))) / len(meaning) >= COPIED_AT_LEAST for text in texts.values()
        )

    return repeats(strengths) and repeats(weaknesses)


def ranking_problems(output: ComponentOutput, inputs: Sequence[Candidate]) -> list[str]:
    ranking = output.ranking
    if ranking is None or ranking.failed or len(ranking.order) < 2:
        return []
    if ranking.order == [c.id for c in inputs]:
        return [f"{ranking.source}: the ranking is the order it read the candidates in: it may not have ranked"]
    return []


def verdict_problems(output: ComponentOutput) -> list[str]:
    verdicts = output.verdicts
    values = {v.correct for v in verdicts}
    if len(verdicts) < 2 or len(values) != 1:
        return []
    said = {True: "correct", False: "incorrect", None: "unreadable"}[values.pop()]
    return [f"{output.component}: all {len(verdicts)} verdicts are '{said}': it did not tell the candidates apart"]


def test_problems(output: ComponentOutput) -> list[str]:
    if not output.test_results:
        return []
    passed: dict[str, int] = {}
    for result in output.test_results:
        passed[result.candidate_id] = passed.get(result.candidate_id, 0) + bool(result.passed)
    if len(passed) > 1 and len(set(passed.values())) == 1:
        count = next(iter(passed.values()))
        return [f"{output.component}: every candidate passed {count} tests: the tests did not separate them"]
    return []


def vote_problems(output: ComponentOutput) -> list[str]:
    vote = output.vote
    if vote is None or len(vote.answers) < 2:
        return []
    if vote.winner is None:
        return [f"{vote.source}: no answer could be read from any candidate: the vote decided nothing"]
    if vote.counts[vote.winner] == 1:
        return [f"{vote.source}: no two candidates agreed, so the vote only picked the first answer"]
    return []


def fusion_problems(output: ComponentOutput, inputs: Sequence[Candidate]) -> list[str]:
    found = []
    for fused in output.candidates or []:
        copied = next(
            (
                c.id
                for c in inputs
                if containment(fused.text, c.text) >= COPIED_AT_LEAST
                and containment(c.text, fused.text) >= COPIED_AT_LEAST
            ),
            None,
        )
        if copied is not None:
            found.append(f"{fused.id}: the fusion copies {copied} instead of combining the candidates")
    return found


def generator_problems(outputs: Sequence[ComponentOutput]) -> list[str]:
    made = [c for o in outputs for c in o.candidates or []]
    if len(made) > 1 and len({normalised(c.text) for c in made}) == 1:
        return [f"all {len(made)} samples are the same text: no variety for later steps (raise the temperature?)"]
    return []
