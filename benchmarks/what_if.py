"""What a what-if re-run and a leave-one-out check cost on the embedded model, against the run they start from.

    python benchmarks/what_if.py [--prompt "..."] [--repeats 3]   # JSON on stdout, progress on stderr

On sample-critique-rank-fuse (5 samples, critic, ranker top 3, fuser), every component on the embedded
SmolLM2-135M, no response cache for the runs:

- the full run (every call made);
- a what-if from the critic with one sample's text replaced by a wrong answer (critic, ranker, fuser called);
- a what-if from the fuser (the fuser alone called);
- leave-one-out on the fusion (one fuser call per candidate it read), through a fresh in-memory response
  cache, then the same check again (answered by the cache).

For each: calls made, calls taken from the run or the cache, and wall seconds (median of ``repeats``; the
first full run also loads the model). Results: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import json
import platform
import statistics
import time

PRESET = Path(__file__).resolve().parents[1] / "presets" / "sample-critic-rank-fuse.json"
MODEL = "local/smollm2-135m"
PLANTED = "The capital of Japan is Osaka."


def log(message: str) -> None:
    print(f"[what_if] {message}", file=sys.stderr, flush=True)


def timed(work):
    started = time.perf_counter()
    value = work()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="What is the capital of Japan? Answer in one sentence.")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from archon_engine import load_config, run
    from archon_engine.explain import leave_one_out
    from archon_engine.models.cache import ResponseCache
    from archon_engine.models.litellm_backend import LitellmBackend
    from archon_engine.what_if import difference, what_if

    arch = load_config(PRESET)  # every component on the embedded model
    assert {spec.model for layer in arch.layers for spec in layer} == {MODEL}
    backend = LitellmBackend()
    rows: dict[str, dict] = {}

    def record(name: str, samples: list[tuple[int, int, float]]) -> None:
        made, reused, _ = samples[0]
        seconds = [s for _, _, s in samples]
        rows[name] = {"calls made": made, "calls reused": reused, "median s": round(statistics.median(seconds), 2),
                      "all s": [round(s, 2) for s in seconds]}  # fmt: skip
        log(f"{name}: {rows[name]}")

    original, _ = timed(lambda: run(arch, args.prompt, backend=backend))  # loads the model: not counted
    full = []
    for _ in range(args.repeats):
        result, seconds = timed(lambda: run(arch, args.prompt, backend=backend))
        full.append((result.usage.calls, 0, seconds))
    record("full run", full)

    for name, from_layer, edits in (
        ("what if: a planted answer, from the critic", 1, {"L0.C0.s0": PLANTED}),
        ("what if: from the fuser", 3, {}),
    ):
        samples = []
        for _ in range(args.repeats):
            execution = what_if(original, from_layer=from_layer, edits=edits, backend=backend)
            again, seconds = timed(lambda execution=execution: asyncio.run(execution.run_to_end()))
            diff = difference(original, again, from_layer=from_layer)
            samples.append((diff.calls[1], diff.reused_calls, seconds))
        record(name, samples)

    fused_id = original.layers[-1].candidates[0].id
    first, second = [], []
    for _ in range(args.repeats):
        cache = ResponseCache()
        found, seconds = timed(lambda cache=cache: leave_one_out(original, fused_id, backend=backend, cache=cache))
        first.append((found.usage.calls - found.usage.cached_calls, found.usage.cached_calls, seconds))
        found, seconds = timed(lambda cache=cache: leave_one_out(original, fused_id, backend=backend, cache=cache))
        second.append((found.usage.calls - found.usage.cached_calls, found.usage.cached_calls, seconds))
        log(f"dependence per candidate: {[(e.candidate_id, e.dependence) for e in found.effects]}")
    record("leave-one-out, first time", first)
    record("leave-one-out, again (cache)", second)

    print(json.dumps({"machine": platform.machine(), "prompt": args.prompt, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
