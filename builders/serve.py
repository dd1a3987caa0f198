"""`python -m builders.serve`: serve `_site/` locally (with CORS headers), or on the LAN for a phone.

    python -m builders.serve            # http://127.0.0.1:8000/
    python -m builders.serve --lan      # binds all interfaces, prints the LAN URL and its QR code
    python -m builders.serve --watch    # rebuilds after every edit and reloads the open pages

Like GitHub Pages, it serves only the site's files: a missing path, a folder without index.html or
anything outside the folder (through `..` or a symlink) gets the site's own 404.html with status 404.
"""

from __future__ import annotations

import argparse
import errno
import functools
import http.server
import os
import socket
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

import segno

from . import watch

IDLE_TIMEOUT = 15.0  # seconds a connection may stay silent before it is closed (and its thread freed)


class CORSRequestHandler(http.server.SimpleHTTPRequestHandler):
    """The site's files with `Access-Control-Allow-Origin: *`, so another origin may load the data.

    Only regular files inside the folder are sent: no listings, nothing reached through `..` or a
    symlink out of it; anything else gets the site's 404.html.
    """

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".bin": "application/octet-stream"}

    def setup(self) -> None:
        # StreamRequestHandler applies `timeout` to the socket: a client that connects and sends
        # nothing (or stops halfway) is dropped instead of holding its thread forever.
        self.timeout = getattr(self.server, "idle_timeout", IDLE_TIMEOUT)
        super().setup()

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")  # a .txt is never run as a script
        super().end_headers()

    def send_head(self):
        """Only regular files inside the served folder; anything else is the site's 404 page."""
        if "\x00" in unquote(self.path.split("?", 1)[0].split("#", 1)[0]):
            self.send_error(HTTPStatus.BAD_REQUEST, "The path contains a NUL character")
            return None
        if self.site_file(Path(self.translate_path(self.path)), index=True) is None:
            return self.send_not_found()
        return super().send_head()  # the file, or a redirect from `folder` to `folder/`

    def site_file(self, local: Path, index: bool = False) -> Path | None:
        """`local` (its index.html if `index` and it is a folder) resolved, if that is a regular file
        inside the served folder; symlinks are followed before checking."""
        try:
            if index and local.is_dir():
                local = local / "index.html"
            real = local.resolve()
            inside = real.is_relative_to(Path(self.directory).resolve())
            return real if inside and real.is_file() else None
        except (OSError, RuntimeError, ValueError):  # a name too long, a symlink loop, an odd name
            return None

    def send_not_found(self):
        """Status 404 with the site's 404.html (or the standard page when the site has none)."""
        page = self.site_file(Path(self.directory) / "404.html")
        try:
            file = page.open("rb") if page else None
        except OSError:
            file = None
        if file is None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        self.send_response(HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(os.fstat(file.fileno()).st_size))
        self.end_headers()
        return file

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


class LiveReloadHandler(CORSRequestHandler):
    """The site's files, each page with the live-reload script, plus the build events (builders/watch.py)."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == watch.RELOAD_PATH:
            return self.send_events()
        if path == watch.SCRIPT_PATH:
            return self.send_bytes(watch.LIVERELOAD_JS.encode(), "text/javascript")
        local = self.site_file(Path(self.translate_path(self.path)), index=True)
        # A folder without its slash is left to the parent class (it redirects, as before).
        if local is not None and local.suffix == ".html" and (path.endswith("/") or path.endswith(".html")):
            return self.send_bytes(watch.inject(local.read_bytes()), "text/html; charset=utf-8")
        return super().do_GET()

    def send_bytes(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_events(self) -> None:
        """A Server-Sent Events stream: the build state now, then at each change (with keep-alives)."""
        state: watch.BuildState = self.server.build_state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            with state.condition:
                last = state.event()
            self.wfile.write(last.encode())
            self.wfile.flush()
            while True:
                with state.condition:
                    state.condition.wait(watch.KEEPALIVE_SECONDS)
                    event = state.event()
                self.wfile.write((event if event != last else ": keep-alive\n\n").encode())
                self.wfile.flush()
                last = event
        except (ConnectionError, TimeoutError, OSError):
            return  # the page went away


class SiteServer(http.server.ThreadingHTTPServer):
    """One thread per connection (daemon threads), each closed after `idle_timeout` seconds of silence."""

    idle_timeout = IDLE_TIMEOUT
    verbose = False

    def handle_error(self, request, client_address) -> None:
        """One line instead of socketserver's traceback; nothing when the browser went away."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            print(f"error: a request from {client_address[0]} failed: {exc!r}", file=sys.stderr)


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # UDP connect only picks a route
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def terminal_qr(url: str) -> str:
    """A QR code of `url` drawn with text characters for the terminal."""
    qr = segno.make(url, error="m")
    lines = []
    matrix = [list(row) for row in qr.matrix]
    border = 2
    size = len(matrix)
    padded = [[0] * (size + 2 * border) for _ in range(border)] + \
             [[0] * border + row + [0] * border for row in matrix] + \
             [[0] * (size + 2 * border) for _ in range(border)]
    if len(padded) % 2:
        padded.append([0] * len(padded[0]))
    for top, bottom in zip(padded[::2], padded[1::2]):
        chars = []
        for a, b in zip(top, bottom):
            chars.append({(0, 0): "█", (1, 1): " ", (1, 0): "▄", (0, 1): "▀"}[(int(bool(a)), int(bool(b)))])
        lines.append("".join(chars))
    return "\n".join(lines)


