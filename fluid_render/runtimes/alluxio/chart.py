"""The binding of charts/alluxio: which templates render which objects of a runtime and of its
data operations (the templates and scripts stay in charts/alluxio, the layout users know)."""

from __future__ import annotations

from fluid_render.objects import ObjectGroup, Placed, row, runtime_row
from fluid_render.runtimes.alluxio.jobs import Operation
from fluid_render.runtimes.alluxio.values import Values

CHART = "charts/alluxio"
"""The shipped folder of this runtime's templates and scripts."""


def runtime_objects(values: Values) -> ObjectGroup:
    """The objects one Dataset + AlluxioRuntime consists of."""
    objects = [
        Placed(row("dataset.yaml.j2", "Dataset"), values.name),
        Placed(runtime_row("AlluxioRuntime"), values.name),
        Placed(row("config.yaml.j2", "ConfigMap"), values.config_name),
        Placed(row("mount-config.yaml.j2", "ConfigMap"), values.mount_config_name),
        Placed(row("sync-plan.yaml.j2", "ConfigMap"), values.sync_plan_name),
        *[
            Placed(row("master-service.yaml.j2", "Service"), service, {"service": service})
            for service in values.master.services
        ],
        Placed(row("master-statefulset.yaml.j2", "StatefulSet"), values.master.name),
        Placed(row("worker-statefulset.yaml.j2", "StatefulSet"), values.worker.name),
        Placed(row("fuse-daemonset.yaml.j2", "DaemonSet"), values.fuse.name),
        Placed(row("persistentvolume.yaml.j2", "PersistentVolume"), values.volume.pv_name),
        Placed(
            row("persistentvolumeclaim.yaml.j2", "PersistentVolumeClaim"), values.volume.pvc_name
        ),
    ]
    return ObjectGroup(values.namespace, values.name, {"v": values}, objects, CHART)


def operation_objects(op: Operation) -> ObjectGroup:
    """A DataLoad or DataBackup: its own object, its scripts and its Job (or CronJob)."""
    job_kind = "CronJob" if op.cron else "Job"
    objects = [
        Placed(row("operation.yaml.j2", op.kind), op.name),
        Placed(row("operation-scripts.yaml.j2", "ConfigMap"), op.script_name),
        Placed(row("operation-job.yaml.j2", job_kind), op.job_name, later=op.depth),
    ]
    return ObjectGroup(op.namespace, op.dataset, {"op": op}, objects, CHART)
