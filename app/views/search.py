"""Search: find the architecture that does best on a dataset within a budget (ITAS), watch the trials
arrive, and take the winners to the Design or Compare page.

The search runs in the background (app.search_job); while it goes, a fragment redraws the progress, the
trial table and the charts twice a second. Studies live in Optuna's storage under the data folder (the
same settings continue the same study), every answer goes through the response cache, and every
evaluation is kept in the run store (the History page).
"""

import json
import sqlite3
from pathlib import Path

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app import search_job, state
from app.runner import BACKEND_KEY, warm_up
from app.search_job import SearchJob, SearchRequest, SearchView
from app.widgets import charts, trace_view
from app.widgets.model_picker import describe as describe_model
from app.widgets.model_picker import model_options, model_picker
from archon_engine import Architecture, estimate, validate
from archon_engine.components.instructions import VARIANTS
from archon_engine.config import DEFAULT_MODEL, describe_validation_error
from archon_engine.evaluation.datasets import Dataset, shipped_datasets
from archon_engine.evaluation.scorers import registry as scorers
from archon_engine.models import keys
from archon_engine.models.catalog import EMBEDDED
from archon_engine.presets import slugify
from archon_engine.search import DEFAULT_INSTRUCTION, SearchBudget, SearchSpace
from archon_engine.store import StoreError

PAGES = Path(__file__).resolve().parent
DESIGN_PAGE, COMPARE_PAGE = PAGES / "design.py", PAGES / "compare.py"
COMPARE_KEY = "compare_systems"  # architectures for the Compare page: a list of Architecture
JUDGE_KEY = "search_judge"
DEFAULTS = SearchSpace(models=[EMBEDDED])
DEFAULT_LIMIT, DEFAULT_EVALUATIONS, DEFAULT_MAX_CALLS = 10, 10, 20
SAMPLE_CHOICES, FUSER_CHOICES = [1, 2, 3, 4, 5, 6, 8, 10], [1, 2, 3, 4, 5]
TEMPERATURE_CHOICES = [0.0, 0.2, 0.4, 0.7, 1.0]
OBJECTIVES = {"quality": "Quality (minus a cost weight)", "pareto": "Pareto front (quality, cost, latency)"}
# Each objective offers the algorithms that search it, its default first.
ALGORITHMS = {
    "quality": {
        "gp": "Gaussian process (Bayesian)",
        "tpe": "TPE (Bayesian)",
        "random": "Random (a baseline)",
        "grid": "Grid (each architecture once)",
    },
    "pareto": {
        "tpe": "TPE (Bayesian, multi-objective)",
        "nsga2": "NSGA-II (evolutionary)",
        "random": "Random (a baseline)",
        "grid": "Grid (each architecture once)",
    },
}
STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}
REFRESH_S = 0.5

ss = st.session_state


# ------------------------------------------------------------------------------------------- choosing


def pick_dataset() -> Dataset:
    """A shipped dataset, cut to its first N items."""
    shipped = shipped_datasets()
    name = st.selectbox(
        "Dataset",
        list(shipped),
        format_func=lambda n: f"{n} · {shipped[n].kind} · {len(shipped[n].items)} items",
        key="search_dataset",
        persist_state="session",
    )
    dataset = shipped[name]
    st.caption(f"{dataset.description} Source: {dataset.source}.")
    limit = st.number_input(
        "First N items",
        min_value=2,
        value=DEFAULT_LIMIT,
        key="search_limit",
        persist_state="session",
        help="Split in two: the search scores on the dev half; the best are checked on the held-out half. "
        "The embedded model takes 1 to 3 s per call: start small.",
    )
    return dataset.head(int(limit))


def pick_scorer(kind: str) -> tuple[str, dict]:
    """The scorer (default from the dataset's kind) and its options (a judge model)."""
    described = scorers.describe()
    names = [n for n in scorers.names() if not scorers.get(n).needs_baseline]  # one system at a time here
    default = scorers.DEFAULT_FOR_KIND.get(kind, names[0])
    name = st.selectbox(
        "Scorer",
        names,
        index=names.index(default) if default in names else 0,
        key=f"search_scorer_{kind}",  # a new kind of dataset starts from its own default
        persist_state="session",
    )
    st.caption(described[name])
    if not scorers.get(name).needs_model:
        return name, {}
    current = ss.get(JUDGE_KEY) or state.settings().default_model or DEFAULT_MODEL
    return name, {"model": model_picker("Judge model", current, key=JUDGE_KEY, session_keys=state.api_keys())}


