"""Model picker: the embedded model, the chat models of providers with a key, or any litellm name."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from archon_engine.models.catalog import EMBEDDED, available_models

HELP = (
    "The embedded model runs here for free. Models of providers whose key is set are listed; "
    "type any other litellm name (e.g. `anthropic/claude-3-5-haiku-20241022`, or `openai/<name>` "
    "with an API base for Ollama, vLLM or a llama.cpp server)."
)


def model_options(current: str, session_keys: dict[str, str] | None = None) -> list[str]:
    """The catalogue's models, with ``current`` first when the catalogue lacks it."""
    models = available_models(session_keys)
    return models if current in models else [current, *models]


def describe(model: str) -> str:
    return f"{model} (embedded, free)" if model == EMBEDDED else model


def model_picker(
    label: str,
    current: str,
    *,
    key: str,
    session_keys: dict[str, str] | None = None,
    on_change: Callable[..., None] | None = None,
    args: tuple = (),
) -> str | None:
    """A select box over the known models that also accepts a typed litellm name."""
    options = model_options(current, session_keys)
    return st.selectbox(
        label,
        options,
        index=options.index(current),
        key=key,
        format_func=describe,
        accept_new_options=True,
        help=HELP,
        on_change=on_change,
        args=args,
    )
