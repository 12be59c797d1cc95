"""What a run did, layer by layer: candidate cards, rankings, critiques, verdicts, unit-test matrices,
majority votes, fusions with their inputs, and every call's exact messages, instruction and raw response.

Everything is drawn from a ``RunView`` (app.jobs.run): the layers and calls that have arrived so far,
so the same widgets serve a run in progress, a finished run and a cancelled one.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from app.jobs.run import RunView
from app.widgets import adaptive_view, charts, explain_view, flow_view, live_view, provenance_view
from app.widgets.formatting import (
    call_facts,
    call_icon,
    calls_text,
    grid,
    instruction_label,
    layer_label,
    money,
    shown,
    text_box,
    usage_money,
)
from archon_engine import Architecture, Finding
from archon_engine.components import registry
from archon_engine.components.prompts import EXPLANATIONS
from archon_engine.config import ComponentSpec, component_id
from archon_engine.estimate import Estimate
from archon_engine.explain import CandidateFeedback, candidate_feedback, explain_layer
from archon_engine.state import Candidate, ComponentOutput, LayerResult, UnitTest
from archon_engine.trace import CallRecord, Usage

TYPE_ICONS = {
    "generator": "✍️",
    "fuser": "🧬",
    "ranker": "🏆",
    "critic": "🔍",
    "verifier": "⚖️",
    "unit_test_generator": "🧪",
    "unit_test_evaluator": "📋",
    "majority_vote": "🗳️",
}
PASS_MARKS = {True: "✅", False: "❌", None: "❔"}
VERDICT_BADGES = {
    True: ":green-badge[✅ correct]",
    False: ":red-badge[❌ incorrect]",
    None: ":orange-badge[❔ no verdict]",
}
PRODUCERS = ("generator", "fuser")


# ---------------------------------------------------------------- the architecture, small


def architecture_summary(arch: Architecture, findings: list[Finding], est: Estimate | None) -> None:
    """The architecture in a few lines: one per layer, the estimate, and its validation findings."""
    with st.container(border=True):
        st.markdown(f"**{arch.name}**")
        lines = []
        for i, layer in enumerate(arch.layers):
            groups: dict[tuple[str, str], list[ComponentSpec]] = {}
            for spec in layer:
                groups.setdefault((spec.type, registry.model_or_method(spec)), []).append(spec)
            parts = []
            for (kind, model), specs in groups.items():
                count = f"{len(specs)} × " if len(specs) > 1 else ""
                samples = sum(s.samples for s in specs)
                sampled = f" ({samples} samples)" if samples > len(specs) else ""
                temperatures = ", ".join(dict.fromkeys(f"{s.temperature:g}" for s in specs))
                instructions = "".join(f" · {label}" for label in dict.fromkeys(map(instruction_label, specs)) if label)
                icon = TYPE_ICONS.get(kind, "•")
                if not registry.calls_a_model(specs[0]):
                    parts.append(f"{icon} {count}{kind} · {model} · no model call")
                    continue
                parts.append(f"{icon} {count}{kind}{sampled} · `{model}` · t={temperatures}{instructions}")
            lines.append(f"- **L{i}** " + " + ".join(parts) if parts else f"- **L{i}** *(empty)*")
        st.markdown("\n".join(lines) or "*No layers yet.*")
        if est is not None:
            cost = money(est.max_cost_usd) if est.max_cost_usd is not None else "unknown"
            st.caption(
                f"{adaptive_view.estimate_text(est)} per query · critical path {calls_text(est.critical_path_calls)} · "
                f"max cost {cost}"
            )
        errors = [f for f in findings if f.severity == "error"]
        warnings = [f for f in findings if f.severity == "warning"]
        for finding in errors:
            st.error(f"{finding.component or _where(finding)}: {finding.message}", icon="🚫")
        if warnings:
            st.caption("⚠️ " + " · ".join(f"{f.component or _where(f)}: {f.message}" for f in warnings))


def _where(finding: Finding) -> str:
    return f"layer {finding.layer}" if finding.layer is not None else "architecture"


# ---------------------------------------------------------------- calls


def call_details(call: CallRecord, spec: ComponentSpec | None = None) -> None:
    """One call in an expander: errors first, then the instruction variant its component (``spec``) sent,
    the exact messages, the raw reply and what was parsed."""
    tokens = f"{call.prompt_tokens}→{call.completion_tokens} tok"
    label = f"{call_icon(call)} {call.id} · {call.component} · {call.role} · {call.latency_s:.2f} s · {tokens}"
    with st.expander(label):
        if call.error:
            st.error(f"Provider error: {call.error}", icon="❌")
        if call.parse_error:
            st.warning(f"The reply could not be parsed: {call.parse_error}", icon="⚠️")
        params = {k: v for k, v in call.params.items() if k != "response_schema"}
        facts = [f"model `{call.model}`", *(f"{k}={v}" for k, v in params.items())]
        facts += [money(call.cost_usd), f"{call.start_s:.2f}–{call.end_s:.2f} s", f"retries {call.retries}"]
        st.caption(" · ".join(facts))
        if label := instruction_label(spec, full=True):
            st.caption(label)
        st.markdown("**Messages sent**")
        for message in call.messages:
            content = message.get("content", "")
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            st.markdown(f"`{message.get('role', '?')}`")
            st.code(shown(text), language=None, wrap_lines=True)
        st.markdown("**Raw response**")
        raw = call.raw_response
        looks_json = raw is not None and raw.strip().startswith(("{", "["))
        st.code(
            shown(raw) if raw is not None else "(no response)",
            language="json" if looks_json else None,
            wrap_lines=True,
        )
        if call.parsed is not None:
            st.markdown("**Parsed**")
            st.json(call.parsed, expanded=True)
        if "response_schema" in call.params:
            st.markdown("**Response schema requested**")
            st.json(call.params["response_schema"], expanded=False)


def calls_list(calls: list[CallRecord], specs: dict[str, ComponentSpec] | None = None) -> None:
    """Every call of a layer, in the order they started, problems counted first; ``specs`` (component id ->
    spec) shows the instruction each call's component sent."""
    if not calls:
        st.caption("No calls yet.")
        return
    failed = sum(bool(c.error) for c in calls)
    unparsed = sum(bool(c.parse_error) and not c.error for c in calls)
    problems = [f"{failed} failed" if failed else "", f"{unparsed} unparseable (retried)" if unparsed else ""]
    note = ", ".join(p for p in problems if p)
    st.markdown(f"**Calls ({len(calls)})**" + (f" &nbsp; :red[{note}]" if note else ""))
    for call in sorted(calls, key=lambda c: (c.start_s, c.id)):
        call_details(call, (specs or {}).get(call.component))


