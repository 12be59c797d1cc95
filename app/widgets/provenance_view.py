"""A fused answer with each sentence in the colour of the candidate it came from, a legend and the shares."""

from __future__ import annotations

import streamlit as st

from archon_engine.explain import fusion_provenance, novel_share, source_shares

COLOURS = ("blue", "green", "orange", "violet", "red", "gray")


def _escaped(text: str) -> str:
    """Text safe inside a Streamlit colour directive (its brackets close the directive)."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


def fusion_view(fused: str, inputs: dict[str, str]) -> None:
    """``fused`` sentence by sentence, highlighted by source (``inputs``: candidate id -> text); new ones marked."""
    segments = fusion_provenance(fused, inputs)
    if not segments:
        st.markdown("*(empty)*")
        return
    colours = {cid: COLOURS[i % len(COLOURS)] for i, cid in enumerate(inputs)}
    pieces = []
    for segment in segments:
        if segment.best is None:
            pieces.append(f"🆕 *{_escaped(segment.text)}*")
        else:
            pieces.append(f":{colours[segment.best]}-background[{_escaped(segment.text)}]")
    st.markdown(" ".join(pieces))
    shares = source_shares(segments)
    legend = [f":{colours[cid]}-badge[{cid} · {shares.get(cid, 0.0):.0%}]" for cid in inputs]
    legend.append(f"🆕 new · {novel_share(segments):.0%}")
    st.markdown("**Where it came from:** " + " ".join(legend))
    st.caption("Matched by shared words and word pairs: a paraphrase shows as new, a negation as copied.")
