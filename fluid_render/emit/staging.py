"""Build the new tree beside `-o` and swap it in, keeping every file the user has there.

The new tree is built in a sibling staging folder `.<name>.fluid-render-staging.<16 hex>`: the
user's files (and folders, empty ones too, and symlinks) are hard-linked or recreated there, the
rendered files written, and the two folders exchanged with one `renameat2(RENAME_EXCHANGE)`.
Staging folders are `flock`ed while their build runs, so a later build removes those of killed
builds and never a live one's. A file listed in the ownership file whose hash no longer
matches was edited by the user: an error, never a silent delete. Writes never go through a
symlink and are checked to resolve inside the staging folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fluid_render.emit.layout import OutputFile
from fluid_render.emit.owned import OWNED, Owned, read_owned, render_owned, sha256
from fluid_render.errors import BuildError, Problem

STAGING_MARK = ".fluid-render-staging."


@dataclass
class StagedTree:
    """A complete new tree at `staging`, to be swapped with `target` (the resolved `-o`)."""

    target: Path
    staging: Path
    locks: list[int] = field(default_factory=list)
    holds_target: bool = False
    old: Path | None = None
    exchanged: bool = False
    swapped: bool = False

    def swap(self) -> None:
        """Put the new tree at `target`; the old one (if any) ends up at `old`."""
        if self.target.exists():
            if not self.holds_target:  # made by a concurrent build since we started
                self.locks.append(_lock_folder(self.target))
            if _exchange(self.staging, self.target):
                self.old, self.exchanged = self.staging, True
            else:
                old = _new_staging_name(self.target)
                self.target.rename(old)
                try:
                    self.staging.rename(self.target)
                except BaseException:
                    old.rename(self.target)
                    raise
                self.old = old
        else:
            self.staging.rename(self.target)
        self.swapped = True

    def undo(self) -> None:
        """Put the old tree back after a swap (a later write failed)."""
        if self.exchanged:
            if not _exchange(self.staging, self.target):
                raise OSError(f"{self.target}: could not swap the previous tree back")
        else:
            self.target.rename(self.staging)
            self.swapped = False  # from here on, close() removes the new tree, not the old
            if self.old is not None:
                self.old.rename(self.target)
        self.old, self.swapped = None, False

    def close(self) -> None:
        """Remove whichever tree is no longer at `target`, and release the locks."""
        leftover = self.old if self.swapped else self.staging
        if leftover is not None:
            shutil.rmtree(leftover, ignore_errors=True)
        for fd in self.locks:
            os.close(fd)
        self.locks.clear()


def stage_tree(
    output: Path, files: Sequence[OutputFile], fingerprints: Mapping[str, str] | None = None
) -> StagedTree:
    """The new tree of `output`, fully written beside it; nothing under `output` changes."""
    target = Path(os.path.realpath(output))  # `-o` that is a symlink stays one
    if target.exists() and not target.is_dir():
        raise BuildError([Problem(None, "", f"{output} exists and is not a folder")])
    target.parent.mkdir(parents=True, exist_ok=True)
    # A concurrent build into the same folder waits here until this one has swapped.
    locks = [_lock_folder(target)] if target.is_dir() else []
    try:
        remove_stale_staging(target)
        staging, lock = _make_staging(target)
    except BaseException:
        for fd in locks:
            os.close(fd)
        raise
    staged = StagedTree(target, staging, [*locks, lock], holds_target=bool(locks))
    try:
        intact: dict[str, str] = {}
        modes: dict[str, int] = {}
        if target.is_dir():
            modes[""] = stat.S_IMODE(target.stat().st_mode)
            new_paths = {f.path for f in files}
            intact = _carry_over(target, staging, read_owned(target), new_paths, modes)
        hashes = _write_rendered(target, staging, files, intact)
        _write(f"{staging}/{OWNED}", render_owned(hashes, fingerprints).encode(), target / OWNED)
        for folder, mode in modes.items():  # last: a read-only folder of yours stays one
            os.chmod(f"{staging}/{folder}" if folder else staging, mode)
    except BaseException:
        staged.close()
        raise
    return staged


def _write_rendered(
    target: Path, staging: Path, files: Sequence[OutputFile], intact: Mapping[str, str]
) -> dict[str, str]:
    """Write each rendered file, hard-linking an unchanged one; return path -> sha256.

    Folders are made first, in order; the files are then created by a few threads at once (the
    system calls release the GIL). Where creating a file waits, they overlap the waits: 11 000
    files took half the time with four threads as with one on an ext4 without a journal right
    after a large removal, whose inode allocator then skips each recently freed inode in turn.
    From the page cache of a local disk the wall time is the same either way (0.98x), for a
    tenth more CPU."""
    hashes: dict[str, str] = {}
    checked: set[str] = {""}
    todo: list[tuple[str, bytes, bool]] = []  # (path, bytes, whether a link may do)
    for file in files:
        data = file.text.encode("utf-8")
        key = file.path
        hashes[key] = sha256(data)
        _ensure_folder(staging, key.rpartition("/")[0], target, checked)
        todo.append((key, data, intact.get(key) == hashes[key]))
    from concurrent.futures import ThreadPoolExecutor  # a stream or an edit in place needs none

    step = max(1, -(-len(todo) // (WRITERS * 8)))
    with ThreadPoolExecutor(WRITERS) as pool:
        parts = [todo[i : i + step] for i in range(0, len(todo), step)]
        list(pool.map(lambda part: _create(target, staging, part), parts))  # raises the first
    return hashes


WRITERS = 4
"""Threads creating the files of a staged tree."""


def _create(target: Path, staging: Path, todo: Sequence[tuple[str, bytes, bool]]) -> None:
    for key, data, unchanged in todo:
        if unchanged and _link(f"{target}/{key}", f"{staging}/{key}"):
            continue  # a twentieth of the cost of writing it anew
        _write(f"{staging}/{key}", data, target / key)


def _link(old: str, new: str) -> bool:
    try:
        os.link(old, new, follow_symlinks=False)
    except OSError:
        return False
    return True


def _write(path: str, data: bytes, shown: Path) -> None:
    """Create one new file in a checked folder; O_NOFOLLOW and O_EXCL: never through a link,
    never over a file carried over from the user's tree.

    Written with `os.write`, not through a file object: `os.fdopen` adds an `fstat`, an
    `ioctl` and an `lseek` to each file, and every system call hands the interpreter lock
    between the writer threads. Creating 12 000 files took 0.27 to 0.29 s instead of 0.36 to
    0.43 s."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:
        raise BuildError([_clash(shown)]) from None
    try:
        rest = memoryview(data)
        while rest:  # a write may take fewer bytes than given
            rest = rest[os.write(fd, rest) :]
    finally:
        os.close(fd)


