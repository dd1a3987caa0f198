"""What the command-line tools print names no internal tracker items ("targets (issue 8)").

Users read the output of `builders.*` and `benchmarks/*.py` without the project's issue history,
so a printed string, help text or generated report line that says "issue" means nothing to them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from builders import bench
from builders.build import PROJECT_ROOT

INTERNAL = re.compile(r"\bissues?\b", re.IGNORECASE)


def _string_literals(path: Path):
    """(line, text) of every string constant in `path` except docstrings (comments for readers of the code)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_string_literal_in_the_tools_mentions_an_issue():
    files = sorted([*(PROJECT_ROOT / "builders").rglob("*.py"), *(PROJECT_ROOT / "benchmarks").glob("*.py")])
    found = [f"{path.relative_to(PROJECT_ROOT)}:{line}: {text!r}"
             for path in files for line, text in _string_literals(path) if INTERNAL.search(text)]
    assert found == []


def test_bench_prints_its_targets_without_an_issue_number(monkeypatch, capsys, tmp_path):
    report = {"machine": {"nproc": 2, "cpu": "test cpu", "os": "linux", "chromium": "Chromium 1", "node": "v20",
                          "load": "0.1"},
              "results": [], "pages": [{"page": "mnist", "query": "?backend=wasm", "backend": "wasm",
                                        "readyMs": 900.0, "loadEventMs": 800.0, "lastResponseMs": 700.0,
                                        "kernels": 3, "requests": 9}]}
    monkeypatch.setattr(bench, "run", lambda settings: report)
    assert bench.main(["--site", str(tmp_path), "--no-node"]) == 0
    out = capsys.readouterr().out
    assert ("\ntargets checked by this run:\n"
            "- mnist/?backend=wasm (wasm): ready in 900 ms (target < 2000 ms): met\n") in out
    assert not INTERNAL.search(out)
