"""Serving overhead: what the OpenAI-compatible server adds to a request, against calling the engine directly.

    python benchmarks/serve.py          # prints one JSON object (progress goes to stderr); BENCH_ROUNDS=3

A 2-layer design (a generator, then a fuser: 2 calls) on MODEL, reached through litellm as a real provider
would be, at FakeOpenAIServer(latency=CALL_LATENCY) in its own process: a request takes about 0.5 s. Each
round sends REQUESTS requests from CLIENTS concurrent clients down both paths, one after the other:
- direct: ``await arun(design, prompt)`` in this process;
- served: the official ``AsyncOpenAI`` client in this process against ``python -m archon_engine serve`` in
  its own process (which also saves every run in its run store).
The overhead is the served latency minus the direct latency, at p50 and p95 over every round; target: p50
overhead under 5 % of a 0.5 s request (25 ms). The same at LIGHT_CLIENTS clients, where the 2 cores are not
saturated, and the CPU each path spends per request, explain the figures. Reading: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncio
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 32
REQUESTS = 200
LIGHT_CLIENTS, LIGHT_REQUESTS = 4, 40
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CALL_LATENCY = 0.25  # two layers of one call each: about 0.5 s per request
REQUEST_S = 2 * CALL_LATENCY
MODEL = "openai/gpt-4o-mini"  # a priced name, served by the fake endpoint
TARGET_P50_OVERHEAD = 0.05  # of a 0.5 s request
FAKE_ENDPOINT = (
    "import sys; from archon_engine.models.fake_server import FakeOpenAIServer; "
    f"server = FakeOpenAIServer(latency={CALL_LATENCY}, reply=lambda body: 'Answer: 42').start(); "
    "print(server.port, flush=True); sys.stdin.read()"
)


def log(message: str) -> None:
    print(f"[serve] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Round:
    latencies: list[float] = field(default_factory=list)  # of the requests that succeeded
    failures: int = 0
    wall_s: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per request, by process


async def load(send: Callable[[int], Awaitable[bool]], clients: int, requests: int, pids: dict[str, int]) -> Round:
    """``requests`` requests from ``clients`` workers, timed one by one; the CPU of ``pids`` per request."""
    numbers = iter(range(requests))
    result = Round()

    async def worker() -> None:
        for number in numbers:
            start = time.perf_counter()
            try:
                ok = await send(number)
            except Exception as exc:  # a failed request is counted, not fatal
                log(f"request {number} failed: {type(exc).__name__}: {exc}")
                ok = False
            if ok:
                result.latencies.append(time.perf_counter() - start)
            else:
                result.failures += 1

    cpu_before = {name: cpu_s(pid) for name, pid in pids.items()}
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    result.wall_s = time.perf_counter() - start
    result.cpu_ms = {name: 1000 * (cpu_s(pid) - cpu_before[name]) / requests for name, pid in pids.items()}
    return result


def spawn(command: list[str], env: dict[str, str], **streams) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, cwd=ROOT, text=True, **streams)


async def wait_until_up(client, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            await client.models.list()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def measure(tmp: Path, env: dict[str, str]) -> dict[str, dict[str, list[Round]]]:
    """{"busy" | "light": {"direct" | "served": [Round, ...]}}."""
    from openai import AsyncOpenAI

    from archon_engine import arun, load_config

    fake = spawn([sys.executable, "-c", FAKE_ENDPOINT], env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    common = {"model": MODEL, "api_base": f"http://127.0.0.1:{fake.stdout.readline().strip()}/v1", "max_tokens": 64}
    design = {"name": "generator, fuser", "layers": [[{"type": "generator", **common}], [{"type": "fuser", **common}]]}
    (tmp / "two-layers.json").write_text(json.dumps(design), encoding="utf-8")
    arch = load_config(design)
    port = free_port()
    command = [sys.executable, "-m", "archon_engine", "serve", str(tmp / "two-layers.json"), "--port", str(port)]
    command += ["--store", str(tmp / "runs.sqlite"), "--max-concurrent", str(CLIENTS)]
    server = spawn(command, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="-", max_retries=0, timeout=60)

    async def direct(number: int) -> bool:
        return (await arun(arch, f"Question {number}?")).status == "completed"

    async def served(number: int) -> bool:
        messages = [{"role": "user", "content": f"Question {number}?"}]
        reply = await client.chat.completions.create(model="two-layers", messages=messages)
        return bool(reply.choices[0].message.content)

    paths = {"direct": (direct, {"this process": os.getpid()}),
             "served": (served, {"server": server.pid, "this process (client)": os.getpid()})}  # fmt: skip
    loads = {"busy": (CLIENTS, REQUESTS), "light": (LIGHT_CLIENTS, LIGHT_REQUESTS)}
    rounds: dict[str, dict[str, list[Round]]] = {kind: {path: [] for path in paths} for kind in loads}
    try:
        await wait_until_up(client)
        log("warm-up (imports, connections, litellm's first calls) on both paths")
        for send, _ in paths.values():
            await asyncio.gather(*(send(i) for i in range(CLIENTS)))
        for number in range(ROUNDS):
            for kind, (clients, requests) in loads.items():
                for path, (send, pids) in paths.items():
                    log(f"round {number + 1}/{ROUNDS}, {kind}: {path}, {requests} requests from {clients} clients")
                    rounds[kind][path].append(await load(send, clients, requests, pids))
    finally:
        await client.close()
        server.terminate()
        server.wait(timeout=30)
        fake.stdin.close()
        fake.wait(timeout=30)
    return rounds


def summary(runs: list[Round]) -> dict:
    latencies = [s for run in runs for s in run.latencies]
    requests = sum(len(run.latencies) + run.failures for run in runs)
    return {
        "requests": requests,
        "failed": sum(run.failures for run in runs),
        "p50_s": round(percentile(latencies, 50), 4),
        "p95_s": round(percentile(latencies, 95), 4),
        "requests_per_s": [round((len(run.latencies) + run.failures) / run.wall_s, 1) for run in runs],
        "p50_s_per_round": [round(percentile(run.latencies, 50), 4) for run in runs],
        "cpu_ms_per_request": {
            name: round(statistics.fmean(r.cpu_ms[name] for r in runs), 1) for name in runs[0].cpu_ms
        },
    }


def overhead(direct: dict, served: dict) -> dict:
    p50, p95 = served["p50_s"] - direct["p50_s"], served["p95_s"] - direct["p95_s"]
    return {
        "p50_ms": round(1000 * p50, 1),
        "p95_ms": round(1000 * p95, 1),
        "p50_of_a_0.5_s_request": round(p50 / REQUEST_S, 4),
        "p50_of_the_direct_p50": round(p50 / direct["p50_s"], 4),
    }


def main() -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-fake-benchmark-key"}  # the fake endpoint ignores it
    os.environ.update(env)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rounds = asyncio.run(measure(Path(tmp), env))
    result: dict = {
        "clients": CLIENTS,
        "requests_per_round": REQUESTS,
        "rounds": ROUNDS,
        "call_latency_s": CALL_LATENCY,
        "cores": os.cpu_count(),
        "load_average_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
    }
    for kind, paths in rounds.items():
        figures = {path: summary(runs) for path, runs in paths.items()}
        result[kind] = {**figures, "overhead": overhead(figures["direct"], figures["served"])}
    busy = result["busy"]
    result["meets"] = {
        "p50_overhead_under_5_percent_of_0.5_s": busy["overhead"]["p50_of_a_0.5_s_request"] < TARGET_P50_OVERHEAD,
        "no_failed_request": busy["direct"]["failed"] == busy["served"]["failed"] == 0,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
