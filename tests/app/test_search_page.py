"""The Search page: settings with defaults, a small search on the fake model with its trial table and charts,
its evaluations in the history, stop, the NSGA-II rule, missing keys, the held-out check, and taking a trial
to Design or Compare.

Searches run in a background thread on a fake model (the Run page's test hook); the tests rerun the script
until they have finished, which is what the page's fragment does in the browser twice a second.
"""

import json
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel
from archon_engine.evaluation.datasets import shipped_datasets
from archon_engine.models import keys
from archon_engine.models.fake import default_reply
from archon_engine.search import STOPPED
from archon_engine.storage.store import Store

PAGES = Path(__file__).resolve().parents[2] / "app" / "views"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY: the test hook for the model backend
JOB_KEY = "search_job"  # app.jobs.search.JOB_KEY
EMBEDDED = "local/smollm2-135m"
NAVIGATION = """
import streamlit as st

st.navigation([st.Page("views/design.py", default=True), *(st.Page(f"views/{{name}}") for name in {pages!r})]).run()
"""


def knows_the_answers(latency: float = 0.0) -> FakeModel:
    """Answers every arithmetic question right (fusers too: the question is in their prompt)."""
    answers = {item.prompt: item.reference for item in shipped_datasets()["arithmetic"].items}

    def reply(request):
        said = " ".join(str(m.get("content", "")) for m in request.messages)
        known = next((ref for prompt, ref in answers.items() if prompt in said), None)
        return f"The answer is {known}." if known is not None else default_reply(request, 0)

    return FakeModel(reply, latency=latency)


def search_page(tmp_path: Path, backend=None, *, compare: bool = True) -> AppTest:
    """The Search page of a new session, on ``backend`` (a fake model), in an app of the Design, Compare
    (unless not ``compare``) and Search pages: a ``views`` folder of links to ``app/views``."""
    pages = ["compare.py", "search.py"] if compare else ["search.py"]
    main = tmp_path / "app" / "streamlit_app.py"
    (main.parent / "views").mkdir(parents=True)
    main.write_text(NAVIGATION.format(pages=pages), encoding="utf-8")
    for name in ("design.py", *pages):
        (main.parent / "views" / name).symlink_to(PAGES / name)
    at = AppTest.from_file(str(main), default_timeout=30)
    at.session_state[BACKEND_KEY] = backend or knows_the_answers()
    at.run()
    at.switch_page("views/search.py").run()
    assert not at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def small_space(at: AppTest, *, evaluations: int = 3, items: int = 4) -> AppTest:
    """Arithmetic, first ``items`` items; 3 samples, fusion (critic on or off) or majority vote: three
    architectures; random, seed 1; ``evaluations`` (the page's budget)."""
    at.number_input(key="search_limit").set_value(items)
    at.multiselect(key="search_samples").set_value([3])
    at.multiselect(key="search_aggregations").set_value(["fuser", "majority_vote"])
    at.slider(key="search_fusion_layers").set_value((1, 1))
    at.multiselect(key="search_final_checks").set_value(["none"])
    at.selectbox(key="search_algorithm_quality").set_value("random")
    at.number_input(key="search_evaluations").set_value(evaluations)
    at.number_input(key="search_seed").set_value(1)
    return at.run()


def wait(at: AppTest, done, timeout: float = 60.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the search did not finish in time"
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    return at


def run_search(at: AppTest) -> AppTest:
    button(at, "Start").click().run()
    assert not at.exception
    return wait(at, lambda: at.session_state[JOB_KEY].view.finished)


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


@pytest.fixture
def no_keys(monkeypatch):
    keys.load_dotenv_once()  # a .env read later must not bring keys back
    for names in keys.PROVIDER_KEYS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)


