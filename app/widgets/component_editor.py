"""Settings editor for one component: its type, model and the parameters its technique uses.

Every widget applies its change at once through ``on_change({field: value})``; the caller makes the
edit (and reports what the engine rejects). Widget keys carry ``key_prefix``: derive it from the
design's version so that the widgets show the design again after undo, redo or any other change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.widgets.model_picker import model_picker
from archon_engine import ComponentSpec
from archon_engine.components import extractors, registry
from archon_engine.components.instructions import CUSTOM, VARIANTS, variant_of
from archon_engine.components.prompts import EXPLANATIONS
from archon_engine.components.unit_test_generator import DEFAULT_CAP

# The settings each technique reads besides model, temperature, max_tokens, system prompt and API base.
OPTIONAL_FIELDS = (
    "samples",
    "top_k",
    "first_k",
    "seed",
    "unit_test_cap",
    "length_control",
    "use_critiques",
    "instruction",
)
SHOWN_ALWAYS = ("type", "model", "temperature", "max_tokens", "system_prompt", "api_base")
TYPE_ORDER = (
    "generator",
    "fuser",
    "ranker",
    "majority_vote",
    "critic",
    "verifier",
    "unit_test_generator",
    "unit_test_evaluator",
)

COUNT_HELP = {
    "samples": "Calls this component makes; each gives one candidate.",
    "top_k": "Candidates it passes on, best first. Empty: all.",
    "first_k": "Reads only the first k candidates (and passes on at most k). Empty: all.",
    "seed": "Fixed seed for repeatable sampling (sample i uses seed + i). Empty: random.",
    "unit_test_cap": f"Most unit tests it writes. Empty: {DEFAULT_CAP}.",
}
TOGGLE_HELP = {
    "length_control": "Ask for a concise answer, no longer than needed.",
    "use_critiques": "Show the critiques of an earlier critic beside each candidate.",
}
NAMES = {
    "samples": "Samples",
    "top_k": "Keep top k",
    "first_k": "First k",
    "seed": "Seed",
    "unit_test_cap": "Unit tests at most",
    "length_control": "Length control",
    "use_critiques": "Use critiques",
}
MODE_HELP = (
    "listwise: every candidate in one prompt and one reply. pointwise: one short call per candidate (a critique, "
    "or a 1-10 score), which small models do better: on the embedded model a listwise critic often writes the "
    "same critique for every candidate."
)
NO_INSTRUCTION = "(none)"
CUSTOM_CHOICE = "custom…"
INSTRUCTION_CHOICES = (NO_INSTRUCTION, *VARIANTS, CUSTOM_CHOICE)
CUSTOM_MAX_CHARS = 500
EXTRACTOR_TEXT_FIELDS = {  # the spec fields extractors may need, as text inputs: label, placeholder, help
    "pattern": (
        "Pattern",
        r"Answer:\s*(\w+)",
        "A Python regular expression; its first group (or match) is the answer.",
    ),
    "field": ("JSON field", "answer", "The key holding the answer; a.b for nested objects, items[0] for lists."),
}


def ordered_types() -> list[str]:
    """Registered component types, pipeline order first, then any custom ones."""
    known = registry.types()
    return [t for t in TYPE_ORDER if t in known] + sorted(t for t in known if t not in TYPE_ORDER)


def fields_for(type_name: str) -> tuple[str, ...]:
    """The optional settings a type reads (all of them for an unknown type)."""
    component = registry.get(type_name)
    return component.settings if component else OPTIONAL_FIELDS


def explanation(type_name: str) -> str:
    return EXPLANATIONS.get(type_name, f"A custom component type ('{type_name}') registered in this engine.")


def component_label(spec: ComponentSpec, cid: str) -> str:
    """``L0.C1 · generator · smollm2-135m ×3``; ``L1.C0 · majority_vote · short_text`` for one without model calls."""
    if not registry.calls_a_model(spec):
        return f"{cid} · {spec.type} · {registry.model_or_method(spec)}"
    return f"{cid} · {spec.type} · {spec.model.rsplit('/', 1)[-1]} ×{spec.samples}"


def instruction_choice(instruction: str | None) -> str:
    """The instruction select box's option for a spec's ``instruction``."""
    variant = variant_of(instruction)
    return NO_INSTRUCTION if variant is None else CUSTOM_CHOICE if variant == CUSTOM else variant


def _instruction_label(choice: str) -> str:
    return f"{choice} — {VARIANTS[choice]}" if choice in VARIANTS else choice


def _commit_instruction_choice(key: str, on_change: Callable[[dict[str, Any]], None]) -> None:
    choice = st.session_state.get(key)
    if choice == CUSTOM_CHOICE:
        return  # the text input below takes the user's own text
    on_change({"instruction": None if choice in (NO_INSTRUCTION, None) else choice})


def _commit(field: str, key: str, on_change: Callable[[dict[str, Any]], None]) -> None:
    value = st.session_state.get(key)
    if isinstance(value, str):
        value = value.strip() or None
    if field in ("type", "model") and value is None:
        return  # a cleared select box: keep the current value
    on_change({field: value})


def component_editor(
    spec: ComponentSpec,
    *,
    key_prefix: str,
    on_change: Callable[[dict[str, Any]], None],
    session_keys: dict[str, str] | None = None,
) -> None:
    """Widgets for every setting ``spec``'s type uses; each change calls ``on_change`` at once."""

    def key(field: str) -> str:
        return f"{key_prefix}-{field}"

    def hook(field: str) -> dict[str, Any]:
        return {"key": key(field), "on_change": _commit, "args": (field, key(field), on_change)}

    types = ordered_types()
    if spec.type not in types:
        types = [spec.type, *types]
    calls_a_model = registry.calls_a_model(spec)  # a majority vote does not: model settings do not apply
    left, right = st.columns([2, 3])
    left.selectbox(
        "Type",
        types,
        index=types.index(spec.type),
        help="Changing the type keeps the settings the new type shares.",
        **hook("type"),
    )
    if calls_a_model:
        with right:
            model_picker("Model", spec.model, session_keys=session_keys, **hook("model"))

        left, right = st.columns(2)
        left.slider(
            "Temperature",
            0.0,
            2.0,
            float(spec.temperature),
            step=0.05,
            help="0 repeats the same answer; higher values make samples differ.",
            **hook("temperature"),
        )
        right.number_input(
            "Max tokens",
            min_value=1,
            value=int(spec.max_tokens),
            step=64,
            help="The longest reply, in tokens; the cost estimate assumes every reply is this long.",
            **hook("max_tokens"),
        )
    else:
        right.caption("No model call: it works on the candidates' text, so model and temperature do not apply.")

    wanted = fields_for(spec.type)
    if "extractor" in wanted:
        _extractor_widgets(spec, hook)
    counts = [f for f in wanted if f in COUNT_HELP]
    toggles = [f for f in wanted if f in TOGGLE_HELP]
    for start in range(0, len(counts), 3):
        row = counts[start : start + 3]
        for column, field in zip(st.columns(3), row, strict=False):
            current = getattr(spec, field)
            invalid = current is not None and current < 1  # imported as is; the checks report it
            column.number_input(
                NAMES[field],
                min_value=None if field == "seed" or invalid else 1,
                value=current if field == "samples" or current is not None else None,
                step=1,
                placeholder="random" if field == "seed" else "all",
                help=COUNT_HELP[field],
                **hook(field),
            )
    if toggles:
        for column, field in zip(st.columns(len(toggles)), toggles, strict=True):
            column.toggle(NAMES[field], value=bool(getattr(spec, field)), help=TOGGLE_HELP[field], **hook(field))

    if "mode" in wanted:
        modes = ["listwise", "pointwise"]
        st.radio("Judge", modes, index=modes.index(spec.mode), horizontal=True, help=MODE_HELP, **hook("mode"))
    if "stop_when" in wanted:
        _adaptive_widgets(spec, "stop_when", key, on_change)
    if "skip_when_agree" in wanted:
        _adaptive_widgets(spec, "skip_when_agree", key, on_change)
    if "instruction" in wanted:
        _instruction_widgets(spec, key, hook, on_change)
    if calls_a_model:
        _prompt_and_endpoint(spec, hook)

    hidden = sorted(set(spec.settings()) - set(SHOWN_ALWAYS) - set(wanted))
    if hidden:
        st.caption(
            "Also set (kept in exports, not used by this type): "
            + ", ".join(f"`{name}` = {getattr(spec, name, None)!r}" for name in hidden)
        )


