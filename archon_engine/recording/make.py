"""Make the shipped recordings again: each built-in preset on the embedded model with a demo prompt.

    python -m archon_engine.recording.make            # every built-in preset -> presets/recordings/<slug>.json
    python -m archon_engine.recording.make moa-lite   # only these

Runs one preset at a time (the embedded model is slow on two cores: a full preset takes up to a minute).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from archon_engine.config import DEFAULT_MODEL
from archon_engine.design.editing import replace_model
from archon_engine.design.presets import list_presets
from archon_engine.execution import run
from archon_engine.recording.record import record, write
from archon_engine.recording.shipped import SHIPPED_DIR

DEMO_PROMPTS = {  # short questions the 135M model answers well enough to show each technique
    "single-model": "What is the capital of Japan? Answer in one sentence.",
    "archon-readme-example": "Name the three primary colours of paint.",
    "sample-critic-rank-fuse": "What is the capital of Japan? Answer in one sentence.",
    "moa-lite": "Why is the sky blue? Answer in two sentences.",
    "self-moa": "Give one tip for learning a new language, in one sentence.",
    "best-of-n-verifier": "What is the capital of France? Answer in one sentence.",
    "unit-tests": "Write a Python function square(x) that returns x squared.",
    "self-consistency": "What is 6 times 7?",
    "self-consistency-adaptive": "What is 6 times 7?",  # as self-consistency: compare the calls
}
FALLBACK_PROMPT = "What is the capital of France? Answer in one sentence."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archon_engine.recording.make", description=__doc__.split("\n")[0])
    parser.add_argument("slugs", nargs="*", help="built-in presets to record (default: all)")
    args = parser.parse_args(argv)
    presets = [p for p in list_presets() if p.builtin and (not args.slugs or p.slug in args.slugs)]
    unknown = sorted(set(args.slugs) - {p.slug for p in presets})
    if unknown:
        print(f"error: no built-in preset {', '.join(unknown)}", file=sys.stderr)
        return 2
    failed = 0
    for preset in presets:
        prompt = DEMO_PROMPTS.get(preset.slug, FALLBACK_PROMPT)
        started = time.perf_counter()
        result = run(replace_model(preset.architecture, DEFAULT_MODEL), prompt)
        path = SHIPPED_DIR / f"{preset.slug}.json"
        write(record(result, title=f"{preset.name}: {prompt}"), path)
        failed += result.status != "completed"
        print(
            f"{preset.slug}: {result.status}, {result.usage.calls} calls, {time.perf_counter() - started:.1f} s "
            f"-> {path}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
