"""What each technique did in a run, computed from what the run recorded (no model call but leave_one_out).

fusion_provenance(fused, candidates)   the fused text's sentences, each with its source candidates
candidate_feedback(layers)             per candidate: critiques, ranks and moves, verdicts, tests, votes, drops
run_flow(architecture, layers)         every component and candidate, with what made and read what
explain_run(result)                    per layer: the technique, what happened, the paper, what went wrong
leave_one_out(run, fused_id, ...)      the fuser re-run without each candidate: which sentences change (model calls)
"""

from archon_engine.explain.checks import cut_at_max_tokens
from archon_engine.explain.explanations import LayerExplanation, explain_layer, explain_run, layer_explanations
from archon_engine.explain.feedback import CandidateFeedback, Drop, RankNote, TestNote, VoteNote, candidate_feedback
from archon_engine.explain.flow import Flow, FlowEdge, FlowNode, run_flow
from archon_engine.explain.leave_one_out import (
    CandidateEffect,
    LeaveOneOut,
    aleave_one_out,
    compare_fusions,
    leave_one_out,
    planned_calls,
)
from archon_engine.explain.provenance import Segment, Source, fusion_provenance, novel_share, source_shares

__all__ = [
    "CandidateEffect",
    "CandidateFeedback",
    "Drop",
    "Flow",
    "FlowEdge",
    "FlowNode",
    "LayerExplanation",
    "LeaveOneOut",
    "RankNote",
    "Segment",
    "Source",
    "TestNote",
    "VoteNote",
    "aleave_one_out",
    "candidate_feedback",
    "compare_fusions",
    "cut_at_max_tokens",
    "explain_layer",
    "explain_run",
    "fusion_provenance",
    "layer_explanations",
    "leave_one_out",
    "novel_share",
    "planned_calls",
    "run_flow",
    "source_shares",
]
