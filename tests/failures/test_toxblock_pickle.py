"""tox-block's tokenizer pickle is read by a restricted unpickler: any class besides the two it maps to
plain ones (and the Tokenizer's containers) is refused before it runs; a wrong wheel names the file."""

from __future__ import annotations

import os
import pickle
import zipfile

import pytest

from builders.demos.toxicity import toxblock
from builders.errors import BuildError


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unknown_class_is_refused():
    with pytest.raises(BuildError) as err:
        toxblock.load_tokenizer(pickle.dumps(Exploit()))
    message = str(err.value)
    assert "refusing to load" in message and "system" in message and toxblock.ENCODER_MEMBER in message


def test_other_object_is_refused():
    with pytest.raises(BuildError, match="does not hold a TokenSequencer"):
        toxblock.load_tokenizer(pickle.dumps({"word_index": {}}))


def test_not_a_pickle():
    with pytest.raises(BuildError, match="cannot read tox_block/trained_models/encoder_0.1.2.pkl"):
        toxblock.load_tokenizer(b"not a pickle")


def test_not_hdf5():
    with pytest.raises(BuildError, match="cannot read tox_block/trained_models/lstm_model_0.1.2.h5"):
        toxblock.load_params(b"not an hdf5 file")


def test_wrong_wheel_names_the_member(tmp_path):
    wheel = tmp_path / "tox_block-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(toxblock.MODEL_MEMBER, b"x")
        z.writestr(toxblock.ENCODER_MEMBER, b"y")
        z.writestr(toxblock.LICENSE_MEMBER, b"MIT")
    with pytest.raises(BuildError, match="the tox-block files differ from version 0.1.2"):
        toxblock.read_files(wheel)
    wheel.write_bytes(b"")
    with pytest.raises(BuildError, match="is not a wheel"):
        toxblock.read_files(wheel)
