"""Replace a model everywhere in the design (every Together model by the embedded one, say), undoably.

Both the Design page's Models section and the Run page's "run on the embedded model instead" go through
``archon_engine.design.editing.replace_model``, as the CLI's ``--local`` and the server's ``DESIGN:MODEL`` do.
"""

from __future__ import annotations

import streamlit as st

from app import state
from app.widgets.model_picker import model_picker
from archon_engine import ConfigError
from archon_engine.design.editing import models_in, replace_model
from archon_engine.models import keys
from archon_engine.models.catalog import EMBEDDED

EVERY_MODEL = "every model"
FLASH_KEY = "model_swap_flash"


def _components(count: int) -> str:
    return f"{count} component" if count == 1 else f"{count} components"


def _choices(used: dict[str, int]) -> list[str]:
    """What can be replaced: each model, every model of a provider that has several, or every model."""
    providers = [keys.provider_of(m) for m in used]
    shared = [f"{p}/*" for p in dict.fromkeys(providers) if providers.count(p) > 1]
    return [*used, *shared, EVERY_MODEL]


def _describe(choice: str, used: dict[str, int]) -> str:
    if choice == EVERY_MODEL:
        return f"{EVERY_MODEL} ({_components(sum(used.values()))})"
    if choice.endswith("/*"):
        count = sum(n for m, n in used.items() if keys.provider_of(m) == choice[:-2])
        return f"every {choice[:-2]} model ({_components(count)})"
    return f"{choice} ({_components(used[choice])})"


def swap(new: str, *, old: str | None = None, api_base: str | None = None) -> str | None:
    """Put ``new`` in place of ``old`` in the session's design (undoable); the message on failure."""
    try:
        state.set_architecture(replace_model(state.architecture(), new, old=old, api_base=api_base or None))
    except (ConfigError, ValueError) as exc:
        return f"Not replaced: {exc}"
    return None


def to_embedded(models: list[str]) -> None:
    """Button callback: each of ``models`` replaced by the embedded model, as one undoable change."""
    arch = state.architecture()
    for model in models:
        arch = replace_model(arch, EMBEDDED, old=model)
    state.set_architecture(arch)
    st.session_state[FLASH_KEY] = f"{', '.join(models)} replaced by the embedded {EMBEDDED}: Undo brings them back."


def flash() -> None:
    """The last swap's message, once."""
    if text := st.session_state.pop(FLASH_KEY, None):
        st.success(text, icon=":material/swap_horiz:")


def _replace(old_key: str, new_key: str, base_key: str) -> None:
    choice, new = st.session_state[old_key], (st.session_state.get(new_key) or "").strip()
    old = None if choice == EVERY_MODEL else choice
    if (problem := swap(new, old=old, api_base=(st.session_state.get(base_key) or "").strip())) is not None:
        st.session_state[FLASH_KEY + "_error"] = problem
        return
    what = "every model" if old is None else old
    st.session_state[FLASH_KEY] = f"{what} replaced by {new}: Undo (top of the page) brings the original back."


def model_swap() -> None:
    """The design's models, and one action that replaces one of them (or a provider's, or all) everywhere."""
    used = models_in(state.architecture())
    if not used:
        st.info("No component of this design calls a model.")
        return
    session_keys = state.api_keys()
    st.markdown(  # a list, not a table: the Design page must not import pandas (tests/app/test_startup.py)
        "\n".join(
            f"- `{model}` · {_components(count)}"
            + (" · :orange[no API key]" if keys.needs_key(model, None, session_keys) else "")
            for model, count in used.items()
        )
    )
    version = state.version()
    old_key, new_key, base_key = (f"model-swap-{part}-{version}" for part in ("old", "new", "base"))
    left, middle, right = st.columns([2, 2, 2], vertical_alignment="bottom")
    with left:
        choices = _choices(used)
        st.selectbox("Replace", choices, key=old_key, format_func=lambda c: _describe(c, used))
    with middle:
        model_picker("by", EMBEDDED, key=new_key, session_keys=session_keys)
    with right:
        st.text_input(
            "API base (optional)",
            key=base_key,
            placeholder="http://127.0.0.1:8000/v1",
            help="The endpoint of an `openai/<name>` model (vLLM, Ollama, a llama.cpp server). Empty: the "
            "provider's own; the replaced components' old endpoints are cleared.",
        )
    st.button(
        "Replace everywhere",
        key=f"model-swap-go-{version}",
        icon=":material/swap_horiz:",
        on_click=_replace,
        args=(old_key, new_key, base_key),
    )
    if problem := st.session_state.pop(FLASH_KEY + "_error", None):
        st.error(problem)
    flash()
