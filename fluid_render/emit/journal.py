"""The journal of a build in place (`incremental`): written before any file of the tree changes,
and read by the next build to finish or undo what a killed one left.

The journal lies in the output folder, which a repository holds, so the next build must not
trust it: a journal committed by someone else would otherwise rename and delete files anywhere
the build's user may write. A build acts on a journal only when every path it names is where
this tool puts them: folders and files inside the tree (real folders, no `..`), temporary files
named as `files.stage_file` names them, beside their targets and not links, and outside the tree
this build's own lock file alone. Anything else is an error that leaves the journal in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fluid_render.emit.files import is_temp_of, remove_stale_temps, stage_file
from fluid_render.emit.staging import folder_lock
from fluid_render.errors import BuildError, Position, Problem

JOURNAL = ".fluid-render-journal"
_FIELDS = ("sweep", "folders", "renames", "removals")
_STATES = ("staging", "commit")


@dataclass
class Journal:
    """What a build in place is doing, on disk for the next build if this one is killed."""

    target: Path
    """The tree's real path."""
    sweep: list[str] = field(default_factory=list)
    """Folders (relative) where this build's temporary files may be."""
    folders: list[str] = field(default_factory=list)
    """Folders (relative) this build creates, parents first."""
    renames: list[tuple[str, str]] = field(default_factory=list)
    """(temporary file, its target), absolute."""
    removals: list[str] = field(default_factory=list)
    """Files of the tree to remove, absolute."""

    def write(self, state: str) -> None:
        entries = {"state": state, **{k: getattr(self, k) for k in _FIELDS}}
        stage_file(self.target / JOURNAL, json.dumps(entries) + "\n").commit()


def recover(target: Path, lock: Path) -> None:
    """Finish or undo the build in place a killed run left at `target`, a real path. `lock` is
    this build's lock file: the one path outside the tree a journal may rename onto."""
    with folder_lock(target):
        try:
            data = (target / JOURNAL).read_bytes()
        except FileNotFoundError:
            return
        state, journal = _trusted(data, target, os.path.realpath(lock))
        if state == "commit":
            roll_forward(journal)
        else:
            roll_back(journal)


def _trusted(data: bytes, target: Path, lock: str) -> tuple[str, Journal]:
    """The state and entries of a journal this tool would have written for `target`."""
    try:
        entries = json.loads(data.decode("utf-8"))
    except ValueError:  # not UTF-8, or not JSON
        entries = None
    if not isinstance(entries, dict) or set(entries) != {"state", *_FIELDS}:
        raise _untrusted(target, "it is not a journal this tool writes")
    state, sweep, folders, renames, removals = (entries[k] for k in ("state", *_FIELDS))
    root = str(target)
    if (
        state not in _STATES
        or not _strings(sweep)
        or not all(_relative(f) or f == "" for f in sweep)
        or not _strings(folders)
        or not all(_relative(f) for f in folders)
        or not all(_real_folder(root, f) for f in [*sweep, *folders])
        or not _strings(removals)
        or not isinstance(renames, list)
        or not all(_pair(r) for r in renames)
    ):
        raise _untrusted(target, "it is not a journal this tool writes")
    removals = [_real(r) for r in removals]
    moves = [(_real(temp), _real(final)) for temp, final in renames]
    if not all(_inside(r, root) for r in removals) or not all(
        _inside(final, root) or final == lock for _, final in moves
    ):
        raise _untrusted(target, "it names a file outside this folder other than the lock (--lock)")
    if not all(is_temp_of(temp, final) and _plain_or_gone(temp) for temp, final in moves):
        raise _untrusted(target, "it renames a file this tool did not write")
    return state, Journal(target, sweep, folders, moves, removals)


def _untrusted(target: Path, why: str) -> BuildError:
    message = (
        f"a killed build's journal cannot be trusted: {why}; check what it names and remove "
        "it, then build again"
    )
    return BuildError([Problem(Position(str(target / JOURNAL), 1, 1), "", message)])


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and _strings(value)


def _relative(path: str) -> bool:
    """A folder below the tree, as the build names one (`a/b`, no `.`, `..` or empty part)."""
    parts = path.split("/")
    return bool(path) and "\0" not in path and all(p not in ("", ".", "..") for p in parts)


def _real_folder(root: str, relative: str) -> bool:
    """A folder of the tree reached through no link (a committed `default -> ~` is refused)."""
    path = f"{root}/{relative}".rstrip("/")
    return os.path.realpath(path) == path


def _real(path: str) -> str:
    """An absolute path with its folder resolved (the file itself may be a link or gone)."""
    if "\0" in path or not os.path.isabs(path):
        return ""
    folder, name = os.path.split(path)
    return os.path.join(os.path.realpath(folder), name) if name not in ("", ".", "..") else ""


def _inside(path: str, root: str) -> bool:
    return path.startswith(root + os.sep)


def _plain_or_gone(path: str) -> bool:
    """A temporary file is a regular file, or renamed already (a link would be renamed over
    its target and then written through)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True


def roll_back(journal: Journal) -> None:
    remove_stale_temps(journal.target / folder for folder in [*journal.sweep, ""])
    for folder in reversed(journal.folders):
        with contextlib.suppress(OSError):
            os.rmdir(journal.target / folder)
    (journal.target / JOURNAL).unlink(missing_ok=True)


def roll_forward(journal: Journal) -> None:
    for temp, final in journal.renames:
        if os.path.lexists(temp):  # else renamed already, before a kill
            os.replace(temp, final)
    for removal in journal.removals:
        Path(removal).unlink(missing_ok=True)
    for folder in sorted({os.path.dirname(r) for r in journal.removals}, reverse=True):
        while Path(folder) != journal.target:  # folders left empty go, as in a new tree
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)
    (journal.target / JOURNAL).unlink(missing_ok=True)
