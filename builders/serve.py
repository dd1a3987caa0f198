"""`python -m builders.serve`: serve `_site/` locally (with CORS headers), or on the LAN for a phone.

    python -m builders.serve            # http://127.0.0.1:8000/
    python -m builders.serve --lan      # binds all interfaces, prints the LAN URL and its QR code
"""

from __future__ import annotations

import argparse
import functools
import http.server
import socket
import sys
from pathlib import Path

import segno


class CORSRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with `Access-Control-Allow-Origin: *`, so another origin may load the data."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".bin": "application/octet-stream"}

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


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


def make_server(directory: Path, host: str, port: int, verbose: bool = False) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(CORSRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.verbose = verbose  # type: ignore[attr-defined]
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builders.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="_site", help="folder to serve (default: _site)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--lan", action="store_true", help="listen on all interfaces and print the LAN URL + QR code")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    directory = Path(args.dir)
    if not (directory / "index.html").is_file():
        print(f"error: {directory}/index.html not found; build the site first with: python -m builders.build",
              file=sys.stderr)
        return 1
    host = "0.0.0.0" if args.lan else "127.0.0.1"
    try:
        server = make_server(directory, host, args.port, args.verbose)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{args.port} ({exc.strerror}); try --port 0", file=sys.stderr)
        return 1
    port = server.server_address[1]
    print(f"Serving {directory}/ at http://127.0.0.1:{port}/", flush=True)
    if args.lan:
        url = f"http://{lan_address()}:{port}/"
        print(f"On your phone (same network): {url}\n{terminal_qr(url)}", flush=True)
        print("Note: browsers allow WebGL and WASM over plain http on a LAN, but not the service worker.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
