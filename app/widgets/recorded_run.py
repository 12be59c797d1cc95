"""Watch a recorded run: pick a shipped recording or upload one, choose the speed, and it plays in the Run
page's inspector through the engine with the recording in place of the model (no model, key or network).

The Run page owns the job; this module draws the entry, loads what was picked (a bad file becomes one message
in the entry) and says, above the results, what is being replayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from archon_engine.recording import SPEEDS, Recording, RecordingError, load_recording, mismatch, shipped_recordings
from archon_engine.recording.backend import ReplayBackend

SOURCE_KEY, UPLOAD_KEY, SPEED_KEY, STEP_KEY = "replay_source", "replay_upload", "replay_speed", "replay_step"
ERROR_KEY = "replay_error"
UPLOAD = "upload"  # the source that is a file of the user's

ss = st.session_state


@dataclass
class Replaying:
    """What the current run job re-enacts."""

    job: object  # the RunJob playing it
    title: str
    speed: str  # a key of SPEEDS
    recorded_at: str
    backend: ReplayBackend


def entry(on_watch, *, disabled: bool) -> None:
    """The "Watch a recorded run" box: source, speed, step mode and the Watch button (``on_watch``)."""
    error = ss.get(ERROR_KEY)
    with st.expander("Watch a recorded run", icon=":material/movie:", expanded=bool(error)):
        st.caption(
            "A run recorded earlier (with any models) plays here as it happened, in the same inspector: "
            "no model, key or network is needed. Every run in the History downloads as a recording."
        )
        shipped = {r.slug: r.title for r in shipped_recordings()}
        st.selectbox(
            "Recording",
            [*shipped, UPLOAD],
            format_func=lambda slug: "Upload a recording…" if slug == UPLOAD else shipped[slug],
            key=SOURCE_KEY,
        )
        if ss.get(SOURCE_KEY) == UPLOAD:
            st.file_uploader("Recording (JSON)", type=["json"], key=UPLOAD_KEY)
        with st.container(horizontal=True):
            st.radio("Speed", list(SPEEDS), horizontal=True, key=SPEED_KEY, help="1x: the recorded pace")
            st.toggle("Step through", key=STEP_KEY, help="Pause after each layer, as a live run in step mode.")
        st.button("Watch", icon=":material/play_circle:", on_click=on_watch, disabled=disabled, key="replay_watch")
        if error:
            st.error(error, icon="🚫")


def chosen() -> Recording | None:
    """The recording picked in the entry, loaded and checked; None (the reason kept for the entry) if it is bad."""
    ss.pop(ERROR_KEY, None)
    source = ss.get(SOURCE_KEY)
    try:
        if source == UPLOAD:
            upload = ss.get(UPLOAD_KEY)
            if upload is None:
                raise RecordingError("Choose a recording file to upload first.")
            recording = load_recording(upload.getvalue(), name=upload.name)
        else:
            found = {r.slug: r for r in shipped_recordings()}
            if source not in found:
                raise RecordingError("Pick a recording first.")
            recording = load_recording(found[source].path, name=found[source].title)
        _check_single_prompt(recording)
    except RecordingError as exc:
        ss[ERROR_KEY] = str(exc)
        return None
    return recording


def _check_single_prompt(recording: Recording) -> None:
    """The Run page replays a prompt (and a system prompt): a longer conversation replays on the command line."""
    expected = [{"role": "user", "content": recording.prompt}]
    if recording.system is not None:
        expected.insert(0, {"role": "system", "content": recording.system})
    if recording.run.messages != expected:
        raise RecordingError(
            f"This recording is of a conversation of {len(recording.run.messages)} messages; the Run page replays "
            "a single prompt. Replay it with: python -m archon_engine replay FILE"
        )


def _when(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return iso


def banner(replaying: Replaying | None, job) -> None:
    """Above the results of a replay: what plays; once it ended, whether it did not follow its recording."""
    if replaying is None or replaying.job is not job:
        return
    speed = SPEEDS[replaying.speed]
    pace = "at once" if speed == 0 else "at the recorded pace" if speed == 1 else f"at {replaying.speed} speed"
    st.info(
        f"**Replaying “{replaying.title}”** (recorded {_when(replaying.recorded_at)}) {pace}: every reply comes "
        "from the recording, no model is called.",
        icon=":material/movie:",
    )
    if job.view.finished and (problem := mismatch(replaying.backend)):
        st.error(f"The replay does not follow the recording: {problem}", icon="🚫")
