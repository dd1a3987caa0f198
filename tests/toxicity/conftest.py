"""Fixtures for the toxicity tests: the embedded model built once, and the TS module under Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def embedded_dir(tmp_path_factory) -> Path:
    """A folder laid out like `_site/data/models/toxicity/` for the embedded source."""
    from builders.cache import Cache
    from builders.demos import toxicity
    from builders.demos.base import BuildContext

    tmp = tmp_path_factory.mktemp("toxicity")
    ctx = BuildContext(site=None, cache=Cache(tmp / "cache"), profile="smoke", project_root=ROOT)
    page = toxicity.build_assets(toxicity.Config(source="embedded"), ctx)
    out = tmp / "site-models"
    out.mkdir()
    for site_path, src in page.files.items():
        shutil.copyfile(src, out / Path(site_path).name)
    return out


@pytest.fixture(scope="session")
def toxicity_server(tmp_path_factory) -> str:
    """Base URL of a local server for the project's site.toml built with only the toxicity demo (smoke)."""
    from builders.build import PROJECT_ROOT, build
    from tests.conftest import serve_directory

    tmp = tmp_path_factory.mktemp("toxicity-site")
    build(PROJECT_ROOT / "site.toml", tmp / "_site", only=["toxicity"], profile="smoke")
    server, url = serve_directory(tmp / "_site")
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def run_node(tmp_path_factory):
    """`run_node(job) -> result`: tests/toxicity/node_classify.ts bundled with esbuild, run by Node."""
    bundle = tmp_path_factory.mktemp("node") / "node_classify.cjs"
    subprocess.run([str(ROOT / "node_modules/.bin/esbuild"), str(ROOT / "tests/toxicity/node_classify.ts"),
                    "--bundle", "--platform=node", "--format=cjs", f"--outfile={bundle}", "--log-level=warning"],
                   check=True, cwd=ROOT)

    def run(job: dict, expect_error: bool = False):
        proc = subprocess.run(["node", str(bundle)], input=json.dumps(job), capture_output=True, text=True,
                              timeout=600)
        if expect_error:
            assert proc.returncode != 0, proc.stdout
            return proc.stderr
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return run