def make_server(directory: Path, host: str, port: int, verbose: bool = False,
                build_state: watch.BuildState | None = None) -> SiteServer:
    """A server for `directory` bound to (host, port); raises OSError when it cannot listen there.

    With `build_state`, pages get the live-reload script and `/__livereload` streams that state.
    """
    handler_cls = LiveReloadHandler if build_state is not None else CORSRequestHandler
    handler = functools.partial(handler_cls, directory=str(directory))
    server = SiteServer((host, port), handler)
    server.verbose = verbose
    server.build_state = build_state
    return server


def port_error(port: int, exc: OSError) -> str:
    """The one-line error for a port that cannot be listened on: what went wrong and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return f"cannot serve on port {port}: it is in use; pass --port N (0 picks a free one)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"cannot serve on port {port}: permission denied; pick a port between 1024 and 65535 "
                "(lower ones need root)")
    return f"cannot serve on port {port}: {exc.strerror or exc}; pass another --port N (0 picks a free one)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builders.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="_site", help="folder to serve (default: _site)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--lan", action="store_true", help="listen on all interfaces and print the LAN URL + QR code")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--watch", action="store_true",
                        help="rebuild after every edit of the project (and, in a checkout, the tool) and reload the "
                             "open pages")
    parser.add_argument("--config", default="site.toml", help="with --watch: the settings file (default: site.toml)")
    parser.add_argument("--profile", choices=("default", "smoke"), default="default",
                        help="with --watch: the build profile")
    parser.add_argument("--only", default="", help="with --watch: build only these demos, e.g. --only jax,mnist")
    args = parser.parse_args(argv)
    directory = Path(args.dir)
    if args.watch and not Path(args.config).is_file():
        print(f"error: --watch: {args.config} not found; run it in your project folder or pass --config "
              "path/to/site.toml", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: cannot serve on port {args.port}: out of range; pick a port between 1 and 65535 "
              "(0 picks a free one)", file=sys.stderr)
        return 2
    if not (directory / "index.html").is_file():
        print(f"error: {directory}/index.html not found; build the site first with: python -m builders.build",
              file=sys.stderr)
        return 1
    host = "0.0.0.0" if args.lan else "127.0.0.1"
    state = watch.BuildState() if args.watch else None
    try:
        server = make_server(directory, host, args.port, args.verbose, state)
    except OSError as exc:
        print(f"error: {port_error(args.port, exc)}", file=sys.stderr)
        return 2
    port = server.server_address[1]
    print(f"Serving {directory}/ at http://127.0.0.1:{port}/", flush=True)
    if args.lan:
        url = f"http://{lan_address()}:{port}/"
        print(f"On your phone (same network): {url}\n{terminal_qr(url)}", flush=True)
        print("Note: browsers allow WebGL and WASM over plain http on a LAN, but not the service worker.")
    watcher = None
    if state is not None:
        config = Path(args.config)
        command = watch.build_command(config, directory, args.profile, args.only)
        watcher = watch.Watcher(watch.watched_roots(config, directory), directory, command, state)
        watcher.start()
        print("Watching for edits (Ctrl-C stops): each one rebuilds and reloads the open pages.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if watcher is not None:
            watcher.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
