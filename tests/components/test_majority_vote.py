"""Majority vote (self-consistency): reads an answer from every candidate, keeps the most common, calls no model.

Ties go to the answer whose first candidate came earliest; candidates without an answer do not vote; if
none has one, the first candidate passes on and the notes say so.
"""

from archon_engine import FakeModel, estimate, load_config, run, validate

PROMPT = "What is 10 cubed?"


def generator(samples=5, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, **settings}


def vote(**settings):
    return {"type": "majority_vote", **settings}


def vote_on(*texts, prompt=PROMPT, **settings):
    """The generator's samples reply ``texts`` in order; a majority vote reads them."""
    fake = FakeModel({"generate": list(texts)})
    return run({"layers": [[generator(samples=len(texts))], [vote(**settings)]]}, prompt, backend=fake)


def the_vote(result):
    (found,) = result.layers[-1].votes
    return found


# Voting


def test_the_most_common_answer_wins_across_mixed_formats():
    result = vote_on("The answer is 1,000.", "999", "1000", "I get 1000.0", "1,000", extractor="last_number")

    assert result.answer == "The answer is 1,000."  # the winner's first candidate is passed on
    found = the_vote(result)
    assert found.counts == {"1000": 4, "999": 1}
    assert found.winner == "1000"
    assert found.tie_break is None
    assert found.answers == {
        "L0.C0.s0": "1000",
        "L0.C0.s1": "999",
        "L0.C0.s2": "1000",
        "L0.C0.s3": "1000",
        "L0.C0.s4": "1000",
    }
    assert found.kept == ["L0.C0.s0"]
    assert found.extractor == "last_number"
    assert found.source == "L1.C0"


def test_the_vote_makes_no_model_call():
    result = vote_on("Paris", "Lyon", "Paris")

    assert result.usage.calls == 3  # the generator's samples only
    assert {call.component for call in result.trace.calls} == {"L0.C0"}


def test_the_winner_is_a_candidate_passed_on_unchanged_with_its_provenance():
    result = vote_on("Lyon", "Paris.", "paris", "the Paris")

    (winner,) = result.layers[1].candidates
    assert winner.id == "L0.C0.s1" and winner.text == "Paris." and winner.source == "L0.C0"


def test_the_notes_give_the_tally_and_the_winner():
    notes = vote_on("Paris", "Lyon", "paris").layers[1].outputs[0].notes

    assert notes == [
        "short_text: 3 of 3 candidates voted",
        "votes: 'paris' ×2, 'lyon' ×1",
        "winner: 'paris' with 2 of 3 votes, passed on as L0.C0.s0",
    ]


# Ties


def test_a_tie_goes_to_the_answer_whose_first_candidate_came_earliest():
    result = vote_on("41", "42", "42", "41", extractor="last_number")

    found = the_vote(result)
    assert found.counts == {"41": 2, "42": 2}
    assert found.winner == "41"
    assert result.answer == "41"
    assert found.tie_break == (
        "tie at 2 votes between '41', '42': '41' wins because its first candidate (L0.C0.s0) came earliest"
    )
    assert found.tie_break in result.layers[1].outputs[0].notes


def test_all_different_answers_are_a_tie_won_by_the_first():
    found = the_vote(vote_on("1", "2", "3", extractor="last_number"))

    assert found.winner == "1"
    assert "'1', '2', '3'" in found.tie_break


def test_a_tie_below_the_top_is_no_tie_break():
    found = the_vote(vote_on("7", "7", "8", "9", extractor="last_number"))

    assert found.winner == "7" and found.tie_break is None


# Candidates without an answer


def test_a_candidate_without_an_answer_does_not_vote_and_is_named():
    result = vote_on("no idea", "12", "I am not sure", "12", "13", extractor="last_number")

    found = the_vote(result)
    assert found.answers["L0.C0.s0"] is None and found.answers["L0.C0.s2"] is None
    assert found.counts == {"12": 2, "13": 1}
    assert result.answer == "12"
    notes = result.layers[1].outputs[0].notes
    assert notes[0] == "last_number: 3 of 5 candidates voted; no answer in L0.C0.s0, L0.C0.s2"


