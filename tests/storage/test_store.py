"""The run store: runs, evaluations and configs in SQLite, nothing secret, one result per item."""

import sqlite3

import pytest

from archon_engine import FakeModel, run
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.records import EvaluationSpec, baseline
from archon_engine.evaluation.runner import evaluate
from archon_engine.models import keys
from archon_engine.storage.store import SCHEMA, Store, StoreError, config_hash, design_hash

ARCH = {
    "name": "two",
    "layers": [[{"type": "generator", "model": "fake/m", "samples": 2}], [{"type": "fuser", "model": "fake/m"}]],
}


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "runs.sqlite")


def test_a_saved_run_is_listed_and_reopens_whole(store):
    result = run(ARCH, "What is 2+2?", backend=FakeModel())

    run_id = store.save_run(result)

    (summary,) = store.runs()
    assert summary.id == run_id and summary.name == "two" and summary.prompt == "What is 2+2?"
    assert summary.calls == 3 and summary.status == "completed" and summary.answer == result.answer
    reopened = store.run(run_id)
    assert reopened.answer == result.answer
    assert len(reopened.trace.calls) == 3 and reopened.layers[0].candidates == result.layers[0].candidates


def test_runs_can_be_deleted_and_a_missing_one_is_named(store):
    run_id = store.save_run(run(ARCH, "q", backend=FakeModel()))
    store.delete_run(run_id)

    assert store.runs() == []
    with pytest.raises(StoreError, match=f"no run with id {run_id}"):
        store.run(run_id)


def test_two_runs_compare_side_by_side(store):
    a = store.save_run(run(ARCH, "q", backend=FakeModel()))
    b = store.save_run(run({"layers": [[{"type": "generator", "model": "fake/m"}]]}, "q", backend=FakeModel()))

    rows = {row[""]: row for row in store.compare_runs(a, b)}

    assert rows["calls"][a] == 3 and rows["calls"][b] == 1
    assert rows["same config"][a] != rows["same config"][b]


def test_the_config_hash_ignores_names_and_configs_are_stored_once(store):
    result = run(ARCH, "q", backend=FakeModel())
    renamed = result.architecture.model_copy(update={"name": "other name"})

    assert config_hash(result.architecture) == config_hash(renamed)
    store.save_run(result)
    store.save_run(result)
    assert store.config(config_hash(renamed)).name == "two"
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM configs").fetchone()[0] == 1


def test_no_secret_reaches_the_file(store, monkeypatch):
    canary = "sk-canary-store-7777777"
    keys.register_secret(canary)
    result = run(ARCH, f"my key is {canary}", backend=FakeModel())

    store.save_run(result)

    assert canary.encode() not in store.path.read_bytes()
    assert canary not in store.runs()[0].prompt


