"""The node-label plan: which labels the nodes of a runtime's workers carry
(upstream `pkg/ddc/alluxio/node.go`, `label.go`).

Upstream's controller computes and applies these labels at run time. Here the compiler writes
the rules into git (a ConfigMap per runtime, so every change shows in a diff) and the syncer
only applies them: it finds the worker pods with `workers.selector`, labels their nodes with
`labels`, and removes the labels it owns from nodes that no longer run one.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

from fluid_render.plan.naming import LABEL_LIMIT, fit, label_key

DATASET_NUM = "fluid.io/dataset-num"
EXCLUSIVE = "fluid_exclusive"
PLAN_LABEL = "fluid-render.io/plan"
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def capacity(amount: float) -> str:
    """Upstream's label value for a capacity: four significant digits, binary units.

    `3GiB`, `500GiB`, `186.3GiB` for 200G, `1.5GiB` (docker/go-units `BytesSize`).
    """
    index = 0
    while amount >= 1024 and index < len(_UNITS) - 1:
        amount /= 1024
        index += 1
    return f"{amount:.4g}{_UNITS[index]}"


def dataset_label(namespace: str, name: str) -> str:
    """`fluid.io/s-<ns>-<name>`: on the nodes of a runtime's workers, counted by `dataset-num`,
    and what the PV's node affinity asks for (upstream `pkg/utils/dataset/lifecycle/node.go`)."""
    return label_key("fluid.io/s-", namespace, name)


def runtime_label(runtime_type: str, namespace: str, name: str) -> str:
    """`fluid.io/s-<type>-<ns>-<name>` (upstream `GetRuntimeLabelName`)."""
    return label_key(f"fluid.io/s-{runtime_type}-", namespace, name)


def capacity_label(runtime_type: str, medium: str, namespace: str, name: str) -> str:
    """`fluid.io/s-h-<type>-<m|d|t>-<ns>-<name>`: memory, disk and total cache of a worker's node
    (upstream `GetLabelNameForMemory`, `...ForDisk`, `...ForTotal`)."""
    return label_key(f"fluid.io/s-h-{runtime_type}-{medium}-", namespace, name)


def fuse_label(namespace: str, name: str) -> str:
    """`fluid.io/f-<ns>-<name>`: set by the CSI driver on the nodes where the FUSE may run
    (upstream `GetFuseLabelName`)."""
    return label_key("fluid.io/f-", namespace, name)


def exclusive_value(namespace: str, name: str) -> str:
    """The value of `fluid_exclusive` on a node an Exclusive runtime's worker holds."""
    return fit(f"{namespace}_{name}", LABEL_LIMIT - 1)


def node_label_keys(runtime_type: str, namespace: str, name: str) -> frozenset[str]:
    """Every label a runtime's plan may put on a node, but `EXCLUSIVE`: the syncer refuses a
    plan asking for any other (a plan is a ConfigMap its namespace's users can write, and the
    syncer may label any node)."""
    capacities = (capacity_label(runtime_type, m, namespace, name) for m in "mdt")
    return frozenset(
        {runtime_label(runtime_type, namespace, name), dataset_label(namespace, name), *capacities}
    )


SYNC_PLAN_FORMAT = 1


def cache_affinity(node_selector: dict[str, str], affinity: dict[str, Any]) -> dict[str, Any]:
    """The workers' node affinity with their nodeSelector folded into every required term, as
    upstream records it in `status.cacheAffinity` (`pkg/utils/kubeclient/pod.go`
    `MergeNodeSelectorAndNodeAffinity`; here the expressions are sorted by key)."""
    merged: dict[str, Any] = json.loads(json.dumps(affinity.get("nodeAffinity") or {}))
    required = merged.setdefault(
        "requiredDuringSchedulingIgnoredDuringExecution", {"nodeSelectorTerms": []}
    )
    expressions = [
        {"key": key, "operator": "In", "values": [value]}
        for key, value in sorted(node_selector.items())
    ]
    if expressions:
        terms = required["nodeSelectorTerms"] or [{}]
        for term in terms:
            term["matchExpressions"] = [*term.get("matchExpressions", []), *expressions]
        required["nodeSelectorTerms"] = terms
    return merged


RUNTIME_CATEGORY = "Accelerate"


