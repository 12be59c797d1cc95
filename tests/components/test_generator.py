"""Generator: samples candidates from the conversation; a failed sample is recorded, the others go on."""

from archon_engine import FakeModel, ModelError, run
from archon_engine.components.prompts import LENGTH_CONTROL

PROMPT = "What is the capital of France?"


def generator(samples=1, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, **settings}


def answers_by_seed(request):
    return f"answer-{request.seed}"


def run_layers(*layers, fake=None, prompt=PROMPT):
    return run({"layers": list(layers)}, prompt, backend=fake or FakeModel())


# Happy path


def test_each_sample_becomes_a_candidate_with_its_provenance():
    result = run_layers([generator(samples=3)])

    candidates = result.layers[0].candidates
    assert [c.id for c in candidates] == ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"]
    assert {(c.source, c.layer, c.model) for c in candidates} == {("L0.C0", 0, "fake/gen")}
    assert all(c.inputs == [] for c in candidates)
    texts_by_call = {call.id: call.raw_response for call in result.trace.calls}
    assert [texts_by_call[c.call_id] for c in candidates] == [c.text for c in candidates]


def test_samples_with_a_seed_get_seed_seed_plus_one_and_so_on():
    fake = FakeModel({"generate": [answers_by_seed]})

    result = run_layers([generator(samples=3, seed=40)], fake=fake)

    assert sorted(r.seed for r in fake.requests) == [40, 41, 42]
    assert sorted(call.params["seed"] for call in result.trace.calls) == [40, 41, 42]
    assert [c.text for c in result.layers[0].candidates] == ["answer-40", "answer-41", "answer-42"]


def test_samples_without_a_seed_send_none():
    fake = FakeModel()

    result = run_layers([generator(samples=2)], fake=fake)

    assert [r.seed for r in fake.requests] == [None, None]
    assert all("seed" not in call.params for call in result.trace.calls)


def test_the_generator_sends_the_conversation_as_it_is():
    fake = FakeModel()

    run_layers([generator()], fake=fake)

    assert fake.requests[0].messages == [{"role": "user", "content": PROMPT}]
    assert fake.requests[0].role == "generate"


def test_length_control_is_appended_to_the_last_user_message_only_in_the_prompt():
    fake = FakeModel()

    result = run_layers([generator(length_control=True)], fake=fake)

    assert fake.requests[0].messages[-1]["content"] == f"{PROMPT}\n\n{LENGTH_CONTROL}"
    assert result.messages == [{"role": "user", "content": PROMPT}]


def test_a_system_prompt_replaces_the_conversations_system_message():
    fake = FakeModel()
    conversation = [{"role": "system", "content": "Be rude."}, {"role": "user", "content": PROMPT}]

    run({"layers": [[generator(system_prompt="Be kind.")]]}, conversation, backend=fake)

    assert fake.requests[0].messages == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": PROMPT},
    ]


def test_generators_sharing_a_layer_pool_their_candidates_in_layer_order():
    result = run_layers([generator(samples=2), generator(samples=1, model="fake/other")])

    assert [(c.id, c.model) for c in result.layers[0].candidates] == [
        ("L0.C0.s0", "fake/gen"),
        ("L0.C0.s1", "fake/gen"),
        ("L0.C1.s0", "fake/other"),
    ]


# Failure path


def test_a_failed_sample_is_recorded_on_its_call_and_the_others_go_on():
    def second_sample_fails(request):
        return ModelError("context window exceeded") if request.seed == 1 else answers_by_seed(request)

    result = run_layers([generator(samples=3, seed=0)], fake=FakeModel({"generate": [second_sample_fails]}))

    assert result.status == "completed"
    assert [c.text for c in result.layers[0].candidates] == ["answer-0", "answer-2"]
    failed = [call for call in result.trace.calls if call.error]
    assert [(call.params["seed"], call.error) for call in failed] == [(1, "ModelError: context window exceeded")]
    assert result.layers[0].errors == ["L0.C0: sample 1 failed: ModelError: context window exceeded"]
