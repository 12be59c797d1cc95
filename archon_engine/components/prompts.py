"""Every prompt the engine sends, and a short explanation of each technique (the app shows these).

Candidates are shown to models numbered from 1; components map the numbers back to candidate ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from archon_engine.components.instructions import instruction_text, with_instruction
from archon_engine.state import Candidate, Critique, UnitTest

EXPLANATIONS: dict[str, str] = {
    "generator": (
        "Samples answers to the conversation. Several generators or samples give the later layers "
        "a pool of diverse candidates to choose from and combine; sampling at temperature > 0 "
        "makes the samples differ."
    ),
    "fuser": (
        "Reads the candidates (and their critiques) and writes one new answer that keeps what is "
        "right in each and fixes what is wrong. Fusion is the Mixture-of-Agents aggregation step; "
        "it replaces the candidate list with its own outputs."
    ),
    "ranker": (
        "Orders the candidates from best to worst in one call and keeps the top_k. Cutting weak "
        "candidates before fusion stops them from dragging the fused answer down."
    ),
    "critic": (
        "Writes strengths and weaknesses for every candidate in one call. Later rankers and fusers "
        "read these critiques beside the candidates they describe."
    ),
    "verifier": (
        "Checks each candidate on its own: first reasons about whether it answers the query "
        "correctly, then gives a verdict. Only candidates judged correct go on."
    ),
    "unit_test_generator": (
        "Writes short, checkable statements that a correct answer must satisfy (unit tests in "
        "natural language). Generators in later layers see them; an evaluator applies them."
    ),
    "unit_test_evaluator": (
        "Checks every candidate against every unit test and sorts the candidates by how many "
        "tests they pass, keeping the best."
    ),
    "majority_vote": (
        "Self-consistency (Wang et al., 2022): sample several answers, read the final answer out of each "
        "(a number, a choice letter, a short phrase) and keep the one most samples agree on. It needs no "
        "model call and no model judging its own outputs, which is why it helps small models where "
        "rankers and fusers do not. Ties go to the answer that came first."
    ),
}

LENGTH_CONTROL = "Keep your response concise: no longer than needed to answer fully."


def _numbered(candidates: Sequence[Candidate], critiques: dict[str, Critique] | None = None) -> str:
    blocks = []
    for number, candidate in enumerate(candidates, start=1):
        block = f"Response {number}:\n{candidate.text.strip()}"
        critique = (critiques or {}).get(candidate.id)
        if critique is not None:
            block += (
                f"\n(Review of response {number}. Strengths: {critique.strengths} Weaknesses: {critique.weaknesses})"
            )
        blocks.append(block)
    return "\n\n".join(blocks)


def unit_tests_block(tests: Sequence[UnitTest]) -> str:
    lines = "\n".join(f"{i}. {t.text}" for i, t in enumerate(tests, start=1))
    return f"Your response will be checked against these unit tests:\n{lines}"


def generator_messages(
    conversation: Sequence[dict],
    system_prompt: str | None,
    tests: Sequence[UnitTest],
    length_control: bool,
    instruction: str | None = None,
) -> list[dict]:
    """The conversation as it is, with explicit extra blocks (unit tests, length control, the instruction)
    at the end of its last user message."""
    messages = [dict(m) for m in conversation]
    if system_prompt:
        messages = [m for m in messages if m.get("role") != "system"]
        messages.insert(0, {"role": "system", "content": system_prompt})
    extras = ([unit_tests_block(tests)] if tests else []) + ([LENGTH_CONTROL] if length_control else [])
    extras += [text] if (text := instruction_text(instruction)) else []
    if extras:
        for message in reversed(messages):
            if message.get("role") == "user":
                message["content"] = "\n\n".join([str(message.get("content", "")), *extras])
                break
    return messages


def _system(text: str, override: str | None) -> dict:
    return {"role": "system", "content": override or text}


def fuser_messages(
    query: str,
    candidates: Sequence[Candidate],
    critiques: dict[str, Critique],
    system_prompt: str | None,
    length_control: bool,
    instruction: str | None = None,
) -> list[dict]:
    system = (
        "You combine several candidate responses to a user's query into one response that is better "
        "than each of them. Keep what is correct and useful, fix what is wrong, and answer the query "
        "directly. Do not mention the candidates."
    )
    user = (
        f"Query:\n{query}\n\nCandidate responses:\n\n{_numbered(candidates, critiques)}\n\n"
        "Now write your own single, complete response to the query, without numbering or mentioning the responses."
    )
    if length_control:
        user += " " + LENGTH_CONTROL
    return [_system(system, system_prompt), {"role": "user", "content": with_instruction(user, instruction)}]


def ranker_messages(
    query: str,
    candidates: Sequence[Candidate],
    critiques: dict[str, Critique],
    system_prompt: str | None,
    instruction: str | None = None,
) -> list[dict]:
    system = (
        "You rank candidate responses to a query from best to worst by correctness, helpfulness and "
        "clarity. You reply with JSON only."
    )
    user = (
        with_instruction(f"Query:\n{query}\n\nCandidate responses:\n\n{_numbered(candidates, critiques)}", instruction)
        + f"\n\nRank all {len(candidates)} responses, best first. Reply with JSON: "
        '{"ranking": [response numbers, best first, each once], "reason": "one sentence"}'
    )
    return [_system(system, system_prompt), {"role": "user", "content": user}]


def critic_messages(
    query: str, candidates: Sequence[Candidate], system_prompt: str | None, instruction: str | None = None
) -> list[dict]:
    system = (
        "You review candidate responses to a query. For each one you name its strengths and its "
        "weaknesses (errors, omissions, unclear parts). You reply with JSON only."
    )
    user = (
        with_instruction(f"Query:\n{query}\n\nCandidate responses:\n\n{_numbered(candidates)}", instruction)
        + f"\n\nReview all {len(candidates)} responses. Reply with JSON: "
        '{"critiques": [{"candidate": response number, "strengths": "...", "weaknesses": "..."}]}'
    )
    return [_system(system, system_prompt), {"role": "user", "content": user}]


def critic_one_messages(
    query: str, candidate: Candidate, system_prompt: str | None, instruction: str | None = None
) -> list[dict]:
    """A pointwise critic's prompt: one candidate, on its own."""
    system = (
        "You review a response to a query: you name its strengths and its weaknesses (errors, omissions, "
        "unclear parts). You reply with JSON only."
    )
    user = (
        with_instruction(f"Query:\n{query}\n\nResponse:\n{candidate.text.strip()}", instruction)
        + '\n\nReview this response. Reply with JSON: {"strengths": "...", "weaknesses": "..."}'
    )
    return [_system(system, system_prompt), {"role": "user", "content": user}]