def test_with_no_answer_anywhere_the_first_candidate_passes_on_and_the_notes_say_so():
    result = vote_on("no idea", "pass", "?", extractor="last_number")

    assert result.status == "completed"
    assert result.answer == "no idea"
    found = the_vote(result)
    assert found.winner is None and found.counts == {} and found.kept == ["L0.C0.s0"]
    assert "no candidate had an answer to vote on: passing on L0.C0.s0 unchanged" in result.layers[1].outputs[0].notes


# top_k: the first k answer groups pass on, each as its first candidate


def test_top_k_passes_on_the_representatives_of_the_best_groups_in_vote_order():
    result = vote_on("5", "6", "6", "7", "5", "6", extractor="last_number", top_k=2)

    assert [c.id for c in result.layers[1].candidates] == ["L0.C0.s1", "L0.C0.s0"]
    assert the_vote(result).kept == ["L0.C0.s1", "L0.C0.s0"]


def test_top_k_beyond_the_number_of_answers_passes_on_one_per_answer():
    result = vote_on("5", "5", "6", "none", extractor="last_number", top_k=10)

    assert [c.id for c in result.layers[1].candidates] == ["L0.C0.s0", "L0.C0.s2"]


# Other extractors inside a run


def test_choice_letters_vote_across_phrasings():
    result = vote_on("B", "The answer is (C).", "c", "Answer: C", extractor="choice_letter")

    assert the_vote(result).counts == {"C": 3, "B": 1}
    assert result.answer == "The answer is (C)."


def test_a_regex_extractor_votes_on_its_first_group():
    result = vote_on("City: Rome", "City: rome!", "City: Milan", extractor="regex", pattern=r"City: (\w+)")

    assert the_vote(result).counts == {"rome": 2, "milan": 1}


def test_a_json_field_extractor_votes_on_the_field():
    replies = ['{"answer": 4}', '{"answer": "4.0"}', '{"answer": 5}']
    result = vote_on(*replies, extractor="json_field", field="answer")

    assert the_vote(result).counts == {"4": 2, "5": 1}


# In architectures: estimate and validate


def test_estimate_counts_no_call_for_the_vote():
    arch = load_config({"layers": [[generator(samples=5)], [vote()]]})

    est = estimate(arch)
    assert est.calls == 5
    assert est.calls_per_layer == [5, 0]
    assert est.critical_path_calls == 1


def test_a_vote_after_a_ranker_and_before_a_fuser_reads_and_passes_on_candidates():
    arch = {"layers": [[generator(samples=4)], [{"type": "ranker", "top_k": 3}], [vote(top_k=2)], [{"type": "fuser"}]]}
    fake = FakeModel({"generate": ["7", "8", "8", "9"]})

    result = run(arch, PROMPT, backend=fake)

    assert result.status == "completed"
    assert result.usage.calls == estimate(load_config(arch)).calls
    fuse = next(call for call in result.trace.calls if call.role == "fuse")
    assert fuse.messages[-1]["content"].count("Response ") == 2  # the two groups' representatives


def test_a_vote_as_the_last_layer_has_no_findings():
    assert validate(load_config({"layers": [[generator(samples=5)], [vote()]]})) == []


def test_a_vote_needs_candidates_before_it():
    findings = validate(load_config({"layers": [[vote()]]}))

    assert any(f.severity == "error" and "needs candidates" in f.message for f in findings)


def test_a_vote_over_one_candidate_is_a_warning():
    findings = validate(load_config({"layers": [[generator(samples=1)], [vote()]]}))

    assert [f.message for f in findings] == ["votes over a single candidate, so it decides nothing: sample several"]


def test_an_extractor_that_cannot_work_is_an_error_naming_the_field():
    def errors(**settings):
        arch = load_config({"layers": [[generator()], [vote(**settings)]]})
        return [f.message for f in validate(arch) if f.severity == "error"]

    assert errors(extractor="regex") == ["the regex extractor needs 'pattern'"]
    assert "not a valid regular expression" in errors(extractor="regex", pattern="(")[0]
    assert "unknown extractor 'code_out'" in errors(extractor="code_out")[0]


def test_a_vote_sharing_its_layer_cites_the_rule():
    arch = load_config({"layers": [[generator()], [vote(), {"type": "ranker"}]]})

    messages = [f.message for f in validate(arch) if f.component == "L1.C0"]
    assert any("a majority_vote shares its layer" in m and "Archon layer rule" in m for m in messages)
