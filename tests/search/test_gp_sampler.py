"""The Gaussian-process sampler: it proposes the most promising point not evaluated yet, never a repeat."""

import optuna
import pytest

from archon_engine.search.gp_sampler import NOT_APPLICABLE, FiniteGPSampler, features

CHOICES = {"samples": [1, 3, 5], "aggregation": ["fuser", "ranker"], "fusion_layers": [1, 2], "temperature": [0.7]}


def test_a_point_becomes_numbers_of_the_same_length_whatever_axes_it_has():
    fusing = features(CHOICES, {"samples": 3, "aggregation": "fuser", "fusion_layers": 2})
    ranking = features(CHOICES, {"samples": 5, "aggregation": "ranker"})  # fusion_layers does not apply

    assert fusing == [0.5, 1.0, 0.0, 1.0]  # samples between 1 and 5; one-hot aggregation; layers between 1 and 2
    assert ranking == [1.0, 0.0, 1.0, NOT_APPLICABLE]  # an axis with one value (temperature) is left out


def line_study(direction: str, seed: int) -> optuna.Study:
    """A study over x = 0..40, each point its own architecture."""
    xs = list(range(41))
    sampler = FiniteGPSampler([({"x": x}, f"x{x}") for x in xs], {"x": xs}, seed=seed)
    return optuna.create_study(sampler=sampler, direction=direction)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
@pytest.mark.parametrize("seed", range(4))
def test_it_finds_the_top_of_a_smooth_function_in_far_fewer_trials_than_points(direction, seed):
    study = line_study(direction, seed)
    sign = 1 if direction == "maximize" else -1
    proposed = []

    def objective(trial):
        x = trial.suggest_categorical("x", list(range(41)))
        proposed.append(x)
        return sign * -((x - 29) ** 2)

    study.optimize(objective, n_trials=12)

    assert 29 in proposed  # random search finds one point of 41 within 12 trials 29 % of the time
    assert len(set(proposed)) == len(proposed)  # no repeat


def test_a_point_another_worker_is_evaluating_is_left_to_it():
    study = line_study("maximize", 0)
    first = study.ask()  # a worker's trial, still running
    x = first.suggest_categorical("x", list(range(41)))

    second = study.ask()

    assert second.suggest_categorical("x", list(range(41))) != x


def test_points_giving_the_same_thing_are_proposed_once():
    points = [({"x": 0}, "same"), ({"x": 1}, "same"), ({"x": 2}, "other")]
    study = optuna.create_study(sampler=FiniteGPSampler(points, {"x": [0, 1, 2]}), direction="maximize")

    study.optimize(lambda t: t.suggest_categorical("x", [0, 1, 2]), n_trials=2)

    assert sorted(t.params["x"] for t in study.trials) == [0, 2]  # 1 gives what 0 gave


def test_enqueued_params_are_kept():
    study = line_study("maximize", 0)
    study.enqueue_trial({"x": 7})

    study.optimize(lambda t: t.suggest_categorical("x", list(range(41))), n_trials=1)

    assert study.trials[0].params == {"x": 7}
