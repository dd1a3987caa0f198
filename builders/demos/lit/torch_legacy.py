"""Read a PyTorch state dict saved in the legacy (pre-1.6, non-zip) format, without torch.

The file is five pickles in a row and then the raw storages: a magic number, the protocol
version (1001), system info (endianness, type sizes), the state dict itself, whose tensors
refer to storages by key through `persistent_load`, and the list of storage keys; then, per key
in that order, an int64 element count and the storage's bytes. Tensors are rebuilt by
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`.

The unpickler maps exactly those names to NumPy and refuses every other class, so a file cannot
run code while it is read (a plain `pickle.load` of a torch file can).
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                  "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
                  "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class TorchFileError(ValueError):
    """The file is not a legacy torch state dict this reader accepts."""


@dataclass
class _StorageType:
    dtype: np.dtype


@dataclass
class _Tensor:
    """A tensor whose storage bytes come after the pickle: materialised by `load_state_dict`."""

    key: str
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    return _Tensor(storage, int(storage_offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, storages: dict[str, np.dtype]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(np.dtype(STORAGE_DTYPES[name]))
        raise TorchFileError(f"the file refers to {module}.{name}, which a state dict of tensors does not need; "
                             "refusing to load it")

    def persistent_load(self, pid):
        # ("storage", type, key, location, numel, view metadata): views of storages were never used
        # by state dicts saved from modules, so a view is refused rather than guessed
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage" and pid[5] is None):
            raise TorchFileError(f"unexpected persistent id {pid!r:.80}")
        _, storage_type, key, _location, _numel, _view = pid
        if not isinstance(storage_type, _StorageType):
            raise TorchFileError(f"unexpected storage type {storage_type!r:.80}")
        self.storages[str(key)] = storage_type.dtype
        return str(key)


def load_state_dict(data: bytes) -> dict[str, np.ndarray]:
    """The state dict in `data` (the bytes of a legacy `.pth`) as name -> NumPy array (a copy)."""
    f = io.BytesIO(data)
    try:
        header = [pickle.load(f) for _ in range(3)]  # numbers, strings and dicts only
    except Exception as exc:
        raise TorchFileError(f"not a legacy torch file ({type(exc).__name__}: {exc})") from None
    if header[0] != MAGIC or header[1] != PROTOCOL:
        raise TorchFileError("not a legacy torch file (wrong magic number or protocol version)")
    if not (isinstance(header[2], dict) and header[2].get("little_endian")):
        raise TorchFileError("the file was written on a big-endian machine, which this reader does not handle")
    storage_dtypes: dict[str, np.dtype] = {}
    state = _Unpickler(f, storage_dtypes).load()
    keys = pickle.load(f)
    if not isinstance(keys, list) or set(map(str, keys)) != set(storage_dtypes):
        raise TorchFileError("the storage list does not match the tensors")
    storages: dict[str, np.ndarray] = {}
    for key in map(str, keys):
        raw = f.read(8)
        if len(raw) != 8:
            raise TorchFileError("the file ends inside its storages (truncated download?)")
        (count,) = struct.unpack("<q", raw)
        dtype = storage_dtypes[key]
        body = f.read(count * dtype.itemsize)
        if len(body) != count * dtype.itemsize:
            raise TorchFileError("the file ends inside its storages (truncated download?)")
        storages[key] = np.frombuffer(body, dtype)
    if f.read(1):
        raise TorchFileError("unexpected bytes after the last storage")
    if not isinstance(state, dict):
        raise TorchFileError(f"the file holds a {type(state).__name__}, not a state dict")
    out = {}
    for name, tensor in state.items():
        if not isinstance(tensor, _Tensor):
            continue  # e.g. a BatchNorm's num_batches_tracked stored as a plain number
        storage = storages[tensor.key]
        itemsize = storage.dtype.itemsize
        need = tensor.offset + sum((s - 1) * st for s, st in zip(tensor.size, tensor.stride)) + 1
        if any(s == 0 for s in tensor.size):
            out[name] = np.zeros(tensor.size, storage.dtype)
            continue
        if tensor.offset < 0 or need > storage.size:
            raise TorchFileError(f"tensor {name} reaches past its storage")
        view = np.lib.stride_tricks.as_strided(storage[tensor.offset:], shape=tensor.size,
                                               strides=[s * itemsize for s in tensor.stride])
        out[str(name)] = np.array(view)
    return out
