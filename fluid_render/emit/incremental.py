"""Rebuild a tree in place, file by file, when only some of its files change.

Swapping a whole new tree costs a link per file (11 000 for 1000 datasets) even when nothing
changed. When `-o` already holds a tree of ours whose files are all as we wrote them, a build
instead writes only the files whose bytes differ, under a journal that keeps it atomic:

1. the journal `.fluid-render-journal` is written (temp file, fsync, rename) saying *staging*,
   with every temporary file and new folder it is about to create;
2. the new files are written as locked temporary files beside their targets, the lock's too;
3. the journal is rewritten saying *commit*: the renames, the removals, the new ownership file;
4. the renames and removals are done, then the journal is deleted.

A build killed before step 3 has changed no file of the tree: the next build deletes the
temporary files and folders the journal lists (`journal.recover`). Killed after step 3, the
next build finishes the listed renames and removals first. Either way the tree is the old or
the new one once any later build starts, and a build that changes nothing writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fluid_render.emit.files import StagedFile, stage_file
from fluid_render.emit.journal import Journal, recover, roll_back, roll_forward
from fluid_render.emit.layout import KUSTOMIZATION, OutputFile
from fluid_render.emit.owned import OWNED, Owned, read_listed, read_owned, render_owned, sha256


@dataclass(frozen=True)
class Previous:
    """The tree a build writes into: what it holds of ours, all files as we wrote them."""

    owned: Owned
    texts_owned: str
    """The ownership file's text."""
    texts: Mapping[str, str]
    """Every file of ours (relative posix path -> text)."""

    @property
    def fingerprints(self) -> Mapping[str, str]:
        return self.owned.datasets

    def files_of(self, datasets: frozenset[str]) -> dict[str, str]:
        """The files of these datasets' folders (relative posix path -> text), kustomization
        aside (it is made anew)."""
        return {
            path: text
            for path, text in self.texts.items()
            if path.rpartition("/")[0] in datasets and not path.endswith(f"/{KUSTOMIZATION}")
        }


def read_previous(output: Path, lock: Path) -> Previous | None:
    """The tree at `output` when a build may update it in place: it exists, was written by a
    version that records hashes, and every file it lists is a regular file as written. Any
    other tree (or none) is None: the build then stages and swaps a whole tree, which reports
    edited files and clashes. A killed build's journal there is finished or undone first
    (`journal.recover`; `lock` is this build's lock file)."""
    target = Path(os.path.realpath(output))
    if not target.is_dir():
        return None
    recover(target, lock)
    return read_tree(target)


def read_tree(target: Path) -> Previous | None:
    """`read_previous` of a real path whose tree a killed build no longer holds half-changed
    (`recover` ran): it only reads."""
    owned = read_owned(target)
    if owned.version is None:
        return None
    texts: dict[str, str] = {}
    root = str(target)
    real_folders: dict[str, bool] = {}
    for path, digest in owned.files.items():
        try:
            data = read_listed(root, path, real_folders)
        except OSError:  # unreadable: the whole-tree path reports it
            return None
        if data is None or sha256(data) != digest:
            return None
        texts[path] = data.decode("utf-8")
    return Previous(owned, (target / OWNED).read_text(encoding="utf-8"), texts)


IN_PLACE_SHARE = 0.5
"""Above this share of changed files, staging a whole tree is the quicker way."""


def update_in_place(
    output: Path,
    previous: Previous,
    files: Sequence[OutputFile],
    fingerprints: Mapping[str, str],
    lock: StagedFile | None,
) -> bool:
    """Bring the tree at `output` to `files` by writing only what changed (see the module's
    steps); False, having changed nothing, where the tree must be staged whole instead."""
    target = Path(os.path.realpath(output))
    if _read(target / OWNED) != previous.texts_owned:
        return False  # another build changed the tree since it was read
    texts = {f.path: f.text for f in files}
    hashes = {path: _digest(previous, path, text) for path, text in texts.items()}
    owned_text = render_owned(hashes, fingerprints)
    changed = [path for path, digest in hashes.items() if previous.owned.files.get(path) != digest]
    removed = [path for path in previous.owned.files if path not in hashes]
    if not changed and not removed and previous.texts_owned == owned_text:
        if lock is not None:
            lock.commit()
        return True  # nothing of the tree changes: no write, no link, every mtime kept
    if len(changed) + len(removed) > IN_PLACE_SHARE * max(len(hashes), 1):
        return False
    if any(p not in previous.owned.files and os.path.lexists(target / p) for p in changed):
        return False  # a file of the user's is in the way: the whole-tree path reports it
    folders = _missing_folders(target, changed)
    if folders is None:
        return False
    journal = Journal(target, sorted({_parent(p) for p in changed}), folders)
    journal.write("staging")
    staged: list[StagedFile] = []
    try:
        for folder in folders:
            os.mkdir(target / folder)
        for path in changed:
            staged.append(stage_file(target / path, texts[path]))
        staged.append(stage_file(target / OWNED, owned_text))
    except BaseException:
        for file in staged:
            file.discard()
        roll_back(journal)
        raise
    journal.renames = [(str(f.temp), str(f.final)) for f in staged]
    if lock is not None:
        journal.renames.append((str(lock.temp), str(lock.final)))
    journal.removals = [str(target / path) for path in removed]
    journal.write("commit")
    roll_forward(journal)
    for file in [*staged, *([lock] if lock is not None else [])]:
        file.discard()  # closes it; its temporary name is gone already
    return True


def _digest(previous: Previous, path: str, text: str) -> str:
    """The sha256 of a file's new text; a text equal to the file's previous one has the
    digest `read_previous` checked it against (kept datasets' files, most of a rebuild)."""
    if previous.texts.get(path) == text:
        return previous.owned.files[path]
    return sha256(text.encode("utf-8"))


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _missing_folders(target: Path, paths: Sequence[str]) -> list[str] | None:
    """The folders to create for `paths`, parents first; None when a folder on the way is not
    a real folder inside `target` (a link or a file of the user's)."""
    missing: list[str] = []
    for folder in sorted({_parent(p) for p in paths} - {""}):
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            relative = "/".join(parts[:depth])
            path = target / relative
            if relative in missing:
                continue
            if not os.path.lexists(path):
                missing.append(relative)
            elif not path.is_dir() or os.path.realpath(path) != str(path):
                return None
    return missing


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
