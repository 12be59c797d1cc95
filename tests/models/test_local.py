"""The embedded model, for real: through litellm, through the engine, and from the command line.

These runs use SmolLM2-135M on llama.cpp. They assert structure and repeatability, never the
model's exact words (builds differ in their text).
"""

import json
import subprocess
import sys
from pathlib import Path

from archon_engine import run
from archon_engine.components.replies import CritiqueReply, RankingReply, parse_reply
from archon_engine.models import local
from archon_engine.models.litellm_backend import import_litellm

ROOT = Path(__file__).resolve().parents[2]
MODEL = f"local/{local.MODEL_NAME}"


def test_the_model_file_ships_inside_the_installed_wheel():
    path = local.model_path()
    assert path.is_file() and path.stat().st_size > 50_000_000


def test_litellm_reaches_the_embedded_model_as_provider_local_for_free():
    litellm = import_litellm()
    response = litellm.completion(
        model=MODEL, messages=[{"role": "user", "content": "Say hello."}], max_tokens=12, temperature=0
    )
    assert response.choices[0].message.content.strip()
    assert 0 < response.usage.completion_tokens <= 12
    assert response._hidden_params["response_cost"] == 0.0


def test_greedy_runs_through_the_engine_are_repeatable():
    arch = {"layers": [[{"type": "generator", "model": MODEL, "temperature": 0.0, "max_tokens": 24}]]}
    first = run(arch, "What is the capital of Japan?")
    second = run(arch, "What is the capital of Japan?")
    assert first.status == "completed" and first.answer
    assert first.answer == second.answer
    call = first.trace.calls[0]
    assert call.model == MODEL and call.completion_tokens > 0 and call.cost_usd == 0.0


def test_a_prompt_over_the_context_window_fails_at_once_saying_so():
    arch = {"layers": [[{"type": "generator", "model": MODEL, "max_tokens": 8}]]}
    result = run(arch, "word " * 200_000)  # about 1 MB
    (call,) = result.trace.calls
    assert result.status == "failed"
    assert "ContextWindowExceededError" in call.error and "exceed context window" in call.error
    assert call.retries == 0 and "Traceback" not in call.error


def test_seeded_samples_are_repeatable_and_differ_from_each_other():
    arch = {"layers": [[{"type": "generator", "model": MODEL, "samples": 3, "seed": 11, "max_tokens": 24}]]}
    first = [c.text for c in run(arch, "Name a colour.").layers[0].candidates]
    second = [c.text for c in run(arch, "Name a colour.").layers[0].candidates]
    assert first == second
    assert len(set(first)) > 1


def test_structured_replies_of_the_small_model_parse_thanks_to_the_schema():
    arch = {
        "layers": [
            [{"type": "generator", "model": MODEL, "samples": 3, "seed": 3, "max_tokens": 32}],
            [{"type": "critic", "model": MODEL, "temperature": 0.0, "max_tokens": 768}],
            [{"type": "ranker", "model": MODEL, "temperature": 0.0, "max_tokens": 128, "top_k": 2}],
        ]
    }
    result = run(arch, "What is 2 + 3?")
    assert result.status == "completed"
    replies = {"critique": CritiqueReply, "rank": RankingReply}
    structured = [c for c in result.trace.calls if c.role in replies]
    assert {c.role for c in structured} == {"critique", "rank"}
    for call in structured:
        assert call.params["response_schema"]["title"] == replies[call.role].__name__
        reply = parse_reply(call.raw_response, replies[call.role])  # raises if the grammar did not hold
        items = reply.critiques if call.role == "critique" else reply.ranking
        assert len(items) == 3


def test_the_readme_command_prints_an_answer_and_a_layer_summary_and_exits_cleanly():
    completed = subprocess.run(
        [sys.executable, "-m", "archon_engine", "run", "presets/single-model.json", "What is the capital of Japan?"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Answer:\n")
    assert "total: 1 calls" in completed.stdout
    assert "Traceback" not in completed.stderr


def test_json_output_holds_the_whole_trace():
    completed = subprocess.run(
        [sys.executable, "-m", "archon_engine", "run", "presets/single-model.json", "Say hi.", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["status"] == "completed"
    assert result["trace"]["calls"][0]["messages"][-1] == {"role": "user", "content": "Say hi."}


def test_a_streamed_call_is_the_unstreamed_one_told_piece_by_piece():
    import asyncio

    from archon_engine.models.base import ModelRequest
    from archon_engine.models.litellm_backend import LitellmBackend

    backend = LitellmBackend()
    for max_tokens in (6, 48):  # cut at max_tokens, and (most likely) stopped by the model
        request = ModelRequest(
            model=MODEL,
            messages=[{"role": "user", "content": "Name two planets."}],
            temperature=0.0,
            max_tokens=max_tokens,
            seed=3,
        )
        whole = asyncio.run(backend.complete(request))
        pieces: list[str] = []
        streamed = asyncio.run(backend.complete(request, pieces.append))
        assert len(pieces) > 1 and "".join(pieces) == streamed.text
        timing = {"queued_s"}
        assert streamed.model_dump(exclude=timing) == whole.model_dump(exclude=timing)  # text, tokens, finish
    assert whole.completion_tokens <= 48 and streamed.prompt_tokens > 0


def test_a_run_streams_its_generator_and_fuser_text_and_keeps_the_same_trace():
    arch = {
        "layers": [
            [{"type": "generator", "model": MODEL, "samples": 2, "seed": 5, "max_tokens": 24}],
            [{"type": "fuser", "model": MODEL, "temperature": 0.0, "max_tokens": 24}],
        ]
    }
    events = []
    streamed = run(arch, "What is the capital of Italy?", on_event=events.append)
    quiet = run(arch, "What is the capital of Italy?")
    texts: dict[str, str] = {}
    for event in events:
        if event.kind == "text_delta":
            texts[event.call_id] = texts.get(event.call_id, "") + event.delta
    calls = {c.id: c for c in streamed.trace.calls}
    assert set(texts) == set(calls) and all(texts[i] == calls[i].raw_response for i in calls)
    candidates = {e.candidate for e in events if e.kind == "text_delta"}
    assert candidates == {"L0.C0.s0", "L0.C0.s1", "L1.C0.s0"}
    same = {"raw_response", "prompt_tokens", "completion_tokens", "cost_usd", "finish_reason", "role"}
    quiet_calls = {c.id: c for c in quiet.trace.calls}  # the same ids (the trace lists them as they finished)
    assert {i: c.model_dump(include=same) for i, c in calls.items()} == {
        i: c.model_dump(include=same) for i, c in quiet_calls.items()
    }
