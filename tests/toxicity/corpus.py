"""A few hundred varied sentences for the toxicity parity tests (deterministic)."""

from __future__ import annotations

import random

HANDWRITTEN = [
    "Thank you for this lovely demo!",
    "you are a fucking idiot",
    "What the hell is going on here?",
    "Go to hell, you piece of shit.",
    "I really enjoyed reading your article about JAX.",
    "shut up, you stupid moron",
    "",
    "   ",
    "a",
    "I",
    "ok",
    "F*CK this",
    "f u c k",
    "FUCK FUCK FUCK",
    "Fuckfuckfuck",
    "What a bitch.",
    "damn it, the build failed again",
    "You're an ass-hole and a dumbass",
    "kill yourself",
    "Have a nice day :)",
    "<img src=x onerror=alert(1)>",
    "<script>alert('xss')</script> you suck",
    "https://example.com/fuck?q=shit&x=1",
    "email me at someone@example.com",
    "snake_case_words and __dunder__ names",
    "numbers 123 4567 3.14 1e10 0x1F",
    "Ünïcödé wörds: Zürich, naïve café, résumé",
    "CJK 漢字かなカナ 한국어 text",
    "Greek ΟΔΟΣ ΣΟΦΟΣ ΈΝΑΣ and final sigma",
    "Turkish İstanbul IŞIK ığdır",
    "German STRASSE Straße ẞ",
    "ligatures ﬁne ﬂow ﬀ",
    "full-width ＦＵＣＫ ｙｏｕ",
    "emoji 🎉🔥 💩 shit 🤬",
    "Cyrillic блядь сука Привет",
    "Arabic مرحبا بالعالم and Hebrew שלום",
    "Devanagari नमस्ते दुनिया with marks",
    "Thai ภาษาไทย no spaces",
    "combining e\u0301 and a\u0308 marks",
    "zero\u200bwidth\u200dspace joiners",
    "tabs\tand\nnewlines\r\nhere",
    "superscripts x² y³ and fractions ½ ¾",
    "roman numerals Ⅻ ⅷ and circled ① ⑳",
    "mathematical 𝐟𝐮𝐜𝐤 𝓼𝓱𝓲𝓽 letters",
    "underscore_fuck_underscore",
    "hyphen-fuck-hyphen",
    "fuck'n apostrophes don't won't",
    "ALL CAPS SENTENCE WITH NO SWEARING",
    "The the the the the the the",
    "you idiot " * 20,
    "sh!t f@ck a$$",
    "hello world " + "lorem ipsum dolor sit amet " * 5,
    "porn xxx sex naked",
    "I hate you and your whole family",
    "This is a perfectly polite comment about gardening and tomatoes.",
    "Nice work! Can't wait to try it on my phone.",
    "niggaz and faggots",  # slurs: the model must flag them like sklearn does
    "dick pussy cock tits",
    "bastard, wanker, bollocks",
    "crap, crappy, crapping",
]

WORDS = ("the and you your this that with from have what when where about really very nice good bad "
         "great terrible lovely idiot stupid dumb fucking shit hell damn bitch ass crap sucks love hate "
         "kill die demo browser model jax tensorflow guestbook message thanks friend people world day "
         "night music movie game work home please sorry wow lol omg wtf fuck pussy dick moron loser").split()
SEPARATORS = [" ", "  ", ", ", "! ", "? ", ". ", "-", "_", "/", "\n", "\t", "...", " — ", "'"]


def sentences(n_random: int = 260, seed: int = 5) -> list[str]:
    """Handwritten edge cases plus `n_random` random sentences built from common and vocabulary words."""
    rng = random.Random(seed)
    try:
        from profanity_check import profanity_check as pc

        vocab = sorted(pc.vectorizer.vocabulary_)
    except ImportError:  # the tests that use this corpus skip without the package
        vocab = []
    out = list(HANDWRITTEN)
    for _ in range(n_random):
        words = []
        for _ in range(rng.randint(1, 14)):
            word = rng.choice(vocab) if vocab and rng.random() < 0.35 else rng.choice(WORDS)
            style = rng.random()
            if style < 0.15:
                word = word.upper()
            elif style < 0.3:
                word = word.capitalize()
            elif style < 0.35:
                word = word + str(rng.randint(0, 99))
            words.append(word)
        text = ""
        for i, word in enumerate(words):
            text += word + (rng.choice(SEPARATORS) if i < len(words) - 1 else rng.choice(["", ".", "!", "?!"]))
        out.append(text)
    return out
