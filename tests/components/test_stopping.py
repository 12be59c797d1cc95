"""Adaptive stopping: the rules on scripted answers, and a generator with stop_when on a fake model."""

import asyncio

import pytest

from archon_engine import FakeModel, load_config, run, validate
from archon_engine.archon_format import from_archon, to_archon
from archon_engine.components import stopping
from archon_engine.config import ConfigError, StopWhen
from archon_engine.trace import CallRecord

PROMPT = "What is 6 times 7?"


def scripted(answers: list[str | None]):
    """A ``draw`` that replies with answers[i] for sample i (None: a failed call), counting the calls."""
    drawn: list[int] = []

    async def draw(i: int) -> CallRecord:
        drawn.append(i)
        text = answers[i]
        return CallRecord(
            id=f"c{i}",
            layer=0,
            component="L0.C0",
            component_type="generator",
            role="generate",
            model="fake",
            messages=[],
            raw_response=text,
            error=None if text is not None else "failed",
        )

    return draw, drawn


def sample(stop: StopWhen, answers: list[str | None]):
    draw, drawn = scripted(answers)
    records, sampling = asyncio.run(stopping.sample_in_waves(stop, len(answers), draw))
    assert len(records) == len(drawn) == sampling.drawn
    return sampling, drawn


# The Beta criterion


def test_the_beta_confidence_is_the_beta_tail_above_one_half():
    assert stopping.beta_confidence(1, 0) == pytest.approx(0.75)  # Beta(2, 1): 1 - 0.5**2
    assert stopping.beta_confidence(4, 0) == pytest.approx(1 - 0.5**5)
    assert stopping.beta_confidence(2, 2) == pytest.approx(0.5)  # a tie decides nothing
    assert stopping.beta_confidence(6, 1) > 0.95 > stopping.beta_confidence(5, 1)


@pytest.mark.parametrize("rule", ["beta", "window"])
def test_when_all_samples_agree_sampling_stops_at_the_rule_s_minimum(rule):
    stop = StopWhen(rule=rule, extractor="last_number")
    sampling, drawn = sample(stop, ["The answer is 42."] * 8)

    minimum = 4 if rule == "beta" else 3  # 1 - 2**-5 >= 0.95 > 1 - 2**-4; a window of 3
    assert drawn == list(range(minimum)) and sampling.drawn == minimum
    assert sampling.rule_met and sampling.saved == 8 - minimum
    assert sampling.waves == [minimum]
    assert "stopped after" in sampling.reason and "'42'" in sampling.reason


def test_min_samples_holds_sampling_back_even_when_the_answers_agree():
    sampling, _ = sample(StopWhen(min_samples=6, extractor="last_number"), ["42"] * 8)

    assert sampling.drawn == 6 and sampling.rule_met


@pytest.mark.parametrize("rule", ["beta", "window"])
def test_when_all_samples_differ_every_sample_is_drawn(rule):
    sampling, drawn = sample(StopWhen(rule=rule, extractor="last_number"), [f"{n}" for n in range(8)])

    assert drawn == list(range(8)) and sampling.drawn == 8 and sampling.saved == 0
    assert not sampling.rule_met
    assert sampling.reason.startswith("drew all 8 samples: the rule was not met")


def test_a_late_majority_stops_once_it_is_decided():
    answers = ["1", "2", "3", "4", "7", "7", "7", "7", "7", "7", "7", "7", "9", "9"]

    sampling, _ = sample(StopWhen(extractor="last_number"), answers)

    # waves end at 4, 6, 8, 10, 12: after 10 samples '7' leads 6 to 1, P = 0.965 >= 0.95 (after 8: 4 to 1, 0.89)
    assert sampling.waves == [4, 2, 2, 2] and sampling.drawn == 10
    assert sampling.figure == pytest.approx(stopping.beta_confidence(6, 1))
    assert "'7'" in sampling.reason


def test_the_window_needs_equal_answers_in_a_row_and_a_failed_sample_breaks_the_run():
    stop = StopWhen(rule="window", window=3, wave=1, extractor="last_number")

    sampling, _ = sample(stop, ["5", "5", None, "5", "5", "5", "8", "8"])

    assert sampling.drawn == 6 and sampling.figure == 3
    assert sampling.answers == ["5", "5", None, "5", "5", "5"]


def test_checkpoints_start_where_the_rule_can_first_be_met_and_end_at_the_maximum():
    assert stopping.checkpoints(StopWhen(), 8) == [4, 6, 8]
    assert stopping.checkpoints(StopWhen(rule="window", window=3, wave=2), 8) == [3, 5, 7, 8]
    assert stopping.checkpoints(StopWhen(), 3) == [3]