def _prompt_and_endpoint(spec: ComponentSpec, hook: Callable[[str], dict[str, Any]]) -> None:
    with st.expander("System prompt and API base", expanded=bool(spec.system_prompt or spec.api_base)):
        st.text_area(
            "System prompt",
            value=spec.system_prompt or "",
            placeholder="The component's own instructions (optional)",
            help="Sent as the system message of this component's calls. Empty: the engine's default.",
            **hook("system_prompt"),
        )
        st.text_input(
            "API base",
            value=spec.api_base or "",
            placeholder="http://localhost:11434/v1",
            help="URL of an OpenAI-compatible server, for models named openai/<name>. Empty: the provider's API.",
            **hook("api_base"),
        )


def _extractor_widgets(spec: ComponentSpec, hook: Callable[[str], dict[str, Any]]) -> None:
    """The extractor (how an answer is read from a candidate) and the settings it needs."""
    names = list(extractors.EXTRACTORS)
    current = spec.extractor or extractors.DEFAULT
    if current not in names:
        names = [current, *names]  # imported as is; the checks report it
    found = extractors.EXTRACTORS.get(current)
    st.selectbox(
        "Extractor",
        names,
        index=names.index(current),
        help="How the answer is read from each candidate before the vote. "
        + " ".join(f"**{e.name}**: {e.description}" for e in extractors.EXTRACTORS.values()),
        **hook("extractor"),
    )
    if found is not None:
        st.caption(found.description)
    for field in found.needs if found else ():
        label, placeholder, tip = EXTRACTOR_TEXT_FIELDS.get(field, (field, "", ""))
        st.text_input(label, value=getattr(spec, field, None) or "", placeholder=placeholder, help=tip, **hook(field))
    for problem in extractors.problems(spec):  # also among the design's checks; here beside the field
        st.caption(f":red[🚫 {problem}]")


