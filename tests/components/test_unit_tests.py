"""Unit-test generator (tests live in the run state, shown to later generators) and evaluator (sorts by passes)."""

import json

from archon_engine import FakeModel, run
from archon_engine.components.base import PARSE_RETRIES

PROMPT = "Write a haiku about autumn."
TESTS = ["It has three lines.", "It mentions autumn.", "It has 17 syllables."]


def generator(samples=3, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, "seed": 0, **settings}


def unit_test_writer(**settings):
    return {"type": "unit_test_generator", "model": "fake/tests", **settings}


def evaluator(**settings):
    return {"type": "unit_test_evaluator", "model": "fake/eval", **settings}


def unit_tests_reply(*texts):
    return json.dumps({"unit_tests": list(texts)})


def results(*passed):
    """An evaluation reply: test i+1 passed as given (a value of ... leaves that test out)."""
    items = [{"test": i, "passed": p, "reason": "checked"} for i, p in enumerate(passed, start=1) if p is not ...]
    return json.dumps({"results": items})


def by_candidate(**replies):
    """An evaluate responder scripted per candidate: s0=..., s1=... (the short candidate id)."""
    return [lambda request: replies[request.metadata["candidate"].rsplit(".", 1)[-1]]]


def run_layers(*layers, **replies):
    fake = FakeModel({"generate": [lambda request: f"answer-{request.seed}"], **replies})
    return run({"layers": list(layers)}, PROMPT, backend=fake)


def evaluate_three(**evaluations):
    """Three candidates (answer-0 .. answer-2), the three TESTS, and an evaluator scripted per candidate."""
    return run_layers(
        [generator()],
        [unit_test_writer()],
        [evaluator()],
        unit_tests=[unit_tests_reply(*TESTS)],
        evaluate=by_candidate(**evaluations),
    )


def passed_by(result, candidate_id):
    return [r.passed for r in result.layers[2].test_results if r.candidate_id == candidate_id]


# Unit-test generator: happy path


def test_the_tests_are_kept_in_the_layer_with_ids_and_source():
    result = run_layers([unit_test_writer()], [generator()], [evaluator()], unit_tests=[unit_tests_reply(*TESTS)])

    (output,) = result.layers[0].outputs
    assert [(t.id, t.text, t.source) for t in output.unit_tests] == [
        ("L0.C0.t0", TESTS[0], "L0.C0"),
        ("L0.C0.t1", TESTS[1], "L0.C0"),
        ("L0.C0.t2", TESTS[2], "L0.C0"),
    ]
    assert output.candidates is None


def test_the_generator_keeps_at_most_unit_test_cap_tests_and_asks_for_no_more():
    five = [f"Test {i}." for i in range(5)]

    result = run_layers(
        [unit_test_writer(unit_test_cap=2)], [generator()], [evaluator()], unit_tests=[unit_tests_reply(*five)]
    )

    assert [t.text for t in result.layers[0].outputs[0].unit_tests] == ["Test 0.", "Test 1."]
    (call,) = [call for call in result.trace.calls if call.role == "unit_tests"]
    assert call.params["response_schema"]["properties"]["unit_tests"]["maxItems"] == 2


def test_later_generators_see_the_tests_in_their_prompt():
    result = run_layers(
        [unit_test_writer()], [generator(samples=2)], [evaluator()], unit_tests=[unit_tests_reply(*TESTS)]
    )

    generate_calls = [call for call in result.trace.calls if call.role == "generate"]
    assert len(generate_calls) == 2
    for call in generate_calls:
        prompt = call.messages[-1]["content"]
        assert prompt.startswith(PROMPT)
        assert all(test in prompt for test in TESTS)
    assert result.layers[1].outputs[0].notes == ["saw 3 unit tests in its prompt"]


def test_the_tests_never_enter_the_conversation():
    conversation = [{"role": "system", "content": "You are a poet."}, {"role": "user", "content": PROMPT}]
    original = [dict(message) for message in conversation]
    fake = FakeModel({"unit_tests": [unit_tests_reply(*TESTS)]})
    layers = [[unit_test_writer()], [generator()], [evaluator()]]

    result = run({"layers": layers}, conversation, backend=fake)

    assert result.messages == original
    assert conversation == original
    assert [r.messages[-1]["content"] != PROMPT for r in fake.requests if r.role == "generate"] == [True] * 3


def test_generators_beside_the_test_writer_do_not_see_its_tests():
    result = run_layers(
        [unit_test_writer(), generator(samples=1)], [evaluator()], unit_tests=[unit_tests_reply(*TESTS)]
    )

    (call,) = [call for call in result.trace.calls if call.role == "generate"]
    assert call.messages == [{"role": "user", "content": PROMPT}]


# Unit-test generator: failure path


