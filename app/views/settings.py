"""Settings: provider keys for this session, the embedded model, limits, the budget per run, the run history."""

import streamlit as st
from pydantic import ValidationError

from app import state
from archon_engine.config import describe_validation_error
from archon_engine.models import keys, local
from archon_engine.models.catalog import EMBEDDED, available_models
from archon_engine.storage.store import StoreError

st.title("Settings")

st.header("Provider keys")
st.caption(
    "Keys come from the environment, a `.env` file or `.streamlit/secrets.toml`. Keys typed here "
    "live in this browser session only: they are never written to disk, traces or logs."
)
session_keys = state.api_keys()
PROVIDER, KEY, NOTICE = "settings_provider", "settings_key", "settings_key_notice"


def _use_key() -> None:
    """Form callback, before the page is drawn, so the table below already shows the provider ready."""
    provider, value = st.session_state[PROVIDER], st.session_state[KEY].strip()
    if not value:
        st.session_state[NOTICE] = ("error", "Type a key first.")
        return
    keys.register_secret(value)
    session_keys[provider] = value
    st.session_state[NOTICE] = ("success", f"{provider} is ready for this session.")


def _forget_key() -> None:
    provider = st.session_state[PROVIDER]
    session_keys.pop(provider, None)
    st.session_state[NOTICE] = ("info", f"Forgot the session key of {provider}.")


rows = []
for provider, names in keys.PROVIDER_KEYS.items():
    typed = bool(session_keys.get(provider))
    configured = keys.provider_ready(provider)
    source = "this session or secrets.toml" if typed else ("environment / .env" if configured else "—")
    rows.append(
        {"provider": provider, "ready": "✅" if typed or configured else "—", "key from": source, "variable": names[0]}
    )
st.dataframe(rows, hide_index=True, width="stretch")

with st.form("keys", clear_on_submit=True):
    st.selectbox("Provider", list(keys.PROVIDER_KEYS), key=PROVIDER)
    st.text_input("API key", type="password", help="Kept in this session only.", key=KEY)
    add, forget = st.columns(2)
    add.form_submit_button("Use this key", type="primary", on_click=_use_key)
    forget.form_submit_button("Forget this provider's session key", on_click=_forget_key)
if notice := st.session_state.pop(NOTICE, None):
    kind, text = notice
    {"error": st.error, "success": st.success, "info": st.info}[kind](text)

st.header("Embedded model")
pool = local.pool()
left, right = st.columns(2)
left.metric("Model", EMBEDDED)
right.metric("Instances loaded", f"{pool.loaded} of {pool.size}")
st.caption(
    f"SmolLM2-135M-Instruct on llama.cpp, {local.default_threads()} threads per instance. "
    "Set ARCHON_LOCAL_POOL_SIZE and ARCHON_LOCAL_THREADS before starting the app to change them."
)
if not pool.started and st.button("Load the embedded model now"):
    pool.start()
    st.rerun()

st.header("Runs")
current = state.settings()
with st.form("run-settings"):
    models = available_models(session_keys)
    default_model = st.selectbox(
        "Default model for new components",
        models,
        index=models.index(current.default_model) if current.default_model in models else 0,
    )
    a, b, c = st.columns(3)
    concurrency = a.number_input("Concurrent calls per provider", 1, 256, current.concurrency)
    timeout_s = b.number_input("Timeout per call (s)", 1.0, 3600.0, current.timeout_s)
    max_retries = c.number_input("Retries on rate limits, 5xx, timeouts", 0, 10, current.max_retries)
    d, e = st.columns(2)
    max_calls = d.number_input("Budget: calls per run (0 = no cap)", 0, 100_000, current.max_calls or 0)
    max_usd = e.number_input("Budget: USD per run (0 = no cap)", 0.0, 10_000.0, current.max_usd or 0.0, format="%.4f")
    locked = state.store_path_locked()
    store_path = st.text_input(
        "Run history (SQLite file)",
        state.store_path(),
        disabled=locked,
        help=(
            "Set by the server (its ARCHON_DATA_DIR): visitors cannot change it."
            if locked
            else "Where finished runs and evaluations are kept; created if missing. Nothing secret is stored."
        ),
    )
    if locked:
        st.caption("This server is shared: the run history's path is the server's setting.")
    if st.form_submit_button("Save settings", type="primary"):
        try:
            chosen = state.AppSettings(
                default_model=default_model,
                concurrency=concurrency,
                timeout_s=timeout_s,
                max_retries=max_retries,
                max_calls=max_calls or None,
                max_usd=max_usd or None,
                store_path=current.store_path if locked else store_path.strip(),
            )
            state.open_store(chosen.store_path)
        except ValidationError as exc:
            st.error(describe_validation_error(exc))
        except StoreError as exc:
            st.error(f"Run history: {exc}")
        else:
            state.set_settings(chosen)
            st.success("Saved for this session.")
