"""run_flow: one node per component and candidate; edges are what each component made and read."""

import json

from archon_engine import FakeModel
from archon_engine.explain import run_flow


def test_edges_follow_what_each_component_read_and_made(preset_run):
    result = preset_run("sample-critic-rank-fuse")
    flow = run_flow(result.architecture, result.layers)
    samples = [c.id for c in result.layers[0].candidates]
    [fused] = result.layers[3].candidates

    assert flow.reads_of("L0.C0") == []
    assert flow.reads_of("L1.C0") == samples  # the critic read every sample
    assert flow.reads_of("L2.C0") == samples  # so did the ranker
    assert flow.reads_of("L3.C0") == fused.inputs  # the fuser read what the ranker kept
    made = {(e.source, e.target) for e in flow.edges if e.relation == "made"}
    assert made == {("L0.C0", cid) for cid in samples} | {("L3.C0", fused.id)}

    nodes = {n.id: n for n in flow.nodes}
    assert nodes["L0.C0.s0"].dropped == "ranked 5 of 5, below the top 3"
    assert nodes["L0.C0.s4"].dropped is None and nodes[fused.id].dropped is None
    assert nodes[fused.id].text == result.answer and nodes[fused.id].call_id == fused.call_id


def test_every_selecting_type_reads_the_previous_layers_candidates_and_drops_carry_why(preset_run):
    def evaluate(request):
        passed = request.metadata["candidate"].endswith("s0")
        return json.dumps({"results": [{"test": 1, "passed": passed}]})

    fake = FakeModel({"unit_tests": ['{"unit_tests": ["Names a colour."]}'], "evaluate": [evaluate]})
    result = preset_run("unit-tests", fake)
    flow = run_flow(result.architecture, result.layers)
    samples = [c.id for c in result.layers[1].candidates]
    assert flow.reads_of("L0.C0") == [] and flow.reads_of("L1.C0") == []  # tests and generators read no candidates
    assert flow.reads_of("L2.C0") == samples
    dropped = {n.id: n.dropped for n in flow.nodes if n.dropped}
    assert set(dropped) == {"L1.C0.s3", "L1.C0.s4"}  # the evaluator kept its top 3

    votes = preset_run("self-consistency", FakeModel({"generate": ["Blue.", "Grey.", "blue", "Blue", "Green."]}))
    flow = run_flow(votes.architecture, votes.layers)
    assert flow.reads_of("L1.C0") == [c.id for c in votes.layers[0].candidates]
    assert {n.id for n in flow.nodes if n.dropped} == {"L0.C0.s1", "L0.C0.s2", "L0.C0.s3", "L0.C0.s4"}
