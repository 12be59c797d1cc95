"""The Compare page, item by item: only the items where the systems differ on request, and from each item its
run in the Run inspector (each evaluated item's run is kept in the store)."""

from urllib.parse import parse_qs

import pytest

from archon_engine import FakeModel
from archon_engine.evaluation.datasets import shipped_datasets
from archon_engine.storage.store import Store

EMBEDDED, GUESS = "local/smollm2-135m", "fake/guess"
ITEMS = shipped_datasets()["arithmetic"].items[:3]


def the_guess_knows_only_the_first() -> FakeModel:
    """The embedded model answers every item right; fake/guess only the first."""

    def reply(request):
        said = " ".join(str(m.get("content", "")) for m in request.messages)
        item = next(i for i in ITEMS if i.prompt in said)
        right = request.model == EMBEDDED or item is ITEMS[0]
        return f"The answer is {item.reference if right else 0}."

    return FakeModel(reply)


@pytest.fixture
def evaluate(session, wait_for):
    """On a new Compare page: fake/guess against the embedded model on the first ``items`` arithmetic items."""

    def go(items: int = 3):
        at = session("compare", backend=the_guess_knows_only_the_first())
        at.checkbox(key="compare_design").set_value(False)
        at.multiselect(key="compare_baselines").set_value([EMBEDDED, GUESS])
        at.number_input(key="compare_limit").set_value(items).run()
        next(b for b in at.button if b.label == "Run").click().run()
        return wait_for(at, lambda: at.session_state["evaluation_job"].view.finished, what="the evaluation")

    return go


@pytest.fixture
def evaluated(evaluate):
    return evaluate()


def per_item(at):
    return next(d.value for d in at.dataframe if "outcome" in d.value.columns)


def run_id_of(link: str) -> str:
    path, _, query = link.partition("?")
    assert path == "run"  # relative: the Run page beside this one, whatever the server's base path
    return parse_qs(query)["run"][0]


def test_the_filter_leaves_out_the_ties(evaluated):
    at = evaluated
    table = per_item(at)
    assert list(table["outcome"]) == ["tie", "loss", "loss"]  # fake/guess against the embedded model

    at.toggle(key=f"compare_paired_differ_{at.session_state['last_evaluation'].id}").set_value(True).run()

    assert list(per_item(at)["outcome"]) == ["loss", "loss"]
    assert list(per_item(at)["item"]) == [ITEMS[1].id, ITEMS[2].id]


def test_each_item_links_to_both_runs_kept_in_the_store(evaluated, data_dir):
    row = per_item(evaluated).iloc[1]
    store = Store(data_dir / "archon.sqlite")

    theirs, ours = store.run(run_id_of(row["system run"])), store.run(run_id_of(row["baseline run"]))

    assert theirs.answer == "The answer is 0." and theirs.architecture.name == GUESS
    assert ours.answer == f"The answer is {ITEMS[1].reference}." and ours.architecture.name == EMBEDDED
    assert ITEMS[1].prompt in str(theirs.messages)
    assert store.runs() == []  # item runs are the evaluation's: the History's run list stays the user's own


def test_a_link_opens_the_run_in_the_run_inspector_of_a_new_session(evaluated, session):
    link = per_item(evaluated).iloc[2]["system run"]

    opened = session("run", run=run_id_of(link))

    assert opened.session_state["run_job"].view.result.answer == "The answer is 0."
    assert any(s.value.endswith("The answer is 0.") for s in opened.success)


def test_with_per_visitor_history_the_link_carries_the_visitor(monkeypatch, evaluate, session):
    monkeypatch.setenv("ARCHON_HISTORY", "per-visitor")
    at = evaluate(items=1)

    link = per_item(at).iloc[0]["system run"]
    query = parse_qs(link.partition("?")[2])
    assert query["visitor"] == [at.query_params["visitor"]]
    opened = session("run", **{name: values[0] for name, values in query.items()})
    assert opened.session_state["run_job"].view.result.answer == f"The answer is {ITEMS[0].reference}."
    assert session("run", run=query["run"][0]).session_state["last_run"] is None  # another visitor cannot


def test_a_card_opens_its_items_run_in_the_inspector(evaluated):
    at = evaluated
    next(s for s in at.selectbox if s.label == "Item").select(ITEMS[1].id).run()
    opens = [b for b in at.button if b.label == "Open in the Run inspector"]
    assert len(opens) == 2  # one per system

    opens[1].click().run()  # fake/guess's card, after the embedded model's

    assert not at.exception
    assert at.session_state["run_job"].view.result.answer == "The answer is 0."


def test_the_item_picker_can_show_only_the_items_scored_differently(evaluated):
    at = evaluated
    at.toggle(key=f"compare_items_differ_{at.session_state['last_evaluation'].id}").set_value(True).run()
    assert next(s for s in at.selectbox if s.label == "Item").options == [f"{i.id}: {i.prompt[:90]}" for i in ITEMS[1:]]
