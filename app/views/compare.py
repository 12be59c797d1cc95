"""Compare: architectures against single-model baselines on a dataset: quality, cost and latency.

The evaluation runs in the background (app.jobs.evaluation) with the run store and the response
cache; while it goes, a fragment redraws the progress bar twice a second. The results are the
engine's ``Evaluation``: a table per system, quality against cost and latency with the Pareto
frontier, every system against a baseline item by item (app.widgets.paired_view), and every item
side by side. An evaluation reopened from History shows here too.
"""

import tempfile
from pathlib import Path

import streamlit as st
from pydantic import ValidationError

from app import state
from app.jobs import evaluation as evaluation_job
from app.jobs.base import BACKEND_KEY, warm_up
from app.widgets import charts, paired_view
from app.widgets.model_picker import describe as describe_model
from app.widgets.model_picker import model_options, model_picker
from archon_engine import estimate, validate
from archon_engine.design.presets import list_presets, slugify
from archon_engine.evaluation.datasets import Dataset, DatasetError, load_dataset, shipped_datasets
from archon_engine.evaluation.records import EvaluationSpec, System, baseline
from archon_engine.evaluation.report import Evaluation, SystemSummary
from archon_engine.evaluation.scorers import registry as scorers
from archon_engine.models.catalog import EMBEDDED
from archon_engine.storage.store import StoreError

DESIGN_KEY, PRESETS_KEY, BASELINES_KEY = "compare_design", "compare_presets", "compare_baselines"
SOURCE_KEY, DATASET_KEY, UPLOAD_KEY, LIMIT_KEY = "compare_source", "compare_dataset", "compare_upload", "compare_limit"
JUDGE_KEY, VERSUS_KEY, ITEM_KEY, REPEATS_KEY = "compare_judge", "compare_versus", "compare_item", "compare_repeats"
DIFFER_KEY = "compare_items_differ"
TAKEN_KEY = "compare_taken"  # the finished job's evaluation this page already made the session's last one
NOTICE_KEY = "compare_notice"
SHIPPED, UPLOAD = "A shipped dataset", "Upload a file"
DEFAULT_LIMIT = 10
MAX_REPEATS = 20
REFRESH_S = 0.5
CARDS_PER_ROW = 3
LATENCY_HELP = (
    "Latency: what one query takes run alone on the same setup (each call's service time along the "
    "architecture's critical path), not the time it queued behind other items."
)

ss = st.session_state


# ------------------------------------------------------------------------------------------- choosing


def _unique(systems: list[System]) -> list[System]:
    """Systems with distinct names: a repeated name gets " (2)", " (3)", ..."""
    seen: dict[str, int] = {}
    out = []
    for system in systems:
        seen[system.name] = seen.get(system.name, 0) + 1
        count = seen[system.name]
        out.append(system if count == 1 else system.model_copy(update={"name": f"{system.name} ({count})"}))
    return out


def pick_systems() -> list[System]:
    """The current design, any presets and any baseline models, as the systems to compare."""
    arch = state.architecture()
    presets = {p.slug: p for p in list_presets()}
    left, right = st.columns(2, gap="large")
    with left:
        design = st.checkbox(f"The current design: {arch.name}", value=True, key=DESIGN_KEY, persist_state="session")
        slugs = st.multiselect(
            "Presets",
            list(presets),
            format_func=lambda slug: presets[slug].name,
            key=PRESETS_KEY,
            persist_state="session",
            placeholder="Add presets to compare",
        )
    with right:
        models = st.multiselect(
            "Single-model baselines",
            model_options(EMBEDDED, state.api_keys()),
            default=[EMBEDDED],
            format_func=describe_model,
            accept_new_options=True,
            key=BASELINES_KEY,
            persist_state="session",
            help="Each is one call to the model per item (temperature 0). Type any litellm name to add it.",
        )
    systems = [System.of(arch)] if design else []
    systems += [System.of(presets[slug].architecture) for slug in slugs if slug in presets]
    systems += [baseline(model.strip()) for model in models if model.strip()]
    return _unique(systems)


