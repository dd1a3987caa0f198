"""The table printed at the end of a build."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StepRecord:
    step: str
    status: str  # "rebuilt" or "cached"
    seconds: float
    bytes: int = 0
    notes: dict = field(default_factory=dict)


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def format_summary(records: list[StepRecord]) -> str:
    rows = [("step", "status", "seconds", "bytes", "notes")]
    for r in records:
        notes = ", ".join(f"{k} {v}" for k, v in r.notes.items())
        rows.append((r.step, r.status, f"{r.seconds:.1f}", human_bytes(r.bytes) if r.bytes else "-", notes))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[j]) if j < 4 else cell for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
