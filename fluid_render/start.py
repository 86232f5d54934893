"""The `fluid-render` executable: `--version` answered before the command line loads, and a
command that succeeded ended without the interpreter's teardown.

Scripts and CI ask for the version to check which fluid-render they run; the answer needs no
option parser, and importing click costs three times the interpreter's own start-up here.
Everything else, `--version` with other arguments included, goes to `fluid_render.cli`.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from fluid_render import __version__

VERSION_LINE = f"fluid-render, version {__version__}\n"
"""What click's `version_option` prints for this program (a test compares the two)."""


def main() -> None:
    if sys.argv[1:] == ["--version"] and _printed(VERSION_LINE):
        return
    from fluid_render.cli import main as command_line

    try:
        command_line()
    except SystemExit as done:
        # Success leaves nothing to do but free memory: every output file is closed, and the
        # streams are flushed here. The interpreter's teardown (freeing a large build's objects
        # one by one, a last cycle collection) took 50 ms after 1000 datasets, 4% of the build;
        # mypy ends the same way (`mypy/util.py`, `hard_exit`). Failures exit as usual.
        if done.code in (0, None) and _flushed(sys.stdout) and _flushed(sys.stderr):
            os._exit(0)
        raise


def _printed(text: str) -> bool:
    """Whether `text` reached stdout; when not (closed, full disk), the command line answers
    instead and reports the problem as every command does."""
    try:
        sys.stdout.write(text)
    except (AttributeError, OSError, ValueError):  # None, a closed pipe, a closed file
        return False
    return _flushed(sys.stdout)


def _flushed(stream: TextIO | None) -> bool:
    """Whether what `stream` buffers reached its file (a stream that is None holds nothing)."""
    try:
        if stream is not None:
            stream.flush()
    except (OSError, ValueError):  # a closed pipe, a full disk, a closed file
        return False
    return True
