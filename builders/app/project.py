"""Demos of the user's own, declared in site.toml: `[demos.<name>]` with `module = "demo.py"`.

Each becomes a demo module of the build (NAME, Config, build_assets; see builders/demos/base.py):
it imports the user's module, calls its `demo(ctx)`, checks the returned `app.Demo`, converts and
verifies it (builders/app/publish.py) and describes the one generic page (templates/app/index.html,
site_src/app/main.ts).
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import io
import re
import sys
import tomllib
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import markdown
import segno

from ..errors import BuildError
from .context import DemoContext
from .demo import Demo, fn_where
from .errors import DemoError, Problem, Where, describe_exception, user_frame
from .publish import publish

if TYPE_CHECKING:  # imported when a page is made: the tool's own demos import this module
    from ..demos.base import BuildContext, Page

TEMPLATE = "app/index.html"
ENTRY = "site_src/app/main.ts"


@dataclass
class Config:
    """`[demos.<name>]` with a `module` key: a demo of your own, written with `builders.app`
    (see [Add your own model](../add-your-own-model.md)). `<name>` is its URL folder."""

    module: str = field(default="", metadata={
        "doc": "Your Python file, relative to site.toml; its `demo(ctx)` returns an `app.Demo`.", "path": True})
    function: str = field(default="demo", metadata={
        "doc": "The function of `module` that declares the demo (several demos can share a file)."})

    SMOKE: ClassVar[dict] = {}


def declared_user_demos(config_path: Path, builtin: set[str]) -> dict[str, types.ModuleType]:
    """Demo modules for the `[demos.<name>]` tables of `config_path` that have a `module` key.

    A file that cannot be read or parsed gives none: `load_config` reports that problem.
    """
    try:
        raw = tomllib.loads(Path(config_path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    demos = raw.get("demos", {})
    if not isinstance(demos, dict):
        return {}
    project = Path(config_path).resolve().parent
    return {name: demo_module(name, project) for name, table in demos.items()
            if isinstance(table, dict) and "module" in table and name not in builtin}


def demo_module(name: str, project: Path) -> types.ModuleType:
    """A demo module (the build's contract) for the user's demo `name` of the project in `project`."""
    module = types.ModuleType(f"builders.app.user_demo.{name}", Config.__doc__)
    module.NAME = name
    module.Config = Config
    module.build_assets = functools.partial(build_assets, name=name, project=project)
    return module


def _import(path: Path, name: str, project: Path) -> types.ModuleType:
    """Import the user's file; its folder goes on sys.path so it can import its neighbours."""
    module_name = "jaxweb_demo_" + re.sub(r"\W", "_", name)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise DemoError([Problem(None, f"module {path.name}", "is not a Python file")], name, project)
    module = importlib.util.module_from_spec(spec)
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        where = Where(exc.filename or str(path), exc.lineno or 0)
        raise DemoError([Problem(where, f"module {path.name}", f"SyntaxError: {exc.msg}")], name, project) from None
    except Exception as exc:  # the user's code: their line, not our traceback
        where = user_frame(exc, project) or Where(str(path), 1)
        raise DemoError([Problem(where, f"module {path.name}", describe_exception(exc))], name, project) from None
    return module


# Folders of the site that a demo's page folder must not replace.
RESERVED = ("assets", "data", "docs", "benchmark")


def load_demo(config: Config, ctx: BuildContext, name: str, project: Path) -> Demo:
    """Import the user's module, call its `demo(ctx)` and check the `Demo` it returns (all problems at once)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name) or name in RESERVED:
        why = "is a folder of the site already" if name in RESERVED else "has characters a URL folder should not have"
        raise DemoError([Problem(None, "site.toml", f"the name is the page's URL folder and {why}; use letters, "
                                 f"digits, - and _ (not {', '.join(RESERVED)})")], name, project)
    if not config.module:
        raise DemoError([Problem(None, "site.toml", 'module is empty; give your Python file, e.g. module = "demo.py"')],
                        name, project)
    path = Path(config.module)
    module = _import(path, name, project)
    declare = getattr(module, config.function, None)
    if not callable(declare):
        raise DemoError([Problem(Where(str(path), 1), f"module {path.name}",
                                 f"has no function {config.function}(ctx); define it to return an app.Demo(...)")],
                        name, project)
    subject = f"{config.function}(ctx)"
    try:
        demo = declare(DemoContext(ctx.cache, ctx.profile, name, project, config))
    except DemoError as exc:
        raise exc.named(name, project) from None
    except BuildError:
        raise
    except Exception as exc:  # the user's code, or their training
        where = user_frame(exc, project) or fn_where(declare)
        raise DemoError([Problem(where, subject, f"raised {describe_exception(exc)}")], name, project) from None
    return checked(demo, declare, subject, name, project)


def checked(demo: Any, declare: Callable, subject: str, name: str, project: Path) -> Demo:
    """`demo` (what `declare` returned) when it is a correct `Demo`; else every problem found, at once."""
    if not isinstance(demo, Demo):
        raise DemoError([Problem(fn_where(declare), subject, f"returned {type(demo).__name__}; "
                                 "return an app.Demo(...)")], name, project)
    problems = demo.problems() or demo.output_problems(project)
    if problems:
        raise DemoError(problems, name, project)
    return demo


def qr_svg(url: str) -> str:
    """An inline SVG QR code of `url` (made at build time: the page needs no script or network for it)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                    title=f"QR code of {url}", svgclass="qr-code", lineclass=None)
    return buffer.getvalue().decode()