# ---------------------------------------------------------------- candidates and what was said about them


def candidate_card(
    candidate: Candidate,
    call: CallRecord | None,
    catalog: dict[str, Candidate],
    *,
    kept: bool | None = None,
    specs: dict[str, ComponentSpec] | None = None,
    feedback: CandidateFeedback | None = None,
) -> None:
    """A candidate: id, origin, its call's facts, its text (a fusion's by source), what later steps said of it."""
    with st.container(border=True):
        tag = "" if kept is None else (" &nbsp; :green-badge[passed on]" if kept else " &nbsp; :gray-badge[dropped]")
        st.markdown(f"**{candidate.id}** &nbsp; :gray[from {candidate.source}]{tag}")
        st.caption(call_facts(call, specs))
        read = {cid: catalog[cid].text for cid in candidate.inputs if cid in catalog}
        if read:
            provenance_view.fusion_view(candidate.text, read)
        else:
            text_box(candidate.text)
        explain_view.feedback_notes(feedback)
        if candidate.inputs:
            with st.expander(f"Inputs this fusion saw ({len(candidate.inputs)})"):
                for cid in candidate.inputs:
                    seen = catalog.get(cid)
                    st.markdown(f"**{cid}**")
                    st.markdown(seen.text.strip() if seen else "*(text not available)*")


def _produced(
    outputs: list[ComponentOutput], layer: LayerResult, calls: dict[str, CallRecord], catalog, specs, notes
) -> None:
    candidates = [c for o in outputs for c in o.candidates or []]
    passed = {c.id for c in layer.candidates}
    for output in outputs:
        for note in output.notes:
            st.caption(f"{output.component}: {note}")
    adaptive_view.adaptive_facts(outputs)
    if not candidates:
        st.info("No candidates were produced here: see the errors and calls below.")
        return
    for column, candidate in grid(candidates):
        with column:
            call = calls.get(candidate.call_id or "")
            kept = candidate.id in passed
            candidate_card(candidate, call, catalog, kept=kept, specs=specs, feedback=notes.get(candidate.id))


