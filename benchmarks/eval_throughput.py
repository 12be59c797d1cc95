"""Evaluation throughput: does a batch evaluation keep the concurrency limit full, and is a repeat free?

    python benchmarks/eval_throughput.py          # prints one JSON object (progress goes to stderr)

100 queries through "3 seeded samples -> fuser" (4 calls, 2 layers) on MODEL served by
FakeOpenAIServer(latency=LATENCY), with the real LitellmBackend, a concurrency limit of 32 and a
fresh response cache:
1. the server's in-flight requests, sampled every 5 ms from the first request to the last reply,
   divided by the limit (target >= 0.90);
2. the same evaluation again: requests the server received (target 0) and the speed-up (target >= 20x).
Results and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import json
import os
import statistics
import tempfile
import threading
import time

QUERIES = 100
CONCURRENCY = 32
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.5"))
MODEL = "openai/gpt-4o-mini"  # a priced name, served by the fake endpoint
TARGETS = {"in_flight_over_limit": 0.90, "repeat_model_calls": 0, "repeat_speedup": 20.0}


def log(message: str) -> None:
    print(f"[eval_throughput] {message}", file=sys.stderr, flush=True)


class InFlightSampler:
    """Samples the server's in-flight count from the first request until stopped."""

    def __init__(self, server, every_s: float = 0.005):
        self.server, self.every_s = server, every_s
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set() and self.server.requests == 0:
            time.sleep(self.every_s / 5)
        while not self._stop.is_set():
            self.samples.append(self.server.in_flight)
            time.sleep(self.every_s)

    def __enter__(self) -> InFlightSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def busy_mean(self) -> float:
        """Mean in flight from the first request to the last reply (trailing idle samples dropped)."""
        samples = list(self.samples)
        while samples and samples[-1] == 0:
            samples.pop()
        return statistics.fmean(samples) if samples else 0.0


def main() -> None:
    os.environ.setdefault("OPENAI_API_KEY", "sk-fake-benchmark-key")  # the fake server ignores it
    from archon_engine import Limits, load_config
    from archon_engine.evaluation.datasets import Dataset, Item
    from archon_engine.evaluation.records import EvaluationSpec, System
    from archon_engine.evaluation.runner import evaluate
    from archon_engine.models.cache import ResponseCache
    from archon_engine.models.fake_server import FakeOpenAIServer

    dataset = Dataset(
        name="sums",
        kind="numeric",
        items=[Item(id=str(i), prompt=f"What is {i} + {i}?", reference=str(2 * i)) for i in range(QUERIES)],
    )
    server = FakeOpenAIServer(latency=LATENCY, reply=lambda body: "Answer: 0")
    with server, tempfile.TemporaryDirectory() as tmp:
        common = {"model": MODEL, "api_base": server.base_url, "max_tokens": 64}
        arch = load_config(
            {
                "name": "3 samples -> fuser",
                "layers": [
                    [{"type": "generator", "samples": 3, "temperature": 0.7, "seed": 1, **common}],
                    [{"type": "fuser", "temperature": 0.0, **common}],
                ],
            }
        )
        spec = EvaluationSpec(systems=[System.of(arch)], dataset=dataset, scorer="numeric")
        cache = ResponseCache(Path(tmp) / "cache.sqlite")
        limits = Limits(concurrency=CONCURRENCY)
        log("warm-up (imports, connections)")
        evaluate(spec.model_copy(update={"dataset": dataset.head(2)}), limits=limits)
        server.requests = 0

        log(f"first run: {QUERIES} queries x 4 calls, limit {CONCURRENCY}, {LATENCY} s per call")
        with InFlightSampler(server) as sampler:
            start = time.perf_counter()
            first = evaluate(spec, limits=limits, cache=cache)
            first_s = time.perf_counter() - start
        first_requests = server.requests
        assert all(r.status == "completed" for r in first.results), "a query failed"

        log("second run: identical, same cache")
        start = time.perf_counter()
        second = evaluate(spec, limits=limits, cache=cache)
        second_s = time.perf_counter() - start
        repeat_requests = server.requests - first_requests
        assert all(r.cached for r in second.results)

    in_flight = sampler.busy_mean()
    bound_s = (QUERIES * 4 / CONCURRENCY) * LATENCY
    figures = {
        "queries": QUERIES,
        "calls_first_run": first_requests,
        "concurrency_limit": CONCURRENCY,
        "latency_per_call_s": LATENCY,
        "first_run_s": round(first_s, 2),
        "first_run_bound_s": round(bound_s, 2),
        "mean_in_flight": round(in_flight, 2),
        "in_flight_over_limit": round(in_flight / CONCURRENCY, 3),
        "repeat_run_s": round(second_s, 3),
        "repeat_model_calls": repeat_requests,
        "repeat_speedup": round(first_s / second_s, 1),
    }
    figures["meets"] = {
        "in_flight_over_limit": figures["in_flight_over_limit"] >= TARGETS["in_flight_over_limit"],
        "repeat_model_calls": repeat_requests == TARGETS["repeat_model_calls"],
        "repeat_speedup": figures["repeat_speedup"] >= TARGETS["repeat_speedup"],
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
