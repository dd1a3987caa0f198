"""The documentation: strict mkdocs build, generated pages, troubleshooting messages, the worked example."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from builders import demos as demos_package
from builders.build import PROJECT_ROOT, build
from builders.cache import Cache
from builders.config import SiteSettings, schema_rows
from builders.convert import supported_primitives
from builders.demos import demo_registry
from builders.docs import build_docs, prepare_docs
from builders.errors import ToolError
from tests.conftest import foreign_requests

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "sine"


def test_mkdocs_strict_build_has_every_page_and_generated_reference(tmp_path):
    status = build_docs(PROJECT_ROOT, tmp_path / "docs", Cache(tmp_path / "cache"), demo_registry())
    assert status == "rebuilt"
    nav = yaml.safe_load((PROJECT_ROOT / "mkdocs.yml").read_text())["nav"]
    pages = re.findall(r"[\w/.-]+\.md", yaml.safe_dump(nav))
    assert len(pages) >= 10
    for page in pages:
        assert (tmp_path / "docs" / page.replace(".md", ".html")).is_file(), page

    primitives = (tmp_path / "docs" / "reference" / "primitives.html").read_text()
    for name in supported_primitives():
        assert f"<code>{name}</code>" in primitives, name
    reference = (tmp_path / "docs" / "reference" / "site-toml.html").read_text()
    tables = [SiteSettings] + [m.Config for m in demo_registry().values()]
    for cls in tables:
        for key, *_ in schema_rows(cls):
            assert f"<code>{key}</code>" in reference, (cls, key)
    for name in demo_registry():
        assert f"[demos.{name}]" in reference

    example = (tmp_path / "docs" / "custom-page.html").read_text()
    assert "class MLP(nn.Module)" in example and "convert_jax(apply, params" in example  # included verbatim
    assert "<!-- include:" not in example

    again = build_docs(PROJECT_ROOT, tmp_path / "docs2", Cache(tmp_path / "cache"), demo_registry())
    assert again == "cached"


def test_strict_build_fails_on_a_broken_link(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "docs", root / "docs")
    shutil.copy(PROJECT_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    page = root / "docs" / "index.md"
    page.write_text(page.read_text() + "\nSee [the missing page](missing.md).\n")
    with pytest.raises(ToolError) as info:
        build_docs(root, tmp_path / "out", Cache(tmp_path / "cache"), demo_registry())
    assert "missing.md" in str(info.value) and "--strict" in str(info.value)


def test_other_engineers_demo_pages_are_added_to_the_nav(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "docs", root / "docs")
    shutil.copy(PROJECT_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    (root / "docs" / "zzz-demo.md").write_text("# A demo page\n")
    config = yaml.safe_load(prepare_docs(root, tmp_path / "work", demo_registry()).read_text())
    assert "zzz-demo.md" in config["nav"][-1]["Demos"]


def _source_text() -> str:
    files = [p for p in (PROJECT_ROOT / "builders").rglob("*.py")]
    files += [p for p in (PROJECT_ROOT / "site_src").rglob("*.ts") if not p.name.endswith("_test.ts")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    # Join string literals split over lines ("...pass "\n f"polymorphic..." and '...' +\n '...').
    return re.sub(r"[\"'`]\s*\+?\s*\n\s*f?[\"'`]", "", text)


def test_every_troubleshooting_message_exists_in_the_code():
    text = (PROJECT_ROOT / "docs" / "troubleshooting.md").read_text()
    messages = re.findall(r"^Message: `(.+)`$", text, re.MULTILINE)
    assert len(messages) >= 25
    source = _source_text()
    missing = []
    for message in messages:
        # `…` stands for the parts that vary; every literal piece must appear in the code.
        for piece in message.split("…"):
            piece = piece.strip()
            if len(piece) >= 4 and piece not in source:
                missing.append(piece)
    assert missing == []


def test_pages_workflow_builds_with_make_site_and_deploys(tmp_path):
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "pages.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as True
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build_steps = workflow["jobs"]["build"]["steps"]
    runs = [s["run"] for s in build_steps if "run" in s]
    assert runs == ["make site"]
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make site" in readme  # the same command the README gives
    upload = next(s for s in build_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_site"
    assert [s.get("uses", "").split("@")[0] for s in build_steps].index("actions/upload-pages-artifact") > \
        [s.get("run") for s in build_steps].index("make site")
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert deploy["environment"]["name"] == "github-pages"


# ---- the worked example of docs/custom-page.md --------------------------------------------------


def load_example_module():
    """Import docs/examples/sine/builders/demos/sine.py as the user would have it in builders/demos/."""
    spec = importlib.util.spec_from_file_location("builders.demos.sine",
                                                  EXAMPLE / "builders" / "demos" / "sine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def example_project(tmp_path: Path) -> Path:
    """A project folder with the example's files where the docs say to put them, beside the real ones."""
    root = tmp_path / "project"
    for sub in ("templates", "site_src"):
        (root / sub).mkdir(parents=True)
        for entry in (PROJECT_ROOT / sub).iterdir():
            (root / sub / entry.name).symlink_to(entry)
        shutil.copytree(EXAMPLE / sub / "sine", root / sub / "sine")
    for name in ("node_modules", "package-lock.json"):
        (root / name).symlink_to(PROJECT_ROOT / name)
    return root


@pytest.mark.browser
@pytest.mark.slow
def test_worked_example_builds_and_runs_in_chromium(tmp_path, monkeypatch, browser_page):
    import builders.build

    sine = load_example_module()
    monkeypatch.setattr(demos_package, "DEMO_MODULES", [*demos_package.DEMO_MODULES, sine])
    monkeypatch.setattr(builders.build, "PROJECT_ROOT", example_project(tmp_path))
    config = tmp_path / "site.toml"
    disabled = "".join(f"[demos.{n}]\nenabled = false\n" for n in demo_registry() if n != "sine")
    config.write_text((EXAMPLE / "site.toml").read_text() + disabled)
    out = tmp_path / "_site"
    result = build(config, out, profile="smoke", cache_dir=tmp_path / "cache")
    sine_page = next(p for p in result.pages if p.name == "sine")
    manifest = sine_page.data
    assert manifest["mse"] < 0.05, "the MLP learned sin(x)"
    assert (out / "data" / "models" / "sine" / "model.json").is_file()

    from tests.conftest import serve_directory

    server, url = serve_directory(out)
    try:
        page = browser_page
        page.goto(url + "sine/index.html")
        page.locator('[data-testid="rows"] tr').nth(6).wait_for()
        rows = [[float(c) for c in row.split("\t")] for row in
                page.locator('[data-testid="rows"]').inner_text().strip().split("\n")]
        assert [r[0] for r in rows] == manifest["xs"]
        for (x, _sin_x, flax, tfjs), expected in zip(rows, manifest["flax"]):
            assert abs(flax - expected) < 1e-5
            assert abs(tfjs - expected) < 1e-4, (x, tfjs, expected)
        page.fill('[data-testid="x"]', "0")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"y\"]').textContent.includes('sin(x): 0.0000')")
        assert foreign_requests(page.requests, url) == []
        assert page.console_errors == []
    finally:
        server.shutdown()