def score_messages(
    query: str,
    candidate: Candidate,
    critique: Critique | None,
    system_prompt: str | None,
    instruction: str | None = None,
) -> list[dict]:
    """A pointwise ranker's prompt: score one candidate, on its own, from 1 to 10."""
    system = (
        "You grade a response to a query from 1 (wrong or useless) to 10 (correct, complete and clear). "
        "You reply with JSON only."
    )
    body = f"Query:\n{query}\n\nResponse:\n{candidate.text.strip()}"
    if critique is not None:
        body += f"\n\nA reviewer noted\nStrengths: {critique.strengths}\nWeaknesses: {critique.weaknesses}"
    user = (
        with_instruction(body, instruction)
        + '\n\nGrade this response. Reply with JSON: {"score": 1 to 10, "reason": "one sentence"}'
    )
    return [_system(system, system_prompt), {"role": "user", "content": user}]


def verifier_reasoning_messages(
    query: str, candidate: Candidate, critique: Critique | None, system_prompt: str | None
) -> list[dict]:
    system = (
        "You check whether a response correctly and completely answers a query. Examine its claims "
        "and reasoning step by step before deciding."
    )
    user = f"Query:\n{query}\n\nResponse:\n{candidate.text.strip()}"
    if critique is not None:
        user += f"\n\nA reviewer noted\nStrengths: {critique.strengths}\nWeaknesses: {critique.weaknesses}"
    user += "\n\nIs this response correct? Reason it through."
    return [_system(system, system_prompt), {"role": "user", "content": user}]


def verifier_verdict_messages(reasoning_messages: list[dict], reasoning: str) -> list[dict]:
    return [
        *reasoning_messages,
        {"role": "assistant", "content": reasoning},
        {
            "role": "user",
            "content": "Based on your analysis, give your verdict. "
            'Reply with JSON: {"verdict": "correct" or "incorrect"}',
        },
    ]


def unit_test_generator_messages(query: str, cap: int, system_prompt: str | None) -> list[dict]:
    system = (
        "You write unit tests for answers: short statements, each checkable on its own, that any "
        "correct response to the query must satisfy. You reply with JSON only."
    )
    user = (
        f"Query:\n{query}\n\nWrite at most {cap} unit tests for a response to this query. "
        'Reply with JSON: {"unit_tests": ["...", "..."]}'
    )
    return [_system(system, system_prompt), {"role": "user", "content": user}]


def unit_test_evaluator_messages(
    query: str, candidate: Candidate, tests: Sequence[UnitTest], system_prompt: str | None
) -> list[dict]:
    system = (
        "You check a response against unit tests, one by one, and say for each whether the response "
        "passes it. You reply with JSON only."
    )
    numbered = "\n".join(f"{i}. {t.text}" for i, t in enumerate(tests, start=1))
    user = (
        f"Query:\n{query}\n\nResponse:\n{candidate.text.strip()}\n\nUnit tests:\n{numbered}\n\n"
        f"Check all {len(tests)} tests. Reply with JSON: "
        '{"results": [{"test": number, "passed": true or false, "reason": "..."}]}'
    )
    return [_system(system, system_prompt), {"role": "user", "content": user}]
