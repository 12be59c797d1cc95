"""fusion_provenance: each sentence of a fused answer traced to the candidates it came from."""

from archon_engine.explain import fusion_provenance, novel_share, source_shares

CANDIDATES = {
    "s0": "Paris is the capital of France. It lies on the Seine.",
    "s1": "The capital of France is Paris. About two million people live there.",
    "s2": "",
}


def test_a_copied_sentence_comes_from_the_candidate_that_says_it_with_full_score():
    [segment] = fusion_provenance("It lies on the Seine.", CANDIDATES)
    assert segment.text == "It lies on the Seine."
    assert segment.sources[0].candidate_id == "s0" and segment.sources[0].score == 1.0
    assert not segment.novel and segment.best == "s0"


def test_segments_keep_the_fused_order_and_a_new_sentence_is_novel():
    fused = "About two million people live there. The Eiffel Tower was built in 1889. It lies on the Seine."
    segments = fusion_provenance(fused, CANDIDATES)
    assert [s.text for s in segments] == [
        "About two million people live there.",
        "The Eiffel Tower was built in 1889.",
        "It lies on the Seine.",
    ]
    assert [s.best for s in segments] == ["s1", None, "s0"]
    assert [s.novel for s in segments] == [False, True, False]
    assert segments[1].sources == []


def test_a_merged_sentence_names_both_candidates_best_first():
    [segment] = fusion_provenance("It lies on the Seine and about two million people live there.", CANDIDATES)
    assert not segment.novel
    assert {s.candidate_id for s in segment.sources} == {"s0", "s1"}
    scores = [s.score for s in segment.sources]
    assert scores == sorted(scores, reverse=True) and all(score < 1 for score in scores)


def test_empty_candidates_are_never_sources_and_no_candidates_make_everything_new():
    segments = fusion_provenance("Paris is the capital of France.", CANDIDATES)
    assert "s2" not in {s.candidate_id for seg in segments for s in seg.sources}
    assert all(seg.novel for seg in fusion_provenance("Paris is the capital of France.", {}))
    assert fusion_provenance("", CANDIDATES) == []


def test_with_one_candidate_a_copy_is_all_from_it():
    only = {"s0": CANDIDATES["s0"]}
    segments = fusion_provenance(CANDIDATES["s0"], only)
    assert source_shares(segments) == {"s0": 1.0}
    assert novel_share(segments) == 0.0


def test_shares_split_the_fused_text_by_characters_and_new_sentences_count_for_nobody():
    fused = "It lies on the Seine. The Eiffel Tower was built in 1889."
    segments = fusion_provenance(fused, CANDIDATES)
    shares = source_shares(segments)
    assert set(shares) == {"s0"}
    assert abs(shares["s0"] + novel_share(segments) - 1.0) < 1e-9
    assert 0.3 < shares["s0"] < 0.5


def test_known_limits_a_negation_looks_copied_and_a_paraphrase_looks_new():
    [negated] = fusion_provenance("Paris is not the capital of France.", CANDIDATES)
    assert negated.best == "s0"  # says the opposite, matched anyway: lexical similarity cannot tell
    [paraphrase] = fusion_provenance("France's seat of government: Paris.", {"s0": "The capital of France is Paris."})
    assert paraphrase.novel  # says the same, in other words