def _critiques(output: ComponentOutput, inputs: list[Candidate], calls: dict[str, CallRecord], specs) -> None:
    by_id = {c.candidate_id: c for c in output.critiques}
    if not output.critiques:
        st.error("No critiques came back: see the errors and calls below.")
    for column, candidate in grid(inputs):
        with column, st.container(border=True):
            st.markdown(f"**{candidate.id}** &nbsp; :gray[from {candidate.source}]")
            st.caption(call_facts(calls.get(candidate.call_id or ""), specs))
            text_box(candidate.text)
            critique = by_id.get(candidate.id)
            if critique is None:
                st.warning("No critique for this candidate.")
            else:
                st.markdown(f":green[**Strengths**] {critique.strengths}")
                st.markdown(f":orange[**Weaknesses**] {critique.weaknesses}")


def _ranking(output: ComponentOutput, catalog: dict[str, Candidate], inputs: list[Candidate]) -> None:
    ranking = output.ranking
    if ranking is None:
        st.error("This ranker returned no ranking.")
        return
    if ranking.failed:
        st.error(f"The ranking failed, so nothing was cut: {ranking.reason}", icon="⚠️")
    elif ranking.reason:
        st.info(f"**Ranker's reason:** {ranking.reason}", icon="🏆")
    kept = set(ranking.kept)
    before = [c.id for c in inputs]
    rows = [
        {
            "rank": rank,
            "before": before.index(cid) + 1 if cid in before else None,
            "candidate": cid,
            **({"score": ranking.scores.get(cid)} if ranking.scores else {}),
            "outcome": "kept" if cid in kept else "cut",
            "from": catalog[cid].source if cid in catalog else "",
            "text": catalog[cid].text.strip() if cid in catalog else "",
        }
        for rank, cid in enumerate(ranking.order, start=1)
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "rank": st.column_config.NumberColumn("Rank", width="small"),
            "before": st.column_config.NumberColumn("Before", width="small", help="Its place in the order read"),
            "candidate": st.column_config.TextColumn("Candidate", width="small"),
            "score": st.column_config.NumberColumn("Score", width="small", help="The pointwise ranker's 1-10 score"),
            "outcome": st.column_config.TextColumn("Kept / cut", width="small"),
            "from": st.column_config.TextColumn("From", width="small"),
            "text": st.column_config.TextColumn("Text", width="large"),
        },
    )
    st.caption(
        f"Kept {len(ranking.kept)} of {len(ranking.order)}" + (f"; cut {', '.join(ranking.cut)}" if ranking.cut else "")
    )


def vote_view(output: ComponentOutput, catalog: dict[str, Candidate]) -> None:
    """A majority vote: the winner (and how a tie was broken), a histogram of votes per answer, and the
    answer read from every candidate."""
    vote = output.vote
    if vote is None:
        st.error("This vote has no result: see the errors below.")
        return
    silent = [cid for cid, answer in vote.answers.items() if answer is None]
    kept = ", ".join(f"`{cid}`" for cid in vote.kept) or "*nothing*"
    if vote.winner is None:
        st.warning(
            f"No candidate had an answer the `{vote.extractor}` extractor could read, so none voted: "
            f"passed on {kept} unchanged.",
            icon="🗳️",
        )
    else:
        st.markdown(
            f"**Winner:** `{vote.winner}` with {vote.counts[vote.winner]} of {len(vote.answers)} votes "
            f"· passed on: {kept}",
            help=f"Answers read with the `{vote.extractor}` extractor; equal answers vote together.",
        )
        if vote.tie_break:
            st.info(f"**Tie broken:** {vote.tie_break}", icon="⚖️")
        st.plotly_chart(charts.votes(vote.counts, vote.winner, len(silent)), config={"displaylogo": False})
    if silent:
        st.caption(f"No answer found in {', '.join(silent)}: they did not vote.")
    rows = [
        {
            "candidate": cid,
            "answer": answer if answer is not None else "—",
            "votes": vote.counts.get(answer, 0) if answer is not None else 0,
            "outcome": "passed on" if cid in vote.kept else "voted" if answer is not None else "no answer",
            "text": catalog[cid].text.strip() if cid in catalog else "",
        }
        for cid, answer in vote.answers.items()
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "candidate": st.column_config.TextColumn("Candidate", width="small"),
            "answer": st.column_config.TextColumn("Answer read", width="small"),
            "votes": st.column_config.NumberColumn("Votes for it", width="small"),
            "outcome": st.column_config.TextColumn("Outcome", width="small"),
            "text": st.column_config.TextColumn("Text", width="large"),
        },
    )


