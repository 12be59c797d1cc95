"""The component editor's settings beyond the basics: adaptive compute (a generator's stop_when, a fuser's
skip_when_agree) and pointwise judging (a critic's or ranker's mode)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import estimate, load_config

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


def design_page(architecture=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("views/design.py").run()
    if architecture is not None:
        at.session_state["arch"] = load_config(architecture)
        at.run()
    assert not at.exception
    return at


def widget(widgets, label: str):
    matching = [w for w in widgets if w.label == label]
    assert matching, f"no widget {label!r} among {[w.label for w in widgets]}"
    return matching[0]


def spec(at: AppTest, layer: int = 0):
    return at.session_state["arch"].layers[layer][0]


def test_a_generator_turns_stop_when_on_and_sets_its_rule():
    at = design_page({"layers": [[{"type": "generator", "samples": 8}]]})

    widget(at.toggle, "Stop sampling when the answers agree").set_value(True).run()
    assert spec(at).stop_when is not None and spec(at).stop_when.rule == "beta"
    assert widget(at.metric, "Expected calls").value.startswith("≈")  # the estimate shows both figures
    widget(at.number_input, "Threshold").set_value(0.9).run()
    assert spec(at).stop_when.threshold == pytest.approx(0.9)
    widget(at.selectbox, "Rule").set_value("window").run()
    widget(at.number_input, "Window").set_value(4).run()
    widget(at.selectbox, "Answer extractor").set_value("last_number").run()
    assert spec(at).stop_when.model_dump(exclude_defaults=True) == {
        "rule": "window",
        "window": 4,
        "threshold": 0.9,
        "extractor": "last_number",
    }
    widget(at.toggle, "Stop sampling when the answers agree").set_value(False).run()
    assert spec(at).stop_when is None
    assert not at.exception


def test_a_fuser_turns_skip_when_agree_on_and_a_bad_share_is_refused_with_the_field():
    at = design_page({"layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser"}]]})
    at.selectbox(key="design_pick").set_value("L1.C0").run()

    widget(at.toggle, "Skip fusion when the candidates agree").set_value(True).run()
    assert spec(at, 1).skip_when_agree is not None
    widget(at.number_input, "Share").set_value(0.4).run()
    assert spec(at, 1).skip_when_agree.share == 1.0  # not applied
    shown = " ".join(str(e.value) for e in at.error)
    assert "skip_when_agree.share" in shown
    assert not at.exception


def test_a_critic_and_a_ranker_switch_to_pointwise_judging_and_the_estimate_follows():
    at = design_page(
        {"layers": [[{"type": "generator", "samples": 5}], [{"type": "critic"}], [{"type": "ranker", "top_k": 2}]]}
    )
    before = at.session_state["arch"]
    at.selectbox(key="design_pick").set_value("L1.C0").run()
    widget(at.radio, "Judge").set_value("pointwise").run()
    assert spec(at, 1).mode == "pointwise"
    at.selectbox(key="design_pick").set_value("L2.C0").run()
    widget(at.radio, "Judge").set_value("pointwise").run()
    assert spec(at, 2).mode == "pointwise"
    assert estimate(at.session_state["arch"]).calls == estimate(before).calls + 2 * (5 - 1)
    assert not at.exception
