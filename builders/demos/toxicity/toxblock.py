"""The `tox-block` source: PyPI `tox-block` 0.1.2's Keras BiLSTM, ported to Flax without TensorFlow.

The wheel (MIT, Pascal Bliem, 2020) ships `tox_block/trained_models/lstm_model_0.1.2.h5`, a
Keras 2.2.4-tf model trained on the Jigsaw toxic comment data, and `encoder_0.1.2.pkl`, a
pickled `TokenSequencer` holding a Keras `Tokenizer`. Their computation is

    ids   = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=100)      # pre-pad, pre-truncate
    x     = Embedding(20000, 50)[ids]                                           # [b, 100, 50]
    h_f   = LSTM(50)(x);  h_b = reverse(LSTM(50)(reverse(x)))                   # gates i, f, c, o
    y     = sigmoid(relu(max_t concat(h_f, h_b) @ W1 + b1) @ W2 + b2)           # [b, 6]

with the LSTM's recurrent activation `hard_sigmoid` = clip(0.2 x + 0.5, 0, 1) (Keras 2) and
`tanh`; no masking, so the max runs over all 100 steps, padding included. `apply` is that in
Flax; `reference_probabilities` is the same maths written step by step in NumPy (the parity
check); `KerasTokenizer` is `texts_to_sequences` + `pad_sequences`.

The `.h5` is read with h5py and the tokenizer with a restricted unpickler that maps the two
classes to plain ones and refuses every other class.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ...errors import BuildError
from ...pinned_wheels import PinnedWheel, fetch, read_member

PACKAGE = "tox-block"
VERSION = "0.1.2"
LICENSE = "MIT"
# The wheel as PyPI serves it, and the two files used from it (checked again after reading).
WHEEL = PinnedWheel(PACKAGE, VERSION, f"tox_block-{VERSION}-py3-none-any.whl",
                    "ed3a934f77d456f5324a6ae1b55bd9a3d404f6ebdb30aedad73dea5a2f01b7ed", LICENSE)
MODEL_MEMBER = f"tox_block/trained_models/lstm_model_{VERSION}.h5"
ENCODER_MEMBER = f"tox_block/trained_models/encoder_{VERSION}.pkl"
LICENSE_MEMBER = f"tox_block-{VERSION}.dist-info/LICENSE"
EXPECTED_SHA256 = {
    MODEL_MEMBER: "587d40726f1250341a3661fac099e46582cf34cdd5136eb88a726bf6d62ec24e",
    ENCODER_MEMBER: "f73db76ce4138c0a566cf91a84077ab66db1f5da40d795d2f751b5a157d91ce7",
}
AUTHOR = "Pascal Bliem"
HOMEPAGE = "https://github.com/Pascal-Bliem/tox-block"

VOCAB = 20000  # num_words of the tokenizer = rows of the embedding
LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
MAX_LEN = 100
# tox_block.config.RESCALE_PROBA: per-label (min, max) of the raw outputs, for `rescale=True`.
RESCALE_PROBA = {"toxic": (0.002116, 0.999858), "severe_toxic": (0.000011, 0.648682),
                 "obscene": (0.000347, 0.997533), "threat": (0.000040, 0.918887),
                 "insult": (0.000373, 0.986303), "identity_hate": (0.000074, 0.901117)}
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


# --------------------------------------------------------------------------------------------
# Getting the files: the wheel from PyPI (`pip download --no-deps`, pinned by SHA-256).


@dataclass
class ToxBlockFiles:
    """The bytes of the two model files and the licence text, with where they came from."""

    h5: bytes
    encoder: bytes
    license: str
    origin: str
    sha256: dict[str, str]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_files(wheel: Path) -> ToxBlockFiles:
    """The model, tokenizer and licence from the wheel at `wheel`; the two model files' digests checked."""
    data = {member: read_member(wheel, member) for member in (MODEL_MEMBER, ENCODER_MEMBER, LICENSE_MEMBER)}
    digests = {member: _sha256(data[member]) for member in (MODEL_MEMBER, ENCODER_MEMBER)}
    wrong = [f"{m}: expected {EXPECTED_SHA256[m]}, got {d}" for m, d in digests.items() if d != EXPECTED_SHA256[m]]
    if wrong:
        raise BuildError(f"{wheel}: the {PACKAGE} files differ from version {VERSION}:\n  " + "\n  ".join(wrong))
    return ToxBlockFiles(h5=data[MODEL_MEMBER], encoder=data[ENCODER_MEMBER],
                         license=data[LICENSE_MEMBER].decode("utf-8", "replace"), origin=wheel.name, sha256=digests)


