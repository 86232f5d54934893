"""The FUSE client pod on every node that uses the dataset."""

from __future__ import annotations

from typing import Any

from fluid_render.plan import quantity
from fluid_render.runtimes.alluxio.basics import (
    HOST_PID,
    ISTIO,
    TRUE_WORDS,
)
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.tieredstore import memory_bytes
from fluid_render.runtimes.alluxio.users import plan_init_mount_point
from fluid_render.runtimes.alluxio.values import FuseValues, Pod

UNMOUNT = "/opt/alluxio/integration/fuse/bin/alluxio-fuse"


def fuse_resources(c: Context) -> dict[str, Any]:
    """Only with a user memory limit, which grows by the MEM tier (upstream
    `transform_resources.go`, `transformResourcesForFuse`)."""
    limits = (c.fuse.resources.limits if c.fuse.resources else None) or {}
    if "memory" not in limits:
        return {}
    resources = c.resources(c.fuse.resources)
    amount, binary = quantity.parse(limits["memory"])
    total = int(amount) + memory_bytes(c.tiers)
    resources["limits"] = {
        **resources["limits"],
        "memory": quantity.canonical(total, binary=binary),
    }
    return resources


def plan_fuse(c: Context) -> FuseValues:
    """The FUSE client on every node that uses the dataset (`transform_fuse.go`)."""
    # Long: the FUSE container and its pod's volumes pair up entry by entry; kept together.
    # The container is whole, in the order the DaemonSet prints it: inject copies it as is.
    fuse, shared = c.fuse, c.shared
    pod_labels, pod_annotations = c.pod_metadata(fuse.pod_metadata)
    user_volumes, user_mounts = c.user_volumes("fuse", fuse.volume_mounts)
    env_map = dict(fuse.env or {})
    if not c.new_style_fuse:
        env_map["MOUNT_POINT"] = c.mount_path
    image, run_as = c.fuse_image(), c.runtime.run_as
    container: dict[str, Any] = {
        "name": "alluxio-fuse",
        "image": image.ref,
        "imagePullPolicy": image.pull_policy,
        "securityContext": {
            "runAsUser": run_as.uid if run_as else 0,
            "runAsGroup": run_as.gid if run_as else 0,
            "privileged": True,
        },
        "command": ["/entrypoint.sh"],
        "args": c.fuse_args,
    }
    resources = fuse_resources(c)
    if resources:
        container["resources"] = resources
    container["env"] = [
        c.field_env("ALLUXIO_CLIENT_HOSTNAME", "status.hostIP"),
        {
            "name": "ALLUXIO_CLIENT_JAVA_OPTS",
            "value": "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
        },
        {"name": "FLUID_RUNTIME_TYPE", "value": "alluxio"},
        {"name": "FLUID_RUNTIME_NS", "value": c.namespace},
        {"name": "FLUID_RUNTIME_NAME", "value": c.name},
        *c.env(env_map),
    ]
    container["volumeMounts"] = [
        *shared.users.mounts,
        {"name": "alluxio-fuse-device", "mountPath": "/dev/fuse"},
        {
            "name": "alluxio-fuse-mount",
            "mountPath": c.mount_parent,
            "mountPropagation": "Bidirectional",
        },
        *shared.host_tiers.mounts,
        *user_mounts,
    ]
    container["envFrom"] = [{"configMapRef": {"name": c.names.config}}]
    unmount = [UNMOUNT, "unmount", c.mount_path]
    container["lifecycle"] = {"preStop": {"exec": {"command": unmount}}}
    pod = Pod(
        labels={
            **c.labels,
            "role": "alluxio-fuse",
            **ISTIO,
            **pod_labels,
            **c.fuse_selector,
        },
        annotations={**ISTIO, **pod_annotations},
        host_network=fuse.network_mode != "ContainerNetwork",
        node_selector=dict(sorted({**(fuse.node_selector or {}), c.fuse_label: "true"}.items())),
        tolerations=[{"operator": "Exists"}],
        affinity={},
        pull_secrets=c.pull_secrets(fuse.image_pull_secrets),
        volumes=[
            *[v for v in shared.users.volumes if v["name"] != "dir"],
            {
                "name": "alluxio-fuse-device",
                "hostPath": {"path": "/dev/fuse", "type": "CharDevice"},
            },
            {
                "name": "alluxio-fuse-mount",
                "hostPath": {"path": c.mount_parent, "type": "DirectoryOrCreate"},
            },
            *shared.host_tiers.volumes,
            *user_volumes,
        ],
    )
    return FuseValues(
        name=c.names.fuse,
        labels={**c.labels, "role": "alluxio-fuse"},
        selector=c.fuse_selector,
        pod=pod,
        container=container,
        init_mount_point=plan_init_mount_point(c),
        mount_parent=c.mount_parent,
        mount_path=c.mount_path,
        host_pid=(c.rt.model.metadata.annotations or {}).get(HOST_PID, "") in TRUE_WORDS,
    )