def _verdicts(output: ComponentOutput, layer: LayerResult, catalog, calls: dict[str, CallRecord], specs) -> None:
    passed = {c.id for c in layer.candidates}
    for column, verdict in grid(output.verdicts):
        candidate = catalog.get(verdict.candidate_id)
        with column, st.container(border=True):
            tag = ":green-badge[passed on]" if verdict.candidate_id in passed else ":gray-badge[dropped]"
            st.markdown(f"**{verdict.candidate_id}** &nbsp; {VERDICT_BADGES[verdict.correct]} &nbsp; {tag}")
            if candidate is not None:
                st.caption(call_facts(calls.get(candidate.call_id or ""), specs))
                text_box(candidate.text)
            st.markdown("**Verifier's reasoning**")
            text_box(verdict.reasoning)


def _unit_tests(output: ComponentOutput) -> None:
    tests = output.unit_tests or []
    if not tests:
        st.error("No unit tests were written: see the errors and calls below.")
        return
    st.markdown("\n".join(f"{i}. {t.text}" for i, t in enumerate(tests, start=1)))


def unit_test_matrix(output: ComponentOutput, tests: dict[str, UnitTest], order: list[str]) -> pd.DataFrame:
    """Rows candidates (best first), columns tests T1..Tn: ✅ passed, ❌ failed, ❔ no parseable result."""
    test_ids = list(dict.fromkeys(r.test_id for r in output.test_results))
    candidates = list(dict.fromkeys(r.candidate_id for r in output.test_results))
    candidates.sort(key=lambda cid: order.index(cid) if cid in order else len(order))
    results = {(r.candidate_id, r.test_id): r.passed for r in output.test_results}
    rows = []
    for cid in candidates:
        row = {"candidate": cid}
        row |= {f"T{i}": PASS_MARKS[results.get((cid, tid))] for i, tid in enumerate(test_ids, start=1)}
        row["passed"] = f"{sum(bool(results.get((cid, t))) for t in test_ids)}/{len(test_ids)}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.set_index("candidate") if not frame.empty else frame


def _evaluation(output: ComponentOutput, layer: LayerResult, tests: dict[str, UnitTest]) -> None:
    if not output.test_results:
        st.info("No test results: see the errors below.")
        return
    order = [c.id for c in layer.candidates]
    matrix = unit_test_matrix(output, tests, order)
    test_ids = list(dict.fromkeys(r.test_id for r in output.test_results))
    config = {
        f"T{i}": st.column_config.TextColumn(f"T{i}", help=tests[tid].text if tid in tests else tid, width="small")
        for i, tid in enumerate(test_ids, start=1)
    }
    st.dataframe(matrix, column_config=config)
    legend = [f"**T{i}** {tests[tid].text if tid in tests else tid}" for i, tid in enumerate(test_ids, start=1)]
    st.caption(" · ".join(legend) + " — ✅ passed, ❌ failed, ❔ no parseable result")
    with st.expander("Why each test passed or failed"):
        rows = [
            {"candidate": r.candidate_id, "test": r.test_id, "result": PASS_MARKS[r.passed], "reason": r.reason}
            for r in output.test_results
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True)


# ---------------------------------------------------------------- one layer


def _specs_by_id(arch: Architecture, index: int | None = None) -> dict[str, ComponentSpec]:
    """Component id -> spec, of one layer or (``index`` None) of the whole architecture."""
    layers = range(len(arch.layers)) if index is None else [index]
    return {component_id(i, j): spec for i in layers for j, spec in enumerate(arch.layers[i])}


