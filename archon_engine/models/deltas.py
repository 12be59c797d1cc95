"""A call's text as it streams, with every known secret redacted before any of it is passed on.

A key can arrive split over two pieces, so the end of the text received that could be the start of a
secret is held back until the next piece (or the end) shows whether it is one. The pieces passed on join
to the redacted whole text, which is what the call's record keeps as its raw response.
"""

from __future__ import annotations

from archon_engine.models import keys


class RedactedStream:
    """Takes the pieces of one attempt's text (``feed``) and gives what may be shown of them now."""

    def __init__(self) -> None:
        self.received: list[str] = []  # every piece as it came, unredacted: the text so far is their join
        self._held = ""  # redacted text not passed on yet: it may be the start of a secret
        self.closed = False  # the attempt has ended: pieces that still arrive (a cancelled call's) are dropped

    @property
    def text(self) -> str:
        """The text received so far, redacted (for the record of a stream cut in the middle)."""
        return keys.redact("".join(self.received))

    def feed(self, piece: str) -> str:
        """Take one piece; return the text that can be passed on now ("" when all of it is held back)."""
        if self.closed:
            return ""
        self.received.append(piece)
        pending = keys.redact(self._held + piece)
        hold = _secret_start(pending, keys.secret_values())
        self._held = pending[len(pending) - hold :] if hold else ""
        return pending[: len(pending) - hold]

    def close(self, text: str | None = None) -> str:
        """End the attempt; return what is still to pass on. ``text``, the reply's whole text, supplies what
        the backend did not stream (all of it, from one that cannot stream)."""
        received = "".join(self.received)
        rest = self.feed(text[len(received) :]) if text and text.startswith(received) else ""
        self.closed = True
        rest, self._held = rest + self._held, ""
        return rest


def _secret_start(text: str, secrets: list[str]) -> int:
    """The length of the longest end of ``text`` that is the start (not the whole) of a secret."""
    longest = 0
    for secret in secrets:
        for size in range(min(len(secret) - 1, len(text)), longest, -1):
            if text.endswith(secret[:size]):
                longest = size
                break
    return longest
