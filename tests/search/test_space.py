"""The search space's adaptive-compute axes: generators' stop_when and fusers' skip_when_agree, on or off."""

import contextlib

from archon_engine.config import SkipWhenAgree, StopWhen
from archon_engine.search import Infeasible, SearchSpace, describe
from archon_engine.storage.store import config_hash

POINT = {
    "generator_models": 1,
    "samples": 5,
    "aggregation": "fuser",
    "fusion_layers": 1,
    "critic_ranker": False,
    "final_check": "none",
    "temperature": 0.7,
    "instruction": "default",
}


def test_a_space_that_does_not_search_them_has_the_points_it_had():
    space = SearchSpace(models=["m"], aggregations=["fuser", "majority_vote"])

    assert all("adaptive_stopping" not in p and "skip_fusion" not in p for p in space.points())
    arch = space.build(POINT)
    assert arch.layers[0][0].stop_when is None and arch.layers[-1][0].skip_when_agree is None


def test_both_axes_on_or_off_where_they_matter():
    space = SearchSpace(
        models=["m"], samples=[1, 5], aggregations=["fuser", "majority_vote"], adaptive_stopping=[False, True],
        skip_fusion=[False, True], final_checks=["none"], fusion_layers=(1, 1), critic_ranker=[False],
    )  # fmt: skip

    assert space.choices()["adaptive_stopping"] == [False, True] and space.choices()["skip_fusion"] == [False, True]
    points = space.points()
    assert all("adaptive_stopping" not in p for p in points if p["samples"] == 1)  # one sample: nothing to stop
    assert all("skip_fusion" not in p for p in points if p["aggregation"] != "fuser")  # no fuser: nothing to skip
    assert {p["adaptive_stopping"] for p in points if p["samples"] == 5} == {False, True}
    assert {p["skip_fusion"] for p in points if p["aggregation"] == "fuser"} == {False, True}
    assert space.asked({**POINT, "adaptive_stopping": True, "skip_fusion": False}) == {
        "samples": 5,
        "aggregation": "fuser",
        "adaptive_stopping": True,
        "skip_fusion": False,
    }


def test_the_axes_build_generators_that_stop_and_fusers_that_skip_with_the_space_s_extractor():
    space = SearchSpace(models=["m"], extractor="last_number", stop_when=StopWhen(rule="window", window=2))

    arch = space.build({**POINT, "adaptive_stopping": True, "skip_fusion": True})

    assert arch.layers[0][0].stop_when == StopWhen(rule="window", window=2, extractor="last_number")
    assert arch.layers[-1][0].skip_when_agree == SkipWhenAgree(extractor="last_number")
    assert describe({**POINT, "adaptive_stopping": True, "skip_fusion": True}) == (
        "1m x 5s @0.7 adaptive -> 1 fuse, skip if agreed"
    )


def test_each_setting_of_the_axes_is_an_architecture_of_its_own():
    space = SearchSpace(models=["m"], samples=[3], adaptive_stopping=[False, True], skip_fusion=[False, True])
    built = []
    for point in space.points():
        with contextlib.suppress(Infeasible):
            built.append(config_hash(space.build(point)))

    assert len(built) == len(set(built)) and len(built) == 4 * len(SearchSpace(models=["m"], samples=[3]).points())
