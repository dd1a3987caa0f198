"""Varied sentences for the tox-block parity tests (deterministic, no network).

Edge cases (empty, whitespace only, every Keras filter character, Unicode case mapping, emoji,
texts longer than the model's 100 tokens, 1,000 words) plus random sentences drawn from the
tokenizer's own vocabulary, so that most tokens are real ids and some fall past `num_words`.
"""

from __future__ import annotations

import random

from .corpus import HANDWRITTEN

EDGE_CASES = [
    "",
    " ",
    "\t\n",
    "I will find where you live and hurt you",
    "I will kill you, you fucking idiot!",
    "Good morning my friend, I hope you're having a fantastic day!",
    "You are a disgusting, worthless human being.",
    "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~",
    "words!joined?by.filters,and;more:of[them]",
    "apostrophes stay: don't won't y'all 'quoted'",
    "double  spaces   and\u00a0no-break\u2003em spaces",
    "ÜBER straße İstanbul ΟΔΟΣ Σ",
    "emoji 🎉🔥💩🤬 and 👩‍👩‍👧 family",
    "日本語のテキスト 中文 한국어",
    "mixed\ttabs\nnewlines\r\ncarriage returns",
    "UPPER CASE SHOUTING YOU IDIOT",
    "zero\u200bwidth",
    "the " * 150,  # longer than 100 tokens: only the last 100 count (pre-truncation)
    " ".join(f"word{i % 37} kill" if i % 50 == 0 else ["you", "are", "nice", "really"][i % 4] for i in range(1000)),
]


def sentences(tokenizer_words: list[str], n_random: int = 240, seed: int = 17) -> list[str]:
    """EDGE_CASES, the profanity corpus' handwritten cases, and `n_random` sentences of vocabulary words.

    `tokenizer_words` is the tokenizer's vocabulary by frequency (id 1 first); a few words are
    taken from past id 20,000 (known to the tokenizer but dropped by `num_words`) and a few are
    invented, so every branch of `texts_to_sequences` runs.
    """
    rng = random.Random(seed)
    common, rare = tokenizer_words[:3000], tokenizer_words[20000:40000]
    out = list(EDGE_CASES) + [t for t in HANDWRITTEN if t not in EDGE_CASES]
    separators = [" ", " ", " ", ", ", ". ", "! ", "? ", "-", "\n", "  ", "'", "…", " 🎉 "]
    for _ in range(n_random):
        words = []
        for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 21, 40, 90, 120, 150, 200])):
            r = rng.random()
            if r < 0.8:
                word = rng.choice(common)
            elif r < 0.9 and rare:
                word = rng.choice(rare)
            else:
                word = "".join(rng.choice("abcdeéxyzqü") for _ in range(rng.randint(2, 9)))
            if rng.random() < 0.1:
                word = word.upper()
            elif rng.random() < 0.1:
                word = word.capitalize()
            words.append(word)
        text = "".join(w + rng.choice(separators) for w in words[:-1]) + words[-1]
        out.append(text)
    return out
