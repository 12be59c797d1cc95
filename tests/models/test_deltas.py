"""A streamed text with its secrets redacted before any piece of it is shown."""

from __future__ import annotations

import pytest

from archon_engine.models.deltas import RedactedStream

SECRET = "sk-deltas-canary-42424242"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("DELTAS_API_KEY", SECRET)


def fed(pieces: list[str], text: str | None = None) -> tuple[list[str], str]:
    stream = RedactedStream()
    shown = [stream.feed(piece) for piece in pieces]
    return [*shown, stream.close(text)], stream.text


def test_text_without_secrets_passes_on_piece_by_piece():
    shown, text = fed(["Hello ", "there"])
    assert shown == ["Hello ", "there", ""] and text == "Hello there"


def test_a_secret_split_over_pieces_is_held_back_then_redacted():
    shown, text = fed(["key: sk-del", "tas-canary-4242", "4242 done"])
    assert shown[0] == "key: " and shown[1] == ""  # the start of the key waits
    assert "".join(shown) == "key: [REDACTED] done" == text


def test_what_looked_like_a_secret_is_passed_on_once_it_is_not_one():
    shown, _ = fed(["a sk-del", "icious b"])
    assert shown == ["a ", "sk-delicious b", ""]


def test_the_end_passes_on_what_was_held_and_what_the_backend_did_not_stream():
    assert fed(["sk-d"])[0] == ["", "sk-d"]
    assert fed(["one "], "one two")[0] == ["one ", "two"]
    assert fed([], "whole text")[0] == ["whole text"]


def test_pieces_after_close_are_dropped():
    stream = RedactedStream()
    stream.close()
    assert stream.feed("late") == "" and stream.received == []
