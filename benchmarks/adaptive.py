"""Adaptive compute on the embedded model: fewer calls for the same accuracy?

    python benchmarks/adaptive.py [--limit 15] [--sets factual,arithmetic] [--samples 8]  # JSON on stdout

On the shipped `factual` (normalised match) and `arithmetic` (numeric match) sets, with the embedded
SmolLM2-135M and no response cache (every call is real), each set in one evaluation (all systems share
the pool of llama.cpp instances):

- fixed: ``samples`` (8) at ``temperature`` (0.7) and a majority vote;
- adaptive, beta: the same generator with ``stop_when`` rule beta (threshold 0.95), at most ``samples``;
- adaptive, window: ``stop_when`` rule window (3 equal answers in a row), at most ``samples``;
- 5 samples -> fuser, against the same with ``skip_when_agree`` (all 5 agree) and with share 0.6.

Generators are seeded (sample i uses seed i), so an adaptive run draws a prefix of the fixed run's
samples and the systems differ only by where they stop. For each system: accuracy with its 95 % bootstrap
interval, the paired difference to its fixed counterpart with its interval, calls per query (mean, and
the distribution) and the mean latency of a query run alone. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import os
import platform
import time
from collections import Counter

MODEL = "local/smollm2-135m"
MAX_TOKENS = 48
SETS = {  # scorer, extractor, instruction
    "factual": ("normalised", "short_text", "answer_only"),
    "arithmetic": ("numeric", "last_number", "number_only"),
}


def log(message: str) -> None:
    print(f"[adaptive] {message}", file=sys.stderr, flush=True)


def systems(extractor: str, instruction: str, samples: int, temperature: float) -> dict[str, tuple[dict, str | None]]:
    """name -> (architecture JSON, the name of the fixed system it is compared with)."""

    def gen(n: int, **extra) -> dict:
        return {"type": "generator", "model": MODEL, "samples": n, "temperature": temperature, "max_tokens": MAX_TOKENS,
                "seed": 0, "instruction": instruction, **extra}  # fmt: skip

    vote = {"type": "majority_vote", "extractor": extractor}
    fuser = {"type": "fuser", "model": MODEL, "temperature": 0.0, "max_tokens": MAX_TOKENS, "instruction": instruction}
    beta = {"rule": "beta", "threshold": 0.95, "extractor": extractor}
    window = {"rule": "window", "window": 3, "extractor": extractor}
    fixed = f"fixed {samples} + vote"
    return {
        fixed: ({"layers": [[gen(samples)], [vote]]}, None),
        f"adaptive beta 0.95 (<= {samples}) + vote": ({"layers": [[gen(samples, stop_when=beta)], [vote]]}, fixed),
        f"adaptive window 3 (<= {samples}) + vote": ({"layers": [[gen(samples, stop_when=window)], [vote]]}, fixed),
        "5 samples -> fuser": ({"layers": [[gen(5)], [fuser]]}, None),
        "5 samples -> fuser, skip if all agree": (
            {"layers": [[gen(5)], [{**fuser, "skip_when_agree": {"extractor": extractor}}]]},
            "5 samples -> fuser",
        ),
        "5 samples -> fuser, skip if 60 % agree": (
            {"layers": [[gen(5)], [{**fuser, "skip_when_agree": {"extractor": extractor, "share": 0.6}}]]},
            "5 samples -> fuser",
        ),
    }


def measure(set_name: str, limit: int, samples: int, temperature: float) -> dict:
    from archon_engine import estimate, load_config
    from archon_engine.evaluation.datasets import get_dataset
    from archon_engine.evaluation.records import EvaluationSpec, System
    from archon_engine.evaluation.runner import evaluate
    from archon_engine.evaluation.stats import bootstrap_ci, paired_difference_ci

    scorer, extractor, instruction = SETS[set_name]
    dataset = get_dataset(set_name).head(limit)
    table = systems(extractor, instruction, samples, temperature)
    archs = {name: load_config({"name": name, **config}) for name, (config, _) in table.items()}
    spec = EvaluationSpec(
        systems=[System.of(a, name=n) for n, a in archs.items()], dataset=dataset, scorer=scorer, name=set_name
    )
    log(f"{set_name}: {len(dataset.items)} items, {len(archs)} systems, scorer {scorer}")
    start = time.perf_counter()
    evaluation = evaluate(spec)
    wall = time.perf_counter() - start
    log(f"{set_name}: {wall:.0f} s")
    scores = {n: [r.score.value for r in sorted(evaluation.results_of(n), key=lambda r: r.item_id)] for n in archs}
    out = {}
    for summary in evaluation.summaries():
        name = summary.system
        calls = [r.usage.calls for r in evaluation.results_of(name)]
        est = estimate(archs[name])
        spread = bootstrap_ci(calls)
        row = {
            "accuracy": round(summary.quality.mean, 3),
            "ci95": [round(summary.quality.low, 3), round(summary.quality.high, 3)],
            "calls_per_query": round(summary.calls_per_query, 2),
            "calls_ci95": [round(spread.low, 2), round(spread.high, 2)],
            "calls_seen": dict(sorted(Counter(calls).items())),
            "estimate": {"max": est.calls, "min": est.min_calls, "expected": est.expected_calls},
            "latency_mean_s": round(summary.latency_mean_s, 2),
            "failed": summary.failed,
        }
        against = table[name][1]
        if against:
            diff = paired_difference_ci(scores[name], scores[against])
            fixed_calls = next(s.calls_per_query for s in evaluation.summaries() if s.system == against)
            row["vs"] = against
            row["accuracy_difference_ci95"] = [round(diff.mean, 3), round(diff.low, 3), round(diff.high, 3)]
            row["calls_ratio"] = round(fixed_calls / summary.calls_per_query, 2) if summary.calls_per_query else None
        out[name] = row
        log(f"  {name}: {row}")
    return {"items": len(dataset.items), "wall_s": round(wall, 1), "systems": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=15, help="the first N items of each set (default 15)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--samples", type=int, default=8, help="the fixed sample count, the adaptive maximum")
    parser.add_argument("--temperature", type=float, default=0.7, help="of every generator (default 0.7)")
    args = parser.parse_args()
    report: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "model": MODEL,
        "max_tokens": MAX_TOKENS,
        "temperature": args.temperature,
        "samples": args.samples,
        "sets": {},
    }
    for set_name in args.sets.split(","):
        report["sets"][set_name] = measure(set_name, args.limit, args.samples, args.temperature)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
