"""The lock file at the edge: read before a build, compared for `--frozen-lock`, handed to the
writer after it. The text form itself is `fluid_render.plan.lock` (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fluid_render.emit import LockUpdate
from fluid_render.errors import BuildError, Problem
from fluid_render.plan.lock import parse_lock
from fluid_render.plan.ports import Lock
from fluid_render.runtimes.registry import PORT_NAMES
from fluid_render.sources import read_file


@dataclass(frozen=True)
class LockFile:
    """The lock as found on disk: its text (None when there is no file) and its ports."""

    path: Path
    text: str | None
    lock: Lock


def read_lock(path: Path) -> LockFile:
    """The lock at `path`, or an empty one when there is none yet; raises BuildError."""
    text = read_file(path) if path.is_file() else None
    return LockFile(
        path, text, parse_lock(text, str(path), PORT_NAMES) if text is not None else Lock()
    )


def frozen(path: Path, changed: bool) -> None:
    """`--frozen-lock`: a build that would change the lock fails instead (for CI)."""
    if changed:
        message = (
            f"{path}: out of date; run `fluid-render build` without --frozen-lock "
            "and commit the lock file"
        )
        raise BuildError([Problem(None, "", message)])


def lock_update(path: Path, new_text: str | None, changed: bool) -> LockUpdate | None:
    """What the writer puts at `path` after the output, when the build changed the lock."""
    return LockUpdate(path, new_text) if changed and new_text is not None else None
