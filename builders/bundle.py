"""Bundle `site_src/` TypeScript with esbuild (TF.js from npm, nothing from a CDN)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from . import tfjs_kernels
from .cache import Cache, hash_code, hash_files
from .errors import BuildError
from .paths import esbuild_executable
from .proc import run_tool

# `@tensorflow/tfjs` in page code means our slimmer union (no tfjs-layers / tfjs-data), and a
# namespace member it lacks (`tf.layers`) is an error instead of a silent `undefined`.
TFJS_ALIAS = "site_src/common/tfjs.ts"
ESBUILD_FLAGS = ("--bundle", "--minify", "--format=esm", "--target=es2020", "--legal-comments=none",
                 "--log-level=warning", f"--alias:@tensorflow/tfjs=./{TFJS_ALIAS}",
                 "--log-override:import-is-undefined=error", "--define:process.env.NODE_ENV=\"production\"")

WASM_FILES = ("tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm")


def esbuild_binary(root: Path) -> Path:
    binary = esbuild_executable(root / "node_modules")
    if binary is None:
        raise BuildError("esbuild is not installed: run `npm ci` in the project folder (the README's "
                         "build command does it for you)")
    return binary


def bundle_entries(entries: dict[str, str], root: Path, cache: Cache,
                   kernels: dict[str, set[str] | None] | None = None,
                   backends: dict[str, tuple[str, ...]] | None = None) -> dict[str, Path]:
    """Bundle each entry (bundle name -> TS path) into a minified, content-hashed JS file.

    `kernels` gives, per bundle name, the TF.js kernels it registers (see builders/tfjs_kernels.py):
    a set for exactly those (plus the runtime's own), None for every kernel of every backend. The
    site's TF.js (site_src/common/tfjs.ts) registers none itself, so every bundle that runs a model
    must be listed; bundles not listed (the service worker's registration script) get no kernels.
    `backends` gives, per bundle name, the TF.js backends it includes (default `tfjs_kernels.BACKENDS`).
    Returns bundle name -> cached file whose name is `<name>-<hash>.js`. Cached by the contents of
    site_src/, package-lock.json and the kernel lists.
    """
    esbuild = esbuild_binary(root)
    kernels = kernels or {}
    backends = {name: tuple(b) for name, b in (backends or {}).items() if tuple(b) != tfjs_kernels.BACKENDS}
    wanted = {name: (None if kernels[name] is None else sorted(kernels[name])) if name in kernels else "none"
              for name in entries}
    inputs = {"entries": entries, "flags": ESBUILD_FLAGS, "kernels": wanted, "backends": backends,
              "src": hash_files([root / "site_src", root / "package-lock.json"]),
              "kernel_modules": hash_code(tfjs_kernels)}  # the generated registration code

    def build(out: Path) -> dict[str, str]:
        names = {}
        generated = out / "entries"
        generated.mkdir()
        for name, entry in sorted(entries.items()):
            if not (root / entry).is_file():
                raise BuildError(f"bundle entry {entry} does not exist")
            source = root / entry
            if name in kernels:
                source = tfjs_kernels.kernels_entry(name, source, kernels[name], generated, root / "node_modules",
                                                    backends.get(name, tfjs_kernels.BACKENDS))
            tmp = out / f"{name}.js"
            # NODE_PATH: the generated entries live in the cache, which may be outside the project.
            run_tool([esbuild, str(source), *ESBUILD_FLAGS, f"--outfile={tmp}"], cwd=root,
                     env={**os.environ, "NODE_PATH": str(root / "node_modules")})
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()[:10]
            final = out / f"{name}-{digest}.js"
            tmp.rename(final)
            names[name] = final.name
        shutil.rmtree(generated)
        return names

    result = cache.run("bundle", inputs, build)
    return {name: result.path / file for name, file in result.value.items()}


def copy_wasm_binaries(root: Path, dest: Path) -> list[Path]:
    """Self-host the TF.js WASM backend binaries under `dest` (no CDN)."""
    src = root / "node_modules" / "@tensorflow" / "tfjs-backend-wasm" / "dist"
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in WASM_FILES:
        if (src / name).is_file():
            shutil.copyfile(src / name, dest / name)
            copied.append(dest / name)
    if not copied:
        raise BuildError(f"TF.js WASM binaries not found in {src}: run `npm ci`")
    return copied
