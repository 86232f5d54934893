"""The code-level rules of the project run with the tests: lint, types, layer contracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "fluid_render", "tests", "bench", "scripts"],
        ["mypy"],
        ["lint-imports"],
    ],
    ids=["ruff", "ruff-format", "mypy", "import-linter"],
)
def test_tool_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_build_never_imports_the_kubernetes_client(tmp_path: Path) -> None:
    """`import kubernetes` alone costs 200 ms and 47 MiB; the build path must not pay it."""
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from fluid_render.cli import main\n"
        f"r = CliRunner().invoke(main, ['build', {str(ROOT / 'examples/quickstart')!r},"
        f" '-o', {str(tmp_path / 'out')!r}, '--lock', {str(tmp_path / 'lock')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('kubernetes', 'kubernetes_validate', 'jsonschema')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
