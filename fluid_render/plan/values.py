"""Everything the runtime templates print, computed once per bundle (upstream's transform, 3.x)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fluid_render.api import AlluxioRuntime, Dataset
from fluid_render.api.alluxio import AlluxioCompTemplateSpec, AlluxioFuseSpec, Level
from fluid_render.api.common import (
    LocalObjectReference,
    PodMetadata,
    ResourceRequirements,
    User,
)
from fluid_render.bind import Bundle
from fluid_render.errors import Problem, fail_if
from fluid_render.plan import quantity
from fluid_render.plan.hadoop import ConfigMapKeys, HadoopConfig, hadoop_config
from fluid_render.plan.mounts import Mounts, plan_mounts
from fluid_render.plan.naming import STATEFULSET_LIMIT, dataset_id, fit, label_key
from fluid_render.plan.nodelabels import cache_affinity, dump_plan, node_labels, sync_plan
from fluid_render.plan.ports import (
    PROPERTY_OF,
    STATIC_PORTS,
    master_replicas,
    needed_ports,
    uses_host_network,
)
from fluid_render.plan.properties import java_options, site_properties
from fluid_render.plan.tieredstore import Tier, memory_bytes, plan_tiers
from fluid_render.validate import Spec, field_path

RUNTIME_IMAGE = ("alluxio/alluxio-dev", "2.9.0")
FUSE_IMAGE = ("alluxio/alluxio-dev", "2.9.0")
INIT_IMAGE = ("fluidcloudnative/init-users", "v0.9.0")
MOUNT_ROOT = "/runtime-mnt"
WORKDIR = "/tmp"  # upstream's FLUID_WORKDIR: backups pass through <WORKDIR>/alluxio-backup
CHART_LABEL = "alluxio-0.9.14"
MANAGED_BY = "fluid-render"
CAPACITY_ANNOTATION = "pvc.fluid.io/resources.requests.storage"
DEFAULT_CAPACITY = "100Pi"
MASTER_JVM = ("-Xmx16G", "-XX:+UnlockExperimentalVMOptions")
WORKER_JVM = ("-Xmx12G", "-XX:+UnlockExperimentalVMOptions", "-XX:MaxDirectMemorySize=32g")
FUSE_JVM = (
    "-Xmx16G",
    "-Xms16G",
    "-XX:+UseG1GC",
    "-XX:MaxDirectMemorySize=32g",
    "-XX:+UnlockExperimentalVMOptions",
)
LEVEL0_ENV = "ALLUXIO_WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH"
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_VERSION = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


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
class InitUsers:
    image: Image
    env: list[dict[str, Any]]


@dataclass(frozen=True)
class VolumeValues:
    """The PersistentVolume and its claim (4.8, 4.9)."""

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
class Values:
    """The values of one Dataset + AlluxioRuntime: read by every template of charts/alluxio."""

    namespace: str
    name: str
    dataset_id: str
    labels: dict[str, str]
    dataset_labels: dict[str, str]
    image: Image
    init_image: Image
    backup_dir: str
    fuse_image: Image
    run_as: tuple[int, int]
    init_users: InitUsers | None
    ports: dict[str, int]
    # master
    master_name: str
    master_replicas: int
    master_services: list[str]
    master_selector: dict[str, str]
    master_pod: Pod
    master: Container
    job_master: Container
    api_gateway: Container | None
    startup_probe: str
    service_labels: dict[str, str]
    service_ports: list[dict[str, Any]]
    # worker
    worker_name: str
    worker_replicas: int
    worker_labels: dict[str, str]
    worker_selector: dict[str, str]
    worker_pod: Pod
    worker: Container
    job_worker: Container
    worker_init_args: list[str]
    worker_init_mounts: list[dict[str, Any]]
    # fuse
    fuse_name: str
    fuse_labels: dict[str, str]
    fuse_selector: dict[str, str]
    fuse_pod: Pod
    fuse: Container
    fuse_args: list[str]
    fuse_mount_parent: str
    fuse_mount_path: str
    fuse_host_pid: bool
    # config maps
    config_name: str
    config: dict[str, str]
    mount_config_name: str
    mount_table: str
    volume: VolumeValues
    # the syncer's plan: node labels, workloads, endpoints
    sync_plan_name: str
    sync_plan: str
    # the user's own objects, normalised
    dataset_object: dict[str, Any]
    runtime_object: dict[str, Any]


def plan_values(
    bundle: Bundle, ports: Mapping[str, int], config_maps: ConfigMapKeys | None = None
) -> Values:
    """All values of one bundle; every problem found along the way is reported together.
    `config_maps`: the keys of the ConfigMaps among the inputs (for `hadoopConfig`)."""
    problems: list[Problem] = []
    values = _Planner(bundle, ports, problems, config_maps or {}).values()
    fail_if(problems)
    return values


def runtime_image(runtime: AlluxioRuntime) -> Image:
    """The image of master, workers and data operations: the spec's, else the install default."""
    version = runtime.spec.alluxio_version
    image = version.image if version and version.image else RUNTIME_IMAGE[0]
    tag = version.image_tag if version and version.image_tag else RUNTIME_IMAGE[1]
    policy = version.image_pull_policy if version and version.image_pull_policy else None
    return Image(image, tag, policy or "IfNotPresent")


def init_image(runtime: AlluxioRuntime) -> Image:
    init = runtime.spec.init_users
    return Image(
        init.image if init and init.image else INIT_IMAGE[0],
        init.image_tag if init and init.image_tag else INIT_IMAGE[1],
        (init.image_pull_policy if init else None) or "IfNotPresent",
    )


