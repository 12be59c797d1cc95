"""Design: start from a preset, an Archon JSON or scratch; stack layers and edit components; watch
the graph, the checks and the estimate; rename, export and save the design.

Every change goes through an ``archon_engine.design.editing`` function and ``state.set_architecture`` (so
it can be undone); what the engine rejects is shown as one message and the design stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit_sortables import sort_items

from app import state
from app.widgets.component_editor import component_editor, component_label, explanation, ordered_types
from app.widgets.graph import architecture_graph, colour
from app.widgets.model_swap import model_swap
from archon_engine import (
    Architecture,
    ConfigError,
    Estimate,
    Finding,
    estimate,
    load_config,
    to_archon,
    validate,
)
from archon_engine.config import component_id
from archon_engine.design import editing, presets
from archon_engine.design.usage import usage_from_code

FOCUS = "design_focus"  # the selected component id (graph clicks and the picker both set it)
PICK = "design_pick"  # the component picker's widget key
FLASH = "design_flash"  # messages left by callbacks for the next run, by page area
STACK_NONCE = "design_stack_nonce"  # bumped to reset the drag-and-drop view without a design change
PASTE = "design_paste"
UPLOAD = "design_upload"
NEW_LAYER_TYPE = "design_new_layer_type"
START_OPEN = "design_start_open"
NEW_LAYER = "+ new layer (drop here)"
COST_HELP = "An upper bound: every reply at max_tokens, prices from litellm's table."
SEVERITY = {"error": st.error, "warning": st.warning, "info": st.info}
PAGE_STYLE = """
<style>
[class*="st-key-design-card-"] [data-testid="stCaptionContainer"] {
  display: -webkit-box; -webkit-line-clamp: 6; -webkit-box-orient: vertical; overflow: hidden;
}
</style>
"""
STACK_STYLE = """
.sortable-component { gap: 8px; }
.sortable-container { border: 1px solid #e2e8f0; border-radius: 10px; background: #ffffff; }
.sortable-container-header { font-weight: 600; font-size: 0.85rem; color: #334155; padding: 2px 4px 6px; }
.sortable-container-body { border-radius: 8px; background: #f1f5f9; min-height: 52px; }
.sortable-item, .sortable-item:hover {
  border-radius: 8px; font-size: 0.8rem; padding: 6px 10px; background-color: #4f46e5; color: #ffffff;
}
"""


# --- messages and edits ----------------------------------------------------------------------


def _flash(area: str, kind: str, text: str) -> None:
    st.session_state.setdefault(FLASH, {})[area] = (kind, text)


def _show_flash(area: str) -> None:
    kind, text = st.session_state.get(FLASH, {}).pop(area, (None, None))
    if kind:
        getattr(st, kind)(text)


def _edit(area: str, change: Callable[[Architecture], Architecture], focus: str | None = None) -> bool:
    """Apply ``change`` to the design (undoable); report what the engine rejects under ``area``."""
    try:
        new = change(state.architecture())
    except IndexError:
        _flash(area, "error", "Not applied: that layer or component no longer exists.")
        return False
    except (ConfigError, ValueError) as exc:
        _flash(area, "error", f"Not applied: {exc}")
        return False
    state.set_architecture(new)
    if focus is not None:
        st.session_state[FOCUS] = focus
    return True


def _new_component(type_name: str) -> dict[str, Any]:
    return editing.new_component(type_name, state.settings().default_model)


def _use(arch: Architecture, what: str) -> None:
    state.set_architecture(arch)
    st.session_state[FOCUS] = component_id(0, 0)
    st.session_state[START_OPEN] = False
    _flash("start", "success", f"Loaded {what}. Undo brings the previous design back.")


def _use_preset(preset: presets.Preset) -> None:
    _use(preset.architecture, f"the preset “{preset.name}”")


def _from_scratch() -> None:
    scratch = Architecture(name="My architecture", layers=[[_new_component("generator")]])
    _use(scratch, "an empty design: one generator layer")


def _import(text: str, origin: str) -> None:
    """Load Archon JSON (or this project's JSON); on any problem keep the design and say why."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        _flash("import", "error", f"Could not read {origin}: invalid JSON at {where}: {exc.msg}.")
        return
    try:
        arch = load_config(data)
    except ConfigError as exc:
        reason = str(exc).removeprefix("config: ")
        _flash("import", "error", f"Could not import {origin}: {reason}. The design was not changed.")
        return
    _use(arch, f"“{arch.name}” from {origin}")


def _import_pasted() -> None:
    text = st.session_state.get(PASTE) or ""
    if not text.strip():
        _flash("import", "error", "Paste an Archon JSON config first.")
        return
    _import(text, "the pasted JSON")


def _import_upload() -> None:
    upload = st.session_state.get(UPLOAD)
    if upload is None:
        _flash("import", "error", "Choose a JSON file first.")
        return
    try:
        text = upload.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        _flash("import", "error", f"{upload.name} is not a UTF-8 text file.")
        return
    _import(text, upload.name)


def _undo() -> None:
    state.undo()


def _redo() -> None:
    state.redo()


def _add_layer() -> None:
    type_name, model = st.session_state[NEW_LAYER_TYPE], state.settings().default_model
    new = len(state.architecture().layers)

    _edit("layers", lambda a: editing.add_layer(a, type_name=type_name, model=model), component_id(new, 0))


def _remove_layer(layer: int) -> None:
    _edit("layers", lambda a: editing.remove_layer(a, layer), component_id(max(layer - 1, 0), 0))


def _add_component(layer: int, type_key: str) -> None:
    size = len(state.architecture().layers[layer])
    component = _new_component(st.session_state[type_key])
    _edit("layers", lambda a: editing.add_component(a, layer, component), component_id(layer, size))


def _duplicate(layer: int, index: int) -> None:
    _edit("component", lambda a: editing.duplicate_component(a, layer, index), component_id(layer, index + 1))


def _remove(layer: int, index: int) -> None:
    arch = state.architecture()
    if len(arch.layers[layer]) > 1:
        focus = component_id(layer, max(index - 1, 0))
    else:
        focus = component_id(max(layer - 1, 0), 0)
    _edit("component", lambda a: editing.remove_component(a, layer, index), focus)


def _layout(arch: Architecture) -> list[list[tuple[int, int]]]:
    return [[(i, j) for j in range(len(layer))] for i, layer in enumerate(arch.layers)]


def _follow(arch: Architecture, layout: list[list[tuple[int, int]]]) -> str | None:
    """The id the focused component gets once ``layout`` is applied (empty layers dropped)."""
    focus = st.session_state.get(FOCUS)
    here = next((p for group in _layout(arch) for p in group if component_id(*p) == focus), None)
    kept = [group for group in layout if group]
    return next((component_id(i, j) for i, group in enumerate(kept) for j, p in enumerate(group) if p == here), None)


def _move(layer: int, index: int, direction: str) -> None:
    """Move a component up/down in its layer, or to the end of the previous/next layer (a new one at the edges)."""
    layout = _layout(state.architecture())
    here = (layer, index)
    layout[layer].remove(here)
    if direction == "up":
        layout[layer].insert(index - 1, here)
    elif direction == "down":
        layout[layer].insert(index + 1, here)
    elif direction == "earlier" and layer > 0:
        layout[layer - 1].append(here)
    elif direction == "earlier":
        layout.insert(0, [here])
    elif layer + 1 < len(layout):
        layout[layer + 1].append(here)
    else:
        layout.append([here])
    st.session_state[FOCUS] = component_id(*here)
    _edit("component", lambda a: editing.arrange(a, layout), _follow(state.architecture(), layout))


def _update(layer: int, index: int, settings: dict[str, Any]) -> None:
    _edit("component", lambda a: editing.update_component(a, layer, index, **settings))


def _rename(name_key: str, description_key: str) -> None:
    name = (st.session_state.get(name_key) or "").strip()
    if not name:
        _flash("export", "error", "The name cannot be empty: it names the file and the preset.")
        return
    description = (st.session_state.get(description_key) or "").strip()
    _edit("export", lambda a: editing.rename(a, name, description))


def _save() -> None:
    arch = state.architecture()
    try:
        path = presets.save_preset(arch)
    except OSError as exc:
        _flash("export", "error", f"Could not save to your presets: {exc.strerror or exc}.")
        return
    _flash("export", "success", f"Saved “{arch.name}” to your presets ({path}). It is in the gallery now.")


# --- views ----------------------------------------------------------------------------------------


def _cost(est: Estimate) -> str:
    if est.max_cost_usd is None:
        return "unknown"
    if est.max_cost_usd == 0:
        return "$0"
    return f"${est.max_cost_usd:.4f}" if est.max_cost_usd < 1 else f"${est.max_cost_usd:,.2f}"


def _layer_summary(layer: list) -> str:
    """``generator ×10`` or ``critic``: the types in a layer with their total samples."""
    parts: dict[str, int] = {}
    for spec in layer:
        parts[spec.type] = parts.get(spec.type, 0) + spec.samples
    return " + ".join(f"{t} ×{n}" if n > 1 else t for t, n in parts.items())


def _shape(arch: Architecture) -> str:
    return " → ".join(_layer_summary(layer) for layer in arch.layers) or "no layers"


def _where(finding: Finding) -> str:
    if finding.component:
        return finding.component
    return f"layer {finding.layer}" if finding.layer is not None else "architecture"


def _gallery() -> None:
    current = state.architecture()
    for problem in presets.problems():
        st.warning(f"A preset file could not be read: {problem}")
    items = presets.list_presets()
    for start in range(0, len(items), 4):
        for column, preset in zip(st.columns(4), items[start : start + 4], strict=False):
            est = estimate(preset.architecture)
            with column.container(border=True, key=f"design-card-{'b' if preset.builtin else 'u'}-{preset.slug}"):
                badge = "" if preset.builtin else " :violet-badge[yours]"
                st.markdown(f"**{preset.name}**{badge}")
                st.caption(preset.description or "No description.")
                st.markdown(f"`{_shape(preset.architecture)}`")
                calls = f"{est.min_calls}–{est.calls}" if est.min_calls is not None else est.calls
                st.markdown(
                    f"**{calls}** calls per query · critical path **{est.critical_path_calls}** · "
                    f"max cost **{_cost(est)}**"
                )
                in_use = preset.architecture == current
                st.button(
                    "In use" if in_use else "Use",
                    key=f"design-use-{'b' if preset.builtin else 'u'}-{preset.slug}",
                    on_click=_use_preset,
                    args=(preset,),
                    disabled=in_use,
                    type="secondary" if in_use else "primary",
                    icon=":material/check:" if in_use else None,
                )


def _importer() -> None:
    st.caption(
        "An Archon config (with `model_type` on its components, or Archon's older layer shapes) or this "
        "project's JSON. Nothing changes unless the whole config reads cleanly."
    )
    left, right = st.columns(2)
    with left:
        st.file_uploader("Upload a JSON file", type=["json"], key=UPLOAD)
        st.button("Load the file", key="design-load-file", on_click=_import_upload, icon=":material/upload_file:")
    with right:
        st.text_area("…or paste the JSON", key=PASTE, height=140, placeholder='{"name": "...", "layers": [[...]]}')
        st.button("Load the pasted JSON", key="design-load-paste", on_click=_import_pasted, icon=":material/input:")
    _show_flash("import")


def _start() -> None:
    """A section shown on the first visit and on demand; loading a design closes it."""
    if START_OPEN not in st.session_state:
        st.session_state[START_OPEN] = state.version() == 0
    st.toggle("Start from a preset, an Archon JSON, or from scratch", key=START_OPEN)
    _show_flash("start")
    if not st.session_state[START_OPEN]:
        return
    with st.container(border=True):
        gallery, importer, scratch = st.tabs(["Presets", "Import Archon JSON", "From scratch"])
        with gallery:
            _gallery()
        with importer:
            _importer()
        with scratch:
            st.caption("One generator layer on the default model; add layers and components below.")
            st.button("Start from scratch", key="design-scratch", on_click=_from_scratch, icon=":material/add:")


def _checks(findings: list[Finding]) -> None:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY}
    st.markdown(f"**Checks** · {counts['error']} error(s) · {counts['warning']} warning(s) · {counts['info']} note(s)")
    if not findings:
        st.success("Ready to run, and every layer follows the paper's rules.", icon=":material/check_circle:")
        return
    with st.container(height=320, border=False) if len(findings) > 4 else st.container():
        for finding in findings:
            SEVERITY[finding.severity](f"**{_where(finding)}**: {finding.message}")


def _estimate_view(est: Estimate) -> None:
    st.markdown("**Estimate per query**")
    with st.container(horizontal=True, gap="medium"):
        st.metric("Calls", est.calls, help="Model calls one query makes, at most.", width="content")
        if est.expected_calls is not None:
            st.metric(
                "Expected calls",
                f"≈ {est.expected_calls:g}",
                help=f"Adaptive components stop early when answers agree: at least {est.min_calls}, at most "
                f"{est.calls}. The expected figure is a model, not a measurement: it assumes each sample gives the "
                f"leading answer with probability {est.assumed_agreement:g} and every other answer differs.",
                width="content",
            )
        st.metric(
            "Critical path",
            est.critical_path_calls,
            help="Calls that must wait for each other: a proxy for latency.",
            width="content",
        )
        st.metric("Max cost", _cost(est), help=COST_HELP, width="content")
    if est.unknown_price_models:
        st.caption("No price known for: " + ", ".join(f"`{m}`" for m in est.unknown_price_models))
    if est.calls_per_layer:
        st.caption("Calls per layer: " + " · ".join(f"L{i} {n}" for i, n in enumerate(est.calls_per_layer)))


def _stack(arch: Architecture, est: Estimate) -> None:
    """Drag and drop between layer containers; a drop is applied with ``editing.arrange``."""
    labels = {
        component_label(spec, component_id(i, j)): (i, j)
        for i, layer in enumerate(arch.layers)
        for j, spec in enumerate(layer)
    }
    by_position = {position: label for label, position in labels.items()}
    calls = est.calls_per_layer
    containers = [
        {
            "header": f"Layer {i} · {_layer_summary(layer)} · {calls[i] if i < len(calls) else '?'} call(s)",
            "items": [by_position[(i, j)] for j in range(len(layer))],
        }
        for i, layer in enumerate(arch.layers)
    ]
    containers.append({"header": NEW_LAYER, "items": []})
    key = f"design-stack-{state.version()}-{st.session_state.get(STACK_NONCE, 0)}"
    # A tuple, not a list: Streamlit imports pandas (0.4 s at cold start) to check list arguments for data frames.
    stack = tuple(containers)
    result = sort_items(stack, multi_containers=True, direction="vertical", custom_style=STACK_STYLE, key=key)
    if not result or [c["items"] for c in result] == [c["items"] for c in containers]:
        return
    layout = [[labels[label] for label in c.get("items", []) if label in labels] for c in result]
    _edit("layers", lambda a: editing.arrange(a, layout), _follow(arch, layout))
    if state.architecture() is arch:  # rejected, or the same design: redraw the view as it is
        st.session_state[STACK_NONCE] = st.session_state.get(STACK_NONCE, 0) + 1
    st.rerun()


def _layer_controls(arch: Architecture) -> None:
    version = state.version()
    types = ordered_types()
    for i, layer in enumerate(arch.layers):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown(f"**Layer {i}**", width=72)
            type_key = f"design-add-type-{version}-{i}"
            st.selectbox(
                f"Type of a new component in layer {i}",
                types,
                index=types.index(layer[0].type) if layer[0].type in types else 0,
                key=type_key,
                label_visibility="collapsed",
                width=160,
            )
            st.button(
                "Add",
                help=f"Add a component of the chosen type to layer {i}",
                key=f"design-add-{version}-{i}",
                on_click=_add_component,
                args=(i, type_key),
                icon=":material/add:",
            )
            st.button(
                ":material/delete:",
                help=f"Remove layer {i} and its components",
                key=f"design-remove-layer-{version}-{i}",
                on_click=_remove_layer,
                args=(i,),
            )
    if NEW_LAYER_TYPE not in st.session_state:
        st.session_state[NEW_LAYER_TYPE] = "fuser" if arch.layers else "generator"
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown("**New**", width=72, help="A new last layer with one component of the chosen type")
        st.selectbox("Type of the new layer", types, key=NEW_LAYER_TYPE, label_visibility="collapsed", width=160)
        st.button("Add layer", key=f"design-add-layer-{version}", on_click=_add_layer, icon=":material/add:")
    _show_flash("layers")


def _component_panel(arch: Architecture) -> None:
    ids = arch.component_ids()
    if not ids:
        st.info("The design has no components: add a layer, load a preset or start from scratch.")
        return
    if st.session_state.get(FOCUS) not in ids:
        st.session_state[FOCUS] = ids[0]
    st.session_state[PICK] = st.session_state[FOCUS]
    specs = {component_id(i, j): spec for i, layer in enumerate(arch.layers) for j, spec in enumerate(layer)}
    st.selectbox(
        "Component (or click a node in the graph)",
        ids,
        key=PICK,
        format_func=lambda cid: component_label(specs[cid], cid),
        on_change=lambda: st.session_state.update({FOCUS: st.session_state[PICK]}),
    )
    cid = st.session_state[FOCUS]
    layer, index = next(
        (i, j) for i, group in enumerate(arch.layers) for j in range(len(group)) if component_id(i, j) == cid
    )
    spec = specs[cid]
    size, last = len(arch.layers[layer]), len(arch.layers) - 1
    st.markdown(f"<span style='color:{colour(spec.type)};font-weight:700'>● {spec.type}</span>", unsafe_allow_html=True)
    st.caption(explanation(spec.type))

    version = state.version()
    with st.container(horizontal=True, gap="small"):
        actions = [
            ("Duplicate", ":material/content_copy:", _duplicate, (layer, index), False, "Add a copy right after it"),
            ("Remove", ":material/delete:", _remove, (layer, index), False, "Remove it (an emptied layer goes too)"),
            ("Up", ":material/arrow_upward:", _move, (layer, index, "up"), index == 0, "Earlier in its layer"),
            (
                "Down",
                ":material/arrow_downward:",
                _move,
                (layer, index, "down"),
                index == size - 1,
                "Later in its layer",
            ),
            (
                "Earlier layer",
                ":material/arrow_back:",
                _move,
                (layer, index, "earlier"),
                layer == 0 and size == 1,
                "To the end of the previous layer (a new first layer from layer 0)",
            ),
            (
                "Later layer",
                ":material/arrow_forward:",
                _move,
                (layer, index, "later"),
                layer == last and size == 1,
                "To the end of the next layer (a new last layer from the last one)",
            ),
        ]
        for label, icon, callback, args, disabled, tip in actions:
            st.button(
                label,
                key=f"design-{label.lower().replace(' ', '-')}-{version}",
                on_click=callback,
                args=args,
                icon=icon,
                disabled=disabled,
                help=tip,
            )
    _show_flash("component")
    component_editor(
        spec,
        key_prefix=f"design-ed-{version}-{cid}",
        on_change=lambda settings: _update(layer, index, settings),
        session_keys=state.api_keys(),
    )


def _export(arch: Architecture) -> None:
    version = state.version()
    slug = presets.slugify(arch.name)
    left, right = st.columns([3, 2])
    with left:
        name_key, description_key = f"design-name-{version}", f"design-description-{version}"
        st.text_input("Name", value=arch.name, key=name_key, on_change=_rename, args=(name_key, description_key))
        st.text_area(
            "Description",
            value=arch.description,
            key=description_key,
            height=90,
            on_change=_rename,
            args=(name_key, description_key),
        )
    with right:
        st.download_button(
            "Download project JSON",
            data=json.dumps(arch.to_dict(), indent=2) + "\n",
            file_name=f"{slug}.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
            key=f"design-download-project-{version}",
        )
        st.download_button(
            "Download Archon JSON",
            data=json.dumps(to_archon(arch), indent=2) + "\n",
            file_name=f"{slug}.archon.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
            key=f"design-download-archon-{version}",
        )
        taken = any(not p.builtin and p.slug == slug for p in presets.list_presets())
        if taken:
            st.caption(f"You already have a preset saved as `{slug}`: saving replaces it.")
        st.button(
            "Replace my preset" if taken else "Save to my presets",
            key=f"design-save-{version}",
            on_click=_save,
            icon=":material/bookmark_add:",
            type="primary",
            width="stretch",
        )
    _show_flash("export")


def _use_from_code(arch: Architecture) -> None:
    usage = usage_from_code(arch)
    st.markdown(
        f"Serve it as an OpenAI-compatible model `{usage.model}` from {usage.source}, then call it from any "
        "OpenAI client. Components on providers need their keys in the server's environment; "
        f"`{usage.model}:MODEL` (for example `{usage.model}:openai/gpt-4o-mini`) runs the same design on another model."
    )
    st.code(usage.serve_command, language="bash")
    python, curl = st.tabs(["Python (openai)", "curl"])
    python.code(usage.python, language="python")
    curl.code(usage.curl, language="bash")


# --- page -------------------------------------------------------------------------------------------

arch = state.architecture()
findings = validate(arch)
est = estimate(arch)

st.html(PAGE_STYLE)
title, undo, redo = st.columns([6, 1, 1], vertical_alignment="bottom")
title.title("Design")
undo.button(
    "Undo", key="design-undo", on_click=_undo, disabled=not state.can_undo(), icon=":material/undo:", width="stretch"
)
redo.button(
    "Redo", key="design-redo", on_click=_redo, disabled=not state.can_redo(), icon=":material/redo:", width="stretch"
)
st.markdown(f"#### {arch.name}")
if arch.description:
    st.caption(arch.description)

_start()

graph_column, side_column = st.columns([5, 3], gap="large")
with graph_column:
    st.markdown("**Architecture** · click a component to edit it")
    if arch.layers:
        clicked = architecture_graph(arch, selected=st.session_state.get(FOCUS), key="design-graph")
        if clicked in arch.component_ids() and clicked != st.session_state.get(FOCUS):
            st.session_state[FOCUS] = clicked
            st.rerun()  # draw the graph with the clicked node highlighted, and open its settings
        st.markdown(
            " ".join(
                f"<span style='color:{colour(t)}'>■</span>&nbsp;{t}"
                for t in dict.fromkeys(spec.type for layer in arch.layers for spec in layer)
            ),
            unsafe_allow_html=True,
        )
    else:
        st.info("No layers yet: add one below.")
with side_column:
    _estimate_view(est)
    _checks(findings)

st.divider()
layers_column, component_column = st.columns([1, 1], gap="large")
with layers_column:
    st.subheader("Layers")
    st.caption("Drag components between layers, or onto “new layer”. Layers run left to right.")
    if arch.layers:
        _stack(arch, est)
    _layer_controls(arch)
with component_column:
    st.subheader("Component")
    _component_panel(arch)

st.divider()
st.subheader("Models")
st.caption("Run someone else's design here: replace a model (or every model of a provider) everywhere at once.")
model_swap()

st.divider()
st.subheader("Name, export and save")
_export(arch)

st.divider()
st.subheader("Use this design from code")
_use_from_code(arch)
