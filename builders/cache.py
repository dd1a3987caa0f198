"""Content-addressed cache for build steps under `.cache/<step>/<key>/`.

A step's key hashes its inputs (config values, input file contents, the source
code of the modules that compute it), so a second build with nothing changed
reuses every result and a change to any input recomputes exactly that step.

Each entry holds the step's files and `result.json`: the value the step returned and the
size, mtime and SHA-256 of every other file of the entry. An entry is written in a private
work folder and renamed into place, and it is reused only when its files still match that
list: an edited, truncated, missing or added file makes the step run again.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import inspect
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import BuildError

RESULT = "result.json"
# Part of every key: bump it when the layout of an entry or the hashing of inputs changes, so
# entries written by an older version are never read (they are simply not found).
FORMAT = 2


def hash_files(paths: Iterable[Path], root: Path | None = None) -> str:
    """SHA-256 over the paths and bytes of `paths` (folders are walked in sorted order).

    Each file is named by its path relative to `root` when given; otherwise by its path
    inside the folder passed (prefixed by that folder's name), or by its name when the file
    itself is passed. So moving a file to another folder changes the hash.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(b"P\0" + path.name.encode() + b"\0")  # frames each argument: a move between two changes the hash
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if root is not None:
                name = Path(os.path.relpath(file, root)).as_posix()
            elif file == path:
                name = path.name
            else:
                name = f"{path.name}/{file.relative_to(path).as_posix()}"
            digest.update(f"F\0{name}\0{file.stat().st_size}\0".encode())
            _update_from_file(digest, file)
    return digest.hexdigest()


def _update_from_file(digest: Any, path: Path) -> None:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)