def pick_models() -> list[str]:
    models = st.multiselect(
        "Models, best first",
        model_options(EMBEDDED, state.api_keys()),
        default=[EMBEDDED],
        format_func=describe_model,
        accept_new_options=True,
        key="search_models",
        persist_state="session",
        help="In the order picked: generators use the top 1 to K of them; fusers, critics, rankers and "
        "verifiers use the first. Type any litellm name to add it.",
    )
    return [m.strip() for m in models if m.strip()]


def _instruction_label(name: str) -> str:
    if name == DEFAULT_INSTRUCTION:
        return "default (no instruction)"
    return f"{name}: {VARIANTS[name]}" if name in VARIANTS else name


def pick_axes() -> dict:
    """The space's axes, as SearchSpace fields."""
    left, middle, right = st.columns(3, gap="large")
    with left:
        samples = st.multiselect(
            "Samples per model", SAMPLE_CHOICES, default=DEFAULTS.samples, key="search_samples", persist_state="session"
        )
        aggregations = st.multiselect(
            "Aggregations",
            ["fuser", "majority_vote", "ranker", "none"],
            default=DEFAULTS.aggregations,
            key="search_aggregations",
            persist_state="session",
            help="How the candidates become one answer: fusion layers, a majority vote, a ranker's top 1, or "
            "none (one candidate only).",
        )
        temperatures = st.multiselect(
            "Generator temperatures",
            TEMPERATURE_CHOICES,
            default=DEFAULTS.temperatures,
            key="search_temperatures",
            persist_state="session",
        )
    with middle:
        fusion = st.slider(
            "Fusion layers", 1, 4, value=DEFAULTS.fusion_layers, key="search_fusion_layers", persist_state="session"
        )
        fusers = st.multiselect(
            "Fusers per layer (all but the last)",
            FUSER_CHOICES,
            default=DEFAULTS.fusers_per_layer,
            key="search_fusers",
            persist_state="session",
        )
        critic = st.multiselect(
            "Critic + ranker before each fuser",
            ["off", "on"],
            default=["on" if c else "off" for c in DEFAULTS.critic_ranker],
            key="search_critic_ranker",
            persist_state="session",
        )
    with right:
        checks = st.multiselect(
            "Final check before the last fuser",
            ["none", "verifier", "unit_tests"],
            default=DEFAULTS.final_checks,
            key="search_final_checks",
            persist_state="session",
        )
        instructions = st.multiselect(
            "Instruction variants",
            [DEFAULT_INSTRUCTION, *VARIANTS],
            default=DEFAULTS.instructions,
            format_func=_instruction_label,
            accept_new_options=True,
            key="search_instructions",
            persist_state="session",
            help="Added to generators, fusers, rankers and critics. Type your own text to try it too.",
        )
    return {
        "samples": samples,
        "aggregations": aggregations,
        "fusion_layers": tuple(fusion),
        "fusers_per_layer": fusers,
        "critic_ranker": [c == "on" for c in critic],
        "final_checks": checks,
        "temperatures": temperatures,
        "instructions": [i.strip() for i in instructions if i.strip()],
    }


def pick_advanced() -> tuple[dict, str]:
    """Limits of the space, an endpoint for every model, and the study's name."""
    with st.expander("Advanced"):
        left, right = st.columns(2, gap="large")
        with left:
            fuser_inputs = st.number_input(
                "Most candidates into a fuser",
                min_value=1,
                value=DEFAULTS.max_fuser_inputs,
                key="search_max_fuser_inputs",
                persist_state="session",
                help="Architectures feeding a fuser more are pruned without a call.",
            )
            keep = st.number_input(
                "Candidates a ranker passes on",
                min_value=1,
                value=DEFAULTS.ranker_keep,
                key="search_ranker_keep",
                persist_state="session",
            )
            max_tokens = st.number_input(
                "Max tokens per reply",
                min_value=1,
                value=DEFAULTS.max_tokens,
                key="search_max_tokens",
                persist_state="session",
            )
        with right:
            api_base = st.text_input(
                "API base (optional)",
                key="search_api_base",
                persist_state="session",
                placeholder="http://127.0.0.1:11434/v1",
                help="An OpenAI-compatible endpoint (Ollama, vLLM, a llama.cpp server) for every model.",
            )
            study = st.text_input(
                "Study name (optional)",
                key="search_study",
                persist_state="session",
                placeholder="named after the settings",
                help="Searches with the same study name share (and continue) one study, like the CLI's --study.",
            )
    fields = {"max_fuser_inputs": int(fuser_inputs), "ranker_keep": int(keep), "max_tokens": int(max_tokens)}
    fields["api_base"] = api_base.strip() or None
    return fields, study.strip()


