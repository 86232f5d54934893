"""The sync plan as the syncer reads it: the `plan.json` of a `<name>-sync-plan` ConfigMap.

The compiler writes it (`fluid_render/plan/nodelabels.py`); the syncer trusts only what it
can check here, so a malformed or unknown-format plan is skipped with a reason, never guessed.
A plan is a ConfigMap that anyone who may write ConfigMaps in its namespace can change, while
the syncer may label every node: it acts only on the labels the plan's own runtime may carry
(their names hold its namespace and name), never on a label the plan merely names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fluid_render.plan.nodelabels import (
    EXCLUSIVE,
    SYNC_PLAN_FORMAT,
    dataset_label,
    exclusive_value,
    fuse_label,
    node_label_keys,
)

PLAN_KEY = "plan.json"


class PlanError(ValueError):
    """A plan the syncer cannot act on; the message says why."""


@dataclass(frozen=True)
class Operation:
    kind: str
    name: str
    job_kind: str
    job_name: str
    backup_path: str | None


@dataclass(frozen=True)
class SyncPlan:
    namespace: str
    name: str
    runtime_type: str
    category: str
    master_replicas: int
    cache_affinity: dict[str, Any]
    mounts: tuple[dict[str, Any], ...]
    labels: dict[str, str]
    counted_label: str
    fuse_label: str
    fuse_clean_policy: str
    master: str
    workers: str
    worker_selector: dict[str, str]
    fuse: str
    on_delete: tuple[tuple[str, str], ...]
    master_pod: str
    master_web_port: int
    hcfs: str
    api_gateway: str | None
    operations: tuple[Operation, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def _str_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PlanError(f"{where} must map strings to strings")
    return dict(value)


def _get(tree: Any, *path: str) -> Any:
    node = tree
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise PlanError(f"missing {'.'.join(path)}")
        node = node[part]
    return node


def _text(tree: Any, *path: str) -> str:
    value = _get(tree, *path)
    if not isinstance(value, str) or not value:
        raise PlanError(f"{'.'.join(path)} must be a non-empty string")
    return value


def _int(tree: Any, *path: str) -> int:
    value = _get(tree, *path)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PlanError(f"{'.'.join(path)} must be a non-negative integer")
    return value


def _object(tree: Any, *path: str) -> dict[str, Any]:
    value = _get(tree, *path)
    if not isinstance(value, dict):
        raise PlanError(f"{'.'.join(path)} must be an object")
    return value


def _operation(entry: Any) -> Operation:
    backup = entry.get("backupPath") if isinstance(entry, dict) else None
    if backup is not None and not isinstance(backup, str):
        raise PlanError("operations[].backupPath must be a string")
    return Operation(
        kind=_text(entry, "kind"),
        name=_text(entry, "name"),
        job_kind=_text(entry, "job", "kind"),
        job_name=_text(entry, "job", "name"),
        backup_path=backup,
    )


def parse_plan(config_map: dict[str, Any]) -> SyncPlan:
    """The plan of one ConfigMap; raises PlanError naming the first problem."""
    data = config_map.get("data") or {}
    try:
        tree = json.loads(data.get(PLAN_KEY, ""))
    except json.JSONDecodeError as error:
        raise PlanError(f"{PLAN_KEY} is not JSON: {error.msg}") from None
    if not isinstance(tree, dict) or tree.get("format") != SYNC_PLAN_FORMAT:
        raise PlanError(
            f"unknown plan format {tree.get('format') if isinstance(tree, dict) else None!r}"
        )
    namespace = config_map["metadata"]["namespace"]
    if _text(tree, "runtime", "namespace") != namespace:
        raise PlanError("runtime.namespace differs from the ConfigMap's namespace")
    workloads = _get(tree, "workloads")
    if not isinstance(workloads, dict):
        raise PlanError("workloads must be an object")
    mounts = _get(tree, "dataset", "mounts")
    operations = _get(tree, "operations")
    if not isinstance(mounts, list) or not isinstance(operations, list):
        raise PlanError("dataset.mounts and operations must be lists")
    gateway = tree["endpoints"].get("apiGateway")
    plan = SyncPlan(
        namespace=namespace,
        name=_text(tree, "runtime", "name"),
        runtime_type=_text(tree, "runtime", "type"),
        category=_text(tree, "runtime", "category"),
        master_replicas=_int(tree, "runtime", "masterReplicas"),
        cache_affinity=_object(tree, "runtime", "cacheAffinity"),
        mounts=tuple(mounts),
        labels=_str_map(_get(tree, "nodeLabels", "labels"), "nodeLabels.labels"),
        counted_label=_text(tree, "nodeLabels", "datasetNum", "countedLabel"),
        fuse_label=_text(tree, "fuseLabel", "label"),
        fuse_clean_policy=_text(tree, "fuseLabel", "cleanPolicy"),
        master=_text(tree, "workloads", "master", "name"),
        workers=_text(tree, "workloads", "workers", "name"),
        worker_selector=_str_map(
            _get(tree, "workloads", "workers", "selector"), "workloads.workers.selector"
        ),
        fuse=_text(tree, "workloads", "fuse", "name"),
        on_delete=tuple(
            sorted(
                (w["kind"], w["name"])
                for w in workloads.values()
                if isinstance(w, dict) and w.get("updateStrategy") == "OnDelete"
            )
        ),
        master_pod=_text(tree, "endpoints", "masterPod"),
        master_web_port=_int(tree, "endpoints", "masterWebPort"),
        hcfs=_text(tree, "endpoints", "hcfs"),
        api_gateway=gateway if isinstance(gateway, str) else None,
        operations=tuple(_operation(entry) for entry in operations),
    )
    _only_its_own_labels(plan)
    return plan


_RUNTIME_TYPE = re.compile(r"[a-z][a-z0-9]{0,19}")


def _only_its_own_labels(plan: SyncPlan) -> None:
    """Every label the plan asks for is one its runtime's namespace and name make."""
    if not _RUNTIME_TYPE.fullmatch(plan.runtime_type):
        raise PlanError("runtime.type must be a lower-case word")
    own = node_label_keys(plan.runtime_type, plan.namespace, plan.name)
    for key, value in plan.labels.items():
        if key == EXCLUSIVE and value == exclusive_value(plan.namespace, plan.name):
            continue
        if key not in own:
            raise PlanError(f"nodeLabels.labels: {key!r} is not a label of {plan.key}")
    if plan.counted_label != dataset_label(plan.namespace, plan.name):
        raise PlanError(f"nodeLabels.datasetNum.countedLabel is not the label of {plan.key}")
    if plan.fuse_label != fuse_label(plan.namespace, plan.name):
        raise PlanError(f"fuseLabel.label is not the FUSE label of {plan.key}")
