"""`python -m builders.serve`: serves a folder with CORS headers; --lan prints a QR code.

Bad requests and bad ports: tests/failures/test_serve.py."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import segno

from builders.serve import terminal_qr


def start(tmp_path, *args):
    proc = subprocess.Popen([sys.executable, "-m", "builders.serve", "--dir", str(tmp_path), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, line


def test_serves_with_cors_header(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "model.json").write_text("{}")
    proc, line = start(tmp_path)
    try:
        assert line.startswith(f"Serving {tmp_path}/ at http://127.0.0.1:")
        url = line.split(" at ")[1].strip()
        with urllib.request.urlopen(url + "model.json", timeout=10) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert resp.headers["Content-Type"] == "application/json"
            assert resp.read() == b"{}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_lan_prints_url_and_qr(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    proc, _ = start(tmp_path, "--lan")
    try:
        lan_line = proc.stdout.readline()
        assert lan_line.startswith("On your phone (same network): http://")
        qr_first_line = proc.stdout.readline()
        assert set(qr_first_line.strip()) <= set("█▀▄ ")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_terminal_qr_encodes_the_url():
    url = "http://192.168.1.20:8000/"
    text = terminal_qr(url)
    size = len(segno.make(url, error="m").matrix) + 4
    lines = text.splitlines()
    assert len(lines) == (size + 1) // 2 and all(len(line) == size for line in lines)

