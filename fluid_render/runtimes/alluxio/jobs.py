"""What every operation Job shares: its typed values, the planning context, the init
container that waits for the runtime and predecessors, and the volumes of its scripts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from fluid_render.bind import Bundle
from fluid_render.errors import Problem
from fluid_render.objects import MANAGED_BY, SERVICE_ACCOUNT
from fluid_render.runtimes.alluxio.basics import normalised
from fluid_render.runtimes.alluxio.ordering import operation_key, problem
from fluid_render.runtimes.alluxio.values import Values
from fluid_render.runtimes.protocol import Key, Order
from fluid_render.validate import Spec

WAIT_TIMEOUT = "24h"
CRON_NAME_LIMIT = 52  # a CronJob adds 11 characters to name its Jobs


@dataclass(frozen=True)
class Job:
    """What a kind of operation (DataLoad, DataBackup) decides about its Job and its scripts."""

    job_name: str
    cron: bool
    schedule: str | None
    script_name: str
    scripts: dict[str, str]
    labels: dict[str, str]
    job_labels: dict[str, str]
    pod_labels: dict[str, str]
    pod_annotations: dict[str, str]
    pod: dict[str, Any]
    containers: list[dict[str, Any]]
    init_containers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    service_account: str | None


@dataclass(frozen=True)
class Operation(Job):
    """Everything the operation templates print for one DataLoad or DataBackup: its Job, and
    what `JobContext.operation` derives alike for every kind."""

    kind: str
    name: str
    namespace: str
    dataset: str
    depth: int  # how many operations it waits for: its Job runs that many waves later
    pull_secrets: list[dict[str, str]]
    object: dict[str, Any]


@dataclass(frozen=True)
class JobContext:
    """What planning one operation of a bundle reads, and where its problems go."""

    bundle: Bundle
    values: Values
    orders: Mapping[Key, Order]
    scripts: Mapping[str, str]
    kubectl_image: str
    problems: list[Problem]

    def order(self, spec: Spec[Any]) -> Order:
        return self.orders[operation_key(spec)]

    def operation(self, spec: Spec[Any], job: Job) -> Operation:
        """The operation `spec` runs as `job`, in its runtime's namespace and wave order."""
        values = self.values
        return Operation(
            **{field.name: getattr(job, field.name) for field in fields(Job)},
            kind=spec.kind,
            name=spec.name,
            namespace=spec.namespace,
            dataset=self.bundle.name,
            depth=self.order(spec).depth,
            pull_secrets=values.worker.pod.pull_secrets,
            object=normalised(spec, values.dataset_id, values.dataset_labels),
        )

    def problem(self, spec: Spec[Any], path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(problem(spec, path, message))

    def scripts_of(
        self, config_map: str, files: Sequence[tuple[str, str, str]]
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """An operation's scripts, each `(key, chart script, file name under /scripts)`: its
        ConfigMap's data, and the volume that mounts them as executable files (mode 0555, as
        upstream)."""
        data = {key: self.scripts[source] for key, source, _ in files}
        items = [{"key": key, "path": path, "mode": 0o555} for key, _, path in files]
        return data, {"name": "script", "configMap": {"name": config_map, "items": items}}


def operation_labels(values: Values, app: str, instance: str) -> dict[str, str]:
    """The dataset's own labels, then those upstream's operation charts set (their library)."""
    return {
        **values.dataset_labels,
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "fluid.io/managed-by": "fluid",
        "fluid.io/dataset-id": values.dataset_id,
    }


def waiting(
    values: Values, order: Order, kubectl_image: str, wait_env: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """The init containers: the predecessor's Job first (if any), then the runtime's master."""
    containers: list[dict[str, Any]] = []
    account = None
    if order.after_job is not None:
        account = SERVICE_ACCOUNT
        job = f"job/{order.after_job}"
        containers += [
            {
                "name": "wait-for-previous-job",
                "image": kubectl_image,
                "args": ["wait", "--for=create", f"--timeout={WAIT_TIMEOUT}", job],
            },
            {
                "name": "wait-for-previous-run",
                "image": kubectl_image,
                "args": ["wait", "--for=condition=complete", f"--timeout={WAIT_TIMEOUT}", job],
            },
        ]
    containers.append(
        {
            "name": "wait-for-runtime",
            "image": values.image.ref,
            "imagePullPolicy": values.image.pull_policy,
            "command": ["/bin/bash", "/scripts/wait-for-runtime.sh"],
            "env": wait_env,
            "envFrom": [{"configMapRef": {"name": values.config_name}}],
            "volumeMounts": [
                {"name": "script", "mountPath": "/scripts"},
                {"name": "mount-table", "mountPath": "/etc/fluid/mount"},
            ],
        }
    )
    return containers, account


def client_env(values: Values) -> list[dict[str, Any]]:
    return [
        {
            "name": "ALLUXIO_CLIENT_HOSTNAME",
            "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
        },
        {
            "name": "ALLUXIO_CLIENT_JAVA_OPTS",
            "value": "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
        },
        {"name": "FLUID_DATASET", "value": f"{values.namespace}/{values.name}"},
    ]


def mount_table_volume(values: Values) -> dict[str, Any]:
    return {
        "name": "mount-table",
        "configMap": {
            "name": values.mount_config_name,
            "items": [{"key": "mount.info", "path": "mount.info"}],
        },
    }


def tool(values: Values, name: str, script: str) -> dict[str, Any]:
    """The container that runs an operation's script with the runtime's image."""
    return {
        "name": name,
        "image": values.image.ref,
        "imagePullPolicy": values.image.pull_policy,
        "command": ["/bin/sh", "-c"],
        "args": [script],
    }


def inside(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")
