"""The ownership file: which files under `-o` fluid-render wrote, and what it wrote into them.

One line per file in `sha256sum` format (`sha256sum -c .fluid-render-owned` checks a tree), so
a later build can tell a file it may replace from one the user has edited since. Files of
fluid-render before 0.1.0 listed bare paths; they still read, without hashes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fluid_render import __version__
from fluid_render.errors import BuildError, Position, Problem

OWNED = ".fluid-render-owned"
HEADER = f"# fluid-render {__version__}: files written by this tool (sha256, path); do not edit\n"
_HEADER_LINE = re.compile(r"# fluid-render (\S+): .*")
_HASHED_LINE = re.compile(r"([0-9a-f]{64})  (.+)")
_DATASET_LINE = re.compile(
    r"# dataset ([A-Za-z0-9_][-A-Za-z0-9_.]*/[A-Za-z0-9_][-A-Za-z0-9_.]*) ([0-9a-f]{64})"
)
"""A dataset's input fingerprint (a comment to `sha256sum -c`): its files need no re-render
while the build's fingerprint of that dataset is the same."""


@dataclass(frozen=True)
class Owned:
    """`files` maps each relative posix path to its sha256 hex ("" when the old format kept
    none); `version` is the fluid-render that wrote the file (None for the old format)."""

    version: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    datasets: Mapping[str, str] = field(default_factory=dict)
    """`<namespace>/<dataset>` -> the fingerprint of the inputs its files were rendered from."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_owned(files: Mapping[str, str], datasets: Mapping[str, str] | None = None) -> str:
    """The file's text for `files` (path -> sha256), sorted by path, after the fingerprints of
    the whole build and of each dataset (`<namespace>/<name>` -> sha256 hex)."""
    each = "".join(
        f"# dataset {key} {digest}\n" for key, digest in sorted((datasets or {}).items())
    )
    return HEADER + each + "".join(f"{files[path]}  {path}\n" for path in sorted(files))


def read_owned(target: Path) -> Owned:
    """The ownership file of the tree at `target`; no file means nothing is ours."""
    source = target / OWNED
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Owned()
    except UnicodeDecodeError:
        raise BuildError([Problem(Position(str(source), 1, 1), "", "not UTF-8 text")]) from None
    return parse_owned(text, str(source))


def parse_owned(text: str, source: str) -> Owned:
    version: str | None = None
    files: dict[str, str] = {}
    datasets: dict[str, str] = {}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        hashed = _HASHED_LINE.fullmatch(line)
        if hashed is None:  # a hashed line is neither the header nor a fingerprint
            header = _HEADER_LINE.fullmatch(line) if number == 1 else None
            if header:
                version = header.group(1)
                continue
            fingerprint = _DATASET_LINE.fullmatch(line) if version is not None else None
            if fingerprint:
                datasets[fingerprint.group(1)] = fingerprint.group(2)
                continue
        path, digest = (hashed.group(2), hashed.group(1)) if hashed else (line.strip(), "")
        if not path:
            continue
        if (version is not None and not hashed) or not _is_relative(path):
            problems.append(
                Problem(
                    Position(source, number, 1),
                    "",
                    "not a line fluid-render writes (sha256, two spaces, a relative path); "
                    "restore the file from git",
                )
            )
            continue
        files[path] = digest
    if problems:
        raise BuildError(problems)
    return Owned(version, files, datasets)


def _is_relative(path: str) -> bool:
    """A path inside the tree: relative, without `..`, `.` or empty parts."""
    parts = path.split("/")
    return not path.startswith("/") and "" not in parts and "." not in parts and ".." not in parts


def read_listed(root: str, path: str, real_folders: dict[str, bool]) -> bytes | None:
    """The bytes of `root/path`, a file the ownership file lists (`root` a real path), or None
    when it is not a file below real folders: missing, a link, a folder, or reached through a
    link to a folder elsewhere (a pipe reads as empty). The record and the links are committed
    to a repository, so neither may lead a read outside the tree. `real_folders` caches, per
    folder, whether it is real."""
    folder = f"{root}/{path.rpartition('/')[0]}".rstrip("/")
    if folder not in real_folders:
        real_folders[folder] = os.path.realpath(folder) == folder
    if not real_folders[folder]:
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a pipe never waits
    try:
        fd = os.open(f"{root}/{path}", flags)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return None
        raise
    try:
        chunks = []  # os.read: half the cost of a file object's open-read-close
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except IsADirectoryError:
        return None
    finally:
        os.close(fd)
