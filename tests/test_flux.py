"""Flux: the output folder builds with a real `kubectl kustomize` to exactly the stream's objects,
and examples/flux applies CRDs, then the control plane, then the datasets."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import GOLDEN, ROOT, k8s_tool, run
from .test_helm import CASES, _objects

FLUX = ROOT / "examples" / "flux"


def kustomize(folder: Path) -> str:
    done = subprocess.run(
        [str(k8s_tool("kubectl")), "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _stream_and_tree(inputs: Path, tmp: Path, *extra: str) -> tuple[str, Path]:
    lock = str(tmp / "fluid-render.lock")
    stream = run("build", str(inputs), "--lock", lock, *extra)
    assert stream.exit_code == 0, stream.stderr
    tree = run("build", str(inputs), "--lock", lock, "-o", str(tmp / "out"), *extra)
    assert tree.exit_code == 0, tree.stderr
    return stream.stdout, tmp / "out"


@pytest.mark.parametrize("case", CASES)
def test_kustomize_of_the_tree_gives_the_stream_objects(case: str, tmp_path: Path) -> None:
    k8s_tool("kubectl")
    stream, tree = _stream_and_tree(GOLDEN / case / "input", tmp_path)
    assert _objects(kustomize(tree)) == _objects(stream)


COPIED = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-settings
data: {mode: fast}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
provisioner: example.org/fast
---
apiVersion: v1
kind: Namespace
metadata:
  name: data-team
"""


def test_kustomize_with_copied_documents(tmp_path: Path) -> None:
    k8s_tool("kubectl")
    specs = tmp_path / "specs"
    shutil.copytree(GOLDEN / "web-dataset-mem" / "input", specs)
    (specs / "copied.yaml").write_text(COPIED)
    stream, tree = _stream_and_tree(specs, tmp_path, "--passthrough", "-n", "data-team")
    assert (tree / "_cluster" / "storageclass-fast.yaml").is_file()
    assert (tree / "data-team" / "configmap-app-settings.yaml").is_file()
    assert _objects(kustomize(tree)) == _objects(stream)


def _by_name(objects: dict[tuple[str, str, str], Any], kind: str) -> dict[str, Any]:
    return {name: obj for (k, _, name), obj in objects.items() if k == kind}


def test_flux_example_orders_crds_control_plane_datasets() -> None:
    k8s_tool("kubectl")
    objects = _objects(kustomize(FLUX))
    sources = _by_name(objects, "GitRepository")
    assert sorted(sources) == ["fluid-render", "platform"]
    steps = _by_name(objects, "Kustomization")
    assert sorted(steps) == ["fluid-control-plane", "fluid-crds", "fluid-datasets"]
    depends = {
        name: [d["name"] for d in s["spec"].get("dependsOn", [])] for name, s in steps.items()
    }
    assert depends == {
        "fluid-crds": [],
        "fluid-control-plane": ["fluid-crds"],
        "fluid-datasets": ["fluid-control-plane"],
    }
    assert all(step["spec"]["wait"] is True for step in steps.values())
    assert steps["fluid-crds"]["spec"]["prune"] is False  # pruning a CRD deletes its objects
    assert steps["fluid-datasets"]["spec"]["prune"] is True
    assert steps["fluid-crds"]["spec"]["path"] == "./charts/fluid/crds"
    assert (ROOT / "charts" / "fluid" / "crds").is_dir()
    for step in steps.values():
        assert step["spec"]["sourceRef"]["name"] in sources
    release = _by_name(_objects(kustomize(FLUX / "control-plane")), "HelmRelease")["fluid"]
    assert release["spec"]["chart"]["spec"]["sourceRef"]["name"] == "fluid-render"
