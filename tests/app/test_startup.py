"""The first page renders without importing litellm or llama.cpp (seconds to import), nor pandas (0.4 s)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app/streamlit_app.py", default_timeout=60)
at.run()
assert not at.exception, at.exception
print(sorted(m for m in ("litellm", "llama_cpp", "pandas") if m in sys.modules))
"""


def test_the_design_page_renders_without_importing_litellm_llama_cpp_or_pandas():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
