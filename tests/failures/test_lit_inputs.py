"""Bad LiT checkpoints, tokenizers and image folders: each is a `BuildError` naming the file (and the key
or entry) and what to do, never a traceback; nothing is written outside the cache; a checkpoint site
publishes only the checkpoint's data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import jax
import numpy as np
import pytest
from flax import traverse_util

from builders.build import PROJECT_ROOT, build, main
from builders.cache import Cache
from builders.demos import lit
from builders.demos.base import BuildContext
from builders.demos.lit import world
from builders.demos.lit.checkpoint import load_checkpoint, save_checkpoint
from builders.demos.lit.formats import ImageInfo, read_image_infos, write_json
from builders.demos.lit.models import CNNConfig, SmallCNN, TextConfig, TextTransformer
from builders.demos.lit.tokenizer import Tokenizer
from builders.errors import BuildError
from tests.lit.helpers import small_tokenizer

INFO_FIELDS = "{id, description, source, license, prompts}"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> SimpleNamespace:
    """A small valid checkpoint, its tokenizer and a one-image folder."""
    tmp = tmp_path_factory.mktemp("lit_inputs")
    tok = small_tokenizer(tmp, max_len=8)
    tc = TextConfig(vocab_size=tok.vocab_size, width=16, depth=1, num_heads=2, mlp_dim=32, max_len=8, out_dim=8)
    ic = CNNConfig(image_size=32, channels=(4, 8), hidden=16, out_dim=8)
    txt = TextTransformer(tc).init(jax.random.key(0), np.zeros((1, 8), np.int32))["params"]
    img = SmallCNN(ic).init(jax.random.key(1), np.zeros((1, 32, 32, 3)))["params"]
    ckpt = save_checkpoint(tmp / "LiT.npz", txt, img, 2.0)
    images = tmp / "photos"
    images.mkdir()
    world.render(world.sample_scene(np.random.default_rng(0)), 64).save(images / "cat.jpg")
    write_json(images / "info.json", [ImageInfo("cat", "a drawing", "test", "CC0-1.0", "a red circle,a square")])
    with np.load(ckpt) as data:
        flat = {k: data[k] for k in data.files}
    return SimpleNamespace(tmp=tmp, tokenizer=tok.model_path, checkpoint=ckpt, images=images, flat=flat)


def npz(tmp_path: Path, flat: dict, name: str = "bad.npz") -> Path:
    path = tmp_path / name
    np.savez(path, **flat)
    return path


def checkpoint_error(path: Path) -> str:
    with pytest.raises(BuildError) as info:
        load_checkpoint(path)
    return str(info.value)


def build_assets_error(good, tmp_path, **settings) -> str:
    """The message `lit.build_assets` stops with for the checkpoint settings `good` + `settings`."""
    values = {"checkpoint": str(good.checkpoint), "tokenizer": str(good.tokenizer), "images_dir": str(good.images),
              **settings}
    ctx = BuildContext(site=None, cache=Cache(tmp_path / "cache"), profile="default", project_root=PROJECT_ROOT)
    with pytest.raises(BuildError) as info:
        lit.build_assets(lit.Config(**values), ctx)
    return str(info.value)


# --- checkpoints -------------------------------------------------------------------------------------

def test_missing_checkpoint(good, tmp_path):
    path = tmp_path / "nope.npz"
    assert build_assets_error(good, tmp_path, checkpoint=str(path)) == (
        f"demos.lit.checkpoint: {path} does not exist or is not a file; fix the path in site.toml")
    assert checkpoint_error(path) == f"checkpoint not found: {path} (set demos.lit.checkpoint in site.toml)"


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04truncated"])
def test_not_an_npz_archive(tmp_path, content):
    path = tmp_path / "lit.npz"
    path.write_bytes(content)
    assert checkpoint_error(path) == (f"{path}: not an .npz archive (a zip of NumPy arrays, as numpy.savez "
                                      "writes); set demos.lit.checkpoint to a big_vision LiT .npz file")


def test_damaged_array_in_the_archive(tmp_path):
    path = tmp_path / "lit.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("t.npy", b"\x93NUMPY garbage")
    assert checkpoint_error(path) == (
        f"{path}: cannot read the archive (we only support format version (1,0), (2,0), and (3,0), not "
        "(32, 103)); the file is damaged or not written by numpy.savez: download or export it again")


def test_missing_temperature(good, tmp_path):
    flat = {k: v for k, v in good.flat.items() if k != "t"}
    path = npz(tmp_path, flat)
    assert checkpoint_error(path) == f"{path}: missing the log temperature 't' (one number)"


def test_missing_tower_parameter(good, tmp_path):
    flat = {k: v for k, v in good.flat.items() if k != "txt/Embed_0/embedding"}
    path = npz(tmp_path, flat)
    assert checkpoint_error(path) == f"{path}: missing parameter 'txt/Embed_0/embedding'"


def test_wrong_rank_is_named_before_shapes_are_read(good, tmp_path):
    # A 1-D embedding crashed with "not enough values to unpack".
    path = npz(tmp_path, {**good.flat, "txt/Embed_0/embedding": np.zeros(50, np.float32)})
    assert checkpoint_error(path) == (
        f"{path}: txt/Embed_0/embedding has shape (50,), expected 2 non-empty dimensions")


def test_wrong_shape_is_named(good, tmp_path):
    path = npz(tmp_path, {**good.flat, "txt/head/bias": np.zeros(3, np.float32)})
    assert checkpoint_error(path) == f"{path}: txt/head/bias has shape (3,), expected (8,)"


def test_non_numeric_array(good, tmp_path):
    path = npz(tmp_path, {**good.flat, "txt/head/bias": np.array(["x"] * 8)})
    assert checkpoint_error(path) == (
        f"{path}: 'txt/head/bias' has dtype <U1, expected numbers; this is not a LiT parameter array")


def test_an_array_and_a_group_with_one_name(good, tmp_path):
    path = npz(tmp_path, {**good.flat, "txt/head": np.zeros(2, np.float32)})
    assert checkpoint_error(path) == f"{path}: 'txt/head' is both an array and a group of parameters"


def test_nan_weights_are_refused_naming_the_key(good, tmp_path):
    # A checkpoint full of NaN built and reported "max err 0": NaN in JAX equalled NaN in TF.js.
    kernel = good.flat["txt/head/kernel"].copy()
    kernel[0, :3] = [np.nan, np.inf, -np.inf]
    path = npz(tmp_path, {**good.flat, "txt/head/kernel": kernel})
    assert checkpoint_error(path) == (
        f"{path}: 'txt/head/kernel' holds 3 NaN or infinite values; the checkpoint is damaged or its "
        "training diverged: use another one")
    all_nan = npz(tmp_path, {k: np.full_like(v, np.nan, dtype=np.float32) for k, v in good.flat.items()}, "nan.npz")
    assert " NaN or infinite value" in checkpoint_error(all_nan)


def test_temperature_that_overflows(good, tmp_path):
    path = npz(tmp_path, {**good.flat, "t": np.array([1000.0], np.float32)})
    assert checkpoint_error(path) == f"{path}: the log temperature t = 1000 overflows exp(t); use another checkpoint"


# --- tokenizers --------------------------------------------------------------------------------------

def test_missing_tokenizer(good, tmp_path):
    path = tmp_path / "nope.model"
    assert build_assets_error(good, tmp_path, tokenizer=str(path)) == (
        f"demos.lit.tokenizer: {path} does not exist or is not a file; fix the path in site.toml")
    with pytest.raises(BuildError, match="SentencePiece model not found"):
        Tokenizer(path, 8)


@pytest.mark.parametrize("content", [b"\x00\xffnot a model at all", b"\x0a\x05hello"])
def test_corrupt_tokenizer(tmp_path, content):
    path = tmp_path / "broken.model"
    path.write_bytes(content)
    with pytest.raises(BuildError) as info:
        Tokenizer(path, 8)
    message = str(info.value)
    assert message.startswith(f"{path}: not a readable SentencePiece model (")
    assert message.endswith("); use the .model file the checkpoint's text tower was trained with")


# --- image folders -----------------------------------------------------------------------------------

def image_folder(tmp_path: Path, info: object | bytes, images: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    if info is not None:
        (folder / "info.json").write_bytes(info if isinstance(info, bytes) else json.dumps(info).encode())
    for name, data in (images or {}).items():
        (folder / name).write_bytes(data)
    return folder


def entry(**fields) -> dict:
    return {"id": "cat", "description": "d", "source": "s", "license": "CC0-1.0", "prompts": "a cat", **fields}


def test_missing_images_dir(good, tmp_path):
    assert build_assets_error(good, tmp_path, images_dir=str(tmp_path / "none")) == (
        f"demos.lit.images_dir: {tmp_path / 'none'} is not a folder")


def test_missing_info_json(good, tmp_path):
    folder = image_folder(tmp_path, None)
    assert build_assets_error(good, tmp_path, images_dir=str(folder)) == (
        f"{folder / 'info.json'} is missing: the image folder needs an info.json listing {INFO_FIELDS} per image")


@pytest.mark.parametrize(("info", "problem"), [
    (b"[{", "not valid JSON (Expecting property name enclosed in double quotes at line 1, column 3)"),
    (b"\xff[]", "not UTF-8 text (invalid start byte at byte 0); save it as UTF-8"),
    ({"id": "cat"}, f"expected a non-empty list of {INFO_FIELDS}"),
    ([], f"expected a non-empty list of {INFO_FIELDS}"),
    (["cat"], "[0]: expected an object with id, description, source, license, prompts"),
    ([{"id": "cat", "description": "d", "source": "s"}], "[0]: missing field(s) license, prompts"),
    ([entry(prompts=["a", "b"])], '[0]: prompts must be a string, got ["a", "b"]'),
    ([entry(), entry()], '[1]: id "cat" appears twice; ids must be unique'),
])
def test_invalid_info_json(good, tmp_path, info, problem):
    folder = image_folder(tmp_path, info)
    separator = "" if problem.startswith("[") else ": "
    assert build_assets_error(good, tmp_path, images_dir=str(folder)) == f"{folder / 'info.json'}{separator}{problem}"


@pytest.mark.parametrize("image_id", ["../escaped", "..", "a/b", "/abs", ".hidden", "", "x..y", "tab\there"])
def test_ids_that_are_not_plain_file_names(good, tmp_path, image_id):
    # With images/../escaped.jpg present, "../escaped" wrote <cache>/lit-images/escaped.jpg, outside its entry.
    jpeg = (good.images / "cat.jpg").read_bytes()
    folder = image_folder(tmp_path, [entry(), entry(id=image_id)], {"cat.jpg": jpeg})
    (tmp_path / "escaped.jpg").write_bytes(jpeg)
    assert build_assets_error(good, tmp_path, images_dir=str(folder)) == (
        f"{folder / 'info.json'}[1]: id {json.dumps(image_id)} is not a plain file name (letters, digits, '.', "
        "'_', '-'; starting with a letter or digit; no '..'); rename it and its image")
    assert list((tmp_path / "cache").rglob("*.jpg")) == []


def test_missing_image(good, tmp_path):
    folder = image_folder(tmp_path, [entry()])
    assert build_assets_error(good, tmp_path, images_dir=str(folder)) == (
        f"{folder}: no image file for id 'cat' (expected cat.jpg or .png)")


@pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff\xe0 truncated jpeg"])
def test_image_that_cannot_be_decoded(good, tmp_path, data):
    folder = image_folder(tmp_path, [entry()], {"cat.jpg": data})
    message = build_assets_error(good, tmp_path, images_dir=str(folder))
    assert message.startswith(f"{folder / 'cat.jpg'}: cannot decode the image (")
    assert message.endswith("); replace it with a JPEG or PNG file")


# --- the command line --------------------------------------------------------------------------------

def test_cli_prints_one_line_and_exits_1(good, tmp_path, capsys):
    path = npz(tmp_path, {**good.flat, "txt/head/bias": np.full(8, np.nan, np.float32)})
    config = tmp_path / "site.toml"
    config.write_text(f'[demos.lit]\ncheckpoint = "{path}"\ntokenizer = "{good.tokenizer}"\n'
                      f'images_dir = "{good.images}"\n')
    assert main(["--config", str(config), "--out", str(tmp_path / "out"), "--only", "lit"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"error: step 'lit' failed: {path}: 'txt/head/bias' holds 8 NaN or infinite values; the checkpoint is "
        "damaged or its training diverged: use another one")
    assert "Traceback" not in err


# --- what a checkpoint site publishes ----------------------------------------------------------------

def test_checkpoint_site_publishes_only_the_checkpoint_data(good, tmp_path):
    # The images folder of a checkpoint build is a cache entry: its result.json was published too.
    config = tmp_path / "site.toml"
    config.write_text(f'[demos.lit]\ncheckpoint = "{good.checkpoint}"\ntokenizer = "{good.tokenizer}"\n'
                      f'images_dir = "{good.images}"\n')
    out = tmp_path / "site"
    result = build(config, out, only=["lit"], cache_dir=tmp_path / "cache")
    data = sorted(p.relative_to(out / "data").as_posix() for p in (out / "data").rglob("*") if p.is_file())
    assert data == ["images/cat.jpg", "images/info.json"] + [
        f"models/lit/{name}" for name in ("def.json", "tfjs/group1-shard1of1.bin", "tfjs/model.json",
                                          "tokenizer.json", "vocabulary.json", "zimgs.bin", "zimgs.txt",
                                          "ztxts.bin", "ztxts.txt")]
    assert [i.id for i in read_image_infos(out / "data/images/info.json")] == ["cat"]
    (page,) = [p for p in result.pages if p.name == "lit"]
    assert page.data["embedded"] is False and page.data["held_out"] == []
    assert "world_" not in (out / "lit/index.html").read_text()
    flat = traverse_util.flatten_dict(page.data["client"])
    assert flat == {("models",): ["lit"], ("defaultModel",): "lit"}
