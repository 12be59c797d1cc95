"""candidate_feedback: what every later step said about each candidate, read from a finished run."""

import json

from archon_engine import FakeModel
from archon_engine.explain import candidate_feedback


def test_critique_rank_move_and_fusion_attach_to_each_sample(preset_run):
    result = preset_run("sample-critic-rank-fuse")  # the fake ranker reverses the order and keeps 3
    feedback = candidate_feedback(result.layers)

    best = feedback["L0.C0.s4"]
    assert [c.strengths for c in best.critiques] == ["clear (5)"]
    [rank] = best.rankings
    assert (rank.rank, rank.before, rank.move, rank.of, rank.kept) == (1, 5, 4, 5, True)
    assert best.fused_into == ["L3.C0.s0"] and best.dropped is None

    worst = feedback["L0.C0.s0"]
    assert worst.rankings[0].move == -4 and not worst.rankings[0].kept
    assert worst.dropped.layer == 2 and worst.dropped.component == "L2.C0"
    assert worst.dropped.reason == "ranked 5 of 5, below the top 3"
    assert worst.fused_into == []
    assert feedback["L3.C0.s0"].empty  # the answer: nothing came after it


def test_verdicts_and_why_an_incorrect_candidate_was_dropped(preset_run):
    verdicts = ['{"verdict": "correct"}', '{"verdict": "incorrect"}']
    result = preset_run("best-of-n-verifier", FakeModel({"verify_verdict": verdicts}))
    feedback = candidate_feedback(result.layers)
    judged = {cid: note.verdicts[0].correct for cid, note in feedback.items() if note.verdicts}
    assert len(judged) == 5 and set(judged.values()) == {True, False}
    incorrect = next(cid for cid, correct in judged.items() if correct is False)
    assert feedback[incorrect].dropped.reason == "judged incorrect"


def test_votes_say_each_candidates_answer_its_votes_and_why_it_did_not_go_on(preset_run):
    fake = FakeModel({"generate": ["Blue.", "blue", "Grey.", "Blue", "Green."]})
    feedback = candidate_feedback(preset_run("self-consistency", fake).layers)
    first = feedback["L0.C0.s0"].votes[0]
    assert (first.answer, first.votes, first.of, first.winner, first.kept) == ("blue", 3, 5, "blue", True)
    assert feedback["L0.C0.s1"].dropped.reason == "same answer as L0.C0.s0 ('blue'), which went on for both"
    assert feedback["L0.C0.s2"].dropped.reason == "outvoted: its answer 'grey' had 1, 'blue' won with 3"


def test_tests_passed_per_candidate_and_the_evaluator_cut(preset_run):
    def evaluate(request):
        passed = request.metadata["candidate"].endswith(("s0", "s1"))
        return json.dumps({"results": [{"test": 1, "passed": passed}, {"test": 2, "passed": True}]})

    fake = FakeModel({"unit_tests": ['{"unit_tests": ["Names a colour.", "Is short."]}'], "evaluate": [evaluate]})
    feedback = candidate_feedback(preset_run("unit-tests", fake).layers)
    passing = feedback["L1.C0.s0"].tests[0]
    assert (passing.passed, passing.failed, passing.unknown, passing.total, passing.kept) == (2, 0, 0, 2, True)
    failing = feedback["L1.C0.s4"].tests[0]
    assert (failing.passed, failing.failed) == (1, 1)
    assert feedback["L1.C0.s4"].dropped.reason == "passed 1 of 2 tests; those that passed more went on"