def fetch_files(download_dir: Path) -> ToxBlockFiles:
    """The files of the pinned wheel, fetched into `download_dir` with pip when absent or altered."""
    return read_files(fetch(WHEEL, Path(download_dir)))


# --------------------------------------------------------------------------------------------
# The weights (h5py) and the tokenizer (restricted unpickling).


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise BuildError(f"{PACKAGE} {VERSION}: unexpected model configuration ({what}); this port implements "
                         "the 0.1.2 BiLSTM only")


def load_params(h5: bytes) -> dict[str, Any]:
    """The Keras weights as a Flax params tree (float32), after checking the layer configuration."""
    try:
        return _load_params(h5)
    except (OSError, KeyError, ValueError, TypeError) as exc:  # not an HDF5 file, or other layer names
        raise BuildError(f"{PACKAGE} {VERSION}: cannot read {MODEL_MEMBER} ({type(exc).__name__}: {exc})") from None


def _load_params(h5: bytes) -> dict[str, Any]:
    import h5py

    with h5py.File(io.BytesIO(h5), "r") as f:
        config = json.loads(f.attrs["model_config"])
        layers = {layer["class_name"]: layer["config"] for layer in config["config"]["layers"]}
        lstm = layers.get("Bidirectional", {}).get("layer", {}).get("config", {})
        names = [layer["class_name"] for layer in config["config"]["layers"]]
        _check(names == ["InputLayer", "Embedding", "Bidirectional", "GlobalMaxPooling1D", "Dense", "Dropout",
                         "Dense"], f"layers {names}")
        _check(layers["Embedding"]["mask_zero"] is False, "mask_zero")
        _check(layers["Bidirectional"]["merge_mode"] == "concat", "merge_mode")
        _check(lstm.get("recurrent_activation") == "hard_sigmoid" and lstm.get("activation") == "tanh",
               "LSTM activations")
        _check(lstm.get("go_backwards") is False and lstm.get("use_bias") is True and
               lstm.get("return_sequences") is True, "LSTM flags")
        _check(str(f.attrs.get("keras_version", "")).startswith("2."), "Keras 2 hard_sigmoid")
        w = f["model_weights"]

        def get(path: str) -> np.ndarray:
            return np.asarray(w[path], np.float32)

        bi = "bidirectional/bidirectional"
        params = {
            "embedding": {"embedding": get("embedding/embedding/embeddings:0")},
            "forward": {k: get(f"{bi}/forward_lstm/{k}:0") for k in ("kernel", "recurrent_kernel", "bias")},
            "backward": {k: get(f"{bi}/backward_lstm/{k}:0") for k in ("kernel", "recurrent_kernel", "bias")},
            "dense": {"kernel": get("dense/dense/kernel:0"), "bias": get("dense/dense/bias:0")},
            "dense_1": {"kernel": get("dense_1/dense_1/kernel:0"), "bias": get("dense_1/dense_1/bias:0")},
        }
    _check(params["embedding"]["embedding"].shape == (20000, 50), "embedding shape")
    _check(params["forward"]["recurrent_kernel"].shape == (50, 200), "LSTM units")
    _check(params["dense_1"]["kernel"].shape == (50, len(LABELS)), "six outputs")
    return {"params": params}


class _Plain:
    """Stands in for a pickled class: keeps the object's state as attributes, runs no code."""

    def __setstate__(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f"unexpected state of type {type(state).__name__}")
        self.__dict__.update(state)


class PlainTokenSequencer(_Plain):
    pass


