"""The Run page explains each technique: an explanation per layer tab, warnings where a step did not do its
job, what later steps said on each card, the fused answer coloured by source, and the order before ranking."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, load_config
from archon_engine.design.presets import BUILTIN_DIR


@pytest.fixture
def finished_run(session, run_to_end):
    """The Run page after running preset ``slug`` on ``fake`` to its end."""

    def go(slug: str, fake: FakeModel) -> AppTest:
        arch = load_config(BUILTIN_DIR / f"{slug}.json")
        return run_to_end(session("run", backend=fake, architecture=arch), "What colour is the sky?")

    return go


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "info") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def test_each_layer_opens_with_its_explanation_and_cards_carry_later_feedback(finished_run):
    fake = FakeModel({"fuse": ["Answer 5 from local/smollm2-135m. The sky is blue because of scattering."]})
    at = finished_run("sample-critic-rank-fuse", fake)
    shown = texts(at)
    assert "**What it does.** Samples answers" in shown
    assert "**In this run:** 5 samples, 5 distinct answers" in shown
    assert "put L0.C0.s4 first (was 5); kept 3 of 5" in shown
    assert "L3.C0.s0 took 1 sentence from L0.C0.s4 and wrote 1 new" in shown
    assert "What the paper found." in shown

    labels = [e.label for e in at.expander]
    assert "What later steps said (3)" in labels  # a kept sample: critique, rank, read by the fuser
    assert "🏆 rank 1 of 5 (▲4) by L2.C0" in shown
    assert "dropped at L2: ranked 5 of 5, below the top 3" in shown

    assert ":blue-background[Answer 5 from local/smollm2-135m.]" in shown  # its first source's colour
    assert "🆕 *The sky is blue because of scattering.*" in shown
    assert "**Where it came from:**" in shown and "L0.C0.s4 · " in shown

    ranking = at.dataframe[0].value
    assert list(ranking["before"]) == [5, 4, 3, 2, 1]


def test_a_step_that_did_not_do_its_job_is_flagged_in_its_tab(finished_run):
    critique = json.dumps(
        {
            "critiques": [
                {"candidate": i, "strengths": "The sky is blue.", "weaknesses": "The sky is blue."} for i in range(1, 6)
            ]
        }
    )
    fake = FakeModel({"generate": ["The sky is blue."], "critique": [critique], "fuse": ["The sky is blue."]})
    at = finished_run("sample-critic-rank-fuse", fake)
    flags = [w.value for w in at.warning if str(w.value).startswith("**Did not do its job:**")]
    assert any("wrote the same strengths and weaknesses for all 5 candidates" in f for f in flags)
    assert any("the fusion copies" in f for f in flags)
    assert not at.exception


def test_the_flow_above_the_tabs_draws_every_candidate_and_greys_the_dropped_with_why(finished_run):
    at = finished_run("sample-critic-rank-fuse", FakeModel())
    flow = next(c for c in at.get("component_instance") if c.proto.component_name.endswith("agraph"))
    graph = json.loads(json.loads(flow.proto.json_args)["data"])
    ids = {n["id"] for n in graph["nodes"]}
    assert {f"L0.C0.s{i}" for i in range(5)} | {"L0.C0", "L1.C0", "L2.C0", "L3.C0", "L3.C0.s0"} == ids
    dropped = next(n for n in graph["nodes"] if n["id"] == "L0.C0.s0")
    assert "ranked 5 of 5" in dropped["label"] and dropped["color"]["background"] == "#cbd5e1"
    reads = {(e["from"], e["to"]) for e in graph["edges"]}
    assert ("L0.C0.s4", "L3.C0") in reads and ("L0.C0.s0", "L3.C0") not in reads
