"""Tests that need Chromium are marked `browser` even when their module forgets it.

tests/mnist/test_browser.py and three tests of tests/test_bench.py had no marker, so
`pytest -m "not browser"` still started Chromium (or failed where it is not installed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from builders.build import PROJECT_ROOT
from tests.conftest import BROWSER_FIXTURES

# Loaded into the child pytest: after `-m` has deselected, list what is left (with the fixtures it
# uses) and what `-m` deselected.
REPORTER = """
import json, os

DESELECTED = []

def pytest_deselected(items):
    DESELECTED.extend(item.nodeid for item in items)

def pytest_collection_finish(session):
    with open(os.environ["COLLECTED_JSON"], "w") as f:
        json.dump({"kept": {item.nodeid: sorted(getattr(item, "fixturenames", ())) for item in session.items},
                   "deselected": DESELECTED}, f)
"""


def collect(tmp_path, marker: str) -> dict:
    """Of the whole suite, the node ids `-m marker` keeps (with their fixtures) and those it deselects."""
    (tmp_path / "collected_reporter.py").write_text(REPORTER)
    out = tmp_path / f"{marker.replace(' ', '_')}.json"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLLECTED_JSON": str(out)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "collected_reporter", "-m", marker, "tests"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_not_browser_runs_no_test_that_needs_chromium(tmp_path):
    collected = collect(tmp_path, "not browser")  # one collection of the suite (~14 s), not two
    kept, browser = collected["kept"], collected["deselected"]
    assert kept, "nothing collected"
    assert {t: f for t, f in kept.items() if BROWSER_FIXTURES & set(f)} == {}
    # The modules that had forgotten the marker.
    assert any(t.startswith("tests/mnist/test_browser.py::") for t in browser)
    assert "tests/test_bench.py::test_cli_measures_every_model_in_chromium_and_node" in browser
