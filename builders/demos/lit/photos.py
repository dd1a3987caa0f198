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

# The LiT page's gallery: the two photos the tower is checked on, and more from the same wheels.
GALLERY = PHOTOS + (
    Photo("astronaut", "skimage/data/astronaut.png",
          "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", "skimage",
          "Astronaut Eileen Collins, NASA; public domain, per skimage.data"),
    Photo("rocket", "skimage/data/rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
          "skimage", "DSCOVR launch on Falcon 9, SpaceX; released into the public domain, per skimage.data"),
    Photo("coins", "skimage/data/coins.png", "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
          "skimage", "Greek coins from Pompeii, Brooklyn Museum; no known copyright restrictions, per skimage.data"),
    Photo("hubble", "skimage/data/hubble_deep_field.jpg",
          "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4", "skimage",
          "Hubble eXtreme Deep Field, NASA; public domain, per skimage.data"),
    Photo("camera", "skimage/data/camera.png", "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
          "skimage", "Camera man, CC0 by the photographer (Lav Varshney), per skimage.data"),
    Photo("retina", "skimage/data/retina.jpg", "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
          "skimage", "Fundus photograph of a retina, Mikael Häggström; CC0 1.0, per skimage.data"),
    Photo("china", "sklearn/datasets/images/china.jpg",
          "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29", "sklearn",
          "A temple in China, danielbuechele on Flickr; CC BY 2.0, per scikit-learn's images/README.txt"),
    Photo("flower", "sklearn/datasets/images/flower.jpg",
          "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638", "sklearn",
          "A flower, vultilion on Flickr; CC BY 2.0, per scikit-learn's images/README.txt"),
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


def crops(data: bytes, size: int = 224) -> list[np.ndarray]:
    """Several size x size RGB uint8 views of an encoded image: the centred square, its centre
    zoomed to 60%, and, for an image at least 1.2 times wider (taller) than high (wide), the
    squares at both ends of its long side (a page shows more than one framing of each photo)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    z = int(round(0.6 * s))
    boxes = [(left, top, left + s, top + s), ((w - z) // 2, (h - z) // 2, (w - z) // 2 + z, (h - z) // 2 + z)]
    if w >= 1.2 * h:
        boxes += [(0, 0, s, s), (w - s, 0, w, s)]
    elif h >= 1.2 * w:
        boxes += [(0, 0, s, s), (0, h - s, s, h)]
    return [np.asarray(image.crop(b).resize((size, size), Image.BICUBIC), np.uint8) for b in boxes]


def square_crop(data: bytes, size: int = 224) -> np.ndarray:
    """The centred square of an encoded image, resized to size x size RGB uint8."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    image = image.crop((left, top, left + s, top + s)).resize((size, size), Image.BICUBIC)
    return np.asarray(image, np.uint8)
