"""Parallel execution benchmark: does the engine reach the critical-path bound over real HTTP?

    python benchmarks/parallel.py            # prints one JSON object (progress goes to stderr)

1. "10 samples -> ranker -> critic -> fuser" (13 calls, 4 layers) on MODEL (a priced name) served by
   FakeOpenAIServer(latency=0.2), through ``archon_engine.run`` and the real LitellmBackend: wall
   time against the critical-path bound (4 x 0.2 s), and against the same 13 calls made one after
   another with bare ``litellm.acompletion`` (as Archon's sequential engine does).
2. Engine overhead per call: ModelClient.call versus bare ``litellm.acompletion`` on the same
   endpoint, one call at a time, interleaved.
3. The embedded model (local/smollm2-135m, temperature 0, max_tokens 128): generated tokens/s
   through the engine versus raw llama-cpp-python on the same prompts, one call at a time.

Diagnostics (no targets): the same calls gathered per layer with bare litellm (the floor litellm
sets), the architecture at 1 s per call, and process CPU per call (engine, litellm, plain HTTP).
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

LATENCY = 0.2
MODEL = "openai/gpt-4o-mini"  # a priced name, served by the fake endpoint: litellm takes its fast cost path
RUNS = 7  # timed runs of the architecture (after one warm-up run)
OVERHEAD_CALLS = 50
LOCAL_PROMPTS = [
    "What is the capital of France?",
    "Write a Python function that returns the square of a number.",
    "Explain in two sentences why the sky is blue.",
    "List three prime numbers greater than 10.",
]
LOCAL_PARAMS = {"temperature": 0.0, "max_tokens": 128}
TARGETS = {"ratio": 1.10, "speedup_vs_sequential": 3.0, "engine_overhead_per_call": 0.05, "embedded_ratio": 0.9}


def log(message: str) -> None:
    print(f"[parallel] {message}", file=sys.stderr, flush=True)


def architecture(api_base: str) -> dict:
    common = {"model": MODEL, "api_base": api_base, "max_tokens": 256}
    return {
        "name": "bench-10-rank-critic-fuse",
        "layers": [
            [{"type": "generator", "samples": 10, **common}],
            [{"type": "ranker", **common}],
            [{"type": "critic", **common}],
            [{"type": "fuser", **common}],
        ],
    }


def timed_runs(arch: dict, runs: int = RUNS, **kwargs) -> tuple[list[float], list]:
    """Wall times and results of ``runs`` runs (after a warm-up run)."""
    from archon_engine import run

    result = run(arch, "What is the capital of France?", **kwargs)  # warm-up: connections, lazy imports
    assert result.status == "completed", result.error
    walls, results = [], []
    for _ in range(runs):
        start = time.perf_counter()
        result = run(arch, "What is the capital of France?", **kwargs)
        walls.append(time.perf_counter() - start)
        assert result.status == "completed" and len(result.trace.calls) == 13, result.error
        assert all(c.ok for c in result.trace.calls), [c.error or c.parse_error for c in result.trace.calls]
        results.append(result)
    return walls, results


def bench_parallel(server) -> dict:
    """Wall time of the architecture through the engine, and of its calls made one after another."""
    from archon_engine.models.litellm_backend import import_litellm

    litellm = import_litellm()
    arch = architecture(server.base_url)
    layers = len(arch["layers"])
    walls, results = timed_runs(arch)
    calls = results[-1].trace.calls
    per_layer = [r.trace.by_layer() for r in results]
    max_in_flight = server.max_in_flight

    def bare(call):
        return litellm.acompletion(
            model=call.model,
            messages=call.messages,
            api_base=server.base_url,
            temperature=call.params["temperature"],
            max_tokens=call.params["max_tokens"],
        )

    async def sequential() -> float:
        start = time.perf_counter()
        for call in calls:
            await bare(call)
        return time.perf_counter() - start

    async def bare_layers() -> float:
        """The floor litellm sets: each layer's calls gathered at once, no engine around them."""
        start = time.perf_counter()
        for layer in range(layers):
            await asyncio.gather(*(bare(c) for c in calls if c.layer == layer))
        return time.perf_counter() - start

    sequential_s = statistics.median(asyncio.run(sequential()) for _ in range(3))
    bare_parallel_s = statistics.median(asyncio.run(bare_layers()) for _ in range(RUNS))
    wall = statistics.median(walls)
    bound = layers * LATENCY
    return {
        "calls": len(calls),
        "layers": layers,
        "latency_s": LATENCY,
        "wall_s": round(wall, 4),
        "wall_runs_s": [round(w, 3) for w in walls],
        "critical_path_bound_s": round(bound, 4),
        "ratio": round(wall / bound, 4),
        "layer_latency_s_median": {
            str(k): round(statistics.median(p[k].latency_s for p in per_layer), 3) for k in per_layer[0]
        },
        "server_max_in_flight": max_in_flight,
        "sequential_s": round(sequential_s, 4),
        "speedup_vs_sequential": round(sequential_s / wall, 3),
        "diagnostic_bare_litellm_parallel": {
            "wall_s": round(bare_parallel_s, 4),
            "ratio": round(bare_parallel_s / bound, 4),
            "speedup_vs_sequential": round(sequential_s / bare_parallel_s, 3),
        },
    }


