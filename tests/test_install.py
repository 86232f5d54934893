"""`pip install .` gives a working CLI with runtime dependencies only: every module the package
imports outside its test-time extras comes from a runtime dependency (or one of theirs)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Modules that may import an extra's package, lazily or only when that extra is used.
EXTRA_USERS = {
    "fluid_render/pytest_plugin.py": "snapshot",  # loaded by pytest only
    "fluid_render/check.py": "validate",  # build --validate
    "fluid_render/sync/client.py": "sync",  # the syncer's Kubernetes client
}
TEST_TOOLS = {"pytest", "syrupy", "hypothesis", "lupa", "ruff", "mypy", "import-linter"}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match is not None
    return match.group(0).lower().replace("_", "-")


def _closure(names: set[str]) -> set[str]:
    """The distributions installed for `names`, with their own runtime requirements."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # a requirement whose marker excludes this Python
        seen.add(name)
        for requirement in requirements:
            if "extra ==" not in requirement:
                todo.append(_name(requirement))
    return seen


def _imported_distributions(path: Path) -> set[str]:
    found = set()
    providers = metadata.packages_distributions()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top == "fluid_render":
                continue
            found |= {_name(d) for d in providers.get(top, [top])}
    return found


def test_runtime_dependencies_hold_no_test_tool() -> None:
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert not runtime & TEST_TOOLS
    assert "kubernetes" not in runtime and "kubernetes-validate" not in runtime


def test_every_import_is_a_runtime_dependency_or_its_extra() -> None:
    runtime = _closure({_name(r) for r in PYPROJECT["project"]["dependencies"]})
    extras = PYPROJECT["project"]["optional-dependencies"]
    missing = {}
    for path in sorted((ROOT / "fluid_render").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        allowed = set(runtime)
        if relative in EXTRA_USERS:
            allowed |= _closure({_name(r) for r in extras[EXTRA_USERS[relative]]})
        outside = _imported_distributions(path) - allowed
        if outside:
            missing[relative] = sorted(outside)
    assert missing == {}


def test_the_cli_is_an_entry_point_and_the_plugin_an_extra() -> None:
    assert PYPROJECT["project"]["scripts"] == {"fluid-render": "fluid_render.start:main"}
    assert PYPROJECT["project"]["entry-points"]["pytest11"] == {
        "fluid_render": "fluid_render.pytest_plugin"
    }
    assert {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["snapshot"]} == {
        "pytest",
        "syrupy",
    }