def _ensure_folder(staging: Path, relative: str, target: Path, checked: set[str]) -> None:
    """Create `relative` below `staging` as real folders; a symlink or file in the way (carried
    over from the user's tree) is an error, and the result must resolve inside `staging`."""
    if relative in checked:
        return
    _ensure_folder(staging, relative.rpartition("/")[0], target, checked)
    path = f"{staging}/{relative}"
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        os.mkdir(path)
        mode = stat.S_IFDIR
    if stat.S_ISLNK(mode):
        message = "a symbolic link; fluid-render does not write through it, move it away"
        raise BuildError([Problem(None, "", f"{target / relative}: {message}")])
    if not stat.S_ISDIR(mode):
        raise BuildError([_clash(target / relative)])
    if os.path.realpath(path) != os.path.join(os.path.realpath(staging), relative):
        raise BuildError([Problem(None, "", f"{target / relative}: resolves outside the output")])
    checked.add(relative)


def _clash(path: Path) -> Problem:
    return Problem(
        None, "", f"{path}: not written by fluid-render; move it away, it would be overwritten"
    )


def _carry_over(
    target: Path, staging: Path, owned: Owned, new_paths: set[str], modes: dict[str, int]
) -> dict[str, str]:
    """Recreate the user's files, folders and links in `staging`; return the sha256 of each file
    of ours that is as we wrote it. An edited file of ours, or a clash, is an error."""
    clashes: list[str] = []
    edited: list[str] = []
    intact: dict[str, str] = {}
    for key, entry in _walk(str(target), ""):
        if key == OWNED:
            continue
        if key in owned.files:
            current = _hash_of_ours(entry)
            recorded = owned.files[key]
            if current is None or (recorded and current != recorded):
                edited.append(key)
            else:
                intact[key] = current
        elif entry.is_dir(follow_symlinks=False):
            with os.scandir(entry.path) as inside:
                if next(inside, None) is None:
                    _mirror(target, staging, key, modes)
        elif key in new_paths:
            clashes.append(key)
        else:
            _mirror(target, staging, key.rpartition("/")[0], modes)
            _copy(entry, f"{staging}/{key}")
    problems = [_clash(target / c) for c in clashes]
    problems += [
        Problem(
            None,
            "",
            f"{target / e}: changed since fluid-render wrote it (its sha256 is not the one in "
            f"{OWNED}); move it away to keep it, or delete it to let fluid-render rewrite it",
        )
        for e in edited
    ]
    if problems:
        raise BuildError(problems)
    return intact