def bench_slow_calls() -> dict:
    """Diagnostic: the same architecture when calls last 1 s (closer to real models)."""
    from archon_engine.models.fake_server import FakeOpenAIServer

    latency = 1.0
    with FakeOpenAIServer(latency=latency) as server:
        arch = architecture(server.base_url)
        walls, _ = timed_runs(arch, runs=3)
    wall = statistics.median(walls)
    return {
        "latency_s": latency,
        "wall_s": round(wall, 4),
        "ratio": round(wall / (len(arch["layers"]) * latency), 4),
    }


def bench_call_cost(litellm) -> dict:
    """Diagnostic: process CPU per call (engine, bare litellm, a plain HTTP post) on a 0-latency server."""
    import aiohttp

    from archon_engine.models.base import ModelRequest
    from archon_engine.models.client import ModelClient
    from archon_engine.models.fake_server import FakeOpenAIServer
    from archon_engine.models.litellm_backend import LitellmBackend

    messages = [{"role": "user", "content": "What is the capital of France?"}]
    calls = 100

    async def measure(url: str) -> dict:
        client = ModelClient(LitellmBackend())
        request = ModelRequest(model=MODEL, messages=messages, max_tokens=256, api_base=url)

        async def engine_call() -> None:
            await client.call(request, layer=0, component="L0.C0", component_type="generator")

        async def litellm_call() -> float:
            response = await litellm.acompletion(model=MODEL, messages=messages, api_base=url, max_tokens=256)
            return response._hidden_params.get("litellm_overhead_time_ms") or 0.0

        async with aiohttp.ClientSession() as session:

            async def http_call() -> None:
                body = {"model": "fake-model", "messages": messages, "max_tokens": 256}
                async with session.post(url + "/chat/completions", json=body) as response:
                    await response.read()

            out = {}
            for name, call in (("engine", engine_call), ("litellm", litellm_call), ("plain_http", http_call)):
                for _ in range(3):
                    await call()
                cpu = time.process_time()
                results = [await call() for _ in range(calls)]
                out[f"{name}_cpu_ms_per_call"] = round((time.process_time() - cpu) * 1000 / calls, 2)
                if name == "litellm":
                    out["litellm_reported_overhead_ms"] = round(statistics.median(results), 2)
            return out

    with FakeOpenAIServer(latency=0.0) as server:
        return asyncio.run(measure(server.base_url))


def bench_overhead(server) -> dict:
    """Median time of one call through ModelClient and through bare litellm.acompletion, interleaved."""
    from archon_engine.models.base import ModelRequest
    from archon_engine.models.client import ModelClient
    from archon_engine.models.litellm_backend import LitellmBackend, import_litellm

    litellm = import_litellm()
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    request = ModelRequest(model=MODEL, messages=messages, temperature=0.7, max_tokens=256, api_base=server.base_url)

    async def measure() -> tuple[list[float], list[float]]:
        client = ModelClient(LitellmBackend())
        engine, bare = [], []
        for i in range(OVERHEAD_CALLS + 2):  # the first two (one each way) warm up
            start = time.perf_counter()
            record = await client.call(request, layer=0, component="L0.C0", component_type="generator")
            engine_s = time.perf_counter() - start
            assert record.error is None, record.error
            start = time.perf_counter()
            await litellm.acompletion(
                model=MODEL, messages=messages, api_base=server.base_url, temperature=0.7, max_tokens=256
            )
            bare_s = time.perf_counter() - start
            if i >= 2:
                engine.append(engine_s)
                bare.append(bare_s)
        return engine, bare

    engine, bare = asyncio.run(measure())
    engine_s, bare_s = statistics.median(engine), statistics.median(bare)
    return {
        "engine_call_s": round(engine_s, 5),
        "bare_litellm_call_s": round(bare_s, 5),
        "engine_overhead_ms_per_call": round((engine_s - bare_s) * 1000, 3),
        "engine_overhead_per_call": round((engine_s - bare_s) / bare_s, 4),
    }


