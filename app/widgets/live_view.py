"""What a running layer shows of its texts: a card per call that writes one (a generator's or fuser's candidate,
a verifier's reasoning), its text growing as the tokens arrive, then the finished text with its call's facts."""

from __future__ import annotations

import streamlit as st

from app.jobs.run import LiveText, RunView
from app.widgets.formatting import call_facts, grid, text_box
from archon_engine.config import ComponentSpec
from archon_engine.trace import CallRecord

WRITERS = {"generate": "writes", "fuse": "fuses", "verify_reasoning": "reasons on"}  # roles whose text streams
CURSOR = "▍"


def live_outputs(view: RunView, index: int, specs: dict[str, ComponentSpec]) -> None:
    """The layer's texts so far, in the order their calls started: finished ones whole, running ones growing."""
    finished: list[CallRecord | LiveText] = [
        c for c in view.calls_of(index) if c.role in WRITERS and c.raw_response is not None
    ]
    cards = sorted([*finished, *view.writing_in(index)], key=_call_number)
    for column, card in grid(cards):
        with column, st.container(border=True):
            if isinstance(card, LiveText):
                _writing_card(card)
            else:
                st.markdown(f"**{card.component}** &nbsp; :gray[{card.id}]")
                st.caption(call_facts(card, specs))
                text_box(card.raw_response or "")


def _writing_card(live: LiveText) -> None:
    """A call still writing: whose text it is, and what has arrived of it."""
    subject = f" {live.candidate}" if live.candidate else ""
    st.markdown(f"**{live.component}** {WRITERS.get(live.role, 'writes')}{subject} &nbsp; :gray[{live.call_id}]")
    retry = f" · retry {live.attempt} (the text starts anew)" if live.attempt else ""
    st.caption(f":material/progress_activity: writing… {len(live.text):,} characters so far{retry}")
    text_box(live.text + CURSOR)


def _call_number(card: CallRecord | LiveText) -> int:
    """``call-7`` -> 7: calls are numbered as they start."""
    call_id = card.call_id if isinstance(card, LiveText) else card.id
    number = call_id.rsplit("-", 1)[-1]
    return int(number) if number.isdigit() else 0
