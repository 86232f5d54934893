"""The typed values every template of charts/alluxio reads (upstream's transform result)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Image:
    image: str
    tag: str
    pull_policy: str

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.tag}"


@dataclass(frozen=True)
class Pod:
    """What every runtime pod template shares: labels, placement, security and pull secrets."""

    labels: dict[str, str]
    annotations: dict[str, str]
    host_network: bool
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    affinity: dict[str, Any]
    pull_secrets: list[dict[str, str]]
    volumes: list[dict[str, Any]]


@dataclass(frozen=True)
class Container:
    resources: dict[str, Any]
    env: list[dict[str, Any]]
    ports: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]


@dataclass(frozen=True)
class InitContainer:
    """An init container of upstream's init-users image (`/entrypoint.sh <args>`, upstream
    `transform_init_users.go`): it creates the run-as user and group, or opens the FUSE mount
    point to them. Runtime pods print it with `_helpers.j2` `init_container`; a Job prints its
    whole list of containers with `yaml`, so it takes `as_dict`, in the same key order."""

    name: str
    image: Image
    args: list[str]
    env: list[dict[str, Any]]
    as_root: bool
    volume_mounts: list[dict[str, Any]]
    command: ClassVar[list[str]] = ["/entrypoint.sh"]

    def as_dict(self) -> dict[str, Any]:
        root = {"securityContext": {"runAsUser": 0, "runAsGroup": 0}} if self.as_root else {}
        return {
            "name": self.name,
            "image": self.image.ref,
            "imagePullPolicy": self.image.pull_policy,
            "command": list(self.command),
            "args": self.args,
            "env": self.env,
            **root,
            "volumeMounts": self.volume_mounts,
        }


@dataclass(frozen=True)
class VolumeValues:
    """The PersistentVolume and its claim (upstream `pkg/utils/dataset/volume/create.go`)."""

    pv_name: str
    pvc_name: str
    pv_labels: dict[str, str]
    pvc_labels: dict[str, str]
    pv_annotations: dict[str, str]
    pvc_annotations: dict[str, str]
    access_modes: list[str]
    capacity: str
    csi: dict[str, str]
    node_affinity: dict[str, Any] | None


@dataclass(frozen=True)
class Workload:
    """What the master and worker StatefulSets and the FUSE DaemonSet each have: a name, the
    object's labels, the selector of its pods and their template."""

    name: str
    labels: dict[str, str]
    selector: dict[str, str]
    pod: Pod


@dataclass(frozen=True)
class MasterValues(Workload):
    """The master StatefulSet (master, job master, API gateway) and its headless Services."""

    replicas: int
    services: list[str]
    service_selectors: dict[str, dict[str, str]]  # by Service: the one master pod it reaches
    container: Container
    job_master: Container
    api_gateway: Container | None
    init_users: InitContainer | None
    startup_probe: str
    service_labels: dict[str, str]
    service_ports: list[dict[str, Any]]
    backup_dir: str


@dataclass(frozen=True)
class WorkerValues(Workload):
    """The worker StatefulSet: its pod in its final state, and where it may run."""

    replicas: int
    placement: str
    container: Container
    job_worker: Container
    init_users: InitContainer | None


@dataclass(frozen=True)
class FuseValues(Workload):
    """The FUSE DaemonSet on every node that uses the dataset."""

    container: dict[str, Any]  # whole: the template prints it, inject's sidecar copies it
    init_mount_point: InitContainer | None
    mount_parent: str
    mount_path: str
    host_pid: bool


@dataclass(frozen=True)
class Values:
    """The values of one Dataset + AlluxioRuntime: read by every template of charts/alluxio."""

    namespace: str
    name: str
    dataset_id: str
    labels: dict[str, str]
    dataset_labels: dict[str, str]
    image: Image
    init_image: Image
    master: MasterValues
    worker: WorkerValues
    fuse: FuseValues
    run_as: tuple[int, int]
    ports: dict[str, int]
    # config maps
    config_name: str
    config_labels: dict[str, str]
    config: dict[str, str]
    mount_config_name: str
    mount_config_labels: dict[str, str]
    mount_table: str
    volume: VolumeValues
    # the syncer's plan: node labels, workloads, endpoints
    sync_plan_name: str
    sync_plan_labels: dict[str, str]
    sync_plan: str
    # the user's own objects, normalised
    dataset_object: dict[str, Any]
    runtime_object: dict[str, Any]
