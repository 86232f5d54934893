"""Argo CD: the plugin's `generate` run as Argo CD runs it, the Lua health checks on sample
statuses, and the example's kustomization (sidecar, project, application)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import lupa.lua51
import pytest
import yaml

from .conftest import GOLDEN, ROOT, k8s_tool, read_tree, run
from .test_flux import kustomize
from .test_golden import SNAPSHOTS
from .test_helm import _objects

ARGOCD = ROOT / "examples" / "argocd"
PLUGIN = yaml.safe_load((ARGOCD / "plugin.yaml").read_text())
SECRET = "Zq9-not-a-real-key-7Hx"


def generate(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """spec.generate of plugin.yaml, in the application's folder with Argo CD's variables."""
    command = PLUGIN["spec"]["generate"]["command"] + PLUGIN["spec"]["generate"]["args"]
    environment = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(repo.parent),
        "XDG_CACHE_HOME": str(repo.parent / "cache"),
        "ARGOCD_APP_NAME": "datasets",
        "ARGOCD_APP_NAMESPACE": "default",
        "ARGOCD_APP_REVISION": "0123456789abcdef",
        **{f"ARGOCD_ENV_{name}": value for name, value in env.items()},
    }
    return subprocess.run(
        command, cwd=repo, env=environment, capture_output=True, text=True, check=False
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An application folder as Argo CD checks it out: specs and the committed lock."""
    app = tmp_path / "app"
    shutil.copytree(GOLDEN / "web-dataset-mem" / "input", app / "specs")
    lock = SNAPSHOTS / "test_golden[web-dataset-mem][fluid-render.lock].yaml"
    shutil.copy(lock, app / "fluid-render.lock")
    return app


def test_discovery_finds_the_lock_file(repo: Path) -> None:
    assert (repo / PLUGIN["spec"]["discover"]["fileName"]).is_file()


def test_generate_prints_the_build(repo: Path) -> None:
    before = read_tree(repo)
    done = generate(repo, SPECS="specs")
    assert (done.returncode, done.stderr) == (0, "")
    assert read_tree(repo) == before  # Argo CD's checkout is left as it was
    expected = run("build", str(repo / "specs"), "--lock", str(repo / "fluid-render.lock"))
    assert done.stdout == expected.stdout
    assert len(_objects(done.stdout)) == 11


def test_generate_fails_closed_on_broken_specs(repo: Path) -> None:
    spec = repo / "specs" / "specs.yaml"
    text = spec.read_text()
    mount = f"    - {{mountPoint: 's3://b/', name: b, options: {{aws.secretKey: {SECRET}}}}}\n"
    broken = text.replace("  mounts:\n", f"  mounts:\n{mount}", 1)
    assert broken != text
    spec.write_text(broken)
    done = generate(repo)
    assert done.returncode != 0 and done.stdout == ""
    assert "looks like a credential" in done.stderr and SECRET not in done.stderr


def test_generate_fails_closed_on_a_stale_lock(repo: Path) -> None:
    (repo / "fluid-render.lock").unlink()
    done = generate(repo)
    assert done.returncode != 0 and done.stdout == ""
    assert "out of date" in done.stderr
    assert not (repo / "fluid-render.lock").exists()  # --frozen-lock: nothing written


def test_generate_fails_closed_on_zero_objects(repo: Path) -> None:
    shutil.rmtree(repo / "specs")
    (repo / "specs").mkdir()
    (repo / "specs" / "empty.yaml").write_text("# nothing yet\n")
    done = generate(repo)
    assert done.returncode != 0 and done.stdout == "" and done.stderr


def test_generate_takes_no_option_from_the_specs_variable(repo: Path) -> None:
    target = repo.parent / "written"
    done = generate(repo, SPECS=f"--output={target}")
    assert done.returncode != 0 and done.stdout == "" and not target.exists()


def test_generate_with_passthrough(repo: Path) -> None:
    (repo / "specs" / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {a: b}\n"
    )
    assert generate(repo).returncode != 0  # not a Fluid kind, and not asked to copy it
    done = generate(repo, PASSTHROUGH="true", NAMESPACE="ml")
    assert done.returncode == 0, done.stderr
    assert ("ConfigMap", "", "app") in _objects(done.stdout)


# --- health checks ------------------------------------------------------------------------------


def health(script: str, obj: dict[str, Any]) -> tuple[str, str]:
    lua = lupa.lua51.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute((ARGOCD / "health" / script).read_text())
    return str(result["status"]), str(result["message"])


def _dataset(status: dict[str, Any] | None) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "data.fluid.io/v1alpha1", "kind": "Dataset"}
    return obj | ({"status": status} if status is not None else {})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, "Progressing"),
        ({"phase": ""}, "Progressing"),
        ({"phase": "NotBound", "conditions": []}, "Progressing"),
        ({"phase": "Bound", "conditions": [{"type": "Ready", "status": "True"}]}, "Healthy"),
        ({"phase": "Updating"}, "Progressing"),
        ({"phase": "Failed", "conditions": [{"message": "mount failed"}]}, "Degraded"),
        ({"phase": "Sideways"}, "Unknown"),
    ],
)
def test_dataset_health(status: dict[str, Any] | None, expected: str) -> None:
    result = health("dataset.lua", _dataset(status))
    assert result[0] == expected
    if status and status.get("conditions") and expected == "Degraded":
        assert result[1] == "mount failed"


