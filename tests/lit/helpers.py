"""Shared helpers for the LiT tests: small tokenizers and running TypeScript under Node."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from builders.build import PROJECT_ROOT
from builders.demos.lit import world
from builders.demos.lit.tokenizer import Tokenizer, train_sentencepiece


def world_captions(n: int, seed: int = 0) -> list[str]:
    """Captions of `n` random scenes (no rendering needed)."""
    rng = np.random.default_rng(seed)
    return [world.caption(world.sample_scene(rng, held_out=None), rng) for _ in range(n)]


def small_tokenizer(tmp: Path, model_type: str = "bpe", vocab_size: int = 200, max_len: int = 16) -> Tokenizer:
    """A SentencePiece model trained on world captions."""
    path = train_sentencepiece(world_captions(1500), tmp / f"{model_type}.model", vocab_size=vocab_size,
                               model_type=model_type)
    return Tokenizer(path, max_len)


def bundle_ts(entry: str, out: Path) -> Path:
    """Bundle a TypeScript file for Node with esbuild."""
    subprocess.run([str(PROJECT_ROOT / "node_modules/.bin/esbuild"), entry, "--bundle", "--platform=node",
                    "--format=esm", "--log-level=warning", f"--outfile={out}"], cwd=PROJECT_ROOT, check=True)
    return out


def ts_tokenize(tokenizer: Tokenizer, texts: list[str], tmp: Path, *, with_spec: bool = True) -> dict:
    """Run site_src/lit/tokenize_cli.ts on `texts`; returns {"ids": [...], "lit": [...]}."""
    cli = tmp / "tokenize_cli.mjs"
    if not cli.exists():
        bundle_ts("site_src/lit/tokenize_cli.ts", cli)
    request = {"def": {"description": "", "tokenizer_type": tokenizer.tokenizer_type, "temperature": 1.0,
                       "pad_value": tokenizer.pad_value, "max_len": tokenizer.max_len, "embedding_size": 1},
               "vocabulary": tokenizer.vocabulary(),
               "spec": json.loads(json.dumps(tokenizer.spec(), default=lambda o: o.__dict__)) if with_spec else None,
               "texts": texts}
    req = tmp / "request.json"
    req.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run(["node", str(cli), str(req)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
