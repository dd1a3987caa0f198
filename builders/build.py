"""`python -m builders.build`: site.toml -> a static site in `_site/`.

Reads top to bottom: load and validate the config, run each demo's steps (cached),
bundle the TypeScript, render the templates, build the docs, then swap the new site
in atomically and print a summary. A failed or interrupted build leaves the
previous `_site/` exactly as it was.

The output folder is replaced as a whole, so the build only ever replaces a folder it wrote
itself: every site carries a `.jaxweb-site` stamp, and an existing folder without it (or one
that holds the project, the config, a repository or the home folder) is refused before any work.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .app.project import declared_user_demos
from .benchmark_page import NAME as BENCHMARK_NAME
from .benchmark_page import benchmark_page
from .bundle import bundle_entries, copy_wasm_binaries
from .cache import Cache, os_error_advice, os_error_path, os_error_reason, remove_stale, trash_name, work_dir
from .cards import MODEL_TEMPLATE, demo_cards, model_cards
from .config import SiteConfig, load_config
from .convert.errors import ConversionError
from .demos import demo_registry
from .demos.base import BuildContext, Page
from .docs import build_docs
from .errors import BuildError, ConfigError, StepError, StepErrors
from .not_found import render_not_found
from .page_weight import PageWeight, format_weights, over_budget, page_weights
from .paths import TOOL_ROOT
from .render import Renderer
from .serve_command import serve_command
from .service_worker import REGISTER_ENTRY, SHARE_ENTRY, write_service_worker
from .summary import StepRecord, format_summary
from .tfjs_kernels import model_kernels

PROJECT_ROOT = TOOL_ROOT  # the tool's templates/, site_src/, node_modules/, docs/ (builders/paths.py)
FILE_PROTOCOL_SCRIPT = "file-protocol.js"  # templates/static/: see base.html
STAMP = ".jaxweb-site"  # marks a folder this tool wrote, so a later build may replace it
STAMP_CONTENT = {"tool": "jax-web-demos", "written_by": "python -m builders.build"}


class OutputError(BuildError):
    """`--out` names a folder the build must not replace; nothing was done."""


@dataclass
class BuildResult:
    out: Path
    pages: list[Page]
    records: list[StepRecord]
    weights: list[PageWeight] = field(default_factory=list)  # per page: bundle raw/gzip, data
    warnings: list[str] = field(default_factory=list)  # budgets exceeded


def _dir_bytes(paths) -> int:
    return sum(Path(p).stat().st_size for p in paths)


def run_demos(config: SiteConfig, ctx: BuildContext, only: list[str] | None,
              registry: dict | None = None) -> tuple[list[Page], list[StepRecord]]:
    """Build every enabled demo; a failing demo does not stop the others, so all failures are reported."""
    registry = registry or demo_registry()
    pages, records, failures = [], [], []
    for name, demo_config in config.demos.items():
        if only and name not in only:
            continue
        print(f"==> {name}", flush=True)
        events_before = len(ctx.cache.events)
        start = time.perf_counter()
        try:
            page = registry[name].build_assets(demo_config, ctx)
        except (BuildError, ConversionError) as exc:
            failures.append(StepError(name, exc))
            continue
        seconds = time.perf_counter() - start
        events = ctx.cache.events[events_before:]
        status = "cached" if events and all(hit for _, hit in events) else "rebuilt"
        pages.append(page)
        records.append(StepRecord(name, status, seconds, _dir_bytes(page.files.values()), page.summary))
    if len(failures) == 1:
        raise failures[0] from failures[0].cause
    if failures:
        raise StepErrors(failures)
    return pages, records


def assemble(pages: list[Page], config: SiteConfig, cache: Cache, staging: Path) -> list[StepRecord]:
    """Bundle scripts, copy data and render every page into `staging`."""
    records = []
    start = time.perf_counter()
    entries, kernels, backends = {}, {}, {}
    before = len(cache.events)
    for page in pages:
        page_kernels = None
        if page.tfjs_kernels is not None:
            models = [src.parent for rel, src in page.files.items() if rel.endswith("model.json")]
            page_kernels = set(page.tfjs_kernels) | model_kernels(models, cache)
        if page.entry:
            entries[page.name] = page.entry
            kernels[page.name] = page_kernels
            backends[page.name] = page.tfjs_backends
        entries.update(page.extra_entries)
        kernels.update(dict.fromkeys(page.extra_entries, page_kernels))
        backends.update(dict.fromkeys(page.extra_entries, page.tfjs_backends))
    if config.site.service_worker:
        entries[REGISTER_ENTRY[0]] = REGISTER_ENTRY[1]  # no TF.js: no kernels
    entries[SHARE_ENTRY[0]] = SHARE_ENTRY[1]
    bundles = bundle_entries(entries, PROJECT_ROOT, cache, kernels, backends)
    assets_dir = staging / "assets"
    assets_dir.mkdir(parents=True)
    asset_paths = {}
    for name, file in bundles.items():
        shutil.copyfile(file, assets_dir / file.name)
        asset_paths[name] = f"assets/{file.name}"
    shutil.copyfile(PROJECT_ROOT / "templates" / "static" / "site.css", assets_dir / "site.css")
    asset_paths["css"] = "assets/site.css"
    # A classic script, the one kind a page opened from disk (file://) still runs: it says how to serve the site.
    shutil.copyfile(PROJECT_ROOT / "templates" / "static" / FILE_PROTOCOL_SCRIPT, assets_dir / FILE_PROTOCOL_SCRIPT)
    asset_paths["file-protocol"] = f"assets/{FILE_PROTOCOL_SCRIPT}"
    copy_wasm_binaries(PROJECT_ROOT, assets_dir / "wasm")
    hit = all(h for _, h in cache.events[before:])
    records.append(StepRecord("bundle", "cached" if hit else "rebuilt", time.perf_counter() - start,
                              _dir_bytes(assets_dir.rglob("*.js")), {"bundles": len(bundles)}))

    start = time.perf_counter()
    nav = [{"name": p.name, "title": p.title, "description": p.description, "href": f"{p.name}/"} for p in pages]
    renderer = Renderer(PROJECT_ROOT / "templates", config.site, nav, asset_paths)
    bench = next((p for p in pages if p.name == BENCHMARK_NAME), None)
    cards = model_cards(pages, bench.data["models"] if bench else [])  # from what the demos recorded
    for page in pages:
        page.data["model_cards"] = [c for c in cards if c["page"] == page.name]  # linked from its page
    for page in pages:
        for rel, src in page.files.items():
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        html = renderer.render(page.template, f"{page.name}/index.html", page=page.data,
                               bundle=asset_paths.get(page.name), title=page.title)
        _write(staging / page.name / "index.html", html)
        for site_path, template in page.extra_pages.items():
            _write(staging / site_path, renderer.render(template, site_path, page=page.data,
                                                        bundle=asset_paths.get(page.name), title=page.title))
    for card in cards:
        _write(staging / card["href"], renderer.render(MODEL_TEMPLATE, card["href"], page={"card": card},
                                                        title=f"Model card: {card['id']}"))
    _write(staging / "index.html", renderer.render("index.html", "index.html", title=config.site.title,
                                                   page={"cards": demo_cards(pages, cards, staging)}))
    _write(staging / "404.html", render_not_found(renderer))  # served at any depth: see not_found.py
    (staging / ".nojekyll").write_text("")
    (staging / STAMP).write_text(json.dumps(STAMP_CONTENT, sort_keys=True) + "\n")  # not in sw.js: no page needs it
    if config.site.service_worker:
        write_service_worker(staging, pages, asset_paths, config.site)
    records.append(StepRecord("render", "rebuilt", time.perf_counter() - start, 0, {"pages": len(pages) + 2}))
    return records


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def swap_in(staging: Path, out: Path) -> None:
    """Replace `out` by `staging` with renames, so readers never see a half-written site."""
    for _ in range(10):
        old = None
        if out.exists():
            old = trash_name(out.parent, f".{out.name}.old-")
            try:
                os.replace(out, old)
            except FileNotFoundError:
                old = None  # a concurrent build moved it aside first
        try:
            os.replace(staging, out)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):  # a concurrent build swapped its site in meanwhile
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
                continue  # replace that one: the last build to finish wins
            if old is not None:
                os.replace(old, out)  # put the previous site back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return
    raise BuildError(f"cannot write the site to {out}: other builds kept replacing it; build again")


def _has_stamp(folder: Path) -> bool:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8")).get("tool") == STAMP_CONTENT["tool"]
    except (OSError, ValueError, AttributeError):
        return False


def check_out(out: Path, config_path: Path) -> None:
    """Raise `OutputError` unless `out` (resolved) is new, empty, or a site this tool wrote."""
    home = Path.home().resolve()
    config = config_path.resolve()
    why = None
    if out == Path(out.anchor):
        why = "is the root of the file system"
    elif home.is_relative_to(out):
        why = f"is or contains your home folder {home}"
    elif PROJECT_ROOT.is_relative_to(out):
        why = f"is or contains the project {PROJECT_ROOT}"
    elif config.is_relative_to(out):
        why = f"contains the config file {config}"
    elif (out / ".git").exists():
        why = "contains a .git folder (a repository)"
    if why:
        raise OutputError(f"--out {out}: {why}; the build replaces that folder as a whole, so give it a "
                          f"folder of its own such as _site")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: is a file, not a folder; choose another folder or delete it yourself")
    if out.is_dir() and not _has_stamp(out) and any(out.iterdir()):
        raise OutputError(f"--out {out}: exists and was not written by this tool (no .jaxweb-site stamp); "
                          f"choose another folder or delete it yourself")


def _write_error(exc: OSError, out: Path, staging: Path | None) -> BuildError:
    """A BuildError for an OSError while writing the site: what failed, where, and what to do."""
    path = os_error_path(exc)
    if path is not None:
        file = Path(os.path.abspath(path))
        in_staging = staging is not None and file.is_relative_to(staging)
        work_folder = file.parent == out.parent and file.name.startswith(f".{out.name}.")
        if not (in_staging or work_folder or file.is_relative_to(out) or out.parent.is_relative_to(file)):
            # not the site: reading an input failed, say
            return BuildError(f"{path}: {os_error_reason(exc)}; check that file and build again")
        if in_staging:
            path = file.relative_to(staging).as_posix()  # where it goes in the site
        elif work_folder:
            path = str(out.parent)  # a work folder's random name says nothing: name its folder
    where = f" ({path})" if path else ""
    advice = os_error_advice(exc, f"make {out.parent} writable or choose another --out")
    return BuildError(f"cannot write the site to {out}: {os_error_reason(exc)}{where}; {advice}")


def build(config_path: str | Path = "site.toml", out: str | Path | None = None, *, only: list[str] | None = None,
          clean: bool = False, profile: str = "default", cache_dir: str | Path | None = None) -> BuildResult:
    """Build the whole site; raises `OutputError`, `ConfigError`, `StepError` or `BuildError`."""
    project = Path(config_path).resolve().parent  # the user's folder: _site/ and .cache/ default to it
    out = Path(out).resolve() if out is not None else project / "_site"
    check_out(out, Path(config_path))  # before any work: a refused --out costs nothing
    registry = {**demo_registry(), **declared_user_demos(Path(config_path), set(demo_registry()))}
    config = load_config(config_path, registry, profile=profile)
    if only:
        unknown = [n for n in only if n not in registry]
        if unknown:
            raise ConfigError([f"--only: unknown demo '{n}'; known demos: {', '.join(registry)}" for n in unknown],
                              "command line")
        not_enabled = [n for n in only if n not in config.demos]
        if not_enabled:
            raise ConfigError([f"--only: demo '{n}' is disabled in site.toml" for n in not_enabled], "command line")
    cache_root = Path(cache_dir) if cache_dir else project / ".cache"
    if clean and cache_root.exists():
        shutil.rmtree(cache_root)
    cache = Cache(cache_root / profile if profile != "default" else cache_root)
    ctx = BuildContext(site=config.site, cache=cache, profile=profile, project_root=PROJECT_ROOT)
    staging = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for prefix in (f".{out.name}.staging-", f".{out.name}.old-"):  # left by builds that were killed
            remove_stale(out.parent, prefix)
        with work_dir(out.parent, f".{out.name}.staging-") as staging:
            staging.chmod(0o755)  # mkdtemp makes it private; a published site must be world-readable
            pages, records = run_demos(config, ctx, only, registry)
            bench = benchmark_page(pages)  # times every model the demos ship
            if bench is not None:
                pages.append(bench)
            records += assemble(pages, config, cache, staging)
            weights = page_weights(pages, staging)
            warnings = over_budget(weights, config.site.budget_bundle_kb, config.site.budget_bundle_gzip_kb,
                                   config.site.budget_data_kb)
            start = time.perf_counter()
            docs_status = build_docs(PROJECT_ROOT, staging / "docs", cache, demo_registry())  # the tool's docs
            if docs_status:
                records.append(StepRecord("docs", docs_status, time.perf_counter() - start,
                                          _dir_bytes(p for p in (staging / "docs").rglob("*") if p.is_file())))
            swap_in(staging, out)
    except OSError as exc:
        raise _write_error(exc, out, staging) from exc
    return BuildResult(out, pages, records, weights, warnings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builders.build", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="site.toml", help="settings file (default: site.toml)")
    parser.add_argument("--out", help="output folder (default: _site beside the settings file)")
    parser.add_argument("--only", default="", help="build only these demos, e.g. --only jax,mnist")
    parser.add_argument("--clean", action="store_true", help="delete the build cache first (redo all work)")
    parser.add_argument("--profile", choices=("default", "smoke"), default="default",
                        help="'smoke' trains for a few steps only (for tests)")
    args = parser.parse_args(argv)
    args.out = args.out or str(Path(args.config).parent / "_site")
    only = [n.strip() for n in args.only.split(",") if n.strip()] or None
    start = time.perf_counter()
    try:
        result = build(args.config, args.out, only=only, clean=args.clean, profile=args.profile)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: invalid configuration ({len(exc.problems)} problem{'s' * (len(exc.problems) != 1)}):",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  {exc.path}: {problem}", file=sys.stderr)
        return 2
    except (BuildError, ConversionError) as exc:
        print(f"error: {exc}\nThe previous {args.out}/ was left unchanged.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted; the previous {args.out}/ was left unchanged.", file=sys.stderr)
        return 130
    print()
    print(format_summary(result.records))
    print()
    print(format_weights(result.weights))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    # `make serve` rebuilds the plain site first, so it is offered only after that build.
    plain = only is None and args.profile == "default" and Path(args.config) == Path("site.toml")
    print(f"\nbuilt {result.out} in {time.perf_counter() - start:.1f}s "
          f"({len(result.pages)} demo page{'s' * (len(result.pages) != 1)}); "
          f"serve it with: {serve_command(result.out, default_build=plain)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
