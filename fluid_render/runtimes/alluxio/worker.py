"""The worker pod in its final state: resources, replicas and placement."""

from __future__ import annotations

from typing import Any

from fluid_render.plan import quantity
from fluid_render.runtimes.alluxio.basics import (
    ISTIO,
    LEVEL0_ENV,
)
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.tieredstore import memory_bytes
from fluid_render.runtimes.alluxio.users import plan_init_users
from fluid_render.runtimes.alluxio.values import Container, Pod, WorkerValues


def _is_true(key: str) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": ["true"]}


def _anti_affinity(placement: str) -> dict[str, Any]:
    """Exclusive: one worker of any dataset per node. Shared: prefer spreading, never join an
    Exclusive worker (upstream `transform.go`, `transformPlacementMode`)."""
    anyone = {
        "labelSelector": {"matchExpressions": [{"key": "fluid.io/dataset", "operator": "Exists"}]},
        "topologyKey": "kubernetes.io/hostname",
    }
    if placement != "Shared":
        return {"requiredDuringSchedulingIgnoredDuringExecution": [anyone]}
    exclusive = {
        "labelSelector": {
            "matchExpressions": [
                {"key": "fluid.io/dataset-placement", "operator": "In", "values": ["Exclusive"]}
            ]
        },
        "topologyKey": "kubernetes.io/hostname",
    }
    return {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": anyone}
        ],
        "requiredDuringSchedulingIgnoredDuringExecution": [exclusive],
    }


def plan_worker_resources(c: Context) -> dict[str, Any]:
    """The worker's resources with the memory request raised to the MEM tier (upstream
    `transform_resources.go`, `transformResourcesForWorker`)."""
    memory = memory_bytes(c.tiers)
    resources = c.resources(c.component("worker").resources)
    requests = dict(resources.get("requests", {}))
    limit = resources.get("limits", {}).get("memory")
    if memory > 0:
        requested = requests.get("memory")
        if requested is None or memory > quantity.to_bytes(requested):
            requests["memory"] = quantity.canonical(memory, binary=True)
        if limit is not None and quantity.to_bytes(limit) < memory:
            c.problem(
                c.rt,
                ("spec", "worker", "resources", "limits", "memory"),
                f"{limit} is less than the MEM tier quota "
                f"{quantity.canonical(memory, binary=True)} it must hold",
            )
    if requests:
        resources["requests"] = dict(sorted(requests.items()))
    return resources


def plan_worker(c: Context, resources: dict[str, Any]) -> WorkerValues:
    """The worker pod in its final state: replicas and placement (`transformWorkers`)."""
    # Long: the worker and job-worker containers share volumes and env; one place keeps their
    # lists in the order upstream's chart prints them.
    spec, shared, ports = c.component("worker"), c.shared, c.ports
    placement = c.dataset.placement or "Exclusive"
    labels = {
        **c.labels,
        "role": "alluxio-worker",
        "fluid.io/dataset": c.dataset_id,
        "fluid.io/dataset-placement": placement,
    }
    selector = {"app": "alluxio", "release": c.name, "role": "alluxio-worker"}
    pod_labels, pod_annotations = c.pod_metadata(spec.pod_metadata)
    user_volumes, user_mounts = c.user_volumes("worker", spec.volume_mounts)
    host_network = spec.network_mode != "ContainerNetwork"
    env = [c.field_env("ALLUXIO_WORKER_HOSTNAME", "status.hostIP")]
    if not host_network:
        env.append(c.field_env("ALLUXIO_WORKER_CONTAINER_HOSTNAME", "status.podIP"))
    mounts = [
        *shared.hdfs.mounts,
        *shared.users.mounts,
        *shared.ufs.mounts,
        *shared.tiers.mounts,
        *user_mounts,
    ]
    worker = Container(
        resources=resources,
        env=[*env, *c.env({**(spec.env or {}), LEVEL0_ENV: c.level0})],
        ports=[
            {"name": "rpc", "containerPort": ports["worker.rpc"]},
            {"name": "web", "containerPort": ports["worker.web"]},
        ],
        volume_mounts=mounts,
    )
    job_worker = Container(
        resources=c.resources(c.component("job_worker").resources),
        env=env,
        ports=[
            {"name": "job-rpc", "containerPort": ports["jobWorker.rpc"]},
            {"name": "job-data", "containerPort": ports["jobWorker.data"]},
            {"name": "job-web", "containerPort": ports["jobWorker.web"]},
        ],
        volume_mounts=mounts,
    )
    node_affinity: dict[str, Any] = {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [_is_true(c.fuse_label)]}}
        ]
    }
    if c.required_affinity:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = c.required_affinity
    pod = Pod(
        labels={
            **labels,
            **ISTIO,
            **pod_labels,
            **selector,
            "fluid.io/dataset": c.dataset_id,
        },
        annotations={**ISTIO, **pod_annotations},
        host_network=host_network,
        node_selector=dict(sorted((spec.node_selector or {}).items())),
        tolerations=c.tolerations,
        affinity={"nodeAffinity": node_affinity, "podAntiAffinity": _anti_affinity(placement)},
        pull_secrets=c.pull_secrets(spec.image_pull_secrets),
        volumes=[
            *shared.hdfs.volumes,
            *shared.users.volumes,
            *shared.ufs.volumes,
            *shared.tiers.volumes,
            *user_volumes,
        ],
    )
    return WorkerValues(
        name=c.names.worker,
        replicas=c.runtime.replicas or 0,
        placement=placement,
        labels=labels,
        selector=selector,
        pod=pod,
        container=worker,
        job_worker=job_worker,
        init_users=plan_init_users(c, ["chmod_tierpath"], shared.tiers.mounts),
    )
