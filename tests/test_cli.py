"""The command line: validate, estimate and export a config file; run refuses providers without a key."""

import json
import re

import pytest

from archon_engine import FakeModel
from archon_engine.cli import main

SMALL = {
    "name": "small",
    "layers": [
        [{"type": "generator", "model": "gpt-4o", "samples": 3}],
        [{"type": "critic", "model": "gpt-4o"}],
        [{"type": "fuser", "model": "gpt-4o"}],
    ],
}


def config_file(tmp_path, data=SMALL, name="arch.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_validate_a_clean_architecture_prints_no_findings_and_exits_0(tmp_path, capsys):
    assert main(["validate", config_file(tmp_path)]) == 0

    assert capsys.readouterr().out.strip() == "no findings"


def test_validate_prints_each_finding_and_exits_1_on_errors(tmp_path, capsys):
    path = config_file(tmp_path, {"layers": [[{"type": "fuser"}]]})

    assert main(["validate", path]) == 1

    out = capsys.readouterr().out
    assert "error: L0.C0: a fuser needs candidates" in out


def test_validate_exits_0_on_warnings_only(tmp_path, capsys):
    path = config_file(tmp_path, {"layers": [[{"type": "generator"}], [{"type": "critic"}]]})

    assert main(["validate", path]) == 0

    assert "warning: L1.C0: no ranker or fuser reads these critiques" in capsys.readouterr().out


def test_estimate_prints_calls_and_cost_as_json(tmp_path, capsys):
    assert main(["estimate", config_file(tmp_path)]) == 0

    estimate = json.loads(capsys.readouterr().out)
    assert estimate["calls"] == 5
    assert estimate["critical_path_calls"] == 3
    assert estimate["max_cost_usd"] > 0


def test_export_prints_archon_json(tmp_path, capsys):
    assert main(["export", config_file(tmp_path)]) == 0

    exported = json.loads(capsys.readouterr().out)
    assert exported["name"] == "small"
    assert [[c["type"] for c in layer] for layer in exported["layers"]] == [["generator"], ["critic"], ["fuser"]]
    generator = exported["layers"][0][0]
    assert (generator["model"], generator["model_type"], generator["samples"]) == ("gpt-4o", "OpenAI_API", 3)


@pytest.mark.parametrize("command", ["validate", "estimate", "export", "run"])
def test_a_broken_json_file_exits_2_naming_the_file(tmp_path, capsys, command):
    path = config_file(tmp_path, '{"layers": [[{"type": "generator",}]]}', name="broken.json")
    argv = [command, path] + (["hello"] if command == "run" else [])

    assert main(argv) == 2

    err = capsys.readouterr().err
    assert path in err
    assert "invalid JSON at line 1" in err


def test_a_missing_file_exits_2_naming_the_file(tmp_path, capsys):
    path = str(tmp_path / "nowhere.json")

    assert main(["validate", path]) == 2

    assert path in capsys.readouterr().err


def test_run_without_a_providers_key_exits_2_suggesting_local(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("TOGETHERAI_API_KEY", raising=False)
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    model = "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"
    path = config_file(tmp_path, {"layers": [[{"type": "generator", "model": model}]]})

    assert main(["run", path, "What is 2 + 2?"]) == 2

    captured = capsys.readouterr()
    assert "no API key for together_ai" in captured.err
    assert "--local" in captured.err
    assert captured.out == ""


# --- eval --------------------------------------------------------------------------------------

LOCAL = {
    "name": "local pair",
    "layers": [
        [{"type": "generator", "model": "local/smollm2-135m", "samples": 2}],
        [{"type": "fuser", "model": "local/smollm2-135m"}],
    ],
}


@pytest.fixture
def fake_models(tmp_path, monkeypatch):
    """Every model call answers "Answer: 42" from a FakeModel; data (store, cache) goes to tmp_path."""
    from archon_engine.models import litellm_backend

    fake = FakeModel(lambda request: "Answer: 42")
    monkeypatch.setattr(litellm_backend, "LitellmBackend", lambda api_keys=None: fake)
    monkeypatch.setenv("ARCHON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return fake


def test_eval_prints_the_comparison_and_writes_csv_and_json(tmp_path, capsys, fake_models):
    code = main(["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--limit", "3",
                 "--baseline", "local/smollm2-135m", "--out", "out/result"])  # fmt: skip

    assert code == 0
    out = capsys.readouterr().out
    assert "local pair" in out and "best single model: local/smollm2-135m" in out and "Pareto frontier" in out
    table = (tmp_path / "out/result.csv").read_text().splitlines()
    assert table[0].startswith("system,baseline,quality") and len(table) == 3
    saved = json.loads((tmp_path / "out/result.json").read_text())
    assert len(saved["results"]) == 6 and saved["spec"]["dataset"]["name"] == "arithmetic"
    assert len(fake_models.requests) == 3 * 3 + 3


def test_eval_again_is_answered_from_the_cache_and_stored_each_time(tmp_path, capsys, fake_models):
    args = ["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--limit", "2"]
    args += ["--baseline", "local/smollm2-135m"]
    main([*args, "--out", "first"])
    calls = len(fake_models.requests)

    main([*args, "--out", "second"])

    # the baseline is greedy, so replayed; the architecture samples at 0.7 without a seed: drawn again
    assert len(fake_models.requests) - calls == 2 * 3
    assert (tmp_path / "first.csv").read_text().count("\n") == (tmp_path / "second.csv").read_text().count("\n")
    from archon_engine.storage.store import Store

    assert len(Store().evaluations()) == 2


def test_eval_refuses_a_baseline_without_its_key(tmp_path, capsys, fake_models, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    code = main(["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--baseline", "openai/gpt-4o"])

    assert code == 2
    assert "no API key for openai" in capsys.readouterr().err
    assert fake_models.requests == []


def test_eval_prints_its_id_first_so_that_a_killed_run_can_be_resumed(tmp_path, capsys, fake_models):
    args = ["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--limit", "2"]

    assert main(args) == 0

    err = capsys.readouterr().err
    from archon_engine.storage.store import Store

    (evaluation,) = Store().evaluations()
    assert err.startswith(f"evaluation {evaluation.id} (store: ")
    assert f"if it stops, finish it with --resume {evaluation.id}" in err.splitlines()[0]
    calls = len(fake_models.requests)
    assert main([*args, "--resume", evaluation.id]) == 0
    assert len(fake_models.requests) == calls  # every item was done: nothing is asked again
    assert len(Store().evaluations()) == 1


def test_eval_refuses_to_resume_an_evaluation_that_is_not_in_the_store(tmp_path, capsys, fake_models):
    code = main(["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--resume", "nope"])

    assert code == 2
    assert "no evaluation with id nope" in capsys.readouterr().err
    assert fake_models.requests == []


def test_eval_names_an_unknown_dataset_and_lists_the_shipped_ones(tmp_path, capsys, fake_models):
    code = main(["eval", config_file(tmp_path, LOCAL), "--dataset", "nope.jsonl"])

    assert code == 2
    err = capsys.readouterr().err
    assert "nope.jsonl" in err and "arithmetic" in err


# --- search ------------------------------------------------------------------------------------


def test_search_prints_the_best_architectures_and_writes_the_winner(tmp_path, capsys, fake_models):
    args = ["search", "--dataset", "arithmetic", "--limit", "6", "--models", "local/smollm2-135m"]
    args += ["--trials", "4", "--algorithm", "random", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--study", "t"]

    assert main([*args, "--out", "best.json"]) == 0

    out = capsys.readouterr().out
    assert "4 trials" in out and "held-out: trial" in out
    from archon_engine.storage.store import Store

    assert Store().evaluations()  # kept in the default run store, <data dir>/archon.sqlite
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["layers"][0][0]["type"] in {"generator", "unit_test_generator"}
    assert main([*args[:-2], "--study", "t", "--trials", "0", "--out", "again.json"]) == 0  # finalize only
    assert "4 trials" in capsys.readouterr().out


def test_search_keeps_each_evaluation_in_the_store_it_is_given(tmp_path, capsys, fake_models):
    runs = tmp_path / "runs.sqlite"
    args = ["search", "--dataset", "arithmetic", "--limit", "6", "--models", "local/smollm2-135m"]
    args += ["--evaluations", "2", "--algorithm", "random", "--storage", f"sqlite:///{tmp_path / 's.db'}"]

    assert main([*args, "--store", str(runs), "--no-finalize"]) == 0

    from archon_engine.storage.store import Store

    stored = Store(runs).evaluations()
    assert len(stored) == 2 and {e.status for e in stored} == {"completed"}
    captured = capsys.readouterr()
    assert all(f"(evaluation {e.id})" in captured.err for e in stored)  # each trial names its evaluation
    assert f"evaluations kept in the run store {runs}" in captured.out
    assert not Store().evaluations()  # none in the default store


def test_search_refuses_models_without_keys_and_bad_options(tmp_path, capsys, fake_models, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    base = ["search", "--dataset", "arithmetic", "--storage", f"sqlite:///{tmp_path / 's.db'}"]

    assert main([*base, "--models", "openai/gpt-4o"]) == 2
    assert "no API key for openai" in capsys.readouterr().err
    assert main([*base, "--models", "local/smollm2-135m", "--algorithm", "nsga2"]) == 2
    assert "pareto" in capsys.readouterr().err
    assert fake_models.requests == []


def test_eval_with_repeats_prints_the_spread_and_every_system_against_each_baseline(
    tmp_path, capsys, fake_models, monkeypatch
):
    from archon_engine.evaluation.datasets import shipped_datasets
    from archon_engine.models import litellm_backend

    answers = {item.prompt: item.reference for item in shipped_datasets()["arithmetic"].items}

    def fuser_knows_the_answers(request):  # the baseline (one generator call) is wrong, the fused answer right
        said = " ".join(str(m.get("content", "")) for m in request.messages)
        known = next((ref for prompt, ref in answers.items() if prompt in said), None)
        return f"Answer: {known}" if request.role == "fuse" else "Answer: -1"

    fake = FakeModel(fuser_knows_the_answers)
    monkeypatch.setattr(litellm_backend, "LitellmBackend", lambda api_keys=None: fake)
    args = ["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--limit", "3", "--repeats", "2"]

    assert main([*args, "--baseline", "local/smollm2-135m", "--out", "out/r"]) == 0

    out = capsys.readouterr().out
    assert len(fake.requests) == 2 * (3 * 3 + 3)  # each repeat calls the models, the greedy baseline too
    assert "quality over 2 repeats" in out and "local pair: 1.000 ± 0.000" in out
    assert "against local/smollm2-135m:" in out
    assert "local pair: 3 wins, 0 losses, 0 ties; mean difference +1.000 [+1.000, +1.000]" in out
    assert "local pair scores higher than local/smollm2-135m by 1.000 on average" in out
    table = (tmp_path / "out/r.csv").read_text().splitlines()
    assert "quality sd over repeats" in table[0]
    paired = (tmp_path / "out/r-paired.csv").read_text().splitlines()
    assert paired[0].startswith("system,baseline,items,wins,losses,ties") and len(paired) == 2
    assert paired[1].startswith("local pair,local/smollm2-135m,3,3,0,0")
    saved = json.loads((tmp_path / "out/r.json").read_text())
    assert len(saved["results"]) == 12 and saved["spec"]["repeats"] == 2
    assert saved["paired"][0]["verdict"].startswith("local pair scores higher") and saved["paired"][0]["n"] == 3


def test_eval_without_a_difference_says_so_and_refuses_zero_repeats(tmp_path, capsys, fake_models):
    args = ["eval", config_file(tmp_path, LOCAL), "--dataset", "arithmetic", "--limit", "3"]

    assert main([*args, "--baseline", "local/smollm2-135m"]) == 0

    out = capsys.readouterr().out
    assert "local pair: 0 wins, 0 losses, 3 ties" in out and "no measurable difference on these 3 items" in out
    assert "quality over" not in out  # one repeat: no spread
    with pytest.raises(SystemExit):
        main([*args, "--repeats", "0"])
    assert "--repeats: must be a whole number of at least 1" in capsys.readouterr().err


# --- record and replay -------------------------------------------------------------------------


def without_latency(summary: str) -> list[str]:
    """The run's printed summary without its latency figures (a replay paces them, within milliseconds)."""
    return [re.sub(r"\d+\.\d\d( s)?$", "", line) for line in summary.splitlines()]


def test_run_record_writes_a_recording_that_replay_re_enacts_without_the_key(
    tmp_path, capsys, fake_models, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key-0123456789")
    assert main(["run", config_file(tmp_path), "What is 6 x 7?", "--record", "run.json"]) == 0
    recorded = capsys.readouterr()
    assert "recorded 7 calls to run.json" in recorded.err  # 3 samples, the critic thrice (unparseable), the fuser
    assert "sk-cli-test-key" not in (tmp_path / "run.json").read_text()
    monkeypatch.delenv("OPENAI_API_KEY")  # the viewer has no key for gpt-4o
    calls_before = len(fake_models.requests)

    assert main(["replay", "run.json", "--speed", "instant"]) == 0

    replayed = capsys.readouterr().out
    assert without_latency(replayed) == without_latency(recorded.out)  # the same answer and summary as the run's
    assert len(fake_models.requests) == calls_before  # no model was asked


def test_replay_json_prints_the_recorded_result(tmp_path, capsys, fake_models):
    main(["run", config_file(tmp_path, LOCAL), "What is 6 x 7?", "--json", "--record", "run.json"])
    recorded = json.loads(capsys.readouterr().out)

    assert main(["replay", "run.json", "--json", "--speed", "0"]) == 0

    replayed = json.loads(capsys.readouterr().out)
    assert replayed["answer"] == recorded["answer"] and replayed["layers"] == recorded["layers"]
    replies = [[c["raw_response"] for c in result["trace"]["calls"]] for result in (recorded, replayed)]
    assert replies[0] == replies[1]


def test_replay_refuses_a_changed_recording_and_a_bad_speed(tmp_path, capsys, fake_models):
    main(["run", config_file(tmp_path, LOCAL), "What is 6 x 7?", "--record", "run.json"])
    capsys.readouterr()
    assert main(["replay", "run.json", "--speed", "fast"]) == 2
    assert "error: speed must be a number" in capsys.readouterr().err
    text = (tmp_path / "run.json").read_text()
    (tmp_path / "run.json").write_text(text.replace("Answer: 42", "Answer: 41"))

    assert main(["replay", "run.json"]) == 2

    assert "error: run.json does not match its digest" in capsys.readouterr().err


# --- run --stream ---------------------------------------------------------------------------------------


def test_run_stream_prints_the_last_layers_text_as_it_comes_then_the_summary(tmp_path, capsys, fake_models):
    fake_models._responder = lambda request: "Fused: 42" if request.role == "fuse" else "Answer: 42"
    assert main(["run", config_file(tmp_path, LOCAL), "What is 6 x 7?", "--stream"]) == 0
    out = capsys.readouterr().out
    streamed, summary = out.split("Answer:\n", 1)
    assert streamed == "--- L1.C0.s0 ---\nFused: 42\n\n"  # the fuser's tokens, not the generators'
    assert summary.startswith("Fused: 42")


def test_run_stream_with_json_keeps_stdout_valid_json(tmp_path, capsys, fake_models):
    assert main(["run", config_file(tmp_path, LOCAL), "What is 6 x 7?", "--stream", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "completed"
    assert captured.err.startswith("--- L1.C0.s0 ---\nAnswer: 42")


def test_replay_stream_prints_the_last_layers_text_as_it_is_replayed(capsys):
    from archon_engine.recording import SHIPPED_DIR, load_recording

    recording = load_recording(SHIPPED_DIR / "moa-lite.json")

    assert main(["replay", str(SHIPPED_DIR / "moa-lite.json"), "--speed", "instant", "--stream"]) == 0

    out = capsys.readouterr().out
    streamed, _, summary = out.partition("Answer:\n")
    assert recording.run.answer in streamed and summary.startswith(recording.run.answer)
