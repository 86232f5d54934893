"""Fields of older upstream versions warn with what to write now; typos get a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from fluid_render.api import DEPRECATED_FIELDS
from fluid_render.deprecated import did_you_mean, known_fields
from fluid_render.errors import BuildError
from fluid_render.load import parse_documents
from fluid_render.pipeline import Build, build
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.validate import KINDS

from .conftest import run

SPECS = """\
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: demo, namespace: ns}
spec:
  mounts: [{mountPoint: "s3://bucket/", name: b}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: demo, namespace: ns}
spec:
  replicas: 1
  fuse:
    imageTag: 2.9.0
"""


def _build(text: str) -> Build:
    docs = parse_documents(text, "specs.yaml")
    return build(docs, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000))


def test_fuse_global_is_ignored_with_a_warning_that_says_what_to_write() -> None:
    plain = _build(SPECS)
    old = _build(SPECS.replace("    imageTag: 2.9.0\n", "    global: true\n    imageTag: 2.9.0\n"))
    (warning,) = old.warnings
    assert str(warning).startswith("specs.yaml:13:5: spec.fuse.global: removed in Fluid v1.0.1")
    assert "spec.fuse.nodeSelector" in str(warning)
    runtime = [m.text for m in old.manifests if m.kind == "AlluxioRuntime"]
    assert "global" not in runtime[0]  # upstream's API server prunes it too
    assert [m.text for m in old.manifests] == [m.text for m in plain.manifests]


@pytest.mark.parametrize(
    ("old", "advice"),
    [
        ("spec:\n  replicas: 1\n  dataReplicas: 2\n", "write `data: {replicas: N}`"),
        ("spec:\n  replicas: 1\n  monitoring: true\n", "disablePrometheus: true"),
        ("spec:\n  replicas: 1\n  metadataList: []\n", "data.fluid.io/metadataList"),
    ],
)
def test_old_runtime_fields(old: str, advice: str) -> None:
    (warning,) = _build(SPECS.replace("spec:\n  replicas: 1\n", old)).warnings
    assert advice in str(warning)


def test_exclusive_mode_names_placement() -> None:
    text = SPECS.replace("  mounts:", "  exclusiveMode: true\n  mounts:")
    (warning,) = _build(text).warnings
    assert "spec.exclusiveMode: replaced in Fluid v0.5.0 by spec.placement" in str(warning)


def test_every_deprecated_path_is_unknown_to_the_models() -> None:
    """A table entry for a field the models still accept would silently drop it."""
    assert set(DEPRECATED_FIELDS) == set(KINDS)
    for kind, fields in DEPRECATED_FIELDS.items():
        for path in fields:
            assert path[-1] not in known_fields(KINDS[kind], path[:-1]), (kind, path)
            assert known_fields(KINDS[kind], path[:-1]), (kind, path)  # the parent exists


@pytest.mark.parametrize(
    ("typo", "field", "suggestion"),
    [
        ("    nodeSelecter: {a: b}\n", "spec.fuse.nodeSelecter", "did you mean 'nodeSelector'?"),
        ("    imagetag: x\n", "spec.fuse.imagetag", "did you mean 'imageTag'?"),
        ("    jvmOption: []\n", "spec.fuse.jvmOption", "did you mean 'jvmOptions'?"),
    ],
)
def test_unknown_fields_get_a_suggestion(typo: str, field: str, suggestion: str) -> None:
    with pytest.raises(BuildError) as error:
        _build(SPECS.replace("    imageTag: 2.9.0\n", "    imageTag: 2.9.0\n" + typo))
    assert f"{field}: unknown field; {suggestion}" in str(error.value)


def test_suggestions_inside_lists_and_none_when_nothing_is_close() -> None:
    text = SPECS.replace("name: b}", "name: b, readonly: true, zzz: 1}")
    with pytest.raises(BuildError) as error:
        _build(text)
    message = str(error.value)
    assert "spec.mounts[0].readonly: unknown field; did you mean 'readOnly'?" in message
    assert "spec.mounts[0].zzz: unknown field\n" in message + "\n"
    assert did_you_mean("quota", ["quotaList", "path"]) == ""


def test_the_cli_prints_the_warning(tmp_path: Path) -> None:
    specs = SPECS.replace("    imageTag", "    global: true\n    imageTag")
    result = run("build", "-", "--lock", str(tmp_path / "lock"), stdin=specs)
    assert result.exit_code == 0, result.stderr
    assert "warning: <stdin>:13:5: spec.fuse.global: removed in Fluid v1.0.1" in result.stderr
