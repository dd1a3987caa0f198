"""Exceptions of the site builder. Only CLIs print them."""

from __future__ import annotations


class BuildError(Exception):
    """A build failed for a reason the user can act on."""


class ConfigError(BuildError):
    """`site.toml` is invalid; `problems` lists every problem, each naming its key."""

    def __init__(self, problems: list[str], path: str = "site.toml"):
        self.problems = problems
        self.path = path
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


class StepError(BuildError):
    """A build step (one demo) failed; names the step and keeps the cause."""

    def __init__(self, step: str, cause: BaseException | str):
        self.step = step
        self.cause = cause
        super().__init__(f"step '{step}' failed: {cause}")


class StepErrors(BuildError):
    """Several build steps failed (a failing demo does not hide the others'); `errors` holds each StepError."""

    def __init__(self, errors: list[StepError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class ToolError(BuildError):
    """An external tool (node, esbuild, mkdocs, npm) failed; carries its output."""
