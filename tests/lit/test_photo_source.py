"""The LiT photo source: MiniLM + tuned head as one text tower, exported with the batch polymorphic
and checked in TF.js (WASM) against JAX, and the photo layout read back by the formats reader.
Fast: a MiniLM cut to one layer, an untuned head and two photos (the build uses all six layers,
the tuned head and the whole gallery)."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

from builders.demos.lit import efficientnet, minilm, photo_source, photos, tuning
from builders.demos.lit.formats import read_embeddings, read_image_infos, read_model_def
from builders.errors import BuildError
from builders.wordpiece import WordPiece


@pytest.fixture(scope="module")
def download_dir(request) -> Path:
    return Path(request.config.cache.mkdir("lit-wheels"))


@pytest.fixture(scope="module")
def one_layer(download_dir):
    module, variables, spec = minilm.load(download_dir)
    cut = minilm.MiniLM(vocab=module.vocab, width=module.width, layers=1, heads=module.heads,
                        max_len=module.max_len, eps=module.eps)
    params = {k: v for k, v in variables["params"].items() if not (k.startswith("layer") and k != "layer0")}
    return cut, {"params": params}, spec


def test_the_text_tower_is_minilm_then_the_head(one_layer):
    module, variables, spec = one_layer
    head = tuning.init_head(jax.random.PRNGKey(0))
    wp = WordPiece.from_tokenizer_json(spec)
    ids = np.array([wp.encode(t, 16)[0] for t in ["a cat", "a cup of coffee on a saucer"]], np.int32)
    out = np.asarray(photo_source.text_tower(module)({"minilm": variables, "head": head}, ids))
    want = np.asarray(tuning.apply_head(head, module.apply(variables, ids)))
    np.testing.assert_allclose(out, want, atol=1e-6)
    assert out.shape == (2, 1280)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1, atol=1e-5)


def test_export_writes_the_page_layout_and_matches_jax_in_tfjs(download_dir, one_layer, tmp_path):
    module, variables, spec = one_layer
    head = tuning.init_head(jax.random.PRNGKey(0))
    images_out, out = tmp_path / "images", tmp_path / "model"
    result = photo_source.export_photo_model(module, variables, head, spec, efficientnet.load_variables(download_dir),
                                             download_dir, images_out, out, max_len=16, verify_atol=2e-4,
                                             photo_names=["chelsea", "coffee"])
    infos = read_image_infos(images_out / "info.json")
    assert [i.id for i in infos] == [f"{n}-{k}" for n in ("chelsea", "coffee") for k in range(4)]
    assert all((images_out / f"{i.id}.jpg").is_file() for i in infos)
    model_def = read_model_def(out / "def.json")
    assert model_def.tokenizer_type == "WORDPIECE" and model_def.embedding_size == 1280 and model_def.max_len == 16
    keys, zimgs = read_embeddings(out / "zimgs", 1280)
    assert keys == [i.id for i in infos]
    np.testing.assert_allclose(np.linalg.norm(zimgs, axis=-1), 1, atol=1e-5)
    prompts, _ = read_embeddings(out / "ztxts", 1280)
    assert "a tabby cat looking up" in prompts and len(prompts) == result["prompts"] == 8
    assert result["max_abs_error"] <= 2e-4 and result["zero_shot"]["photos"] == 2
    assert (out / "tfjs" / "model.json").is_file()


def test_a_tokenizer_the_page_cannot_run_is_refused():
    spec = {"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100}, "normalizer": {"lowercase": False, "strip_accents": None}}
    with pytest.raises(BuildError, match="differ from the WordPiece settings the page implements"):
        photo_source.check_wordpiece(spec)


def test_every_gallery_photo_has_prompts_and_crops():
    assert set(photo_source.PROMPTS) == {p.name for p in photos.GALLERY} == set(photo_source.DESCRIPTIONS)
