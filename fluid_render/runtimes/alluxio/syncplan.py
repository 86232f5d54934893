"""The sync plan of one runtime: its node labels, workloads and endpoints."""

from __future__ import annotations

from typing import Any

from fluid_render.plan.nodelabels import (
    EXCLUSIVE,
    cache_affinity,
    capacity,
    capacity_label,
    dataset_label,
    dump_plan,
    exclusive_value,
    runtime_label,
    sync_plan,
)
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.tieredstore import Tier
from fluid_render.runtimes.alluxio.values import WorkerValues

RUNTIME_TYPE = "alluxio"
"""The runtime type in label names and the plan (upstream `common.AlluxioRuntime`)."""
# What the chart caches when the spec has no tiers: MEM, 1G.
UNTIERED_CACHE = 10**9


def node_labels(
    namespace: str, name: str, tiers: tuple[Tier, ...], exclusive: bool
) -> dict[str, str]:
    """The labels of every node running one of this runtime's workers, sorted by key."""
    labels = {
        runtime_label(RUNTIME_TYPE, namespace, name): "true",
        dataset_label(namespace, name): "true",
    }
    if exclusive:
        labels[EXCLUSIVE] = exclusive_value(namespace, name)
    memory = sum(sum(t.path_bytes) for t in tiers if t.alias == "MEM")
    disk = sum(sum(t.path_bytes) for t in tiers if t.alias != "MEM")
    if not any(t.path_bytes for t in tiers):
        memory = UNTIERED_CACHE
    if memory:
        labels[capacity_label(RUNTIME_TYPE, "m", namespace, name)] = capacity(memory)
    if disk:
        labels[capacity_label(RUNTIME_TYPE, "d", namespace, name)] = capacity(disk)
    labels[capacity_label(RUNTIME_TYPE, "t", namespace, name)] = capacity(memory + disk)
    return dict(sorted(labels.items()))


def plan_sync(c: Context, worker: WorkerValues, api_gateway: bool) -> str:
    plan = sync_plan(
        kind="AlluxioRuntime",
        runtime_type=RUNTIME_TYPE,
        namespace=c.namespace,
        name=c.name,
        labels=node_labels(c.namespace, c.name, c.tiers, exclusive=worker.placement == "Exclusive"),
        worker_name=c.names.worker,
        worker_selector=worker.selector,
        master_name=c.master_name,
        master_replicas=(c.runtime.master.replicas or 0) if c.runtime.master else 0,
        fuse_name=c.names.fuse,
        fuse_label=c.fuse_label,
        fuse_clean_policy=c.fuse.clean_policy or "OnRuntimeDeleted",
        endpoints=_endpoints(c.services[0], c.namespace, c.ports, api_gateway),
        mounts=c.ds.model.model_dump(by_alias=True, exclude_unset=True)["spec"].get("mounts", []),
        worker_affinity=cache_affinity(worker.pod.node_selector, worker.pod.affinity),
    )
    return dump_plan(plan)


def _endpoints(
    master: str, namespace: str, ports: dict[str, int], api_gateway: bool
) -> dict[str, Any]:
    """Where the syncer asks the master: its Service (its pod has the same name), the HCFS URL
    and the RPC and web ports (`pkg/ddc/alluxio/hcfs.go`, `queryHCFSEndpoint`)."""
    service = f"{master}.{namespace}"
    endpoints: dict[str, Any] = {
        "masterService": master,
        "masterPod": master,
        "hcfs": f"alluxio://{service}:{ports['master.rpc']}",
        "masterRpcPort": ports["master.rpc"],
        "masterWebPort": ports["master.web"],
    }
    if api_gateway:
        endpoints["apiGateway"] = f"{service}:{ports['apiGateway.web']}"
    return endpoints
