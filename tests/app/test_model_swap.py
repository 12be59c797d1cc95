"""Any design runs here: the Design page replaces a model everywhere (undoably), and the Run page offers
the embedded model in place of models with no key. Both go through engine's replace_model."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import load_config
from archon_engine.models import keys
from archon_engine.models.catalog import EMBEDDED

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
QWEN, LLAMA = "together_ai/Qwen/Qwen2-72B-Instruct", "together_ai/meta-llama/Llama-3-70b-chat-hf"
PAPERS_DESIGN = {
    "name": "two Together generators and a fuser",
    "layers": [
        [{"type": "generator", "model": QWEN}, {"type": "generator", "model": LLAMA}],
        [{"type": "fuser", "model": QWEN}],
    ],
}


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    keys.load_dotenv_once()  # a .env read later must not bring keys back
    for names in keys.PROVIDER_KEYS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)


def page(name: str, **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.session_state["arch"] = load_config(PAPERS_DESIGN)
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception
    return at


def models(at: AppTest) -> list[str]:
    return [spec.model for layer in at.session_state["arch"].layers for spec in layer]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_design_page_replaces_every_together_model_and_undo_brings_them_back():
    at = page("design")
    listed = next(m.value for m in at.markdown if QWEN in m.value)
    assert f"`{QWEN}` · 2 components · :orange[no API key]" in listed
    replace = next(s for s in at.selectbox if s.label == "Replace")
    assert replace.options[:3] == [
        f"{QWEN} (2 components)",
        f"{LLAMA} (1 component)",
        "every together_ai model (3 components)",
    ]
    replace.set_value("together_ai/*")
    button(at, "Replace everywhere").click().run()
    assert models(at) == [EMBEDDED] * 3
    assert any("Undo" in s.value for s in at.success)

    button(at, "Undo").click().run()
    assert models(at) == [QWEN, LLAMA, QWEN]
    assert not at.exception


def test_one_model_is_replaced_by_another_with_an_endpoint():
    at = page("design", api_keys={"openai": "sk-swap-test-key"})
    next(s for s in at.selectbox if s.label == "Replace").set_value(LLAMA)
    next(s for s in at.selectbox if s.label == "by").set_value("gpt-4o-mini")
    next(t for t in at.text_input if t.label == "API base (optional)").set_value("http://127.0.0.1:8000/v1")
    button(at, "Replace everywhere").click().run()
    assert models(at) == [QWEN, "gpt-4o-mini", QWEN]
    assert at.session_state["arch"].layers[0][1].api_base == "http://127.0.0.1:8000/v1"


def test_the_run_page_offers_the_embedded_model_for_models_without_a_key():
    at = page("run")
    assert any(LLAMA in w.value and QWEN in w.value for w in at.warning)
    button(at, "Run on the embedded model instead").click().run()
    assert models(at) == [EMBEDDED] * 3
    assert not any("No API key" in w.value for w in at.warning)
    assert not at.exception
