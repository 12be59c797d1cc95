"""Extractors read one normalised answer from a candidate's text, so that equal answers vote together."""

import pytest

from archon_engine.components import extractors
from archon_engine.components.extractors import extract, problems
from archon_engine.components.majority_vote import MajorityVoteSpec
from archon_engine.config import ComponentSpec


def answer(text, extractor="short_text", **settings):
    return extract(text, MajorityVoteSpec(extractor=extractor, **settings))


# last_number


@pytest.mark.parametrize(
    "text",
    ["The answer is 1,000.", "1000", "1000.0", "Answer: 1,000", "It costs $1,000 in total: 1000", "+1000"],
)
def test_numbers_in_any_format_normalise_to_the_same_answer(text):
    assert answer(text, "last_number") == "1000"


def test_decimals_keep_their_digits_without_trailing_zeros():
    assert answer("x = 3.50", "last_number") == "3.5"
    assert answer("42.0", "last_number") == "42"
    assert answer("about .5 of it", "last_number") == "0.5"


def test_the_last_number_is_the_answer():
    assert answer("5 - 3 = 2", "last_number") == "2"
    assert answer("First 12 apples, then 7 more: 19", "last_number") == "19"


def test_a_number_after_an_answer_marker_wins_over_later_numbers():
    assert answer("Answer: -7\nChecked in 2 steps.", "last_number") == "-7"


def test_digits_inside_words_are_not_numbers():
    assert answer("I am smollm2", "last_number") is None


def test_no_number_is_no_answer():
    assert answer("I do not know.", "last_number") is None


# choice_letter


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("B", "B"),
        ("(c)", "C"),
        ("The answer is D.", "D"),
        ("I think the answer is **A**", "A"),
        ("Option (E), because it is red.", "E"),
        ("B) Paris is the capital.", "B"),
        ("Paris (C) is the capital.", "C"),
        ("Answer: A good choice is C", "C"),  # the last marked letter
    ],
)
def test_a_choice_letter_is_found_in_the_usual_forms(text, letter):
    assert answer(text, "choice_letter") == letter


def test_articles_and_pronouns_are_not_choices():
    assert answer("I think the answer is a car.", "choice_letter") is None


# short_text


@pytest.mark.parametrize("text", ["Paris", "paris.", "**Paris**", "The answer is Paris.", "Paris. It is in France."])
def test_short_text_ignores_case_punctuation_articles_and_what_follows_the_first_sentence(text):
    assert answer(text) == "paris"


def test_short_text_reads_after_the_last_answer_marker():
    assert answer("Let me think.\nThe tower is tall.\nAnswer: The Eiffel Tower!") == "eiffel tower"


def test_short_text_numbers_compare_as_numbers():
    assert answer("1,000") == answer("1000.0") == "1000"


def test_an_empty_reply_has_no_short_answer():
    assert answer("  \n ") is None
    assert answer("...") is None


# regex


def test_regex_takes_the_first_group_of_the_last_match():
    assert answer("Result: Paris; Result: LYON", "regex", pattern=r"Result: (\w+)") == "lyon"


def test_regex_without_a_group_takes_the_whole_match():
    assert answer("codes A12 and B34", "regex", pattern=r"[A-Z]\d\d") == "b34"


def test_regex_without_a_match_is_no_answer():
    assert answer("nothing here", "regex", pattern=r"Result: (\w+)") is None


# json_field


def test_json_field_reads_a_nested_key_from_json_inside_prose():
    text = 'Here you go: {"answer": {"value": "1,000"}, "why": "sum"} and done'
    assert answer(text, "json_field", field="answer.value") == "1000"


def test_json_field_reads_list_items_and_booleans():
    assert answer('```json\n{"items": [1, 2.0]}\n```', "json_field", field="items[1]") == "2"
    assert answer('{"ok": true}', "json_field", field="ok") == "true"


def test_json_field_without_json_or_the_key_is_no_answer():
    assert answer("no json", "json_field", field="answer") is None
    assert answer('{"other": 1}', "json_field", field="answer") is None


# The registry and its checks


def test_every_documented_extractor_is_registered_with_a_description():
    assert set(extractors.EXTRACTORS) >= {"last_number", "choice_letter", "short_text", "regex", "json_field"}
    assert all(e.description for e in extractors.EXTRACTORS.values())


def test_adding_an_extractor_is_one_decorated_function():
    @extractors.extractor("first_word", "The first word.")
    def first_word(text, spec):
        return text.split()[0].lower() if text.split() else None

    try:
        assert answer("Tokyo is big", "first_word") == "tokyo"
    finally:
        del extractors.EXTRACTORS["first_word"]


def test_problems_name_an_unknown_extractor_a_missing_field_and_a_bad_pattern():
    def spec(**settings):
        return ComponentSpec(type="majority_vote", **settings)

    assert "unknown extractor 'code_out'" in problems(spec(extractor="code_out"))[0]
    assert problems(spec(extractor="regex")) == ["the regex extractor needs 'pattern'"]
    assert problems(spec(extractor="json_field")) == ["the json_field extractor needs 'field'"]
    assert "not a valid regular expression" in problems(spec(extractor="regex", pattern="(unclosed"))[0]
    assert problems(spec(extractor="regex", pattern=r"(\d+)")) == []


def test_code_output_votes_on_what_the_code_prints_and_failing_code_does_not_vote():
    spec = ComponentSpec(type="majority_vote", extractor="code_output")

    assert extract("```python\nprint(sum(range(5)))\n```", spec) == "10"
    assert extract("print([1,  2])", spec) == "[1, 2]"
    assert extract("```python\nraise SystemExit(3)\n```", spec) is None
    assert extract("```python\nimport os\nprint(os.environ.get('OPENAI_API_KEY'))\n```", spec) == "None"
