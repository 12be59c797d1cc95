"""Structured replies: a tolerant JSON finder, strict reply models, and the schemas sent to models."""

import json

import pytest

from archon_engine.components.replies import (
    CritiqueReply,
    EvaluationReply,
    ParseError,
    RankingReply,
    TestResultItem,
    UnitTestsReply,
    VerdictReply,
    extract_json,
    parse_reply,
    schema_of,
)

# extract_json: finding the JSON object in a reply


def test_a_bare_json_reply_is_read_as_is():
    assert extract_json('  {"ranking": [2, 1]}\n') == {"ranking": [2, 1]}


def test_json_inside_prose_is_found():
    text = 'Having compared them, here is my answer: {"ranking": [2, 1], "reason": "2 is exact"} Thanks!'

    assert extract_json(text) == {"ranking": [2, 1], "reason": "2 is exact"}


def test_json_in_a_json_code_fence_is_found():
    text = 'Sure.\n```json\n{"verdict": "correct"}\n```\nLet me know if you need more.'

    assert extract_json(text) == {"verdict": "correct"}


def test_json_in_a_plain_code_fence_is_found():
    assert extract_json('```\n{"unit_tests": ["a"]}\n```') == {"unit_tests": ["a"]}


def test_the_first_object_wins_when_trailing_text_holds_more_braces():
    text = '{"ranking": [1, 2]} (see {the note} below) {"ranking": [2, 1]}'

    assert extract_json(text) == {"ranking": [1, 2]}


def test_prose_with_a_stray_brace_before_the_json_still_yields_the_json():
    """Engine bug: the parser only tries to decode at the first '{', so prose like "{1, 2}" hides the reply."""
    text = 'Candidates {1, 2} compared. My ranking: {"ranking": [2, 1], "reason": "2 is exact"}'

    assert extract_json(text) == {"ranking": [2, 1], "reason": "2 is exact"}


@pytest.mark.parametrize("text", ["I think the second one is best.", "", "{not json at all}"])
def test_a_reply_without_json_is_a_parse_error(text):
    with pytest.raises(ParseError, match="no JSON object"):
        extract_json(text)


# parse_reply: JSON that must also match the reply model


def test_parse_reply_validates_the_found_json_against_the_model():
    reply = parse_reply('Here you go:\n```json\n{"ranking": [3, 1, 2], "reason": "3 is complete"}\n```', RankingReply)

    assert reply == RankingReply(ranking=[3, 1, 2], reason="3 is complete")


def test_parse_reply_names_the_field_that_does_not_match():
    with pytest.raises(ParseError, match=r"RankingReply: ranking"):
        parse_reply('{"order": [1, 2]}', RankingReply)


def test_a_json_list_instead_of_an_object_is_a_parse_error():
    with pytest.raises(ParseError):
        parse_reply("[2, 1]", RankingReply)


@pytest.mark.parametrize("word", ["correct", "Correct", "[CORRECT]", "**correct**.", "'correct'", " correct! "])
def test_harmless_variations_of_correct_are_accepted(word):
    assert parse_reply(json.dumps({"verdict": word}), VerdictReply).verdict == "correct"


@pytest.mark.parametrize("word", ["maybe", "not correct", "mostly correct", "corect"])
def test_anything_but_correct_or_incorrect_is_not_a_verdict(word):
    with pytest.raises(ParseError):
        parse_reply(json.dumps({"verdict": word}), VerdictReply)


@pytest.mark.parametrize(
    ("value", "passed"),
    [(True, True), ("PASSED", True), ("[pass]", True), ("yes", True), (False, False), ("Fail", False), ("no", False)],
)
def test_test_results_accept_clear_pass_and_fail_words(value, passed):
    assert TestResultItem(test=1, passed=value).passed is passed


@pytest.mark.parametrize("value", ["pas", "passd", "probably", "", None, 1])
def test_a_garbled_pass_is_never_read_as_a_pass(value):
    with pytest.raises(ValueError):
        TestResultItem(test=1, passed=value)


def test_one_garbled_result_makes_the_whole_evaluation_unparseable():
    text = '{"results": [{"test": 1, "passed": true}, {"test": 2, "passed": "pas"}]}'

    with pytest.raises(ParseError, match="passed"):
        parse_reply(text, EvaluationReply)


# schema_of: the JSON schema sent as response_format


def test_items_pins_the_list_length_and_bounds_candidate_numbers():
    ranking = schema_of(RankingReply, items=3)["properties"]["ranking"]

    assert ranking["minItems"] == ranking["maxItems"] == 3
    assert ranking["items"] == {"type": "integer", "minimum": 1, "maximum": 3}


def test_items_pins_lists_of_objects_without_touching_their_items():
    critiques = schema_of(CritiqueReply, items=2)["properties"]["critiques"]

    assert critiques["minItems"] == critiques["maxItems"] == 2
    assert critiques["items"] == {"$ref": "#/$defs/CritiqueItem"}


def test_at_most_caps_the_list_without_a_minimum():
    tests = schema_of(UnitTestsReply, at_most=4)["properties"]["unit_tests"]

    assert tests["maxItems"] == 4
    assert "minItems" not in tests


def test_without_options_the_schema_is_the_models_own():
    assert schema_of(RankingReply) == RankingReply.model_json_schema()


def test_pinning_one_schema_leaves_later_schemas_unpinned():
    schema_of(RankingReply, items=5)

    assert "maxItems" not in schema_of(RankingReply)["properties"]["ranking"]
