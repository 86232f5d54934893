"""What one pass observed in the cluster, as plain dicts, and how upstream reads it.

The client layer fills a Snapshot from list calls; the reconcile modules only read it. Pods
are those labelled `app.kubernetes.io/managed-by=fluid-render` (every runtime and operation
pod the build renders carries it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fluid_render.sync.plan import SyncPlan

Obj = dict[str, Any]
Key = tuple[str, str]
POD_SELECTOR = "app.kubernetes.io/managed-by=fluid-render"
_ORDINAL = re.compile(r"(.*)-([0-9]+)$")


@dataclass
class Snapshot:
    plans: list[SyncPlan] = field(default_factory=list)
    plan_errors: dict[Key, str] = field(default_factory=dict)
    nodes: list[Obj] = field(default_factory=list)
    pods: list[Obj] = field(default_factory=list)
    statefulsets: dict[Key, Obj] = field(default_factory=dict)
    daemonsets: dict[Key, Obj] = field(default_factory=dict)
    jobs: dict[Key, Obj] = field(default_factory=dict)
    cronjobs: dict[Key, Obj] = field(default_factory=dict)
    datasets: dict[Key, Obj] = field(default_factory=dict)
    runtimes: dict[Key, Obj] = field(default_factory=dict)
    dataloads: dict[Key, Obj] = field(default_factory=dict)
    databackups: dict[Key, Obj] = field(default_factory=dict)


def key_of(obj: Mapping[str, Any]) -> Key:
    metadata = obj.get("metadata") or {}
    return (metadata.get("namespace") or "", metadata.get("name") or "")


def index(objects: Iterable[Obj]) -> dict[Key, Obj]:
    return {key_of(obj): obj for obj in objects}


def _controller_uid(pod: Mapping[str, Any]) -> str | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            uid = ref.get("uid")
            return uid if isinstance(uid, str) else None
    return None


class PodIndex:
    """Pods by the UID of their controller (StatefulSet, DaemonSet, Job)."""

    def __init__(self, pods: Iterable[Obj]) -> None:
        self._by_owner: dict[str, list[Obj]] = defaultdict(list)
        for pod in pods:
            uid = _controller_uid(pod)
            if uid:
                self._by_owner[uid].append(pod)

    def owned_by(self, workload: Mapping[str, Any] | None) -> list[Obj]:
        if not workload:
            return []
        uid = (workload.get("metadata") or {}).get("uid")
        return list(self._by_owner.get(uid, [])) if isinstance(uid, str) else []

    def statefulset_members(self, sts: Mapping[str, Any] | None) -> list[Obj]:
        """`pkg/utils/kubeclient/statefulset.go` `GetPodsForStatefulSet`: the pods the set
        controls whose name is `<set>-<ordinal>`, whatever their phase."""
        if not sts:
            return []
        name = (sts.get("metadata") or {}).get("name")
        members = []
        for pod in self.owned_by(sts):
            match = _ORDINAL.match((pod.get("metadata") or {}).get("name") or "")
            if match and match.group(1) == name:
                members.append(pod)
        return members


def worker_nodes(plan: SyncPlan, snapshot_sts: Mapping[Key, Obj], pods: PodIndex) -> set[str]:
    """The nodes running a worker pod of the runtime (`getDesiredNodesWithScheduleInfo`)."""
    sts = snapshot_sts.get((plan.namespace, plan.workers))
    return {
        node
        for pod in pods.statefulset_members(sts)
        if (node := (pod.get("spec") or {}).get("nodeName"))
    }


_META = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "labels")
_KEEP: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # kind: (metadata keys beyond _META, spec keys, status keys); everything else is dropped
    "Node": (("annotations",), (), ()),
    "Pod": (("ownerReferences",), ("nodeName",), ("podIP", "conditions")),
    "StatefulSet": (
        (),
        ("replicas",),
        ("replicas", "readyReplicas", "availableReplicas", "updateRevision"),
    ),
    "DaemonSet": (
        ("annotations",),
        (),
        (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "numberAvailable",
            "numberUnavailable",
        ),
    ),
    "Job": ((), (), ("conditions",)),
    "CronJob": ((), (), ("active", "lastScheduleTime", "lastSuccessfulTime")),
    "AlluxioRuntime": ((), ("replicas",), ("*",)),
    "Dataset": ((), (), ("*",)),
    "DataLoad": ((), (), ("*",)),
    "DataBackup": ((), (), ("*",)),
}


def _subset(tree: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {}
    if keys == ("*",):
        return tree
    return {key: tree[key] for key in keys if key in tree}


def slim(kind: str, obj: Obj) -> Obj:
    """Only what the reconcile reads, so memory follows the number of objects, not their size
    (a StatefulSet's pod template or a Node's image list is most of its bytes)."""
    meta_keys, spec_keys, status_keys = _KEEP[kind]
    return {
        "metadata": _subset(obj.get("metadata"), _META + meta_keys),
        "spec": _subset(obj.get("spec"), spec_keys),
        "status": _subset(obj.get("status"), status_keys),
    }
