"""The master pod (master, job master, API gateway) and its headless Services."""

from __future__ import annotations

from typing import Any

from fluid_render.runtimes.alluxio.basics import (
    ISTIO,
    LEVEL0_ENV,
    WORKDIR,
    parse_backup_path,
)
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.users import plan_init_users
from fluid_render.runtimes.alluxio.values import Container, MasterValues, Pod

STARTUP_PROBE = "/etc/fluid/scripts/mount.sh >/proc/1/fd/1 2>&1"


def plan_master(c: Context) -> MasterValues:
    """The master pod and its headless Services (upstream `transform.go`, `transformMasters`)."""
    # Long: one pod spec (three containers, their volumes, the Services' ports) read in the
    # order the template prints it; split, the volume and mount lists would drift apart.
    spec, shared, ports = c.component("master"), c.shared, c.ports
    pod_labels, pod_annotations = c.pod_metadata(spec.pod_metadata)
    user_volumes, user_mounts = c.user_volumes("master", spec.volume_mounts)
    selector = {"app": "alluxio", "role": "alluxio-master", "name": c.master_name}
    env_map = {**(spec.env or {}), LEVEL0_ENV: c.level0}
    restore_volumes, restore_mounts, restore_node = restore(c, env_map)
    hostname = c.field_env(
        "ALLUXIO_MASTER_HOSTNAME", "status.podIP" if c.replicas == 1 else "metadata.name"
    )
    master_ports = [
        {"name": "rpc", "containerPort": ports["master.rpc"]},
        {"name": "web", "containerPort": ports["master.web"]},
    ]
    job_ports = [
        {"name": "job-rpc", "containerPort": ports["jobMaster.rpc"]},
        {"name": "job-web", "containerPort": ports["jobMaster.web"]},
    ]
    if c.replicas > 1:
        master_ports.append({"name": "embedded", "containerPort": ports["master.embeddedJournal"]})
        job_ports.append(
            {"name": "job-embedded", "containerPort": ports["jobMaster.embeddedJournal"]}
        )
    # Metadata backups (`fsadmin backup --local`) land here, on the master's node, where a
    # DataBackup Job beside it picks them up; mounted always, so adding one needs no restart.
    backup_dir = f"{WORKDIR}/alluxio-backup/{c.namespace}/{c.name}"
    scripts = [
        {"key": "entrypoint.script", "path": "entrypoint.sh", "mode": 0o550},
        {"key": "mount.script", "path": "mount.sh", "mode": 0o550},
        {"key": "mount.info", "path": "mount.info", "mode": 0o444},
    ]
    volumes = [
        {
            "name": "alluxio-mount-conf",
            "configMap": {"name": c.names.mount_config, "items": scripts},
        },
        *restore_volumes,
        *shared.hdfs.volumes,
        *shared.users.volumes,
        {"name": "alluxio-journal", "emptyDir": {"sizeLimit": "30Gi"}},
        {
            "name": "alluxio-backup",
            "hostPath": {"path": backup_dir, "type": "DirectoryOrCreate"},
        },
        *shared.ufs.volumes,
        *user_volumes,
        *shared.secrets.volumes,
    ]
    master = Container(
        resources=c.resources(spec.resources),
        env=[hostname, *c.env(env_map)],
        ports=master_ports,
        volume_mounts=[
            *restore_mounts,
            *shared.hdfs.mounts,
            *shared.users.mounts,
            {"name": "alluxio-journal", "mountPath": "/journal"},
            {"name": "alluxio-backup", "mountPath": "/alluxio_backups"},
            *shared.ufs.mounts,
            *user_mounts,
            *shared.secrets.mounts,
            {"name": "alluxio-mount-conf", "mountPath": "/etc/fluid/scripts"},
        ],
    )
    job_master = Container(
        resources=c.resources(c.component("job_master").resources),
        env=[hostname],
        ports=job_ports,
        volume_mounts=[
            *shared.hdfs.mounts,
            *shared.users.mounts,
            *shared.ufs.mounts,
            *user_mounts,
            *shared.secrets.mounts,
        ],
    )
    gateway = c.runtime.api_gateway
    api_gateway = None
    if gateway is not None and gateway.enabled:
        api_gateway = Container(
            resources=c.resources(gateway.resources),
            env=[c.field_env("ALLUXIO_MASTER_HOSTNAME", "status.podIP")],
            ports=[{"name": "rest", "containerPort": ports["apiGateway.web"]}],
            volume_mounts=[],
        )
    required = c.required_affinity
    pod = Pod(
        labels={**c.labels, **selector, **ISTIO, **pod_labels} | {"app": "alluxio", **selector},
        annotations={**ISTIO, **pod_annotations},
        host_network=spec.network_mode != "ContainerNetwork",
        node_selector=dict(sorted({**(spec.node_selector or {}), **restore_node}.items())),
        tolerations=c.tolerations,
        affinity=(
            {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}
            if required and c.mounts.has_local
            else {}
        ),
        pull_secrets=c.pull_secrets(spec.image_pull_secrets),
        volumes=volumes,
    )
    service_labels = {**c.labels, "role": "alluxio-master"}
    if not c.runtime.disable_prometheus:
        service_labels["monitor"] = "alluxio_runtime_metrics"
    service_ports = [
        {"name": p["name"], "port": p["containerPort"]} for p in master_ports + job_ports
    ]
    if api_gateway is not None:
        service_ports.insert(4, {"name": "rest", "port": ports["apiGateway.web"]})
    return MasterValues(
        name=c.master_name,
        labels={**c.labels, "name": c.master_name, "role": "alluxio-master"},
        selector=selector,
        replicas=c.replicas,
        services=c.services,
        service_selectors={
            service: {
                **selector,
                "release": c.name,
                "statefulset.kubernetes.io/pod-name": service,
            }
            for service in c.services
        },
        pod=pod,
        container=master,
        job_master=job_master,
        api_gateway=api_gateway,
        init_users=plan_init_users(c),
        startup_probe=STARTUP_PROBE,
        service_labels=service_labels,
        service_ports=service_ports,
        backup_dir=backup_dir,
    )


def restore(
    c: Context, env: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """`dataRestoreLocation`: the master starts from a metadata backup (`transformMasters`)."""
    location = c.dataset.data_restore_location
    if location is None or not location.path:
        return [], [], {}
    archive = f"metadata-backup-{c.name}-{c.namespace}.gz"
    pvc, path = parse_backup_path(location.path)
    if pvc is not None:
        env["JOURNAL_BACKUP"] = f"/pvc{path}{archive}"
        return (
            [{"name": "pvc", "persistentVolumeClaim": {"claimName": pvc}}],
            [{"name": "pvc", "mountPath": "/pvc"}],
            {},
        )
    env["JOURNAL_BACKUP"] = f"/host/{archive}"
    node = {"kubernetes.io/hostname": location.node_name} if location.node_name else {}
    return (
        [{"name": "host", "hostPath": {"path": path, "type": "DirectoryOrCreate"}}],
        [{"name": "host", "mountPath": "/host"}],
        node,
    )
