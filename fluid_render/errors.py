"""The one error type of the build, so every stage reports problems the same positioned way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based place in an input file, as editors and `file:line:col` links expect."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    """One user-facing problem; ordering sorts by file, line, column so reports are stable."""

    position: Position | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class BuildError(Exception):
    """Raised with every problem a stage found, so users fix them all in one round."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


def _sort_key(problem: Problem) -> tuple[str, int, int, str, str]:
    pos = problem.position
    return (
        pos.file if pos else "",
        pos.line if pos else 0,
        pos.column if pos else 0,
        problem.field,
        problem.message,
    )


def fail_if(problems: list[Problem]) -> None:
    """Raise once at the end of a stage so all of its problems are reported together."""
    if problems:
        raise BuildError(problems)


def field_path(path: Sequence[str | int]) -> str:
    """`spec.mounts[0].mountPoint`: the way users write a path into their YAML."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class ExitStatus(IntEnum):
    """What every command exits with; the README's table of exit codes lists the same."""

    SUCCESS = 0
    ERROR = 1
    """Invalid input, an unreadable file, or an out-of-date lock with --frozen-lock."""
    USAGE = 2
    """Wrong options or arguments (click's code for its own usage errors)."""
    INTERNAL = 70
    """A bug of fluid-render: EX_SOFTWARE of sysexits.h."""
    BROKEN_PIPE = 141
    """Stdout closed by its reader (`| head`): 128 + SIGPIPE, what shells report for cat or git."""
