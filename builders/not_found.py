"""The site's 404.html, which hosts serve for a missing address at any depth.

GitHub Pages answers /repo/missing and /repo/a/b/c/missing with the same /repo/404.html, so the
page cannot use relative URLs, and without `site_url` the build does not know the site's root.
The stylesheet is therefore inline, and a small inline script (templates/static/find-root.js)
finds the root from the address and fixes the links. The page's Content-Security-Policy is the
site's, with that one script allowed by its hash: no other inline script can run.
"""

from __future__ import annotations

import base64
import hashlib

from .render import Renderer, content_security_policy


def script_hash(script: str) -> str:
    """The CSP source that allows exactly the inline script `script`: 'sha256-<base64>'."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def render_not_found(renderer: Renderer) -> str:
    """The HTML of 404.html; links start from `site_url` (or "/") until the script finds the root."""
    def source(name: str) -> str:
        return renderer.env.loader.get_source(renderer.env, name)[0]

    script = source("static/find-root.js")
    csp = "; ".join(f"{d} {script_hash(script)}" if d.startswith("script-src ") else d
                    for d in content_security_policy(renderer.site).split("; "))
    site_url = renderer.site.site_url
    return renderer.env.get_template("404.html").render(
        site=renderer.site, nav=renderer.nav, csp=csp, css=source("static/site.css"), script=script,
        root=site_url.rstrip("/") + "/" if site_url else "/")
