"""Replay fidelity: a shipped recording replayed at speed 1 against the run it recorded.

    python benchmarks/replay_fidelity.py                     # every shipped recording (about 5 minutes)
    python benchmarks/replay_fidelity.py moa-lite unit-tests  # only these

Per recording: whether the replay is the same run (answer, candidates, every call but its times:
``differences``), the number of calls recorded and replayed, and per call the recorded latency (queued and
served), the replayed one and their relative difference; target: every call within 5 %. Also the run's
wall time recorded and replayed, and the replay at speed 0 (instant). Nothing calls a model.
Reading: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import time

from archon_engine.recording import differences, load_recording, replay, shipped_recordings, timings

TARGET = 0.05


def main(slugs: list[str]) -> int:
    chosen = [r for r in shipped_recordings() if not slugs or r.slug in slugs]
    worst_overall, all_same = 0.0, True
    for shipped in chosen:
        recording = load_recording(shipped.path)
        started = time.perf_counter()
        replayed = replay(recording, speed=1)
        wall = time.perf_counter() - started
        started = time.perf_counter()
        instant = replay(recording, speed=0)
        instant_s = time.perf_counter() - started
        found = differences(recording.run, replayed) + differences(recording.run, instant)
        rows = timings(recording.run, replayed)
        worst = max((abs(t.error) for t in rows), default=0.0)
        worst_overall, all_same = max(worst_overall, worst), all_same and not found
        print(f"\n{shipped.slug}: same run {'yes' if not found else 'NO: ' + '; '.join(found[:3])}")
        print(
            f"  answer equal: {replayed.answer == recording.run.answer}; calls recorded {len(recording.calls)}, "
            f"replayed {len(replayed.trace.calls)}; run {recording.run.usage.latency_s:.2f} s recorded, "
            f"{replayed.usage.latency_s:.2f} s replayed ({wall:.2f} s wall), instant {instant_s * 1000:.0f} ms"
        )
        print(f"  {'call':<9}{'role':<18}{'recorded s':>11}{'replayed s':>11}{'diff %':>8}")
        for t in rows:
            print(f"  {t.id:<9}{t.role:<18}{t.recorded_s:>11.3f}{t.replayed_s:>11.3f}{t.error * 100:>8.2f}")
        print(f"  worst call: {worst * 100:.2f} %")
    met = worst_overall <= TARGET and all_same
    print(
        f"\n{len(chosen)} recordings: every replay the same run: {all_same}; worst call timing "
        f"{worst_overall * 100:.2f} % (target {TARGET * 100:.0f} %): {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