def layer_view(view: RunView, index: int) -> None:
    """Everything one layer did; a layer still running shows the calls that finished so far."""
    specs = _specs_by_id(view.architecture, index)
    calls = view.calls_of(index)
    layer = next((r for r in view.layers if r.index == index), None)
    usage = Usage.of(calls)
    a, b, c, d = st.columns(4)
    a.metric("Calls", usage.calls, help=f"{usage.failed_calls} failed or unparseable" if usage.failed_calls else None)
    b.metric("Tokens in → out", f"{usage.prompt_tokens} → {usage.completion_tokens}")
    c.metric("Cost", usage_money(usage))
    d.metric("Wall time", f"{usage.latency_s:.2f} s")
    if layer is None:
        if index >= view.started_layers:
            st.info("This layer has not started." if view.finished else "Waiting for the layers before it.")
        elif view.finished:
            st.warning("This layer did not finish: the calls it made are below.")
        else:
            st.info("Running: texts appear below as they are written, the other calls as they finish.", icon="⏳")
            live_view.live_outputs(view, index, specs)
        calls_list(calls, specs)
        return
    inputs = _inputs_of(view, index)
    explain_view.layer_explanation(explain_layer(layer, specs, inputs, calls))
    for error in layer.errors:
        st.warning(error, icon="⚠️")
    catalog = view.candidates_by_id()
    by_call = {c.id: c for c in view.calls}
    notes = candidate_feedback(view.layers)
    tests = {t.id: t for r in view.layers for o in r.outputs for t in o.unit_tests or []}
    every_spec = _specs_by_id(view.architecture)
    producers = [o for o in layer.outputs if _type(specs, o) in PRODUCERS]
    if producers:
        _component_header(producers, specs)
        _produced(producers, layer, by_call, catalog, every_spec, notes)
    for output in layer.outputs:
        kind = _type(specs, output)
        if kind in PRODUCERS:
            continue
        _component_header([output], specs)
        for note in output.notes if kind != "majority_vote" else ():  # the vote view shows its notes
            st.caption(note)
        if kind == "critic":
            _critiques(output, inputs, by_call, every_spec)
        elif kind == "ranker":
            _ranking(output, catalog, inputs)
        elif kind == "majority_vote":
            vote_view(output, catalog)
        elif kind == "verifier":
            _verdicts(output, layer, catalog, by_call, every_spec)
        elif kind == "unit_test_generator":
            _unit_tests(output)
        elif kind == "unit_test_evaluator":
            _evaluation(output, layer, tests)
        elif output.candidates is not None:
            _produced([output], layer, by_call, catalog, every_spec, notes)
    st.markdown(
        "**Passes on:** " + (", ".join(f"`{c.id}`" for c in layer.candidates) or "*no candidates*"),
        help="The candidates the next layer reads, in order; the first one of the last layer is the answer.",
    )
    calls_list(calls, specs)


def _type(specs: dict[str, ComponentSpec], output: ComponentOutput) -> str:
    spec = specs.get(output.component)
    return spec.type if spec else ""


def _inputs_of(view: RunView, index: int) -> list[Candidate]:
    """The candidates a layer read: those the previous layer passed on."""
    before = [r for r in view.layers if r.index < index]
    return list(before[-1].candidates) if before else []


def _component_header(outputs: list[ComponentOutput], specs: dict[str, ComponentSpec]) -> None:
    names = []
    kinds = []
    for output in outputs:
        spec = specs.get(output.component)
        kind = spec.type if spec else "component"
        kinds.append(kind)
        names.append(f"{output.component} `{registry.model_or_method(spec)}`" if spec else output.component)
    kind = kinds[0]
    st.markdown(f"##### {TYPE_ICONS.get(kind, '•')} {kind} — " + ", ".join(names), help=EXPLANATIONS.get(kind))


# ---------------------------------------------------------------- the whole run


def progress(view: RunView) -> None:
    """Per-layer progress: calls finished out of those planned.

    A running view draws a bordered box that always stays open; a finished one an ``st.status``
    summary the reader can open.
    """
    total_planned = sum(view.expected_calls)
    done = len(view.calls)
    if view.finished:
        labels = {
            "completed": f"Finished · {calls_text(done)} in {view.elapsed_s:.1f} s",
            "failed": f"Failed after {calls_text(done)}",
            "budget_exceeded": f"Stopped by the budget after {calls_text(done)}",
            "cancelled": f"Cancelled after {calls_text(done)}",
            "error": "Could not run",
        }
        state = "complete" if view.status == "completed" else "error"
        with st.status(labels[view.status], state=state, expanded=False):
            _layer_bars(view)
        return
    with st.container(border=True):
        layers = len(view.architecture.layers)
        if view.paused_before is not None:
            where = f"paused after layer {view.paused_before} of {layers}"
        elif view.started_layers:
            where = f"layer {view.started_layers} of {layers}"
        else:
            where = "starting (loading the model client)"
        st.markdown(f"**:material/progress_activity: Running “{view.architecture.name}”** — {where}")
        st.caption(f"{done} of {calls_text(total_planned)} planned finished · {view.elapsed_s:.1f} s")
        _layer_bars(view)


