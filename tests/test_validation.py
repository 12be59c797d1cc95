"""validate(): errors stop a run; warnings cite the Archon paper's layer rules; findings locate the component."""

from archon_engine import Finding, load_config, validate

RULE = "Archon layer rule"


def findings(config, severity=None):
    found = validate(load_config(config))
    return [f for f in found if severity is None or f.severity == severity]


def messages(config, severity):
    return [f.message for f in findings(config, severity)]


# A clean architecture


def test_generator_critic_ranker_fuser_has_no_findings():
    config = {
        "layers": [
            [{"type": "generator", "samples": 5}],
            [{"type": "critic"}],
            [{"type": "ranker", "top_k": 3}],
            [{"type": "fuser"}],
        ]
    }

    assert validate(load_config(config)) == []


# Errors: the architecture cannot run


def test_no_layers_is_an_error():
    assert messages({"layers": []}, "error") == ["the architecture has no layers"]


def test_an_empty_layer_is_an_error_naming_the_layer():
    [error] = findings({"layers": [[{"type": "generator"}], []]}, "error")

    assert error.message == "the layer is empty"
    assert error.layer == 1


def test_an_unknown_component_type_is_an_error_listing_the_known_types():
    [error] = findings({"layers": [[{"type": "generator"}], [{"type": "wizard"}]]}, "error")

    assert "unknown component type 'wizard'" in error.message
    for known in ("generator", "fuser", "ranker", "critic", "verifier", "unit_test_generator", "unit_test_evaluator"):
        assert known in error.message


def test_a_fuser_in_the_first_layer_has_no_candidates_to_fuse():
    [error] = findings({"layers": [[{"type": "fuser"}]]}, "error")

    assert "needs candidates" in error.message
    assert error.component == "L0.C0"


def test_a_ranker_first_has_no_candidates_to_rank():
    errors = messages({"layers": [[{"type": "ranker"}], [{"type": "fuser"}]]}, "error")

    assert any("a ranker needs candidates" in m for m in errors)


def test_top_k_zero_is_an_error():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "ranker", "top_k": 0}]]}

    assert messages(config, "error") == ["top_k must be at least 1, got 0"]


def test_samples_zero_is_an_error():
    config = {"layers": [[{"type": "generator", "samples": 0}]]}

    assert "samples must be at least 1, got 0" in messages(config, "error")


def test_more_candidates_than_one_prompt_can_hold_is_an_error_naming_the_reader():
    too_many = {"layers": [[{"type": "generator", "samples": 10_000}], [{"type": "fuser"}]]}
    as_many_as_the_public_configs = {"layers": [[{"type": "generator", "samples": 90}], [{"type": "fuser"}]]}
    checked_one_by_one = {"layers": [[{"type": "generator", "samples": 1000}], [{"type": "verifier", "top_k": 1}]]}

    (error,) = findings(too_many, "error")
    assert error.component == "L1.C0" and "10,000 candidates reach this fuser" in error.message
    assert findings(as_many_as_the_public_configs, "error") == []
    assert findings(checked_one_by_one, "error") == []


# Warnings: departures from the paper's layer rules, each citing the rule


def rule_warnings(config):
    return [m for m in messages(config, "warning") if RULE in m]


def test_a_generator_after_the_first_layer_cites_the_rule():
    config = {"layers": [[{"type": "generator"}], [{"type": "generator"}]]}

    [warning] = rule_warnings(config)

    assert "generators belong in the first layer only" in warning


def test_mixed_component_types_in_one_layer_cite_the_rule():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser"}, {"type": "ranker"}]]}

    warnings = rule_warnings(config)

    assert any("mixes fuser, ranker" in w and "a layer holds one component type" in w for w in warnings)


def test_several_fusers_may_share_a_layer():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser"}, {"type": "fuser"}]]}

    assert messages(config, "warning") == []


def test_a_ranker_sharing_its_layer_cites_the_rule():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser"}, {"type": "ranker"}]]}

    ranker = [f for f in findings(config, "warning") if f.component == "L1.C1"]

    assert len(ranker) == 1
    assert "a ranker shares its layer" in ranker[0].message
    assert RULE in ranker[0].message


def test_a_critic_not_followed_by_a_ranker_or_fuser_cites_the_rule():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "critic"}]]}

    [warning] = rule_warnings(config)

    assert "a critic comes before a ranker or fuser" in warning


def test_a_unit_test_generator_without_an_evaluator_cites_the_rule():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "unit_test_generator"}], [{"type": "fuser"}]]}

    [warning] = rule_warnings(config)

    assert "the unit-test generator is followed by a unit-test evaluator" in warning


def test_a_unit_test_generator_followed_by_its_evaluator_is_fine():
    config = {
        "layers": [
            [{"type": "generator", "samples": 3}],
            [{"type": "unit_test_generator"}],
            [{"type": "unit_test_evaluator"}],
        ]
    }

    assert messages(config, "warning") == []


def test_an_unknown_field_is_a_warning_not_an_error():
    config = {"layers": [[{"type": "generator", "checkpoint": "x"}]]}

    assert messages(config, "error") == []
    assert messages(config, "warning") == ["field 'checkpoint' is not used by this engine (kept for export)"]


# Findings


def test_findings_are_sorted_errors_first_then_warnings_then_info():
    config = {
        "layers": [
            [{"type": "generator", "samples": 3, "checkpoint": "x"}],  # warning in layer 0
            [{"type": "ranker", "top_k": 0}],  # error in layer 1
            [{"type": "fuser", "samples": 2}],  # info: only the first of two candidates is the answer
        ]
    }

    severities = [f.severity for f in validate(load_config(config))]

    assert severities == ["error", "warning", "info"]


def test_a_finding_names_its_layer_and_component():
    config = {"layers": [[{"type": "generator", "samples": 3}], [{"type": "ranker", "top_k": 0}]]}

    [error] = findings(config, "error")

    assert isinstance(error, Finding)
    assert error.layer == 1
    assert error.component == "L1.C0"
    assert str(error) == "error: L1.C0: top_k must be at least 1, got 0"
