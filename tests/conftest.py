"""Shared helpers: run the CLI in-process, compare golden trees, write many datasets' specs."""

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


def many_datasets(count: int, broken: bool = False) -> str:
    """`count` datasets in two namespaces, each with a DataLoad; one load waits for another."""
    docs = []
    for i in range(count):
        namespace = f"team-{i % 2}"
        fuse = "\n  fuse: {imageTag: latest}" if broken and i == 0 else ""
        target = "/nowhere" if broken and i == count - 1 else f"/d{i}"
        docs.append(
            f"""\
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {{name: d{i}, namespace: {namespace}}}
spec:
  mounts: [{{mountPoint: "https://example.org/d{i}/", name: d{i}}}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {{name: d{i}, namespace: {namespace}}}
spec:
  replicas: 1{fuse}
  tieredstore:
    levels: [{{mediumtype: MEM, path: /dev/shm, quota: 1Gi}}]
---
apiVersion: data.fluid.io/v1alpha1
kind: DataLoad
metadata: {{name: load{i}, namespace: {namespace}}}
spec:
  dataset: {{name: d{i}, namespace: {namespace}}}
  target: [{{path: {target}}}]
"""
        )
    docs.append(
        """\
apiVersion: data.fluid.io/v1alpha1
kind: DataLoad
metadata: {name: again, namespace: team-1}
spec:
  dataset: {name: d1, namespace: team-1}
  runAfter: {kind: DataLoad, name: load1}
"""
    )
    return "---\n".join(docs)
