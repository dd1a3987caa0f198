"""Training progress in a log that is not a terminal: no carriage-return redraws, one line per epoch.

tqdm redraws its bar with '\\r'; a CI log keeps every redraw. Off a terminal the loops print plain
lines instead: one per MNIST epoch (with its loss and accuracy), a few per LiT training loop.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace

from builders.demos.lit import train as lit_train
from builders.demos.mnist.config import Config
from builders.demos.mnist.data import Dataset, load_embedded
from builders.demos.mnist.train import train
from builders.progress import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_mnist_training_logs_one_line_per_epoch_off_a_terminal(capsys):
    full = load_embedded()
    small = Dataset(full.train_images[:64], full.train_labels[:64], full.test_images[:50],
                    full.test_labels[:50], "subset")
    result = train(replace(Config(), epochs=2, batch_size=16, max_steps=0), small)
    err = capsys.readouterr().err  # pytest's capture is not a terminal, like a CI log
    assert "\r" not in err
    lines = err.splitlines()
    assert len(lines) == 2, err
    for epoch, (line, numbers) in enumerate(zip(lines, result.history), start=1):
        assert re.fullmatch(rf"mnist epoch {epoch}/2: 4/4 steps, loss \d\.\d{{4}}, acc \d\.\d{{4}} \(\d+\.\d s\)",
                            line), line
        assert f"acc {numbers['train_accuracy']:.4f}" in line


def test_lit_world_rendering_logs_one_line_off_a_terminal(capsys):
    lit_train.make_world(3, image_size=16, captions_per_image=1, seed=0, held_out=None)
    err = capsys.readouterr().err
    assert "\r" not in err
    assert re.fullmatch(r"render world \(3\): 3/3 scenes \(\d+\.\d s\)\n", err), err


def test_progress_prints_a_line_per_group_of_steps_then_the_last():
    log = io.StringIO()
    bar = Progress(10, "train", lines=3, stream=log)
    for i in range(10):
        bar.update(1, loss=f"{i / 10:.1f}")
    bar.close()
    done = [line.split(", loss")[0] for line in log.getvalue().splitlines()]
    assert done == ["train: 4/10 steps", "train: 8/10 steps", "train: 10/10 steps"]
    assert "\r" not in log.getvalue() and ", loss 0.9 (" in log.getvalue()


def test_progress_draws_a_bar_on_a_terminal_and_nothing_when_disabled():
    terminal = Terminal()
    bar = Progress(3, "train", stream=terminal)
    for _ in range(3):
        bar.update(1)
    bar.close()
    assert "\r" in terminal.getvalue() and "3/3 steps (" not in terminal.getvalue()
    quiet = io.StringIO()
    bar = Progress(3, "train", enabled=False, stream=quiet)
    bar.update(3)
    bar.close()
    assert quiet.getvalue() == ""