def _walk(root: str, relative: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below `root` with its relative posix path; links are not followed."""
    with os.scandir(f"{root}/{relative}" if relative else root) as entries:
        found = list(entries)
    for entry in found:
        key = f"{relative}/{entry.name}" if relative else entry.name
        yield key, entry
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(root, key)


def _hash_of_ours(entry: os.DirEntry[str]) -> str | None:
    """The sha256 of a file we wrote, or None when it is no longer a regular file."""
    if not entry.is_file(follow_symlinks=False):
        return None
    with open(entry.path, "rb") as file:
        return sha256(file.read())


def _mirror(target: Path, staging: Path, relative: str, modes: dict[str, int]) -> None:
    """Create the folders of `relative` in `staging`; note the modes they have in `target`."""
    if not relative or relative in modes:
        return
    _mirror(target, staging, relative.rpartition("/")[0], modes)
    os.mkdir(f"{staging}/{relative}")
    modes[relative] = stat.S_IMODE(os.stat(f"{target}/{relative}").st_mode)


def _copy(entry: os.DirEntry[str], copy: str) -> None:
    if entry.is_symlink():
        os.symlink(os.readlink(entry.path), copy)
        return
    try:
        os.link(entry.path, copy, follow_symlinks=False)
    except OSError:
        shutil.copy2(entry.path, copy, follow_symlinks=False)


def remove_stale_staging(target: Path) -> None:
    """Remove the staging folders killed builds left beside `target` (unlocked ones)."""
    pattern = re.compile(re.escape(f".{target.name[:200]}{STAGING_MARK}") + r"[0-9a-f]{16}")
    for entry in os.scandir(target.parent):
        if not (pattern.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _still_named(fd, Path(entry.path)):
                shutil.rmtree(entry.path, ignore_errors=True)
        except BlockingIOError:
            pass  # a build still running
        finally:
            os.close(fd)


def _make_staging(target: Path) -> tuple[Path, int]:
    """A new, locked staging folder (mode 0777 less the umask, as any new folder)."""
    while True:
        path = _new_staging_name(target)
        path.mkdir(0o777)
        try:
            return path, _lock_folder(path)
        except FileNotFoundError:
            continue  # another build's cleanup took it before it was locked: make another


def _new_staging_name(target: Path) -> Path:
    while True:
        path = target.parent / f".{target.name[:200]}{STAGING_MARK}{os.urandom(8).hex()}"
        if not os.path.lexists(path):
            return path


@contextlib.contextmanager
def folder_lock(path: Path) -> Iterator[None]:
    """Hold the build lock of the tree at `path` (what a concurrent build waits on)."""
    fd = _lock_folder(path)
    try:
        yield
    finally:
        os.close(fd)


def _lock_folder(path: Path) -> int:
    """Hold `path`'s folder locked for this build (a concurrent one waits for the swap)."""
    while True:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _still_named(fd, path):
            return fd
        os.close(fd)  # swapped away while we waited: lock what is there now


def _still_named(fd: int, path: Path) -> bool:
    try:
        return os.lstat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux 3.15+); False where the system cannot."""
    import ctypes.util  # only a rebuild that swaps a whole tree calls into libc

    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)
