"""Real photographs for the LiT demo, from wheels: scikit-image's `skimage/data/` and the two JPEGs
scikit-learn installs (`sklearn/datasets/images/`). No download from a website.

Each photo is named with its source and licence as those packages state them, and read by its
own SHA-256 (scikit-image ships one wheel per platform, so the wheel's digest is not fixed).
`square_crop` is the crop every tower sees: the centred square, resized to `size` with bicubic
filtering (Pillow).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import BuildError
from ...pinned_wheels import PinnedWheel, fetch, read_member

SKIMAGE = PinnedWheel("scikit-image", "0.26.0", "scikit_image-0.26.0-*.whl", "", "BSD-3-Clause (code)")


@dataclass(frozen=True)
class Photo:
    name: str
    member: str  # path in the wheel, or in the installed package for "sklearn"
    sha256: str
    source: str  # "skimage" or "sklearn"
    credit: str  # author and licence as the package states them


PHOTOS = (
    Photo("chelsea", "skimage/data/chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
          "skimage", "Chelsea the cat, CC0 by the photographer (Stefan van der Walt), per skimage.data"),
    Photo("coffee", "skimage/data/coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
          "skimage", "Coffee cup, courtesy of Pikolo Espresso Bar; CC0 by the photographer (Rachel Michetti), "
          "per skimage.data"),
)


def _check(photo: Photo, data: bytes) -> bytes:
    if photo.sha256 and hashlib.sha256(data).hexdigest() != photo.sha256:
        raise BuildError(f"{photo.member}: unexpected contents (SHA-256 differs from the pinned one)")
    return data


def read_photo(photo: Photo, download_dir: Path) -> bytes:
    """The encoded image file of `photo`."""
    if photo.source == "sklearn":
        import sklearn

        return _check(photo, (Path(sklearn.__file__).parent.parent / photo.member).read_bytes())
    return _check(photo, read_member(fetch(SKIMAGE, download_dir), photo.member))


def square_crop(data: bytes, size: int = 224) -> np.ndarray:
    """The centred square of an encoded image, resized to size x size RGB uint8."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    image = image.crop((left, top, left + s, top + s)).resize((size, size), Image.BICUBIC)
    return np.asarray(image, np.uint8)