def pick_budget() -> SearchBudget:
    calls = st.number_input(
        "Max calls per query",
        min_value=0,
        value=DEFAULT_MAX_CALLS,
        key="search_max_calls",
        persist_state="session",
        help="Architectures that may make more calls per query are pruned, never evaluated. 0: no limit.",
    )
    usd = st.number_input(
        "Max USD per query",
        min_value=0.0,
        value=None,
        step=0.001,
        format="%.4f",
        key="search_max_usd",
        persist_state="session",
        placeholder="no limit",
        help="Architectures whose worst case costs more per query are pruned. Empty: no limit.",
    )
    return SearchBudget(max_calls=int(calls) or None, max_usd=usd)


def pick_objective() -> tuple[str, float, str]:
    objective = st.radio(
        "Objective", list(OBJECTIVES), format_func=OBJECTIVES.get, key="search_objective", persist_state="session"
    )
    weight = 0.0
    if objective == "quality":
        weight = st.number_input(
            "Cost weight λ",
            min_value=0.0,
            value=0.0,
            step=1.0,
            key="search_weight",
            persist_state="session",
            help="The search maximises quality − λ × USD per query.",
        )
    algorithms = ALGORITHMS[objective]
    algorithm = st.selectbox(
        "Algorithm",
        list(algorithms),
        format_func=algorithms.get,
        key=f"search_algorithm_{objective}",  # each objective remembers its own choice
        persist_state="session",
        help="Bayesian searches learn from the architectures evaluated so far; the Gaussian process never evaluates "
        "one twice. Random and grid are baselines.",
    )
    return objective, float(weight), algorithm


def pick_run() -> tuple[int, int]:
    evaluations = st.number_input(
        "Evaluations",
        min_value=1,
        max_value=1000,
        value=DEFAULT_EVALUATIONS,
        key="search_evaluations",
        persist_state="session",
        help="Distinct architectures to evaluate. Pruned trials and repeats of an evaluated architecture are free.",
    )
    seed = st.number_input(
        "Seed",
        min_value=0,
        value=0,
        key="search_seed",
        persist_state="session",
        help="The same seed and settings repeat the same search.",
    )
    return int(evaluations), int(seed)


# ------------------------------------------------------------------------------------------- checking


def missing_keys(models: list[str], judge: str | None, api_base: str | None) -> list[str]:
    """Models (and the judge) whose provider has no key here: their calls would fail."""
    needed = [(m, api_base) for m in models] + ([(judge, None)] if judge else [])
    return sorted({m for m, base in needed if keys.needs_key(m, base, state.api_keys())})


def build_request(fields: dict, dataset: Dataset, scorer: str, options: dict, settings: dict):
    """The search to run, or one message saying what is wrong."""
    if not fields["models"]:
        return None, "Pick at least one model."
    try:
        space = SearchSpace(**fields)
        request = SearchRequest(space=space, dataset=dataset, scorer=scorer, scorer_options=options, **settings)
    except ValidationError as exc:
        return None, f"The search space is not valid: {describe_validation_error(exc)}."
    if missing := missing_keys(space.models, options.get("model"), space.api_base):
        return None, f"No API key for {', '.join(missing)}: add one on the Settings page, or pick other models."
    return request, None


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def plan_caption(request: SearchRequest) -> str:
    points = len(request.space.points())
    dev, held = (len(part.items) for part in request.dataset.split(0.5, seed=request.seed))
    grid = " (a grid stops when every distinct architecture is done)" if request.algorithm == "grid" else ""
    return (
        f"Up to {request.evaluations} evaluations{grid} over {points:,} points of the space; infeasible and "
        "over-budget ones are pruned without a call, repeats reuse the figures. "
        f"Each evaluation answers {_items(dev)} of the dev split; {_items(held)} are held out. "
        f"Study “{request.study_name()}”: the same settings continue it."
    )


# ------------------------------------------------------------------------------------------- running


