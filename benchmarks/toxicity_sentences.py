"""What each toxicity source decides on tricky sentences: a markdown table for docs/toxicity.md.

    .venv/bin/python benchmarks/toxicity_sentences.py [--threshold 0.9] [--threshold 0.5]

Builds the toxicity page once per offline source (`toxblock`, `embedded`) with the repository's
build cache, then runs `builders.moderate` on the published model files: the same model and
rule as the guestbook page (the parity tests check that page and server agree). The `official`
source needs a download from Google's storage, which this machine cannot reach: its column says so.
Each cell: the decision, and the label that fired with its probability (or the highest one).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builders.build import build  # noqa: E402
from builders.demos import demo_registry  # noqa: E402
from builders.moderate import moderate  # noqa: E402

# Threats and insults without swear words, harmless uses of violent words, quotes, negation,
# praise, and other languages.
SENTENCES = [
    ("threat, no swearing", "I will find where you live and hurt you"),
    ("threat, no swearing", "I'm going to kill you"),
    ("threat, no swearing", "I will kill you and your family"),
    ("wish of harm", "go die in a fire"),
    ("insult, no swearing", "You are a worthless idiot"),
    ("insult, no swearing", "You people are disgusting animals"),
    ("rude", "Shut up, nobody asked you"),
    ("harmless 'kill'", "How do I kill a python process?"),
    ("harmless 'kill'", "This movie killed it, amazing"),
    ("quote", "He said 'you idiot' to me and I was upset"),
    ("negation", "I don't think you are stupid"),
    ("praise", "You are a wonderful person"),
    ("thanks", "Thanks for the help with my homework"),
    ("French threat", "Je vais te tuer"),
    ("German insult", "Du bist ein Idiot"),
]


def site_toml(folder: Path, source: str) -> Path:
    disabled = "".join(f"[demos.{n}]\nenabled = false\n" for n in demo_registry() if n != "toxicity")
    path = folder / "site.toml"
    path.write_text(f'[site]\ntitle = "toxicity sources"\n[demos.toxicity]\nsource = "{source}"\n' + disabled)
    return path


def cell(text: str, model_dir: Path, threshold: float) -> str:
    predictions = moderate([text], threshold=threshold, model_dir=model_dir)
    fired = [(p["results"][0]["probabilities"][1], p["label"]) for p in predictions if p["results"][0]["match"]]
    if fired:
        p, label = max(fired)
        return f"**reject** ({label} {p:.2f})"
    p, label = max((p["results"][0]["probabilities"][1], p["label"]) for p in predictions)
    return f"ok ({label} {p:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, action="append", help="threshold(s); default 0.9 and 0.5")
    args = parser.parse_args()
    thresholds = args.threshold or [0.9, 0.5]
    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        for source in ("toxblock", "embedded"):
            folder = Path(tmp) / source
            folder.mkdir()
            build(site_toml(folder, source), folder / "_site", only=["toxicity"], cache_dir=ROOT / ".cache")
            models[source] = folder / "_site" / "data" / "models" / "toxicity"
        columns = [(s, t) for s in models for t in thresholds]
        print("| kind | sentence | " + " | ".join(f"{s} at {t}" for s, t in columns) + " | official |")
        print("|---|---|" + "---|" * len(columns) + "---|")
        for kind, text in SENTENCES:
            cells = [cell(text, models[s], t) for s, t in columns]
            print(f"| {kind} | {text} | " + " | ".join(cells) + " | not reachable here |")


if __name__ == "__main__":
    main()
