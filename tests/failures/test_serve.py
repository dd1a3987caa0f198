"""`python -m builders.serve` with hostile requests and bad ports, and the site's 404 page at any depth.

The server runs in this process on a free loopback port, serving a small folder made in tmp_path:
a symlink out of it, a folder without index.html, a 404.html. Every wait is bounded.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from builders.build import PROJECT_ROOT
from builders.config import SiteSettings
from builders.not_found import render_not_found
from builders.render import Renderer
from builders.serve import CORSRequestHandler, main, make_server

NOT_FOUND = "<!doctype html><title>the site's 404 page</title>"


@pytest.fixture
def site(tmp_path) -> Path:
    """A site folder with a file, a folder without index.html and symlinks out of it."""
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_text("home")
    (site / "404.html").write_text(NOT_FOUND)
    (site / "sub" / "notes.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "index.html").write_text("secret index")
    (site / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (site / "leak").symlink_to(tmp_path / "secret", target_is_directory=True)
    (site / "loop").symlink_to(site / "loop")
    return site


def start(directory: Path, handler=None, idle_timeout: float | None = None):
    """An in-process server for `directory` on a free loopback port; returns (server, port)."""
    server = make_server(directory, "127.0.0.1", 0)
    if idle_timeout is not None:
        server.idle_timeout = idle_timeout
    if handler is not None:
        server.RequestHandlerClass = lambda *a: handler(*a, directory=str(directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def port(site):
    server, port = start(site)
    yield port
    server.shutdown()
    server.server_close()


def request(port: int, path: str, method: str = "GET"):
    """(status, headers, body) of one request; the path is sent as it is."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def raw(port: int, data: bytes) -> bytes:
    """Send `data` on a new connection and read the whole answer (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("path", ["/leak.txt", "/leak/", "/leak/index.html", "/loop", "/../secret.txt",
                                  "/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt", "/" + "a" * 300,
                                  "/%ff%fe.html"])
def test_only_files_inside_the_folder_are_served(port, path):
    status, _, body = request(port, path)
    assert (status, body) == (404, NOT_FOUND)


def test_a_folder_without_index_html_is_not_listed(port):
    status, headers, body = request(port, "/sub/")
    assert (status, body) == (404, NOT_FOUND)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert request(port, "/sub/notes.txt")[::2] == (200, "inside")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_missing_file_gets_the_sites_404_page(port, method):
    status, headers, body = request(port, "/a/b/c/missing.html", method)
    assert status == 404
    assert body == (NOT_FOUND if method == "GET" else "")
    assert int(headers["Content-Length"]) == len(NOT_FOUND)


def test_without_a_404_page_the_standard_one_answers(port, site):
    (site / "404.html").unlink()
    status, _, body = request(port, "/missing")
    assert status == 404 and "File not found" in body


@pytest.mark.parametrize("path", ["/", "/sub/notes.txt", "/missing"])
def test_every_answer_has_nosniff_cors_and_no_cache(port, path):
    _, headers, _ = request(port, path)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", [b"/a%00b", b"/sub/%00", b"/index.html%00.txt"])
def test_a_nul_in_the_path_is_a_bad_request_without_traceback(port, path, capfd):
    answer = raw(port, b"GET " + path + b" HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 400 ")
    assert b"The path contains a NUL character" in answer
    assert request(port, "/")[0] == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err


def test_an_idle_connection_is_closed_after_the_timeout(site):
    server, port = start(site, idle_timeout=1.0)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
            started = time.monotonic()
            assert idle.recv(1) == b""  # the server hung up (before the fix: blocked until this timeout)
            assert time.monotonic() - started < 5
    finally:
        server.shutdown()
        server.server_close()


def test_idle_connections_do_not_starve_the_server(port):
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
    try:
        idle[0].sendall(b"GET / HTTP/1.0\r\n")  # one stops halfway through its request
        started = time.monotonic()
        status, _, body = request(port, "/")
        assert (status, body) == (200, "home")
        assert time.monotonic() - started < 3
    finally:
        for s in idle:
            s.close()


def test_an_unexpected_error_is_one_line(site, capsys):
    server = make_server(site, "127.0.0.1", 0)
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            server.handle_error(None, ("127.0.0.1", 5555))
    finally:
        server.server_close()
    assert capsys.readouterr().err == "error: a request from 127.0.0.1 failed: RuntimeError('boom')\n"


def serve_cli(*args: str, env: dict | None = None, prefix: tuple = ()) -> subprocess.CompletedProcess:
    """Run `python -m builders.serve` expecting it to stop at once with an error."""
    return subprocess.run([*prefix, sys.executable, "-m", "builders.serve", *args], capture_output=True, text=True,
                          timeout=60, cwd=PROJECT_ROOT, env=env)


@pytest.mark.parametrize("port_number", ["99999", "-1"])
def test_a_port_out_of_range_is_one_line(site, port_number):
    result = serve_cli("--dir", str(site), "--port", port_number)
    assert result.returncode == 2
    assert result.stderr == (f"error: cannot serve on port {port_number}: out of range; pick a port between 1 "
                             "and 65535 (0 picks a free one)\n")


def test_a_port_in_use_is_one_line(site, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert main(["--dir", str(site), "--port", str(busy)]) == 2
    assert capsys.readouterr().err == f"error: cannot serve on port {busy}: it is in use; pass --port N " \
                                      "(0 picks a free one)\n"


def test_a_privileged_port_is_one_line(site):
    prefix: tuple = ()
    if os.geteuid() == 0:  # root may bind port 1: drop that power for the child
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without util-linux's setpriv: cannot take away CAP_NET_BIND_SERVICE")
        prefix = (setpriv, "--inh-caps=-all", "--bounding-set=-net_bind_service", "--")
    result = serve_cli("--dir", str(site), "--port", "1", prefix=prefix)
    assert result.returncode == 2
    assert result.stderr == ("error: cannot serve on port 1: permission denied; pick a port between 1024 and "
                             "65535 (lower ones need root)\n")


def test_a_missing_site_says_to_build_first(tmp_path):
    result = serve_cli("--dir", str(tmp_path / "_site"), "--port", "0")
    assert result.returncode == 1
    assert result.stderr == (f"error: {tmp_path}/_site/index.html not found; build the site first with: "
                             "python -m builders.build\n")


# ---- the site's 404.html at any depth, at a domain root and under /repo/ ------------------------


def write_site(folder: Path, title: str) -> None:
    """A site with a home page, one demo and docs, and the 404.html the build writes."""
    nav = [{"name": "jax", "title": "JAX", "description": "", "href": "jax/"}]
    renderer = Renderer(PROJECT_ROOT / "templates", SiteSettings(title=title), nav, {})
    for page in ("index.html", "jax/index.html", "docs/index.html"):
        (folder / page).parent.mkdir(parents=True, exist_ok=True)
        (folder / page).write_text(f"<!doctype html><title>{title} {page}</title>")
    (folder / "404.html").write_text(render_not_found(renderer), encoding="utf-8")


class ProjectSiteHandler(CORSRequestHandler):
    """GitHub Pages for a project site: the site lives at /repo/, and a missing path gets /repo/404.html."""

    def send_not_found(self):
        self.directory = os.path.join(self.directory, "repo")
        return super().send_not_found()


@pytest.fixture(params=["/", "/repo/"])
def published(request, tmp_path):
    """(base URL, site root path) of a built site at the domain root or under /repo/."""
    www = tmp_path / "www"
    www.mkdir()
    if request.param == "/":
        write_site(www, "Demos")
        server, port = start(www)
    else:
        write_site(www, "User site")  # another site of this tool at the domain root: not ours
        (www / "repo").mkdir()
        write_site(www / "repo", "Demos")
        server, port = start(www, handler=ProjectSiteHandler)
    yield f"http://127.0.0.1:{port}{request.param}", request.param
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("missing", ["missing", "a/missing.html", "a/b/c/missing/"])
def test_the_404_page_links_to_the_site_at_any_depth(browser_page, published, missing):
    base, root = published
    response = browser_page.goto(base + missing)
    assert response.status == 404
    browser_page.wait_for_selector("html[data-site-root]", state="attached", timeout=10_000)
    assert browser_page.get_attribute("html", "data-site-root") == root
    origin = base.removesuffix(root)
    hrefs = browser_page.eval_on_selector_all("a", "links => links.map(a => a.href)")
    assert hrefs == [origin + root + p for p in ("index.html", "jax/index.html", "docs/index.html", "index.html")]
    text = "Page not found There is no page at this address. Go to the home page."
    assert browser_page.inner_text("main").split() == text.split()  # no notes for developers
    assert browser_page.eval_on_selector(".site-header", "e => getComputedStyle(e).display") == "flex"
    browser_page.click("main a")
    browser_page.wait_for_url(origin + root + "index.html")
    assert browser_page.title() == "Demos index.html"
    # The inline script and style ran under the page's CSP; only the 404 answers are logged.
    assert [e for e in browser_page.console_errors if "404" not in e] == []
