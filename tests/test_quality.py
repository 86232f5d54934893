"""The code-level rules of the project run with the tests: lint, types, layer contracts."""

from __future__ import annotations

import ast
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


# Module and function sizes: a module does one thing, a function reads on one screen.
MODULE_LIMIT = 400  # logic lines: not blank, not a comment, not a docstring
FUNCTION_LIMIT = 60
LONG_REASON = "# Long:"  # a longer function says why, in a comment inside it


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _logic_lines(source: list[str], docstrings: set[int], first: int, last: int) -> int:
    return sum(
        1
        for number in range(first, last + 1)
        if source[number - 1].strip()
        and not source[number - 1].strip().startswith("#")
        and number not in docstrings
    )


MODULES = sorted((ROOT / "fluid_render").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    source = text.splitlines()
    tree = ast.parse(text)
    docstrings = _docstring_lines(tree)
    assert _logic_lines(source, docstrings, 1, len(source)) <= MODULE_LIMIT
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        last = node.end_lineno or node.lineno
        if _logic_lines(source, docstrings, node.lineno, last) > FUNCTION_LIMIT:
            body = source[node.lineno - 1 : last]
            assert any(line.strip().startswith(LONG_REASON) for line in body), (
                f"{node.name} is over {FUNCTION_LIMIT} lines: split it, or say why in a "
                f"`{LONG_REASON}` comment"
            )


def test_the_size_rule_counts_logic_lines_only() -> None:
    source = [
        '"""Doc',
        'string."""',
        "",
        "# comment",
        "x = 1",
        "def f():",
        '    """Doc."""',
        "    return x",
    ]
    tree = ast.parse("\n".join(source))
    assert _logic_lines(source, _docstring_lines(tree), 1, len(source)) == 3
