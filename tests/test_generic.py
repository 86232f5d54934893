"""The generic modules know no runtime kind: they read what a kind contributes from the
registry (`fluid_render/runtimes/registry.py`) and the API's per-kind tables."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fluid_render import fingerprint
from fluid_render.objects import KIND_ORDER, kind_order, runtime_row
from fluid_render.resources import shipped
from fluid_render.runtimes import charts, registry

from .conftest import ROOT


def test_templates_digest_covers_every_registered_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = fingerprint.templates_digest()
    fingerprint.templates_digest.cache_clear()
    monkeypatch.setattr(charts, "CHARTS", (*charts.CHARTS, "charts/fluid"))
    try:
        with_another = fingerprint.templates_digest()
    finally:
        fingerprint.templates_digest.cache_clear()
    assert with_another != alone


def test_the_chart_list_names_the_chart_of_every_registered_kind() -> None:
    assert tuple(sorted({r.chart for r in registry.RUNTIMES.values()})) == charts.CHARTS


@pytest.mark.parametrize("kind", sorted(registry.RUNTIMES))
def test_the_runtime_row_is_spelled_by_each_kind(kind: str) -> None:
    """Each runtime's custom resource has the RUNTIME row: its place in the stream (after the
    Dataset, before the data operations), its wave, and a template its chart ships."""
    found = runtime_row(kind)
    assert (found.kind, found.wave, found.folder) == (kind, 0, "")
    chart = shipped(registry.RUNTIMES[kind].chart)
    assert (chart / "templates" / found.template).is_file()
    order = [kind_order(k, registry.RUNTIMES) for k in ("Dataset", kind, "DataLoad", "Job")]
    assert order == sorted(order) and len(set(order)) == 4
    assert kind_order(kind, ()) == kind_order("Unheard", registry.RUNTIMES) == len(KIND_ORDER)


# ---------------------------------------------------------------------------- no runtime names
PACKAGE = ROOT / "fluid_render"
KIND_AWARE = {
    "api": "the models of every kind (upstream keeps them together in api/v1alpha1)",
    "runtimes/alluxio": "the Alluxio runtime itself",
    "runtimes/registry.py": "the one door to the runtime kinds",
    "runtimes/charts.py": "the chart folder of each kind, listed before any planner loads",
    "sync": "the in-cluster syncer, which asks an Alluxio master",
    "cli.py": "the edge: help texts and the `schema` command's kinds",
}
"""What may name a runtime kind in code, and why; every other module is generic."""
RUNTIME_WORD = re.compile("alluxio", re.IGNORECASE)


def _kind_aware(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    return any(relative == part or relative.startswith(f"{part}/") for part in KIND_AWARE)


GENERIC = sorted(p for p in PACKAGE.rglob("*.py") if not _kind_aware(p))


def runtime_names(path: Path) -> Iterator[tuple[int, str]]:
    """Identifiers (names, attributes, definitions, arguments, imports) and string literals that
    name Alluxio. Documentation (docstrings, comments) may cite upstream's `pkg/ddc/alluxio/...`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        words: list[str] = []
        if isinstance(node, ast.Name):
            words = [node.id]
        elif isinstance(node, ast.Attribute):
            words = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            words = [node.name]
        elif isinstance(node, ast.arg | ast.keyword):
            words = [node.arg or ""]
        elif isinstance(node, ast.alias):
            words = [node.name, node.asname or ""]
        elif isinstance(node, ast.ImportFrom):
            words = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = [] if id(node) in documentation else [node.value]
        for word in words:
            if RUNTIME_WORD.search(word):
                yield getattr(node, "lineno", 0), word


@pytest.mark.parametrize("path", GENERIC, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_generic_modules_name_no_runtime_kind(path: Path) -> None:
    assert list(runtime_names(path)) == []


def test_the_name_scan_sees_names_strings_and_imports_but_not_documentation(
    tmp_path: Path,
) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        '"""Cites pkg/ddc/alluxio/transform.go."""\n'
        "# and charts/alluxio in a comment\n"
        "from fluid_render.runtimes.alluxio.kind import ALLUXIO\n"
        "def plan(alluxio_values: int) -> str:\n"
        '    """Plans an AlluxioRuntime."""\n'
        '    return f"alluxio-{alluxio_values}"\n'
    )
    assert list(runtime_names(source)) == [
        (3, "fluid_render.runtimes.alluxio.kind"),
        (3, "ALLUXIO"),
        (4, "alluxio_values"),
        (6, "alluxio-"),
        (6, "alluxio_values"),
    ]
    named = ("fingerprint", "objects", "helmchart", "credentials", "deprecated", "pipeline")
    assert {PACKAGE / f"{module}.py" for module in named} <= set(GENERIC)
    assert PACKAGE / "runtimes" / "protocol.py" in GENERIC
