"""Record a run and replay it with no model, key or network (docs/recording.md).

from archon_engine.recording import load_recording, record, replay, write
write(result, "run.json")                      # any finished RunResult, secrets redacted, sealed
recording = load_recording("run.json")         # RecordingError naming what is wrong
again = replay(recording, speed=2)             # the engine's run, answered by the recording
"""

from archon_engine.recording.backend import ReplayBackend, ReplayMismatch
from archon_engine.recording.fidelity import CallTiming, differences, timings
from archon_engine.recording.format import FORMAT_VERSION, Recording, RecordingError
from archon_engine.recording.load import load_recording
from archon_engine.recording.record import record, write
from archon_engine.recording.replay import SPEEDS, areplay, mismatch, parse_speed, replay, replay_job_options
from archon_engine.recording.shipped import SHIPPED_DIR, ShippedRecording, shipped_recordings

__all__ = [
    "FORMAT_VERSION",
    "SHIPPED_DIR",
    "SPEEDS",
    "CallTiming",
    "Recording",
    "RecordingError",
    "ReplayBackend",
    "ReplayMismatch",
    "ShippedRecording",
    "areplay",
    "differences",
    "load_recording",
    "mismatch",
    "parse_speed",
    "record",
    "replay",
    "replay_job_options",
    "shipped_recordings",
    "timings",
    "write",
]
