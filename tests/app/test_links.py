"""The page's URL brings a session back: the design (by its hash in the run store) after a reload or in
another browser, the last run on the Run page, and with per-visitor history the visitor's own runs.

A new ``AppTest`` is a new browser session: it shares nothing with the last one but the run store and
the query parameters it is given.
"""

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.storage.store import Store

STARTING = load_config(BUILTIN_DIR / "single-model.json")
MOA_LITE = load_config(BUILTIN_DIR / "moa-lite.json")


def link(at: AppTest) -> dict[str, str]:
    """The query parameters the page put in its URL (what a reload or a copied link carries)."""
    return {name: at.query_params[name] for name in at.query_params}


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def history_lists(at: AppTest) -> list[str]:
    """The prompts of the runs the History page offers to open."""
    box = [b for b in at.selectbox if b.label == "Run"]
    return [str(option).rsplit(" · ", 1)[-1] for option in box[0].options] if box else []


def test_a_loaded_preset_survives_a_reload_and_opens_by_its_link_elsewhere(session):
    at = session("design")
    at.toggle(key="design_start_open").set_value(True).run()
    at.button(key="design-use-b-moa-lite").click().run()
    assert at.session_state["arch"] == MOA_LITE
    url = link(at)
    assert set(url) == {"design"}

    reloaded = session("design", **url)
    assert reloaded.session_state["arch"] == MOA_LITE
    assert not warnings(reloaded)
    assert session("design").session_state["arch"] == STARTING  # without the link, nothing is shared


def test_the_design_link_follows_every_edit(session):
    at = session("design")
    first = link(at)["design"]
    at.toggle(key="design_start_open").set_value(True).run()
    at.button(key="design-use-b-moa-lite").click().run()
    assert link(at)["design"] != first
    next(b for b in at.button if b.label == "Undo").click().run()
    assert link(at)["design"] == first  # the same design has the same hash


def test_a_link_to_a_design_that_does_not_exist_says_so_and_opens_the_default(session):
    at = session("design", design="0" * 16)
    assert at.session_state["arch"] == STARTING
    assert "The design in this link (0000000000000000) does not exist here" in warnings(at)
    assert link(at)["design"] != "0" * 16  # the URL now names the design shown
    at.run()
    assert not warnings(at)  # said once


def test_the_run_page_link_reopens_the_last_run(session, run_to_end):
    at = run_to_end(session("run"))
    url = link(at)
    assert set(url) == {"design", "run"}
    answer = at.session_state["last_run"].answer

    reopened = session("run", **url)
    assert reopened.session_state["last_run"].answer == answer
    assert any(s.value.endswith(answer) for s in reopened.success)  # the answer is shown, not only kept
    assert "run" not in link(session("design", **url))  # the run's id is the Run page's only


def test_a_link_to_a_run_that_is_not_in_the_history_says_so(session):
    at = session("run", run="r-missing")
    assert at.session_state["last_run"] is None
    assert "The run in this link (r-missing) is not in this history" in warnings(at)


def test_shared_history_lets_the_local_user_choose_the_store(data_dir, session):
    at = session("settings")
    path = next(t for t in at.text_input if t.label.startswith("Run history"))
    assert not path.disabled
    assert path.value == str(data_dir / "archon.sqlite")


@pytest.fixture
def per_visitor(monkeypatch):
    monkeypatch.setenv("ARCHON_HISTORY", "per-visitor")


def test_per_visitor_history_shows_each_browser_only_its_own_runs(per_visitor, data_dir, session, run_to_end):
    others = Store(data_dir / "archon.sqlite").for_visitor("someone-else-1234")
    theirs = others.save_run(run(MOA_LITE, "Their question", backend=FakeModel()))

    mine = run_to_end(session("run"), "My question")
    url = link(mine)
    assert len(url["visitor"]) >= 8
    assert history_lists(session("history", **url)) == ["My question"]
    stranger = session("history")  # another browser: a new visitor id, an empty history
    assert link(stranger)["visitor"] != url["visitor"]
    assert history_lists(stranger) == []
    assert session("run", run=theirs, visitor=url["visitor"]).session_state["last_run"] is None


def test_per_visitor_history_locks_the_store_path(per_visitor, data_dir, session):
    at = session("settings")
    path = next(t for t in at.text_input if t.label.startswith("Run history"))
    assert path.disabled and path.value == str(data_dir / "archon.sqlite")
    assert "path is the server's setting" in " ".join(c.value for c in at.caption)