def _start(request: SearchRequest) -> None:
    if (previous := search_job.session_job()) is not None:
        previous.stop()  # a double click must not leave a search going unseen
    try:
        cache = state.response_cache()
    except (OSError, sqlite3.Error):
        cache = None
    try:
        store = state.store()
    except StoreError as exc:
        store, notice = None, f"This search's evaluations will not be kept in the history: {exc}"
    else:
        notice = None
    job = SearchJob(
        request,
        backend=ss.get(BACKEND_KEY),
        api_keys=state.api_keys(),
        cache=cache,
        limits=state.settings().limits(),
        store=store,
    )
    job.view.notice = notice
    ss[search_job.JOB_KEY] = job.start()


def _stop() -> None:
    if (job := search_job.session_job()) is not None:
        job.stop()


def progress(view: SearchView) -> None:
    if view.status == "starting":
        st.progress(0.0, text="Opening the study…")
        return
    text = f"{view.evaluations} of {view.request.evaluations} evaluations ({view.done} trials) · {view.elapsed_s:.0f} s"
    st.progress(view.fraction, text=text)
    repeats = sum(t.duplicate_of is not None for t in view.trials)
    st.caption(
        f"Study “{view.study}”: {view.count('COMPLETE') - repeats} architectures evaluated, {repeats} repeats "
        f"(figures reused), {view.count('PRUNED')} pruned, {view.count('FAIL')} failed."
    )
    if view.stop_requested and not view.finished:
        st.caption("⏹️ Stopping: cancelling the evaluation in progress…")


@st.fragment(run_every=REFRESH_S)
def live_search() -> None:
    """Redrawn twice a second while the search goes; a full rerun follows once it ends."""
    job = search_job.session_job()
    if job is None:
        return
    job.poll()
    if job.view.finished:
        st.rerun()
    progress(job.view)
    trials_table(job.view)
    charts_section(job.view)


def outcome(view: SearchView) -> None:
    best = view.trial(view.best[0]) if view.best else None
    if view.status == "failed":
        st.error(f"The search failed: {view.error}", icon="🚫")
    elif view.status == "stopped":
        st.warning(
            f"Stopped after {view.evaluations} of {view.request.evaluations} evaluations: the results so far are "
            "below.",
            icon="⏹️",
        )
    if best is None:
        if view.status == "failed" or not view.trials:
            return
        st.info(
            "No architecture was evaluated: every trial was pruned (the table says why). Loosen the budget or "
            "widen the space.",
            icon="ℹ️",
        )
    elif view.request.objective == "pareto":
        st.success(
            f"Pareto front: {len(_distinct_best(view))} architectures nothing beats on quality, cost and latency.",
            icon="🏅",
        )
    else:
        st.success(f"Best: trial {best.number}, “{best.name}”, quality {best.quality:.3f}.", icon="🏅")


# ------------------------------------------------------------------------------------------- results


def _interval(low: float | None, high: float | None) -> str | None:
    return None if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def _note(trial) -> str:
    if trial.duplicate_of is not None:
        return f"same architecture as trial {trial.duplicate_of}: figures reused"
    return keys.redact(trial.reason or "")


def trials_table(view: SearchView, *, selectable: bool = False) -> None:
    """Every trial of the study: state, architecture, figures, and why it was pruned."""
    pareto = view.request.objective == "pareto"
    rank = {number: i + 1 for i, number in enumerate(_distinct_best(view))}
    rows = [
        {
            "trial": t.number,
            "state": STATES.get(t.state, t.state.lower()),
            "front" if pareto else "rank": (t.number in rank) if pareto else rank.get(t.number),
            "architecture": t.name,
            "quality": t.quality,
            "95% CI": _interval(t.quality_low, t.quality_high),
            "objective": None if pareto or not t.values else t.values[0],
            "cost/query $": t.cost_per_query,
            "latency s": t.latency_s,
            "calls/query": t.calls_per_query,
            "note": _note(t),
        }
        for t in view.trials
    ]
    if not rows:
        st.info("No trial has finished yet.", icon="⏳")
        return
    table = pd.DataFrame(rows)
    if pareto:
        table = table.drop(columns=["objective"])
    number = st.column_config.NumberColumn
    config = {
        "quality": number(format="%.3f", help=f"Mean score ({view.request.scorer}) on the dev split"),
        "objective": number(format="%.4f", help="Quality − λ × USD per query: what the search maximises"),
        "rank": number(format="%d", help="Best first, by the objective"),
        "front": st.column_config.CheckboxColumn(help="On the Pareto front of quality, cost and latency"),
        "cost/query $": number(format="%.6f"),
        "latency s": number(format="%.2f"),
        "calls/query": number(format="%.1f"),
    }
    if not selectable:
        st.dataframe(table, hide_index=True, width="stretch", column_config=config)
        return
    key = f"search_table_{view.id}"
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=config,
        key=key,
        on_select=lambda: _picked_row(key, view),
        selection_mode="single-row",
    )


