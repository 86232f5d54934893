"""Replace single files (the lock, `inject --in-place` rewrites) as the user keeps them.

The new text goes to a temporary file beside the file's real target (through a symlink, which
stays a link), with the old file's mode and line endings, and is renamed over it: a reader, or
a killed run, sees the old or the new file, nothing between. A temporary file is named
`.<name>.fluid-render-tmp.<16 hex>` and `flock`ed while it lives, so a later run can tell the
leftovers of a killed run (removed) from the files of a run still going (kept).
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

TEMP_MARK = ".fluid-render-tmp."
_TEMP_NAME = re.compile(r"\..+" + re.escape(TEMP_MARK) + r"[0-9a-f]{16}")
_SNIFF = 65536
"""Bytes read to find the file's first line ending."""


@dataclass
class StagedFile:
    """A complete temporary file, waiting to be renamed over `final`."""

    final: Path
    temp: Path
    fd: int
    done: bool = False

    def commit(self) -> None:
        try:
            os.replace(self.temp, self.final)
        except BaseException:
            self.discard()
            raise
        self._close()

    def discard(self) -> None:
        if not self.done:
            self.temp.unlink(missing_ok=True)
            self._close()

    def _close(self) -> None:
        self.done = True
        os.close(self.fd)  # releases the lock


def write_file(path: Path, text: str) -> None:
    """Replace one file atomically."""
    write_files({path: text})


def write_files(texts: Mapping[Path, str]) -> None:
    """Stage every file, then rename each: a failure while staging changes none of them."""
    remove_stale_temps(Path(os.path.realpath(path)).parent for path in texts)
    staged: list[StagedFile] = []
    try:
        for path, text in texts.items():
            staged.append(stage_file(path, text))
    except BaseException:
        for file in staged:
            file.discard()
        raise
    try:
        for file in staged:
            file.commit()
    finally:
        for file in staged:
            file.discard()  # only those a failed rename left behind


def stage_file(path: Path, text: str) -> StagedFile:
    """Write `text` into a locked temporary file beside the real target of `path`."""
    final = Path(os.path.realpath(path))
    final.parent.mkdir(parents=True, exist_ok=True)
    mode, crlf = _existing(final)
    fd, temp = _create_locked(final)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        data = re.sub(r"\r?\n", "\r\n", text) if crlf else text
        with os.fdopen(os.dup(fd), "wb") as out:
            out.write(data.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        StagedFile(final, temp, fd).discard()
        raise
    return StagedFile(final, temp, fd)


def _existing(final: Path) -> tuple[int | None, bool]:
    """The mode of the file being replaced, and whether its lines end in CRLF."""
    try:
        mode = stat.S_IMODE(os.stat(final).st_mode)
    except FileNotFoundError:
        return None, False
    try:
        with final.open("rb") as old:
            head = old.read(_SNIFF)
    except OSError:
        return mode, False
    newline = head.find(b"\n")
    return mode, newline > 0 and head[newline - 1 : newline] == b"\r"


def _create_locked(final: Path) -> tuple[int, Path]:
    """A new temporary file (mode 0666 less the umask, as any new file), locked by this run."""
    while True:
        temp = final.parent / f"{_temp_prefix(final.name)}{os.urandom(8).hex()}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _still_named(fd, temp):
            return fd, temp
        os.close(fd)  # a cleaner took it between open and flock: make another


def _still_named(fd: int, path: Path) -> bool:
    try:
        return os.lstat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def is_temp_of(temp: str, final: str) -> bool:
    """Whether `temp` is a name `stage_file` gives a temporary file of `final` (real paths)."""
    folder, name = os.path.split(temp)
    final_folder, final_name = os.path.split(final)
    pattern = re.escape(_temp_prefix(final_name)) + "[0-9a-f]{16}"
    return folder == final_folder and re.fullmatch(pattern, name) is not None


def _temp_prefix(final_name: str) -> str:
    """A temporary file's name before its 16 random hex digits: hidden, after its target."""
    return f".{final_name[:200]}{TEMP_MARK}"


def remove_stale_temps(folders: Iterable[Path]) -> None:
    """Delete the temporary files killed runs left in `folders`; a live run's are locked."""
    for folder in set(folders):
        try:
            entries = [e for e in os.scandir(folder) if _TEMP_NAME.fullmatch(e.name)]
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                _remove_if_unlocked(Path(entry.path))


def _remove_if_unlocked(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _still_named(fd, path):
            path.unlink()
    except BlockingIOError:
        pass  # a run still writing it
    finally:
        os.close(fd)