def test_an_unparseable_test_list_is_retried_then_leaves_no_tests_and_an_error():
    result = run_layers(
        [unit_test_writer()], [generator(samples=1)], [evaluator()], unit_tests=["1. three lines 2. autumn"]
    )

    calls = [call for call in result.trace.calls if call.role == "unit_tests"]
    assert len(calls) == 1 + PARSE_RETRIES
    assert all(call.parse_error for call in calls)
    assert result.layers[0].outputs[0].unit_tests == []
    assert result.layers[0].errors[0].startswith("L0.C0: no unit tests: unparseable after 3 attempts")
    (generate,) = [call for call in result.trace.calls if call.role == "generate"]
    assert generate.messages == [{"role": "user", "content": PROMPT}]


def test_a_reply_with_only_blank_tests_is_an_error():
    result = run_layers([unit_test_writer()], [generator()], [evaluator()], unit_tests=[unit_tests_reply("  ", "")])

    assert result.layers[0].outputs[0].unit_tests == []
    assert result.layers[0].errors == ["L0.C0: the reply held no unit tests"]


# Unit-test evaluator: happy path


def test_the_evaluator_sorts_candidates_by_tests_passed():
    result = evaluate_three(
        s0=results(True, False, False),
        s1=results(True, True, True),
        s2=results(True, True, False),
    )

    assert [c.id for c in result.layers[2].candidates] == ["L0.C0.s1", "L0.C0.s2", "L0.C0.s0"]
    assert result.answer == "answer-1"
    assert result.layers[2].errors == []


def test_the_evaluator_makes_one_call_per_candidate_showing_it_the_tests():
    result = evaluate_three(s0=results(True, True, True), s1=results(True, True, True), s2=results(True, True, True))

    calls = [call for call in result.trace.calls if call.role == "evaluate"]
    assert sorted(call.messages[-1]["content"].count("answer-") for call in calls) == [1, 1, 1]
    for call in calls:
        assert all(test in call.messages[-1]["content"] for test in TESTS)


def test_ties_keep_their_order_and_top_k_keeps_the_best():
    arch_layers = [generator()], [unit_test_writer()], [evaluator(top_k=2)]
    evaluations = {
        "s0": results(True, False, False),
        "s1": results(True, True, False),
        "s2": results(True, True, False),
    }

    result = run_layers(*arch_layers, unit_tests=[unit_tests_reply(*TESTS)], evaluate=by_candidate(**evaluations))

    assert [c.id for c in result.layers[2].candidates] == ["L0.C0.s1", "L0.C0.s2"]


def test_test_results_point_at_candidate_and_test_ids():
    result = evaluate_three(s0=results(True, False, True), s1=results(True, True, True), s2=results(True, True, True))

    s0 = [(r.test_id, r.passed, r.reason) for r in result.layers[2].test_results if r.candidate_id == "L0.C0.s0"]
    assert s0 == [("L1.C0.t0", True, "checked"), ("L1.C0.t1", False, "checked"), ("L1.C0.t2", True, "checked")]


def test_without_unit_tests_the_evaluator_passes_candidates_on_with_an_error():
    result = run_layers([generator()], [evaluator()])

    assert [c.id for c in result.layers[1].candidates] == ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"]
    assert result.layers[1].errors == ["L1.C0: no unit tests to evaluate against: candidates pass on unchanged"]
    assert not [call for call in result.trace.calls if call.role == "evaluate"]


# Unit-test evaluator: failure path


def test_a_test_missing_from_the_reply_is_unknown_never_passed():
    result = evaluate_three(s0=results(True, True, True), s1=results(True, ..., True), s2=results(True, True, True))

    assert passed_by(result, "L0.C0.s1") == [True, None, True]
    missing = [r for r in result.layers[2].test_results if r.candidate_id == "L0.C0.s1" and r.passed is None]
    assert [r.reason for r in missing] == ["not in the reply"]
    assert [c.id for c in result.layers[2].candidates][-1] == "L0.C0.s1"


def test_a_garbled_pas_is_never_counted_as_a_pass():
    result = evaluate_three(
        s0=results(True, False, False),
        s1=results("pas", "pas", "pas"),
        s2=results(True, True, False),
    )

    assert passed_by(result, "L0.C0.s1") == [None, None, None]
    assert [c.id for c in result.layers[2].candidates] == ["L0.C0.s2", "L0.C0.s0", "L0.C0.s1"]
    s1_calls = [call for call in result.trace.calls if call.role == "evaluate" and "answer-1" in str(call.messages)]
    assert len(s1_calls) == 1 + PARSE_RETRIES
    assert all(call.parse_error for call in s1_calls)


def test_an_unparseable_evaluation_is_reported_per_candidate():
    result = evaluate_three(s0=results(True, True, True), s1="All good!", s2=results(True, True, True))

    assert passed_by(result, "L0.C0.s1") == [None, None, None]
    (error,) = result.layers[2].errors
    assert error.startswith("L2.C0: L0.C0.s1: unparseable after 3 attempts")
    assert [c.id for c in result.layers[2].candidates] == ["L0.C0.s0", "L0.C0.s2", "L0.C0.s1"]
