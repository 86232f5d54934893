"""Write a build's results (the tree or stdout, and the lock) so a failure changes none of them.

Everything that can fail slowly is done first, aside: the new tree is staged beside `-o`, the
new lock written to a temporary file. Only then the quick steps: swap the tree in, rename the
lock over the old one; a failed rename swaps the previous tree back. On stdout, which cannot be
taken back, the lock's temporary file is written before the stream and renamed after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from fluid_render.emit.files import StagedFile, remove_stale_temps, stage_file
from fluid_render.emit.incremental import Previous, update_in_place
from fluid_render.emit.journal import recover
from fluid_render.emit.layout import OutputFile
from fluid_render.emit.staging import folder_lock, remove_stale_staging, stage_tree


@dataclass(frozen=True)
class LockUpdate:
    path: Path
    text: str


def publish_tree(
    output: Path,
    files: Sequence[OutputFile],
    lock: LockUpdate | None,
    previous: Previous | None = None,
    fingerprints: Mapping[str, str] | None = None,
    *,
    lock_path: Path,
) -> None:
    """Replace the tree at `output` and the lock together, or neither: in place when only
    some files change (`previous` is the tree there), else by swapping a whole new tree.
    `lock_path` is this build's lock file, changed or not (`journal.recover`)."""
    target = Path(os.path.realpath(output))
    if target.is_dir():
        recover(target, lock_path)
        remove_stale_staging(target)  # of killed builds; a live build's is locked
    if previous is not None and _in_place(target, previous, files, fingerprints or {}, lock):
        return
    staged = stage_tree(output, files, fingerprints)
    try:
        staged_lock = _stage_lock(lock)
        try:
            staged.swap()
            if staged_lock is not None:
                try:
                    staged_lock.commit()
                except BaseException:
                    staged.undo()
                    raise
        finally:
            if staged_lock is not None:
                staged_lock.discard()
    finally:
        staged.close()


def _in_place(
    target: Path,
    previous: Previous,
    files: Sequence[OutputFile],
    fingerprints: Mapping[str, str],
    lock: LockUpdate | None,
) -> bool:
    """The tree updated file by file under the folder's build lock, if that path applies."""
    with folder_lock(target):
        staged_lock = _stage_lock(lock)
        try:
            return update_in_place(target, previous, files, fingerprints, staged_lock)
        finally:
            if staged_lock is not None:
                staged_lock.discard()


def publish_stream(text: str | Iterable[str], out: TextIO, lock: LockUpdate | None) -> None:
    """Print the whole stream (a text, or its parts), then rename the already written lock
    into place."""
    staged_lock = _stage_lock(lock)
    try:
        out.writelines([text] if isinstance(text, str) else text)
        out.flush()
        if staged_lock is not None:
            staged_lock.commit()
    finally:
        if staged_lock is not None:
            staged_lock.discard()


def _stage_lock(lock: LockUpdate | None) -> StagedFile | None:
    if lock is None:
        return None
    remove_stale_temps([Path(os.path.realpath(lock.path)).parent])
    return stage_file(lock.path, lock.text)


def output_problem(output: Path, inputs: Sequence[str], lock: Path) -> str | None:
    """Why `output` cannot be written, given the inputs and the lock, or None.

    A tree inside an input folder would be read back as input by the next build, and a lock
    inside the tree would be swapped away with the old tree.
    """
    target = Path(os.path.realpath(output))
    if target == target.parent:
        return f"-o {output} is the root folder; the tree is swapped in beside it, so name a folder"
    for given in inputs:
        folder = Path(os.path.realpath(given))
        if given != "-" and folder.is_dir() and target.is_relative_to(folder):
            return f"-o {output} is inside the input folder {given}; the next build would read it"
    if Path(os.path.realpath(lock)).is_relative_to(target):
        return f"--lock {lock} is inside -o {output}; keep the lock beside the specs"
    return None
