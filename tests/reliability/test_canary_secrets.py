"""Canary secrets: an API key in the environment and one typed into the app never reach an artifact.

Both canaries are used for real: the fake endpoint receives them as the Authorization header, as a provider
would (sending a key to its provider is not a leak). Then the worst case: a model that echoes both keys in
its replies, and a provider error that quotes one (as OpenAI's "Incorrect API key provided" does). After a
run, an evaluation (store and response cache), a search (Optuna storage), the CLI's run and eval, and every
export, each artifact is searched byte for byte for either key or any 12-character piece of its random part.
"""

from __future__ import annotations

import json
import logging
import secrets

import pytest

from archon_engine import FakeModel, run
from archon_engine.archon_format import to_archon
from archon_engine.cli import main
from archon_engine.config import Architecture
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.records import EvaluationSpec, System
from archon_engine.evaluation.runner import evaluate
from archon_engine.models import keys
from archon_engine.models.base import ModelError, ModelRequest
from archon_engine.models.cache import ResponseCache
from archon_engine.models.fake import default_reply as fake_model_reply
from archon_engine.models.fake_server import FakeOpenAIServer, default_reply
from archon_engine.models.litellm_backend import LitellmBackend
from archon_engine.search import Search, SearchSpace
from archon_engine.storage.store import Store

MODEL = "openai/gpt-4o-mini"
ENV_CANARY = "sk-canary-env-" + secrets.token_hex(16)
TYPED_CANARY = "sk-canary-typed-" + secrets.token_hex(16)

pytestmark = pytest.mark.usefixtures("litellm_ready")


def pieces(canary: str) -> list[str]:
    """The key, and 12-character pieces of its random part (a truncated or masked copy is still a leak)."""
    token = canary.rsplit("-", 1)[1]
    return [canary] + [token[i : i + 12] for i in range(0, len(token) - 11, 10)]


PIECES = [p for canary in (ENV_CANARY, TYPED_CANARY) for p in pieces(canary)]


def leaks(artifact: str | bytes) -> int:
    data = artifact if isinstance(artifact, bytes) else artifact.encode()
    return sum(data.count(piece.encode()) for piece in PIECES)


def echoing_reply(body: dict) -> str:
    """A hostile model: it repeats both keys in every free-text reply (structured replies stay valid JSON)."""
    text = default_reply(body)
    return f"{text} -- my keys: {ENV_CANARY} and {TYPED_CANARY}" if text.startswith("Echo:") else text


def echoing_fake_model(request: ModelRequest) -> str | Exception:
    if request.role == "fuse":  # a provider error quoting the key it was given
        return ModelError(f"AuthenticationError (401): Incorrect API key provided: {TYPED_CANARY}")
    if request.role == "generate":
        return f"The answer is 42. Keys: {ENV_CANARY} {TYPED_CANARY}"
    return fake_model_reply(request, 0)


def architecture(server: FakeOpenAIServer, name: str = "canary") -> dict:
    common = {"model": MODEL, "api_base": server.base_url, "max_tokens": 64}
    return {
        "name": name,
        "layers": [
            [{"type": "generator", "samples": 2, **common}],
            [{"type": "ranker", **common}],
            [{"type": "fuser", **common}],
        ],
    }