class PlainKerasTokenizer(_Plain):
    pass


class _RestrictedUnpickler(pickle.Unpickler):
    ALLOWED = {
        ("tox_block.data_processing.preprocessors", "TokenSequencer"): PlainTokenSequencer,
        ("keras_preprocessing.text", "Tokenizer"): PlainKerasTokenizer,
        # The Tokenizer's word counts: plain containers (defaultdict's factory is `int`).
        ("collections", "OrderedDict"): OrderedDict,
        ("collections", "defaultdict"): defaultdict,
        ("builtins", "int"): int,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the {PACKAGE} tokenizer") from None


@dataclass
class KerasTokenizer:
    """Keras' `Tokenizer.texts_to_sequences` + `pad_sequences(maxlen)` (pre-padding, pre-truncation)."""

    word_index: dict[str, int]
    num_words: int
    filters: str = KERAS_FILTERS
    lower: bool = True
    split: str = " "
    max_len: int = MAX_LEN

    def words(self, text: str) -> list[str]:
        """`keras_preprocessing.text.text_to_word_sequence`: lower, filters -> split, split on `split`."""
        if self.lower:
            text = text.lower()
        text = text.translate(str.maketrans({c: self.split for c in self.filters}))
        return [w for w in text.split(self.split) if w]

    def sequence(self, text: str) -> list[int]:
        """Ids of the known words with id < num_words (others dropped: the tokenizer has no OOV token)."""
        ids = (self.word_index.get(w) for w in self.words(text))
        return [i for i in ids if i is not None and i < self.num_words]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), max_len] int32: the last max_len ids of each text, zeros in front."""
        out = np.zeros((len(texts), self.max_len), np.int32)
        for row, text in enumerate(texts):
            ids = self.sequence(text)[-self.max_len:]
            if ids:
                out[row, self.max_len - len(ids):] = ids
        return out

    def vocabulary(self) -> list[str]:
        """The words of id 1 .. num_words - 1, in id order (`words[i]` has id i + 1): what the browser needs."""
        words = [""] * (self.num_words - 1)
        for word, index in self.word_index.items():
            if 1 <= index < self.num_words:
                words[index - 1] = word
        missing = [i + 1 for i, w in enumerate(words) if not w]
        if missing:
            raise BuildError(f"{PACKAGE} {VERSION}: the tokenizer has no word for id(s) {missing[:5]}")
        return words


def load_tokenizer(encoder: bytes) -> KerasTokenizer:
    """The pickled TokenSequencer's tokenizer, read without Keras or scikit-learn."""
    try:
        sequencer = _RestrictedUnpickler(io.BytesIO(encoder)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as exc:
        raise BuildError(f"{PACKAGE} {VERSION}: cannot read {ENCODER_MEMBER} ({exc})") from None
    if not isinstance(sequencer, PlainTokenSequencer) or not isinstance(
            getattr(sequencer, "tokenizer", None), PlainKerasTokenizer):
        raise BuildError(f"{PACKAGE} {VERSION}: {ENCODER_MEMBER} does not hold a TokenSequencer with a Tokenizer")
    t = vars(sequencer.tokenizer)
    missing = [k for k in ("char_level", "oov_token", "num_words", "word_index", "filters", "lower", "split")
               if k not in t]
    _check(not missing, f"tokenizer without {', '.join(missing)}")
    _check(t["char_level"] is False and t["oov_token"] is None and isinstance(t["num_words"], int),
           "tokenizer flags")
    _check(isinstance(t["filters"], str) and isinstance(t["split"], str) and t["split"] != "", "tokenizer filters")
    # The model was built for these: its input length and its embedding rows.
    _check(getattr(sequencer, "max_sequence_length", MAX_LEN) == MAX_LEN, "max_sequence_length")
    _check(t["num_words"] == VOCAB, f"num_words {t['num_words']}")
    return KerasTokenizer(word_index=dict(t["word_index"]), num_words=t["num_words"], filters=t["filters"],
                          lower=bool(t["lower"]), split=t["split"], max_len=MAX_LEN)


# --------------------------------------------------------------------------------------------
# The model: Flax, and the NumPy reference of the Keras maths.


def hard_sigmoid(x):
    """Keras 2's `hard_sigmoid`: clip(0.2 x + 0.5, 0, 1)."""
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0)