def bench_embedded() -> dict:
    """Generated tokens/s of the embedded model through the engine and through raw llama-cpp-python."""
    from archon_engine import run
    from archon_engine.models import local

    arch = {
        "name": "bench-embedded",
        "layers": [[{"type": "generator", "model": f"local/{local.MODEL_NAME}", **LOCAL_PARAMS}]],
    }
    Llama = local._quiet_llama_class()
    threads = local.default_threads()  # as many llama.cpp threads as each engine instance has
    llama = Llama(model_path=str(local.model_path()), n_ctx=local.CONTEXT_TOKENS, n_threads=threads, verbose=False)
    try:
        run(arch, "Say hello.")  # warm-up: loads the engine's pool
        llama.reset()
        llama.create_chat_completion(messages=[{"role": "user", "content": "Say hello."}], **LOCAL_PARAMS)
        engine_tokens = raw_tokens = 0
        engine_s = raw_s = 0.0
        same_tokens = True
        for i, prompt in enumerate(LOCAL_PROMPTS * 2):  # interleaved, alternating who goes first
            for way in ("engine", "raw") if i % 2 == 0 else ("raw", "engine"):
                start = time.perf_counter()
                if way == "engine":
                    result = run(arch, prompt)
                    engine_s += time.perf_counter() - start
                    assert result.status == "completed", result.error
                    engine_tokens += (engine_count := result.usage.completion_tokens)
                else:
                    llama.reset()  # the engine resets before every call, for repeatable temperature 0
                    raw = llama.create_chat_completion(messages=[{"role": "user", "content": prompt}], **LOCAL_PARAMS)
                    raw_s += time.perf_counter() - start
                    raw_tokens += (raw_count := raw["usage"]["completion_tokens"])
            same_tokens &= engine_count == raw_count
    finally:
        llama.close()
    engine_tps, raw_tps = engine_tokens / engine_s, raw_tokens / raw_s
    return {
        "embedded_engine_tokens_per_s": round(engine_tps, 2),
        "embedded_raw_tokens_per_s": round(raw_tps, 2),
        "embedded_ratio": round(engine_tps / raw_tps, 4),
        "embedded_tokens": {"engine": engine_tokens, "raw": raw_tokens, "same_per_prompt": same_tokens},
        "embedded_threads": {"per_instance": threads, "engine_pool_size": local.default_pool_size()},
    }


def main() -> None:
    os.environ.setdefault("OPENAI_API_KEY", "sk-fake-benchmark-key")  # the fake server ignores it
    from archon_engine.models.fake_server import FakeOpenAIServer
    from archon_engine.models.litellm_backend import import_litellm

    log("importing litellm")
    litellm = import_litellm()
    out: dict = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with FakeOpenAIServer(latency=LATENCY) as server:
        log("parallel run vs critical path and sequential calls")
        out.update(bench_parallel(server))
        log(f"engine overhead: {OVERHEAD_CALLS} calls each way")
        out.update(bench_overhead(server))
    log("diagnostic: 1 s calls")
    out["diagnostic_latency_1s"] = bench_slow_calls()
    log("diagnostic: CPU per call")
    out["diagnostic_cpu_per_call"] = bench_call_cost(litellm)
    log("embedded model throughput")
    out.update(bench_embedded())
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out["targets"] = {
        "ratio_max": TARGETS["ratio"],
        "speedup_vs_sequential_min": TARGETS["speedup_vs_sequential"],
        "engine_overhead_per_call_max": TARGETS["engine_overhead_per_call"],
        "embedded_ratio_min": TARGETS["embedded_ratio"],
    }
    out["pass"] = {
        "ratio": out["ratio"] <= TARGETS["ratio"],
        "speedup_vs_sequential": out["speedup_vs_sequential"] >= TARGETS["speedup_vs_sequential"],
        "engine_overhead_per_call": out["engine_overhead_per_call"] <= TARGETS["engine_overhead_per_call"],
        "embedded_ratio": out["embedded_ratio"] >= TARGETS["embedded_ratio"],
    }
    out["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
