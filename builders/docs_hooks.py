"""mkdocs hooks (named by `hooks:` in mkdocs.yml): the generated pages, included example files and the page policy.

mkdocs loads this file by its path, not as part of the `builders` package, so it puts the project
that holds it first on `sys.path`: `mkdocs serve` in any checkout then documents that checkout's
code, not another copy that happens to be installed. The work itself is in `builders/docs.py`,
which the site build uses too.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from builders.demos import demo_registry  # noqa: E402  (needs the path above)
from builders.docs import docs_csp, expand_includes, generated_pages, nav_with_demo_pages  # noqa: E402

_command = "build"


def on_startup(command, dirty):
    """Remember whether this is `mkdocs serve`, whose live reload is an inline script."""
    global _command
    _command = command


def on_config(config):
    """The pages' Content-Security-Policy (read by docs/_theme/main.html) and every top-level page in the nav.

    `mkdocs serve` gets no policy: it injects an inline live-reload script that the policy would
    block. Every built page (`mkdocs build`, the site) has it.
    """
    config.extra["csp"] = None if _command == "serve" else docs_csp()
    if config.nav is not None:
        pages = [p.name for p in Path(config.docs_dir).glob("*.md")]
        config.nav = nav_with_demo_pages(config.nav, pages)
    return config


def on_files(files, config):
    """Add the generated reference pages as virtual files (they are never written into docs/)."""
    from mkdocs.structure.files import File

    for path, text in generated_pages(demo_registry()).items():
        stale = files.get_file_from_path(path)
        if stale is not None:  # a copy left in docs/ by hand must not shadow the generated page
            files.remove(stale)
        files.append(File.generated(config, path, content=text))
    return files


def on_nav(nav, config, files):
    """First in the nav, a link out to the demos: the docs are the `docs/` folder of the site.

    Added here because a nav entry in mkdocs.yml may only name a docs page (strict mode rejects
    `../index.html`). Under `mkdocs serve` the link lands on the docs' own home page.
    """
    from mkdocs.structure.nav import Link

    nav.items.insert(0, Link("The demo site", "../index.html"))
    return nav


def on_page_markdown(markdown, page, config, files):
    """Expand `<!-- include: path -->` lines into fenced blocks of those files."""
    return expand_includes(markdown, Path(config.docs_dir))
