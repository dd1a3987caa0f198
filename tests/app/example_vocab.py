"""How docs/examples/text/vocab.txt was made (and is checked to be): Hugging Face `tokenizers`' WordPiece
trainer on the same CLDR names (Babel) the example trains on. Run it to remake the file:
`python -m tests.app.example_vocab`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from babel import Locale

from builders.build import PROJECT_ROOT

VOCAB = PROJECT_ROOT / "docs" / "examples" / "text" / "vocab.txt"
CODES = ["en", "fr", "de", "es", "it"]


def names() -> list[str]:
    """The names of territories and languages in each of the example's five languages."""
    return [name for code in CODES for table in (Locale(code).territories, Locale(code).languages)
            for name in table.values()]


def make_vocab() -> str:
    """The text of vocab.txt: 2,000 lower-cased, accent-stripped WordPiece tokens."""
    from tokenizers import BertWordPieceTokenizer

    trainer = BertWordPieceTokenizer(lowercase=True)
    trainer.train_from_iterator(names(), vocab_size=2000, min_frequency=2, limit_alphabet=200, show_progress=False)
    with tempfile.TemporaryDirectory() as folder:
        trainer.save_model(folder)
        return (Path(folder) / "vocab.txt").read_text(encoding="utf-8")


if __name__ == "__main__":
    VOCAB.write_text(make_vocab(), encoding="utf-8")
    print(f"wrote {VOCAB}")