class BiLSTMMaxPool(nn.Module):
    """Keras `Bidirectional(LSTM(units, return_sequences=True), merge_mode="concat")` + `GlobalMaxPool1D`.

    Both directions run in one loop over time; the backward one reads the sequence from its
    end (Keras' `go_backwards`). Since the max over time ignores order, each direction's
    running max is kept in the loop instead of its output sequence. `loop="scan"` writes the
    loop as `lax.scan`, `"python"` unrolls it in Python (both compute the same).
    """

    units: int = 50
    loop: str = "scan"

    @nn.compact
    def __call__(self, x):  # [b, T, d] -> [b, 2 * units]
        d, u = x.shape[-1], self.units
        cells = {}
        for name in ("forward", "backward"):
            cell = _KerasLSTMWeights(units=u, name=name)
            cells[name] = cell(d)
        (kf, rf, bf), (kb, rb, bb) = cells["forward"], cells["backward"]
        # Input projections of every step at once: [T, b, 4u] per direction, the backward one reversed.
        zf = jnp.einsum("btd,dg->tbg", x, kf) + bf
        zb = jnp.einsum("btd,dg->tbg", x[:, ::-1], kb) + bb
        batch = x.shape[0]
        zeros = jnp.zeros((batch, u), x.dtype)
        init = (zeros, zeros, zeros, zeros, jnp.full((batch, u), -jnp.inf, x.dtype),
                jnp.full((batch, u), -jnp.inf, x.dtype))

        def step(carry, z):
            hf, cf, hb, cb, mf, mb = carry
            hf, cf = _lstm_step(z[0], hf, cf, rf, u)
            hb, cb = _lstm_step(z[1], hb, cb, rb, u)
            return (hf, cf, hb, cb, jnp.maximum(mf, hf), jnp.maximum(mb, hb)), None

        if self.loop == "scan":
            carry, _ = jax.lax.scan(step, init, (zf, zb))
        elif self.loop == "python":
            carry = init
            for t in range(zf.shape[0]):
                carry, _ = step(carry, (zf[t], zb[t]))
        else:
            raise ValueError(f"loop must be 'scan' or 'python', got {self.loop!r}")
        return jnp.concatenate([carry[4], carry[5]], axis=-1)


class _KerasLSTMWeights(nn.Module):
    """One direction's Keras LSTM weights: kernel [d, 4u], recurrent_kernel [u, 4u], bias [4u] (i, f, c, o)."""

    units: int

    @nn.compact
    def __call__(self, features: int):
        init = nn.initializers.zeros_init()
        return (self.param("kernel", init, (features, 4 * self.units)),
                self.param("recurrent_kernel", init, (self.units, 4 * self.units)),
                self.param("bias", init, (4 * self.units,)))


def _lstm_step(z, h, c, recurrent, u):
    """One Keras LSTM step from the input projection `z` = x W + b: gates i, f, c, o."""
    z = z + h @ recurrent
    i = hard_sigmoid(z[:, :u])
    f = hard_sigmoid(z[:, u:2 * u])
    c = f * c + i * jnp.tanh(z[:, 2 * u:3 * u])
    o = hard_sigmoid(z[:, 3 * u:])
    return o * jnp.tanh(c), c


class ToxBlock(nn.Module):
    """tox-block's model: int32 ids [b, 100] -> raw sigmoid probabilities [b, 6] (`LABELS` order)."""

    vocab: int = 20000
    embed: int = 50
    units: int = 50
    hidden: int = 50
    loop: str = "scan"

    @nn.compact
    def __call__(self, ids):
        x = nn.Embed(self.vocab, self.embed, name="embedding")(ids)
        pooled = BiLSTMMaxPool(self.units, self.loop, name="bilstm")(x)
        hidden = nn.relu(nn.Dense(self.hidden, name="dense")(pooled))
        return nn.sigmoid(nn.Dense(len(LABELS), name="dense_1")(hidden))


