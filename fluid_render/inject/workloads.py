"""Where the pods of a workload kind are, for `fluid-render inject`.

Upstream's webhook sees every pod when it is created, whatever made it. A build sees only the
objects in git, so each kind that carries pods needs to say where: a pod template (metadata and
spec) at a path, or, for Argo Workflows, a workflow spec whose `volumes`, `affinity`,
`nodeSelector` and `podMetadata` apply to the pods of all its templates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Path_ = tuple[str | int, ...]

# (API group, kind) -> path of the pod template; () is the object itself.
POD_TEMPLATES: Mapping[tuple[str, str], Path_] = {
    ("", "Pod"): (),
    ("apps", "Deployment"): ("spec", "template"),
    ("apps", "StatefulSet"): ("spec", "template"),
    ("apps", "DaemonSet"): ("spec", "template"),
    ("apps", "ReplicaSet"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
    # Knative Serving: a revision template is a pod template (serving.knative.dev/v1).
    ("serving.knative.dev", "Service"): ("spec", "template"),
    ("serving.knative.dev", "Configuration"): ("spec", "template"),
    # Argo Rollouts: a Deployment's template; a Rollout with `workloadRef` has none.
    ("argoproj.io", "Rollout"): ("spec", "template"),
}
TEMPLATE_OPTIONAL = {("argoproj.io", "Rollout")}
# Knative validates revision templates against a subset of the pod spec: it rejects
# `mountPropagation` on volume mounts, and the FUSE sidecar's privileged container, lifecycle
# hook and hostPath volume (knative.dev/serving pkg/apis/serving `VolumeMountMask`,
# `ContainerMask`). Upstream's webhook mutates the pods after that validation.
KNATIVE = {("serving.knative.dev", "Service"), ("serving.knative.dev", "Configuration")}

# (API group, kind) -> path of the workflow spec (Argo Workflows, argoproj.io/v1alpha1).
WORKFLOW_SPECS: Mapping[tuple[str, str], Path_] = {
    ("argoproj.io", "Workflow"): ("spec",),
    ("argoproj.io", "WorkflowTemplate"): ("spec",),
    ("argoproj.io", "CronWorkflow"): ("spec", "workflowSpec"),
}


def kind_key(api_version: str, kind: str) -> tuple[str, str]:
    return api_version.rpartition("/")[0], kind


def template_containers(
    workflow: Mapping[str, Any], section: str
) -> Iterator[tuple[Path_, Mapping[str, Any]]]:
    """The containers (`section` "containers") or init containers of every template, with
    their paths: `container`, `script`, `containerSet.containers[]`, `initContainers[]`."""
    for index, template in enumerate(workflow.get("templates") or []):
        if not isinstance(template, Mapping):
            continue
        where: Path_ = ("templates", index)
        if section == "initContainers":
            for i, init in enumerate(template.get("initContainers") or []):
                yield (*where, "initContainers", i), init
            continue
        for key in ("container", "script"):
            if isinstance(template.get(key), Mapping):
                yield (*where, key), template[key]
        container_set = template.get("containerSet")
        if isinstance(container_set, Mapping):
            for i, container in enumerate(container_set.get("containers") or []):
                yield (*where, "containerSet", "containers", i), container


def claims_in(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every `persistentVolumeClaim.claimName` anywhere in an object, with its path."""
    if isinstance(node, Mapping):
        claim = node.get("persistentVolumeClaim")
        if isinstance(claim, Mapping) and isinstance(claim.get("claimName"), str):
            yield (*path, "persistentVolumeClaim", "claimName"), claim["claimName"]
        for key, value in node.items():
            yield from claims_in(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from claims_in(item, (*path, index))
