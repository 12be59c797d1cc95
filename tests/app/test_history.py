"""The History page: past runs and evaluations from the run store; reopen, compare, delete, resume.

The store is the one the app uses (``ARCHON_DATA_DIR`` points at a temporary folder for every app
test); the tests fill it through the engine, or through the Run page, on a fake model.
"""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.evaluation.datasets import get_dataset
from archon_engine.evaluation.records import EvaluationSpec, System, baseline
from archon_engine.evaluation.runner import evaluate
from archon_engine.storage.store import Store

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY: the test hook for the model backend
EMBEDDED = "local/smollm2-135m"


@pytest.fixture
def store(data_dir) -> Store:
    """The app's run store (its default path under the data folder)."""
    return Store(data_dir / "archon.sqlite")


def preset(slug: str):
    return load_config(BUILTIN_DIR / f"{slug}.json")


def save_run(store: Store, slug: str = "moa-lite", prompt: str = "What is 2+2?") -> str:
    return store.save_run(run(preset(slug), prompt, backend=FakeModel()))


def arithmetic_spec(items: int = 2) -> EvaluationSpec:
    return EvaluationSpec(
        name="MoA-Lite vs the embedded model",
        systems=[System.of(preset("moa-lite")), baseline(EMBEDDED)],
        dataset=get_dataset("arithmetic").head(items),
        scorer="numeric",
    )


