"""`app.Image`'s preprocessing, step by step the same as the browser's (site_src/components/image_preprocess.ts):

1. decode to 8-bit RGBA, turned upright by its EXIF orientation, no colour management (the browser
   decodes with `colorSpaceConversion: "none"`); translucent pixels are composited over white as a
   canvas does: `round(c * a / 255) + 255 - a`;
2. grey, when one channel is asked for: `0.299 R + 0.587 G + 0.114 B` (ITU-R 601, not rounded);
3. crop: `"center"` takes the largest centred box of the output's aspect ratio (its edges may fall
   inside pixels), `"none"` the whole image (stretched to the output's aspect);
4. resample by area averaging (a box filter): each output pixel is the mean of the source pixels its
   box covers, weighted by how much of each it covers (OpenCV's INTER_AREA when shrinking; PIL's BOX
   weighs whole pixels instead). Separable, in float64;
5. normalise: `x = (v * scale + offset - mean[c]) / std[c]` on the 0-255 values, then float32.

The result is `(height, width, channels)`, row-major. Both sides compute the same float64 numbers
up to the order of the sums, so a PNG gives the same array to float32 rounding; a JPEG's decoders
(libjpeg-turbo here and in Chromium) may differ by a level.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

GREY = (0.299, 0.587, 0.114)


def decode(path: Path) -> np.ndarray:
    """The image file at `path` as `(height, width, 3)` uint8 RGB: upright, composited over white.
    Raises ValueError when it is not an image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            rgba = np.asarray(image.convert("RGBA"), np.int32)
    except UnidentifiedImageError:
        raise ValueError(f"'{path.name}' is not an image PIL can read (PNG, JPEG, GIF, WebP, BMP)") from None
    except OSError as exc:
        raise ValueError(f"'{path.name}' cannot be read as an image: {exc}") from None
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    return ((rgb * alpha + 127) // 255 + 255 - alpha).astype(np.uint8)


def box_weights(source: int, start: float, length: float, out: int) -> np.ndarray:
    """`(out, source)`: row i holds the share of each source pixel in output pixel i, whose box is
    [start + length * i / out, start + length * (i + 1) / out)."""
    weights = np.zeros((out, source), np.float64)
    for i in range(out):
        lo = start + length * i / out
        hi = start + length * (i + 1) / out
        for k in range(max(0, math.floor(lo)), min(source, math.ceil(hi))):
            weights[i, k] = max(0.0, min(hi, k + 1) - max(lo, k))
        total = 0.0
        for k in range(source):  # summed in order, like the browser
            total += weights[i, k]
        weights[i] /= total
    return weights


def crop_box(width: int, height: int, out_width: int, out_height: int, crop: str) -> tuple[float, float, float, float]:
    """(x, y, box width, box height) of the part of a `width` x `height` image that is resampled."""
    if crop == "none":
        return 0.0, 0.0, float(width), float(height)
    if width * out_height > height * out_width:  # wider than the output: cut the sides
        box = height * out_width / out_height
        return (width - box) / 2, 0.0, box, float(height)
    box = width * out_height / out_width
    return 0.0, (height - box) / 2, float(width), box


def preprocess(rgb: np.ndarray, size: tuple[int, int], channels: int, crop: str, scale: float, offset: float,
               mean: list[float], std: list[float]) -> np.ndarray:
    """The `(height, width, channels)` float32 array `fn` gets for a decoded image (see the module's steps)."""
    out_height, out_width = size
    height, width = rgb.shape[:2]
    planes = rgb.astype(np.float64)
    if channels == 1:
        planes = planes[..., :1] * GREY[0] + planes[..., 1:2] * GREY[1] + planes[..., 2:3] * GREY[2]
    x, y, box_width, box_height = crop_box(width, height, out_width, out_height, crop)
    wx = box_weights(width, x, box_width, out_width)
    wy = box_weights(height, y, box_height, out_height)
    rows = np.tensordot(wy, planes, axes=(1, 0))  # (out_height, width, channels)
    resized = np.matmul(rows.transpose(0, 2, 1), wx.T).transpose(0, 2, 1)
    mean_array, std_array = np.asarray(mean, np.float64), np.asarray(std, np.float64)
    return ((resized * scale + offset - mean_array) / std_array).astype(np.float32)
