"""Everything the runtime templates print, computed once per bundle (upstream's transform, 3.x)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fluid_render.api import AlluxioRuntime, Dataset
from fluid_render.api.alluxio import AlluxioCompTemplateSpec
from fluid_render.api.common import (
    LocalObjectReference,
    PodMetadata,
    ResourceRequirements,
    User,
)
from fluid_render.bind import Bundle
from fluid_render.errors import Problem, fail_if
from fluid_render.plan import quantity
from fluid_render.plan.mounts import is_credential, plan_mounts
from fluid_render.plan.naming import STATEFULSET_LIMIT, dataset_id, fit, label_key
from fluid_render.plan.nodelabels import node_labels, sync_plan
from fluid_render.plan.ports import (
    PROPERTY_OF,
    STATIC_PORTS,
    master_replicas,
    needed_ports,
    uses_host_network,
)
from fluid_render.plan.properties import java_options, site_properties
from fluid_render.plan.tieredstore import memory_bytes, plan_tiers
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
class Values:
    """The values of one Dataset + AlluxioRuntime: read by every template of charts/alluxio."""

    namespace: str
    name: str
    dataset_id: str
    labels: dict[str, str]
    dataset_labels: dict[str, str]
    selector_labels: dict[str, str]
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
    # volumes
    pv_name: str
    pvc_name: str
    pv_labels: dict[str, str]
    pvc_labels: dict[str, str]
    pv_annotations: dict[str, str]
    pvc_annotations: dict[str, str]
    access_modes: list[str]
    capacity: str
    csi_attributes: dict[str, str]
    pv_node_affinity: dict[str, Any] | None
    # the syncer's plan: node labels, workloads, endpoints
    sync_plan_name: str
    sync_plan: str
    # the user's own objects, normalised
    dataset_object: dict[str, Any]
    runtime_object: dict[str, Any]


def plan_values(bundle: Bundle, ports: Mapping[str, int]) -> Values:
    """All values of one bundle; every problem found along the way is reported together."""
    problems: list[Problem] = []
    values = _Planner(bundle, ports, problems).values()
    fail_if(problems)
    assert values is not None
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


class _Planner:
    """One pass over a bundle; methods share the specs and the list of problems."""

    def __init__(self, bundle: Bundle, ports: Mapping[str, int], problems: list[Problem]) -> None:
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

    def _check_credentials(self) -> None:
        sections: list[tuple[tuple[str | int, ...], Mapping[str, str] | None]] = [
            (("spec", "properties"), self.runtime.properties),
        ]
        for attr in ("master", "worker", "fuse"):
            component = getattr(self.runtime, attr)
            sections.append(
                (("spec", attr, "properties"), component.properties if component else None)
            )
        for path, properties in sections:
            for key in properties or {}:
                if is_credential(key):
                    self._problem(
                        self.rt,
                        (*path, key),
                        "looks like a credential: put it in a Dataset mount's "
                        "encryptOptions (a Secret reference), so it never lands in git",
                    )

    # ----------------------------------------------------------------- values
    def values(self) -> Values | None:
        ns, name = self.namespace, self.name
        self._check_credentials()
        tiers = plan_tiers(self.rt, self.problems)
        mounts = plan_mounts(self.ds, self.problems)
        image, fuse_image = runtime_image(self.rt.model), self._fuse_image()
        new_style = self._new_style_fuse(fuse_image.tag)
        ds_id = dataset_id(ns, name)
        replicas = master_replicas(self.rt.model)
        master_name = fit(f"{name}-master", STATEFULSET_LIMIT)
        worker_name = fit(f"{name}-worker", STATEFULSET_LIMIT)
        fuse_name = fit(f"{name}-fuse")
        services = [f"{master_name}-{i}" for i in range(replicas)]
        owner = self.dataset.owner
        run_as = self.runtime.run_as
        uid_gid = (run_as.uid, run_as.gid) if run_as else (0, 0)
        read_only = not self.dataset.access_modes or "ReadOnlyMany" in self.dataset.access_modes
        access_modes = list(self.dataset.access_modes or ["ReadOnlyMany"])
        fuse_spec = self.runtime.fuse
        fuse_label = label_key("fluid.io/f-", ns, name)
        mount_parent = f"{MOUNT_ROOT}/alluxio/{ns}/{name}"
        mount_path = f"{mount_parent}/alluxio-fuse"

        user_labels = dict(self.ds.model.metadata.labels or {})
        labels = {
            **user_labels,
            "app": "alluxio",
            "chart": CHART_LABEL,
            "release": name,
            "heritage": MANAGED_BY,
            "app.kubernetes.io/name": "alluxio",
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "fluid.io/managed-by": "fluid",
            "fluid.io/dataset-id": ds_id,
        }

        # ---- properties
        master_c, worker_c = self._component("master"), self._component("worker")
        fuse_props = (fuse_spec.properties if fuse_spec else None) or {}
        user_props = dict(self.runtime.properties or {})
        component_keys = (
            set(master_c.properties or {}) | set(worker_c.properties or {}) | set(fuse_props)
        )
        fuse_args_user = list(fuse_spec.args) if fuse_spec and fuse_spec.args else None
        libfuse2 = (
            user_props.get("alluxio.fuse.jnifuse.libfuse.version")
            or (
                master_c.properties
                and master_c.properties.get("alluxio.fuse.jnifuse.libfuse.version")
            )
            or (
                worker_c.properties
                and worker_c.properties.get("alluxio.fuse.jnifuse.libfuse.version")
            )
            or fuse_props.get("alluxio.fuse.jnifuse.libfuse.version")
        ) == "2"
        fuse_args = self._fuse_args(
            fuse_args_user, read_only, libfuse2, new_style, mount_path, mounts.all_http
        )
        forced: dict[str, str] = {"alluxio.master.mount.table.root.ufs": mounts.root_ufs}
        forced.update(dict(mounts.root_properties))
        data_replicas = self.runtime.data.replicas if self.runtime.data else None
        forced["alluxio.user.file.replication.max"] = str(
            data_replicas if data_replicas and data_replicas > 0 else 1
        )
        if any(not v.host_path for t in tiers for v in t.volumes) and self.runtime.tiered_store:
            forced["alluxio.user.short.circuit.enabled"] = "false"
        if not (owner is not None and len(fuse_args) >= 2):
            forced["alluxio.fuse.user.group.translation.enabled"] = "true"
        hadoop = self.runtime.hadoop_config
        if hadoop:
            forced["alluxio.underfs.hdfs.configuration"] = (
                "/hdfs-config/core-site.xml:/hdfs-config/hdfs-site.xml"
            )
        port_props = {PROPERTY_OF[n]: str(p) for n, p in self.ports.items()} if self.host else {}
        embedded = None
        if replicas > 1:
            journal_port = self.ports["master.embeddedJournal"]
            embedded = ",".join(f"{s}:{journal_port}" for s in services)
        levels = (self.runtime.tiered_store.levels if self.runtime.tiered_store else None) or []
        # Direct memory reads pay off only for one read-only tier with a single path (3.4).
        direct_memory = read_only and len(levels) == 1 and len(levels[0].path.split(",")) == 1
        properties = site_properties(
            user=user_props,
            component_keys=component_keys,
            forced=forced,
            all_http=mounts.all_http,
            master_replicas=replicas,
            direct_memory=direct_memory,
            ports=port_props,
            embedded_journal_addresses=embedded,
        )

        # ---- worker memory (3.9) and fuse memory (3.10)
        mem = memory_bytes(tiers)
        worker_resources = self._resources(worker_c.resources)
        requests = dict(worker_resources.get("requests", {}))
        limits = dict(worker_resources.get("limits", {}))
        if mem > 0:
            requested = requests.get("memory")
            if (
                requested is None
                or quantity.to_bytes(requested) == 0
                or mem > quantity.to_bytes(requested)
            ):
                requests["memory"] = quantity.canonical(mem, binary=True)
            limit = limits.get("memory")
            if limit is not None and quantity.to_bytes(limit) < mem:
                self._problem(
                    self.rt,
                    ("spec", "worker", "resources", "limits", "memory"),
                    f"{limit} is less than the MEM tier quota "
                    f"{quantity.canonical(mem, binary=True)} it must hold",
                )
        if requests:
            worker_resources["requests"] = dict(sorted(requests.items()))
        fuse_resources: dict[str, Any] = {}
        fuse_limit = (
            (fuse_spec.resources.limits or {}).get("memory")
            if fuse_spec and fuse_spec.resources
            else None
        )
        if fuse_limit is not None and fuse_spec is not None:
            fuse_resources = self._resources(fuse_spec.resources)
            amount, binary = quantity.parse(fuse_limit)
            total = int(amount) + mem
            fuse_resources["limits"] = {
                **fuse_resources["limits"],
                "memory": quantity.canonical(total, binary=binary),
            }

        # ---- java options (the <name>-config ConfigMap, 4.2)
        level0 = next(t for t in tiers if t.level == 0).paths.split(",")[0]
        opts: list[str] = []
        if replicas == 1:
            opts.append(f"-Dalluxio.master.hostname={services[0]}.{ns}")
        opts += [
            "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
            "-Dalluxio.master.journal.type=EMBEDDED",
            "-Dalluxio.master.journal.folder=/journal",
            f"-Dalluxio.worker.tieredstore.levels={len(tiers)}",
        ]
        for tier in tiers:
            opts += tier.options()
        opts += java_options(properties)
        opts += list(self.runtime.jvm_options or [])
        worker_host = worker_c.network_mode != "ContainerNetwork"
        master_host = master_c.network_mode != "ContainerNetwork"
        worker_opts = [
            "-Dalluxio.worker.hostname=${ALLUXIO_WORKER_HOSTNAME}",
            f"-Dalluxio.worker.rpc.port={self.ports['worker.rpc']}",
            f"-Dalluxio.worker.web.port={self.ports['worker.web']}",
        ]
        if not worker_host:
            worker_opts.append(
                "-Dalluxio.worker.container.hostname=${ALLUXIO_WORKER_CONTAINER_HOSTNAME}"
            )
        if "memory" in requests:
            worker_opts.append(f"-Dalluxio.worker.memory.size={requests['memory']}")
        worker_opts += java_options(worker_c.properties or {})
        worker_opts += list(worker_c.jvm_options or WORKER_JVM)
        config = {
            "ALLUXIO_JAVA_OPTS": " ".join(opts),
            "ALLUXIO_MASTER_JAVA_OPTS": " ".join(
                [
                    "-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}",
                    *java_options(master_c.properties or {}),
                    *(master_c.jvm_options or MASTER_JVM),
                ]
            ),
            "ALLUXIO_JOB_MASTER_JAVA_OPTS": "-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}",
            "ALLUXIO_WORKER_JAVA_OPTS": " ".join(worker_opts),
            "ALLUXIO_JOB_WORKER_JAVA_OPTS": " ".join(
                [
                    "-Dalluxio.worker.hostname=${ALLUXIO_WORKER_HOSTNAME}",
                    f"-Dalluxio.job.worker.rpc.port={self.ports['jobWorker.rpc']}",
                    f"-Dalluxio.job.worker.data.port={self.ports['jobWorker.data']}",
                    f"-Dalluxio.job.worker.web.port={self.ports['jobWorker.web']}",
                ]
            ),
            "ALLUXIO_FUSE_JAVA_OPTS": " ".join(
                [
                    *java_options(fuse_props),
                    *((fuse_spec.jvm_options if fuse_spec else None) or FUSE_JVM),
                ]
            ),
            LEVEL0_ENV: "${" + LEVEL0_ENV + "}",
        }

        # ---- init users (3.3)
        init_users = None
        user_volumes: list[dict[str, Any]] = []
        user_mounts: list[dict[str, Any]] = []
        if run_as is not None:
            init = init_image(self.rt.model)
            tier_paths = ":".join(p for lv in levels for p in lv.path.split(","))
            env = [init_users_env(run_as)]
            if tier_paths:
                env.append({"name": "FLUID_TIERSTORE_PATHS", "value": tier_paths})
            init_users = InitUsers(init, env)
            user_dir = f"/tmp/fluid/{ns}/{name}"
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

        # ---- shared volumes
        hdfs_volumes, hdfs_mounts = [], []
        if hadoop:
            hdfs_volumes = [
                {
                    "name": "hdfs-confs",
                    "configMap": {
                        "name": hadoop,
                        "items": [
                            {"key": "core-site.xml", "path": "core-site.xml"},
                            {"key": "hdfs-site.xml", "path": "hdfs-site.xml"},
                        ],
                    },
                }
            ]
            hdfs_mounts = [{"name": "hdfs-confs", "mountPath": "/hdfs-config", "readOnly": True}]
        secret_volumes = [
            {"name": s.volume, "secret": {"secretName": s.secret}} for s in mounts.secrets
        ]
        secret_mounts = [
            {"name": s.volume, "mountPath": s.mount_path, "readOnly": True} for s in mounts.secrets
        ]
        tier_volumes = [{"name": v.name, **v.source} for t in tiers for v in t.volumes]
        tier_mounts = [{"name": v.name, "mountPath": v.path} for t in tiers for v in t.volumes]
        fuse_tier_volumes = [
            {"name": v.name, **v.source} for t in tiers for v in t.volumes if v.host_path
        ]
        fuse_tier_mounts = [
            {"name": v.name, "mountPath": v.path} for t in tiers for v in t.volumes if v.host_path
        ]
        ufs_volumes, ufs_mounts = list(mounts.volumes), list(mounts.volume_mounts)

        # ---- master pod (4.5)
        master_user_volumes, master_user_mounts = self._user_volumes(
            "master", master_c.volume_mounts
        )
        pod_labels, pod_annotations = self._pod_metadata(master_c.pod_metadata)
        master_selector = {"app": "alluxio", "role": "alluxio-master", "name": master_name}
        istio = {"sidecar.istio.io/inject": "false"}
        tolerations = [
            t.model_dump(by_alias=True, exclude_none=True) for t in self.dataset.tolerations or []
        ]
        node_affinity = self.dataset.node_affinity.required if self.dataset.node_affinity else None
        required = (
            node_affinity.model_dump(by_alias=True, exclude_none=True) if node_affinity else None
        )
        master_affinity = (
            {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}
            if required and mounts.has_local
            else {}
        )
        master_env_map = {
            **(master_c.env or {}),
            "ALLUXIO_WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH": level0,
        }
        restore_volumes, restore_mounts, restore_node = self._restore(master_env_map)
        hostname_source = "status.podIP" if replicas == 1 else "metadata.name"
        master_hostname = self._field_env("ALLUXIO_MASTER_HOSTNAME", hostname_source)
        master_ports = [
            {"name": "rpc", "containerPort": self.ports["master.rpc"]},
            {"name": "web", "containerPort": self.ports["master.web"]},
        ]
        job_master_ports = [
            {"name": "job-rpc", "containerPort": self.ports["jobMaster.rpc"]},
            {"name": "job-web", "containerPort": self.ports["jobMaster.web"]},
        ]
        if replicas > 1:
            master_ports.append(
                {"name": "embedded", "containerPort": self.ports["master.embeddedJournal"]}
            )
            job_master_ports.append(
                {"name": "job-embedded", "containerPort": self.ports["jobMaster.embeddedJournal"]}
            )
        journal = {"name": "alluxio-journal", "emptyDir": {"sizeLimit": "30Gi"}}
        # Metadata backups (`fsadmin backup --local`) land here, on the master's node, where a
        # DataBackup Job beside it picks them up; mounted always, so adding one needs no restart.
        backup_dir = f"{WORKDIR}/alluxio-backup/{ns}/{name}"
        backup = {
            "name": "alluxio-backup",
            "hostPath": {"path": backup_dir, "type": "DirectoryOrCreate"},
        }
        mount_conf = {
            "name": "alluxio-mount-conf",
            "configMap": {
                "name": fit(f"{name}-mount-config"),
                "items": [
                    {"key": "entrypoint.script", "path": "entrypoint.sh", "mode": 0o550},
                    {"key": "mount.script", "path": "mount.sh", "mode": 0o550},
                    {"key": "mount.info", "path": "mount.info", "mode": 0o444},
                ],
            },
        }
        master_volumes = [
            mount_conf,
            *restore_volumes,
            *hdfs_volumes,
            *user_volumes,
            journal,
            backup,
            *ufs_volumes,
            *master_user_volumes,
            *secret_volumes,
        ]
        master = Container(
            resources=self._resources(master_c.resources),
            env=[master_hostname, *self._env(master_env_map)],
            ports=master_ports,
            volume_mounts=[
                *restore_mounts,
                *hdfs_mounts,
                *user_mounts,
                {"name": "alluxio-journal", "mountPath": "/journal"},
                {"name": "alluxio-backup", "mountPath": "/alluxio_backups"},
                *ufs_mounts,
                *master_user_mounts,
                *secret_mounts,
                {"name": "alluxio-mount-conf", "mountPath": "/etc/fluid/scripts"},
            ],
        )
        job_master = Container(
            resources=self._resources(self._component("job_master").resources),
            env=[master_hostname],
            ports=job_master_ports,
            volume_mounts=[
                *hdfs_mounts,
                *user_mounts,
                *ufs_mounts,
                *master_user_mounts,
                *secret_mounts,
            ],
        )
        gateway = self.runtime.api_gateway
        api_gateway = None
        if gateway is not None and gateway.enabled:
            api_gateway = Container(
                resources=self._resources(gateway.resources),
                env=[self._field_env("ALLUXIO_MASTER_HOSTNAME", "status.podIP")],
                ports=[{"name": "rest", "containerPort": self.ports["apiGateway.web"]}],
                volume_mounts=[],
            )
        master_pod = Pod(
            labels={**labels, **master_selector, **istio, **pod_labels}
            | {"app": "alluxio", **master_selector},
            annotations={**istio, **pod_annotations},
            host_network=master_host,
            node_selector=dict(sorted({**(master_c.node_selector or {}), **restore_node}.items())),
            tolerations=tolerations,
            affinity=master_affinity,
            pull_secrets=self._pull_secrets(master_c.image_pull_secrets),
            volumes=master_volumes,
        )

        # ---- master services (4.4)
        service_labels = {**labels, "role": "alluxio-master"}
        if not self.runtime.disable_prometheus:
            service_labels["monitor"] = "alluxio_runtime_metrics"
        service_ports = [
            {"name": p["name"], "port": p["containerPort"]} for p in master_ports + job_master_ports
        ]
        if api_gateway is not None:
            service_ports.insert(4, {"name": "rest", "port": self.ports["apiGateway.web"]})

        # ---- worker pod (4.6)
        placement = self.dataset.placement or "Exclusive"
        worker_labels = {
            **labels,
            "role": "alluxio-worker",
            "fluid.io/dataset": ds_id,
            "fluid.io/dataset-placement": placement,
        }
        worker_selector = {"app": "alluxio", "release": name, "role": "alluxio-worker"}
        w_pod_labels, w_pod_annotations = self._pod_metadata(worker_c.pod_metadata)
        worker_user_volumes, worker_user_mounts = self._user_volumes(
            "worker", worker_c.volume_mounts
        )
        worker_env = [self._field_env("ALLUXIO_WORKER_HOSTNAME", "status.hostIP")]
        if not worker_host:
            worker_env.append(self._field_env("ALLUXIO_WORKER_CONTAINER_HOSTNAME", "status.podIP"))
        worker_mounts = [*hdfs_mounts, *user_mounts, *ufs_mounts, *tier_mounts, *worker_user_mounts]
        worker = Container(
            resources=worker_resources,
            env=[
                *worker_env,
                *self._env(
                    {**(worker_c.env or {}), "ALLUXIO_WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH": level0}
                ),
            ],
            ports=[
                {"name": "rpc", "containerPort": self.ports["worker.rpc"]},
                {"name": "web", "containerPort": self.ports["worker.web"]},
            ],
            volume_mounts=worker_mounts,
        )
        job_worker = Container(
            resources=self._resources(self._component("job_worker").resources),
            env=worker_env,
            ports=[
                {"name": "job-rpc", "containerPort": self.ports["jobWorker.rpc"]},
                {"name": "job-data", "containerPort": self.ports["jobWorker.data"]},
                {"name": "job-web", "containerPort": self.ports["jobWorker.web"]},
            ],
            volume_mounts=worker_mounts,
        )
        anti = {
            "labelSelector": {
                "matchExpressions": [{"key": "fluid.io/dataset", "operator": "Exists"}]
            },
            "topologyKey": "kubernetes.io/hostname",
        }
        if placement == "Shared":
            pod_anti = {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 50, "podAffinityTerm": anti}
                ],
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {
                            "matchExpressions": [
                                {
                                    "key": "fluid.io/dataset-placement",
                                    "operator": "In",
                                    "values": ["Exclusive"],
                                }
                            ]
                        },
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ],
            }
        else:
            pod_anti = {"requiredDuringSchedulingIgnoredDuringExecution": [anti]}
        worker_node_affinity: dict[str, Any] = {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "preference": {
                        "matchExpressions": [
                            {"key": fuse_label, "operator": "In", "values": ["true"]}
                        ]
                    },
                }
            ]
        }
        if required:
            worker_node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
        worker_pod = Pod(
            labels={
                **worker_labels,
                **istio,
                **w_pod_labels,
                **worker_selector,
                "fluid.io/dataset": ds_id,
            },
            annotations={**istio, **w_pod_annotations},
            host_network=worker_host,
            node_selector=dict(sorted((worker_c.node_selector or {}).items())),
            tolerations=tolerations,
            affinity={"nodeAffinity": worker_node_affinity, "podAntiAffinity": pod_anti},
            pull_secrets=self._pull_secrets(worker_c.image_pull_secrets),
            volumes=[
                *hdfs_volumes,
                *user_volumes,
                *ufs_volumes,
                *tier_volumes,
                *worker_user_volumes,
            ],
        )

        # ---- fuse pod (4.7)
        fuse_selector = {"app": "alluxio", "release": name, "role": "alluxio-fuse"}
        f_pod_labels, f_pod_annotations = self._pod_metadata(
            fuse_spec.pod_metadata if fuse_spec else None
        )
        fuse_user_volumes, fuse_user_mounts = self._user_volumes(
            "fuse", fuse_spec.volume_mounts if fuse_spec else None
        )
        fuse_env_map = dict((fuse_spec.env if fuse_spec else None) or {})
        if not new_style:
            fuse_env_map["MOUNT_POINT"] = mount_path
        fuse = Container(
            resources=fuse_resources,
            env=[
                self._field_env("ALLUXIO_CLIENT_HOSTNAME", "status.hostIP"),
                {
                    "name": "ALLUXIO_CLIENT_JAVA_OPTS",
                    "value": "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
                },
                {"name": "FLUID_RUNTIME_TYPE", "value": "alluxio"},
                {"name": "FLUID_RUNTIME_NS", "value": ns},
                {"name": "FLUID_RUNTIME_NAME", "value": name},
                *self._env(fuse_env_map),
            ],
            ports=[],
            volume_mounts=[
                *user_mounts,
                {"name": "alluxio-fuse-device", "mountPath": "/dev/fuse"},
                {
                    "name": "alluxio-fuse-mount",
                    "mountPath": mount_parent,
                    "mountPropagation": "Bidirectional",
                },
                *fuse_tier_mounts,
                *fuse_user_mounts,
            ],
        )
        fuse_node_selector = dict(
            sorted(
                {
                    **((fuse_spec.node_selector if fuse_spec else None) or {}),
                    fuse_label: "true",
                }.items()
            )
        )
        fuse_pod = Pod(
            labels={**labels, "role": "alluxio-fuse", **istio, **f_pod_labels, **fuse_selector},
            annotations={**istio, **f_pod_annotations},
            host_network=(fuse_spec.network_mode if fuse_spec else None) != "ContainerNetwork",
            node_selector=fuse_node_selector,
            tolerations=[{"operator": "Exists"}],
            affinity={},
            pull_secrets=self._pull_secrets(fuse_spec.image_pull_secrets if fuse_spec else None),
            volumes=[
                *[v for v in user_volumes if v["name"] != "dir"],
                {
                    "name": "alluxio-fuse-device",
                    "hostPath": {"path": "/dev/fuse", "type": "CharDevice"},
                },
                {
                    "name": "alluxio-fuse-mount",
                    "hostPath": {"path": mount_parent, "type": "DirectoryOrCreate"},
                },
                *fuse_tier_volumes,
                *fuse_user_volumes,
            ],
        )
        host_pid = (self.rt.model.metadata.annotations or {}).get(
            "runtime.fluid.io/fuse.hostpid", ""
        ) in _TRUE

        # ---- PV / PVC (4.8, 4.9)
        annotations = self.ds.model.metadata.annotations or {}
        capacity = annotations.get(CAPACITY_ANNOTATION, DEFAULT_CAPACITY)
        try:
            quantity.parse(capacity)
        except ValueError:
            self._problem(
                self.ds,
                ("metadata", "annotations", CAPACITY_ANNOTATION),
                f"{capacity!r} is not a Kubernetes quantity",
            )
        dataset_label = label_key("fluid.io/s-", ns, name)
        pv_name = fit(f"{ns}-{name}", 253)
        csi = {
            "fluid_path": mount_path,
            "mount_type": "fuse.alluxio-fuse",
            "runtime_namespace": ns,
            "runtime_name": name,
            "mount_pod_node_selector_key": fuse_label,
        }
        rt_annotations = self.rt.model.metadata.annotations or {}
        if "fluid.io/skip-check-mount-ready-target" in rt_annotations:
            csi["fluid.io/skip-check-mount-ready-target"] = rt_annotations[
                "fluid.io/skip-check-mount-ready-target"
            ]
        extra = self._metadata_list(rt_annotations)
        pv_extra_labels, pv_extra_annotations = extra.get("PersistentVolume", ({}, {}))
        pvc_extra_labels, pvc_extra_annotations = extra.get("PersistentVolumeClaim", ({}, {}))
        if pv_extra_labels.get("fluid.io/node-publish-method") == "symlink":
            csi["node_publish_method"] = "symlink"
        user_fuse_selector = (fuse_spec.node_selector if fuse_spec else None) or {}
        pv_node_affinity = None
        if user_fuse_selector:
            pv_node_affinity = {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": k, "operator": "In", "values": [v]}
                                for k, v in sorted(user_fuse_selector.items())
                            ]
                        }
                    ]
                }
            }
        volume_labels = {
            **user_labels,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            dataset_label: "true",
            "fluid.io/dataset-id": ds_id,
        }

        # ---- the user's objects, normalised
        dataset_object = normalised(self.ds, ds_id, user_labels)
        runtime_object = normalised(self.rt, ds_id, user_labels)

        return Values(
            namespace=ns,
            name=name,
            dataset_id=ds_id,
            labels=labels,
            dataset_labels=user_labels,
            init_image=init_image(self.rt.model),
            backup_dir=backup_dir,
            selector_labels={"app": "alluxio", "release": name},
            image=image,
            fuse_image=fuse_image,
            run_as=uid_gid,
            init_users=init_users,
            ports=self.ports,
            master_name=master_name,
            master_replicas=replicas,
            master_services=services,
            master_selector=master_selector,
            master_pod=master_pod,
            master=master,
            job_master=job_master,
            api_gateway=api_gateway,
            startup_probe="/etc/fluid/scripts/mount.sh >/proc/1/fd/1 2>&1",
            service_labels=service_labels,
            service_ports=service_ports,
            worker_name=worker_name,
            worker_replicas=self.runtime.replicas or 0,
            worker_labels=worker_labels,
            worker_selector=worker_selector,
            worker_pod=worker_pod,
            worker=worker,
            job_worker=job_worker,
            worker_init_args=["init_users", "chmod_tierpath"],
            worker_init_mounts=[
                {"name": "dir", "mountPath": "/tmp"},
                {"name": "user", "mountPath": "/tmp/passwd"},
                {"name": "group", "mountPath": "/tmp/group"},
                *tier_mounts,
            ],
            fuse_name=fuse_name,
            fuse_labels={**labels, "role": "alluxio-fuse"},
            fuse_selector=fuse_selector,
            fuse_pod=fuse_pod,
            fuse=fuse,
            fuse_args=fuse_args,
            fuse_mount_parent=mount_parent,
            fuse_mount_path=mount_path,
            fuse_host_pid=host_pid,
            config_name=fit(f"{name}-config"),
            config=config,
            mount_config_name=fit(f"{name}-mount-config"),
            mount_table="".join(line + "\n" for line in mounts.table),
            pv_name=pv_name,
            pvc_name=name,
            pv_labels={**volume_labels, **pv_extra_labels},
            pvc_labels={**volume_labels, **pvc_extra_labels},
            pv_annotations={"CreatedBy": "fluid", **pv_extra_annotations},
            pvc_annotations={"CreatedBy": "fluid", **pvc_extra_annotations},
            access_modes=access_modes,
            capacity=capacity,
            csi_attributes=csi,
            pv_node_affinity=pv_node_affinity,
            sync_plan_name=fit(f"{name}-sync-plan"),
            sync_plan=json.dumps(
                sync_plan(
                    namespace=ns,
                    name=name,
                    labels=node_labels(ns, name, tiers, exclusive=placement == "Exclusive"),
                    worker_name=worker_name,
                    worker_selector=worker_selector,
                    master_name=master_name,
                    master_services=services,
                    fuse_name=fuse_name,
                    fuse_label=fuse_label,
                    fuse_clean_policy=(fuse_spec.clean_policy if fuse_spec else None)
                    or "OnRuntimeDeleted",
                    ports=self.ports,
                    api_gateway=api_gateway is not None,
                ),
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
            + "\n",
            dataset_object=dataset_object,
            runtime_object=runtime_object,
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

    def _fuse_args(
        self,
        user: list[str] | None,
        read_only: bool,
        libfuse2: bool,
        new_style: bool,
        mount_path: str,
        all_http: bool,
    ) -> list[str]:
        """Upstream's five FUSE argument rules (3.10), in order."""
        if user is not None:
            args = list(user)
        elif read_only:
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
        if user is None and new_style:
            args += [mount_path, "/"]
        owner = self.dataset.owner
        if len(args) >= 2 and owner is not None:
            args[1] += f",uid={owner.uid},gid={owner.gid}"
        if len(args) >= 2 and "allow_" not in args[1]:
            args[1] += ",allow_other"
        if len(args) >= 2 and all_http and user is None:
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
        return result