def test_the_page_renders_with_defaults_and_no_keys(tmp_path, no_keys):
    at = search_page(tmp_path)
    assert at.title[0].value == "Search"
    assert at.multiselect(key="search_models").value == [EMBEDDED]
    assert at.selectbox(key="search_dataset").value == "arithmetic"
    assert at.selectbox(key="search_scorer_numeric").value == "numeric"  # the dataset kind's default
    assert at.number_input(key="search_limit").value == 10
    assert at.selectbox(key="search_algorithm_quality").value == "gp"
    assert set(at.multiselect(key="search_instructions").value) == {"default"}
    assert not at.error
    assert not button(at, "Start").disabled
    assert button(at, "Stop").disabled
    assert any("points of the space" in c.value for c in at.caption)
    assert JOB_KEY not in at.session_state


def test_a_small_search_completes_with_its_table_and_charts(tmp_path):
    at = run_search(small_space(search_page(tmp_path)))
    view = at.session_state[JOB_KEY].view
    assert view.status == "completed", view.error
    assert view.evaluations == 3  # the budget: distinct architectures; repeats were free
    assert [t.number for t in view.trials] == list(range(view.done))
    assert view.evaluated() and view.best

    table = at.dataframe[0].value
    assert list(table["trial"]) == list(range(view.done))
    assert {"state", "architecture", "quality", "95% CI", "cost/query $", "latency s", "calls/query", "note"} <= set(
        table.columns
    )
    assert set(table["state"]) <= {"complete", "pruned"}
    assert table["quality"].max() == 1.0  # the fake knows the answers
    repeats = [t for t in view.trials if t.duplicate_of is not None]
    for trial in repeats:  # a repeated architecture says which trial it repeats
        assert f"same architecture as trial {trial.duplicate_of}" in table["note"][trial.number]

    assert any(s.value.startswith("Best: trial") for s in at.success)
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    names = {trace.get("name") for figure in figures for trace in figure["data"]}
    assert {"best so far", "trials", "best"} <= names
    best_so_far = next(trace for figure in figures for trace in figure["data"] if trace.get("name") == "best so far")
    assert best_so_far["x"] == [t.number for t in view.trials if t.state == "COMPLETE"]


def test_every_evaluation_is_kept_in_the_history(tmp_path, data_dir):
    at = run_search(small_space(search_page(tmp_path)))
    view = at.session_state[JOB_KEY].view
    evaluated = [t for t in view.evaluated() if t.duplicate_of is None]
    stored = Store(data_dir / "archon.sqlite").evaluations()  # the app's run store, which History shows
    assert {e.id for e in stored} == {t.evaluation_id for t in evaluated} and len(stored) == 3
    shown = view.trial(view.best[0])  # the trial picked below the table says where its evaluation is
    assert any(f"in History as evaluation `{shown.evaluation_id}`" in c.value for c in at.caption)


def test_stop_cancels_the_evaluation_in_progress(tmp_path, data_dir):
    slow = knows_the_answers(latency=30)  # every call takes 30 s, as a trial on the embedded model takes minutes
    at = small_space(search_page(tmp_path, slow))
    button(at, "Start").click().run()
    job = at.session_state[JOB_KEY]
    wait(at, lambda: slow.in_flight)  # the first trial's evaluation waits on the model
    assert not button(at, "Stop").disabled

    button(at, "Stop").click().run()
    wait(at, lambda: job.view.finished, timeout=15)  # not the 30 s of the calls in flight

    assert job.view.status == "stopped" and job.view.evaluations == 0
    (trial,) = job.view.trials
    assert trial.state == "FAIL" and trial.reason == STOPPED
    table = at.dataframe[0].value
    assert list(table["state"]) == ["failed"] and list(table["note"]) == [STOPPED]
    assert any("Stopped after 0 of 3 evaluations" in w.value for w in at.warning)
    assert not button(at, "Start").disabled
    (cancelled,) = Store(data_dir / "archon.sqlite").evaluations()  # History keeps what it did
    assert cancelled.status == "cancelled"