def normalised(
    spec: Spec[Any], dataset_id: str, dataset_labels: Mapping[str, str]
) -> dict[str, Any]:
    """A user's object as the cluster should hold it, so the syncer can report on it: fields in
    the model's order, the namespace resolved, labels naming its manager and dataset, no status."""
    obj: dict[str, Any] = spec.model.model_dump(by_alias=True, exclude_unset=True)
    given = obj["metadata"]
    obj["metadata"] = {
        "name": given["name"],
        "namespace": spec.namespace,
        "labels": {
            **dataset_labels,
            **given.get("labels", {}),
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "fluid.io/dataset-id": dataset_id,
        },
        **({"annotations": given["annotations"]} if "annotations" in given else {}),
    }
    return obj


def init_users_env(user: User) -> dict[str, str]:
    """What upstream's init-users image creates: `<uid>:<user>:<gid>,<gid>:<group>`."""
    return {
        "name": "FLUID_INIT_USERS",
        "value": f"{user.uid}:{user.user}:{user.gid},{user.gid}:{user.group}",
    }


def parse_backup_path(location: str) -> tuple[str | None, str]:
    """`pvc://<claim>/<sub>` -> (claim, `/<sub>/`); `local://<p>` -> (None, `/<p>/`)."""
    scheme, _, rest = location.partition("://")
    pvc = None
    if scheme == "pvc":
        pvc, _, rest = rest.partition("/")
    return pvc, "/" + rest.strip("/") + "/" if rest.strip("/") else "/"


LIBFUSE_VERSION = "alluxio.fuse.jnifuse.libfuse.version"
SKIP_CHECK = "fluid.io/skip-check-mount-ready-target"
HOST_PID = "runtime.fluid.io/fuse.hostpid"
ISTIO = {"sidecar.istio.io/inject": "false"}


@dataclass(frozen=True)
class _Shared:
    user_volumes: list[dict[str, Any]]
    user_mounts: list[dict[str, Any]]
    hdfs_volumes: list[dict[str, Any]]
    hdfs_mounts: list[dict[str, Any]]
    secret_volumes: list[dict[str, Any]]
    secret_mounts: list[dict[str, Any]]
    ufs_volumes: list[dict[str, Any]]
    ufs_mounts: list[dict[str, Any]]
    tier_volumes: list[dict[str, Any]]
    tier_mounts: list[dict[str, Any]]
    host_tier_volumes: list[dict[str, Any]]
    host_tier_mounts: list[dict[str, Any]]


@dataclass(frozen=True)
class _Master:
    selector: dict[str, str]
    pod: Pod
    master: Container
    job_master: Container
    api_gateway: Container | None
    service_labels: dict[str, str]
    service_ports: list[dict[str, Any]]
    backup_dir: str


@dataclass(frozen=True)
class _Worker:
    placement: str
    labels: dict[str, str]
    selector: dict[str, str]
    pod: Pod
    worker: Container
    job_worker: Container


def _is_true(key: str) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": ["true"]}


def _anti_affinity(placement: str) -> dict[str, Any]:
    """Exclusive: one worker of any dataset per node. Shared: prefer spreading, never join an
    Exclusive worker (4.6)."""
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


