"""Forked helper processes of a build, which must never outlive it."""

from __future__ import annotations

import os
import signal

PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a process gets when the thread that forked it dies."""


def die_with(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies; exit if that has happened already.
    A killed build then leaves no helper behind (a pool's worker would wait forever on a task
    queue whose other end it holds itself)."""
    import ctypes

    prctl = getattr(ctypes.CDLL(None), "prctl", None)  # the C library's, where it has one
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
