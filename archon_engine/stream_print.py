"""``run --stream``: the last layer's text printed as its tokens arrive.

One call's text goes out live, under a header naming the candidate it writes; the texts of the layer's other
calls (several samples or fusers at once) are held and printed whole after it, so that none interleave. A
retried call's text starts anew, after a note saying so.
"""

from __future__ import annotations

from typing import TextIO

from archon_engine.execution import RunEvent


class LastLayerPrinter:
    """A run's ``on_event`` listener that prints the text the calls of layer ``layer`` write."""

    def __init__(self, layer: int, out: TextIO):
        self.layer = layer
        self.out = out
        self._live: str | None = None  # the call whose tokens go out as they come
        self._texts: dict[str, str] = {}  # held text per call, in the order the calls began
        self._names: dict[str, str] = {}
        self._attempts: dict[str, int] = {}
        self._finished: set[str] = set()

    def __call__(self, event: RunEvent) -> None:
        if event.layer != self.layer:
            return
        if event.kind == "text_delta" and event.call_id is not None:
            self._delta(event.call_id, event)
        elif event.kind == "call_finished" and event.call is not None and event.call.id in self._texts:
            call = event.call
            self._finished.add(call.id)
            failed = f"\n[failed: {call.error}]" if call.error is not None else ""
            if call.id == self._live:
                self._write(failed + "\n\n")
                del self._texts[call.id]
                self._live = None
                self._next()
            else:
                self._texts[call.id] += failed

    def _delta(self, call_id: str, event: RunEvent) -> None:
        retried = call_id in self._attempts and self._attempts[call_id] != event.attempt
        self._attempts[call_id] = event.attempt
        self._names.setdefault(call_id, event.candidate or f"{event.component} ({call_id})")
        if retried:
            self._texts[call_id] = ""
            if call_id == self._live:
                self._write(f"\n[retry {event.attempt}: the text starts anew]\n")
        self._texts[call_id] = self._texts.get(call_id, "") + (event.delta or "")
        if self._live is None:
            self._start(call_id)
        elif call_id == self._live:
            self._write(event.delta or "")

    def _start(self, call_id: str) -> None:
        """Print the call's header and what it has written so far; its next tokens follow live."""
        self._live = call_id
        self._write(f"--- {self._names[call_id]} ---\n{self._texts[call_id]}")

    def _next(self) -> None:
        """After the live call: the finished held texts whole, then the first call still writing, live."""
        for call_id in list(self._texts):
            if call_id in self._finished:
                self._write(f"--- {self._names[call_id]} ---\n{self._texts.pop(call_id)}\n\n")
        writing = next(iter(self._texts), None)
        if writing is not None:
            self._start(writing)

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