class _Planner:
    """One pass over a bundle; methods share the specs and the list of problems."""

    def __init__(
        self,
        bundle: Bundle,
        ports: Mapping[str, int],
        problems: list[Problem],
        config_maps: ConfigMapKeys,
    ) -> None:
        self.config_maps = config_maps
        self.ds: Spec[Dataset] = bundle.dataset
        self.rt: Spec[AlluxioRuntime] = bundle.runtime
        self.dataset = bundle.dataset.model.spec
        self.runtime = bundle.runtime.model.spec
        self.namespace = bundle.namespace
        self.name = bundle.name
        self.problems = problems
        self.host = uses_host_network(bundle.runtime.model)
        self.ports = dict(ports) if self.host else self._static_ports()

    def _static_ports(self) -> dict[str, int]:
        return {n: STATIC_PORTS[n] for n in needed_ports(self.rt.model)}

    # ---------------------------------------------------------------- helpers
    def _problem(self, spec: Spec[Any], path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(spec.at(*path), field_path(path), message))

    def _component(self, attr: str) -> AlluxioCompTemplateSpec:
        found = getattr(self.runtime, attr)
        return found if found is not None else AlluxioCompTemplateSpec()

    def _fuse_image(self) -> Image:
        fuse = self.runtime.fuse
        image = fuse.image if fuse and fuse.image else FUSE_IMAGE[0]
        tag = fuse.image_tag if fuse and fuse.image_tag else FUSE_IMAGE[1]
        policy = fuse.image_pull_policy if fuse and fuse.image_pull_policy else None
        return Image(image, tag, policy or "IfNotPresent")

    def _new_style_fuse(self, tag: str) -> bool:
        """Alluxio >= 2.8 takes the mount point as arguments; older images read MOUNT_POINT."""
        match = _VERSION.match(tag.removeprefix("release-"))
        if not match:
            self._problem(
                self.rt,
                ("spec", "fuse", "imageTag"),
                f"{tag!r} is not a version; the FUSE argument style depends on it",
            )
            return True
        parts = tuple(int(p or 0) for p in match.groups())
        return parts >= (2, 8, 0)

    def _pull_secrets(self, own: Sequence[LocalObjectReference] | None) -> list[dict[str, str]]:
        chosen = own or self.runtime.image_pull_secrets or []
        return [{"name": ref.name} for ref in chosen]

    def _pod_metadata(self, own: PodMetadata | None) -> tuple[dict[str, str], dict[str, str]]:
        base = self.runtime.pod_metadata
        labels = {
            **((base.labels if base else None) or {}),
            **((own.labels if own else None) or {}),
        }
        annotations = {
            **((base.annotations if base else None) or {}),
            **((own.annotations if own else None) or {}),
        }
        return labels, annotations

    def _user_volumes(
        self, attr: str, mounts: Sequence[Any] | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The `spec.volumes` a component mounts; an unknown name is an error (upstream skips)."""
        known = {v.name: v for v in self.runtime.volumes or []}
        volumes, volume_mounts = [], []
        for index, mount in enumerate(mounts or []):
            if mount.name not in known:
                self._problem(
                    self.rt,
                    ("spec", attr, "volumeMounts", index, "name"),
                    f"no volume {mount.name!r} in spec.volumes",
                )
                continue
            if known[mount.name].as_dict() not in volumes:
                volumes.append(known[mount.name].as_dict())
            volume_mounts.append(mount.model_dump(by_alias=True, exclude_none=True))
        return volumes, volume_mounts

    @staticmethod
    def _env(values: Mapping[str, str]) -> list[dict[str, Any]]:
        return [{"name": k, "value": v} for k, v in sorted(values.items())]

    @staticmethod
    def _field_env(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}

    @staticmethod
    def _resources(resources: ResourceRequirements | None) -> dict[str, Any]:
        return resources.model_dump(by_alias=True, exclude_none=True) if resources else {}

    # ------------------------------------------------------------ shared facts
    @cached_property
    def tiers(self) -> tuple[Tier, ...]:
        return plan_tiers(self.rt, self.problems)

    @cached_property
    def mounts(self) -> Mounts:
        return plan_mounts(self.ds, self.problems)

    @cached_property
    def levels(self) -> list[Level]:
        return (self.runtime.tiered_store.levels if self.runtime.tiered_store else None) or []

    @cached_property
    def replicas(self) -> int:
        return master_replicas(self.rt.model)

    @cached_property
    def master_name(self) -> str:
        return fit(f"{self.name}-master", STATEFULSET_LIMIT)

    @cached_property
    def services(self) -> list[str]:
        return [f"{self.master_name}-{i}" for i in range(self.replicas)]

    @cached_property
    def dataset_id(self) -> str:
        return dataset_id(self.namespace, self.name)

    @cached_property
    def read_only(self) -> bool:
        return not self.dataset.access_modes or "ReadOnlyMany" in self.dataset.access_modes

    @cached_property
    def fuse_label(self) -> str:
        return label_key("fluid.io/f-", self.namespace, self.name)

    @cached_property
    def mount_parent(self) -> str:
        return f"{MOUNT_ROOT}/alluxio/{self.namespace}/{self.name}"

    @cached_property
    def mount_path(self) -> str:
        return f"{self.mount_parent}/alluxio-fuse"

    @cached_property
    def level0(self) -> str:
        return next(t for t in self.tiers if t.level == 0).paths.split(",")[0]

    @cached_property
    def user_labels(self) -> dict[str, str]:
        return dict(self.ds.model.metadata.labels or {})

    @cached_property
    def labels(self) -> dict[str, str]:
        """Every runtime object's labels (4.0), naming this tool as manager."""
        return {
            **self.user_labels,
            "app": "alluxio",
            "chart": CHART_LABEL,
            "release": self.name,
            "heritage": MANAGED_BY,
            "app.kubernetes.io/name": "alluxio",
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "fluid.io/managed-by": "fluid",
            "fluid.io/dataset-id": self.dataset_id,
        }

    @cached_property
    def fuse(self) -> AlluxioFuseSpec:
        return self.runtime.fuse or AlluxioFuseSpec()

    @cached_property
    def new_style_fuse(self) -> bool:
        return self._new_style_fuse(self._fuse_image().tag)

    @cached_property
    def fuse_args(self) -> list[str]:
        user_keys = [
            self.runtime.properties,
            self._component("master").properties,
            self._component("worker").properties,
            self.fuse.properties,
        ]
        libfuse2 = any((p or {}).get(LIBFUSE_VERSION) == "2" for p in user_keys)
        return self._fuse_args(list(self.fuse.args) if self.fuse.args else None, libfuse2)

    @cached_property
    def required_affinity(self) -> dict[str, Any] | None:
        """The Dataset's required node affinity, as a NodeSelector."""
        required = self.dataset.node_affinity.required if self.dataset.node_affinity else None
        return required.model_dump(by_alias=True, exclude_none=True) if required else None

    @cached_property
    def tolerations(self) -> list[dict[str, Any]]:
        return [
            t.model_dump(by_alias=True, exclude_none=True) for t in self.dataset.tolerations or []
        ]

    @cached_property
    def hadoop(self) -> HadoopConfig | None:
        name = self.runtime.hadoop_config
        if not name:
            return None
        keys = self.config_maps.get((self.namespace, name))
        found = hadoop_config(name, keys)
        if found is None:
            self._problem(
                self.rt,
                ("spec", "hadoopConfig"),
                f"ConfigMap {self.namespace}/{name} holds neither core-site.xml nor hdfs-site.xml",
            )
        return found

    @cached_property
    def shared(self) -> _Shared:
        """Volumes several pods mount: run-as files, hadoop config, secrets, UFS mounts, tiers."""
        run_as = self.runtime.run_as
        user_volumes: list[dict[str, Any]] = []
        user_mounts: list[dict[str, Any]] = []
        if run_as is not None:
            user_dir = f"/tmp/fluid/{self.namespace}/{self.name}"
            user_volumes = [
                {"name": "dir", "hostPath": {"path": user_dir, "type": "DirectoryOrCreate"}},
                {
                    "name": "user",
                    "hostPath": {"path": f"{user_dir}/passwd", "type": "FileOrCreate"},
                },
                {
                    "name": "group",
                    "hostPath": {"path": f"{user_dir}/group", "type": "FileOrCreate"},
                },
            ]
            user_mounts = [
                {"name": "user", "mountPath": "/etc/passwd", "readOnly": True},
                {"name": "group", "mountPath": "/etc/group", "readOnly": True},
            ]
        hadoop = self.hadoop
        hdfs_volumes = [hadoop.volume] if hadoop else []
        hdfs_mounts = [hadoop.mount] if hadoop else []
        secrets = self.mounts.secrets
        volumes = [v for t in self.tiers for v in t.volumes]
        return _Shared(
            user_volumes=user_volumes,
            user_mounts=user_mounts,
            hdfs_volumes=hdfs_volumes,
            hdfs_mounts=hdfs_mounts,
            secret_volumes=[
                {"name": s.volume, "secret": {"secretName": s.secret}} for s in secrets
            ],
            secret_mounts=[
                {"name": s.volume, "mountPath": s.mount_path, "readOnly": True} for s in secrets
            ],
            ufs_volumes=list(self.mounts.volumes),
            ufs_mounts=list(self.mounts.volume_mounts),
            tier_volumes=[{"name": v.name, **v.source} for v in volumes],
            tier_mounts=[{"name": v.name, "mountPath": v.path} for v in volumes],
            host_tier_volumes=[{"name": v.name, **v.source} for v in volumes if v.host_path],
            host_tier_mounts=[
                {"name": v.name, "mountPath": v.path} for v in volumes if v.host_path
            ],
        )

    # ---------------------------------------------------------------- sections
    def _properties(self) -> dict[str, str]:
        """Alluxio site properties (3.4): forced values, the user's, then defaults."""
        mounts = self.mounts
        forced: dict[str, str] = {"alluxio.master.mount.table.root.ufs": mounts.root_ufs}
        forced.update(dict(mounts.root_properties))
        data_replicas = self.runtime.data.replicas if self.runtime.data else None
        forced["alluxio.user.file.replication.max"] = str(
            data_replicas if data_replicas and data_replicas > 0 else 1
        )
        if any(not v.host_path for t in self.tiers for v in t.volumes) and self.levels:
            forced["alluxio.user.short.circuit.enabled"] = "false"
        if not (self.dataset.owner is not None and len(self.fuse_args) >= 2):
            forced["alluxio.fuse.user.group.translation.enabled"] = "true"
        if self.hadoop:
            forced["alluxio.underfs.hdfs.configuration"] = self.hadoop.files
        embedded = None
        if self.replicas > 1:
            journal_port = self.ports["master.embeddedJournal"]
            embedded = ",".join(f"{s}:{journal_port}" for s in self.services)
        levels = self.levels
        component_keys = {
            key
            for props in (
                self._component("master").properties,
                self._component("worker").properties,
                self.fuse.properties,
            )
            for key in props or {}
        }
        return site_properties(
            user=dict(self.runtime.properties or {}),
            component_keys=component_keys,
            forced=forced,
            all_http=mounts.all_http,
            # Component properties make upstream union them into a new map, which ends the
            # sharing (`transformMasters`, `transformWorkers`, `transformFuse`).
            shared_user_map=bool(self.runtime.properties) and not component_keys,
            master_replicas=self.replicas,
            # Direct memory reads pay off only for one read-only tier with a single path.
            direct_memory=self.read_only
            and len(levels) == 1
            and len(levels[0].path.split(",")) == 1,
            ports={PROPERTY_OF[n]: str(p) for n, p in self.ports.items()} if self.host else {},
            embedded_journal_addresses=embedded,
        )

    def _worker_resources(self) -> dict[str, Any]:
        """The worker's resources with the memory request raised to the MEM tier (3.9)."""
        memory = memory_bytes(self.tiers)
        resources = self._resources(self._component("worker").resources)
        requests = dict(resources.get("requests", {}))
        limit = resources.get("limits", {}).get("memory")
        if memory > 0:
            requested = requests.get("memory")
            if requested is None or memory > quantity.to_bytes(requested):
                requests["memory"] = quantity.canonical(memory, binary=True)
            if limit is not None and quantity.to_bytes(limit) < memory:
                self._problem(
                    self.rt,
                    ("spec", "worker", "resources", "limits", "memory"),
                    f"{limit} is less than the MEM tier quota "
                    f"{quantity.canonical(memory, binary=True)} it must hold",
                )
        if requests:
            resources["requests"] = dict(sorted(requests.items()))
        return resources

    def _fuse_resources(self) -> dict[str, Any]:
        """Only with a user memory limit, which grows by the MEM tier (3.10)."""
        limits = (self.fuse.resources.limits if self.fuse.resources else None) or {}
        if "memory" not in limits:
            return {}
        resources = self._resources(self.fuse.resources)
        amount, binary = quantity.parse(limits["memory"])
        total = int(amount) + memory_bytes(self.tiers)
        resources["limits"] = {
            **resources["limits"],
            "memory": quantity.canonical(total, binary=binary),
        }
        return resources

    def _config(self, properties: Mapping[str, str], worker_memory: str | None) -> dict[str, str]:
        """The `<name>-config` ConfigMap: each component's Java options (4.2)."""
        master, worker = self._component("master"), self._component("worker")
        opts: list[str] = []
        if self.replicas == 1:
            opts.append(f"-Dalluxio.master.hostname={self.services[0]}.{self.namespace}")
        opts += [
            "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
            "-Dalluxio.master.journal.type=EMBEDDED",
            "-Dalluxio.master.journal.folder=/journal",
            f"-Dalluxio.worker.tieredstore.levels={len(self.tiers)}",
        ]
        for tier in self.tiers:
            opts += tier.options()
        opts += java_options(properties)
        opts += list(self.runtime.jvm_options or [])
        worker_opts = [
            "-Dalluxio.worker.hostname=${ALLUXIO_WORKER_HOSTNAME}",
            f"-Dalluxio.worker.rpc.port={self.ports['worker.rpc']}",
            f"-Dalluxio.worker.web.port={self.ports['worker.web']}",
        ]
        if worker.network_mode == "ContainerNetwork":
            worker_opts.append(
                "-Dalluxio.worker.container.hostname=${ALLUXIO_WORKER_CONTAINER_HOSTNAME}"
            )
        if worker_memory is not None:
            worker_opts.append(f"-Dalluxio.worker.memory.size={worker_memory}")
        worker_opts += java_options(worker.properties or {})
        worker_opts += list(worker.jvm_options or WORKER_JVM)
        master_opts = [
            "-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}",
            *java_options(master.properties or {}),
            *(master.jvm_options or MASTER_JVM),
        ]
        job_worker_opts = [
            "-Dalluxio.worker.hostname=${ALLUXIO_WORKER_HOSTNAME}",
            f"-Dalluxio.job.worker.rpc.port={self.ports['jobWorker.rpc']}",
            f"-Dalluxio.job.worker.data.port={self.ports['jobWorker.data']}",
            f"-Dalluxio.job.worker.web.port={self.ports['jobWorker.web']}",
        ]
        fuse_opts = [
            *java_options(self.fuse.properties or {}),
            *(self.fuse.jvm_options or FUSE_JVM),
        ]
        return {
            "ALLUXIO_JAVA_OPTS": " ".join(opts),
            "ALLUXIO_MASTER_JAVA_OPTS": " ".join(master_opts),
            "ALLUXIO_JOB_MASTER_JAVA_OPTS": "-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}",
            "ALLUXIO_WORKER_JAVA_OPTS": " ".join(worker_opts),
            "ALLUXIO_JOB_WORKER_JAVA_OPTS": " ".join(job_worker_opts),
            "ALLUXIO_FUSE_JAVA_OPTS": " ".join(fuse_opts),
            LEVEL0_ENV: "${" + LEVEL0_ENV + "}",
        }

    def _init_users(self) -> InitUsers | None:
        """`runAs`: an init container creates the user and group first (3.3)."""
        run_as = self.runtime.run_as
        if run_as is None:
            return None
        env = [init_users_env(run_as)]
        tier_paths = ":".join(p for level in self.levels for p in level.path.split(","))
        if tier_paths:
            env.append({"name": "FLUID_TIERSTORE_PATHS", "value": tier_paths})
        return InitUsers(init_image(self.rt.model), env)

    def _master(self) -> _Master:
        """The master pod (4.5) and its headless Services (4.4)."""
        spec, shared, ports = self._component("master"), self.shared, self.ports
        pod_labels, pod_annotations = self._pod_metadata(spec.pod_metadata)
        user_volumes, user_mounts = self._user_volumes("master", spec.volume_mounts)
        selector = {"app": "alluxio", "role": "alluxio-master", "name": self.master_name}
        env_map = {**(spec.env or {}), LEVEL0_ENV: self.level0}
        restore_volumes, restore_mounts, restore_node = self._restore(env_map)
        hostname = self._field_env(
            "ALLUXIO_MASTER_HOSTNAME", "status.podIP" if self.replicas == 1 else "metadata.name"
        )
        master_ports = [
            {"name": "rpc", "containerPort": ports["master.rpc"]},
            {"name": "web", "containerPort": ports["master.web"]},
        ]
        job_ports = [
            {"name": "job-rpc", "containerPort": ports["jobMaster.rpc"]},
            {"name": "job-web", "containerPort": ports["jobMaster.web"]},
        ]
        if self.replicas > 1:
            master_ports.append(
                {"name": "embedded", "containerPort": ports["master.embeddedJournal"]}
            )
            job_ports.append(
                {"name": "job-embedded", "containerPort": ports["jobMaster.embeddedJournal"]}
            )
        # Metadata backups (`fsadmin backup --local`) land here, on the master's node, where a
        # DataBackup Job beside it picks them up; mounted always, so adding one needs no restart.
        backup_dir = f"{WORKDIR}/alluxio-backup/{self.namespace}/{self.name}"
        scripts = [
            {"key": "entrypoint.script", "path": "entrypoint.sh", "mode": 0o550},
            {"key": "mount.script", "path": "mount.sh", "mode": 0o550},
            {"key": "mount.info", "path": "mount.info", "mode": 0o444},
        ]
        volumes = [
            {
                "name": "alluxio-mount-conf",
                "configMap": {"name": fit(f"{self.name}-mount-config"), "items": scripts},
            },
            *restore_volumes,
            *shared.hdfs_volumes,
            *shared.user_volumes,
            {"name": "alluxio-journal", "emptyDir": {"sizeLimit": "30Gi"}},
            {
                "name": "alluxio-backup",
                "hostPath": {"path": backup_dir, "type": "DirectoryOrCreate"},
            },
            *shared.ufs_volumes,
            *user_volumes,
            *shared.secret_volumes,
        ]
        master = Container(
            resources=self._resources(spec.resources),
            env=[hostname, *self._env(env_map)],
            ports=master_ports,
            volume_mounts=[
                *restore_mounts,
                *shared.hdfs_mounts,
                *shared.user_mounts,
                {"name": "alluxio-journal", "mountPath": "/journal"},
                {"name": "alluxio-backup", "mountPath": "/alluxio_backups"},
                *shared.ufs_mounts,
                *user_mounts,
                *shared.secret_mounts,
                {"name": "alluxio-mount-conf", "mountPath": "/etc/fluid/scripts"},
            ],
        )
        job_master = Container(
            resources=self._resources(self._component("job_master").resources),
            env=[hostname],
            ports=job_ports,
            volume_mounts=[
                *shared.hdfs_mounts,
                *shared.user_mounts,
                *shared.ufs_mounts,
                *user_mounts,
                *shared.secret_mounts,
            ],
        )
        gateway = self.runtime.api_gateway
        api_gateway = None
        if gateway is not None and gateway.enabled:
            api_gateway = Container(
                resources=self._resources(gateway.resources),
                env=[self._field_env("ALLUXIO_MASTER_HOSTNAME", "status.podIP")],
                ports=[{"name": "rest", "containerPort": ports["apiGateway.web"]}],
                volume_mounts=[],
            )
        required = self.required_affinity
        pod = Pod(
            labels={**self.labels, **selector, **ISTIO, **pod_labels}
            | {"app": "alluxio", **selector},
            annotations={**ISTIO, **pod_annotations},
            host_network=spec.network_mode != "ContainerNetwork",
            node_selector=dict(sorted({**(spec.node_selector or {}), **restore_node}.items())),
            tolerations=self.tolerations,
            affinity=(
                {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}
                if required and self.mounts.has_local
                else {}
            ),
            pull_secrets=self._pull_secrets(spec.image_pull_secrets),
            volumes=volumes,
        )
        service_labels = {**self.labels, "role": "alluxio-master"}
        if not self.runtime.disable_prometheus:
            service_labels["monitor"] = "alluxio_runtime_metrics"
        service_ports = [
            {"name": p["name"], "port": p["containerPort"]} for p in master_ports + job_ports
        ]
        if api_gateway is not None:
            service_ports.insert(4, {"name": "rest", "port": ports["apiGateway.web"]})
        return _Master(
            selector,
            pod,
            master,
            job_master,
            api_gateway,
            service_labels,
            service_ports,
            backup_dir,
        )

    def _worker(self, resources: dict[str, Any]) -> _Worker:
        """The worker pod in its final state: replicas and placement (4.6)."""
        spec, shared, ports = self._component("worker"), self.shared, self.ports
        placement = self.dataset.placement or "Exclusive"
        labels = {
            **self.labels,
            "role": "alluxio-worker",
            "fluid.io/dataset": self.dataset_id,
            "fluid.io/dataset-placement": placement,
        }
        selector = {"app": "alluxio", "release": self.name, "role": "alluxio-worker"}
        pod_labels, pod_annotations = self._pod_metadata(spec.pod_metadata)
        user_volumes, user_mounts = self._user_volumes("worker", spec.volume_mounts)
        host_network = spec.network_mode != "ContainerNetwork"
        env = [self._field_env("ALLUXIO_WORKER_HOSTNAME", "status.hostIP")]
        if not host_network:
            env.append(self._field_env("ALLUXIO_WORKER_CONTAINER_HOSTNAME", "status.podIP"))
        mounts = [
            *shared.hdfs_mounts,
            *shared.user_mounts,
            *shared.ufs_mounts,
            *shared.tier_mounts,
            *user_mounts,
        ]
        worker = Container(
            resources=resources,
            env=[*env, *self._env({**(spec.env or {}), LEVEL0_ENV: self.level0})],
            ports=[
                {"name": "rpc", "containerPort": ports["worker.rpc"]},
                {"name": "web", "containerPort": ports["worker.web"]},
            ],
            volume_mounts=mounts,
        )
        job_worker = Container(
            resources=self._resources(self._component("job_worker").resources),
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
                {"weight": 100, "preference": {"matchExpressions": [_is_true(self.fuse_label)]}}
            ]
        }
        if self.required_affinity:
            node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = self.required_affinity
        pod = Pod(
            labels={
                **labels,
                **ISTIO,
                **pod_labels,
                **selector,
                "fluid.io/dataset": self.dataset_id,
            },
            annotations={**ISTIO, **pod_annotations},
            host_network=host_network,
            node_selector=dict(sorted((spec.node_selector or {}).items())),
            tolerations=self.tolerations,
            affinity={"nodeAffinity": node_affinity, "podAntiAffinity": _anti_affinity(placement)},
            pull_secrets=self._pull_secrets(spec.image_pull_secrets),
            volumes=[
                *shared.hdfs_volumes,
                *shared.user_volumes,
                *shared.ufs_volumes,
                *shared.tier_volumes,
                *user_volumes,
            ],
        )
        return _Worker(placement, labels, selector, pod, worker, job_worker)

    def _fuse_pod(self) -> tuple[Pod, Container]:
        """The FUSE client on every node that uses the dataset (4.7)."""
        fuse, shared = self.fuse, self.shared
        pod_labels, pod_annotations = self._pod_metadata(fuse.pod_metadata)
        user_volumes, user_mounts = self._user_volumes("fuse", fuse.volume_mounts)
        env_map = dict(fuse.env or {})
        if not self.new_style_fuse:
            env_map["MOUNT_POINT"] = self.mount_path
        container = Container(
            resources=self._fuse_resources(),
            env=[
                self._field_env("ALLUXIO_CLIENT_HOSTNAME", "status.hostIP"),
                {
                    "name": "ALLUXIO_CLIENT_JAVA_OPTS",
                    "value": "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
                },
                {"name": "FLUID_RUNTIME_TYPE", "value": "alluxio"},
                {"name": "FLUID_RUNTIME_NS", "value": self.namespace},
                {"name": "FLUID_RUNTIME_NAME", "value": self.name},
                *self._env(env_map),
            ],
            ports=[],
            volume_mounts=[
                *shared.user_mounts,
                {"name": "alluxio-fuse-device", "mountPath": "/dev/fuse"},
                {
                    "name": "alluxio-fuse-mount",
                    "mountPath": self.mount_parent,
                    "mountPropagation": "Bidirectional",
                },
                *shared.host_tier_mounts,
                *user_mounts,
            ],
        )
        pod = Pod(
            labels={
                **self.labels,
                "role": "alluxio-fuse",
                **ISTIO,
                **pod_labels,
                **self.fuse_selector,
            },
            annotations={**ISTIO, **pod_annotations},
            host_network=fuse.network_mode != "ContainerNetwork",
            node_selector=dict(
                sorted({**(fuse.node_selector or {}), self.fuse_label: "true"}.items())
            ),
            tolerations=[{"operator": "Exists"}],
            affinity={},
            pull_secrets=self._pull_secrets(fuse.image_pull_secrets),
            volumes=[
                *[v for v in shared.user_volumes if v["name"] != "dir"],
                {
                    "name": "alluxio-fuse-device",
                    "hostPath": {"path": "/dev/fuse", "type": "CharDevice"},
                },
                {
                    "name": "alluxio-fuse-mount",
                    "hostPath": {"path": self.mount_parent, "type": "DirectoryOrCreate"},
                },
                *shared.host_tier_volumes,
                *user_volumes,
            ],
        )
        return pod, container

    @cached_property
    def fuse_selector(self) -> dict[str, str]:
        return {"app": "alluxio", "release": self.name, "role": "alluxio-fuse"}

    def _volume(self) -> VolumeValues:
        """The PersistentVolume and its claim, bound to each other (4.8, 4.9)."""
        annotations = self.ds.model.metadata.annotations or {}
        capacity = annotations.get(CAPACITY_ANNOTATION, DEFAULT_CAPACITY)
        try:
            quantity.parse(capacity)
        except ValueError:
            self._problem(
                self.ds,
                ("metadata", "annotations", CAPACITY_ANNOTATION),
                'is not a Kubernetes quantity (examples: "100Gi", "2Ti")',
            )
        csi = {
            "fluid_path": self.mount_path,
            "mount_type": "fuse.alluxio-fuse",
            "runtime_namespace": self.namespace,
            "runtime_name": self.name,
            "mount_pod_node_selector_key": self.fuse_label,
        }
        runtime_annotations = self.rt.model.metadata.annotations or {}
        if SKIP_CHECK in runtime_annotations:
            csi[SKIP_CHECK] = runtime_annotations[SKIP_CHECK]
        extra = self._metadata_list(runtime_annotations)
        pv_labels, pv_annotations = extra.get("PersistentVolume", ({}, {}))
        pvc_labels, pvc_annotations = extra.get("PersistentVolumeClaim", ({}, {}))
        if pv_labels.get("fluid.io/node-publish-method") == "symlink":
            csi["node_publish_method"] = "symlink"
        node_affinity = None
        if self.fuse.node_selector:
            expressions = [
                {"key": k, "operator": "In", "values": [v]}
                for k, v in sorted(self.fuse.node_selector.items())
            ]
            node_affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": expressions}]}}
        labels = {
            **self.user_labels,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            label_key("fluid.io/s-", self.namespace, self.name): "true",
            "fluid.io/dataset-id": self.dataset_id,
        }
        return VolumeValues(
            pv_name=fit(f"{self.namespace}-{self.name}", 253),
            pvc_name=self.name,
            pv_labels={**labels, **pv_labels},
            pvc_labels={**labels, **pvc_labels},
            pv_annotations={"CreatedBy": "fluid", **pv_annotations},
            pvc_annotations={"CreatedBy": "fluid", **pvc_annotations},
            access_modes=list(self.dataset.access_modes or ["ReadOnlyMany"]),
            capacity=capacity,
            csi=csi,
            node_affinity=node_affinity,
        )

    def _sync_plan(self, worker: _Worker, api_gateway: bool) -> str:
        plan = sync_plan(
            namespace=self.namespace,
            name=self.name,
            labels=node_labels(
                self.namespace, self.name, self.tiers, exclusive=worker.placement == "Exclusive"
            ),
            worker_name=fit(f"{self.name}-worker", STATEFULSET_LIMIT),
            worker_selector=worker.selector,
            master_name=self.master_name,
            master_services=self.services,
            master_replicas=(self.runtime.master.replicas or 0) if self.runtime.master else 0,
            fuse_name=fit(f"{self.name}-fuse"),
            fuse_label=self.fuse_label,
            fuse_clean_policy=self.fuse.clean_policy or "OnRuntimeDeleted",
            ports=self.ports,
            api_gateway=api_gateway,
            mounts=self.ds.model.model_dump(by_alias=True, exclude_unset=True)["spec"].get(
                "mounts", []
            ),
            worker_affinity=cache_affinity(worker.pod.node_selector, worker.pod.affinity),
        )
        return dump_plan(plan)

    # ------------------------------------------------------------------ values
    def values(self) -> Values:
        ns, name = self.namespace, self.name
        properties = self._properties()
        worker_resources = self._worker_resources()
        master = self._master()
        worker = self._worker(worker_resources)
        fuse_pod, fuse = self._fuse_pod()
        run_as = self.runtime.run_as
        return Values(
            namespace=ns,
            name=name,
            dataset_id=self.dataset_id,
            labels=self.labels,
            dataset_labels=self.user_labels,
            init_image=init_image(self.rt.model),
            backup_dir=master.backup_dir,
            image=runtime_image(self.rt.model),
            fuse_image=self._fuse_image(),
            run_as=(run_as.uid, run_as.gid) if run_as else (0, 0),
            init_users=self._init_users(),
            ports=self.ports,
            master_name=self.master_name,
            master_replicas=self.replicas,
            master_services=self.services,
            master_selector=master.selector,
            master_pod=master.pod,
            master=master.master,
            job_master=master.job_master,
            api_gateway=master.api_gateway,
            startup_probe="/etc/fluid/scripts/mount.sh >/proc/1/fd/1 2>&1",
            service_labels=master.service_labels,
            service_ports=master.service_ports,
            worker_name=fit(f"{name}-worker", STATEFULSET_LIMIT),
            worker_replicas=self.runtime.replicas or 0,
            worker_labels=worker.labels,
            worker_selector=worker.selector,
            worker_pod=worker.pod,
            worker=worker.worker,
            job_worker=worker.job_worker,
            worker_init_args=["init_users", "chmod_tierpath"],
            worker_init_mounts=[
                {"name": "dir", "mountPath": "/tmp"},
                {"name": "user", "mountPath": "/tmp/passwd"},
                {"name": "group", "mountPath": "/tmp/group"},
                *self.shared.tier_mounts,
            ],
            fuse_name=fit(f"{name}-fuse"),
            fuse_labels={**self.labels, "role": "alluxio-fuse"},
            fuse_selector=self.fuse_selector,
            fuse_pod=fuse_pod,
            fuse=fuse,
            fuse_args=self.fuse_args,
            fuse_mount_parent=self.mount_parent,
            fuse_mount_path=self.mount_path,
            fuse_host_pid=(self.rt.model.metadata.annotations or {}).get(HOST_PID, "") in _TRUE,
            config_name=fit(f"{name}-config"),
            config=self._config(properties, worker_resources.get("requests", {}).get("memory")),
            mount_config_name=fit(f"{name}-mount-config"),
            mount_table="".join(line + "\n" for line in self.mounts.table),
            volume=self._volume(),
            sync_plan_name=fit(f"{name}-sync-plan"),
            sync_plan=self._sync_plan(worker, master.api_gateway is not None),
            dataset_object=normalised(self.ds, self.dataset_id, self.user_labels),
            runtime_object=normalised(self.rt, self.dataset_id, self.user_labels),
        )

    def _restore(
        self, env: dict[str, str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
        """`dataRestoreLocation`: the master starts from a metadata backup (upstream 7.3)."""
        location = self.dataset.data_restore_location
        if location is None or not location.path:
            return [], [], {}
        archive = f"metadata-backup-{self.name}-{self.namespace}.gz"
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

    def _fuse_args(self, user: list[str] | None, libfuse2: bool) -> list[str]:
        """Upstream's five FUSE argument rules, in order (`transform_fuse.go`, `transformFuse`;
        `transform_optimization.go`, `optimizeDefaultFuse`). A new-style image gets the mount
        path and `/` after the user's own arguments too: without them FUSE would not mount
        where the CSI plugin looks."""
        if user is not None:
            args = list(user)
        elif self.read_only:
            opts = (
                "kernel_cache,ro,max_read=131072,attr_timeout=7200,entry_timeout=7200,nonempty"
                if libfuse2
                else "kernel_cache,ro,attr_timeout=7200,entry_timeout=7200"
            )
            args = ["fuse", f"--fuse-opts={opts}"]
        else:
            args = [
                "fuse",
                "--fuse-opts=kernel_cache,rw" + (",max_read=131072" if libfuse2 else ""),
            ]
        if self.new_style_fuse:
            args += [self.mount_path, "/"]
        owner = self.dataset.owner
        if len(args) >= 2 and owner is not None:
            args[1] += f",uid={owner.uid},gid={owner.gid}"
        if len(args) >= 2 and "allow_" not in args[1]:
            args[1] += ",allow_other"
        if len(args) >= 2 and self.mounts.all_http and user is None:
            args[1] += ",max_readahead=0"
        return args

    def _metadata_list(
        self, annotations: Mapping[str, str]
    ) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
        """`data.fluid.io/metadataList`: extra labels and annotations for the PV and PVC."""
        text = annotations.get("data.fluid.io/metadataList")
        result: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        if text is None:
            return result
        path = ("metadata", "annotations", "data.fluid.io/metadataList")
        try:
            entries = json.loads(text)
            for entry in entries:
                selector = entry.get("selector", {})
                if selector.get("group", "") != "":
                    continue
                labels, notes = result.setdefault(selector.get("kind", ""), ({}, {}))
                labels.update({str(k): str(v) for k, v in (entry.get("labels") or {}).items()})
                notes.update({str(k): str(v) for k, v in (entry.get("annotations") or {}).items()})

        except (ValueError, AttributeError, TypeError):
            self._problem(self.rt, path, "must be a JSON list of {labels, annotations, selector}")
        # JSON key order must not reach the output
        return {
            kind: (dict(sorted(labels.items())), dict(sorted(notes.items())))
            for kind, (labels, notes) in result.items()
        }
