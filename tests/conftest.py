"""Shared helpers: run the CLI in-process and compare golden trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fluid_render.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite golden/<case>/expected from the current build instead of comparing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def run(*args: str, stdin: str | None = None) -> Result:
    """`fluid-render ARGS` in-process, with stdout and stderr kept apart."""
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def read_tree(folder: Path) -> dict[str, str]:
    """Every file below a folder (hidden ones too), by relative path; Python's bytecode caches
    are not content (pytest writes them wherever `PYTHONDONTWRITEBYTECODE` is unset)."""
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.relative_to(folder).parts
    }


TOOLS = ROOT / ".tools" / "bin"


def k8s_tool(name: str) -> Path:
    """The pinned `helm` or `kubectl` that `scripts/install-k8s-tools.sh` puts in .tools/bin.

    A machine image's own kubectl may be a wrapper of another version, so only the pinned binary
    counts. Without it a test skips, except in CI, which installs it: there it fails.
    """
    path = TOOLS / name
    if not path.is_file():
        message = f"{path} missing: run scripts/install-k8s-tools.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
