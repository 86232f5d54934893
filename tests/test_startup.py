"""Start-up imports only what `--version`, `--help` and `schema` need: no planner, renderer,
pydantic, Jinja2 or YAML parser. The list below is the budget; a new import at start-up must
be added here on purpose."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ALLOWED_PACKAGES = frozenset({"click", "fluid_render"})
"""Third-party packages start-up may load (the standard library is not counted)."""
ALLOWED_OWN_MODULES = frozenset(
    {
        "fluid_render",
        "fluid_render.boundary",
        "fluid_render.cli",
        "fluid_render.errors",
        "fluid_render.resources",
        "fluid_render.sync",
        "fluid_render.sync.command",
    }
)
FORBIDDEN = ("pydantic", "jinja2", "ruamel", "yaml", "jsonschema", "markupsafe", "kubernetes")

_PROBE = """
import json, sys
before = set(sys.modules)
from fluid_render.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
stdlib = set(sys.stdlib_module_names)
loaded = sorted(m for m in set(sys.modules) - before if m.split('.')[0] not in stdlib)
print(json.dumps(loaded), file=sys.stderr)
"""


def modules_loaded_by(*args: str) -> list[str]:
    """The non-standard-library modules a fresh interpreter loads to run `fluid-render ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "args", [("--version",), ("--help",), ("schema",), ("schema", "dataset")], ids=" ".join
)
def test_start_up_imports_stay_within_the_budget(args: tuple[str, ...]) -> None:
    loaded = modules_loaded_by(*args)
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN] == []
    assert {m.split(".")[0] for m in loaded} <= ALLOWED_PACKAGES
    assert {m for m in loaded if m.split(".")[0] == "fluid_render"} <= ALLOWED_OWN_MODULES


def test_the_probe_sees_what_a_build_imports() -> None:
    """The budget test could pass by seeing nothing: a build must show the heavy modules."""
    loaded = modules_loaded_by("build", "--help")
    assert "fluid_render.cli" in loaded
    assert any(m.startswith("fluid_render.plan") for m in loaded)
