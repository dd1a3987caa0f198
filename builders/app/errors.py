"""The errors of the demo API: each problem names the user's file and line, the demo and the component."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError

APP_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Where:
    """A place in the user's code: a file and a line."""

    file: str
    line: int

    def show(self, root: Path | None = None) -> str:
        """`demo.py:12`, the file relative to `root` (the folder of site.toml) when it is inside it."""
        path = Path(self.file)
        if root is not None and path.is_absolute() and path.resolve().is_relative_to(root.resolve()):
            path = path.resolve().relative_to(root.resolve())
        return f"{path.as_posix()}:{self.line}"


def _ours(filename: str) -> bool:
    """Frames of this package, of generated code (dataclass __init__: "<string>") and of the interpreter."""
    if filename.startswith("<"):
        return True
    return Path(filename).resolve().is_relative_to(APP_DIR)


def caller() -> Where | None:
    """Where the user called into the API: the innermost stack frame outside `builders/app`."""
    for frame in reversed(traceback.extract_stack()):
        if not _ours(frame.filename):
            return Where(frame.filename, frame.lineno or 0)
    return None


def user_frame(exc: BaseException, folder: Path) -> Where | None:
    """The innermost frame of `exc`'s traceback in a file under `folder` (the user's project)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(os.path.abspath(frame.filename)).is_relative_to(folder.resolve()):
            found = Where(frame.filename, frame.lineno or 0)
    return found


def describe_exception(exc: BaseException) -> str:
    """`ValueError: bad shape` (the exception's type and message, first line of a long message)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass(frozen=True)
class Problem:
    """One mistake: where it was made, in which component (e.g. `Slider "width"`), and what is wrong."""

    where: Where | None
    subject: str
    message: str


class DemoError(BuildError):
    """A demo declared with `builders.app` is wrong. `problems` lists every mistake found; each line
    of the message is `file:line: demos.<name>, <component>: <what is wrong>`."""

    def __init__(self, problems: list[Problem], demo: str | None = None, root: Path | None = None):
        self.problems = problems
        self.demo = demo
        self.root = root
        super().__init__(self._text())

    def _text(self) -> str:
        lines = []
        for p in self.problems:
            where = f"{p.where.show(self.root)}: " if p.where else ""
            subject = f"demos.{self.demo}, {p.subject}" if self.demo else p.subject
            lines.append(f"{where}{subject}: {p.message}")
        return "\n".join(lines)

    def named(self, demo: str, root: Path | None) -> DemoError:
        """The same problems, named after the demo and with paths relative to the project folder."""
        return DemoError(self.problems, demo, root)
