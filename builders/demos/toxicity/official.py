"""The `official` source: the TF.js toxicity model and the Universal Sentence Encoder vocabulary.

Files come from URLs (downloaded at build time, never at run time) or a local folder, are
checked against the SHA-256 digests pinned in `site.toml`, cached, and published under
`data/models/toxicity/`. The model's inputs are `Placeholder` (int32 token ids) and
`Placeholder_1` (int32 `[sentence, position]` indices); each output is one label, named
`<label>/...`.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ...cache import sha256_file
from ...errors import BuildError

MODEL_DIR = "model"
VOCAB_FILE = "vocab.json"
INPUTS = ("Placeholder", "Placeholder_1")


class OfficialUnavailable(BuildError):
    """The official files could not be obtained (network or missing local copy)."""


def parse_sha256s(lines: list[str]) -> dict[str, str]:
    """`["model.json 9f86...", ...]` (sha256sum order: digest then name, or name then digest) -> {name: digest}."""
    pinned: dict[str, str] = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2:
            raise BuildError(f"demos.toxicity.official_sha256: expected \"<file> <sha256>\", got \"{line}\"")
        a, b = parts
        name, digest = (b, a) if _is_digest(a) else (a, b)
        if not _is_digest(digest):
            raise BuildError(f"demos.toxicity.official_sha256: \"{digest}\" is not a 64-digit hex SHA-256 "
                             f"(in \"{line}\")")
        pinned[name.lstrip("*")] = digest.lower()
    return pinned


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)




def _download(url: str, dest: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as f:
            shutil.copyfileobj(response, f)
    except urllib.error.HTTPError as exc:
        raise OfficialUnavailable(f"could not download {url} (HTTP {exc.code} {exc.reason})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OfficialUnavailable(f"could not download {url} ({reason})") from None


def _weight_paths(model_json: Path) -> list[str]:
    try:
        model = json.loads(model_json.read_text(encoding="utf-8"))
        paths = [p for group in model["weightsManifest"] for p in group["paths"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise BuildError(f"{model_json.name} is not a TF.js graph model (no weightsManifest: {exc})") from None
    for p in paths:
        if "/" in p or "\\" in p or p.startswith("."):
            raise BuildError(f"{model_json.name}: weight file name \"{p}\" is not a plain file name")
    return paths


def fetch_official(out: Path, *, model_url: str, vocab_url: str, local_dir: str, sha256s: list[str],
                   timeout: float) -> dict:
    """Copy (from `local_dir`) or download the model and vocabulary into `out`, then check them.

    Raises `OfficialUnavailable` when a file cannot be obtained and `BuildError` when a file
    does not match its pinned SHA-256 or is not in the expected format.
    """
    pinned = parse_sha256s(sha256s)
    model_dir = out / MODEL_DIR
    model_dir.mkdir(parents=True)
    if local_dir:
        src = Path(local_dir)

        def obtain(name: str, dest: Path) -> None:
            source = src / name
            if not source.is_file():
                raise OfficialUnavailable(f"{source} does not exist (demos.toxicity.official_local_dir "
                                          "must hold model.json, its weight files and vocab.json)")
            shutil.copyfile(source, dest)
        origin = str(src)
    else:
        def obtain(name: str, dest: Path) -> None:
            base = vocab_url if name == VOCAB_FILE else model_url
            url = base if name in ("model.json", VOCAB_FILE) else urllib.parse.urljoin(model_url, name)
            _download(url, dest, timeout)
        origin = model_url

    obtain("model.json", model_dir / "model.json")
    for name in _weight_paths(model_dir / "model.json"):
        obtain(name, model_dir / name)
    obtain(VOCAB_FILE, out / VOCAB_FILE)

    files = {p.name: p for p in [*model_dir.iterdir(), out / VOCAB_FILE]}
    digests = {name: sha256_file(path) for name, path in sorted(files.items())}
    mismatched = [f"{name}: expected {want}, got {digests.get(name, 'no such file')}"
                  for name, want in pinned.items() if digests.get(name) != want]
    if mismatched:
        raise BuildError("the official toxicity files do not match demos.toxicity.official_sha256 "
                         f"(from {origin}):\n  " + "\n  ".join(mismatched)
                         + "\nIf the files were updated on purpose, pin the new digests.")
    labels = read_labels(model_dir / "model.json")
    _check_vocab(out / VOCAB_FILE)
    return {
        "labels": labels,
        "origin": origin,
        "sha256": digests,
        "unpinned": sorted(set(digests) - set(pinned)),
        "model_bytes": sum(p.stat().st_size for p in model_dir.iterdir()),
        "vocab_bytes": (out / VOCAB_FILE).stat().st_size,
    }


def read_labels(model_json: Path) -> list[str]:
    """Labels of a toxicity graph model: its output names up to the first `/` (as the JS package does)."""
    model = json.loads(model_json.read_text(encoding="utf-8"))
    nodes = model.get("modelTopology", {}).get("node", [])
    names = {n["name"] for n in nodes}
    missing = [i for i in INPUTS if i not in names]
    if missing:
        raise BuildError(f"{model_json}: expected inputs {', '.join(INPUTS)} (token values and "
                         f"[sentence, position] indices); missing {', '.join(missing)}")
    outputs = model.get("signature", {}).get("outputs")
    if outputs:
        output_names = [v["name"].split(":")[0] for v in outputs.values()]
    else:
        # Without a signature TF.js takes the nodes nothing else consumes, in graph order.
        consumed = {i.lstrip("^").split(":")[0] for n in nodes for i in n.get("input", [])}
        output_names = [n["name"] for n in nodes if n["name"] not in consumed and n["op"] != "Const"]
    labels = [name.split("/")[0] for name in output_names]
    if not labels:
        raise BuildError(f"{model_json}: the model has no outputs")
    return labels


def _check_vocab(path: Path) -> None:
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
        ok = isinstance(vocab, list) and all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                                             for v in vocab[:50])
    except ValueError:
        ok = False
    if not ok:
        raise BuildError(f"{path.name}: expected a JSON list of [piece, score] pairs (the Universal "
                         "Sentence Encoder vocabulary)")