def _read_upload(upload) -> Dataset:
    """The uploaded file as a dataset; errors name the file as uploaded, not the temporary copy."""
    name = Path(upload.name).name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(upload.getvalue())
        try:
            return load_dataset(path, name=Path(name).stem)
        except DatasetError as exc:
            raise DatasetError(str(exc).replace(str(path), name)) from None


def pick_dataset() -> Dataset | None:
    """A shipped dataset or an uploaded file, cut to its first N items. Raises DatasetError on a bad file."""
    source = st.radio("Dataset", [SHIPPED, UPLOAD], horizontal=True, key=SOURCE_KEY, persist_state="session")
    if source == UPLOAD:
        upload = st.file_uploader(
            "A JSONL or CSV file",
            type=["jsonl", "csv", "json", "tsv"],
            key=UPLOAD_KEY,
            help="Fields: `prompt` and `reference`; GSM8K (`question`, `answer` with ####), multiple choice "
            "(`question`, `choices`, `answer`), MBPP / HumanEval code tasks, or `instruction`.",
        )
        if upload is None:
            return None
        dataset = _read_upload(upload)
    else:
        shipped = shipped_datasets()
        name = st.selectbox(
            "Shipped dataset",
            list(shipped),
            format_func=lambda n: f"{n} · {shipped[n].kind} · {len(shipped[n].items)} items",
            key=DATASET_KEY,
            persist_state="session",
        )
        dataset = shipped[name]
        st.caption(f"{dataset.description} Source: {dataset.source}.")
    limit = st.number_input(
        "First N items",
        min_value=1,
        value=DEFAULT_LIMIT,
        key=LIMIT_KEY,
        persist_state="session",
        help="The embedded model takes 1 to 3 s per call: start small.",
    )
    st.caption(f"{min(int(limit), len(dataset.items))} of the {len(dataset.items)} items of “{dataset.name}”.")
    return dataset.head(int(limit))


def pick_repeats() -> int:
    """How many times each system answers each item."""
    repeats = st.number_input(
        "Repeats",
        min_value=1,
        max_value=MAX_REPEATS,
        value=1,
        key=REPEATS_KEY,
        persist_state="session",
        help="Each system answers each item this many times (real calls, at temperature 0 too): quality is "
        "then reported as mean ± spread across repeats. Worth it for systems that sample at temperature > 0.",
    )
    return int(repeats)


def pick_scorer(kind: str, systems: list[System]) -> tuple[str, dict, str | None]:
    """The scorer (default from the dataset's kind), its options (a judge model) and, for pairwise judging,
    the system every other one is compared with."""
    names, described = scorers.names(), scorers.describe()
    default = scorers.DEFAULT_FOR_KIND.get(kind, names[0])
    name = st.selectbox(
        "Scorer",
        names,
        index=names.index(default) if default in names else 0,
        key=f"compare_scorer_{kind}",  # a new kind of dataset starts from its own default
        persist_state="session",
    )
    st.caption(described[name])
    scorer = scorers.get(name)
    options, versus = {}, None
    if scorer.needs_model:
        current = ss.get(JUDGE_KEY) or state.settings().default_model
        options["model"] = model_picker("Judge model", current, key=JUDGE_KEY, session_keys=state.api_keys())
    if scorer.needs_baseline and systems:
        first_baseline = next((i for i, s in enumerate(systems) if s.baseline), 0)
        versus = st.selectbox(
            "Compare every system with", [s.name for s in systems], index=first_baseline, key=VERSUS_KEY
        )
    return name, options, versus


# ------------------------------------------------------------------------------------------- checking


def _broken(systems: list[System]) -> str | None:
    for system in systems:
        errors = [f for f in validate(system.architecture) if f.severity == "error"]
        if errors:
            return f"“{system.name}” cannot run: {'; '.join(map(str, errors))}. Fix it on the Design page."
    return None