def _layer_bars(view: RunView) -> None:
    finished = {r.index for r in view.layers}
    for i, specs in enumerate(view.architecture.layers):
        planned = view.expected_calls[i] if i < len(view.expected_calls) else 0
        count = len(view.calls_of(i))
        if i in finished:
            icon, note = "✅", "done"
        elif i == view.paused_before:
            icon, note = "⏭️", "next"
        elif i < view.started_layers and not view.finished:
            icon, note = "⏳", "running"
        elif i < view.started_layers:
            icon, note = "⛔", "stopped"
        else:
            icon, note = "○", "waiting"
        extra = f" ({count - planned} retried)" if count > planned else ""
        st.progress(
            min(1.0, count / planned) if planned else (1.0 if i in finished else 0.0),
            text=f"{icon} **{layer_label(i, specs)}** — {note} · {count} of {calls_text(planned)}{extra}",
        )


def outcome(view: RunView) -> None:
    """The final answer (or why there is none) and the run's totals."""
    prompt = view.prompt if len(view.prompt) <= 160 else view.prompt[:160] + "…"
    st.caption(f"Last run: “{prompt}” on “{view.architecture.name}”")
    if view.answer is not None:
        st.success(view.answer, title="Final answer", icon="🏁")
    if view.status == "failed":
        st.error(f"The run failed: {view.error or 'no answer'}", icon="🚫")
    elif view.status == "budget_exceeded":
        st.warning(
            f"The run stopped at the budget cap: {view.error or ''}. What finished is below; "
            "raise the cap on the Settings page.",
            icon="💰",
        )
    elif view.status == "cancelled":
        st.warning("The run was cancelled. What had finished is below; calls in flight are marked cancelled.", icon="⏹️")
    elif view.status == "error":
        st.error(f"The run could not start or stopped unexpectedly: {view.error or ''}", icon="🚫")
    usage = view.trace.total()
    a, b, c, d = st.columns(4)
    a.metric(
        "Calls",
        usage.calls,
        delta=f"{usage.failed_calls} with problems" if usage.failed_calls else None,
        delta_color="inverse",
        delta_arrow="off",
    )
    b.metric("Tokens in → out", f"{usage.prompt_tokens} → {usage.completion_tokens}")
    c.metric("Cost", usage_money(usage))
    d.metric("Wall time", f"{view.elapsed_s:.1f} s", help="From pressing Run to the last event.")


def timeline_and_costs(view: RunView, *, totals: bool = True) -> None:
    """The Gantt timeline of every call; with ``totals``, the per-layer cost, token and time bars too."""
    calls = view.calls
    if not calls:
        st.caption("No calls yet.")
        return
    st.markdown("**Every call on one clock** — bars that overlap ran in parallel; hatched bars failed.")
    st.plotly_chart(charts.timeline(calls), config={"displaylogo": False})
    if not totals:
        st.caption("Per-layer totals appear when the run ends.")
        return
    labels = {i: layer_label(i, specs) for i, specs in enumerate(view.architecture.layers)}
    st.markdown("**Totals per layer**")
    st.plotly_chart(charts.layer_totals(view.trace.by_layer(), labels), config={"displaylogo": False})


def run_inspector(view: RunView) -> None:
    """One tab per layer of the architecture, then the timeline (and, once finished, the totals)."""
    names = [*(layer_label(i, specs) for i, specs in enumerate(view.architecture.layers)), "⏱️ Timeline & costs"]
    # Tracked by a key (per set of tabs), so the tab a user picked stays picked when the live view
    # becomes the finished one.
    key = "run-tabs-" + hashlib.sha1("\n".join(names).encode()).hexdigest()[:12]
    flow_view.flow_picture(view)
    tabs = st.tabs(names, key=key, on_change="rerun")
    for index, tab in enumerate(tabs[:-1]):
        with tab:
            layer_view(view, index)
    with tabs[-1]:
        timeline_and_costs(view, totals=view.finished)
