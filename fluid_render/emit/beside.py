"""Read the tree a build rebuilds in a forked process, while the build loads its specs.

Checking the tree (`read_previous`: every file read and hashed) took 0.15 to 0.17 s for 1000
datasets' 12 000 files, on one core, before the build had imported its planner or parsed a spec;
neither needs the tree, so the two now overlap. The text comes back pickled through an unnamed
temporary file (43 ms to write, 8 ms to load for 1000 datasets, in the forked process mostly).
"""

from __future__ import annotations

import os
import pickle
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from fluid_render.emit.incremental import Previous, read_previous, read_tree
from fluid_render.emit.journal import recover
from fluid_render.emit.owned import OWNED
from fluid_render.forked import die_with


@contextmanager
def tree_beside(output: Path, lock: Path) -> Iterator[Callable[[], Previous | None]]:
    """`read_previous(output, lock)`, read by a forked process: the callable waits for it. Where no
    tree of ours is there (a fresh folder), or no process can be forked, the tree is read here.
    The process is gone when the block ends (killed if no one asked for what it read)."""
    target = Path(os.path.realpath(output))
    spool = _spool() if hasattr(os, "fork") and (target / OWNED).is_file() else None
    if spool is None:
        previous = read_previous(output, lock)
        yield lambda: previous
        return
    with spool:
        recover(target, lock)  # it writes: here, before forking
        parent = os.getpid()
        child = os.fork()
        if child == 0:
            _read_into(spool, target, parent)
        reading = _Reading(child, spool, output, lock)
        try:
            yield reading.result
        finally:
            reading.stop()


def _spool() -> IO[bytes] | None:
    try:
        return tempfile.TemporaryFile()
    except OSError:  # no writable temporary folder
        return None


def _read_into(spool: IO[bytes], target: Path, parent: int) -> None:
    """The forked process: the tree pickled into `spool`, then exit, whatever happens (it must
    never return into the build's code)."""
    status = 1
    try:
        die_with(parent)
        pickle.dump(read_tree(target), spool, pickle.HIGHEST_PROTOCOL)
        spool.flush()
        status = 0
    finally:
        os._exit(status)


class _Reading:
    """The forked reader of one build, from its start to what it handed back."""

    def __init__(self, child: int, spool: IO[bytes], output: Path, lock: Path) -> None:
        self._child: int | None = child
        self._spool = spool
        self._output = output
        self._lock = lock
        self._previous: Previous | None = None

    def result(self) -> Previous | None:
        if self._child is not None:
            _, status = os.waitpid(self._child, 0)
            self._child = None
            self._previous = self._handed_back(os.waitstatus_to_exitcode(status))
        return self._previous

    def _handed_back(self, exit_code: int) -> Previous | None:
        """What the reader pickled; read here again if it failed or was killed."""
        if exit_code == 0:  # it exits 0 only once all is written
            self._spool.seek(0)
            handed: Previous | None = pickle.load(self._spool)
            return handed
        return read_previous(self._output, self._lock)

    def stop(self) -> None:
        """Kill and reap a reader whose work no one asked for (the build failed first)."""
        if self._child is not None:
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)
            self._child = None
