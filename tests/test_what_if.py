"""What if: a finished run re-run from one of its layers makes only the calls from that layer on."""

import asyncio

import pytest

from archon_engine import FakeModel, load_config, run
from archon_engine.what_if import difference, what_if

SCRF = load_config("presets/sample-critic-rank-fuse.json")  # L0 generator ×5, L1 critic, L2 ranker, L3 fuser
PROMPT = "What is the capital of Japan?"
PLANTED = "The capital of Japan is Osaka."


@pytest.fixture(scope="module")
def original():
    return run(SCRF, PROMPT, backend=FakeModel())


def rerun(original, **kwargs):
    fake = FakeModel()
    result = asyncio.run(what_if(original, backend=fake, **kwargs).run_to_end())
    return result, fake.requests


def test_a_planted_answer_reaches_the_critic_and_only_the_downstream_layers_are_called(original):
    result, requests = rerun(original, from_layer=1, edits={"L0.C0.s2": PLANTED})
    assert [r.role for r in requests].count("generate") == 0
    assert len(requests) == len(original.trace.calls) - 5  # the five samples came from the run
    critic = next(r for r in requests if r.role == "critique")
    assert PLANTED in str(critic.messages)
    assert result.layers[0].candidates[2].text == PLANTED and result.status == "completed"
    assert {c.layer for c in result.trace.calls} == {1, 2, 3}


def test_a_changed_model_downstream_calls_only_from_the_changed_layer(original):
    design = SCRF.model_copy(deep=True)
    design.layers[3][0].model = "fake/another-fuser"
    result, requests = rerun(original, from_layer=3, architecture=design)
    assert [(r.role, r.model) for r in requests] == [("fuse", "fake/another-fuser")]
    assert result.layers[:3] == original.layers[:3]


def test_a_dropped_layer_re_runs_what_followed_it(original):
    design = SCRF.model_copy(deep=True)
    del design.layers[2]  # no ranker: the fuser reads all five critiqued samples
    result, requests = rerun(original, from_layer=2, architecture=design)
    assert [r.role for r in requests] == ["fuse"]
    assert len(result.layers[2].candidates[0].inputs) == 5


def test_layers_kept_must_be_the_runs_own(original):
    design = SCRF.model_copy(deep=True)
    design.layers[1][0].model = "fake/another-critic"
    with pytest.raises(ValueError, match="layer 1 of the design changed since the run: re-run from layer 1"):
        what_if(original, from_layer=2, architecture=design)
    with pytest.raises(ValueError, match=r"no candidate L9\.C0\.s0"):
        what_if(original, from_layer=1, edits={"L9.C0.s0": "x"})
    with pytest.raises(ValueError, match="from_layer: 4 is not a layer"):
        what_if(original, from_layer=4)


def test_the_difference_shows_the_answers_diff_and_each_runs_calls(original):
    fake = FakeModel({"fuse": ["Osaka, surely."]})
    result = asyncio.run(what_if(original, from_layer=3, backend=fake).run_to_end())
    diff = difference(original, result, from_layer=3)
    assert diff.calls == (len(original.trace.calls), 1)
    assert diff.reused_calls == len(original.trace.calls) - 1  # every call before the fuser came from the run
    assert diff.answer_diff[:2] == ["--- original", "+++ what if"]
    assert f"-{original.answer}" in diff.answer_diff and "+Osaka, surely." in diff.answer_diff


def test_the_same_answer_has_no_diff(original):
    result = asyncio.run(what_if(original, from_layer=3, backend=FakeModel({"fuse": [original.answer]})).run_to_end())
    assert difference(original, result).answer_diff == []
