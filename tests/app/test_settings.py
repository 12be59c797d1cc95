"""The Settings page: keys for the session only, the embedded model's status, run settings."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from archon_engine.models import keys

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
CANARY = "sk-settings-canary-7f3a9c"


def settings_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("views/settings.py").run()
    assert not at.exception
    return at


def test_the_settings_page_renders_the_providers_and_the_embedded_model(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = settings_page()
    assert at.title[0].value == "Settings"
    providers = at.dataframe[0].value
    assert "openai" in list(providers["provider"])
    assert any("smollm2" in str(m.value) for m in at.metric)


def test_a_typed_key_makes_its_provider_ready_for_this_session_only(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = settings_page()
    at.selectbox[0].select("anthropic")
    at.text_input[0].input(CANARY)
    at.button[0].click().run()

    assert at.session_state["api_keys"] == {"anthropic": CANARY}
    assert CANARY in keys.secret_values()  # redacted from every export from now on
    providers = at.dataframe[0].value.set_index("provider")
    assert providers.loc["anthropic", "ready"] == "✅"  # in the same rerun as the click
    assert CANARY not in providers.to_string()
    other = settings_page()  # a new session starts without it
    assert other.session_state["api_keys"] == {}


def test_run_settings_are_validated_and_kept_for_the_session():
    at = settings_page()
    concurrency = next(n for n in at.number_input if n.label.startswith("Concurrent"))
    concurrency.set_value(3)
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    assert at.session_state["settings"].concurrency == 3
    assert at.session_state["settings"].limits().concurrency == 3
