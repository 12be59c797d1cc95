"""The shipped recordings: one per built-in preset, made on the embedded model, each replaying to itself with
no model loaded."""

import pytest

from archon_engine.design.presets import list_presets
from archon_engine.recording import differences, load_recording, replay, shipped_recordings
from archon_engine.recording.make import DEMO_PROMPTS, main

SHIPPED = {r.slug: r for r in shipped_recordings()}


def test_every_built_in_preset_has_a_shipped_recording_made_with_its_demo_prompt():
    builtin = {p.slug for p in list_presets() if p.builtin}

    assert builtin <= set(SHIPPED), f"missing: {sorted(builtin - set(SHIPPED))}"
    for slug in builtin:
        recording = load_recording(SHIPPED[slug].path)
        assert recording.prompt == DEMO_PROMPTS[slug]
        assert recording.run.status == "completed" and recording.run.answer
        assert all(c.model == "local/smollm2-135m" for c in recording.calls)
        assert SHIPPED[slug].title == recording.title


@pytest.mark.parametrize("slug", sorted(SHIPPED))
def test_a_shipped_recording_replays_to_the_recorded_run(slug, no_model):
    recording = load_recording(SHIPPED[slug].path)

    replayed = replay(recording, speed=0)

    assert differences(recording.run, replayed) == []


def test_the_maker_names_a_preset_it_does_not_know(capsys):
    assert main(["no-such-preset"]) == 2

    assert "no built-in preset no-such-preset" in capsys.readouterr().err
