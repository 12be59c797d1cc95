"""The search form: the task (dataset, scorer, models), the space, the budget, objective and algorithm, and
the request they make (or what is wrong with them)."""

import streamlit as st
from pydantic import ValidationError

from app import state
from app.jobs.search import SearchRequest
from app.widgets.model_picker import describe as describe_model
from app.widgets.model_picker import model_options, model_picker
from archon_engine.components.instructions import VARIANTS
from archon_engine.config import DEFAULT_MODEL, describe_validation_error
from archon_engine.evaluation.datasets import Dataset, shipped_datasets
from archon_engine.evaluation.scorers import registry as scorers
from archon_engine.models import keys
from archon_engine.models.catalog import EMBEDDED
from archon_engine.search import DEFAULT_INSTRUCTION, SearchBudget, SearchSpace

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

ss = st.session_state


def search_form() -> tuple[SearchRequest | None, str | None]:
    """The form in its three steps and its plan: the search asked for, or one message saying what is wrong."""
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
    return request, problem


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
        adaptive = st.multiselect(
            "Adaptive stopping of samples",
            ["off", "on"],
            default=["on" if a else "off" for a in DEFAULTS.adaptive_stopping],
            key="search_adaptive_stopping",
            persist_state="session",
            help="On: generators draw samples in waves and stop once the answers agree (stop_when), "
            "at most the samples picked above.",
        )
        skip = st.multiselect(
            "Skip fusion when candidates agree",
            ["off", "on"],
            default=["on" if s else "off" for s in DEFAULTS.skip_fusion],
            key="search_skip_fusion",
            persist_state="session",
            help="On: a fuser whose candidates give the same answer passes it on with no call (skip_when_agree).",
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
        "adaptive_stopping": [a == "on" for a in adaptive],
        "skip_fusion": [s == "on" for s in skip],
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


def item_count(count: int) -> str:
    """The count with its noun: "1 item", "3 items"."""
    return f"{count} item" if count == 1 else f"{count} items"


def plan_caption(request: SearchRequest) -> str:
    points = len(request.space.points())
    dev, held = (len(part.items) for part in request.dataset.split(0.5, seed=request.seed))
    grid = " (a grid stops when every distinct architecture is done)" if request.algorithm == "grid" else ""
    return (
        f"Up to {request.evaluations} evaluations{grid} over {points:,} points of the space; infeasible and "
        "over-budget ones are pruned without a call, repeats reuse the figures. "
        f"Each evaluation answers {item_count(dev)} of the dev split; {item_count(held)} are held out. "
        f"Study “{request.study_name()}”: the same settings continue it."
    )
