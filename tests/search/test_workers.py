"""Scale-out: two search workers (separate processes) share one Optuna study in PostgreSQL.

Needs ``ARCHON_TEST_POSTGRES_URL`` (``.ci/run`` starts PostgreSQL on 127.0.0.1 and sets it). Without
it the test is skipped and reported as such, except where ``ARCHON_REQUIRE_POSTGRES=1`` (CI): then
it fails.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from archon_engine.models.fake_server import FakeOpenAIServer
from archon_engine.search import RECORD

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("ARCHON_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url():
    if URL:
        return URL
    if os.environ.get("ARCHON_REQUIRE_POSTGRES") == "1":
        pytest.fail("ARCHON_REQUIRE_POSTGRES=1 but ARCHON_TEST_POSTGRES_URL is not set")
    pytest.skip("no PostgreSQL: set ARCHON_TEST_POSTGRES_URL (bash .ci/run does)")


@pytest.mark.parametrize("algorithm", ["random", "gp"])
def test_two_workers_share_one_study_and_their_trials_merge_without_duplicates(tmp_path, postgres_url, algorithm):
    import optuna

    dataset = tmp_path / "sums.jsonl"
    dataset.write_text("\n".join(json.dumps({"prompt": f"What is {i}+1?", "reference": str(i + 1)}) for i in range(6)))
    study = f"workers-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ARCHON_DATA_DIR": str(tmp_path / "data"), "OPENAI_API_KEY": "sk-fake-workers"}
    with FakeOpenAIServer(latency=0.05, reply=lambda body: "Answer: 3") as server:
        command = [
            sys.executable, "-m", "archon_engine", "search", "--dataset", str(dataset),
            "--models", "openai/gpt-4o-mini,openai/gpt-4o", "--api-base", server.base_url,
            "--aggregations", "fuser,majority_vote,ranker", "--algorithm", algorithm, "--evaluations", "6",
            "--storage", postgres_url, "--study", study, "--no-finalize",
        ]  # fmt: skip
        workers = [
            subprocess.Popen([*command, "--seed", str(seed), "--out", str(tmp_path / f"best{seed}.json")],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for seed in (1, 2)
        ]  # fmt: skip
        outputs = [worker.communicate(timeout=600) for worker in workers]

    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert "6 evaluated here" in out  # each spent its budget: six distinct architectures
    trials = optuna.load_study(study_name=study, storage=postgres_url).get_trials()
    assert len(trials) >= 12  # six evaluations from each worker, and any pruned trials and repeats
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert len({t._trial_id for t in trials}) == len(trials)
    assert all(t.state.is_finished() for t in trials)
    records = {t.number: t.user_attrs[RECORD] for t in trials}
    evaluated = [t for t in trials if t.state.name == "COMPLETE" and "duplicate_of" not in records[t.number]]
    assert len(evaluated) == 12
    if algorithm == "gp":  # it proposes only feasible architectures, each once while any is left
        assert all(t.state.name == "COMPLETE" for t in trials) and len(trials) == 12
    for record in records.values():
        if "duplicate_of" in record:  # took an earlier trial's figures, maybe the other worker's
            assert records[record["duplicate_of"]]["config_hash"] == record["config_hash"]
    optuna.delete_study(study_name=study, storage=postgres_url)
