"""``run --stream``'s printer: one call's tokens live, the layer's other texts whole after it, never interleaved."""

import io

from archon_engine.execution import RunEvent
from archon_engine.models.base import ModelRequest
from archon_engine.stream_print import LastLayerPrinter
from archon_engine.trace import CallRecord


def record(number: int, *, layer: int = 1, retries: int = 0, error: str | None = None) -> CallRecord:
    return CallRecord(
        id=f"call-{number}",
        layer=layer,
        component=f"L{layer}.C0",
        component_type="fuser",
        role="fuse",
        model="m",
        messages=[],
        retries=retries,
        error=error,
    )


def delta(number: int, text: str, **fields) -> RunEvent:
    request = ModelRequest(model="m", messages=[], metadata={"sample": number - 1})
    return RunEvent.text_delta(record(number, **fields), request, text)


def finished(number: int, **fields) -> RunEvent:
    call = record(number, **fields)
    return RunEvent(kind="call_finished", layer=call.layer, call=call)


def printed(*events: RunEvent) -> str:
    out = io.StringIO()
    printer = LastLayerPrinter(1, out)
    for event in events:
        printer(event)
    return out.getvalue()


def test_the_first_call_prints_live_and_the_others_follow_whole():
    out = printed(
        delta(1, "Par"),
        delta(2, "Ro"),
        delta(1, "is"),
        delta(2, "me"),
        finished(2),
        delta(3, "Be"),
        finished(1),
        delta(3, "rlin"),
        finished(3),
    )
    assert out == "--- L1.C0.s0 ---\nParis\n\n--- L1.C0.s1 ---\nRome\n\n--- L1.C0.s2 ---\nBerlin\n\n"


def test_other_layers_are_not_printed():
    assert printed(delta(1, "early", layer=0), finished(1, layer=0)) == ""


def test_a_retry_says_so_and_a_failure_is_named():
    out = printed(delta(1, "Pa"), delta(1, "Paris", retries=1), finished(1, retries=1))
    assert out == "--- L1.C0.s0 ---\nPa\n[retry 1: the text starts anew]\nParis\n\n"
    out = printed(delta(1, "Pa"), finished(1, error="ModelError: cut"))
    assert out == "--- L1.C0.s0 ---\nPa\n[failed: ModelError: cut]\n\n"
