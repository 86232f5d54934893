"""The `fluid-render` executable: `--version` answered before the command line loads.

Scripts and CI ask for the version to check which fluid-render they run; the answer needs no
option parser, and importing click costs three times the interpreter's own start-up here.
Everything else, `--version` with other arguments included, goes to `fluid_render.cli`.
"""

from __future__ import annotations

import sys

from fluid_render import __version__

VERSION_LINE = f"fluid-render, version {__version__}\n"
"""What click's `version_option` prints for this program (a test compares the two)."""


def main() -> None:
    if sys.argv[1:] == ["--version"] and _printed(VERSION_LINE):
        return
    from fluid_render.cli import main as command_line

    command_line()


def _printed(text: str) -> bool:
    """Whether `text` reached stdout; when not (closed, full disk), the command line answers
    instead and reports the problem as every command does."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):  # None, a closed pipe, a closed file
        return False
    return True