def build_spec(
    systems: list[System], dataset: Dataset, scorer: str, options: dict, versus: str | None, repeats: int = 1
):
    """The evaluation to run, or one message saying what is wrong."""
    if not systems:
        return None, "Pick at least one system: the current design, a preset or a baseline model."
    if problem := _broken(systems):
        return None, problem
    if missing := evaluation_job.missing_keys(systems, options.get("model"), state.api_keys()):
        return None, f"No API key for {', '.join(missing)}: add one on the Settings page, or pick other models."
    names = " vs ".join(s.name for s in systems)
    try:
        spec = EvaluationSpec(
            name=f"{names} on {dataset.name}",
            systems=systems,
            dataset=dataset,
            scorer=scorer,
            scorer_options=options,
            baseline_system=versus,
            repeats=repeats,
        )
    except ValidationError as exc:
        return None, "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
    return spec, None


def plan_caption(spec: EvaluationSpec) -> str:
    estimates = [estimate(s.architecture) for s in spec.systems]
    items = len(spec.dataset.items)
    answers = items * spec.repeats
    calls = answers * sum(e.calls for e in estimates)
    costs = [e.max_cost_usd for e in estimates]
    cost = "cost unknown" if None in costs else f"at most ${answers * sum(costs):.4f}" if any(costs) else "free"
    judge = " plus the judge's" if scorers.get(spec.scorer).needs_model else ""
    repeats = f" × {spec.repeats} repeats" if spec.repeats > 1 else ""
    return f"{len(spec.systems)} systems × {items} items{repeats}: up to {calls} model calls{judge}; {cost}."


# ------------------------------------------------------------------------------------------- running


def _start(spec: EvaluationSpec) -> None:
    try:
        evaluation_job.start(spec)
    except StoreError as exc:
        ss[NOTICE_KEY] = f"The evaluation cannot start: {exc}. Check the store path on the Settings page."


def _cancel() -> None:
    if (job := evaluation_job.session_job()) is not None:
        job.cancel()


def _settle(job: evaluation_job.EvaluationJob) -> None:
    """Take in the job's progress; its finished evaluation becomes the one this page shows."""
    job.poll()
    evaluation = job.view.evaluation
    if evaluation is not None and ss.get(TAKEN_KEY) is not evaluation:
        ss[TAKEN_KEY] = evaluation
        state.set_last_evaluation(evaluation)


def progress(view: evaluation_job.EvaluationView) -> None:
    text = f"{view.done} of {view.total} answers scored · {view.elapsed_s:.0f} s"
    st.progress(view.fraction, text=text)
    if view.last is not None:
        last = view.last
        st.caption(f"Last: {last.system} on item {last.item_id}, score {last.score.value:.2f}.")


@st.fragment(run_every=REFRESH_S)
def live_progress() -> None:
    """Redrawn twice a second while the evaluation goes; a full rerun follows once it ends."""
    job = evaluation_job.session_job()
    if job is None:
        return
    _settle(job)
    if job.view.finished:
        st.rerun()
    progress(job.view)


def outcome(view: evaluation_job.EvaluationView) -> None:
    if view.status == "cancelled":
        st.warning(
            f"Cancelled after {view.done} of {view.total} answers: the results so far are below. "
            "Resume it from the History page.",
            icon="⏹️",
        )
    elif view.status == "failed":
        st.error(f"The evaluation failed: {view.error}", icon="🚫")


# ------------------------------------------------------------------------------------------- results


def _interval(s: SystemSummary) -> str:
    return f"{s.quality.mean:.2f} [{s.quality.low:.2f}, {s.quality.high:.2f}]"


def best_model_callout(evaluation: Evaluation, summaries: list[SystemSummary]) -> None:
    best = evaluation.best_single_model()
    if best is None:
        st.info("No single-model baseline in this evaluation: add one to see what an architecture adds.", icon="ℹ️")
        return
    s = next(s for s in summaries if s.system == best)
    beats = [o.system for o in summaries if not o.baseline and o.quality.low > s.quality.high]
    verdict = f" Better beyond doubt (95% intervals apart): {', '.join(beats)}." if beats else ""
    st.success(
        f"Best single model: **{best}**, quality {_interval(s)}, "
        f"${s.cost_per_query:.4g} and {s.latency_mean_s:.1f} s per query.{verdict}",
        icon="🏅",
    )