def test_a_store_that_cannot_be_opened_says_where(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(StoreError, match="cannot open the run store at"):
        Store(blocker / "runs.sqlite")


def evaluate_four_items(store):
    dataset = Dataset(name="d", kind="exact", items=[Item(id=str(i), prompt=f"q{i}", reference="x") for i in range(4)])
    spec = EvaluationSpec(systems=[baseline("fake/a"), baseline("fake/b")], dataset=dataset, scorer="exact")
    return evaluate(spec, backend=FakeModel(), store=store)


def test_a_stored_evaluation_reloads_whole_in_item_order(store):
    evaluation = evaluate_four_items(store)

    reloaded = store.load_evaluation(evaluation.id)

    assert reloaded.status == "completed"
    assert [(r.system, r.item_id) for r in reloaded.results] == [(r.system, r.item_id) for r in evaluation.results]
    assert reloaded.table().equals(evaluation.table())


def test_a_whole_design_is_kept_by_its_hash_name_and_description_included(store):
    arch = run(ARCH, "q", backend=FakeModel()).architecture
    described = arch.model_copy(update={"name": "mine", "description": "what it does"})

    digest = store.save_design(described)

    assert digest == design_hash(described) != design_hash(arch)  # unlike config_hash, the name counts
    assert store.design(digest) == described
    with pytest.raises(StoreError, match="no design with hash 0000"):
        store.design("0000")


def test_a_visitor_sees_and_deletes_only_its_own_history(store):
    mine, theirs = store.for_visitor("visitor-a"), store.for_visitor("visitor-b")
    kept = mine.save_run(run(ARCH, "mine", backend=FakeModel()))
    other = theirs.save_run(run(ARCH, "theirs", backend=FakeModel()))
    evaluation = evaluate_four_items(theirs)

    assert [r.id for r in mine.runs()] == [kept] and mine.evaluations() == []
    assert [e.id for e in theirs.evaluations()] == [evaluation.id]
    with pytest.raises(StoreError, match=f"no run with id {other}"):
        mine.run(other)
    mine.delete_run(other)
    mine.delete_evaluation(evaluation.id)
    assert len(store.runs()) == 2 and len(store.evaluations()) == 1  # the whole history: both still there
    theirs.delete_run(other)
    assert [r.id for r in store.runs()] == [kept]


def test_a_store_made_before_visitors_opens_with_its_runs(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the tables as they were before visitors: SCHEMA has no visitor column
        db.executescript(SCHEMA)
    old = Store(path)
    old.save_run(run(ARCH, "before", backend=FakeModel()))
    old.close()

    reopened = Store(path)

    assert [r.prompt for r in reopened.runs()] == ["before"]
    assert reopened.for_visitor("someone").runs() == []


def evaluate_with_repeats(store, repeats=3):
    dataset = Dataset(name="d", kind="exact", items=[Item(id=str(i), prompt=f"q{i}", reference="x") for i in range(2)])
    spec = EvaluationSpec(systems=[baseline("fake/a"), baseline("fake/b")], dataset=dataset, scorer="exact")
    return evaluate(spec.model_copy(update={"repeats": repeats}), backend=FakeModel(), store=store)


def test_repeats_are_kept_apart_and_survive_save_and_reload(store):
    evaluation = evaluate_with_repeats(store)

    reloaded = Store(store.path).load_evaluation(evaluation.id)

    keys = [(r.system, r.item_id, r.repeat) for r in reloaded.results]
    assert len(keys) == len(set(keys)) == 12  # 2 systems x 2 items x 3 repeats, none replacing another
    assert keys == [(r.system, r.item_id, r.repeat) for r in evaluation.results]
    assert reloaded.spec.repeats == 3
    assert reloaded.table().equals(evaluation.table())
    (summary,) = store.evaluations()
    assert (summary.repeats, summary.results, summary.answers) == (3, 12, 12)


OLD_RESULTS = """
CREATE TABLE evaluations (
    id TEXT PRIMARY KEY, created REAL NOT NULL, name TEXT, dataset TEXT, scorer TEXT, systems TEXT,
    items INTEGER, status TEXT, spec TEXT NOT NULL
);
CREATE TABLE evaluation_results (
    evaluation_id TEXT NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    system TEXT NOT NULL, item_id TEXT NOT NULL, config_hash TEXT, item_key TEXT, cached INTEGER,
    latency_s REAL, result TEXT NOT NULL,
    PRIMARY KEY (evaluation_id, system, item_id)
);
"""


def test_a_store_made_before_repeats_opens_with_its_evaluations_and_then_keeps_repeats(tmp_path):
    made = Store(tmp_path / "new.sqlite")
    before = evaluate_four_items(made)
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the tables as they were before repeats, holding that evaluation
        db.executescript(OLD_RESULTS)
        db.execute(
            "INSERT INTO evaluations VALUES (?, 0, 'old', 'd', 'exact', '[]', 4, 'completed', ?)",
            (before.id, before.spec.model_dump_json(exclude={"repeats"})),
        )
        for r in before.results:
            row = (before.id, r.system, r.item_id, r.config_hash, r.item_key, 0, r.latency_s)
            db.execute(
                "INSERT INTO evaluation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, r.model_dump_json(exclude={"repeat"})),
            )

    old = Store(path)

    reloaded = old.load_evaluation(before.id)
    assert [(r.system, r.item_id, r.repeat) for r in reloaded.results] == [
        (r.system, r.item_id, 0) for r in before.results
    ]
    assert reloaded.spec.repeats == 1 and old.evaluations()[0].repeats == 1
    assert old.live_latency(before.results[0].config_hash, before.results[0].item_key) is not None
    again = evaluate_with_repeats(old)
    assert len(Store(path).load_evaluation(again.id).results) == 12  # now keyed by repeat as well


def test_an_evaluated_items_run_opens_by_its_id_is_not_listed_and_goes_with_its_evaluation(store):
    own = store.save_run(run(ARCH, "my own question", backend=FakeModel()))
    evaluation = evaluate_four_items(store)

    item_runs = [r.run_id for r in store.item_results(evaluation.id)]
    assert None not in item_runs and len(set(item_runs)) == len(item_runs) == len(evaluation.results)
    first = evaluation.results[0]
    opened = store.run(first.run_id)
    assert opened.answer == first.output and opened.trace.calls == first.trace.calls  # exact scoring: no judge
    assert [r.id for r in store.runs()] == [own]  # the history's runs are the user's own

    store.delete_evaluation(evaluation.id)

    with pytest.raises(StoreError, match="no run with id"):
        store.run(first.run_id)
    assert [r.id for r in store.runs()] == [own]  # the user's own run stays


def test_a_store_made_before_item_runs_opens_with_its_runs_and_evaluations(tmp_path):
    made = Store(tmp_path / "new.sqlite")
    before = evaluate_four_items(made)
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the tables as they were before item runs: no runs.evaluation_id
        db.executescript(SCHEMA)
        db.execute(
            "INSERT INTO runs VALUES ('old-run', 0, 'old', 'h', 'before', 'completed', 'a', 0, 0, 3, 9, ?)",
            (run(ARCH, "before", backend=FakeModel()).to_json(),),
        )
        db.execute(
            "INSERT INTO evaluations (id, created, name, dataset, scorer, systems, items, status, spec) "
            "VALUES (?, 0, 'old', 'd', 'exact', '[]', 4, 'completed', ?)",
            (before.id, before.spec.model_dump_json()),
        )
        for r in before.results:
            db.execute(
                "INSERT INTO evaluation_results (evaluation_id, system, item_id, result) VALUES (?, ?, ?, ?)",
                (before.id, r.system, r.item_id, r.model_dump_json(exclude={"run_id"})),
            )

    old = Store(path)

    assert [r.id for r in old.runs()] == ["old-run"]
    assert {r.run_id for r in old.load_evaluation(before.id).results} == {None}  # no run was kept then
    again = evaluate_four_items(old)
    assert all(old.run(r.run_id) for r in again.results) and [r.id for r in old.runs()] == ["old-run"]
