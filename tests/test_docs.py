"""The documentation: strict mkdocs build, generated pages, troubleshooting messages, the worked example."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from builders import demos as demos_package
from builders.build import PROJECT_ROOT, build
from builders.cache import Cache
from builders.config import SiteSettings, schema_rows
from builders.convert import supported_primitives
from builders.demos import demo_registry
from builders.docs import build_docs, generated_pages, nav_with_demo_pages
from builders.errors import ToolError
from tests.conftest import foreign_requests

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "sine"


def page_text(path: Path) -> str:
    """A built page's text without tags (code blocks are split into highlighting spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


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

    example = page_text(tmp_path / "docs" / "custom-page.html")
    assert "class MLP(nn.Module)" in example and "convert_jax(apply, params" in example  # included verbatim
    assert "<!-- include:" not in (tmp_path / "docs" / "custom-page.html").read_text()

    again = build_docs(PROJECT_ROOT, tmp_path / "docs2", Cache(tmp_path / "cache"), demo_registry())
    assert again == "cached"


def project_copy(tmp_path: Path) -> Path:
    """docs/ and mkdocs.yml copied, builders/ linked: enough for mkdocs and its hooks module."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "docs", root / "docs")
    shutil.copy(PROJECT_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    (root / "builders").symlink_to(PROJECT_ROOT / "builders")
    return root


def test_strict_build_fails_on_a_broken_link(tmp_path):
    root = project_copy(tmp_path)
    page = root / "docs" / "index.md"
    page.write_text(page.read_text() + "\nSee [the missing page](missing.md).\n")
    with pytest.raises(ToolError) as info:
        build_docs(root, tmp_path / "out", Cache(tmp_path / "cache"), demo_registry())
    assert "missing.md" in str(info.value) and "--strict" in str(info.value)


def test_other_engineers_demo_pages_are_added_to_the_nav():
    nav = [{"Home": "index.md"}, {"Demos": [{"MNIST": "mnist.md"}]}, {"Deployment": "deployment.md"}]
    pages = ["index.md", "mnist.md", "deployment.md", "zzz-demo.md"]
    assert nav_with_demo_pages(nav, pages) == [
        {"Home": "index.md"}, {"Demos": [{"MNIST": "mnist.md"}, "zzz-demo.md"]}, {"Deployment": "deployment.md"}]
    assert nav_with_demo_pages([{"Home": "index.md"}], pages)[-1] == {
        "Demos": ["deployment.md", "mnist.md", "zzz-demo.md"]}
    assert nav_with_demo_pages(nav, pages[:3]) is nav


def test_every_page_of_the_repository_is_in_the_mkdocs_nav():
    # The hook's "Demos" fallback is for pages added later; the repository's own pages are all listed.
    nav = yaml.safe_dump(yaml.safe_load((PROJECT_ROOT / "mkdocs.yml").read_text())["nav"])
    listed = set(re.findall(r"[\w/.-]+\.md", nav))
    tracked = subprocess.run(["git", "ls-files", "docs/*.md", "docs/**/*.md"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    pages = {p.removeprefix("docs/") for p in tracked} | set(generated_pages(demo_registry()))
    assert len(pages) >= 15
    assert pages - listed == set()


# ---- `mkdocs build --strict` on a clean checkout, as a contributor runs it -----------------------


def clean_checkout(dest: Path) -> Path:
    """The files git tracks for the docs (working-tree contents), and nothing the build left behind."""
    files = subprocess.run(["git", "ls-files", "-z", "--", "docs", "mkdocs.yml", "builders"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, target)
    return dest


def mkdocs_build(root: Path, out: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` run in `root` by the venv's `mkdocs` command, as CONTRIBUTING.md says."""
    command = Path(sys.executable).with_name("mkdocs")
    argv = [str(command)] if command.is_file() else [sys.executable, "-m", "mkdocs"]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([*argv, "build", "--strict", "-d", str(out)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def clean_docs(tmp_path_factory) -> Path:
    """The docs built by plain `mkdocs build --strict` in a clean copy of the repository."""
    root = clean_checkout(tmp_path_factory.mktemp("clean"))
    out = root / "site"
    result = mkdocs_build(root, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    return out


def test_plain_mkdocs_build_on_a_clean_checkout_has_the_generated_pages(clean_docs):
    primitives = (clean_docs / "reference" / "primitives.html").read_text()
    assert all(f"<code>{name}</code>" in primitives for name in supported_primitives())
    assert "[demos.mnist]" in (clean_docs / "reference" / "site-toml.html").read_text()
    assert "app.Slider" in (clean_docs / "reference" / "components.html").read_text()
    assert "class MLP(nn.Module)" in page_text(clean_docs / "custom-page.html")
    assert "<!-- include:" not in (clean_docs / "custom-page.html").read_text()
    for page in ("lit.html", "mnist.html", "toxicity.html"):
        assert (clean_docs / page).is_file()
    # The theme's override folder and the example's source files are not published as pages.
    assert not (clean_docs / "main.html").exists() and not (clean_docs / "examples").exists()


def test_docs_theme_follows_the_system_and_makes_no_third_party_request(clean_docs):
    pages = sorted(clean_docs.rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        text = page.read_text()
        assert '<meta http-equiv="Content-Security-Policy"' in text, page
        # Every script is a file of the site (the policy forbids inline ones) or inert JSON.
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (page, tag)
        # Nothing loaded from another host: scripts, styles, images, fonts, frames.
        loads = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=\"(https?:)?//", text)
        assert loads == [], page
        assert "fonts.googleapis" not in text and 'data-md-component="source"' not in text
    index = (clean_docs / "index.html").read_text()
    assert 'data-md-color-media="(prefers-color-scheme: light)"' in index
    assert 'data-md-color-media="(prefers-color-scheme: dark)"' in index
    assert "stylesheets/site-look.css" in index
    assert "Edit this page" not in index  # no repository configured, no edit link
    assert '<a href="../index.html" class="md-nav__link">' in index  # back to the demos
    for css in clean_docs.rglob("*.css"):
        assert re.findall(r"url\(\s*['\"]?(?:https?:)?//", css.read_text()) == [], css
    assert (clean_docs / "search" / "search_index.json").is_file()  # search runs on the site's own index


@pytest.mark.browser
@pytest.mark.parametrize(("system", "scheme", "other"), [("light", "default", "slate"), ("dark", "slate", "default")])
def test_docs_follow_the_system_colour_scheme_and_remember_the_toggle(clean_docs, browser, system, scheme, other):
    from tests.conftest import serve_directory

    server, url = serve_directory(clean_docs)
    context = browser.new_context(color_scheme=system)
    try:
        page = context.new_page()
        errors = []  # a script the page policy blocks is reported here
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda err: errors.append(str(err)))
        scheme_of = "() => document.body.dataset.mdColorScheme"
        # docs/_theme/js/md-palette.js applies the scheme before the theme's bundle runs (no flash).
        page.route("**/assets/javascripts/bundle.*.js", lambda route: route.abort())
        page.goto(url + "index.html")
        assert page.evaluate(scheme_of) == scheme
        page.unroute("**/assets/javascripts/bundle.*.js")
        errors.clear()  # the blocked bundle
        page.goto(url + "converter.html")
        assert page.evaluate(scheme_of) == scheme
        page.locator("label.md-header__button[for^=__palette]:visible").click()  # the visitor's own choice
        page.wait_for_function(f"() => document.body.dataset.mdColorScheme === '{other}'")
        page.goto(url + "reference/primitives.html")
        assert page.evaluate(scheme_of) == other  # kept on the next page
        assert errors == []
        page.route("**/assets/javascripts/bundle.*.js", lambda route: route.abort())
        page.goto(url + "index.html")
        assert page.evaluate(scheme_of) == other
    finally:
        context.close()
        server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mkdocs_serve_has_the_generated_pages_and_lets_live_reload_run(tmp_path):
    port = free_port()
    command = Path(sys.executable).with_name("mkdocs")
    argv = [str(command)] if command.is_file() else [sys.executable, "-m", "mkdocs"]
    server = subprocess.Popen([*argv, "serve", "-a", f"127.0.0.1:{port}"], cwd=clean_checkout(tmp_path),
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/reference/primitives.html") as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mkdocs serve did not start"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "<code>add</code>" in page
    # Its live reload is an inline script, which the built pages' policy would block.
    assert "livereload(" in page and "Content-Security-Policy" not in page


def test_edit_links_appear_when_a_repository_is_configured(tmp_path):
    root = project_copy(tmp_path)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text() + "repo_url: https://github.com/you/jax-web\nedit_uri: edit/main/docs/\n")
    result = mkdocs_build(root, tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    edit = 'href="https://github.com/you/jax-web/edit/main/docs/converter.md"'
    assert edit in (tmp_path / "site" / "converter.html").read_text()
    generated = (tmp_path / "site" / "reference" / "primitives.html").read_text()
    assert "/edit/main/docs/" not in generated  # generated pages: edit the code, not a page
    assert 'data-md-component="source"' not in generated  # no star counts from GitHub's API


def _source_text() -> str:
    files = [p for p in (PROJECT_ROOT / "builders").rglob("*.py")]
    files += sorted((PROJECT_ROOT / "build_support").glob("*.py"))  # messages of the wheel build
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