def demo_page(demo: Demo, name: str, ctx: BuildContext) -> Page:
    """A checked demo as a page: converted, verified in TF.js (cached), rendered by the generic page."""
    from ..demos.base import Page  # not at the top: builders.demos imports the demos, which import this module

    spec, files = publish(demo, name, ctx.cache)
    client = {**spec, "model": f"models/{name}/model.json"}
    site_url = (getattr(ctx.site, "site_url", "") or "").strip()
    public_url = f"{site_url.rstrip('/')}/{name}/" if site_url else ""
    article = markdown.markdown(inspect.cleandoc(demo.article)) if demo.article.strip() else ""
    return Page(
        name=name, title=demo.title, description=demo.description, template=TEMPLATE, entry=ENTRY,
        data={"client": client, "verified": spec["verified"], "profile": ctx.profile, "article": article,
              "public_url": public_url, "qr_svg": qr_svg(public_url) if public_url else ""},
        files=files,
        summary={"examples": len(spec["examples"]), "verified": spec["verified"]["runs"],
                 "model": f"{spec['verified']['bytes'] / 1e6:.2f} MB",
                 "max |err|": f"{spec['verified']['maxAbsError']:.2g}"},
        tfjs_kernels=[],  # the page's code only runs the model (activations are computed in JavaScript)
        tfjs_backends=("cpu", "webgl", "wasm", "webgpu"),  # the page probes each before using it
    )


def build_assets(config: Config, ctx: BuildContext, *, name: str, project: Path) -> Page:
    """The user's demo as a page."""
    return demo_page(load_demo(config, ctx, name, project), name, ctx)


def builtin(name: str, declare: Callable[[DemoContext], Demo]) -> Callable[[Any, BuildContext], Page]:
    """The `build_assets` of one of the tool's demos written with the API, like a user's: `declare(ctx)`
    gets its `[demos.<name>]` settings (its own `Config`) as `ctx.config`; paths are relative to the
    tool's project folder."""
    def build_assets(config: Any, ctx: BuildContext) -> Page:
        try:
            demo = declare(DemoContext(ctx.cache, ctx.profile, name, ctx.project_root, config))
        except DemoError as exc:
            raise exc.named(name, ctx.project_root) from None
        return demo_page(checked(demo, declare, "demo(ctx)", name, ctx.project_root), name, ctx)
    build_assets.__doc__ = f"Declare the {name} demo with builders.app and build its page."
    return build_assets
