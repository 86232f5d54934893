"""charts/fluid with a real helm: lint, render with default and other values, every object
strictly valid, the syncer's exact RBAC, its hardening, and upstream's CSI driver."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from fluid_render import __version__
from fluid_render.check import validator_for

from .conftest import ROOT, k8s_tool

CHART = ROOT / "charts" / "fluid"
KUBE_VERSION = "1.31"
OTHER_VALUES = [
    "--set",
    "webhook.enabled=true",
    "--set",
    "csi.useNodeAuthorization=false",
    "--set",
    "csi.kubelet.certDir=/etc/kubelet-pki",
    "--set",
    "csi.config.hostNetwork=true",
    "--set",
    "syncer.namespaces={team-a,team-b}",
    "--set",
    "syncer.replicas=3",
    "--set",
    "imagePullSecrets[0].name=regcred",
]


def helm(*args: str) -> str:
    done = subprocess.run(
        [str(k8s_tool("helm")), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@cache
def _rendered(extra: tuple[str, ...]) -> list[dict[str, Any]]:
    text = helm(
        "template",
        "fluid-render",
        str(CHART),
        "--namespace",
        "fluid-system",
        "--include-crds",
        "--kube-version",
        f"{KUBE_VERSION}.0",
        *extra,
    )
    return [doc for doc in yaml.safe_load_all(text) if doc]


def rendered(*extra: str) -> list[dict[str, Any]]:
    return _rendered(tuple(extra))


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (match,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return match


def test_helm_lint_strict() -> None:
    helm("lint", "--strict", str(CHART))
    helm("lint", "--strict", str(CHART), *OTHER_VALUES)


# Exact counts: the default chart has 17 objects; the other values add the webhook, its RBAC and its
# ConfigMap, Service and configuration (9 objects).
@pytest.mark.parametrize(
    ("values", "count"), [((), 17), (tuple(OTHER_VALUES), 26)], ids=["default", "other"]
)
def test_every_rendered_object_is_strictly_valid(values: tuple[str, ...], count: int) -> None:
    objects = rendered(*values)
    assert len(objects) == count
    problems = [
        f"{o['kind']}/{o['metadata']['name']}: {message}"
        for o in objects
        for message in validator_for(o, KUBE_VERSION)(o)
    ]
    assert problems == []


def test_the_crds_are_the_generated_ones() -> None:
    crds = {o["metadata"]["name"]: o for o in rendered() if o["kind"] == "CustomResourceDefinition"}
    for path in sorted((CHART / "crds").glob("*.yaml")):
        generated = yaml.safe_load(path.read_text())
        assert crds[generated["metadata"]["name"]] == generated


SYNCER_RULES = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "patch"]},
    {"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["list", "watch"]},
    {
        "apiGroups": ["apps"],
        "resources": ["statefulsets", "daemonsets"],
        "verbs": ["list", "watch"],
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["list", "watch"]},
    {
        "apiGroups": ["data.fluid.io"],
        "resources": ["datasets", "alluxioruntimes", "dataloads", "databackups"],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["data.fluid.io"],
        "resources": [
            "datasets/status",
            "alluxioruntimes/status",
            "dataloads/status",
            "databackups/status",
        ],
        "verbs": ["patch"],
    },
]
LEASE_RULES = [
    {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "resourceNames": ["fluid-render-sync"],
        "verbs": ["get", "update"],
    },
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
]


def test_the_syncer_has_exactly_its_least_privilege_rules() -> None:
    objects = rendered()
    assert find(objects, "ClusterRole", "fluid-render-syncer")["rules"] == SYNCER_RULES
    lease = find(objects, "Role", "fluid-render-syncer-lease")
    assert lease["metadata"]["namespace"] == "fluid-system"
    assert lease["rules"] == LEASE_RULES
    for rule in SYNCER_RULES + LEASE_RULES:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert "secrets" not in rule["resources"]
    binding = find(objects, "ClusterRoleBinding", "fluid-render-syncer")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "fluid-render-syncer", "namespace": "fluid-system"}
    ]


def test_the_syncer_deployment_is_hardened() -> None:
    deployment = find(rendered(), "Deployment", "fluid-render-syncer")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "fluid-render-syncer"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["image"] == f"ghcr.io/fluid-render/fluid-render:{__version__}"
    assert container["args"][0] == "sync"
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert set(container["resources"]) == {"requests", "limits"}
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
    assert env == {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}


def test_the_chart_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == __version__


def test_namespaces_value_narrows_the_syncer() -> None:
    container = find(rendered(*OTHER_VALUES), "Deployment", "fluid-render-syncer")["spec"][
        "template"
    ]["spec"]["containers"][0]
    assert "--namespace=team-a" in container["args"] and "--namespace=team-b" in container["args"]


def test_upstreams_csi_driver_and_node_plugin() -> None:
    objects = rendered()
    driver = find(objects, "CSIDriver", "fuse.csi.fluid.io")
    assert driver["spec"] == {"attachRequired": False, "podInfoOnMount": True}
    plugin = find(objects, "DaemonSet", "csi-nodeplugin-fluid")["spec"]["template"]["spec"]
    assert plugin["serviceAccountName"] == "fluid-csi"
    assert plugin["tolerations"] == [{"operator": "Exists"}]
    registrar, plugins = plugin["containers"]
    socket = "/var/lib/kubelet/csi-plugins/fuse.csi.fluid.io/csi.sock"
    assert registrar["image"] == "fluidcloudnative/csi-node-driver-registrar:v2.14.0"
    assert registrar["args"] == [
        "--v=5",
        f"--csi-address={socket}",
        f"--kubelet-registration-path={socket}",
    ]
    assert plugins["image"] == "fluidcloudnative/fluid-csi:v1.1.0-36f0467"
    assert plugins["args"] == [
        "--nodeid=$(NODE_ID)",
        "--endpoint=$(CSI_ENDPOINT)",
        "--v=5",
        "--feature-gates=FuseRecovery=false",
        "--prune-fs=fuse.alluxio-fuse,fuse.jindofs-fuse,fuse.juicefs,ossfs,alifuse.aliyun-alinas-efc",
        "--prune-path=/runtime-mnt",
        "--pprof-addr=:6060",
    ]
    env = {e["name"]: e.get("value") for e in plugins["env"]}
    assert env["CSI_ENDPOINT"] == f"unix://{socket}"
    assert env["REVOCER_WARNING_THRESHOLD"] == "50"
    assert env["NODEPUBLISH_METHOD"] == "bindMount"
    mounts = {m["name"]: m for m in plugins["volumeMounts"]}
    assert mounts["kubelet-dir"]["mountPropagation"] == "Bidirectional"
    assert mounts["kubelet-kube-config"]["readOnly"] is True
    assert "kubelet-cert-dir" not in mounts  # /var/lib/kubelet/pki is inside the kubelet root
    rules = find(objects, "ClusterRole", "fluid-csi-plugin")["rules"]
    assert not any("nodes" in rule["resources"] for rule in rules)  # node authorization


def test_without_node_authorization_the_plugin_may_patch_nodes() -> None:
    objects = rendered(*OTHER_VALUES)
    rules = find(objects, "ClusterRole", "fluid-csi-plugin")["rules"]
    assert {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]} in rules
    plugin = find(objects, "DaemonSet", "csi-nodeplugin-fluid")["spec"]["template"]["spec"]
    assert plugin["hostNetwork"] is True
    assert "kubelet-kube-config" not in {m["name"] for m in plugin["containers"][1]["volumeMounts"]}


def test_the_webhook_is_off_by_default_and_complete_when_on() -> None:
    assert not [o for o in rendered() if "webhook" in o["metadata"]["name"]]
    objects = rendered(*OTHER_VALUES)
    config = find(objects, "MutatingWebhookConfiguration", "fluid-pod-admission-webhook")
    assert [w["name"] for w in config["webhooks"]] == [
        "fuse.serverful.fluid.io",
        "sidecar.fuse.fluid.io",
    ]
    find(objects, "Deployment", "fluid-webhook")
    find(objects, "Service", "fluid-pod-admission-webhook")


def _verb(method: str, query: str, name: str | None) -> str:
    if method == "GET":
        if name:
            return "get"
        return "watch" if "watch=true" in query else "list"
    return {"PATCH": "patch", "POST": "create", "PUT": "update"}[method]


def _allowed(
    rules: list[dict[str, Any]], group: str, resource: str, verb: str, name: str | None
) -> bool:
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and verb in rule["verbs"]
        and ("resourceNames" not in rule or name in rule["resourceNames"])
        for rule in rules
    )


def test_the_rbac_allows_every_request_the_syncer_makes(tmp_path: Path) -> None:
    """Run the syncer (one pass, then the loop with its watches and Lease) against the fake API
    server and check each request it sent against the chart's rules."""
    import logging
    import re
    import threading
    import time

    from fluid_render.sync.client import connect
    from fluid_render.sync.labels import Scope
    from fluid_render.sync.loop import Loop, Options
    from fluid_render.sync.metrics import Metrics

    from .fakekube import FakeKube
    from .syncworld import world

    fake = FakeKube()
    url = fake.start()
    try:
        world(fake, "databackup-to-pvc", ["n1", "n2"], None)
        options = Options(
            Scope(), False, 3600.0, 0.2, 0.2, 0, "fluid-system", "fluid-render-sync", 3, "me"
        )
        cluster = connect(str(fake.kubeconfig(tmp_path, url)), None, 2)
        loop = Loop(cluster, options, logging.getLogger("t"), Metrics(), print)
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 120  # a bound, not a timing: a loaded machine is slow
        while time.monotonic() < deadline:
            patched = [p for m, p in fake.requests if m == "PATCH"]
            if any(p.startswith("/api/v1/nodes/") for p in patched) and any(
                p.endswith("/status") for p in patched
            ):
                break
            time.sleep(0.05)
        time.sleep(0.5)  # let every watch start
        loop.shutdown()
        thread.join(10)
    finally:
        fake.stop()
    pattern = re.compile(
        r"^/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)(?:/namespaces/[^/]+)?/(?P<resource>[^/]+)"
        r"(?:/(?P<name>[^/]+)(?:/(?P<sub>[^/]+))?)?$"
    )
    objects = rendered()
    rules = find(objects, "ClusterRole", "fluid-render-syncer")["rules"]
    lease_rules = find(objects, "Role", "fluid-render-syncer-lease")["rules"]
    seen = set()
    for method, path, query in fake.log:
        match = pattern.match(path)
        assert match, path
        group, name = match["group"] or "", match["name"]
        resource = match["resource"] + (f"/{match['sub']}" if match["sub"] else "")
        verb = _verb(method, query, name)
        allowed = lease_rules if resource == "leases" else rules
        assert _allowed(allowed, group, resource, verb, name), (method, path, query)
        seen.add((resource, verb))
    assert {
        ("nodes", "patch"),
        ("leases", "create"),
        ("pods", "watch"),
        ("datasets/status", "patch"),
    } <= seen


def test_the_image_build_gets_every_file_the_package_needs() -> None:
    """The Dockerfile cannot be built here (no docker engine); check what a build needs: every
    path the wheel force-includes is copied and not excluded, and the image runs as non-root."""
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    copied = {
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    }
    for source in [*included, "fluid_render", "pyproject.toml", "README.md"]:
        assert source in copied, source
        assert f"!{source}" in ignore, source
    assert 'pip wheel --no-cache-dir --wheel-dir /wheels ".[sync]"' in dockerfile
    assert "\nUSER 10001:10001\n" in dockerfile
    assert '\nENTRYPOINT ["fluid-render"]\n' in dockerfile
