"""The build cache: a damaged entry is rebuilt (never published), a killed step leaves nothing
reused, file moves change keys, and a full or read-only cache gives one line."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from builders.build import PROJECT_ROOT, build
from builders.cache import hash_files, remove_stale
from tests.failures.sandbox import child_argv, run_child, without_root
from tests.failures.test_build_output import dead_pid, snapshot
from tests.test_build import only_jax_config


@pytest.fixture(scope="module")
def warm(tmp_path_factory) -> tuple[Path, Path, dict[str, bytes]]:
    """A config, a cache holding the JAX demo's entries, and the site they give (built once)."""
    root = tmp_path_factory.mktemp("warm")
    config = only_jax_config(root)
    build(config, root / "_site", cache_dir=root / "cache")
    return config, root / "cache", snapshot(root / "_site")


@pytest.fixture
def cache(tmp_path, warm) -> Path:
    """A copy of the warm cache (files keep their mtimes, as after any cached build)."""
    shutil.copytree(warm[1], tmp_path / "cache")
    return tmp_path / "cache"


def entry(cache: Path, step: str = "jax-prod") -> Path:
    [path] = [p for p in (cache / step).iterdir() if not p.name.startswith(".")]
    return path


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_bytes(path: Path) -> None:  # same size, other bytes
    path.write_bytes(bytes(b ^ 0xFF for b in path.read_bytes()))


DAMAGE = {
    "shard edited": (lambda e: flip_bytes(e / "static/group1-shard1of1.bin"),
                     "static/group1-shard1of1.bin changed"),
    "model truncated": (lambda e: truncate(e / "static/model.json"), None),  # reason computed below
    "file missing": (lambda e: (e / "polymorphic/model.json").unlink(), "polymorphic/model.json is missing"),
    "file added": (lambda e: (e / "static/extra.bin").write_bytes(b"x"), "static/extra.bin was added"),
    "result.json not JSON": (lambda e: (e / "result.json").write_text('{"models": ['), "result.json is not valid JSON"),
    "result.json not UTF-8": (lambda e: (e / "result.json").write_bytes(b"\xff\xfe{}"),
                              "result.json is not valid JSON"),
    "result.json without files": (lambda e: (e / "result.json").write_text('{"models": []}'),
                                  "result.json has no file list"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_entry_is_rebuilt_with_a_warning(tmp_path, warm, cache, capsys, damage):
    config, _, site = warm
    damaged = entry(cache)
    size = (damaged / "static/model.json").stat().st_size
    apply, reason = DAMAGE[damage]
    apply(damaged)
    reason = reason or f"static/model.json changed size: {size // 2} bytes, {size} expected"
    result = build(config, tmp_path / "_site", cache_dir=cache)
    assert {r.step: r.status for r in result.records}["jax"] == "rebuilt"
    assert capsys.readouterr().err == f"warning: cache entry {damaged} is damaged ({reason}); rebuilding it\n"
    assert snapshot(tmp_path / "_site") == site  # the repaired files were published, not the damaged ones
    again = build(config, tmp_path / "_site", cache_dir=cache)
    assert {r.step: r.status for r in again.records}["jax"] == "cached" and capsys.readouterr().err == ""
    assert [p.name for p in (cache / "jax-prod").iterdir() if p.name.startswith(".")] == []


def test_kill_9_while_a_step_writes_its_entry(tmp_path):
    # The child is killed while the JAX step writes into its work folder under the cache.
    config = only_jax_config(tmp_path)
    step_dir = tmp_path / "cache" / "jax-prod"
    child = subprocess.Popen(child_argv(tmp_path / "cache", ["--config", str(config), "--out", str(tmp_path / "o")]),
                             cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None and not (
                step_dir.is_dir() and any(p.name.startswith(".tmp-") for p in step_dir.iterdir())):
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    [half] = list(step_dir.iterdir())
    assert half.name.startswith(f".tmp-{child.pid}-")
    result = build(config, tmp_path / "o", cache_dir=tmp_path / "cache")
    assert {r.step: r.status for r in result.records}["jax"] == "rebuilt"
    assert [p.name.startswith(".") for p in step_dir.iterdir()] == [False]  # one entry, the half one is gone


def test_remove_stale_keeps_live_work(tmp_path):
    dead, locked, mine = (tmp_path / f".tmp-{dead_pid()}-a", tmp_path / f".tmp-{dead_pid()}-b",
                          tmp_path / f".tmp-{os.getpid()}-c")
    unknown = tmp_path / ".0123abcd.xyz"  # no pid in the name (an older version's): not ours to judge
    for folder in (dead, locked, mine, unknown):
        folder.mkdir()
    fd = os.open(locked, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert remove_stale(tmp_path, ".tmp-") == [dead]
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (locked, mine, unknown))


def test_moving_a_file_changes_its_hash(tmp_path):
    # The key hashed file names and bytes only, so moving a file to another folder reused a stale entry.
    images = tmp_path / "images"
    (images / "cats").mkdir(parents=True)
    (images / "dogs").mkdir()
    (images / "cats" / "1.png").write_bytes(b"png")
    before = hash_files([images])
    (images / "cats" / "1.png").rename(images / "dogs" / "1.png")
    assert hash_files([images]) != before

    a, b = tmp_path / "a", tmp_path / "b"  # between two folders passed together
    a.mkdir()
    b.mkdir()
    (a / "x").write_bytes(b"1")
    before = hash_files([a, b])
    (a / "x").rename(b / "x")
    assert hash_files([a, b]) != before
    assert hash_files([b / "x"], root=tmp_path) != hash_files([b / "x"], root=b)  # named relative to root


def test_hash_frames_names_and_bytes(tmp_path):
    (tmp_path / "ab").write_bytes(b"c")
    first = hash_files([tmp_path])
    (tmp_path / "ab").unlink()
    (tmp_path / "a").write_bytes(b"bc")
    assert hash_files([tmp_path]) != first


def test_cache_full(tmp_path):
    # Every write past 1000 bytes fails (EFBIG, as ENOSPC on a full disk); the JAX step's model.json is bigger.
    config, out = only_jax_config(tmp_path), tmp_path / "_site"
    result = run_child(child_argv(tmp_path / "cache", ["--config", str(config), "--out", str(out)], fsize=1000))
    assert result.returncode == 1
    cache = tmp_path / "cache"
    # a failed f.write() names no file, so the message names the step (and the file when it knows it)
    assert re.fullmatch(re.escape(f"error: step 'jax' failed: cannot write the build cache {cache}: file too large ")
                        + r"\(jax-prod(/[\w./-]+)?\)" +
                        re.escape("; raise the file size limit (ulimit -f) or use a file system that allows bigger "
                                  f"files, and build again\nThe previous {out}/ was left unchanged.\n"),
                        result.stderr), result.stderr
    assert list((cache / "jax-prod").iterdir()) == [] and not out.exists()


def test_cache_not_writable(tmp_path):
    config, out, cache = only_jax_config(tmp_path), tmp_path / "_site", tmp_path / "cache"
    cache.mkdir(mode=0o555)
    try:
        result = run_child(without_root(child_argv(cache, ["--config", str(config), "--out", str(out)])))
    finally:
        cache.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr == (f"error: step 'jax' failed: cannot write the build cache {cache}: permission denied "
                             f"({cache}/jax-prod); make {cache} writable and build again\n"
                             f"The previous {out}/ was left unchanged.\n")
    assert list(cache.iterdir()) == [] and not out.exists()

