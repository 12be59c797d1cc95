"""ITAS search: a space of architectures, pruned by feasibility and budget, searched with Optuna."""

import asyncio
import contextlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from archon_engine import FakeModel
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.search import RECORD, STOPPED, Infeasible, Search, SearchBudget, SearchSpace, Stopped, describe
from archon_engine.storage.store import Store, config_hash

SUMS = Dataset(
    name="sums",
    kind="numeric",
    items=[Item(id=f"s{i}", prompt=f"What is {i}+1?", reference=str(i + 1)) for i in range(12)],
)
POINT = {
    "generator_models": 1,
    "samples": 3,
    "aggregation": "fuser",
    "fusion_layers": 1,
    "fusers_per_layer": 1,
    "critic_ranker": False,
    "final_check": "none",
    "temperature": 0.7,
    "instruction": "default",
}


def types(arch):
    return [[spec.type for spec in layer] for layer in arch.layers]


def answers(request):
    """fake/good adds correctly and fake/bad answers 0; fusers repeat the first candidate's answer."""
    text = str(request.messages)
    if request.role == "fuse":
        found = re.findall(r"Answer: (\d+)", text)
        return f"Answer: {found[0] if found else 0}"
    if request.role != "generate":
        from archon_engine.models.fake import default_reply

        return default_reply(request, 0)
    n = int(re.findall(r"What is (\d+)\+1", text)[0])
    return f"Answer: {n + 1 if request.model == 'fake/good' else 0}"


def search(tmp_path, space=None, **kwargs):
    space = space or SearchSpace(models=["fake/good", "fake/bad"])
    options = {"dataset": SUMS, "scorer": "numeric", "backend": FakeModel(answers)}
    return Search(space, storage=f"sqlite:///{tmp_path / 'search.sqlite'}", **{**options, **kwargs})


def slow_model() -> FakeModel:
    """Every call takes 30 s: a trial's evaluation on it takes minutes, as on the embedded model."""
    return FakeModel(answers, latency=30)