def results_table(evaluation: Evaluation, summaries: list[SystemSummary]) -> None:
    table = evaluation.table()
    frontiers = {axis: set(evaluation.pareto(axis)) for axis in ("cost", "latency")}
    table.insert(1, "kind", ["baseline" if b else "architecture" for b in table.pop("baseline")])
    table.insert(3, "95% CI", [f"[{s.quality.low:.2f}, {s.quality.high:.2f}]" for s in summaries])
    table = table.drop(columns=["quality 95% low", "quality 95% high"])
    table["Pareto"] = [", ".join(a for a in ("cost", "latency") if s in frontiers[a]) for s in table["system"]]
    number = st.column_config.NumberColumn
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "quality": number(format="%.3f", help=f"Mean score ({evaluation.spec.scorer}), 0 to 1"),
            "quality sd over repeats": number(format="%.3f", help="Standard deviation of each repeat's quality"),
            "cost/query $": number(format="%.6f", help="Blank when a model's price is unknown"),
            "latency mean s": number(format="%.2f", help=LATENCY_HELP),
            "latency p95 s": number(format="%.2f"),
            "calls/query": number(format="%.1f"),
            "tokens/query": number(format="%.0f"),
            "Pareto": st.column_config.TextColumn(help="On the Pareto frontier of quality vs cost / latency"),
        },
    )
    wall = ""
    if evaluation.wall_s:
        wall = f" The evaluation took {evaluation.wall_s:.1f} s wall time: {evaluation.throughput_qps:.3g} queries/s."
    st.caption(LATENCY_HELP + wall)


def pareto_charts(evaluation: Evaluation, summaries: list[SystemSummary]) -> None:
    best = evaluation.best_single_model()
    left, right = st.columns(2)
    for column, axis in ((left, "cost"), (right, "latency")):
        with column:
            st.markdown(f"**Quality vs {axis}**")
            figure = charts.quality_vs(summaries, evaluation.pareto(axis), axis, best)
            st.plotly_chart(figure, config={"displaylogo": False}, key=f"compare_pareto_{axis}")


def downloads(evaluation: Evaluation) -> None:
    slug = slugify(evaluation.spec.name)[:60]
    with st.container(horizontal=True):
        st.download_button(
            "Download the table (CSV)",
            evaluation.table().to_csv(index=False),
            file_name=f"archon-eval-{slug}.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        st.download_button(
            "Download the paired comparison (CSV)",
            evaluation.paired_table().to_csv(index=False),
            file_name=f"archon-eval-{slug}-paired.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        st.download_button(
            "Download everything (JSON)",
            evaluation.export_json(),
            file_name=f"archon-eval-{slug}.json",
            mime="application/json",
            icon=":material/download:",
        )


def _open_run(run_id: str) -> None:
    """Show an evaluated item's run in the Run inspector."""
    try:
        run = state.store().run(run_id)
    except StoreError as exc:
        st.error(f"This run cannot be opened: {exc}", icon="🚫")
        return
    state.set_last_run(run, run_id)
    st.switch_page("views/run.py")


def _answer_card(result, baseline: bool, repeats: int) -> None:
    score = result.score
    repeat = f" · repeat {result.repeat + 1}" if repeats > 1 else ""
    st.markdown(f"**{result.system}**" + (" · baseline" if baseline else "") + repeat)
    st.metric("Score", f"{score.value:.2f}", label_visibility="collapsed")
    if score.extracted is not None:
        st.caption(f"Extracted answer: {score.extracted}")
    if result.output is not None:
        st.code(result.output, language=None, wrap_lines=True)
    if problem := score.error or result.error:
        st.error(problem)
    if score.detail:
        st.caption(f"Scorer: {score.detail}")
    cached = " · from the cache" if result.cached else ""
    calls = "1 call" if result.usage.calls == 1 else f"{result.usage.calls} calls"
    st.caption(f"{result.latency_s:.2f} s · {calls} · ${result.usage.cost_usd:.4g}{cached}")
    if result.run_id is not None and st.button(
        "Open in the Run inspector", icon=":material/open_in_new:", key=f"compare_open_{result.run_id}"
    ):
        _open_run(result.run_id)