def sync_plan(
    *,
    kind: str,
    runtime_type: str,
    namespace: str,
    name: str,
    labels: dict[str, str],
    worker_name: str,
    worker_selector: dict[str, str],
    master_name: str,
    master_replicas: int,
    fuse_name: str,
    fuse_label: str,
    fuse_clean_policy: str,
    endpoints: dict[str, Any],
    mounts: list[dict[str, Any]],
    worker_affinity: dict[str, Any],
) -> dict[str, Any]:
    """Everything the syncer needs for one runtime: label rules, workloads, where to ask.

    `format` versions this contract: the syncer refuses a plan whose format it does not know.
    `runtime.masterReplicas` is `spec.master.replicas` as given (0 when unset), which is what
    upstream writes into `Dataset.status.runtimes` (`pkg/utils/dataset/lifecycle`), and
    `dataset.mounts` is the mount list `Dataset.status.mounts` copies when the dataset binds,
    `runtime.cacheAffinity` what the runtime's `status.cacheAffinity` holds. `endpoints` (where
    the syncer asks the master) are the runtime kind's own.
    """
    # Long: the plan's JSON document written out key by key, in the format the syncer reads
    # (`fluid_render/sync/plan.py`); nothing is computed here.
    plan: dict[str, Any] = {
        "format": SYNC_PLAN_FORMAT,
        "runtime": {
            "kind": kind,
            "namespace": namespace,
            "name": name,
            "type": runtime_type,
            "category": RUNTIME_CATEGORY,
            "masterReplicas": master_replicas,
            "cacheAffinity": worker_affinity,
        },
        "dataset": {"namespace": namespace, "name": name, "mounts": mounts},
        "nodeLabels": {
            "onNodesOf": "workers",
            "labels": labels,
            "datasetNum": {
                "label": DATASET_NUM,
                "rule": "number of runtimes whose labels the syncer has put on the node, added "
                "to the value found there before, as a decimal string; removed at zero",
                "countedLabel": dataset_label(namespace, name),
            },
            "removeOnlyIfValueMatches": [EXCLUSIVE] if EXCLUSIVE in labels else [],
        },
        "fuseLabel": {
            "label": fuse_label,
            "setBy": "CSI driver fuse.csi.fluid.io when a pod using the PVC is staged",
            "cleanPolicy": fuse_clean_policy,
        },
        "workloads": _workloads(master_name, worker_name, worker_selector, fuse_name),
        "endpoints": endpoints,
        "operations": [],
    }
    return plan


def _workloads(master: str, workers: str, selector: dict[str, str], fuse: str) -> dict[str, Any]:
    """The workloads of a runtime; all three update their pods only when a pod is deleted."""
    on_delete = {"updateStrategy": "OnDelete"}
    return {
        "master": {"kind": "StatefulSet", "name": master, **on_delete},
        "workers": {"kind": "StatefulSet", "name": workers, "selector": selector, **on_delete},
        "fuse": {"kind": "DaemonSet", "name": fuse, **on_delete},
    }


def plan_operation(
    kind: str, name: str, job_kind: str, job_name: str, backup_path: str | None
) -> dict[str, Any]:
    """One DataLoad/DataBackup of the runtime: the Job or CronJob whose state it reports."""
    entry: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "job": {"kind": job_kind, "name": job_name},
    }
    if backup_path is not None:
        entry["backupPath"] = backup_path
    return entry


def with_operations(plan_json: str, operations: list[dict[str, Any]]) -> str:
    """The text of a plan `sync_plan` made (it lists no operations) with the runtime's
    operations added: they are planned after the runtime. Most runtimes have none, and their
    text is returned as it is, not parsed again."""
    if not operations:
        return plan_json
    plan = json.loads(plan_json)
    plan["operations"] = sorted(operations, key=lambda op: (op["kind"], op["name"]))
    return dump_plan(plan)


def dump_plan(plan: dict[str, Any]) -> str:
    """The plan as it is written into the ConfigMap: sorted keys, stable bytes.

    The bytes of `json.dumps(plan, indent=2, sort_keys=True, ensure_ascii=False)`, written
    directly: with `indent` the standard library falls back to its pure-Python encoder, which
    cost more than the rest of planning.
    """
    parts: list[str] = []
    _dump(plan, "\n", parts)
    parts.append("\n")
    return "".join(parts)


def _dump(value: Any, newline: str, parts: list[str]) -> None:
    """One JSON value, its nested lines starting with `newline` plus two spaces."""
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in sorted(value.items()):
            parts.append(separator)
            parts.append(encode_basestring(key if isinstance(key, str) else _scalar(key)))
            parts.append(": ")
            _dump(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _dump(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    else:
        parts.append(_scalar(value))


def _scalar(value: Any) -> str:
    """null, a boolean or a number as `json.dumps` spells it (a key too, before quoting)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
