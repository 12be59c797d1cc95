"""Fuser: writes new candidates from all incoming ones (and their critiques); they replace the list."""

from archon_engine import FakeModel, ModelError, run

PROMPT = "Name a prime number above 10."


def generator(samples=1, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, "seed": 0, **settings}


def fuser(samples=1, **settings):
    return {"type": "fuser", "model": "fake/fuse", "samples": samples, **settings}


def answers_by_seed(request):
    return f"answer-{request.seed}"


def fake(**replies):
    return FakeModel({"generate": [answers_by_seed], **replies})


def run_layers(*layers, backend=None):
    return run({"layers": list(layers)}, PROMPT, backend=backend or fake())


def fuse_prompts(result):
    return [call.messages[-1]["content"] for call in result.trace.calls if call.role == "fuse"]


# Happy path


def test_two_fusion_samples_make_two_candidates_made_from_all_inputs():
    result = run_layers([generator(samples=3)], [fuser(samples=2)])

    fused = result.layers[1].candidates
    assert [c.id for c in fused] == ["L1.C0.s0", "L1.C0.s1"]
    assert all(c.inputs == ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"] for c in fused)
    assert {(c.source, c.layer, c.model) for c in fused} == {("L1.C0", 1, "fake/fuse")}


def test_fused_candidates_replace_the_list_and_the_first_is_the_answer():
    backend = fake(fuse=["fused: 11", "fused: 13"])

    result = run_layers([generator(samples=3)], [fuser(samples=2)], backend=backend)

    assert [c.text for c in result.layers[1].candidates] == ["fused: 11", "fused: 13"]
    assert result.answer == "fused: 11"


def test_the_fuser_prompt_holds_the_query_and_every_numbered_candidate():
    result = run_layers([generator(samples=2)], [fuser()])

    (prompt,) = fuse_prompts(result)
    assert PROMPT in prompt
    assert 0 <= prompt.index("answer-0") < prompt.index("answer-1")


def test_first_k_fuses_only_the_first_candidates():
    result = run_layers([generator(samples=3)], [fuser(first_k=2)])

    (prompt,) = fuse_prompts(result)
    assert "answer-2" not in prompt
    assert result.layers[1].candidates[0].inputs == ["L0.C0.s0", "L0.C0.s1"]


def test_fusion_samples_with_a_seed_get_consecutive_seeds():
    result = run_layers([generator()], [fuser(samples=3, seed=7)])

    assert sorted(call.params["seed"] for call in result.trace.calls if call.role == "fuse") == [7, 8, 9]


def test_several_fusers_in_one_layer_pool_their_candidates():
    result = run_layers([generator(samples=2)], [fuser(), fuser(model="fake/other")])

    assert [(c.id, c.model) for c in result.layers[1].candidates] == [
        ("L1.C0.s0", "fake/fuse"),
        ("L1.C1.s0", "fake/other"),
    ]


# Failure path


def test_a_failed_fusion_is_an_error_and_the_other_fusion_goes_on():
    backend = fake(fuse=[ModelError("overloaded"), "fused: 17"])

    result = run_layers([generator(samples=2)], [fuser(samples=2)], backend=backend)

    assert result.status == "completed"
    assert [c.text for c in result.layers[1].candidates] == ["fused: 17"]
    assert result.layers[1].errors == ["L1.C0: fusion 0 failed: ModelError: overloaded"]


def test_when_every_fusion_fails_the_run_fails_naming_the_fuser():
    backend = fake(fuse=[ModelError("overloaded")])

    result = run_layers([generator(samples=2)], [fuser(samples=2)], backend=backend)

    assert result.status == "failed"
    assert result.answer is None
    assert "layer 1 produced no candidates" in result.error
    assert "L1.C0: fusion 0 failed: ModelError: overloaded" in result.error