def _distinct_best(view: SearchView) -> list[int]:
    """The best trials (or the front) without repeats of an earlier trial's architecture."""
    return [n for n in view.best if (t := view.trial(n)) is not None and t.duplicate_of is None]


def _trial_key(view: SearchView) -> str:
    return f"search_trial_{view.id}"


def _picked_row(table_key: str, view: SearchView) -> None:
    """A row clicked in the table picks its trial below (when it has an architecture)."""
    rows = ss[table_key].selection.rows
    if rows and rows[0] < len(view.trials):
        trial = view.trials[rows[0]]
        if trial.state == "COMPLETE" and trial.architecture is not None:
            ss[_trial_key(view)] = trial.number if trial.duplicate_of is None else trial.duplicate_of


def charts_section(view: SearchView) -> None:
    if not view.evaluated():
        return
    pareto = view.request.objective == "pareto"
    if not pareto:
        label = "quality − λ·cost" if view.request.cost_weight else "quality"
        st.markdown("**Best so far**")
        st.plotly_chart(
            charts.search_best_so_far(view.trials, label), config={"displaylogo": False}, key="search_best_so_far"
        )
    highlight, name = (view.best, "Pareto front") if pareto else (view.best[:1], "best")
    for column, axis in zip(st.columns(2), ("cost", "latency"), strict=True):
        with column:
            st.markdown(f"**Quality vs {axis}**")
            figure = charts.search_tradeoff(view.trials, highlight, axis, name)
            st.plotly_chart(figure, config={"displaylogo": False}, key=f"search_tradeoff_{axis}")