def flax_params(params: dict[str, Any]) -> dict[str, Any]:
    """The Keras-named tree of `load_params` in the layout `ToxBlock` declares."""
    p = params["params"]
    return {"params": {"embedding": p["embedding"], "bilstm": {"forward": p["forward"], "backward": p["backward"]},
                       "dense": p["dense"], "dense_1": p["dense_1"]}}


def make_apply(loop: str = "scan", rescale: bool = True):
    """`apply(params, ids) -> [b, 6]` probabilities (Flax params tree), rescaled as tox-block's README if asked."""
    model = ToxBlock(loop=loop)
    lo = np.asarray([RESCALE_PROBA[label][0] for label in LABELS], np.float32)
    span = np.asarray([RESCALE_PROBA[label][1] - RESCALE_PROBA[label][0] for label in LABELS], np.float32)

    def apply(params, ids):
        p = model.apply(params, ids)
        return rescale_probabilities(p, lo, span, jnp) if rescale else p

    return apply


def rescale_probabilities(p, lo=None, span=None, xp=np):
    """tox-block's `_rescale_proba` (|p - min| / (max - min) per label), clipped to [0, 1] to stay a probability."""
    if lo is None:
        lo = np.asarray([RESCALE_PROBA[label][0] for label in LABELS], np.float64)
        span = np.asarray([RESCALE_PROBA[label][1] - RESCALE_PROBA[label][0] for label in LABELS], np.float64)
    return xp.clip(xp.abs(p - lo) / span, 0.0, 1.0)


def reference_probabilities(params: dict[str, Any], ids: np.ndarray, dtype=np.float64) -> np.ndarray:
    """The Keras model's forward pass written out in NumPy, step by step, in `dtype`: [b, 6] raw probabilities.

    Follows Keras literally: full output sequences, the backward LSTM run on the reversed sequence
    and its outputs reversed back, concatenation, then the max over all 100 steps.
    """
    p = {k: {n: np.asarray(v, dtype) for n, v in layer.items()} for k, layer in params["params"].items()}
    x = p["embedding"]["embedding"][ids]  # [b, T, 50]

    def hard(v):
        return np.clip(dtype(0.2) * v + dtype(0.5), 0, 1)

    def lstm(seq, w):
        b, steps, _ = seq.shape
        u = w["recurrent_kernel"].shape[0]
        h = np.zeros((b, u), dtype)
        c = np.zeros((b, u), dtype)
        outputs = []
        for t in range(steps):
            z = seq[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            c = hard(f) * c + hard(i) * np.tanh(g)
            h = hard(o) * np.tanh(c)
            outputs.append(h)
        return np.stack(outputs, axis=1)

    forward = lstm(x, p["forward"])
    backward = lstm(x[:, ::-1], p["backward"])[:, ::-1]
    pooled = np.concatenate([forward, backward], axis=-1).max(axis=1)
    hidden = np.maximum(pooled @ p["dense"]["kernel"] + p["dense"]["bias"], 0)
    logits = hidden @ p["dense_1"]["kernel"] + p["dense_1"]["bias"]
    return 1 / (1 + np.exp(-logits))


@dataclass
class ToxBlockModel:
    """Everything the build and the server need: tokenizer, weights (Keras-named and Flax) and provenance."""

    tokenizer: KerasTokenizer
    keras_params: dict[str, Any]  # `load_params`' tree, for `reference_probabilities`
    params: dict[str, Any]  # `flax_params`' tree, for `ToxBlock` / `make_apply`
    files: ToxBlockFiles

    @property
    def param_count(self) -> int:
        return int(sum(np.size(v) for v in jax.tree_util.tree_leaves(self.params)))


def load(download_dir: Path) -> ToxBlockModel:
    """tox-block 0.1.2 read from its wheel (fetched into `download_dir` if needed), ready to run."""
    files = fetch_files(download_dir)
    keras_params = load_params(files.h5)
    return ToxBlockModel(load_tokenizer(files.encoder), keras_params, flax_params(keras_params), files)
