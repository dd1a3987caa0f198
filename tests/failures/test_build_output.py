"""`--out` and the output folder: nothing but a site this tool wrote is ever replaced, a killed
build's leftovers are cleaned, and a full or read-only disk gives one line and keeps the old site."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import builders.build as build_module
from builders.build import PROJECT_ROOT, STAMP, STAMP_CONTENT, build, main
from tests.failures.sandbox import child_argv, run_child, without_root
from tests.test_build import only_jax_config

ADVICE = "the build replaces that folder as a whole, so give it a folder of its own such as _site"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (to show nothing changed)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path, name: str = "_site") -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


@pytest.fixture
def config(tmp_path) -> Path:
    (tmp_path / "cfg").mkdir()
    return only_jax_config(tmp_path / "cfg")


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the build gets as far as running a demo (a refused --out must cost nothing)."""
    def run_demos(*args):
        raise AssertionError("the build started working on a refused --out")

    monkeypatch.setattr(build_module, "run_demos", run_demos)


def refused(capsys, config: Path, out: str | Path) -> str:
    assert main(["--config", str(config), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "==>" not in captured.out
    return captured.err


def test_out_dot_in_the_project_is_refused(config, capsys, monkeypatch, no_work):
    # `--out .` used to replace the whole repository, .git included, and exit 0.
    monkeypatch.chdir(PROJECT_ROOT)
    assert refused(capsys, config, ".") == (f"error: --out {PROJECT_ROOT}: is or contains the project "
                                            f"{PROJECT_ROOT}; {ADVICE}\n")
    assert (PROJECT_ROOT / ".git").exists() and (PROJECT_ROOT / "builders" / "build.py").is_file()
    assert leftovers(PROJECT_ROOT.parent, PROJECT_ROOT.name) == []


def test_a_folder_above_the_project_is_refused(config, capsys, no_work):
    assert refused(capsys, config, PROJECT_ROOT.parent) == (
        f"error: --out {PROJECT_ROOT.parent}: is or contains the project {PROJECT_ROOT}; {ADVICE}\n")


def test_the_file_system_root_is_refused(config, capsys, no_work):
    assert refused(capsys, config, "/") == f"error: --out /: is the root of the file system; {ADVICE}\n"


def test_the_home_folder_and_above_are_refused(tmp_path, config, capsys, monkeypatch, no_work):
    home = tmp_path / "users" / "me"
    home.mkdir(parents=True)
    (home / STAMP).write_text(json.dumps(STAMP_CONTENT))  # even a stamp does not make home replaceable
    monkeypatch.setenv("HOME", str(home))
    for out in (home, tmp_path / "users"):
        assert refused(capsys, config, out) == (f"error: --out {out}: is or contains your home folder {home}; "
                                                f"{ADVICE}\n")
    assert (home / STAMP).is_file()


def test_the_folder_holding_the_config_is_refused(tmp_path, config, capsys, no_work):
    out = config.parent
    assert refused(capsys, config, out) == f"error: --out {out}: contains the config file {config}; {ADVICE}\n"
    assert config.is_file()


def test_a_repository_is_refused_even_with_a_stamp(tmp_path, config, capsys, no_work):
    # e.g. a clone of the gh-pages branch: replacing it would delete the clone's .git
    out = tmp_path / "pages"
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    (out / STAMP).write_text(json.dumps(STAMP_CONTENT))
    before = snapshot(out)
    assert refused(capsys, config, out) == (f"error: --out {out}: contains a .git folder (a repository); "
                                            f"{ADVICE}\n")
    assert snapshot(out) == before


def test_an_existing_file_is_refused(tmp_path, config, capsys, no_work):
    out = tmp_path / "notes.txt"
    out.write_text("my notes")
    assert refused(capsys, config, out) == (f"error: --out {out}: is a file, not a folder; choose another folder "
                                            f"or delete it yourself\n")
    assert out.read_text() == "my notes"


@pytest.mark.parametrize("files", [{"cat.jpg": "photo"},
                                   # a site built before sites were stamped: refused once, deleted by the user
                                   {"index.html": "<h1>old</h1>", ".nojekyll": "", "assets/site.css": "body{}"}],
                         ids=["someone's folder", "site built before the stamp"])
def test_a_folder_without_the_stamp_is_refused(tmp_path, config, capsys, no_work, files):
    out = tmp_path / "photos"
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    assert refused(capsys, config, out) == (f"error: --out {out}: exists and was not written by this tool "
                                            f"(no {STAMP} stamp); choose another folder or delete it yourself\n")
    assert snapshot(out) == {rel: text.encode() for rel, text in files.items()}


def test_an_empty_folder_is_used_and_the_site_is_stamped(tmp_path, config):
    out = tmp_path / "empty"
    out.mkdir()
    build(config, out, cache_dir=tmp_path / "cache")
    assert json.loads((out / STAMP).read_text()) == STAMP_CONTENT
    assert STAMP not in (out / "sw.js").read_text()  # the service worker does not cache it
    build(config, out, cache_dir=tmp_path / "cache")  # and a stamped site is replaced
    assert (out / "jax" / "index.html").is_file()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_builds_are_removed_but_not_a_live_builds(tmp_path, config):
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        names = {"dead staging": f"._site.staging-{dead_pid()}-a1b2c3",
                 "dead old site": f"._site.old-{dead_pid()}-d4e5f6",
                 "live staging": f"._site.staging-{sleeper.pid}-g7h8i9",
                 "locked staging": f"._site.staging-{dead_pid()}-j0k1l2",  # a live build in another pid namespace
                 "other site's": f"._public.staging-{dead_pid()}-m3n4o5"}
        for name in names.values():
            (tmp_path / name).mkdir()
            (tmp_path / name / "index.html").write_text("half written")
        fd = os.open(tmp_path / names["locked staging"], os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            build(config, tmp_path / "_site", cache_dir=tmp_path / "cache")
        finally:
            os.close(fd)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert leftovers(tmp_path) == sorted([names["live staging"], names["locked staging"]])
    assert (tmp_path / names["other site's"]).is_dir()


def test_kill_9_during_a_build_leaves_nothing_the_next_build_keeps(tmp_path, config):
    out = tmp_path / "_site"
    child = subprocess.Popen(child_argv(tmp_path / "cache", ["--config", str(config), "--out", str(out)]),
                             cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not leftovers(tmp_path) and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    left = leftovers(tmp_path)
    assert left and left[0].startswith(f"._site.staging-{child.pid}-")
    build(config, out, cache_dir=tmp_path / "cache")
    assert leftovers(tmp_path) == [] and (out / STAMP).is_file()


def test_concurrent_builds_of_one_site_both_succeed(tmp_path, config):
    out = tmp_path / "_site"
    build(config, out, cache_dir=tmp_path / "cache")  # warm cache: the two builds overlap in assembly
    argv = child_argv(tmp_path / "cache", ["--config", str(config), "--out", str(out)])
    children = [subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
    errors = [c.communicate(timeout=300)[1] for c in children]
    assert [c.returncode for c in children] == [0, 0], errors
    assert leftovers(tmp_path) == [] and (out / STAMP).is_file()


@pytest.fixture
def built(tmp_path, config) -> tuple[Path, dict[str, bytes]]:
    """A site built into `tmp_path/out/_site` with a warm cache, and its files."""
    out = tmp_path / "out" / "_site"
    build(config, out, cache_dir=tmp_path / "cache")
    return out, snapshot(out)


def test_disk_full_while_writing_the_site(tmp_path, config, built):
    # The file size limit makes every write past 1000 bytes fail with EFBIG, as a full disk fails
    # with ENOSPC. The cache is warm, so the first big write is a bundle copied into the new site.
    out, before = built
    result = run_child(child_argv(tmp_path / "cache", ["--config", str(config), "--out", str(out)], fsize=1000))
    assert result.returncode == 1
    assert re.fullmatch(re.escape(f"error: cannot write the site to {out}: file too large (") + r"assets/[\w.-]+\.js" +
                        re.escape("); raise the file size limit (ulimit -f) or use a file system that allows bigger "
                                  f"files, and build again\nThe previous {out}/ was left unchanged.\n"),
                        result.stderr), result.stderr
    assert snapshot(out) == before and leftovers(out.parent) == []


def test_no_space_left_on_device(tmp_path, config, built, monkeypatch, capsys):
    out, before = built

    def write(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(build_module, "_write", write)
    assert main(["--config", str(config), "--out", str(out)]) == 1
    assert capsys.readouterr().err == (f"error: cannot write the site to {out}: no space left on device "
                                       f"(jax/index.html); free some space and build again\n"
                                       f"The previous {out}/ was left unchanged.\n")
    assert snapshot(out) == before and leftovers(out.parent) == []


def test_read_only_folder(tmp_path, config, built):
    # As root, chmod 0o555 alone stops nothing: the child runs without CAP_DAC_OVERRIDE (see sandbox).
    out, before = built
    out.parent.chmod(0o555)
    try:
        result = run_child(without_root(child_argv(tmp_path / "cache", ["--config", str(config), "--out", str(out)])))
    finally:
        out.parent.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr == (f"error: cannot write the site to {out}: permission denied ({out.parent}); make "
                             f"{out.parent} writable or choose another --out\n"
                             f"The previous {out}/ was left unchanged.\n")
    assert snapshot(out) == before and leftovers(out.parent) == []


def test_read_only_file_system(tmp_path, config, built, capsys):
    out, before = built
    folder = out.parent
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        assert main(["--config", str(config), "--out", str(out)]) == 1
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    assert capsys.readouterr().err == (f"error: cannot write the site to {out}: read-only file system ({folder}); "
                                       f"make {folder} writable or choose another --out\n"
                                       f"The previous {out}/ was left unchanged.\n")
    assert snapshot(out) == before and leftovers(folder) == []
