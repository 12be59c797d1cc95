"""Scorers read an output and return a score between 0 and 1, with what they extracted and why."""

import asyncio

import pytest

from archon_engine.evaluation.datasets import Item
from archon_engine.evaluation.scorers import registry
from archon_engine.evaluation.scorers.code import extract_code
from archon_engine.evaluation.scorers.judge import pairwise_outcome
from archon_engine.evaluation.scorers.matching import extract_letter, extract_number, normalise
from archon_engine.models.client import ModelClient
from archon_engine.models.fake import FakeModel


def score(name, item, output, **options):
    return asyncio.run(registry.get(name, **options).score(item, output))


def judged(name, item, output, fake, **kwargs):
    async def go():
        client = ModelClient(fake)
        return await registry.get(name, model="fake/judge").score(item, output, client=client, **kwargs), client

    return asyncio.run(go())


TOKYO = Item(id="q1", prompt="What is the capital of Japan?", reference="Tokyo", metadata={"aliases": ["Tokio"]})


def test_every_builtin_scorer_is_registered_with_a_description():
    described = registry.describe()

    assert {"exact", "normalised", "numeric", "choice", "code", "judge", "pairwise"} <= set(described)
    assert all(text for text in described.values())
    with pytest.raises(ValueError, match=r"unknown scorer 'nope'; known: .*numeric"):
        registry.get("nope")


def test_exact_match_only_trims_whitespace():
    assert score("exact", TOKYO, "  Tokyo\n").value == 1
    assert score("exact", TOKYO, "Tokio").value == 1  # an alias
    assert score("exact", TOKYO, "tokyo").value == 0


def test_normalised_match_ignores_case_punctuation_and_articles_and_finds_whole_words():
    assert normalise("The  Capital, of JAPAN!") == "capital of japan"
    assert score("normalised", TOKYO, "tokyo.").value == 1
    assert score("normalised", TOKYO, "The capital of Japan is Tokyo.").value == 1
    assert score("normalised", TOKYO, "Tokyoite").value == 0  # not a whole word
    assert score("normalised", TOKYO, "The capital of Japan is Tokyo.", contains=False).value == 0
    assert score("normalised", TOKYO, "Kyoto").value == 0


def test_numeric_match_prefers_the_marked_answer_then_the_last_number():
    assert extract_number("3 apples and 4 pears, so Answer: 7. Check: 7 = 3 + 4") == 7
    assert extract_number("We get 12, then 1,250") == 1250
    assert extract_number("#### -3.5") == -3.5
    assert extract_number("no digits") is None

    item = Item(id="a", prompt="2+2?", reference="#### 4")
    assert score("numeric", item, "It is 4.0").value == 1
    assert score("numeric", item, "It is 5").model_dump(include={"value", "extracted"}) == {
        "value": 0,
        "extracted": "5",
    }
    assert score("numeric", item, "four").detail == "no number in the output"
    assert "not a number" in score("numeric", Item(id="b", prompt="?", reference="many"), "3").error


def test_choice_reads_the_letter_in_the_usual_forms_or_the_one_option_named():
    choices = ["Mercury", "Venus", "Earth", "Mars"]
    assert extract_letter("Answer: C", choices) == "C"
    assert extract_letter("(b) because it is hot", choices) == "B"
    assert extract_letter("D. Mars", choices) == "D"
    assert extract_letter("I think it is Venus.", choices) == "B"
    assert extract_letter("Either Venus or Mars", choices) is None
    assert extract_letter("Answer: Z", choices) is None  # not an option

    item = Item(id="c", prompt="Hottest planet?", reference="B", choices=choices)
    assert score("choice", item, "The answer is B").value == 1
    assert score("choice", item, "A").value == 0


def test_scorers_that_need_a_reference_say_so_instead_of_guessing():
    open_item = Item(id="o", prompt="Write a haiku")
    for name in ("exact", "normalised", "numeric", "choice"):
        result = score(name, open_item, "anything")
        assert result.value == 0 and "no reference" in result.error


