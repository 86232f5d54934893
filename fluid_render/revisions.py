"""The files of a git revision in a temporary folder, for `diff --rev A..B`.

`git archive` gives the committed files of a revision without touching the repository (no
worktree, no index, no checkout); paths are kept relative to the repository's root.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fluid_render.errors import BuildError, Problem


def split_range(text: str) -> tuple[str, str | None]:
    """`A..B` -> (A, B); `A..` or `A` -> (A, None), None standing for the working tree."""
    old, _, new = text.partition("..")
    if not old or old.startswith("-") or new.startswith("-"):
        raise ValueError("expected REV..REV, e.g. main..HEAD (or REV.. for the working tree)")
    return old, new or None


def _git(*args: str, cwd: Path, failure: str | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise BuildError([Problem(None, "--rev", "git is not installed")]) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = failure or (message[-1] if message else f"git {args[0]} failed")
        raise BuildError([Problem(None, "--rev", detail)])
    return done.stdout


def repository_root(cwd: Path) -> Path:
    return Path(_git("rev-parse", "--show-toplevel", cwd=cwd).decode().strip())


def in_repository(root: Path, path: Path) -> Path:
    """`path` (relative to the current folder) relative to the repository's root."""
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        message = f"{path} is outside the repository {root}"
        raise BuildError([Problem(None, "--rev", message)]) from None


@contextmanager
def checked_out(root: Path, revision: str) -> Iterator[Path]:
    """The revision's files, extracted into a temporary folder removed afterwards."""
    commit = _git(
        "rev-parse",
        "--verify",
        "--end-of-options",
        f"{revision}^{{commit}}",
        cwd=root,
        failure=f"{revision}: no such commit in {root}",
    )
    archive = _git("archive", "--format=tar", commit.decode().strip(), cwd=root)
    with tempfile.TemporaryDirectory(prefix="fluid-render-rev.") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
