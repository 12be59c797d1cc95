"""The Compare page: pick systems, a dataset and a scorer, run in the background, read the table, the
Pareto charts and every item side by side.

Evaluations run on a fake model (the Run page's test hook); the tests rerun the script until the
evaluation has finished, which is what the page's fragment does in the browser twice a second.
"""

import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel
from archon_engine.evaluation.datasets import shipped_datasets
from archon_engine.models import keys
from archon_engine.models.fake import default_reply

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY: the test hook for the model backend
JOB_KEY = "evaluation_job"  # app.jobs.evaluation.JOB_KEY
EMBEDDED = "local/smollm2-135m"


def knows_the_answers(dataset: str = "arithmetic") -> FakeModel:
    """A fake model that answers every question of a shipped dataset right (fusers too: the question is in
    their prompt); anything else gets the fake's usual reply."""
    answers = {item.prompt: item.reference for item in shipped_datasets()[dataset].items}

    def reply(request):
        said = " ".join(str(m.get("content", "")) for m in request.messages)
        known = next((ref for prompt, ref in answers.items() if prompt in said), None)
        return f"The answer is {known}." if known is not None else default_reply(request, 0)

    return FakeModel(reply)


def compare_page(backend=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = backend or FakeModel()
    at.run()
    at.switch_page("views/compare.py").run()
    assert not at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def choose(at: AppTest, *, design: bool = False, presets=("moa-lite",), items: int = 3) -> AppTest:
    """The systems (the current design or not, presets, the embedded baseline by default) and the first N items."""
    at.checkbox(key="compare_design").set_value(design)
    for slug in presets:
        at.multiselect(key="compare_presets").select(slug)
    at.number_input(key="compare_limit").set_value(items)
    return at.run()


def run_to_end(at: AppTest, timeout: float = 60.0) -> AppTest:
    button(at, "Run").click().run()
    assert not at.exception
    job = at.session_state[JOB_KEY]
    deadline = time.monotonic() + timeout
    while not job.view.finished:
        assert time.monotonic() < deadline, "the evaluation did not finish"
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    return at


def results_table(at: AppTest):
    return next(d.value for d in at.dataframe if "quality" in d.value.columns)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_the_compare_page_renders_with_no_keys(monkeypatch):
    for names in keys.PROVIDER_KEYS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    at = compare_page()
    assert at.title[0].value == "Compare"
    assert at.multiselect(key="compare_baselines").value == [EMBEDDED]  # the embedded model needs no key
    assert at.checkbox(key="compare_design").value
    assert not button(at, "Run").disabled
    assert button(at, "Cancel").disabled
    assert not at.error
    assert any("arithmetic" in c.value for c in at.caption)  # the dataset, described


def test_a_preset_against_the_embedded_model_shows_the_table_the_pareto_charts_and_every_item():
    at = run_to_end(choose(compare_page(knows_the_answers())))
    assert at.session_state[JOB_KEY].view.status == "completed"

    table = results_table(at).set_index("system")
    assert list(table.index) == ["MoA-Lite (2 layers)", EMBEDDED]  # one row per system
    assert list(table["kind"]) == ["architecture", "baseline"]
    assert list(table["quality"]) == [1.0, 1.0]
    assert list(table["calls/query"]) == [4.0, 1.0]  # three proposers and a fuser, against one call
    assert {"95% CI", "cost/query $", "latency mean s", "latency p95 s", "tokens/query"} <= set(table.columns)
    assert any(f"Best single model: **{EMBEDDED}**" in s.value for s in at.success)

    cost, latency = charts(at)
    for figure in (cost, latency):
        traces = {t["name"]: t for t in figure["data"]}
        assert set(traces) == {"Pareto frontier", "architectures", "single-model baselines"}
        assert traces["single-model baselines"]["marker"]["symbol"] == "diamond"
        assert "array" in traces["architectures"]["error_y"]  # the 95 % interval as error bars

    cards = [c.value for c in at.code]
    assert cards[0].startswith("Sam has")  # the first item's prompt, then each system's answer
    assert cards[1:] == ["The answer is 12.", "The answer is 12."]
    assert {d.label for d in at.get("download_button")} >= {"Download the table (CSV)", "Download everything (JSON)"}

    next(s for s in at.selectbox if s.label == "Item").select_index(1).run()  # another item: its answers
    assert not at.exception
    assert at.code[0].value.startswith("A box holds 12 eggs")
    assert at.code[1].value == "The answer is 36."


def test_every_answer_is_stored_and_a_repeated_evaluation_comes_from_the_cache(data_dir):
    fake = knows_the_answers()
    at = run_to_end(choose(compare_page(fake), presets=()))  # the embedded baseline alone, at temperature 0
    calls = len(fake.requests)
    assert calls == 3
    assert (data_dir / "archon.sqlite").exists() and (data_dir / "cache.sqlite").exists()

    at = run_to_end(at)
    assert len(fake.requests) == calls  # no model call the second time
    assert any("from the cache" in c.value for c in at.caption)


def test_a_malformed_upload_shows_one_error_and_the_page_keeps_working():
    at = compare_page()
    at.radio(key="compare_source").set_value("Upload a file").run()
    at.file_uploader[0].upload("questions.jsonl", b'{"prompt": "2+2?", "reference": "4"}\n{"prompt": oops\n').run()
    assert not at.exception
    assert len(at.error) == 1
    assert "questions.jsonl" in at.error[0].value and "line 2" in at.error[0].value
    assert button(at, "Run").disabled

    at.file_uploader[0].set_value(("good.csv", b"prompt,reference\nWhat is 2+2?,4\n", "text/csv")).run()
    assert not at.error
    assert not button(at, "Run").disabled


def test_a_model_without_a_key_is_named_before_running(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = compare_page()
    at.multiselect(key="compare_baselines").set_value([EMBEDDED, "gpt-4o"]).run()
    assert len(at.error) == 1
    assert "No API key for gpt-4o" in at.error[0].value
    assert button(at, "Run").disabled


def test_cancel_keeps_the_answers_that_finished():
    at = choose(compare_page(FakeModel(latency=0.4)), presets=("self-moa",), items=10)
    button(at, "Run").click().run()
    job = at.session_state[JOB_KEY]
    deadline = time.monotonic() + 30
    while job.view.done == 0:  # the baseline's single calls finish first
        assert time.monotonic() < deadline
        time.sleep(0.05)
        at.run()
    assert at.get("progress")
    button(at, "Cancel").click().run()
    while not job.view.finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    assert job.view.status == "cancelled"
    assert any("Cancelled after" in w.value for w in at.warning)
    assert 0 < len(job.view.evaluation.results) < 20
    assert any(c.value.endswith("answers · cancelled") for c in at.caption)  # the results so far, shown


def paired_table(at: AppTest):
    return next(d.value for d in at.dataframe if "verdict" in d.value.columns)


def test_the_paired_table_shows_wins_losses_ties_and_the_verdict_in_words():
    at = run_to_end(choose(compare_page(knows_the_answers())))

    assert any(s.value.startswith("Is the difference real?") for s in at.subheader)
    table = paired_table(at).set_index("system")
    assert list(table.index) == ["MoA-Lite (2 layers)"]  # against the embedded baseline, the only one
    row = table.loc["MoA-Lite (2 layers)"]
    assert (row["wins"], row["losses"], row["ties"], row["items"]) == (0, 0, 3, 3)
    assert row["mean difference"] == 0 and row["95% CI"] == "[+0.000, +0.000]"
    assert row["verdict"] == "no measurable difference on these 3 items"
    assert any(f"Against **{EMBEDDED}**" in m.value for m in at.markdown)
    assert "Download the paired comparison (CSV)" in {d.label for d in at.get("download_button")}


def test_with_two_baselines_and_repeats_the_user_picks_the_baseline_and_sees_quality_as_mean_and_spread():
    def only_the_embedded_model_knows(request):
        said = " ".join(str(m.get("content", "")) for m in request.messages)
        if request.model == EMBEDDED and "Sam has" in said:
            return "The answer is 12."
        return "The answer is 0."

    at = choose(compare_page(FakeModel(only_the_embedded_model_knows)), presets=(), items=3)
    at.multiselect(key="compare_baselines").set_value([EMBEDDED, "fake/guess"])
    at.number_input(key="compare_repeats").set_value(2).run()
    assert any("3 items × 2 repeats" in c.value for c in at.caption)
    at = run_to_end(at)

    assert at.session_state[JOB_KEY].view.total == 12
    assert any("12 of 12 answers" in c.value for c in at.caption)
    row = paired_table(at).set_index("system").loc["fake/guess"]  # against the embedded model, picked first
    assert (row["wins"], row["losses"], row["ties"]) == (0, 1, 2)
    assert row["verdict"] == "no measurable difference on these 3 items"
    spread = next(d.value for d in at.dataframe if "repeat 1" in d.value.columns).set_index("system")
    assert spread.loc[EMBEDDED, "quality"] == "0.333 ± 0.000"

    against = next(s for s in at.selectbox if s.label == "Against")
    against.select("fake/guess").run()
    assert not at.exception
    row = paired_table(at).set_index("system").loc[EMBEDDED]
    assert (row["wins"], row["losses"], row["ties"]) == (1, 0, 2)
