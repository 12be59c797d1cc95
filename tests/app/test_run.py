"""The Run page: renders, runs architectures on the fake model, shows every layer, failures and cancels.

The run happens in a background task; the tests rerun the script until it has finished, which is
what the page's fragment does in the browser twice a second.
"""

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, ModelError, load_config
from archon_engine.design.presets import BUILTIN_DIR, list_presets

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY: the test hook for the model backend


def run_page(architecture=None, backend=None) -> AppTest:
    """The Run page of a new session, on ``backend`` (a fake model: the tests never import litellm)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = backend or FakeModel()
    at.run()
    at.switch_page("views/run.py").run()
    assert not at.exception
    if architecture is not None:
        at.session_state["arch"] = architecture
    return at.run()


def preset(slug: str):
    return load_config(BUILTIN_DIR / f"{slug}.json")


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def run_to_end(at: AppTest, prompt: str = "What is 2 + 2?", timeout: float = 30.0) -> AppTest:
    at.text_area(key="run_prompt").set_value(prompt)
    button(at, "Run").click().run()
    assert not at.exception
    deadline = time.monotonic() + timeout
    while not at.session_state["run_job"].view.finished:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page wrote, as one string."""
    parts = [e.value for kind in ("markdown", "caption", "success", "error", "warning", "info") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def test_the_run_page_renders_the_prompt_and_the_architecture():
    at = run_page()
    assert at.title[0].value == "Run"
    assert at.text_area(key="run_prompt").value
    assert not button(at, "Run").disabled
    assert button(at, "Cancel").disabled
    assert "generator" in texts(at)  # the starting preset, shown small


def test_a_fake_run_fills_candidates_critiques_ranking_fusion_and_the_answer():
    at = run_to_end(run_page(preset("sample-critic-rank-fuse"), FakeModel()))
    view = at.session_state["run_job"].view
    assert view.status == "completed"

    assert at.success[0].value.startswith("Fused answer")  # the final answer, at the top
    shown = texts(at)
    for i in range(5):
        assert f"L0.C0.s{i}" in shown  # a card per candidate
        assert f"Answer {i + 1} from local/smollm2-135m" in shown
    assert "clear (1)" in shown and "brief (1)" in shown  # critiques beside their candidates
    assert "Ranker's reason" in shown and "later candidates are better" in shown
    ranking = at.dataframe[0].value
    assert list(ranking["outcome"]) == ["kept", "kept", "kept", "cut", "cut"]
    assert ranking["candidate"].iloc[0] == "L0.C0.s4"
    assert "Inputs this fusion saw (3)" in [e.label for e in at.expander]
    assert any(e.label.startswith("✅ call-") for e in at.expander)  # each call's messages and reply
    assert [t.label for t in at.tabs][-1] == "⏱️ Timeline & costs"
    assert at.session_state["last_run"] is view.result  # the session's last run, for other pages


def test_a_pointwise_rankers_scores_are_a_column_of_its_ranking():
    arch = load_config(
        {
            "layers": [
                [{"type": "generator", "model": "fake", "samples": 3}],
                [{"type": "ranker", "model": "fake", "mode": "pointwise", "top_k": 2}],
            ]
        }
    )
    at = run_to_end(run_page(arch, FakeModel()))
    ranking = next(d.value for d in at.dataframe if "score" in d.value.columns)
    assert list(ranking["candidate"]) == ["L0.C0.s2", "L0.C0.s1", "L0.C0.s0"]  # the fake scores later ones higher
    assert list(ranking["score"]) == [3, 2, 1]
    assert list(ranking["outcome"]) == ["kept", "kept", "cut"]


def test_unit_tests_show_a_pass_fail_matrix_per_candidate():
    def evaluate(request):
        passed = request.metadata["candidate"].endswith("s0")
        return json.dumps({"results": [{"test": 1, "passed": passed, "reason": "r"}]})

    fake = FakeModel({"unit_tests": ['{"unit_tests": ["States a number.", "Is short."]}'], "evaluate": [evaluate]})
    at = run_to_end(run_page(preset("unit-tests"), fake))
    matrix = next(d.value for d in at.dataframe if "T1" in d.value.columns)
    assert set(matrix.columns) >= {"T1", "T2", "passed"}
    assert set(matrix["T1"]) == {"✅", "❌"}
    assert set(matrix["T2"]) == {"❔"}  # missing from the reply: unknown, not failed
    assert "States a number." in texts(at)


def test_verifier_verdicts_show_with_their_reasoning():
    at = run_to_end(run_page(preset("best-of-n-verifier"), FakeModel()))
    shown = texts(at)
    assert "✅ correct" in shown
    assert "fake reasoning: the response addresses the query." in shown


def test_a_majority_vote_shows_each_answer_the_histogram_the_winner_and_the_tie_break():
    fake = FakeModel({"generate": ["Tokyo.", "Kyoto", "The answer is Kyoto", "tokyo", "..."]})
    at = run_to_end(run_page(preset("self-consistency"), fake))
    assert at.session_state["run_job"].view.status == "completed"
    assert at.success[0].value == "Tokyo."  # the tie went to the answer seen first

    shown = texts(at)
    assert "**Winner:** `tokyo` with 2 of 5 votes" in shown
    assert "'tokyo' wins because its first candidate (L0.C0.s0) came earliest" in shown
    assert "No answer found in L0.C0.s4: they did not vote." in shown
    answers = next(d.value for d in at.dataframe if "answer" in d.value.columns)
    assert list(answers["answer"]) == ["tokyo", "kyoto", "kyoto", "tokyo", "—"]
    assert list(answers["outcome"]) == ["passed on", "voted", "voted", "voted", "no answer"]
    histogram = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert histogram["data"][0]["x"] == ["tokyo", "kyoto"] and histogram["data"][0]["y"] == [2, 2]


def test_each_call_shows_the_instruction_its_component_sent():
    at = run_to_end(run_page(preset("self-consistency"), FakeModel()))
    shown = texts(at)
    assert "instruction: answer_only" in shown  # on the candidate cards
    assert "instruction: answer_only “Reply with only the answer, no explanation.”" in shown  # in each call


@pytest.mark.parametrize("slug", [p.slug for p in list_presets() if p.builtin])
def test_every_preset_runs_and_renders_on_the_fake_model(slug):
    at = run_to_end(run_page(preset(slug), FakeModel()))
    assert at.session_state["run_job"].view.status == "completed"
    assert at.success[0].value


def test_a_failing_provider_shows_a_clear_message_and_no_exception():
    fake = FakeModel(lambda request: ModelError("AuthenticationError: invalid API key"))
    at = run_to_end(run_page(preset("moa-lite"), fake))
    assert not at.success
    errors = " ".join(e.value for e in at.error)
    assert "The run failed" in errors and "invalid API key" in errors
    assert any(e.label.startswith("❌ call-") for e in at.expander)  # the failed calls stay visible


def test_an_unparseable_ranking_is_flagged_not_hidden():
    fake = FakeModel({"rank": ["I like the second one best."]})
    at = run_to_end(run_page(preset("archon-readme-example"), fake))
    assert at.session_state["run_job"].view.status == "completed"
    assert any("The ranking failed, so nothing was cut" in e.value for e in at.error)
    assert any(e.label.startswith("⚠️ call-") for e in at.expander)
    assert any("could not be parsed" in w.value for w in at.warning)


def test_the_budget_stop_is_a_warning_with_what_finished():
    at = run_page(preset("sample-critic-rank-fuse"), FakeModel())
    at.session_state["settings"] = at.session_state["settings"].model_copy(update={"max_calls": 6})
    at = run_to_end(at)
    assert at.session_state["run_job"].view.status == "budget_exceeded"
    assert any("budget" in w.value for w in at.warning)
    assert "L0.C0.s0" in texts(at)


def test_an_architecture_with_errors_shows_them_instead_of_running():
    broken = load_config({"name": "broken", "layers": [[{"type": "ranker"}], []]})
    at = run_page(broken, FakeModel())
    assert button(at, "Run").disabled
    errors = " ".join(e.value for e in at.error)
    assert "needs candidates" in errors and "the layer is empty" in errors
    assert "run_job" not in at.session_state


def test_cancel_stops_the_run_and_keeps_what_finished():
    at = run_page(preset("sample-critic-rank-fuse"), FakeModel(latency=0.3))
    at.text_area(key="run_prompt").set_value("Slow question")
    button(at, "Run").click().run()
    job = at.session_state["run_job"]
    deadline = time.monotonic() + 10
    while not job.view.layers:  # the generators finished; the critic is in flight
        assert time.monotonic() < deadline
        time.sleep(0.05)
        at.run()
    assert not button(at, "Cancel").disabled
    button(at, "Cancel").click().run()
    while not job.view.finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    assert job.view.status == "cancelled"
    assert any("cancelled" in w.value for w in at.warning)
    assert "Answer 1 from" in texts(at)  # the finished layer stays
    assert any("cancelled" in (call.error or "") for call in job.view.calls)  # the critic, in flight
    assert not button(at, "Run").disabled


def test_an_empty_prompt_asks_for_one():
    at = run_page()
    at.text_area(key="run_prompt").set_value("   ")
    button(at, "Run").click().run()
    assert "run_job" not in at.session_state
    assert any("Type a prompt first" in w.value for w in at.warning)


def test_runs_belong_to_their_session():
    first = run_to_end(run_page(preset("moa-lite"), FakeModel()))
    assert first.session_state["run_job"].view.finished
    second = run_page()
    assert "run_job" not in second.session_state
    assert not second.success


def test_an_adaptive_run_shows_the_samples_drawn_why_sampling_stopped_and_the_calls_saved():
    at = run_page(preset("self-consistency-adaptive"), FakeModel({"generate": ["4"]}))
    assert "4 to 8 calls" in texts(at)  # the estimate: at least 4, at most 8

    at = run_to_end(at)

    assert at.session_state["run_job"].view.status == "completed"
    shown = texts(at)
    assert "L0.C0: 4 of 8 samples drawn · 4 calls saved" in shown
    assert "Why sampling stopped: stopped after 4 of 8 samples: P('4' is the majority) = 0.969 ≥ 0.95" in shown


def test_a_skipped_fusion_says_so_and_why():
    arch = load_config(
        {
            "name": "samples then fuser",
            "layers": [
                [{"type": "generator", "samples": 3}],
                [{"type": "fuser", "skip_when_agree": {"extractor": "last_number"}}],
            ],
        }
    )

    at = run_to_end(run_page(arch, FakeModel({"generate": ["It is 4."]})))

    shown = texts(at)
    assert "L1.C0: fusion skipped: 3 of 3 candidates give the answer '4' (last_number)" in shown
    assert "L0.C0.s0 passes on as L1.C0.agreed (1 call saved)" in shown
