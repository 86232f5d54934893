"""The node-label plan: which labels the nodes of a runtime's workers carry (upstream 5).

Upstream's controller computes and applies these labels at run time. Here the compiler writes
the rules into git (a ConfigMap per runtime, so every change shows in a diff) and the syncer
only applies them: it finds the worker pods with `workers.selector`, labels their nodes with
`labels`, and removes the labels it owns from nodes that no longer run one.
"""

from __future__ import annotations

from typing import Any

from fluid_render.plan.naming import LABEL_LIMIT, fit, label_key
from fluid_render.plan.tieredstore import Tier

DATASET_NUM = "fluid.io/dataset-num"
EXCLUSIVE = "fluid_exclusive"
PLAN_LABEL = "fluid-render.io/plan"
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
# What the chart caches when the spec has no tiers (3.6): MEM, 1G.
DEFAULT_CAPACITY = 10**9


def capacity(amount: float) -> str:
    """Upstream's label value for a capacity: four significant digits, binary units.

    `3GiB`, `500GiB`, `186.3GiB` for 200G, `1.5GiB` (docker/go-units `BytesSize`).
    """
    index = 0
    while amount >= 1024 and index < len(_UNITS) - 1:
        amount /= 1024
        index += 1
    return f"{amount:.4g}{_UNITS[index]}"


def node_labels(
    namespace: str, name: str, tiers: tuple[Tier, ...], exclusive: bool
) -> dict[str, str]:
    """The labels of every node running one of this runtime's workers, sorted by key."""
    labels = {
        label_key("fluid.io/s-alluxio-", namespace, name): "true",
        label_key("fluid.io/s-", namespace, name): "true",
    }
    if exclusive:
        labels[EXCLUSIVE] = fit(f"{namespace}_{name}", LABEL_LIMIT - 1)
    memory = sum(sum(t.path_bytes) for t in tiers if t.alias == "MEM")
    disk = sum(sum(t.path_bytes) for t in tiers if t.alias != "MEM")
    if not any(t.path_bytes for t in tiers):
        memory = DEFAULT_CAPACITY
    if memory:
        labels[label_key("fluid.io/s-h-alluxio-m-", namespace, name)] = capacity(memory)
    if disk:
        labels[label_key("fluid.io/s-h-alluxio-d-", namespace, name)] = capacity(disk)
    labels[label_key("fluid.io/s-h-alluxio-t-", namespace, name)] = capacity(memory + disk)
    return dict(sorted(labels.items()))


def sync_plan(
    *,
    namespace: str,
    name: str,
    labels: dict[str, str],
    worker_name: str,
    worker_selector: dict[str, str],
    master_name: str,
    master_services: list[str],
    fuse_name: str,
    fuse_label: str,
    fuse_clean_policy: str,
    ports: dict[str, int],
    api_gateway: bool,
) -> dict[str, Any]:
    """Everything the syncer needs for one runtime: label rules, workloads, where to ask."""
    service = f"{master_services[0]}.{namespace}"
    plan: dict[str, Any] = {
        "runtime": {"kind": "AlluxioRuntime", "namespace": namespace, "name": name},
        "nodeLabels": {
            "onNodesOf": "workers",
            "labels": labels,
            "datasetNum": {
                "label": DATASET_NUM,
                "rule": "number of fluid.io/s-<namespace>-<name> labels the syncer has put on "
                "the node, written as a decimal string; removed when it drops to zero",
                "countedLabel": label_key("fluid.io/s-", namespace, name),
            },
            "removeOnlyIfValueMatches": [EXCLUSIVE] if EXCLUSIVE in labels else [],
        },
        "fuseLabel": {
            "label": fuse_label,
            "setBy": "CSI driver fuse.csi.fluid.io when a pod using the PVC is staged",
            "cleanPolicy": fuse_clean_policy,
        },
        "workloads": {
            "master": {"kind": "StatefulSet", "name": master_name},
            "workers": {"kind": "StatefulSet", "name": worker_name, "selector": worker_selector},
            "fuse": {"kind": "DaemonSet", "name": fuse_name},
        },
        "endpoints": {
            "masterService": master_services[0],
            "hcfs": f"alluxio://{service}:{ports['master.rpc']}",
            "masterRpcPort": ports["master.rpc"],
            "masterWebPort": ports["master.web"],
        },
    }
    if api_gateway:
        plan["endpoints"]["apiGateway"] = f"{service}:{ports['apiGateway.web']}"
    return plan
