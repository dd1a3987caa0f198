"""The torch reader refuses what a state dict does not need, and says what is wrong with a file."""

from __future__ import annotations

import os
import pickle

import pytest

from builders.demos.lit.torch_legacy import MAGIC, PROTOCOL, TorchFileError, load_state_dict


def _file(payload) -> bytes:
    return b"".join(pickle.dumps(x, protocol=2) for x in (MAGIC, PROTOCOL, {"little_endian": True}, payload, []))


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo should never run",))


def test_a_class_other_than_tensors_is_refused():
    with pytest.raises(TorchFileError, match="posix.system|os.system"):
        load_state_dict(_file(_RunsCode()))


def test_not_a_torch_file():
    with pytest.raises(TorchFileError, match="not a legacy torch file"):
        load_state_dict(b"PK\x03\x04 a zip, as torch >= 1.6 writes")


def test_a_truncated_file_is_named_as_such(monkeypatch):
    """One float storage of 4 elements whose bytes are cut short, as a broken download leaves it."""
    import collections
    import io
    import struct
    import sys
    import types

    fake_torch = types.ModuleType("torch")

    class FloatStorage:  # pickled by reference as torch.FloatStorage, as torch writes it
        pass

    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    fake_torch.FloatStorage = FloatStorage
    monkeypatch.setitem(sys.modules, "torch", fake_torch)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", FloatStorage, "0", "cpu", 4, None) if obj == "S" else None

    body = io.BytesIO()
    Pickler(body, protocol=2).dump(collections.OrderedDict(w="S"))
    header = b"".join(pickle.dumps(x, protocol=2) for x in (MAGIC, PROTOCOL, {"little_endian": True}))
    data = header + body.getvalue() + pickle.dumps(["0"], protocol=2) + struct.pack("<q", 4) + b"\0" * 7
    with pytest.raises(TorchFileError, match="truncated"):
        load_state_dict(data)
    load_state_dict(data + b"\0" * 9)  # the whole storage: reads