def test_the_held_out_check_can_be_stopped(tmp_path, data_dir):
    model = knows_the_answers()
    at = run_search(small_space(search_page(tmp_path, model)))
    job = at.session_state[JOB_KEY]
    model.latency = 30  # the held-out check's calls take 30 s, as on the embedded model
    button(at, "Re-evaluate the top 3 on the held-out split").click().run()
    wait(at, lambda: model.in_flight)

    button(at, "Stop the held-out check").click().run()
    wait(at, lambda: not job.view.finalizing, timeout=15)  # not the 30 s of the calls in flight

    assert job.view.held_out_stopped and job.view.held_out is None and job.view.held_out_error is None
    assert any("held-out check was stopped" in w.value for w in at.warning)
    assert not button(at, "Re-evaluate the top 3 on the held-out split").disabled  # it can be asked again
    held_out = [e for e in Store(data_dir / "archon.sqlite").evaluations() if "held-out" in e.name]
    assert [e.status for e in held_out] == ["cancelled"]  # History keeps what it did


def test_a_run_store_that_cannot_be_opened_is_said_and_the_search_runs_anyway(tmp_path, data_dir):
    at = small_space(search_page(tmp_path))
    (data_dir / "a-file").write_text("not a folder")
    settings = at.session_state["settings"]
    at.session_state["settings"] = settings.model_copy(update={"store_path": str(data_dir / "a-file" / "runs.sqlite")})

    at = run_search(at)

    assert at.session_state[JOB_KEY].view.status == "completed"
    (notice,) = [w.value for w in at.warning if "will not be kept in the history" in w.value]
    assert "a-file" in notice  # names the path that failed


def test_each_objective_offers_the_algorithms_that_search_it_and_remembers_its_choice(tmp_path):
    at = search_page(tmp_path)
    quality = at.selectbox(key="search_algorithm_quality")
    assert quality.options[0].startswith("Gaussian process") and not any("NSGA" in o for o in quality.options)
    quality.set_value("tpe").run()

    at.radio(key="search_objective").set_value("pareto").run()
    pareto = at.selectbox(key="search_algorithm_pareto")
    assert pareto.value == "tpe" and any("NSGA" in o for o in pareto.options)
    assert not any("Gaussian" in o for o in pareto.options)  # it maximises one objective
    pareto.set_value("nsga2").run()
    assert not at.error and not button(at, "Start").disabled

    at.radio(key="search_objective").set_value("quality").run()
    assert at.selectbox(key="search_algorithm_quality").value == "tpe"


def test_a_pareto_search_highlights_its_front(tmp_path):
    at = small_space(search_page(tmp_path))
    at.radio(key="search_objective").set_value("pareto").run()
    at.selectbox(key="search_algorithm_pareto").set_value("random")
    at = run_search(at)
    view = at.session_state[JOB_KEY].view
    assert view.status == "completed", view.error
    assert "front" in at.dataframe[0].value.columns
    assert any(s.value.startswith("Pareto front:") for s in at.success)
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    front = [trace for figure in figures for trace in figure["data"] if trace.get("name") == "Pareto front"]
    assert len(front) == 2  # quality vs cost, quality vs latency
    assert {int(label.lstrip("#")) for label in front[0]["text"]} <= set(view.best)


def test_models_without_a_key_get_one_clear_message(tmp_path, no_keys):
    at = search_page(tmp_path)
    at.multiselect(key="search_models").set_value([EMBEDDED, "openai/gpt-4o-mini"]).run()
    assert len(at.error) == 1
    assert "No API key for openai/gpt-4o-mini" in errors(at)
    assert button(at, "Start").disabled


def test_a_bad_space_is_one_message_not_a_traceback(tmp_path):
    at = search_page(tmp_path)
    at.multiselect(key="search_samples").set_value([]).run()
    assert not at.exception
    assert len(at.error) == 1 and "samples" in errors(at)
    assert button(at, "Start").disabled


def test_open_in_design_puts_the_trial_architecture_in_the_session(tmp_path):
    at = run_search(small_space(search_page(tmp_path)))
    view = at.session_state[JOB_KEY].view
    chosen = view.trial(view.best[0])
    assert at.selectbox(key=f"search_trial_{view.id}").value == chosen.number  # the best first
    assert "generator" in " ".join(m.value for m in at.markdown)  # its layers, small

    button(at, "Open in Design").click().run()
    assert not at.exception
    assert at.session_state["arch"] == chosen.architecture
    assert at.title[0].value != "Search"  # now on the Design page


