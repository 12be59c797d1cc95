"""Run: a prompt through the chosen architecture, with live progress and every call to inspect.

The run happens in the background (app.jobs.run); while it goes, a fragment redraws the progress and
the results so far twice a second. Each session keeps its own run in ``st.session_state``.
"""

import streamlit as st

from app import state
from app.jobs.base import BACKEND_KEY, warm_up
from app.jobs.run import RunJob
from app.widgets import model_swap, recorded_run, trace_view, what_if_view
from archon_engine import estimate, validate
from archon_engine.design.presets import slugify
from archon_engine.models import keys
from archon_engine.recording import SPEEDS, record, replay_job_options
from archon_engine.storage.store import StoreError

JOB_KEY = "run_job"
SHOWN_KEY = "run_shown"  # the result this page last took in: a different last run was reopened elsewhere
NOTICE_KEY = "run_notice"
PROMPT_KEY, SYSTEM_KEY = "run_prompt", "run_system"
STEP_KEY = "run_step"
REPLAY_KEY = "run_replaying"  # a recorded_run.Replaying while the job replays a recording
DEFAULT_PROMPT = "What is the capital of Japan? Answer in one sentence."
REFRESH_S = 0.5

ss = st.session_state
for key, default in ((PROMPT_KEY, DEFAULT_PROMPT), (SYSTEM_KEY, "")):
    # widget values vanish when the page is left; keep a copy to restore them
    if key not in ss:
        ss[key] = ss.get(f"_{key}", default)


def _job() -> RunJob | None:
    return ss.get(JOB_KEY)


def _start() -> None:
    """Run-button callback: start a background run of the current architecture."""
    prompt = (ss.get(PROMPT_KEY) or "").strip()
    if not prompt:
        ss[NOTICE_KEY] = "Type a prompt first."
        return
    if (previous := _job()) is not None:
        previous.cancel()  # a double click must not leave a run going unseen
    settings = state.settings()
    try:
        history = state.store()
    except StoreError as exc:
        history, ss[NOTICE_KEY] = None, f"This run will not be saved to the history: {exc}"
    ss.pop(REPLAY_KEY, None)
    ss[JOB_KEY] = RunJob(
        state.architecture(),
        prompt,
        system=(ss.get(SYSTEM_KEY) or "").strip() or None,
        backend=ss.get(BACKEND_KEY),
        api_keys=state.api_keys(),
        limits=settings.limits(),
        budget=settings.budget(),
        store=history,
        step=bool(ss.get(STEP_KEY)),
    ).start()


def _cancel() -> None:
    job = _job()
    if job is not None:
        job.cancel()


def _watch() -> None:
    """Watch-button callback: replay the chosen recording through a run job (kept out of the history)."""
    recording = recorded_run.chosen()
    if recording is None:
        return
    if (previous := _job()) is not None:
        previous.cancel()
    speed = ss.get(recorded_run.SPEED_KEY) or "1x"
    options = replay_job_options(recording, SPEEDS[speed])
    job = RunJob(
        recording.architecture,
        recording.prompt,
        system=recording.system,
        step=bool(ss.get(recorded_run.STEP_KEY)),
        **options,
    )
    ss[REPLAY_KEY] = recorded_run.Replaying(
        job=job, title=recording.title, speed=speed, recorded_at=recording.recorded_at, backend=options["backend"]
    )
    ss[JOB_KEY] = job.start()


def _missing_keys(arch) -> list[str]:
    """Models whose provider has no key here (their calls would fail)."""
    specs = [spec for layer in arch.layers for spec in layer]
    return sorted({s.model for s in specs if keys.needs_key(s.model, s.api_base, state.api_keys())})


def _settle(job: RunJob) -> None:
    """Take in the job's events; a finished run (which its job saved in the history) becomes the session's last run."""
    job.poll()
    result = job.view.result
    if result is not None and ss.get(SHOWN_KEY) is not result:
        ss[SHOWN_KEY] = result
        state.set_last_run(result, job.view.run_id)
        if job.view.not_saved:
            ss[NOTICE_KEY] = job.view.not_saved


def _reopened(job: RunJob | None) -> RunJob | None:
    """A run reopened from the History page (the session's last run, new to this page) replaces a finished job."""
    result = state.last_run()
    if result is None or result is ss.get(SHOWN_KEY) or (job is not None and not job.view.finished):
        return job
    ss[SHOWN_KEY] = result
    ss[JOB_KEY] = RunJob.reopened(result)
    return ss[JOB_KEY]


def _next_layer(before: int) -> None:
    """Go on from the pause before layer ``before``. A click delivered again later (seen in Chromium: the
    half-second refresh resent an earlier pause's click) finds the run paused elsewhere and skips nothing."""
    job = _job()
    if job is not None and job.view.paused_before == before:
        job.view.paused_before = None  # the button goes at once: a second click must not skip a pause
        job.next_layer()


def _run_to_end() -> None:
    job = _job()
    if job is not None:
        job.view.paused_before = None
        job.run_to_end()


