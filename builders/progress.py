"""Progress of a training loop: a tqdm bar on a terminal, plain lines in a log.

tqdm redraws its bar with carriage returns; in a file or a CI log, which is not a terminal, each
redraw is kept, so a few epochs leave hundreds of partial lines. There the bar is off and the loop
gets a few plain lines instead (one per epoch, or per group of steps), with the same numbers.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm.auto import tqdm


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is an interactive terminal (False for pipes, files and captured output)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Progress:
    """`total` steps of a loop named `desc`: a bar on a terminal, else `lines` plain lines.

    Call `update(**values)` once per step with the numbers to show (already formatted, like
    tqdm's postfix) and `close()` at the end. Off a terminal a line `desc: done/total units,
    key value, ... (seconds)` is printed after each of `lines` equal groups of steps, the last
    one at `close()` whatever the count; `enabled=False` prints nothing at all.
    """

    def __init__(self, total: int, desc: str, *, enabled: bool = True, leave: bool = False, unit: str = "step",
                 lines: int = 1, stream: TextIO | None = None):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream if stream is not None else sys.stderr
        self.plain = enabled and not is_terminal(self.stream)
        self.every = max(1, -(-total // max(1, lines)))  # steps per plain line, rounded up
        self.done = self.printed_at = 0
        self.values: dict[str, str] = {}
        self.started = time.perf_counter()
        self.bar = tqdm(total=total, desc=desc, unit=unit, leave=leave, file=self.stream,
                        disable=not enabled or self.plain)

    def update(self, n: int = 1, **values: str) -> None:
        """Advance by `n` steps; `values` (e.g. loss="0.1234") are shown with the bar or the next line."""
        self.done += n
        self.values.update(values)
        self.bar.update(n)
        if values:
            self.bar.set_postfix(values, refresh=False)
        if self.plain and self.done < self.total and self.done - self.printed_at >= self.every:
            self._line()

    def close(self) -> None:
        """End the bar; off a terminal, print the final line (unless the last update just did)."""
        self.bar.close()
        if self.plain and (self.printed_at != self.done or self.done == 0):
            self._line()

    def _line(self) -> None:
        numbers = "".join(f", {key} {value}" for key, value in self.values.items())
        seconds = time.perf_counter() - self.started
        print(f"{self.desc}: {self.done}/{self.total} {self.unit}s{numbers} ({seconds:.1f} s)",
              file=self.stream, flush=True)
        self.printed_at = self.done
