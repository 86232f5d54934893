"""Remember, per output folder, which inputs built the tree there, so the same build again can
stop before loading anything.

The memo lives in the user's cache (`$XDG_CACHE_HOME/fluid-render/builds`, beside the template
cache), never in the output: the committed tree must not depend on how its inputs were split
into files. An entry names the fingerprint of the whole build's inputs and the sha256 of the
ownership file it produced; it counts only while that ownership file, and every file it lists,
is still as written (`read_previous` checks them). A lost or unwritable cache only costs time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from fluid_render.emit.files import write_file
from fluid_render.emit.incremental import Previous


def _entry(output: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = hashlib.sha256(os.fsencode(os.path.realpath(output))).hexdigest()
    return Path(base) / "fluid-render" / "builds" / folder


def names(output: Path, inputs: str) -> bool:
    """Whether the last build into `output` was of exactly `inputs` (the tree may have been
    changed since: see `unchanged`)."""
    return _remembered(output)[:1] == [inputs]


def unchanged(output: Path, previous: Previous, inputs: str) -> bool:
    """Whether the intact tree `previous` at `output` was built from exactly `inputs`."""
    owned = hashlib.sha256(previous.texts_owned.encode("utf-8")).hexdigest()
    return _remembered(output) == [inputs, owned]


def _remembered(output: Path) -> list[str]:
    """The memo's entry for `output`: the inputs' fingerprint and the ownership file's digest."""
    try:
        return _entry(output).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return []


def remember(output: Path, inputs: str) -> None:
    """Note that the tree now at `output` was built from `inputs`."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        from fluid_render.emit.owned import OWNED

        owned = (Path(os.path.realpath(output)) / OWNED).read_bytes()
        write_file(_entry(output), f"{inputs} {hashlib.sha256(owned).hexdigest()}\n")