def step_controls(view) -> None:
    """Step mode, between layers: what finished, what comes next, and the buttons to go on."""
    if view.paused_before is None:
        return
    layers = view.architecture.layers
    done = trace_view.layer_label(view.paused_before - 1, layers[view.paused_before - 1])
    upcoming = trace_view.layer_label(view.paused_before, layers[view.paused_before])
    with st.container(border=True):
        st.markdown(
            f"**:material/pause_circle: Paused after {done}.** Its tab below shows what it produced and what "
            f"the technique does. Next: **{upcoming}** ({len(layers) - view.paused_before} of {len(layers)} "
            "layers left)."
        )
        with st.container(horizontal=True):
            st.button(
                "Next layer",
                type="primary",
                icon=":material/skip_next:",
                on_click=_next_layer,
                args=(view.paused_before,),
                key=f"run_next_layer_{view.paused_before}",  # a click of an earlier pause's button is not this one's
            )
            st.button("Run to the end", icon=":material/fast_forward:", on_click=_run_to_end)


@st.fragment(run_every=REFRESH_S)
def live_results() -> None:
    """Redrawn twice a second while the run goes; a full rerun follows once it ends."""
    job = _job()
    if job is None:
        return
    _settle(job)
    if job.view.finished:
        st.rerun()
    recorded_run.banner(ss.get(REPLAY_KEY), job)
    step_controls(job.view)
    trace_view.progress(job.view)
    trace_view.run_inspector(job.view)


def results(job: RunJob) -> None:
    """A finished, failed or cancelled run: the answer first, then everything to inspect."""
    view = job.view
    recorded_run.banner(ss.get(REPLAY_KEY), job)
    trace_view.outcome(view)
    trace_view.progress(view)
    with st.container(horizontal=True):
        st.download_button(
            "Download the trace (JSON)",
            view.to_json(),
            file_name=f"archon-run-{slugify(view.architecture.name)}.json",
            mime="application/json",
            icon=":material/download:",
        )
        if view.result is not None:
            st.download_button(
                "Download a recording",
                record(view.result).to_json(),
                file_name=f"archon-recording-{slugify(view.architecture.name)}.json",
                mime="application/json",
                icon=":material/movie:",
                help="Replay it here (Watch a recorded run) or with: python -m archon_engine replay FILE",
            )
    trace_view.run_inspector(view)
    what_if_view.what_if_panel(view)


if ss.get(BACKEND_KEY) is None:
    warm_up()  # the first run then starts at once instead of waiting for the model client to import

st.title("Run")
st.caption("Send a prompt through the architecture and inspect every candidate, judgement and call.")

arch = state.architecture()
findings = validate(arch)
blocked = any(f.severity == "error" for f in findings)
job = _reopened(_job())
if job is not None:
    _settle(job)
running = job is not None and not job.view.finished

left, right = st.columns([3, 2], gap="large")
with right:
    st.markdown("**Architecture**")
    trace_view.architecture_summary(arch, findings, None if blocked else estimate(arch))
    st.page_link("views/design.py", label="Change it on the Design page", icon="🧩")
with left:
    prompt = st.text_area("Prompt", key=PROMPT_KEY, height=110, placeholder="Ask anything…")
    ss[f"_{PROMPT_KEY}"] = prompt
    with st.expander("System prompt (optional)", expanded=bool(ss.get(SYSTEM_KEY))):
        system = st.text_area("System prompt", key=SYSTEM_KEY, height=80, label_visibility="collapsed")
        ss[f"_{SYSTEM_KEY}"] = system
    with st.container(horizontal=True):
        st.button(
            "Run",
            type="primary",
            icon=":material/play_arrow:",
            on_click=_start,
            disabled=running or blocked,
            help="The architecture has errors: fix them on the Design page." if blocked else None,
        )
        st.button("Cancel", icon=":material/stop:", on_click=_cancel, disabled=not running)
        st.toggle(
            "Step through",
            key=STEP_KEY,
            disabled=running,
            help="Run one layer, stop to look at what it produced, then go on with Next layer (or Run to the end).",
        )
    if notice := ss.pop(NOTICE_KEY, None):
        st.warning(notice)
    if blocked:
        st.error("This architecture cannot run: fix the errors shown beside it on the Design page.", icon="🚫")
    elif missing := _missing_keys(arch):
        st.warning(
            f"No API key for {', '.join(missing)}: those calls will fail. Add a key on the Settings page, "
            "or run on the embedded model instead (Undo on the Design page brings the models back).",
            icon="🔑",
        )
        st.button(
            "Run on the embedded model instead",
            icon=":material/swap_horiz:",
            on_click=model_swap.to_embedded,
            args=(missing,),
            disabled=running,
        )
    model_swap.flash()
    recorded_run.entry(_watch, disabled=running)

st.divider()
job = _job()
if job is None:
    st.info("Press **Run** to start. Results appear here layer by layer as the calls finish.", icon="▶️")
elif not job.view.finished:
    live_results()
else:
    results(job)
