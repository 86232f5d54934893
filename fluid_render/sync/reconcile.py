"""One pass of the syncer as a pure function: a Snapshot (and master reports) in, patches out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fluid_render.sync.labels import NodeLabelPatch, Rules, Scope, reconcile_node
from fluid_render.sync.master import MasterReport
from fluid_render.sync.observe import Key, Obj, PodIndex, Snapshot, key_of, worker_nodes
from fluid_render.sync.operations import operation_status
from fluid_render.sync.plan import SyncPlan
from fluid_render.sync.status import (
    dataset_status,
    runtime_cache_states,
    runtime_ready,
    runtime_status,
)

STATUS_KINDS = ("Dataset", "AlluxioRuntime", "DataLoad", "DataBackup")


@dataclass(frozen=True)
class Patch:
    """One merge patch: of a Node's metadata, or of the status subresource of a custom object.

    `redo` recomputes it from a fresh copy of the object after a 409 Conflict.
    """

    kind: str
    namespace: str
    name: str
    body: dict[str, Any]
    redo: Callable[[Obj], Patch | None] | None = field(default=None, compare=False, repr=False)

    @property
    def target(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}" + ("" if self.kind == "Node" else " (status)")


def _status_patch(
    kind: str, obj: Obj, fields: dict[str, Any] | None, redo: Callable[[Obj], Patch | None]
) -> Patch | None:
    if fields is None:
        return None
    namespace, name = key_of(obj)
    body: dict[str, Any] = {"status": fields}
    version = (obj.get("metadata") or {}).get("resourceVersion")
    if version:
        body["metadata"] = {"resourceVersion": version}
    return Patch(kind, namespace, name, body, redo)


def _node_patch(
    node: Obj, plans: Mapping[str, Rules], running: frozenset[str], scope: Scope
) -> Patch | None:
    result: NodeLabelPatch | None = reconcile_node(node, plans, running, scope)
    if result is None:
        return None

    def redo(fresh: Obj) -> Patch | None:
        return _node_patch(fresh, plans, running, scope)

    return Patch("Node", "", result.node, result.body(), redo)


def node_patches(snapshot: Snapshot, pods: PodIndex, scope: Scope) -> list[Patch]:
    rules = {
        plan.key: Rules(plan.labels, plan.fuse_label, plan.fuse_clean_policy)
        for plan in snapshot.plans
    }
    running: dict[str, set[str]] = {}
    for plan in snapshot.plans:
        for host in worker_nodes(plan, snapshot.statefulsets, pods):
            running.setdefault(host, set()).add(plan.key)
    patches = []
    for node in snapshot.nodes:
        node_name = (node.get("metadata") or {}).get("name", "")
        patch = _node_patch(node, rules, frozenset(running.get(node_name, ())), scope)
        if patch is not None:
            patches.append(patch)
    return patches


def outdated_pods(plan: SyncPlan, snapshot: Snapshot, pods: PodIndex) -> list[str]:
    """Pods of the plan's OnDelete workloads that run an older revision than the workload's."""
    names: list[str] = []
    for kind, name in plan.on_delete:
        if kind == "StatefulSet":
            sts = snapshot.statefulsets.get((plan.namespace, name))
            current = ((sts or {}).get("status") or {}).get("updateRevision")
            members, label = pods.statefulset_members(sts), "controller-revision-hash"
        else:
            ds = snapshot.daemonsets.get((plan.namespace, name))
            annotations = ((ds or {}).get("metadata") or {}).get("annotations") or {}
            current = annotations.get("deprecated.daemonset.template.generation")
            members, label = pods.owned_by(ds), "pod-template-generation"
        if not current:
            continue
        for pod in members:
            metadata = pod.get("metadata") or {}
            if (metadata.get("labels") or {}).get(label) != current:
                names.append(f"{plan.namespace}/{metadata.get('name')}")
    return sorted(names)


def _backup_node(job: Obj | None, pods: PodIndex) -> str | None:
    nodes = sorted(
        node for pod in pods.owned_by(job) if (node := (pod.get("spec") or {}).get("nodeName"))
    )
    return nodes[0] if nodes else None


def plan_patches(
    plan: SyncPlan, snapshot: Snapshot, pods: PodIndex, report: MasterReport | None, now: str
) -> list[Patch]:
    """Status patches of the runtime, its dataset and its operations."""
    key: Key = (plan.namespace, plan.name)
    master = snapshot.statefulsets.get((plan.namespace, plan.master))
    workers = snapshot.statefulsets.get((plan.namespace, plan.workers))
    fuse = snapshot.daemonsets.get((plan.namespace, plan.fuse))
    dataset = snapshot.datasets.get(key)
    states = runtime_cache_states(report, dataset)
    outdated = outdated_pods(plan, snapshot, pods)
    patches: list[Patch | None] = []
    runtime = snapshot.runtimes.get(key)
    ready = False
    if runtime is not None:
        ready = runtime_ready(runtime, master, workers)

        def redo_runtime(fresh: Obj) -> Patch | None:
            fields = runtime_status(plan, fresh, (master, workers, fuse), outdated, states, now)
            return _status_patch("AlluxioRuntime", fresh, fields, redo_runtime)

        patches.append(redo_runtime(runtime))
    if dataset is not None:

        def redo_dataset(fresh: Obj) -> Patch | None:
            fields = dataset_status(plan, fresh, ready, states, report, now)
            return _status_patch("Dataset", fresh, fields, redo_dataset)

        patches.append(redo_dataset(dataset))
    for op in plan.operations:
        table = snapshot.dataloads if op.kind == "DataLoad" else snapshot.databackups
        obj = table.get((plan.namespace, op.name))
        if obj is None:
            continue
        jobs = snapshot.cronjobs if op.job_kind == "CronJob" else snapshot.jobs
        job = jobs.get((plan.namespace, op.job_name))
        node = _backup_node(job, pods) if op.kind == "DataBackup" else None

        def redo_op(
            fresh: Obj, op: Any = op, job: Obj | None = job, node: str | None = node
        ) -> Patch | None:
            fields = operation_status(op, fresh, job, node)
            return _status_patch(op.kind, fresh, fields, redo_op)

        patches.append(redo_op(obj))
    return [patch for patch in patches if patch is not None]


def master_addresses(snapshot: Snapshot) -> dict[str, tuple[str, int]]:
    """Where to ask each runtime's master: its pod's IP, once the pod is Ready."""
    pods = {key_of(pod): pod for pod in snapshot.pods}
    addresses = {}
    for plan in snapshot.plans:
        pod = pods.get((plan.namespace, plan.master_pod))
        status = (pod or {}).get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if ready and status.get("podIP"):
            addresses[plan.key] = (status["podIP"], plan.master_web_port)
    return addresses


def reconcile(
    snapshot: Snapshot, reports: Mapping[str, MasterReport], scope: Scope, now: str
) -> list[Patch]:
    """Every patch one pass sends: node labels first (pods wait on them), then status."""
    pods = PodIndex(snapshot.pods)
    held = frozenset(namespace for namespace, _ in snapshot.plan_errors)
    patches = node_patches(snapshot, pods, replace(scope, held=scope.held | held))
    for plan in sorted(snapshot.plans, key=lambda p: p.key):
        patches += plan_patches(plan, snapshot, pods, reports.get(plan.key), now)
    return patches
