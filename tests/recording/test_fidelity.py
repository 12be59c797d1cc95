"""Comparing a replay with its recording: nothing but timing may differ, and each difference is named."""

from archon_engine.recording.fidelity import differences, timings


def test_the_same_run_has_no_differences_whatever_its_timing(recorded_run):
    recorded = recorded_run()
    slower = recorded.model_copy(deep=True)
    for call in slower.trace.calls:
        call.end_s += 1.0

    assert differences(recorded, slower) == []
    assert all(t.replayed_s == t.recorded_s + 1.0 for t in timings(recorded, slower))


def test_a_changed_answer_reply_or_missing_call_is_named(recorded_run):
    recorded = recorded_run()
    changed = recorded.model_copy(deep=True)
    changed.answer = "Kyoto"
    changed.trace.calls[1].raw_response = "something else"
    changed.trace.calls[1].completion_tokens += 1
    del changed.trace.calls[7]

    found = differences(recorded, changed)

    assert "answer: 'Fused answer 8 from local/smollm2-135m' recorded, 'Kyoto' replayed" in found
    assert "calls: 8 recorded, 7 replayed" in found
    assert f"{recorded.trace.calls[1].id}: raw_response, completion_tokens differ" in found
    assert f"{recorded.trace.calls[7].id}: not replayed" in found