def _registered(page: Path) -> bool:
    """True when ``page`` is one of the app's pages (st.navigation lists it)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:
        pages = get_script_run_ctx().pages_manager.get_pages().values()
        return any(Path(p["script_path"]).resolve() == page.resolve() for p in pages)
    except Exception:  # no session context, or Streamlit changed its internals
        return False


def _open_in_design(arch: Architecture) -> None:
    state.set_architecture(arch)
    st.switch_page(DESIGN_PAGE)


def _compare(arch: Architecture) -> None:
    ss[COMPARE_KEY] = [a for a in ss.get(COMPARE_KEY) or [] if a != arch] + [arch]
    st.switch_page(COMPARE_PAGE)


def trial_picker(view: SearchView) -> None:
    """Pick an evaluated trial (or click its row): its architecture, small, to open or compare."""
    evaluated = {t.number: t for t in view.evaluated() if t.duplicate_of is None}
    if not evaluated:
        return
    best = _distinct_best(view)
    order = [n for n in best if n in evaluated] + [n for n in evaluated if n not in best]
    number = st.selectbox(
        "Trial",
        order,
        format_func=lambda n: f"trial {n}: {evaluated[n].name} · quality {evaluated[n].quality:.3f}",
        key=_trial_key(view),
    )
    trial = evaluated[number]
    arch = trial.architecture
    trace_view.architecture_summary(arch, validate(arch), estimate(arch))
    if trial.evaluation_id:
        st.caption(f"Its answers on the dev split are in History as evaluation `{trial.evaluation_id}`.")
    compare_ready = _registered(COMPARE_PAGE)
    with st.container(horizontal=True):
        design = st.button(
            "Open in Design",
            type="primary",
            icon=":material/open_in_new:",
            key="search_open_design",
            disabled=not _registered(DESIGN_PAGE),
        )
        compare = st.button(
            "Compare",
            icon=":material/balance:",
            key="search_compare",
            disabled=not compare_ready,
            help="Adds it to the systems of the Compare page." if compare_ready else "The Compare page is not here.",
        )
        st.download_button(
            "Download the architecture (JSON)",
            json.dumps(arch.to_dict(), indent=2),
            file_name=f"archon-search-trial-{trial.number}-{slugify(trial.name)[:40]}.json",
            mime="application/json",
            icon=":material/download:",
        )
    if design:
        _open_in_design(arch)
    if compare:
        _compare(arch)


@st.fragment(run_every=REFRESH_S)
def live_held_out() -> None:
    """Waits for the held-out check; a full rerun follows once it ends."""
    job = search_job.session_job()
    if job is None:
        return
    job.poll()
    if not job.view.finalizing:
        st.rerun()
    st.info("Re-evaluating the best architectures on the held-out split…", icon="⏳")


def held_out_table(view: SearchView) -> None:
    rows = [
        {
            "rank": i + 1,
            "trial": h.trial,
            "architecture": h.name,
            "held-out quality": h.quality,
            "95% CI": _interval(h.quality_low, h.quality_high),
            "dev quality": h.dev_quality,
            "cost/query $": h.cost_per_query,
            "latency s": h.latency_s,
        }
        for i, h in enumerate(view.held_out or [])
    ]
    number = st.column_config.NumberColumn
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "held-out quality": number(format="%.3f", help="On items the search never saw"),
            "dev quality": number(format="%.3f", help="What the search measured"),
            "cost/query $": number(format="%.6f"),
            "latency s": number(format="%.2f"),
        },
    )


def held_out_section(job: SearchJob) -> None:
    """Re-evaluate the best on the held-out split: do they stay best on items the search never saw?"""
    view = job.view
    if not view.evaluated():
        return
    st.subheader("Held-out check")
    dev, held = view.split or (0, 0)
    st.caption(
        f"The search scored {_items(dev)} of the dev split and held out {_items(held)}, which show whether the best "
        "stay best on items the search never saw."
    )
    top = int(st.number_input("Top N", min_value=1, max_value=10, value=3, key="search_top", persist_state="session"))
    st.button(
        f"Re-evaluate the top {top} on the held-out split",
        icon=":material/fact_check:",
        on_click=job.finalize,
        args=(top,),
        disabled=not job.can_finalize,
    )
    if view.finalizing:
        st.button(
            "Stop the held-out check",
            icon=":material/stop:",
            on_click=job.stop_held_out,
            help="Cancels the evaluation in progress (History keeps what it did).",
        )
        live_held_out()
    elif view.held_out_stopped:
        st.warning("The held-out check was stopped. History keeps what it evaluated, as cancelled.", icon="⏹️")
    elif view.held_out_error:
        st.error(f"The held-out check failed: {view.held_out_error}", icon="🚫")
    elif view.held_out:
        held_out_table(view)


def results(job: SearchJob) -> None:
    view = job.view
    outcome(view)
    progress(view)
    trials_table(view, selectable=True)
    charts_section(view)
    if view.evaluated():
        st.subheader("A trial's architecture")
        trial_picker(view)
    held_out_section(job)


# ------------------------------------------------------------------------------------------- the page

if ss.get(BACKEND_KEY) is None:
    warm_up()

st.title("Search")
st.caption(
    "Find the architecture that does best on your task within a budget: Bayesian search (a Gaussian process or "
    "TPE), the Pareto front of quality, cost and latency, or random and grid baselines."
)

job = search_job.session_job()
if job is not None:
    job.poll()
running = job is not None and not job.view.finished

st.markdown("**1. Task**")
left, right = st.columns(2, gap="large")
with left:
    dataset = pick_dataset()
with right:
    scorer, options = pick_scorer(dataset.kind)
    models = pick_models()
st.markdown("**2. Search space**")
axes = pick_axes()
advanced, study = pick_advanced()
st.markdown("**3. Budget, objective and algorithm**")
left, middle, right = st.columns(3, gap="large")
with left:
    budget = pick_budget()
with middle:
    objective, weight, algorithm = pick_objective()
with right:
    evaluations, seed = pick_run()

settings = {
    "budget": budget,
    "objective": objective,
    "cost_weight": weight,
    "algorithm": algorithm,
    "seed": seed,
    "evaluations": evaluations,
    "study": study or None,
}
request, problem = build_request({"models": models, **axes, **advanced}, dataset, scorer, options, settings)
if request is not None:
    st.caption(plan_caption(request))
with st.container(horizontal=True):
    st.button(
        "Start",
        type="primary",
        icon=":material/play_arrow:",
        on_click=_start,
        args=(request,),
        disabled=running or request is None,
    )
    st.button(
        "Stop",
        icon=":material/stop:",
        on_click=_stop,
        disabled=not running or job.view.stop_requested,
        help="Stops now: the evaluation in progress is cancelled (History keeps what it did).",
    )
if problem:
    st.error(problem, icon="🔑" if problem.startswith("No API key") else "🚫")
if job is not None and job.view.notice:
    st.warning(job.view.notice, icon="🗂️")

st.divider()
if job is None:
    st.info("Choose the task and the space, then press **Start**. Trials appear here as they finish.", icon="🔎")
elif running:
    live_search()
else:
    results(job)