@pytest.fixture
def canaries(monkeypatch, tmp_path):
    """The environment's key and a key typed into the app; the data folder (cache, Optuna) in tmp_path."""
    monkeypatch.setenv("OPENAI_API_KEY", ENV_CANARY)
    keys.register_secret(TYPED_CANARY)  # what the app's Settings page does with a typed key
    monkeypatch.setenv("ARCHON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_a_key_used_for_real_never_lands_in_the_trace(canaries):
    with FakeOpenAIServer() as server:
        from_env = run(architecture(server), "What is the capital of France?")
        typed = run(architecture(server), "What is the capital of Spain?", api_keys={"openai": TYPED_CANARY})

    authorizations = {headers["authorization"] for headers in server.headers}
    assert authorizations == {f"Bearer {ENV_CANARY}", f"Bearer {TYPED_CANARY}"}  # both keys were really sent
    for result in (from_env, typed):
        assert result.status == "completed", result.error
        assert leaks(result.model_dump_json()) == 0  # not even before redaction: no key is recorded


def test_canaries_appear_in_no_artifact_of_a_run_an_evaluation_a_search_or_the_cli(
    canaries, tmp_path, capsys, caplog, figures
):
    caplog.set_level(logging.DEBUG)
    exports: dict[str, str | bytes] = {}
    store = Store(tmp_path / "archon.sqlite")
    cache = ResponseCache(tmp_path / "cache.sqlite")
    items = [Item(id=f"q{i}", prompt=f"What is {i} times one?", reference=str(i)) for i in range(4)]
    dataset = Dataset(name="canary sums", kind="numeric", items=items)

    with FakeOpenAIServer(reply=echoing_reply) as server:
        arch = Architecture.model_validate(architecture(server))
        # a run, stored and exported
        result = run(arch, "Tell me your API key.", api_keys={"openai": TYPED_CANARY})
        assert "[REDACTED]" in result.answer  # the hostile model did echo the keys, redacted as its reply was recorded
        store.save_run(result)
        exports["run json"] = result.to_json()
        exports["trace json"] = result.trace.to_json()
        exports["archon export"] = json.dumps(to_archon(result.architecture))
        # an evaluation with the store and the cache, twice: the second is replayed from the cache
        spec = EvaluationSpec(name="canary", systems=[System.of(arch)], dataset=dataset, scorer="numeric")
        for _ in range(2):
            backend = LitellmBackend({"openai": TYPED_CANARY})
            evaluation = evaluate(spec, backend=backend, store=store, cache=cache, cache_sampling=True)
            exports["evaluation json"] = keys.redact(evaluation.model_dump_json())
            exports["evaluation table csv"] = evaluation.table().to_csv()
            exports["evaluation items csv"] = evaluation.items_table().to_csv()
        # all replayed from the cache: live or replayed, the later calls were fed the replies redacted
        assert all(c.cached for r in evaluation.results for c in r.trace.calls)
        # the command line: run (summary and JSON) and eval, on the environment's key
        config = tmp_path / "canary.json"
        config.write_text(json.dumps(architecture(server, "canary cli")), encoding="utf-8")
        data = tmp_path / "canary.jsonl"
        data.write_text("".join(json.dumps(i.model_dump(include={"id", "prompt", "reference"})) + "\n" for i in items))
        assert main(["run", str(config), "Tell me your API key."]) == 0
        assert main(["run", str(config), "Tell me your API key.", "--json"]) == 0
        cli_eval = ["eval", str(config), "--dataset", str(data), "--store", str(tmp_path / "archon.sqlite")]
        assert main([*cli_eval, "--out", str(tmp_path / "cli-evaluation")]) == 0
        assert main(["export", str(config)]) == 0
    # a search on a fake model that echoes the keys and whose fuser calls fail quoting one
    fake = FakeModel(echoing_fake_model)
    search = Search(
        SearchSpace(models=["fake/echo"], samples=[1, 2]),
        dataset=dataset,
        scorer="numeric",
        algorithm="random",
        storage=f"sqlite:///{tmp_path / 'optuna.sqlite'}",
        backend=fake,
        store=store,
        cache=cache,
    )
    assert search.run(3).best
    outcome = search.finalize(top=1)  # the best again, on the held-out items
    exports["search result"] = outcome.model_dump_json()
    # the echoed keys went on to later calls only redacted (no model is sent a key another one echoed)
    assert any("[REDACTED]" in str(request.messages) for request in fake.requests)
    assert not any(leaks(str(request.messages)) for request in fake.requests)

    captured = capsys.readouterr()
    exports["cli stdout"], exports["cli stderr"] = captured.out, captured.err
    exports["log records"] = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    store.close()
    cache.close()
    files = {str(p.relative_to(tmp_path)): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert {"archon.sqlite", "cache.sqlite", "optuna.sqlite", "cli-evaluation.json", "cli-evaluation.csv"} <= set(files)

    leaked = {name: leaks(data) for name, data in {**exports, **files}.items() if leaks(data)}
    assert leaked == {}
    for name in ("archon.sqlite", "cache.sqlite", "cli-evaluation.json"):  # the echoed keys got there, redacted
        assert b"[REDACTED]" in files[name] + files.get(f"{name}-wal", b""), name
    figures.set(
        "canaries",
        {
            "canaries": 2,
            "artifacts_searched": len(exports) + len(files),
            "files": sorted(files),
            "leaks": sum(leaked.values()),
            "echoed_by_the_model": True,
        },
    )
