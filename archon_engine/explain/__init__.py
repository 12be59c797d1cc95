"""What each technique did in a run, computed from what the run recorded (no model call).

fusion_provenance(fused, candidates)   the fused text's sentences, each with its source candidates
candidate_feedback(layers)             per candidate: critiques, ranks and moves, verdicts, tests, votes, drops
run_flow(architecture, layers)         every component and candidate, with what made and read what
explain_run(result)                    per layer: the technique, what happened, the paper, what went wrong
"""

from archon_engine.explain.checks import cut_at_max_tokens
from archon_engine.explain.explanations import LayerExplanation, explain_layer, explain_run, layer_explanations
from archon_engine.explain.feedback import CandidateFeedback, Drop, RankNote, TestNote, VoteNote, candidate_feedback
from archon_engine.explain.flow import Flow, FlowEdge, FlowNode, run_flow
from archon_engine.explain.provenance import Segment, Source, fusion_provenance, novel_share, source_shares

__all__ = [
    "CandidateFeedback",
    "Drop",
    "Flow",
    "FlowEdge",
    "FlowNode",
    "LayerExplanation",
    "RankNote",
    "Segment",
    "Source",
    "TestNote",
    "VoteNote",
    "candidate_feedback",
    "cut_at_max_tokens",
    "explain_layer",
    "explain_run",
    "fusion_provenance",
    "layer_explanations",
    "novel_share",
    "run_flow",
    "source_shares",
]