class _HashMemo:
    """SHA-256 of files already read, by (path, size, mtime): a cached build does not read big inputs again.

    Kept in `<cache>/file-hashes.json` (set by `Cache`); a file whose size or mtime moved is read
    again. Like the entries' own check (`_check_file`), only an edit that restores both goes unseen.
    """

    LIMIT = 4096  # entries kept (the newest): the site's inputs are a few dozen big files

    def __init__(self) -> None:
        self.path: Path | None = None
        self.entries: dict[str, list] = {}

    def use(self, path: Path) -> None:
        if path == self.path:
            return
        self.path, self.entries = path, {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("files"), dict):
                self.entries = data["files"]
        except (OSError, ValueError):
            pass  # missing or damaged: hashes are computed again

    def get(self, path: Path, stat: os.stat_result) -> str | None:
        entry = self.entries.get(os.path.abspath(path))
        if isinstance(entry, list) and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return entry[2]
        return None

    def put(self, path: Path, stat: os.stat_result, sha: str) -> None:
        self.entries.pop(os.path.abspath(path), None)
        self.entries[os.path.abspath(path)] = [stat.st_size, stat.st_mtime_ns, sha]
        if self.path is None:
            return
        while len(self.entries) > self.LIMIT:
            self.entries.pop(next(iter(self.entries)))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}")
            tmp.write_text(json.dumps({"format": FORMAT, "files": self.entries}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only cache: hashes are remembered for this build only


_MEMO = _HashMemo()
MEMO_MIN_BYTES = 1 << 20  # smaller files are read again (cheaper than a lookup that can go stale)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of one file's bytes; a file of 1 MB or more is read once per size and mtime."""
    stat = os.stat(path)
    big = stat.st_size >= MEMO_MIN_BYTES
    if big and (known := _MEMO.get(path, stat)) is not None:
        return known
    digest = hashlib.sha256()
    _update_from_file(digest, path)
    if big and os.stat(path).st_mtime_ns == stat.st_mtime_ns:  # not being written meanwhile
        _MEMO.put(path, stat, digest.hexdigest())
    return digest.hexdigest()


def hash_code(*modules: ModuleType) -> str:
    """SHA-256 of the source files of `modules` (a package includes all its .py files)."""
    digest = hashlib.sha256()
    for module in modules:
        source = Path(inspect.getfile(module))
        if source.name == "__init__.py":  # a package: its files named by their path inside it
            digest.update(hash_files(source.parent.rglob("*.py"), root=source.parent.parent).encode())
        else:
            digest.update(hash_files([source]).encode())
    return digest.hexdigest()


# Work folders (a cache entry being written, a site being assembled) are named
# `<prefix><pid>-<random>` and locked (flock) by the process writing them, so a later build can
# tell the leftovers of a killed build (dead pid, lock free) from a concurrent build's work.


@contextmanager
def work_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder `parent/<prefix><pid>-<random>`, locked while in use and deleted afterwards
    unless it was renamed into place."""
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _try_lock(fd)  # nobody else knows the folder yet, so this lock is free
        yield path
    finally:
        os.close(fd)
        shutil.rmtree(path, ignore_errors=True)


def trash_name(parent: Path, prefix: str) -> Path:
    """A fresh `parent/<prefix><pid>-<random>` name (to rename a folder to before deleting it)."""
    return parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def remove_stale(parent: Path, prefix: str) -> list[Path]:
    """Delete the `parent/<prefix><pid>-*` folders left by builds that were killed; returns them.

    A folder is removed only when its process is gone and nobody holds its lock, so the work of a
    build running at the same time is never touched.
    """
    removed = []
    if not parent.is_dir():
        return removed
    for path in sorted(parent.iterdir()):
        pid, sep, _ = path.name[len(prefix):].partition("-")
        if (not path.name.startswith(prefix) or not sep or not pid.isdigit() or _alive(int(pid))
                or path.is_symlink() or not path.is_dir()):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            if _try_lock(fd):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        finally:
            os.close(fd)
    return removed


def _try_lock(fd: int) -> bool:
    """Lock `fd` if nobody holds it; True also where the file system has no locks."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live build holds it (perhaps in another pid namespace)
    except OSError:
        pass  # no locks here: the dead pid decides
    return True


# What an OSError means for the user and what to do about it (shared with builders/build.py).
_REASONS = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
            errno.EFBIG: "file too large",
            errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted"}
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def os_error_reason(exc: OSError) -> str:
    """`exc` in a few lower-case words ("no space left on device")."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def os_error_path(exc: OSError) -> str | None:
    """The file an OSError is about: the destination of a copy or rename, else its only file."""
    path = exc.filename2 or exc.filename
    return None if path is None else os.fsdecode(path)


def os_error_advice(exc: OSError, not_writable: str) -> str:
    """What to do about a failed write; `not_writable` for permission and read-only errors."""
    if exc.errno == errno.EFBIG:
        return "raise the file size limit (ulimit -f) or use a file system that allows bigger files, and build again"
    if exc.errno in NO_SPACE:
        return "free some space and build again"
    if exc.errno in NOT_WRITABLE:
        return not_writable
    return "check the disk and build again"


def _inside(path: str | Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


def _entry_files(folder: Path) -> dict[str, Path]:
    """Every file of a cache entry (but result.json), by path relative to the entry."""
    files = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            if rel != RESULT:
                files[rel] = path
    return files


def write_result(folder: Path, value: Any) -> None:
    """Write `folder/result.json`: the step's `value` and the size, mtime and SHA-256 of every file."""
    files = {}
    for rel, path in sorted(_entry_files(folder).items()):
        stat = path.stat()
        files[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256_file(path)}
    result = {"format": FORMAT, "value": value, "files": files}
    (folder / RESULT).write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")


def check_entry(entry: Path) -> tuple[Any, str | None]:
    """(the step's value, None) for a sound cache entry, else (None, what is wrong with it)."""
    try:
        result = json.loads((entry / RESULT).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{RESULT} is missing"
    except ValueError:  # also bytes that are not UTF-8
        return None, f"{RESULT} is not valid JSON"
    except OSError as exc:
        return None, f"{RESULT} cannot be read: {os_error_reason(exc)}"
    if not (isinstance(result, dict) and "value" in result and isinstance(result.get("files"), dict)):
        return None, f"{RESULT} has no file list"
    value, recorded = result["value"], result["files"]
    present = _entry_files(entry)
    for rel in sorted(set(recorded) - set(present)):
        return None, f"{rel} is missing"
    for rel in sorted(set(present) - set(recorded)):
        return None, f"{rel} was added"
    for rel, path in sorted(present.items()):
        try:
            problem = _check_file(path, recorded[rel])
        except (KeyError, TypeError):
            return None, f"{RESULT} has a damaged file list"
        except OSError as exc:
            return None, f"{rel} cannot be read: {os_error_reason(exc)}"
        if problem:
            return None, f"{rel} {problem}"
    return value, None


def _check_file(path: Path, record: dict) -> str | None:
    """What changed in one file of an entry, or None.

    A file with its recorded size and mtime is trusted unread, so a cached build does not hash
    every model again; an edit moves the mtime (or the size) and then the hash decides. Only an
    edit that restores both size and mtime goes unnoticed (`--clean` rebuilds everything).
    """
    stat = path.stat()
    if stat.st_size != record["size"]:
        return f"changed size: {stat.st_size} bytes, {record['size']} expected"
    if stat.st_mtime_ns != record["mtime_ns"] and sha256_file(path) != record["sha256"]:
        return "changed"
    return None


@dataclass
class CacheResult:
    """A cached step output: its folder, the value the step returned, and whether it was reused."""

    path: Path
    value: Any
    hit: bool


class Cache:
    """Runs step functions once per distinct key."""

    def __init__(self, root: Path | str = ".cache", enabled: bool = True):
        self.root = Path(root)
        self.enabled = enabled
        self.events: list[tuple[str, bool]] = []
        _MEMO.use(self.root / "file-hashes.json")

    def key(self, step: str, inputs: Any) -> str:
        blob = json.dumps({"format": FORMAT, "step": step, "inputs": inputs}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def run(self, step: str, inputs: Any, fn: Callable[[Path], Any]) -> CacheResult:
        """Return the cached result for (`step`, `inputs`), computing it with `fn(out_dir)` if absent.

        `fn` writes its files into `out_dir` and returns a JSON-serialisable value.
        The folder appears atomically, so an interrupted step leaves no partial entry; a damaged
        entry is rebuilt with a warning. Raises `BuildError` when the cache cannot be written.
        """
        key = self.key(step, inputs)
        final = self.root / step / key
        if self.enabled and final.is_dir():
            value, problem = check_entry(final)
            if problem is None:
                self.events.append((step, True))
                return CacheResult(final, value, True)
            print(f"warning: cache entry {final} is damaged ({problem}); rebuilding it", file=sys.stderr, flush=True)
        value = self._write(step, final, fn)
        self.events.append((step, False))
        return CacheResult(final, value, False)

    def _write(self, step: str, final: Path, fn: Callable[[Path], Any]) -> Any:
        tmp = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            for prefix in (".tmp-", ".old-"):  # what builds killed while writing this step left
                remove_stale(final.parent, prefix)
            with work_dir(final.parent, ".tmp-") as tmp:
                value = fn(tmp)
                write_result(tmp, value)
                _publish(tmp, final)
        except OSError as exc:
            path = os_error_path(exc)
            if (path is None and exc.errno not in NO_SPACE | NOT_WRITABLE) or (path and not _inside(path, self.root)):
                raise  # not about the cache (a step failing to read its input, say)
            where = path or step
            if path and tmp and _inside(path, tmp):  # name the file as in the entry, not the work folder
                where = f"{step}/{Path(os.path.relpath(os.path.abspath(path), os.path.abspath(tmp))).as_posix()}"
            raise BuildError(f"cannot write the build cache {self.root}: {os_error_reason(exc)} ({where}); "
                             f"{os_error_advice(exc, f'make {self.root} writable and build again')}") from exc
        return value


def _publish(tmp: Path, final: Path) -> None:
    """Rename the finished entry `tmp` to `final`, replacing a damaged one."""
    if final.exists():  # a folder cannot be renamed over a non-empty one: move the damaged entry aside
        old = trash_name(final.parent, ".old-")
        try:
            os.replace(final, old)
        except FileNotFoundError:
            pass  # a concurrent build replaced it already
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(tmp, final)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        # a concurrent build wrote the same entry first (same inputs, same files): keep it