def test_compare_hands_the_architecture_to_the_compare_page(tmp_path):
    at = run_search(small_space(search_page(tmp_path)))
    view = at.session_state[JOB_KEY].view
    chosen = view.trial(view.best[0])
    button(at, "Compare").click().run()
    assert not at.exception
    assert at.session_state["compare_systems"] == [chosen.architecture]
    assert at.title[0].value == "Compare"


def test_compare_is_disabled_without_a_compare_page(tmp_path):
    at = run_search(small_space(search_page(tmp_path, compare=False)))
    assert button(at, "Compare").disabled
    assert not button(at, "Open in Design").disabled


def test_the_held_out_check_ranks_the_best(tmp_path):
    at = run_search(small_space(search_page(tmp_path)))
    job = at.session_state[JOB_KEY]
    at.number_input(key="search_top").set_value(2).run()
    button(at, "Re-evaluate the top 2 on the held-out split").click().run()
    wait(at, lambda: not job.view.finalizing)
    assert job.view.held_out_error is None
    held = job.view.held_out
    assert 1 <= len(held) <= 2
    table = next(d.value for d in at.dataframe if "held-out quality" in d.value.columns)
    assert list(table["trial"]) == [h.trial for h in held]
    assert list(table["rank"]) == list(range(1, len(held) + 1))


def test_the_same_settings_continue_the_study(tmp_path):
    at = run_search(small_space(search_page(tmp_path), evaluations=1))
    first = at.session_state[JOB_KEY].view
    at = run_search(at)
    second = at.session_state[JOB_KEY].view
    assert second.study == first.study
    assert [t.number for t in second.trials] == list(range(first.done + second.done))  # the earlier trials stay
    assert len({t.name for t in second.evaluated() if t.duplicate_of is None}) == 2  # one architecture each
    assert re.search(r"seed1-[0-9a-f]{8}$", second.study)


@pytest.mark.parametrize("name", list(shipped_datasets()))
def test_every_shipped_dataset_offers_its_default_scorer(tmp_path, name):
    at = search_page(tmp_path)
    at.selectbox(key="search_dataset").set_value(name).run()
    assert not at.exception
    kind = shipped_datasets()[name].kind
    scorer = at.selectbox(key=f"search_scorer_{kind}").value
    assert scorer == {"exact": "normalised", "numeric": "numeric", "choice": "choice", "code": "code"}.get(
        kind, "judge"
    )
    if scorer == "judge":
        assert at.selectbox(key="search_judge").value == EMBEDDED  # the judge: the default model
    assert not at.error


def test_a_failing_search_is_one_message_without_its_secrets(tmp_path, monkeypatch):
    secret = "sk-test-0123456789abcdef"
    keys.register_secret(secret)

    def broken(*args, **kwargs):
        raise RuntimeError(f"cannot open the storage with {secret}")

    monkeypatch.setattr("app.jobs.search.Search", broken)
    at = run_search(small_space(search_page(tmp_path)))
    assert at.session_state[JOB_KEY].view.status == "failed"
    assert len(at.error) == 1
    message = errors(at)
    assert "The search failed: RuntimeError: cannot open the storage" in message and secret not in message
    assert not button(at, "Start").disabled  # the page keeps working


def test_adaptive_compute_can_be_searched_as_on_or_off(tmp_path):
    at = small_space(search_page(tmp_path))

    def points() -> int:
        caption = next(c.value for c in at.caption if "points of the space" in c.value)
        return int(caption.split(" over ")[1].split(" points")[0].replace(",", ""))

    fixed = points()
    at.multiselect(key="search_adaptive_stopping").set_value(["off", "on"]).run()
    at.multiselect(key="search_skip_fusion").set_value(["off", "on"]).run()
    # adaptive stopping doubles every point; skipping fusion doubles only the fusion ones
    assert fixed < points() < 4 * fixed
    at.multiselect(key="search_adaptive_stopping").set_value(["on"]).run()
    at.multiselect(key="search_skip_fusion").set_value(["off"]).run()
    assert points() == fixed