def test_expected_samples_lie_between_the_minimum_and_the_maximum_and_fall_as_agreement_rises():
    stop = StopWhen()
    unanimous, likely, unlikely = (stopping.expected_samples(stop, 8, q) for q in (1.0, 0.8, 0.3))

    assert unanimous == pytest.approx(4)
    assert 4 < likely < unlikely <= 8
    # at 0.95 a stop needs 4 of 4, 6 of 6 (already stopped at 4) or 7 against 1 (past 6): 4 with 0.8**4, else 8
    assert likely == pytest.approx(4 * 0.8**4 + 8 * (1 - 0.8**4))


# A generator with stop_when


def generator(samples=8, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, "seed": 0, **settings}


def test_a_generator_with_stop_when_makes_only_the_calls_it_needs():
    fake = FakeModel({"generate": ["The answer is 42."]})
    arch = {"layers": [[generator(stop_when={"extractor": "last_number"})], [{"type": "majority_vote"}]]}

    result = run(arch, PROMPT, backend=fake)

    assert len(fake.requests) == result.usage.calls == 4
    assert [r.seed for r in fake.requests] == [0, 1, 2, 3]  # the fixed run's first four samples
    sampling = result.layers[0].outputs[0].sampling
    assert sampling.drawn == 4 and sampling.maximum == 8 and sampling.saved == 4 and sampling.rule_met
    assert [c.id for c in result.layers[0].candidates] == [f"L0.C0.s{i}" for i in range(4)]
    assert result.answer == "The answer is 42."


def test_a_generator_with_stop_when_draws_the_maximum_when_the_answers_never_settle():
    fake = FakeModel()  # "Answer <n> from <model>": every answer differs

    result = run({"layers": [[generator(stop_when={"rule": "window"})]]}, PROMPT, backend=fake)

    assert len(fake.requests) == 8
    sampling = result.layers[0].outputs[0].sampling
    assert sampling.drawn == 8 and not sampling.rule_met and sampling.waves == [3, 2, 2, 1]


def test_waves_run_their_samples_in_parallel_and_one_after_another():
    fake = FakeModel({"generate": ["7"]}, latency=0.05)

    run({"layers": [[generator(samples=8, stop_when={"min_samples": 6, "wave": 3})]]}, PROMPT, backend=fake)

    assert len(fake.requests) == 6 and fake.max_in_flight == 6  # one wave of 6, all at once


def test_seeded_adaptive_runs_repeat():
    def by_seed(request):
        return "42" if request.seed % 3 else "41"

    arch = {"layers": [[generator(stop_when={"extractor": "last_number"})]]}
    first, second = (run(arch, PROMPT, backend=FakeModel({"generate": [by_seed]})) for _ in range(2))

    assert first.layers[0].outputs[0].sampling == second.layers[0].outputs[0].sampling
    assert [c.text for c in first.layers[0].candidates] == [c.text for c in second.layers[0].candidates]


def test_without_stop_when_a_generator_records_no_sampling():
    result = run({"layers": [[generator(samples=3)]]}, PROMPT, backend=FakeModel())

    assert result.layers[0].outputs[0].sampling is None and result.usage.calls == 3


# Settings


@pytest.mark.parametrize(
    ("stop_when", "field"),
    [
        ({"threshold": 1.5}, "stop_when.threshold"),
        ({"rule": "vote"}, "stop_when.rule"),
        ({"window": 1}, "stop_when.window"),
        ({"wave": 0}, "stop_when.wave"),
        ({"treshold": 0.9}, "stop_when.treshold"),
        ("often", "stop_when"),
    ],
)
def test_a_bad_stop_when_gets_a_message_naming_the_field(stop_when, field):
    with pytest.raises(ConfigError, match=rf"layers\[0\]\[0\]\.{field}"):
        load_config({"layers": [[generator(stop_when=stop_when)]]})


def test_an_unknown_extractor_or_a_maximum_it_cannot_save_on_is_reported_by_validate():
    findings = validate(load_config({"layers": [[generator(samples=3, stop_when={"extractor": "nope"})]]}))
    messages = [(f.severity, f.message) for f in findings if f.component == "L0.C0"]

    assert any(s == "error" and m.startswith("stop_when: unknown extractor 'nope'") for s, m in messages)
    assert any(s == "warning" and "never saves a call" in m for s, m in messages)


def test_true_turns_stop_when_on_with_its_defaults_and_the_json_reads_it_back():
    arch = load_config({"layers": [[generator(stop_when=True)]]})

    assert arch.layers[0][0].stop_when == StopWhen()
    assert arch.to_dict()["layers"][0][0]["stop_when"] is True
    assert load_config(arch.to_dict()) == arch


def test_an_architecture_without_stop_when_dumps_as_before():
    dumped = load_config({"layers": [[generator()]]}).model_dump(mode="json")

    assert "stop_when" not in dumped["layers"][0][0] and "skip_when_agree" not in dumped["layers"][0][0]


def test_stop_when_round_trips_through_archon_json():
    arch = load_config(
        {"layers": [[generator(stop_when={"rule": "window", "window": 4})], [{"type": "majority_vote"}]]}
    )

    back = load_config(from_archon(to_archon(arch)))

    assert back.layers[0][0].stop_when == StopWhen(rule="window", window=4)
