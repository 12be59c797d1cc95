"""Reliability figures for docs/reliability.md, measured by the reliability tests themselves.

    python benchmarks/reliability_figures.py        # prints one JSON object (pytest's output goes to stderr)

Runs tests/reliability, the sandbox's hostile-program tests and the app's bad-input, secret and session
tests (AppTest and the browser) once, with ARCHON_RELIABILITY_FIGURES set
so that each test writes what it measured (faults injected, retried, recorded; results lost; canary
leaks; malformed inputs tried...), and a JUnit report saying which tests passed and how long each took.
A figure is only as good as its test: the JSON says whether every test passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Issue 6's list of hostile programs, and the test in tests/evaluation/test_sandbox.py that runs each one.
HOSTILE = {
    "read API keys from the environment": "test_the_parent_environment_is_invisible",
    "read ~/.ssh or the project's .env": "test_ssh_keys_and_a_projects_env_file_are_out_of_reach",
    "write outside its directory": "test_the_hosts_files_are_out_of_reach",
    "delete files": "test_deleting_files_outside_its_directory_fails",
    "connect to 127.0.0.1": "test_the_network_is_unreachable_even_on_localhost",
    "connect to an outside address": "test_an_outside_address_is_unreachable_and_the_attempt_fails_fast",
    "fork bomb": "test_a_fork_bomb_is_contained_and_the_host_is_fine",
    "infinite loop": "test_an_infinite_loop_is_stopped_by_the_cpu_limit",
    "allocate 4 GB": "test_allocating_4_gb_fails_inside_while_the_host_is_fine",
    "write a 1 GB file": "test_writing_a_1_gb_file_stops_at_the_file_size_limit",
    "print 100 MB to stdout": "test_printing_100_mb_is_capped_flagged_and_stopped_promptly",
    "spawn a detached background process": "test_a_detached_background_process_does_not_outlive_the_run",
    "import ctypes and call libc": "test_ctypes_calling_libc_meets_the_same_walls",
}

# The app's side, in a real browser (tests/e2e/test_browser.py).
BROWSER = (
    "test_a_key_typed_in_settings_reaches_neither_the_page_nor_the_server_log",
    "test_two_sessions_at_once_see_neither_each_others_design_nor_keys_nor_run",
    "test_bad_input_in_the_browser_gets_one_message_and_the_page_keeps_working",
)


def junit_cases(path: Path) -> dict[str, dict]:
    """Test name -> passed and seconds, from a JUnit XML report."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error", "skipped") for child in case)
        module = case.get("classname", "").rsplit(".", 1)[-1]
        cases[f"{module}::{case.get('name')}"] = {"passed": not failed, "seconds": round(float(case.get("time", 0)), 2)}
    return cases


def main() -> None:
    from archon_engine.evaluation import sandbox

    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as folder:
        figures_path, junit = Path(folder, "figures.json"), Path(folder, "junit.xml")
        targets = [
            "tests/reliability",
            *(f"tests/evaluation/test_sandbox.py::{test}" for test in HOSTILE.values()),
            "tests/app/test_bad_input.py",
            *(f"tests/e2e/test_browser.py::{test}" for test in BROWSER),
        ]
        command = [sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        env = {**os.environ, "ARCHON_RELIABILITY_FIGURES": str(figures_path)}
        completed = subprocess.run(command, cwd=REPO, env=env, stdout=sys.stderr, check=False)
        figures = json.loads(figures_path.read_text()) if figures_path.exists() else {}
        cases = junit_cases(junit)

    strategy = sandbox.strategy()
    by_program = {program: cases.get(f"test_sandbox::{test}", {"passed": False}) for program, test in HOSTILE.items()}
    contained = sum(case["passed"] for case in by_program.values()) if not strategy.warnings else 0
    out = {
        "all_tests_passed": completed.returncode == 0 and all(case["passed"] for case in cases.values()),
        "tests": cases,
        "test_seconds": round(sum(case["seconds"] for case in cases.values()), 1),
        **figures,
        "hostile_programs": {
            "contained": contained,  # only counted when every isolation layer was applied (no warnings)
            "of": len(HOSTILE),
            "isolation": strategy.name,
            "layers": strategy.isolation,
            "warnings": strategy.warnings,
            "by_program": by_program,
        },
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_average_at_start": load_before},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
