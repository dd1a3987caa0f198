"""`python -m builders.serve --watch`: rebuild on every edit and reload the open pages.

The loop a researcher works in, like `mkdocs serve`: the server watches the project (its
`site.toml`, its demo modules and anything else of theirs beside it) and, in a checkout, the
tool's own `builders/`, `templates/` and `site_src/`. An edit starts a build in a fresh Python
process (so an edited demo module is imported anew), which writes the site as a normal build does
(staging folder, swapped in whole, so a request never sees half a site) and reuses the build
cache, so only what the edit touched is redone. Every page the server sends carries a small
script that listens to `/__livereload` (Server-Sent Events) and reloads when a build has
finished; when a build fails, the page shows the build's error instead, and the last good site
stays served.

Polling, not OS file events: it needs no extra package, works the same on every system and on
network drives, and a few hundred files cost well under a millisecond per scan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .paths import TOOL_ROOT

POLL_SECONDS = 0.25
SETTLE_SECONDS = 0.15  # an editor's save can be several writes: wait for them to end
KEEPALIVE_SECONDS = 5.0  # below the server's idle timeout, so an open event stream is never cut
SKIPPED_DIRS = {"_site", ".cache", ".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache",
                ".mypy_cache", ".ruff_cache", "dist", "build"}
WATCHED_SUFFIXES = {".py", ".toml", ".html", ".ts", ".js", ".mjs", ".css", ".json", ".txt", ".md", ".svg",
                    ".png", ".jpg", ".jpeg", ".model", ".npz", ".msgpack"}
RELOAD_PATH = "/__livereload"
SCRIPT_PATH = "/__livereload.js"

Snapshot = dict[Path, tuple[int, int]]


def watched_roots(config_path: Path, out: Path) -> list[Path]:
    """The folders to watch: the project's, and the tool's own sources when run from a checkout."""
    roots = [config_path.resolve().parent]
    for name in ("builders", "templates", "site_src"):
        folder = TOOL_ROOT / name
        if folder.is_dir() and not any(_inside(folder, r) for r in roots):
            roots.append(folder)
    return [r for r in roots if not _inside(r, out.resolve())]


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def snapshot(roots: Iterable[Path], out: Path) -> Snapshot:
    """(mtime, size) of every watched file under `roots`, skipping the output, caches and envs."""
    seen: Snapshot = {}
    out = out.resolve()
    for root in roots:
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".") and
                       (here / d).resolve() != out and not (here / d).name.startswith(f".{out.name}.")]
            for name in files:
                path = here / name
                if path.suffix.lower() not in WATCHED_SUFFIXES:
                    continue
                try:
                    stat = path.stat()
                except OSError:  # deleted while we looked
                    continue
                seen[path] = (stat.st_mtime_ns, stat.st_size)
    return seen


def changed(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files added, removed or modified between two snapshots, sorted."""
    return sorted({p for p in before.keys() | after.keys() if before.get(p) != after.get(p)})


@dataclass
class BuildState:
    """What the pages are told: the number of the last good build, and the last build's error."""

    generation: int = 0
    error: str = ""
    building: bool = False
    condition: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, *, ok: bool, error: str = "") -> None:
        with self.condition:
            if ok:
                self.generation += 1
                self.error = ""
            else:
                self.error = error
            self.building = False
            self.condition.notify_all()

    def started(self) -> None:
        with self.condition:
            self.building = True
            self.condition.notify_all()

    def event(self) -> str:
        """The Server-Sent Event that describes this state (one `data:` line of JSON)."""
        return "data: " + json.dumps({"generation": self.generation, "error": self.error,
                                      "building": self.building}) + "\n\n"


def build_command(config_path: Path, out: Path, profile: str, only: str) -> list[str]:
    """The build, in a fresh interpreter (edited demo modules are imported anew)."""
    command = [sys.executable, "-m", "builders.build", "--config", str(config_path), "--out", str(out),
               "--profile", profile]
    return command + (["--only", only] if only else [])


def run_build(command: list[str], log: Callable[[str], None]) -> tuple[bool, str]:
    """Run one build; its output goes to `log` line by line. (ok, the error's last lines)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                          cwd=str(TOOL_ROOT) if (TOOL_ROOT / "builders").is_dir() else None) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            log(line.rstrip("\n"))
        proc.wait()
    seconds = time.perf_counter() - start
    if proc.returncode == 0:
        log(f"watch: rebuilt in {seconds:.1f} s; reloading the open pages")
        return True, ""
    errors = [line for line in lines if line.startswith("error") or line.startswith("  ")] or lines[-12:]
    log(f"watch: the build failed after {seconds:.1f} s (exit {proc.returncode}); still serving the last good site")
    return False, "\n".join(errors[-20:])


class Watcher(threading.Thread):
    """Polls the watched files and rebuilds after each edit (one build at a time, latest edit wins)."""

    def __init__(self, roots: list[Path], out: Path, command: list[str], state: BuildState,
                 log: Callable[[str], None] = print) -> None:
        super().__init__(daemon=True, name="builders-watch")
        self.roots, self.out, self.command, self.state, self.log = roots, out, command, state, log
        self.stopped = threading.Event()

    def run(self) -> None:
        current = snapshot(self.roots, self.out)
        while not self.stopped.wait(POLL_SECONDS):
            latest = snapshot(self.roots, self.out)
            edits = changed(current, latest)
            if not edits:
                continue
            time.sleep(SETTLE_SECONDS)
            latest = snapshot(self.roots, self.out)
            edits = changed(current, latest) or edits
            current = latest
            shown = ", ".join(_short(p) for p in edits[:3]) + (f" and {len(edits) - 3} more" if len(edits) > 3 else "")
            self.log(f"watch: {shown} changed; rebuilding")
            self.state.started()
            ok, error = run_build(self.command, self.log)
            self.state.publish(ok=ok, error=error)
            current = snapshot(self.roots, self.out)  # edits made during the build start the next one

    def stop(self) -> None:
        self.stopped.set()


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# The script every page gets while watching. A separate file (not inline), so the pages' CSP
# (script-src 'self') allows it.
LIVERELOAD_JS = """// builders.serve --watch: reload this page when a new build is ready; show a failed build's error.
(() => {
  let seen = null;
  const box = document.createElement('div');
  box.setAttribute('role', 'alert');
  box.dataset.testid = 'build-error';
  box.style.cssText = 'position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;margin:0;padding:1em;' +
    'background:#3b0d0c;color:#ffdcd7;font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap;z-index:99999';
  const source = new EventSource('__RELOAD_PATH__');
  source.onmessage = (message) => {
    const state = JSON.parse(message.data);
    if (seen === null) seen = state.generation;
    if (state.generation !== seen) { location.reload(); return; }
    if (state.error) {
      box.textContent = 'The last build failed; this page is from the build before it.\\n\\n' + state.error;
      if (!box.isConnected) document.body.append(box);
    } else {
      box.remove();
    }
  };
})();
""".replace("__RELOAD_PATH__", RELOAD_PATH)

SCRIPT_TAG = f'<script src="{SCRIPT_PATH}" defer></script>'


def inject(html: bytes) -> bytes:
    """`html` with the live-reload script added before `</body>` (or at the end)."""
    tag = SCRIPT_TAG.encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag
