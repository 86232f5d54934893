"""Read input files: folders walked, sizes bounded, UTF-8 decoded, problems positioned.

Kept apart from the YAML parser so that a build which finds its inputs unchanged (the memo of
`emit.memo`) reads and hashes them without loading any YAML machinery.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from fluid_render.errors import BuildError, Position, Problem
from fluid_render.limits import MAX_FILE_BYTES, Budget, check_size

STDIN = "-"
_CHUNK = 64 * 1024


def read_sources(inputs: Sequence[str], stdin: TextIO | None = None) -> list[tuple[str, str]]:
    """Every file named as (label, text), in the order `load_inputs` reads them (a file named
    twice comes twice), all problems at once."""
    problems: list[Problem] = []
    sources = list(read_each(inputs, stdin or sys.stdin, problems, Budget()))
    if problems:
        raise BuildError(problems)
    return sources


def read_texts(inputs: Sequence[str], stdin: TextIO | None = None) -> dict[str, str]:
    """The text of every file named, by label, for commands that edit files as they are."""
    return texts_by_label(read_sources(inputs, stdin))


def texts_by_label(sources: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Each file's text by its label, the first reading of a file named twice."""
    texts: dict[str, str] = {}
    for label, text in sources:
        texts.setdefault(label, text)
    return texts


def read_file(path: Path, budget: Budget | None = None) -> str:
    """A file's text, refused (a positioned BuildError) when too large or not UTF-8."""
    try:
        with path.open("rb") as file:
            data = _read_at_most(file, MAX_FILE_BYTES + 1)
    except OSError as error:
        where = Position(str(path), 1, 1)
        raise BuildError([Problem(where, "", f"cannot read: {error.strerror or error}")]) from None
    return _decode(data, str(path), budget or Budget())


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes, in chunks: `read(limit)` would allocate all of them for any file."""
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := stream.read(min(_CHUNK, limit - size))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_stdin(stdin: TextIO | None, budget: Budget) -> str:
    """Bytes when the stream has them, so text that is not UTF-8 is an error, not a crash."""
    if stdin is None:  # started with stdin closed (`<&-`)
        raise BuildError([Problem(Position("<stdin>", 1, 1), "", "cannot read: stdin is closed")])
    binary = getattr(stdin, "buffer", None)
    if binary is not None:
        return _decode(_read_at_most(binary, MAX_FILE_BYTES + 1), "<stdin>", budget)
    text = stdin.read(MAX_FILE_BYTES + 1)
    check_size(len(text.encode("utf-8", "surrogatepass")), "<stdin>", budget)
    return text


def _decode(data: bytes, source: str, budget: Budget) -> str:
    check_size(len(data), source, budget)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = Position(source, *_line_and_column(data, error.start))
        raise BuildError([Problem(where, "", "not UTF-8 text")]) from None
    # Universal newlines, as text-mode reading gives: a CRLF file is edited and written back
    # with its own line endings by the writer, never with doubled carriage returns.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def read_each(
    inputs: Sequence[str], stdin: TextIO | None, problems: list[Problem], budget: Budget
) -> Iterator[tuple[str, str]]:
    """Files, folders (every *.yaml and *.yml below, hidden ones skipped) and `-` for stdin,
    as (label, text); each file's problems go to `problems`, its size is charged to `budget`."""
    for given in inputs:
        if given == STDIN:
            try:
                yield "<stdin>", _read_stdin(stdin, budget)
            except BuildError as error:
                problems.extend(error.problems)
            continue
        path = Path(given)
        if path.is_dir():
            files = sorted(_spec_files(path))
            if not files:
                problems.append(Problem(None, "", f"{given}: no *.yaml or *.yml files found"))
        elif path.is_file():
            files = [path]
        else:
            problems.append(Problem(None, "", f"{given}: no such file or folder"))
            continue
        for file in files:
            try:
                text = read_file(file, budget)
            except BuildError as error:
                problems.extend(error.problems)
                continue
            yield str(file), text


def _spec_files(folder: Path) -> Iterator[Path]:
    """Every YAML file below a folder; hidden files and folders (.git, .github) are skipped."""
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        if path.suffix in (".yaml", ".yml") and path.is_file():
            yield path