def _runtime(master: str, worker: str, ready_workers: int) -> dict[str, Any]:
    return {
        "kind": "AlluxioRuntime",
        "status": {
            "masterPhase": master,
            "workerPhase": worker,
            "fusePhase": "Ready",
            "masterNumberReady": 1,
            "desiredMasterNumberScheduled": 1,
            "workerNumberReady": ready_workers,
            "desiredWorkerNumberScheduled": 3,
            "fuseNumberReady": 2,
            "desiredFuseNumberScheduled": 2,
        },
    }


def test_runtime_health() -> None:
    assert health("alluxioruntime.lua", {"kind": "AlluxioRuntime"})[0] == "Progressing"
    status, message = health("alluxioruntime.lua", _runtime("Ready", "Ready", 3))
    assert status == "Healthy"
    assert message == (
        "masters 1/1 ready (Ready), workers 3/3 ready (Ready), fuses 2/2 ready (Ready)"
    )
    assert health("alluxioruntime.lua", _runtime("NotReady", "NotReady", 0))[0] == "Progressing"
    status, message = health("alluxioruntime.lua", _runtime("Ready", "PartialReady", 1))
    assert status == "Degraded" and "workers 1/3 ready (PartialReady)" in message


@pytest.mark.parametrize("kind", ["DataLoad", "DataBackup"])
@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (None, "Progressing"),
        ("Pending", "Progressing"),
        ("Executing", "Progressing"),
        ("Complete", "Healthy"),
        ("Failed", "Degraded"),
        ("Odd", "Unknown"),
    ],
)
def test_operation_health(kind: str, phase: str | None, expected: str) -> None:
    obj: dict[str, Any] = {"kind": kind}
    if phase is not None:
        obj["status"] = {
            "phase": phase,
            "duration": "Unfinished",
            "conditions": [{"type": phase, "message": f"{kind} says {phase}"}],
        }
    status, message = health("operation.lua", obj)
    assert status == expected
    if phase in ("Complete", "Failed"):
        assert message == f"{kind} says {phase}"


# --- the example's kustomization ----------------------------------------------------------------

STUB_INSTALL = """apiVersion: apps/v1
kind: Deployment
metadata: {name: argocd-repo-server}
spec:
  selector: {matchLabels: {app: repo}}
  template:
    metadata: {labels: {app: repo}}
    spec:
      containers: [{name: argocd-repo-server, image: quay.io/argoproj/argocd:v3}]
      volumes: [{name: var-files, emptyDir: {}}, {name: plugins, emptyDir: {}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm}
data: {url: "https://argocd.example.org"}
"""


def test_example_installs_sidecar_health_checks_project_and_app(tmp_path: Path) -> None:
    k8s_tool("kubectl")
    folder = tmp_path / "argocd"
    shutil.copytree(ARGOCD, folder)
    kustomization = folder / "kustomization.yaml"
    text = kustomization.read_text()
    remote = next(line for line in text.splitlines() if "://" in line and "- " in line)
    kustomization.write_text(text.replace(remote, "  - stub-install.yaml"))
    (folder / "stub-install.yaml").write_text(STUB_INSTALL)
    objects = _objects(kustomize(folder))
    repo_server = objects[("Deployment", "argocd", "argocd-repo-server")]["spec"]["template"]
    containers = {c["name"]: c for c in repo_server["spec"]["containers"]}
    sidecar = containers["fluid-render"]
    assert sidecar["image"] == "ghcr.io/fluid-render/fluid-render:0.1.0"
    assert sidecar["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in repo_server["spec"]["volumes"]}
    plugin_map = volumes["fluid-render-cmp"]["configMap"]["name"]
    assert plugin_map.startswith("fluid-render-cmp-")  # hashed: a change restarts the server
    config = objects[("ConfigMap", "argocd", plugin_map)]
    assert config["data"]["plugin.yaml"] == (ARGOCD / "plugin.yaml").read_text()
    cm = objects[("ConfigMap", "argocd", "argocd-cm")]["data"]
    assert cm["url"] == "https://argocd.example.org"
    for kind, script in [
        ("Dataset", "dataset"),
        ("AlluxioRuntime", "alluxioruntime"),
        ("DataLoad", "operation"),
        ("DataBackup", "operation"),
    ]:
        key = f"resource.customizations.health.data.fluid.io_{kind}"
        assert cm[key] == (ARGOCD / "health" / f"{script}.lua").read_text()
    project = objects[("AppProject", "argocd", "fluid")]["spec"]
    cluster_kinds = {(r["group"], r["kind"]) for r in project["clusterResourceWhitelist"]}
    assert cluster_kinds == {
        ("", "PersistentVolume"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
    }
    app = objects[("Application", "argocd", "datasets")]["spec"]
    assert app["project"] == "fluid"
    plugin = PLUGIN["metadata"]["name"] + "-" + PLUGIN["spec"]["version"]
    assert app["source"]["plugin"]["name"] == plugin
