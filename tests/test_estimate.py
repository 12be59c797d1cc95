"""estimate(): calls, critical path and an upper bound on the cost of one query."""

import pytest

from archon_engine import estimate, load_config
from archon_engine.models import prices


def estimate_of(*layers, **options):
    return estimate(load_config({"layers": list(layers)}), **options)


def gpt_4o_price():
    per_token = prices.price("gpt-4o")
    assert per_token is not None, "gpt-4o has no price: is litellm (and its price table) installed?"
    return per_token


# Calls and critical path


def test_ten_samples_then_ranker_critic_fuser_is_13_calls_4_deep():
    est = estimate_of(
        [{"type": "generator", "samples": 10}],
        [{"type": "ranker"}],
        [{"type": "critic"}],
        [{"type": "fuser"}],
    )

    assert est.calls == 13
    assert est.critical_path_calls == 4
    assert est.calls_per_layer == [10, 1, 1, 1]


def test_generators_in_one_layer_run_side_by_side():
    est = estimate_of([{"type": "generator", "samples": 3}, {"type": "generator", "samples": 2}], [{"type": "fuser"}])

    assert est.calls == 6
    assert est.critical_path_calls == 2


def test_a_verifier_makes_two_calls_per_candidate_one_after_the_other():
    est = estimate_of([{"type": "generator", "samples": 4}], [{"type": "verifier"}])

    assert est.calls_per_layer == [4, 8]
    assert est.critical_path_calls == 1 + 2


def test_a_unit_test_evaluator_makes_one_call_per_candidate():
    est = estimate_of(
        [{"type": "generator", "samples": 4}],
        [{"type": "unit_test_generator"}],
        [{"type": "unit_test_evaluator"}],
    )

    assert est.calls_per_layer == [4, 1, 4]
    assert est.critical_path_calls == 3


def test_a_ranker_top_k_limits_the_candidates_later_per_candidate_components_see():
    est = estimate_of(
        [{"type": "generator", "samples": 10}],
        [{"type": "ranker", "top_k": 3}],
        [{"type": "verifier"}],
        [{"type": "unit_test_evaluator"}],
    )

    assert est.calls_per_layer == [10, 1, 2 * 3, 3]


def test_a_fuser_replaces_the_candidates_with_its_samples():
    est = estimate_of(
        [{"type": "generator", "samples": 10}],
        [{"type": "fuser", "samples": 2}],
        [{"type": "verifier"}],
    )

    assert est.calls_per_layer == [10, 2, 2 * 2]


# Cost


def test_local_models_cost_nothing():
    est = estimate_of(
        [{"type": "generator", "model": "local/smollm2-135m", "samples": 3}],
        [{"type": "fuser", "model": "local/smollm2-135m"}],
    )

    assert est.max_cost_usd == 0.0
    assert est.unknown_price_models == []


def test_a_model_missing_from_the_price_table_makes_the_cost_unknown():
    est = estimate_of(
        [{"type": "generator", "model": "together_ai/not-a-real-model-xyz", "samples": 3}],
        [{"type": "fuser", "model": "local/smollm2-135m"}],
    )

    assert est.max_cost_usd is None
    assert est.unknown_price_models == ["together_ai/not-a-real-model-xyz"]
    assert est.calls == 4


def test_a_priced_model_costs_its_prompt_and_max_tokens_per_call():
    input_price, output_price = gpt_4o_price()
    query, out = 500, 100

    est = estimate_of(
        [{"type": "generator", "model": "gpt-4o", "samples": 2, "max_tokens": out}],
        [{"type": "fuser", "model": "gpt-4o", "max_tokens": out}],
        query_tokens=query,
    )

    generators = 2 * (query * input_price + out * output_price)
    fuser = (query + 2 * out) * input_price + out * output_price  # reads both candidates at full length
    assert est.max_cost_usd > 0
    assert est.max_cost_usd == pytest.approx(generators + fuser)


def test_the_cost_bound_grows_with_max_tokens():
    gpt_4o_price()

    def bound(max_tokens):
        return estimate_of(
            [{"type": "generator", "model": "gpt-4o", "samples": 2, "max_tokens": max_tokens}],
            [{"type": "fuser", "model": "gpt-4o", "max_tokens": max_tokens}],
        ).max_cost_usd

    assert 0 < bound(100) < bound(1000) < bound(4000)


def test_the_cost_bound_counts_the_critiques_a_fuser_reads():
    """The fuser's prompt holds the critic's critiques (prompts.fuser_messages), so a longer critique
    raises the bound by the critic's own extra output and by the fuser reading it."""
    input_price, output_price = gpt_4o_price()

    def bound(critic_tokens):
        return estimate_of(
            [{"type": "generator", "model": "gpt-4o", "samples": 3, "max_tokens": 100}],
            [{"type": "critic", "model": "gpt-4o", "max_tokens": critic_tokens}],
            [{"type": "fuser", "model": "gpt-4o", "max_tokens": 100}],
        ).max_cost_usd

    extra = 1000
    critic_writes_more = extra * output_price
    fuser_reads_more = extra * input_price
    assert bound(100 + extra) - bound(100) >= (critic_writes_more + fuser_reads_more) * (1 - 1e-9)


# Adaptive components: the maximum, the minimum and the expected calls


def test_stop_when_keeps_the_maximum_and_adds_the_minimum_and_the_expected_calls():
    est = estimate_of([{"type": "generator", "samples": 8, "stop_when": True}], [{"type": "majority_vote"}])

    assert est.calls == 8 and est.calls_per_layer == [8, 0]  # the maximum stays the headline figure
    assert est.min_calls == 4  # the rule (beta, 0.95) cannot be met before 4 agreeing samples
    assert est.expected_calls == pytest.approx(4 * 0.8**4 + 8 * (1 - 0.8**4), abs=0.01)
    assert est.assumed_agreement == 0.8
    assert est.critical_path_calls == 3  # waves of 4, 2 and 2, one after another


def test_a_window_rule_can_stop_after_its_window():
    est = estimate_of([{"type": "generator", "samples": 8, "stop_when": {"rule": "window", "window": 3}}])

    assert est.min_calls == 3 and 3 < est.expected_calls < 8


def test_skip_fusion_can_save_the_fuser_s_calls():
    est = estimate_of([{"type": "generator", "samples": 3}], [{"type": "fuser", "samples": 2, "skip_when_agree": True}])

    assert est.calls == 5 and est.min_calls == 3
    assert est.expected_calls == pytest.approx(3 + 2 * (1 - 0.8**3), abs=0.01)


def test_an_architecture_without_adaptive_components_claims_no_range():
    est = estimate_of([{"type": "generator", "samples": 5}], [{"type": "majority_vote"}])

    assert est.min_calls is None and est.expected_calls is None
