"""The build's last line names a serve command that works in a new shell, not a bare `python`.

`python -m builders.serve` fails with "No module named builders" wherever `python` is not the
project's venv (a new shell after `make site`, a system python). The line now names the
interpreter that ran the build, relative inside the project, or `make serve`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import builders.build as build_module
from builders.build import PROJECT_ROOT, BuildResult
from builders.serve_command import serve_command

SERVE_TARGET = "serve: site\n\t$(PY) -m builders.serve\n"


@pytest.fixture
def project(tmp_path) -> Path:
    """A folder with a venv-like interpreter path inside it (a file: the command is only printed)."""
    python = tmp_path / "my project" / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    return tmp_path / "my project"


def test_the_venv_python_is_named_relative_to_the_project(project):
    python = str(project / ".venv" / "bin" / "python")
    assert serve_command(project / "_site", cwd=project, executable=python) == ".venv/bin/python -m builders.serve"
    assert serve_command(project / "out", cwd=project, executable=python) == \
        ".venv/bin/python -m builders.serve --dir out"


def test_make_serve_only_for_the_plain_build_with_the_makefiles_python(project):
    python = str(project / ".venv" / "bin" / "python")
    (project / "Makefile").write_text(SERVE_TARGET)
    assert serve_command(project / "_site", default_build=True, cwd=project, executable=python) == "make serve"
    # `make serve` rebuilds the whole default site: wrong after --only / --profile smoke.
    assert serve_command(project / "_site", default_build=False, cwd=project, executable=python) == \
        ".venv/bin/python -m builders.serve"
    (project / "Makefile").write_text("site:\n\tpython -m builders.build\n")
    assert serve_command(project / "_site", default_build=True, cwd=project, executable=python) == \
        ".venv/bin/python -m builders.serve"


def test_an_interpreter_outside_the_folder(project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "tools" / "python 3"
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert serve_command(tmp_path / "site out", cwd=project, executable=str(elsewhere)) == \
        f"'{elsewhere}' -m builders.serve --dir '{tmp_path / 'site out'}'"
    # An activated venv: `python` on PATH is the interpreter that ran the build.
    monkeypatch.setattr("shutil.which", lambda name: str(elsewhere))
    assert serve_command(project / "_site", cwd=project, executable=str(elsewhere)) == "python -m builders.serve"


def test_the_printed_command_imports_builders_without_the_venv_on_path(tmp_path):
    """Run what the line names from the project with a PATH that has no venv on it."""
    command = serve_command(PROJECT_ROOT / "_site", cwd=PROJECT_ROOT, executable=str(PROJECT_ROOT / ".venv/bin/python"))
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/python"
    env = {**os.environ, "PATH": "/usr/bin:/bin", "VIRTUAL_ENV": ""}
    proc = subprocess.run([argv[0], "-c", "import builders.serve"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_build_prints_the_command_as_its_last_line(project, monkeypatch, capsys):
    python = str(project / ".venv" / "bin" / "python")
    (project / "Makefile").write_text(SERVE_TARGET)
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "executable", python)
    monkeypatch.setattr(build_module, "build", lambda config, out, **kw: BuildResult(Path(out).resolve(), [], []))
    assert build_module.main([]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("(0 demo pages); serve it with: make serve")
    assert build_module.main(["--only", "jax"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("serve it with: .venv/bin/python -m builders.serve")