def stopped_mid_evaluation(s: Search, model: FakeModel, work=None):
    """Runs ``work`` (default: ``s.run(10)``) in another thread and stops ``s`` from this one while ``model``
    answers a call: what ``work`` returned (or raises what it raised), and the seconds from ``stop`` to its end."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(work or (lambda: s.run(10)))
        deadline = time.monotonic() + 60
        while not model.in_flight:  # an evaluation is waiting on the model
            assert time.monotonic() < deadline and not running.done(), "no evaluation started"
            time.sleep(0.01)
        stopped = time.monotonic()
        s.stop()
        result = running.result()
        return result, time.monotonic() - stopped


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# --- the space ---------------------------------------------------------------------------------


def test_a_point_builds_the_architecture_it_describes():
    space = SearchSpace(models=["fake/good", "fake/bad"], max_fuser_inputs=12)

    assert types(space.build(POINT)) == [["generator"], ["fuser"]]
    two_models = space.build({**POINT, "generator_models": 2, "critic_ranker": True, "final_check": "verifier"})
    assert types(two_models) == [["generator", "generator"], ["critic"], ["ranker"], ["verifier"], ["fuser"]]
    assert [s.model for s in two_models.layers[0]] == ["fake/good", "fake/bad"]  # the top k, best first
    deep = space.build({**POINT, "fusion_layers": 3, "fusers_per_layer": 2, "final_check": "unit_tests"})
    assert types(deep) == [
        ["unit_test_generator"],
        ["generator"],
        ["fuser", "fuser"],
        ["fuser", "fuser"],
        ["unit_test_evaluator"],
        ["fuser"],  # the last fusion layer has one fuser
    ]


def test_aggregations_other_than_fusion():
    space = SearchSpace(models=["fake/good"], aggregations=["majority_vote", "ranker", "none"])

    assert types(space.build({**POINT, "aggregation": "majority_vote"})) == [["generator"], ["majority_vote"]]
    assert types(space.build({**POINT, "aggregation": "ranker"})) == [["generator"], ["ranker"]]
    assert types(space.build({**POINT, "aggregation": "none", "samples": 1})) == [["generator"]]


def test_instruction_variants_reach_every_component_that_sends_one():
    arch = SearchSpace(models=["fake/good"]).build({**POINT, "critic_ranker": True, "instruction": "number_only"})

    sent = {spec.type: spec.instruction for layer in arch.layers for spec in layer}
    assert sent == {
        "generator": "number_only",
        "critic": "number_only",
        "ranker": "number_only",
        "fuser": "number_only",
    }
    assert describe({**POINT, "instruction": "number_only"}).endswith("[number_only]")


@pytest.mark.parametrize(
    ("point", "reason"),
    [
        ({"aggregation": "none", "samples": 3}, "exactly one candidate"),
        ({"aggregation": "majority_vote", "samples": 1}, "at least 3 candidates"),
        ({"generator_models": 2, "samples": 5}, "10 candidates into a fuser"),
    ],
)
def test_points_that_cannot_work_are_infeasible(point, reason):
    space = SearchSpace(models=["fake/good", "fake/bad"], max_fuser_inputs=8, aggregations=["fuser"])

    with pytest.raises(Infeasible, match=reason):
        space.build({**POINT, **point})


def test_a_point_holds_only_the_axes_that_matter_for_it():
    space = SearchSpace(
        models=["fake/good", "fake/bad"],
        aggregations=["fuser", "majority_vote"],
        fusion_layers=(1, 2),
        fusers_per_layer=[2, 3],
        temperatures=[0.7],
    )
    always = {"generator_models", "samples", "aggregation", "temperature", "instruction"}

    points = space.points()

    voting = [p for p in points if p["aggregation"] == "majority_vote"]
    assert voting and all(set(p) == always for p in voting)  # no fusion axes without a fuser
    one_layer = [p for p in points if p.get("fusion_layers") == 1]
    assert one_layer and all(set(p) == always | {"fusion_layers", "critic_ranker", "final_check"} for p in one_layer)
    two_layers = [p for p in points if p.get("fusion_layers") == 2]
    assert two_layers and all("fusers_per_layer" in p for p in two_layers)  # only then do fusers per layer matter
    assert len(points) == 2 * 3 * (1 + 2 * 3 * (1 + 2))  # models x samples x (vote + critic x check x layers)
    assert space.asked(POINT) == {  # what a trial suggests: no axis with one value, none that does not matter
        "generator_models": 1,
        "samples": 3,
        "aggregation": "fuser",
        "fusion_layers": 1,
        "critic_ranker": False,
        "final_check": "none",
    }


def test_no_two_feasible_points_build_the_same_architecture():
    space = SearchSpace(models=["fake/good", "fake/bad"], aggregations=["fuser", "majority_vote", "ranker", "none"])
    built = []
    for point in space.points():
        with contextlib.suppress(Infeasible):  # infeasible points are pruned, never built
            built.append(config_hash(space.build(point)))

    assert len(built) == len(set(built)) > 50


def test_a_bad_space_is_refused():
    with pytest.raises(ValueError, match=r"within 1\.\.4"):
        SearchSpace(models=["m"], fusion_layers=(1, 5))
    with pytest.raises(ValueError):
        SearchSpace(models=[])


# --- the search --------------------------------------------------------------------------------


def test_architectures_over_the_budget_are_pruned_without_a_model_call(tmp_path):
    fake = FakeModel(answers)
    s = search(tmp_path, budget=SearchBudget(max_calls=4), backend=fake, algorithm="tpe")  # tpe proposes them

    result = s.run(12)

    pruned = [t for t in result.trials if t.state == "PRUNED"]
    assert pruned and all(t.reason for t in pruned)
    assert any("over the budget of 4" in t.reason for t in pruned)
    complete = [t for t in result.trials if t.state == "COMPLETE"]
    assert all(t.calls_per_query <= 4 for t in complete)
    assert len(fake.requests) <= s.evaluations * len(s.dev.items) * 4


def test_an_architecture_is_evaluated_once_per_study(tmp_path):
    s = search(tmp_path, SearchSpace(models=["fake/good"], samples=[3], fusion_layers=(1, 1), final_checks=["none"]))

    result = s.run(6)

    complete = [t for t in result.trials if t.state == "COMPLETE"]
    distinct = {t.architecture.model_dump_json() for t in complete}
    assert s.evaluations == len(distinct) == 2  # with and without critic + ranker: all there is
    duplicates = [t for t in complete if t.duplicate_of is not None]
    assert duplicates and len(duplicates) == len(complete) - len(distinct)
    assert all(t.quality == result.trials[t.duplicate_of].quality for t in duplicates)


def test_a_repeat_costs_no_model_call_and_no_evaluation(tmp_path):
    fake = FakeModel(answers)
    s = search(tmp_path, backend=fake, algorithm="random")
    s.study.enqueue_trial(s.space.asked(POINT))
    s.study.enqueue_trial(s.space.asked(POINT))  # the same point again
    calls = []

    result = s.run(2, on_trial=lambda trial: calls.append(len(fake.requests)))

    first, repeat = result.trials[:2]
    assert first.duplicate_of is None and repeat.duplicate_of == first.number
    assert repeat.state == "COMPLETE" and repeat.values == first.values and repeat.quality == first.quality
    assert calls[1] == calls[0] > 0  # the repeat made no call
    assert s.evaluations == 2  # the run went on to a second architecture
    assert len([t for t in result.trials if t.state == "COMPLETE" and t.duplicate_of is None]) == 2


def test_pruned_trials_do_not_count_as_evaluations(tmp_path):
    s = search(tmp_path, budget=SearchBudget(max_calls=4), algorithm="tpe", seed=2)

    result = s.run(3)

    assert s.evaluations == 3
    assert len([t for t in result.trials if t.state == "COMPLETE" and t.duplicate_of is None]) == 3
    assert any(t.state == "PRUNED" for t in result.trials)


def test_the_trial_cap_holds_whatever_the_evaluations_asked_for(tmp_path):
    s = search(tmp_path, budget=SearchBudget(max_calls=4), algorithm="tpe", seed=2)

    result = s.run(50, max_trials=5)

    assert len(result.trials) == 5
    assert s.evaluations < 5  # some of the five were pruned


def test_a_search_ends_when_every_architecture_of_the_space_is_evaluated(tmp_path):
    space = SearchSpace(models=["fake/good", "fake/bad"], samples=[3], aggregations=["majority_vote", "ranker"])
    s = search(tmp_path, space, algorithm="tpe")

    result = s.run(20)

    assert s.evaluations == len(s.grid()) == 4  # 1 or 2 models x vote or ranker
    assert len(result.trials) < 100  # long before the trial cap
    assert s.exhausted()


def test_a_trial_writes_what_it_found_as_one_user_attribute(tmp_path):
    s = search(tmp_path, budget=SearchBudget(max_calls=4), algorithm="tpe", seed=2)

    s.run(3)

    trials = s.study.get_trials()
    assert all(set(t.user_attrs) == {RECORD} for t in trials)
    evaluated = next(t for t in trials if t.state.name == "COMPLETE")
    assert {"name", "config_hash", "architecture", "quality", "cost_per_query"} <= set(evaluated.user_attrs[RECORD])
    pruned = next(t for t in trials if t.state.name == "PRUNED")
    assert set(pruned.user_attrs[RECORD]) == {"name", "reason"}


def test_tpe_asks_only_the_axes_that_matter(tmp_path):
    space = SearchSpace(models=["fake/good", "fake/bad"], aggregations=["fuser", "majority_vote"])

    result = search(tmp_path, space, algorithm="tpe", seed=4).run(15)

    voting = [t for t in result.trials if t.params["aggregation"] == "majority_vote"]
    fusing = [t for t in result.trials if t.params["aggregation"] == "fuser"]
    assert voting and all("fusion_layers" not in t.params and "critic_ranker" not in t.params for t in voting)
    assert fusing and all({"fusion_layers", "critic_ranker", "final_check"} <= set(t.params) for t in fusing)
    assert all(("fusers_per_layer" in t.params) == (t.params.get("fusion_layers", 1) > 1) for t in result.trials)
    assert not any("temperature" in t.params for t in result.trials)  # one value: fixed, not asked


def test_a_seed_makes_a_search_repeatable(tmp_path):
    first = search(tmp_path / "a", seed=7).run(8)
    second = search(tmp_path / "b", seed=7).run(8)

    assert [(t.params, t.state, t.quality) for t in first.trials] == [
        (t.params, t.state, t.quality) for t in second.trials
    ]


def test_grid_evaluates_every_distinct_architecture_once_then_stops(tmp_path):
    space = SearchSpace(models=["fake/good", "fake/bad"], samples=[1, 3], fusion_layers=(1, 1), final_checks=["none"])
    s = search(tmp_path, space, algorithm="grid")
    size = len(s.grid())

    result = s.run(100)

    assert len(result.trials) == size
    assert s.evaluations == size
    assert len({t.architecture.model_dump_json() for t in result.trials}) == size


def test_tpe_finds_the_architecture_that_answers_right(tmp_path):
    space = SearchSpace(models=["fake/good", "fake/bad"], aggregations=["fuser", "majority_vote"])

    result = search(tmp_path, space, algorithm="tpe", seed=1).run(20)

    best = result.best[0]
    assert best.quality == 1
    assert any(t.quality is not None and t.quality < 1 for t in result.trials)  # it told them apart


def test_the_pareto_objective_returns_a_front_no_member_of_which_dominates_another(tmp_path):
    fake = FakeModel(answers, cost_per_call=0.001)

    result = search(tmp_path, objective="pareto", algorithm="nsga2", backend=fake).run(12)

    front = result.best
    assert front and all(len(t.values) == 3 for t in front)
    for a in front:
        for b in front:
            better = [
                x >= y
                for x, y in zip(
                    (a.quality, -a.cost_per_query, -a.latency_s),
                    (b.quality, -b.cost_per_query, -b.latency_s),
                    strict=True,
                )
            ]
            assert not (all(better) and a.values != b.values)


def test_finalize_ranks_the_best_on_the_held_out_split(tmp_path):
    s = search(tmp_path, seed=3)
    s.run(10)

    result = s.finalize(top=2)

    assert 1 <= len(result.held_out) <= 2
    assert {h.trial for h in result.held_out} <= {t.number for t in result.best}
    assert result.held_out == sorted(result.held_out, key=lambda h: (-h.quality, h.cost_per_query))
    assert len(s.dev.items) + len(s.held_out.items) == len(SUMS.items)
    assert not {i.id for i in s.dev.items} & {i.id for i in s.held_out.items}


def test_a_study_in_storage_continues_where_it_stopped(tmp_path):
    first = search(tmp_path, study="shared")
    before = len(first.run(4).trials)

    again = search(tmp_path, study="shared")
    result = again.run(3)

    assert first.evaluations == 4 and again.evaluations == 3
    assert len(result.trials) > before
    assert [t.number for t in result.trials] == list(range(len(result.trials)))
    evaluated = [t for t in result.trials if t.state == "COMPLETE" and t.duplicate_of is None]
    assert len({config_hash(t.architecture) for t in evaluated}) == 7  # none evaluated twice


def test_each_evaluated_architecture_is_one_evaluation_in_the_store(tmp_path):
    store = Store(tmp_path / "archon.sqlite")
    s = search(tmp_path, budget=SearchBudget(max_calls=4), algorithm="tpe", seed=2, store=store)  # tpe: some over it
    s.study.enqueue_trial(s.space.asked(POINT))
    s.study.enqueue_trial(s.space.asked(POINT))  # a repeat

    result = s.run(3)

    evaluated = [t for t in result.trials if t.state == "COMPLETE" and t.duplicate_of is None]
    stored = {e.id: e for e in store.evaluations()}
    assert len(evaluated) == len(stored) == 3
    for trial in evaluated:  # each trial names its evaluation, which the History page lists
        assert stored[trial.evaluation_id].name == f"search {s.study_name} trial {trial.number}"
        assert stored[trial.evaluation_id].status == "completed"
    free = [t for t in result.trials if t.state == "PRUNED" or t.duplicate_of is not None]
    assert {t.state for t in free} == {"PRUNED", "COMPLETE"} and all(t.evaluation_id is None for t in free)


def test_stop_cancels_the_evaluation_in_progress(tmp_path):
    store = Store(tmp_path / "archon.sqlite")
    slow = slow_model()
    s = search(tmp_path, backend=slow, store=store)
    optuna_log = ListHandler()
    logging.getLogger("optuna").addHandler(optuna_log)

    try:
        result, seconds = stopped_mid_evaluation(s, slow)
    finally:
        logging.getLogger("optuna").removeHandler(optuna_log)

    assert seconds < 10  # the calls in flight would have taken 30 s
    *_, last = result.trials
    assert last.state == "FAIL" and last.reason == STOPPED  # failed, so TPE ignores it (pruned would count as bad)
    assert s.evaluations == 0 and not result.best
    (cancelled,) = store.evaluations()  # what the evaluation did stays in the history
    assert cancelled.name == f"search {s.study_name} trial {last.number}" and cancelled.status == "cancelled"
    assert slow.in_flight == 0  # no call left running
    assert optuna_log.records == []  # a stop is no error: no warning with a traceback in the server's log


def test_a_stopped_architecture_is_evaluated_when_the_study_resumes(tmp_path):
    space = SearchSpace(models=["fake/good"], samples=[1, 3], fusion_layers=(1, 1), final_checks=["none"])
    first = search(tmp_path, space, algorithm="grid", study="grid", backend=(slow := slow_model()))
    stopped = next(t for t in stopped_mid_evaluation(first, slow)[0].trials if t.state == "FAIL")

    resumed = search(tmp_path, space, algorithm="grid", study="grid")
    result = resumed.run(100)

    evaluated = [t.architecture for t in result.trials if t.state == "COMPLETE"]
    assert len(evaluated) == resumed.evaluations == len(resumed.grid())  # the whole grid, the stopped point too
    assert stopped.architecture in evaluated


def test_stop_cancels_the_held_out_check_which_a_stopped_search_can_still_run(tmp_path):
    first = search(tmp_path, study="s")
    first.run(2)
    first.stop()
    assert first.finalize(top=1).held_out  # asked for after a stop, it runs

    slow = slow_model()
    again = search(tmp_path, study="s", backend=slow)  # the same study, on a model whose calls take 30 s
    with pytest.raises(Stopped, match="held-out check"):
        stopped_mid_evaluation(again, slow, lambda: again.finalize(top=1))
    assert slow.in_flight == 0


def test_stop_between_trials_starts_no_other_trial(tmp_path):
    s = search(tmp_path)
    seen = []

    def on_trial(trial):
        seen.append(trial.number)
        s.stop()

    result = s.run(10, on_trial=on_trial)

    assert seen == [0] and len(result.trials) == 1
    assert s.run(10).trials == result.trials  # a stopped search stays stopped


def test_a_search_stopped_before_it_runs_makes_no_call(tmp_path):
    fake = FakeModel(answers)
    s = search(tmp_path, backend=fake)
    s.stop()

    assert s.run(10).trials == [] and fake.requests == []


def test_a_search_runs_from_async_code_too(tmp_path):
    async def notebook_cell():  # a running event loop, as in a notebook
        return search(tmp_path).run(1)

    assert asyncio.run(notebook_cell()).best


def test_nsga2_needs_the_pareto_objective(tmp_path):
    with pytest.raises(ValueError, match="pareto"):
        search(tmp_path, algorithm="nsga2")


def test_gp_is_the_default_for_the_quality_objective_and_tpe_for_pareto(tmp_path):
    assert search(tmp_path / "a").algorithm == "gp"
    assert search(tmp_path / "b", objective="pareto").algorithm == "tpe"
    with pytest.raises(ValueError, match="quality"):
        search(tmp_path / "c", objective="pareto", algorithm="gp")


def test_gp_finds_the_architecture_that_answers_right(tmp_path):
    space = SearchSpace(models=["fake/good", "fake/bad"], aggregations=["fuser", "majority_vote"])
    s = search(tmp_path, space, algorithm="gp", seed=1)

    result = s.run(10)

    assert result.best[0].quality == 1
    assert any(t.quality is not None and t.quality < 1 for t in result.trials)  # it told them apart


def test_gp_proposes_neither_a_pruned_point_nor_a_repeat_until_the_space_is_exhausted(tmp_path):
    space = SearchSpace(models=["fake/good", "fake/bad"], samples=[1, 3], final_checks=["none", "verifier"])
    s = search(tmp_path, space, budget=SearchBudget(max_calls=8), algorithm="gp", seed=3)
    size = len(s.grid())

    result = s.run(100)

    first = result.trials[:size]
    assert all(t.state == "COMPLETE" and t.duplicate_of is None for t in first)
    assert s.evaluations == size and s.exhausted()
    assert len(result.trials) == size + 1  # then one repeat, which found the space exhausted
