"""A DataBackup as a Job or CronJob (upstream `pkg/ddc/alluxio/backup_data.go`)."""

from __future__ import annotations

from typing import Any

from fluid_render.api import DataBackup
from fluid_render.plan.naming import fit
from fluid_render.runtimes.alluxio.basics import (
    WORKDIR,
    parse_backup_path,
)
from fluid_render.runtimes.alluxio.jobs import (
    Job,
    JobContext,
    Operation,
    client_env,
    mount_table_volume,
    operation_labels,
    tool,
    waiting,
)
from fluid_render.runtimes.alluxio.users import init_users
from fluid_render.validate import Spec


def databackup(spec: Spec[DataBackup], ctx: JobContext) -> Operation:
    # Long: one Job spec (init containers, container, volumes, labels) in the order the
    # template prints it, as upstream's DataBackup chart values.
    bundle, values, backup = ctx.bundle, ctx.values, spec.model.spec
    if values.master.replicas > 1:
        ctx.problem(
            spec,
            ("spec", "dataset"),
            f"dataset {bundle.name} has {values.master.replicas} masters; a backup lands on "
            "whichever master leads, which a build cannot know, so DataBackup needs a single "
            "master",
        )
    pvc, path = parse_backup_path(backup.backup_path)
    release = f"{spec.name}-charts"
    labels = operation_labels(values, "fluid-databackup", release)
    run_as = backup.run_as or bundle.runtime.model.spec.run_as
    env: list[dict[str, Any]] = [
        {
            "name": "ALLUXIO_JAVA_OPTS",
            "value": f"-Dalluxio.master.hostname={values.master.services[0]}.{values.namespace} "
            f"-Dalluxio.master.rpc.port={values.ports['master.rpc']}",
        },
        {"name": "DATASET_NAMESPACE", "value": values.namespace},
        {"name": "DATASET_NAME", "value": bundle.name},
    ]
    if pvc is not None:
        env.append({"name": "BACKUP_PVC", "value": pvc})
    env.append({"name": "BACKUP_PATH", "value": path})
    mounts: list[dict[str, Any]] = [
        {"name": "backup", "mountPath": "/alluxio_backups"},
        {"name": "script", "mountPath": "/scripts"},
        {"name": "pvc", "mountPath": "/pvc"} if pvc else {"name": "host", "mountPath": "/host"},
    ]
    volumes: list[dict[str, Any]] = [
        {
            "name": "backup",
            "hostPath": {"path": values.master.backup_dir, "type": "DirectoryOrCreate"},
        },
        {"name": "pvc", "persistentVolumeClaim": {"claimName": pvc}}
        if pvc
        else {"name": "host", "hostPath": {"path": path, "type": "DirectoryOrCreate"}},
    ]
    script_name = fit(f"{spec.name}-script")
    scripts, script_volume = ctx.scripts_of(
        script_name,
        [
            ("databackuper.alluxio", "databackup.sh", "databackup.sh"),
            ("wait-for-runtime.sh", "wait-for-runtime.sh", "wait-for-runtime.sh"),
        ],
    )
    volumes += [script_volume, mount_table_volume(values)]
    order = ctx.order(spec)
    init, account = waiting(values, order, ctx.kubectl_image, client_env(values))
    if run_as is not None:
        user_dir = f"{WORKDIR}/backupuser/{spec.namespace}/{spec.name}"
        volumes += [
            {"name": "dir", "hostPath": {"path": user_dir, "type": "DirectoryOrCreate"}},
            {"name": "user", "hostPath": {"path": f"{user_dir}/passwd", "type": "FileOrCreate"}},
            {"name": "group", "hostPath": {"path": f"{user_dir}/group", "type": "FileOrCreate"}},
        ]
        mounts += [
            {"name": "user", "mountPath": "/etc/passwd", "readOnly": True},
            {"name": "group", "mountPath": "/etc/group", "readOnly": True},
        ]
        init.insert(0, init_users(values.init_image, run_as).as_dict())
    # The archive is written by the master into its node's /alluxio_backups: run beside it.
    master_pod = {
        "labelSelector": {
            "matchLabels": {
                "app": "alluxio",
                "release": bundle.name,
                "role": "alluxio-master",
                "statefulset.kubernetes.io/pod-name": values.master.services[0],
            }
        },
        "topologyKey": "kubernetes.io/hostname",
    }
    pod = {
        "affinity": {
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [master_pod]}
        }
    }
    container = {
        **tool(values, "tool", "/scripts/databackup.sh"),
        "securityContext": {
            "runAsUser": run_as.uid if run_as else 0,
            "runAsGroup": run_as.gid if run_as else 0,
        },
        "env": env,
        "volumeMounts": mounts,
    }
    job = Job(
        job_name=order.job_name,
        cron=False,
        schedule=None,
        script_name=script_name,
        scripts=scripts,
        labels=labels,
        job_labels={
            **labels,
            "release": release,
            "role": "databackup-job",
            "targetDataset": bundle.name,
        },
        pod_labels={
            **labels,
            "release": release,
            "role": "databackup-pod",
            "targetDataset": bundle.name,
        },
        pod_annotations={"sidecar.istio.io/inject": "false"},
        pod=pod,
        containers=[container],
        init_containers=init,
        volumes=volumes,
        service_account=account,
    )
    return ctx.operation(spec, job)
