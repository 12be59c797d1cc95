"""Command line: ``python -m archon_engine run CONFIG "PROMPT"`` (and validate, estimate, export)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from archon_engine.archon_format import to_archon
from archon_engine.config import DEFAULT_MODEL, Architecture, ConfigError, load_config
from archon_engine.estimate import estimate
from archon_engine.execution import RunResult, run
from archon_engine.models import keys
from archon_engine.models.client import Budget
from archon_engine.validation import ArchitectureError, validate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m archon_engine", description="Run and inspect Archon architectures."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run_cmd = commands.add_parser("run", help="run a prompt through an architecture")
    run_cmd.add_argument("config", help="architecture JSON (this project's or Archon's)")
    run_cmd.add_argument("prompt")
    run_cmd.add_argument("--system", help="a system prompt for the conversation")
    run_cmd.add_argument("--json", action="store_true", help="print the whole result (trace included) as JSON")
    run_cmd.add_argument("--local", action="store_true", help=f"run every component on the embedded {DEFAULT_MODEL}")
    run_cmd.add_argument("--max-calls", type=int, help="budget: stop before making more calls than this")
    run_cmd.add_argument("--max-usd", type=float, help="budget: stop before spending more than this")

    for name, text in (("validate", "list errors and rule warnings"), ("estimate", "calls, critical path, max cost")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("config")
    export = commands.add_parser("export", help="print an architecture as Archon JSON")
    export.add_argument("config")
    return parser


def _missing_keys(arch: Architecture) -> list[str]:
    specs = [spec for layer in arch.layers for spec in layer]
    return sorted({keys.provider_of(s.model) for s in specs if keys.needs_key(s.model, s.api_base)})


def _on_embedded_model(arch: Architecture) -> Architecture:
    data = arch.model_dump()
    for layer in data["layers"]:
        for spec in layer:
            spec["model"], spec["api_base"] = DEFAULT_MODEL, None
    return Architecture.model_validate(data)


def _summary(result: RunResult) -> str:
    lines = [f"Answer:\n{result.answer}" if result.answer is not None else f"Run {result.status}: {result.error}", ""]
    header = ("layer", "components", "calls", "failed", "tokens in", "out", "cost $", "latency s")
    lines.append("{:<6}{:<34}{:>6}{:>7}{:>10}{:>7}{:>10}{:>10}".format(*header))
    usage_by_layer = result.trace.by_layer()
    for layer in result.layers:
        specs = result.architecture.layers[layer.index]
        names = ", ".join(sorted({s.type for s in specs}))
        u = usage_by_layer.get(layer.index)
        if u is None:
            continue
        cost = f"{u.cost_usd:.5f}" if u.cost_known else "unknown"
        lines.append(
            f"{layer.index:<6}{names[:33]:<34}{u.calls:>6}{u.failed_calls:>7}{u.prompt_tokens:>10}"
            f"{u.completion_tokens:>7}{cost:>10}{u.latency_s:>10.2f}"
        )
        lines.extend(f"      ! {error}" for error in layer.errors)
    total = result.usage
    total_cost = f"${total.cost_usd:.5f}" if total.cost_known else "unknown"
    lines.append(
        f"total: {total.calls} calls, {total.prompt_tokens + total.completion_tokens} tokens, "
        f"{total_cost}, {total.latency_s:.2f} s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        arch = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "validate":
        findings = validate(arch)
        print("\n".join(map(str, findings)) or "no findings")
        return 1 if any(f.severity == "error" for f in findings) else 0
    if args.command == "estimate":
        print(estimate(arch).model_dump_json(indent=2))
        return 0
    if args.command == "export":
        print(json.dumps(to_archon(arch), indent=4))
        return 0

    if args.local:
        arch = _on_embedded_model(arch)
    missing = _missing_keys(arch)
    if missing:
        print(
            f"error: no API key for {', '.join(missing)}; set it in the environment or .env, "
            "or add --local to run on the embedded model",
            file=sys.stderr,
        )
        return 2
    try:
        result = run(
            arch, args.prompt, system=args.system, budget=Budget(max_calls=args.max_calls, max_usd=args.max_usd)
        )
    except ArchitectureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.to_json(indent=2) if args.json else keys.redact(_summary(result)))
    return 0 if result.status == "completed" else 1