def _instruction_widgets(
    spec: ComponentSpec,
    key: Callable[[str], str],
    hook: Callable[[str], dict[str, Any]],
    on_change: Callable[[dict[str, Any]], None],
) -> None:
    """A named instruction variant, or the user's own text (a text input appears for "custom…")."""
    choice_key = key("instruction-choice")
    current = instruction_choice(spec.instruction)
    choice = st.selectbox(
        "Instruction",
        INSTRUCTION_CHOICES,
        index=INSTRUCTION_CHOICES.index(current),
        format_func=_instruction_label,
        help="Added to this component's prompt as the last paragraph of the user message (before the JSON "
        "format line for rankers and critics). With small models the instruction can matter more than "
        "the architecture.",
        key=choice_key,
        on_change=_commit_instruction_choice,
        args=(choice_key, on_change),
    )
    if choice == CUSTOM_CHOICE:
        st.text_input(
            "Your instruction",
            value=spec.instruction if current == CUSTOM_CHOICE else "",
            max_chars=CUSTOM_MAX_CHARS,
            placeholder="e.g. Answer with the city's name only.",
            help="Sent as it is; press Enter to apply. Empty: no instruction.",
            **hook("instruction"),
        )


ADAPTIVE = {  # setting -> (toggle label, help)
    "stop_when": (
        "Stop sampling when the answers agree",
        "Draw the samples in waves and stop once their answers decide (Samples is then the maximum): "
        "beta stops when P(the leading answer is the majority) reaches the threshold (Adaptive-Consistency), "
        "window when that many samples in a row agree (ESC).",
    ),
    "skip_when_agree": (
        "Skip fusion when the candidates agree",
        "When the candidates already agree (same extracted answer, or near-identical text), the agreed one "
        "passes on and no fusion call is made.",
    ),
}
ADAPTIVE_FIELDS = {  # sub-setting -> (label, kind, help); kind: a number's type or the choices
    "rule": ("Rule", ("beta", "window"), "beta: a Beta over the two leading answers; window: equal answers in a row."),
    "threshold": ("Threshold", float, "beta: stop when P(the leading answer is the majority) reaches this (0.5 to 1)."),
    "window": ("Window", int, "window: stop when this many samples in a row give the same answer."),
    "min_samples": ("At least", int, "Never stop before this many samples."),
    "wave": ("Wave", int, "Samples drawn at once after the first wave (which is as large as the rule needs)."),
    "by": ("Agree by", ("answer", "text"), "answer: the same extracted answer; text: near-identical texts."),
    "share": ("Share", float, "The part of the candidates that must agree (above 0.5; 1: all of them)."),
    "similarity": ("Similarity", float, "text: how alike two texts must be (0 to 1) to count as the same."),
}
SHOWN_FOR = {
    ("stop_when", "beta"): ("rule", "threshold", "min_samples", "wave"),
    ("stop_when", "window"): ("rule", "window", "min_samples", "wave"),
    ("skip_when_agree", "answer"): ("by", "share"),
    ("skip_when_agree", "text"): ("by", "share", "similarity"),
}