def test_code_is_taken_from_the_fenced_block_that_defines_the_entry_point():
    reply = "Here:\n```python\nimport math\n```\nand\n```python\ndef area(r):\n    return r * r\n```\n"
    assert extract_code(reply, "area").strip().startswith("def area")
    assert extract_code("def f(): return 1", "f") == "def f(): return 1"


ADD = Item(id="add", prompt="Write add(a, b)", tests="assert add(2, 3) == 5\nassert add(-1, 1) == 0", entry_point="add")


def test_code_passes_when_its_tests_pass():
    result = score("code", ADD, "```python\ndef add(a, b):\n    return a + b\n```")
    assert result.value == 1 and result.detail == "all tests passed"


def test_code_fails_with_the_failing_assertion_in_the_detail():
    result = score("code", ADD, "def add(a, b):\n    return a - b")
    assert result.value == 0
    assert "tests failed" in result.detail and "AssertionError" in result.detail


def test_code_that_never_ends_is_stopped_at_its_time_limit():
    result = score(
        "code", ADD, "def add(a, b):\n    while True:\n        pass", limits={"wall_timeout_s": 2, "cpu_s": 1}
    )
    assert result.value == 0
    assert "limit" in result.detail or "timeout" in result.detail


def test_code_cannot_read_the_hosts_api_keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-scorer-0001")
    item = Item(
        id="env", prompt="?", tests="import os\nassert os.environ.get('OPENAI_API_KEY') == 'sk-canary-scorer-0001'"
    )

    result = score("code", item, "x = 1")

    assert result.value == 0
    assert "sk-canary" not in (result.detail or "").replace("'sk-canary-scorer-0001'", "")


def test_the_absolute_judge_scores_1_to_10_with_its_reasoning():
    fake = FakeModel({"judge": ['{"reasoning": "correct and clear", "score": 8}']})

    result, client = judged("judge", TOKYO, "Tokyo", fake)

    assert result.value == pytest.approx(0.8)
    assert result.extracted == "8/10" and result.detail == "correct and clear"
    prompt = fake.requests[0].messages[0]["content"]
    assert "Tokyo" in prompt and "Reference answer" in prompt  # the judge sees the reference
    assert fake.requests[0].temperature == 0  # repeatable, so cacheable
    assert client.trace.calls[0].component == "judge"


def test_an_unparseable_judge_is_retried_then_reported():
    fake = FakeModel({"judge": ["I like it", "8 out of 10", "great"]})

    result, client = judged("judge", TOKYO, "Tokyo", fake)

    assert result.value == 0 and "unparseable after 3 attempts" in result.error
    assert len(client.trace.calls) == 3 and all(c.parse_error for c in client.trace.calls)


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [
        ("win", "win", "win"),
        ("win", "tie", "win"),
        ("tie", "loss", "loss"),
        ("win", "loss", "tie"),  # the orders disagree: position bias, not a preference
        ("tie", "tie", "tie"),
    ],
)
def test_pairwise_outcomes_combine_both_orders(first, second, outcome):
    assert pairwise_outcome(first, second) == outcome


def test_pairwise_asks_in_both_orders_so_a_judge_that_always_picks_a_gives_a_tie():
    fake = FakeModel({"judge_pairwise": ['{"reasoning": "A is better", "winner": "A"}']})

    result, _ = judged("pairwise", TOKYO, "Tokyo", fake, baseline="Osaka")

    assert result.extracted == "tie" and result.value == 0.5
    first, second = (r.messages[0]["content"] for r in fake.requests)
    assert "[Response A]\nTokyo" in first and "[Response B]\nOsaka" in first
    assert "[Response A]\nOsaka" in second and "[Response B]\nTokyo" in second


def test_pairwise_wins_when_both_orders_prefer_the_system():
    def prefer_tokyo(request):
        prompt = request.messages[0]["content"]
        a = prompt.split("[Response A]")[1].split("[Response B]")[0]
        winner = "A" if "Tokyo" in a else "B"
        return f'{{"reasoning": "names the capital", "winner": "{winner}"}}'

    result, _ = judged("pairwise", TOKYO, "Tokyo", FakeModel(prefer_tokyo), baseline="Osaka")

    assert result.extracted == "win" and result.value == 1
    assert "system first: win" in result.detail and "baseline first: win" in result.detail
