"""Each layer's short explanation: what the technique does, what happened in this run, what the paper found,
and where the step did not do its job. Computed from the recorded layers and calls; no model call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from archon_engine.components import extractors
from archon_engine.components.prompts import EXPLANATIONS
from archon_engine.config import Architecture, ComponentSpec, component_id
from archon_engine.explain import checks
from archon_engine.explain.provenance import fusion_provenance
from archon_engine.state import Candidate, ComponentOutput, LayerResult
from archon_engine.trace import CallRecord

if TYPE_CHECKING:
    from archon_engine.execution import RunResult

SMALL_MODELS = (
    " The paper's gains come from large models (about 70B parameters and up); small models follow judging "
    "formats poorly, so on SmolLM2-135M this step often gains little."
)
PAPER: dict[str, str] = {
    "generator": "Archon found that more samples and more models raise the chance one candidate is right, "
    "which later steps can only use if they pick or combine well.",
    "fuser": "In Archon (after Mixture-of-Agents) fusion gave the largest gains, growing with more fusion layers."
    + SMALL_MODELS,
    "ranker": "Archon found that ranking before fusion helps by cutting weak candidates, more so with critiques."
    + SMALL_MODELS,
    "critic": "Archon found that critiques before a ranker or fuser improve both." + SMALL_MODELS,
    "verifier": "Archon's verifier helped most on reasoning tasks, where an answer can be checked." + SMALL_MODELS,
    "unit_test_generator": "Archon's unit tests helped on coding tasks, where a test can be checked." + SMALL_MODELS,
    "unit_test_evaluator": "Archon's unit tests helped on coding tasks, where a test can be checked." + SMALL_MODELS,
    "majority_vote": "Self-consistency (Wang et al., 2022) improved reasoning accuracy; it needs no model to judge, "
    "and on this machine five samples and a vote lifted SmolLM2-135M from 0.63 to 0.73 on short factual questions.",
}


class LayerExplanation(BaseModel):
    layer: int
    kinds: list[str]  # the component types in the layer, in order
    technique: str  # what the technique does
    happened: list[str] = Field(default_factory=list)  # what it did in this run
    paper: str = ""  # what the paper found, with its small-model caveat
    problems: list[str] = Field(default_factory=list)  # where it did not do its job


def explain_run(result: RunResult) -> list[LayerExplanation]:
    """One explanation per layer that ran, for a finished run."""
    return layer_explanations(result.architecture, result.layers, result.trace.calls)


def layer_explanations(
    architecture: Architecture, layers: Sequence[LayerResult], calls: Sequence[CallRecord]
) -> list[LayerExplanation]:
    """One explanation per recorded layer (a live or cancelled run has fewer layers than its architecture)."""
    explained = []
    inputs: list[Candidate] = []
    for layer in sorted(layers, key=lambda r: r.index):
        specs = {component_id(layer.index, j): s for j, s in enumerate(architecture.layers[layer.index])}
        explained.append(explain_layer(layer, specs, inputs, [c for c in calls if c.layer == layer.index]))
        inputs = list(layer.candidates)
    return explained


def explain_layer(
    layer: LayerResult, specs: dict[str, ComponentSpec], inputs: Sequence[Candidate], calls: Sequence[CallRecord]
) -> LayerExplanation:
    """The explanation of one layer, given the candidates it read and the calls it made."""
    kinds = list(dict.fromkeys(specs[o.component].type for o in layer.outputs if o.component in specs))
    kind = kinds[0] if kinds else ""
    happened: list[str] = []
    problems: list[str] = []
    if kind == "generator":
        happened += _generated(layer)
        problems += checks.generator_problems(layer.outputs)
    for output in layer.outputs:
        spec = specs.get(output.component)
        what = spec.type if spec else ""
        if what == "fuser" and (skip := output.fusion_skip) is not None:
            happened.append(f"{output.component} skipped fusion: {skip.reason}; {skip.copied} passes on with no call")
        elif what == "fuser":
            happened += _fused(output, inputs)
            problems += checks.fusion_problems(output, inputs)
        elif what == "critic":
            happened.append(f"wrote critiques for {len(output.critiques)} of {len(inputs)} candidates")
            problems += checks.critic_problems(output, inputs)
        elif what == "ranker":
            happened += _ranked(output, inputs)
            problems += checks.ranking_problems(output, inputs)
        elif what == "verifier":
            correct = sum(bool(v.correct) for v in output.verdicts)
            happened.append(f"judged {correct} of {len(output.verdicts)} candidates correct")
            problems += checks.verdict_problems(output)
        elif what == "unit_test_generator":
            happened.append(f"wrote {len(output.unit_tests or [])} unit tests")
        elif what == "unit_test_evaluator":
            happened += _evaluated(output)
            problems += checks.test_problems(output)
        elif what == "majority_vote":
            happened += _voted(output)
            problems += checks.vote_problems(output)
    problems += checks.cut_calls(calls)
    happened.append(f"passed on {len(layer.candidates)}: " + (", ".join(c.id for c in layer.candidates) or "none"))
    return LayerExplanation(
        layer=layer.index,
        kinds=kinds,
        technique=EXPLANATIONS.get(kind, ""),
        happened=happened,
        paper=PAPER.get(kind, ""),
        problems=problems,
    )


def _generated(layer: LayerResult) -> list[str]:
    made = [c for o in layer.outputs for c in o.candidates or []]
    answers = {extractors.short_text(c.text, ComponentSpec(type="majority_vote")) for c in made} - {None}
    models = {c.model for c in made}
    from_models = f" from {len(models)} models" if len(models) > 1 else ""
    lines = [f"{len(made)} samples{from_models}, {len(answers)} distinct answers"]
    return lines + [f"{o.component} {o.sampling.reason}" for o in layer.outputs if o.sampling is not None]


def _fused(output: ComponentOutput, inputs: Sequence[Candidate]) -> list[str]:
    lines = []
    for fused in output.candidates or []:
        read = {c.id: c.text for c in inputs if c.id in fused.inputs}
        segments = fusion_provenance(fused.text, read)
        taken = Counter(s.best for s in segments if s.best is not None)
        new = sum(s.novel for s in segments)
        parts = [f"{n} {_sentences(n)} from {cid}" for cid, n in taken.most_common()]
        parts.append(f"wrote {new} new" if new else "wrote nothing new")
        lines.append(f"{fused.id} took " + _listed(parts) if taken else f"{fused.id}: " + parts[-1])
    return lines


def _ranked(output: ComponentOutput, inputs: Sequence[Candidate]) -> list[str]:
    ranking = output.ranking
    if ranking is None:
        return ["returned no ranking"]
    if ranking.failed:
        return ["its ranking could not be read, so nothing was cut"]
    before = [c.id for c in inputs]
    first = ranking.order[0]
    was = f" (was {before.index(first) + 1})" if first in before else ""
    cut = f", cut {', '.join(ranking.cut)}" if ranking.cut else ""
    return [f"put {first} first{was}; kept {len(ranking.kept)} of {len(ranking.order)}{cut}"]


def _evaluated(output: ComponentOutput) -> list[str]:
    passed: dict[str, list[int]] = {}
    for result in output.test_results:
        tally = passed.setdefault(result.candidate_id, [0, 0])
        tally[0] += bool(result.passed)
        tally[1] += 1
    return ["tests passed: " + ", ".join(f"{cid} {p}/{n}" for cid, (p, n) in passed.items())] if passed else []


def _voted(output: ComponentOutput) -> list[str]:
    vote = output.vote
    if vote is None:
        return []
    answered = [a for a in vote.answers.values() if a is not None]
    line = f"{len(vote.answers)} samples, {len(set(answered))} distinct answers"
    if vote.winner is not None:
        votes = vote.counts[vote.winner]
        line += f"; the vote picked {vote.winner!r} with {votes} {'vote' if votes == 1 else 'votes'}"
    lines = [line]
    if vote.tie_break:
        lines.append(vote.tie_break)
    return lines


def _sentences(n: int) -> str:
    return "sentence" if n == 1 else "sentences"


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