def _commit_adaptive(setting: str, sub: str | None, key: str, on_change: Callable[[dict[str, Any]], None]) -> None:
    """The toggle (``sub`` None) turns the setting on with its defaults or off; a sub-setting changes one field."""
    value = st.session_state.get(key)
    if sub is None:
        on_change({setting: {} if value else None})
        return
    current = st.session_state.get(f"{key}-current") or {}
    if isinstance(value, str):
        value = value.strip() or None
    on_change({setting: {**current, sub: value}})


def _adaptive_widgets(
    spec: ComponentSpec, setting: str, key: Callable[[str], str], on_change: Callable[[dict[str, Any]], None]
) -> None:
    """A toggle for ``stop_when`` or ``skip_when_agree``, and when on, its rule, figures and extractor."""
    options = getattr(spec, setting)
    label, tip = ADAPTIVE[setting]
    toggle_key = key(setting)
    hook = {"key": toggle_key, "on_change": _commit_adaptive, "args": (setting, None, toggle_key, on_change)}
    st.toggle(label, value=options is not None, help=tip, **hook)
    if options is None:
        return
    current = options.model_dump(exclude_defaults=True)
    mode = options.rule if setting == "stop_when" else options.by
    shown = SHOWN_FOR[setting, mode]
    for column, sub in zip(st.columns(len(shown)), shown, strict=True):
        sub_key = key(f"{setting}-{sub}")
        st.session_state[f"{sub_key}-current"] = current
        name, kind, help_text = ADAPTIVE_FIELDS[sub]
        hook = {"key": sub_key, "on_change": _commit_adaptive, "args": (setting, sub, sub_key, on_change)}
        value = getattr(options, sub)
        if isinstance(kind, tuple):
            column.selectbox(name, kind, index=kind.index(value), help=help_text, **hook)
        elif kind is float:
            column.number_input(name, value=float(value), step=0.05, format="%.2f", help=help_text, **hook)
        else:
            column.number_input(name, min_value=1, value=int(value), step=1, help=help_text, **hook)
    if setting == "skip_when_agree" and mode == "text":
        return
    names = list(extractors.EXTRACTORS)
    reader_key = key(f"{setting}-extractor")
    st.session_state[f"{reader_key}-current"] = current
    st.selectbox(
        "Extractor" if setting == "skip_when_agree" else "Answer extractor",
        names if options.extractor in names else [options.extractor, *names],
        index=names.index(options.extractor) if options.extractor in names else 0,
        help="How an answer is read from each text; use the vote's extractor so that both read alike.",
        key=reader_key,
        on_change=_commit_adaptive,
        args=(setting, "extractor", reader_key, on_change),
    )
    found = extractors.EXTRACTORS.get(options.extractor)
    for field in found.needs if found else ():
        field_key = key(f"{setting}-{field}")
        st.session_state[f"{field_key}-current"] = current
        text_label, placeholder, text_help = EXTRACTOR_TEXT_FIELDS.get(field, (field, "", ""))
        hook = {"key": field_key, "on_change": _commit_adaptive, "args": (setting, field, field_key, on_change)}
        value = getattr(options, field) or ""
        st.text_input(text_label, value=value, placeholder=placeholder, help=text_help, **hook)
    for problem in extractors.problems(options):
        st.caption(f":red[🚫 {problem}]")
