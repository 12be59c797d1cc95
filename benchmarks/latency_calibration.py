"""Latency calibration: does an evaluation report what a query takes when it runs alone?

    python benchmarks/latency_calibration.py            # both setups; prints one JSON object
    BENCH_SETUPS=fake python benchmarks/latency_calibration.py

For three architectures (one call; 3 seeded samples -> fuser; 2 seeded samples -> verifier -> fuser),
on two setups (FakeOpenAIServer(latency=FAKE_LATENCY) through the real litellm backend, and the
embedded model local/smollm2-135m on its pool of ARCHON_LOCAL_POOL_SIZE instances):
1. alone: each item's query run by itself, REPEATS times one after another; its wall time (median);
2. evaluation: every architecture on every item at once, sharing one throttle (concurrency CONCURRENCY
   for the fake endpoint, the evaluation's default of 32 for the embedded model); each item's
   reported ``latency_s``, and the evaluation's wall time and throughput.
Error per architecture = median over items of (reported / alone) - 1; the target is within 10 %.
Results and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncio
import json
import os
import statistics
import time

FAKE_LATENCY = float(os.environ.get("BENCH_LATENCY", "0.3"))
CONCURRENCY = 4
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
TARGET = 0.10
PROMPTS = [
    "What is the capital of France?",
    "What is 7 times 8?",
    "Name the largest planet.",
    "Who wrote Hamlet?",
    "What colour is the sky?",
    "How many legs has a spider?",
]
SETUPS = {"fake": {"items": 6}, "embedded": {"items": 3}}


def log(message: str) -> None:
    print(f"[latency_calibration] {message}", file=sys.stderr, flush=True)


def architectures(common: dict) -> dict[str, dict]:
    """The three architectures, every component on the same model (``common``: model, api_base, ...)."""
    greedy = {**common, "temperature": 0.0}
    return {
        "one call": {"layers": [[{"type": "generator", **greedy}]]},
        "3 samples -> fuser": {
            "layers": [
                [{"type": "generator", **common, "samples": 3, "seed": 1, "temperature": 0.7}],
                [{"type": "fuser", **greedy}],
            ]
        },
        "2 samples -> verifier -> fuser": {
            "layers": [
                [{"type": "generator", **common, "samples": 2, "seed": 1, "temperature": 0.7}],
                [{"type": "verifier", **greedy}],
                [{"type": "fuser", **greedy}],
            ]
        },
    }


async def alone_s(arch, prompt: str, backend) -> float:
    """Median wall time of the query run by itself, REPEATS times."""
    from archon_engine import arun

    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = await arun(arch, prompt, backend=backend)
        times.append(time.perf_counter() - started)
        if result.status != "completed":
            log(f"warning: a run alone ended {result.status}: {result.error}")
    return statistics.median(times)


def calibrate(setup: str, common: dict, items: int, concurrency: int) -> dict:
    from archon_engine import load_config
    from archon_engine.evaluation.datasets import Dataset, Item
    from archon_engine.evaluation.records import EvaluationSpec, System
    from archon_engine.evaluation.runner import evaluate
    from archon_engine.models.client import Limits
    from archon_engine.models.litellm_backend import LitellmBackend

    backend = LitellmBackend()
    archs = {name: load_config({"name": name, **arch}) for name, arch in architectures(common).items()}
    prompts = PROMPTS[:items]
    dataset = Dataset(name="calibration", kind="open", items=[Item(id=str(i), prompt=p) for i, p in enumerate(prompts)])
    spec = EvaluationSpec(systems=[System.of(a) for a in archs.values()], dataset=dataset, scorer="normalised")
    asyncio.run(alone_s(archs["one call"], "Say hello.", backend))  # warm up: connections, instances
    log(f"{setup}: evaluation of {len(archs)} architectures on {items} items, concurrency {concurrency}")
    evaluation = evaluate(spec, backend=backend, limits=Limits(concurrency=concurrency))
    figures = {}
    for name, arch in archs.items():
        log(f"{setup}: {name}, each item alone {REPEATS} times")
        alone = [asyncio.run(alone_s(arch, p, backend)) for p in prompts]
        rows = evaluation.results_of(name)
        reported = [r.latency_s for r in rows]
        ratios = [r / a - 1 for r, a in zip(reported, alone, strict=True)]
        figures[name] = {
            "alone_median_s": round(statistics.median(alone), 3),
            "reported_median_s": round(statistics.median(reported), 3),
            "wall_in_evaluation_median_s": round(statistics.median(r.wall_s for r in rows), 3),
            "error_median": round(statistics.median(ratios), 3),
            "error_worst_item": round(max(ratios, key=abs), 3),
            "within_target": abs(statistics.median(ratios)) <= TARGET,
        }
    return {
        "items": items,
        "concurrency": concurrency,
        "evaluation_wall_s": round(evaluation.wall_s, 2),
        "evaluation_queries_per_s": round(evaluation.throughput_qps, 3),
        "architectures": figures,
    }


def main() -> None:
    from archon_engine.models import local
    from archon_engine.models.fake_server import FakeOpenAIServer

    chosen = os.environ.get("BENCH_SETUPS", "fake,embedded").split(",")
    out: dict = {"repeats": REPEATS, "target": TARGET, "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    if "fake" in chosen:
        with FakeOpenAIServer(latency=FAKE_LATENCY) as server:
            common = {"model": "openai/fake-model", "api_base": server.base_url, "max_tokens": 64}
            out["fake"] = {"latency_s": FAKE_LATENCY, **calibrate("fake", common, SETUPS["fake"]["items"], CONCURRENCY)}
    if "embedded" in chosen:
        common = {"model": f"local/{local.MODEL_NAME}", "max_tokens": 32}
        out["embedded"] = {
            "pool_size": local.default_pool_size(),
            **calibrate("embedded", common, SETUPS["embedded"]["items"], 32),
        }
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
