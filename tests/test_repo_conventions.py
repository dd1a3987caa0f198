"""Repository conventions: the CI workflow runs the README's test command; CONTRIBUTING.md's
commands and paths exist; CHANGELOG.md follows Keep a Changelog with the package's version."""

from __future__ import annotations

import re
import tomllib

import yaml

from builders.build import PROJECT_ROOT


def _ci() -> dict:
    return yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text())


def test_ci_runs_make_test_on_pushes_and_pull_requests():
    workflow = _ci()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as True
    assert "push" in triggers and "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert [s["run"] for s in steps if "run" in s] == ["make test"]
    assert "make test" in (PROJECT_ROOT / "README.md").read_text()  # the README's test command
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    node = next(s for s in steps if s.get("uses", "").startswith("actions/setup-node@"))
    assert python["with"]["python-version"] == "3.11" and node["with"]["node-version"] == "20"


def test_ci_caches_pip_and_npm_downloads_by_their_lock_files():
    steps = next(iter(_ci()["jobs"].values()))["steps"]
    caches = {s["with"]["path"]: s["with"]["key"] for s in steps if s.get("uses", "").startswith("actions/cache@")}
    assert set(caches) == {"~/.cache/pip", "~/.npm"}
    assert "hashFiles('pyproject.toml')" in caches["~/.cache/pip"]
    assert "hashFiles('package-lock.json')" in caches["~/.npm"]
    # The caches are restored before the step that installs.
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert max(i for i, u in enumerate(uses) if u == "actions/cache") < [s.get("run") for s in steps].index("make test")


def test_readme_links_contributing_and_changelog():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for name in ("CONTRIBUTING.md", "CHANGELOG.md"):
        assert f"]({name})" in readme
        assert (PROJECT_ROOT / name).is_file()


def test_contributing_names_tests_and_paths_that_exist():
    text = (PROJECT_ROOT / "CONTRIBUTING.md").read_text()
    for path, name in re.findall(r"\.venv/bin/pytest (tests/\S+?\.py)(?:::(\w+))?\s", text):
        assert (PROJECT_ROOT / path).is_file(), path
        if name:
            assert f"def {name}(" in (PROJECT_ROOT / path).read_text(), name
    for path in re.findall(r"^\| `([^`]+)`", text, re.MULTILINE):
        assert (PROJECT_ROOT / path.replace("<demo>", "mnist")).exists(), path
    for script in re.findall(r"(?:npx esbuild|python) (\S+\.(?:ts|py))", text):
        assert (PROJECT_ROOT / script).is_file(), script
    for command in ("mkdocs serve", "node site_src/run_tests.mjs", "python -m builders.bench", "ruff check"):
        assert command in text


def test_changelog_keeps_an_unreleased_section_and_the_package_version():
    text = (PROJECT_ROOT / "CHANGELOG.md").read_text()
    version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"]
    releases = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert releases[0] == "Unreleased" and version in releases
    assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.MULTILINE)
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        headings = re.findall(r"^### (\w+)", section, re.MULTILINE)
        assert headings and set(headings) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