def drill_down(evaluation: Evaluation) -> None:
    """Pick an item (of all, or of those the systems scored differently): its prompt and reference, then every
    system's answer side by side, each with a button that opens its run in the Run inspector."""
    items = {item.id: item for item in evaluation.spec.dataset.items}
    answered = [i for i in items if any(r.item_id == i for r in evaluation.results)]
    if st.toggle("Only items where the systems scored differently", key=f"{DIFFER_KEY}_{evaluation.id}"):
        answered = [i for i in answered if len({r.score.value for r in evaluation.results if r.item_id == i}) > 1]
        if not answered:
            st.caption("Every system scored the same on every item.")
    if not answered:
        return
    item_id = st.selectbox(
        "Item", answered, format_func=lambda i: f"{i}: {items[i].prompt[:90]}", key=f"{ITEM_KEY}_{evaluation.id}"
    )
    item = items[item_id]
    st.code(item.prompt, language=None, wrap_lines=True)
    if item.reference is not None:
        st.caption(f"Reference: {item.reference}")
    baselines = {s.name for s in evaluation.spec.systems if s.baseline}
    results = [r for r in evaluation.results if r.item_id == item_id]
    for start in range(0, len(results), CARDS_PER_ROW):
        row = results[start : start + CARDS_PER_ROW]
        for column, result in zip(st.columns(CARDS_PER_ROW), row, strict=False):
            with column, st.container(border=True):
                _answer_card(result, result.system in baselines, evaluation.spec.repeats)
    with st.expander("Every item as a table"):
        st.dataframe(evaluation.items_table(), hide_index=True, width="stretch")


def results(evaluation: Evaluation) -> None:
    spec = evaluation.spec
    st.subheader(spec.name or "Evaluation")
    repeats = f" · {spec.repeats} repeats" if spec.repeats > 1 else ""
    st.caption(
        f"Dataset {spec.dataset.name} ({len(spec.dataset.items)} items, {spec.dataset.kind}) · scorer {spec.scorer}"
        f"{repeats} · {len(evaluation.results)} of {spec.answers} answers · {evaluation.status}"
    )
    summaries = evaluation.summaries()
    if not summaries:
        st.info("No answer was scored yet.", icon="ℹ️")
        return
    best_model_callout(evaluation, summaries)
    results_table(evaluation, summaries)
    paired_view.repeats_section(evaluation, summaries)
    paired_view.paired_section(evaluation)
    pareto_charts(evaluation, summaries)
    downloads(evaluation)
    st.subheader("Every item, side by side")
    drill_down(evaluation)


# ------------------------------------------------------------------------------------------- the page

if ss.get(BACKEND_KEY) is None:
    warm_up()

st.title("Compare")
st.caption("Is the architecture worth it? Quality, cost and latency on a dataset, against single-model baselines.")

job = evaluation_job.session_job()
if job is not None:
    _settle(job)
running = job is not None and not job.view.finished

st.markdown("**1. Systems**")
systems = pick_systems()
st.markdown("**2. Dataset and scorer**")
spec, problem = None, None
left, right = st.columns(2, gap="large")
with left:
    try:
        dataset = pick_dataset()
    except DatasetError as exc:
        dataset, problem = None, f"The file cannot be used: {exc}"
    repeats = pick_repeats()
with right:
    if dataset is not None:
        scorer, options, versus = pick_scorer(dataset.kind, systems)
        spec, problem = build_spec(systems, dataset, scorer, options, versus, repeats)
    elif problem is None:
        st.info("Upload a dataset to choose its scorer.", icon="📄")

if spec is not None:
    st.caption(plan_caption(spec))
with st.container(horizontal=True):
    st.button(
        "Run",
        type="primary",
        icon=":material/play_arrow:",
        on_click=_start,
        args=(spec,),
        disabled=running or spec is None,
    )
    st.button("Cancel", icon=":material/stop:", on_click=_cancel, disabled=not running)
if problem:
    st.error(problem, icon="🚫")
if notice := ss.pop(NOTICE_KEY, None):
    st.error(notice, icon="🚫")

st.divider()
if running:
    live_progress()
else:
    shown = state.last_evaluation()
    if job is not None and (job.view.evaluation is None or job.view.evaluation is shown):
        outcome(job.view)
    if shown is not None:
        results(shown)
    elif job is None:
        st.info("Pick systems and a dataset, then press **Run**. Results appear here.", icon="⚖️")