def history_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = FakeModel()
    at.run()
    at.switch_page("views/history.py").run()
    assert not at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def table(at: AppTest, column: str):
    """The dataframe that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_an_empty_history_says_where_runs_come_from():
    at = history_page()
    assert at.title[0].value == "History"
    assert any("every run finished on the Run page" in i.value for i in at.info)
    assert any("run one on the Compare page" in i.value for i in at.info)


def test_history_lists_saved_runs_and_evaluations(store):
    save_run(store, "moa-lite", "What is 2+2?")
    save_run(store, "single-model", "Name a colour.")
    evaluate(arithmetic_spec(), store=store, backend=FakeModel())

    at = history_page()
    runs = table(at, "prompt")
    assert list(runs["prompt"]) == ["Name a colour.", "What is 2+2?"]  # newest first
    assert list(runs["architecture"]) == ["Single model (baseline)", "MoA-Lite (2 layers)"]
    evaluations = table(at, "dataset")
    assert list(evaluations["name"]) == ["MoA-Lite vs the embedded model"]
    assert list(evaluations["answers"]) == ["4 of 4"]
    assert list(evaluations["status"]) == ["completed"]
    assert button(at, "Resume").disabled  # nothing is missing


def test_a_run_finished_on_the_run_page_is_kept_in_the_history():
    at = history_page()
    at.switch_page("views/run.py").run()
    button(at, "Run").click().run()
    deadline = time.monotonic() + 30
    while not at.session_state["run_job"].view.finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        at.run()
    at.switch_page("views/history.py").run()
    assert len(table(at, "prompt")) == 1


def test_a_run_is_kept_even_when_its_page_is_never_drawn_again(store):
    """The job saves its run, not the page: a browser closed during a run loses nothing."""
    at = history_page()
    at.switch_page("views/run.py").run()
    button(at, "Run").click().run()  # and the session is gone: no rerun ever polls the job
    deadline = time.monotonic() + 30
    while not store.runs():
        assert time.monotonic() < deadline, "the run was not saved"
        time.sleep(0.05)
    (kept,) = store.runs()
    assert kept.status == "completed" and kept.prompt == at.session_state["run_prompt"]


def test_a_run_reopens_in_the_run_page_with_its_inspector(store):
    save_run(store, "moa-lite", "What is 2+2?")
    at = history_page()
    button(at, "Open in Run").click().run()
    assert not at.exception
    assert at.title[0].value == "Run"
    assert at.success[0].value.startswith("Fused answer")  # the stored answer, at the top
    assert "What is 2+2?" in " ".join(c.value for c in at.caption)
    assert any(e.label.startswith("✅ call-") for e in at.expander)  # every call to inspect
    assert at.session_state["last_run"].answer == at.success[0].value


def test_two_runs_compare_side_by_side(store):
    save_run(store, "moa-lite", "What is 2+2?")
    save_run(store, "single-model", "What is 2+2?")
    at = history_page()
    at.selectbox(key="history_other_run").select_index(0).run()
    side_by_side = table(at, "the other").set_index("")
    assert side_by_side.loc["calls", "this run"] == "1" and side_by_side.loc["calls", "the other"] == "4"
    assert any(c.value == "Different configurations." for c in at.caption)


def test_a_deleted_run_leaves_the_history(store):
    save_run(store, "moa-lite", "Keep me.")
    save_run(store, "single-model", "Delete me.")
    at = history_page()
    button(at, "Delete this run").click().run()
    assert not at.exception
    assert list(table(at, "prompt")["prompt"]) == ["Keep me."]
    assert any("Deleted the run" in s.value for s in at.success)
    assert len(store.runs()) == 1


def test_an_evaluation_reopens_in_compare_with_its_results(store):
    evaluate(arithmetic_spec(), store=store, backend=FakeModel())
    at = history_page()
    button(at, "Open in Compare").click().run()
    assert not at.exception
    assert at.title[0].value == "Compare"
    results = table(at, "quality")
    assert list(results["system"]) == ["MoA-Lite (2 layers)", EMBEDDED]
    assert at.get("plotly_chart")


def test_a_deleted_evaluation_leaves_the_history(store):
    evaluate(arithmetic_spec(), store=store, backend=FakeModel())
    at = history_page()
    button(at, "Delete this evaluation").click().run()
    assert not at.exception
    assert store.evaluations() == []
    assert any("run one on the Compare page" in i.value for i in at.info)


def test_an_interrupted_evaluation_resumes_in_compare_and_finishes(store):
    spec = arithmetic_spec(items=3)
    evaluation_id = store.create_evaluation(spec)  # as if the app stopped before any item finished
    store.set_evaluation_status(evaluation_id, "cancelled")
    at = history_page()
    assert list(table(at, "dataset")["answers"]) == ["0 of 6"]

    button(at, "Resume").click().run()
    assert not at.exception
    assert at.title[0].value == "Compare"
    at.switch_page("views/compare.py")  # AppTest reruns the page it was last told to, not where the app went
    job = at.session_state["evaluation_job"]
    deadline = time.monotonic() + 30
    while not job.view.finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        at.run()
    at.run()
    assert job.view.status == "completed"
    assert len(table(at, "quality")) == 2
    summary = store.evaluations()[0]
    assert (summary.id, summary.results, summary.status) == (evaluation_id, 6, "completed")


def test_the_store_path_is_set_on_the_settings_page(data_dir):
    elsewhere = Store(data_dir / "elsewhere" / "history.sqlite")
    save_run(elsewhere, "moa-lite", "Kept elsewhere.")
    at = history_page()
    at.switch_page("views/settings.py").run()
    path_input = next(t for t in at.text_input if t.label == "Run history (SQLite file)")
    path_input.set_value(str(data_dir / "elsewhere" / "history.sqlite"))
    button(at, "Save settings").click().run()
    assert not at.error

    at.switch_page("views/history.py").run()
    assert list(table(at, "prompt")["prompt"]) == ["Kept elsewhere."]


def test_a_store_path_that_cannot_be_opened_is_one_clear_message(data_dir):
    at = history_page()
    at.switch_page("views/settings.py").run()
    next(t for t in at.text_input if t.label == "Run history (SQLite file)").set_value(str(data_dir))  # a folder
    button(at, "Save settings").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "cannot open the run store" in at.error[0].value
    assert at.session_state["settings"].store_path == str(data_dir / "archon.sqlite")  # unchanged
