"""A compositional image/caption world drawn with Pillow.

Each scene holds `count` copies of one object (colour x shape x size) placed in one region
(left/right/top/bottom/middle) of a light or dark background (plain, gradient, stripes or
noise). Captions come from a small grammar with synonyms and paraphrases, sometimes leaving
attributes out, so the text tower sees many ways to say the same thing. Some colour x shape
combinations are held out of all training data, to measure zero-shot generalisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 225),
    "yellow": (240, 210, 30), "purple": (150, 60, 190), "orange": (245, 135, 25),
}
SHAPES = ("circle", "square", "triangle", "diamond", "cross")
SIZES = ("small", "large")
COUNTS = (1, 2, 3)
POSITIONS = ("left", "right", "top", "bottom", "middle")
BACKGROUNDS = ("light", "dark")

# Held-out colour x shape combinations: never drawn for training, used for zero-shot accuracy.
# Chosen so that every colour and every shape still appears in other combinations.
HELD_OUT = frozenset({("red", "triangle"), ("green", "diamond"), ("blue", "cross"),
                      ("yellow", "circle"), ("purple", "square"), ("orange", "triangle")})

_COUNT_WORDS = {1: ("a", "one", "a single"), 2: ("two", "a pair of"), 3: ("three",)}
_SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big", "huge")}
_COLOUR_WORDS = {c: (c,) for c in COLOURS} | {"purple": ("purple", "violet")}
_SHAPE_WORDS = {
    "circle": (("circle", "circles"), ("disc", "discs")),
    "square": (("square", "squares"), ("block", "blocks")),
    "triangle": (("triangle", "triangles"),),
    "diamond": (("diamond", "diamonds"), ("rhombus", "rhombuses")),
    "cross": (("cross", "crosses"), ("plus sign", "plus signs")),
}
_POSITION_WORDS = {
    "left": ("on the left", "at the left side", "in the left half"),
    "right": ("on the right", "at the right side", "in the right half"),
    "top": ("at the top", "near the top", "in the upper half"),
    "bottom": ("at the bottom", "near the bottom", "in the lower half"),
    "middle": ("in the middle", "in the center"),
}
_BACKGROUND_WORDS = {"light": ("on a light background", "on a pale background"),
                     "dark": ("on a dark background", "against a dark backdrop")}
_TEMPLATES = ("{np}{pos}{bg}", "a picture of {np}{pos}{bg}", "a photo of {np}{pos}{bg}",
              "an image with {np}{pos}{bg}", "there {be} {np}{pos}{bg}", "{np}{bg}{pos}")

# Region boxes (x0, y0, x1, y1) in unit coordinates where object centres may fall.
_REGIONS = {"left": (0.0, 0.0, 0.5, 1.0), "right": (0.5, 0.0, 1.0, 1.0),
            "top": (0.0, 0.0, 1.0, 0.5), "bottom": (0.0, 0.5, 1.0, 1.0),
            "middle": (0.22, 0.22, 0.78, 0.78)}
_RADIUS = {"small": 0.09, "large": 0.15}


@dataclass(frozen=True)
class Scene:
    """Everything needed to draw and describe one image."""

    colour: str
    shape: str
    size: str
    count: int
    position: str
    background: str
    background_style: str  # plain | gradient | stripes | noise
    seed: int  # drives placement, shading and background texture
    centres: tuple[tuple[float, float], ...]

    @property
    def combo(self) -> tuple[str, str]:
        return (self.colour, self.shape)

    def labels(self) -> dict[str, int]:
        """Attribute class indices for supervised image-tower pretraining."""
        return {"colour": list(COLOURS).index(self.colour), "shape": SHAPES.index(self.shape),
                "size": SIZES.index(self.size), "count": COUNTS.index(self.count),
                "position": POSITIONS.index(self.position)}


ATTRIBUTE_CLASSES = {"colour": len(COLOURS), "shape": len(SHAPES), "size": len(SIZES),
                     "count": len(COUNTS), "position": len(POSITIONS)}


def _place(rng: np.random.Generator, position: str, size: str, count: int) -> tuple:
    x0, y0, x1, y1 = _REGIONS[position]
    r = _RADIUS[size]
    for _ in range(5000):
        centres = [(rng.uniform(max(x0, r + 0.02), min(x1, 1 - r - 0.02)),
                    rng.uniform(max(y0, r + 0.02), min(y1, 1 - r - 0.02))) for _ in range(count)]
        if all(math.dist(a, b) > 2.05 * r for i, a in enumerate(centres) for b in centres[i + 1:]):
            return tuple(centres)
    raise RuntimeError(f"could not place {count} {size} objects {position}")  # never at these sizes


def sample_scene(rng: np.random.Generator, *, held_out: bool | None = False) -> Scene:
    """Draw a random scene; `held_out` True/False restricts the colour x shape combination
    to the held-out / seen set, None allows any."""
    while True:
        colour = str(rng.choice(list(COLOURS)))
        shape = str(rng.choice(SHAPES))
        if held_out is None or ((colour, shape) in HELD_OUT) == held_out:
            break
    size = str(rng.choice(SIZES))
    count = int(rng.choice(COUNTS))
    position = str(rng.choice(POSITIONS))
    return Scene(colour, shape, size, count, position, str(rng.choice(BACKGROUNDS)),
                 str(rng.choice(("plain", "gradient", "stripes", "noise"))),
                 int(rng.integers(2**31)), _place(rng, position, size, count))


def _background(scene: Scene, px: int, rng: np.random.Generator) -> Image.Image:
    # Backgrounds are desaturated so they never read as one of the object colours.
    base = rng.uniform(185, 240) if scene.background == "light" else rng.uniform(20, 75)
    tint = rng.uniform(-12, 12, size=3)
    colour = np.clip(base + tint, 0, 255)
    img = np.broadcast_to(colour, (px, px, 3)).astype(np.float32).copy()
    if scene.background_style == "gradient":
        ramp = np.linspace(-1, 1, px)[:, None, None] * rng.uniform(10, 25)
        img = img + (ramp if rng.random() < 0.5 else ramp.transpose(1, 0, 2))
    elif scene.background_style == "stripes":
        period = rng.uniform(0.06, 0.2) * px
        xx, yy = np.meshgrid(np.arange(px), np.arange(px))
        img = img + (np.sin((xx + yy * rng.uniform(-1, 1)) / period * 2 * np.pi) > 0)[..., None] * 12
    elif scene.background_style == "noise":
        img = img + rng.normal(0, 8, size=(px, px, 1))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _draw_object(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float,
                 fill: tuple[int, int, int]) -> None:
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif shape == "square":
        s = r * 0.86
        draw.rectangle((cx - s, cy - s, cx + s, cy + s), fill=fill)
    elif shape == "triangle":
        draw.polygon([(cx, cy - r), (cx + r * 0.95, cy + r * 0.75), (cx - r * 0.95, cy + r * 0.75)],
                     fill=fill)
    elif shape == "diamond":
        draw.polygon([(cx, cy - r), (cx + r * 0.75, cy), (cx, cy + r), (cx - r * 0.75, cy)], fill=fill)
    elif shape == "cross":
        w = r * 0.36
        draw.rectangle((cx - r, cy - w, cx + r, cy + w), fill=fill)
        draw.rectangle((cx - w, cy - r, cx + w, cy + r), fill=fill)
    else:
        raise ValueError(f"unknown shape {shape!r}")


def render(scene: Scene, px: int = 224) -> Image.Image:
    """Draw `scene` as a `px` x `px` RGB image (2x supersampled for smooth edges)."""
    rng = np.random.default_rng(scene.seed)
    big = 2 * px
    img = _background(scene, big, rng)
    draw = ImageDraw.Draw(img)
    base = np.array(COLOURS[scene.colour], dtype=np.float32)
    for cx, cy in scene.centres:
        fill = tuple(int(v) for v in np.clip(base * rng.uniform(0.85, 1.1), 0, 255))
        r = _RADIUS[scene.size] * big * rng.uniform(0.9, 1.1)
        _draw_object(draw, scene.shape, cx * big, cy * big, r, fill)
    return img.resize((px, px), Image.Resampling.LANCZOS)


def caption(scene: Scene, rng: np.random.Generator) -> str:
    """A random paraphrase of `scene` from the grammar (attributes are sometimes omitted)."""
    def pick(options):
        return options[int(rng.integers(len(options)))]
    singular, plural = pick(_SHAPE_WORDS[scene.shape])
    count_word = pick(_COUNT_WORDS[scene.count])
    words = [count_word]
    if rng.random() < 0.75:
        words.append(pick(_SIZE_WORDS[scene.size]))
    words += [pick(_COLOUR_WORDS[scene.colour]), singular if scene.count == 1 else plural]
    noun_phrase = " ".join(words)
    if noun_phrase.startswith("a ") and words[1][0] in "aeiou":
        noun_phrase = "an " + noun_phrase[2:]
    pos = " " + pick(_POSITION_WORDS[scene.position]) if rng.random() < 0.8 else ""
    bg = " " + pick(_BACKGROUND_WORDS[scene.background]) if rng.random() < 0.25 else ""
    template = pick(_TEMPLATES)
    return template.format(np=noun_phrase, pos=pos, bg=bg, be="is" if scene.count == 1 else "are")


def plural(shape: str) -> str:
    """The plain plural of a shape name ('cross' -> 'crosses')."""
    return _SHAPE_WORDS[shape][0][1]


def canonical_caption(scene: Scene) -> str:
    """The plain full description, e.g. 'two small red circles on the left'."""
    count = {1: "a", 2: "two", 3: "three"}[scene.count]
    noun = scene.shape if scene.count == 1 else plural(scene.shape)
    return f"{count} {scene.size} {scene.colour} {noun} {_POSITION_WORDS[scene.position][0]}"


def zero_shot_prompt(colour: str, shape: str) -> str:
    """The class prompt used for colour x shape zero-shot classification."""
    article = "an" if colour[0] in "aeiou" else "a"
    return f"{article} {colour} {shape}"
