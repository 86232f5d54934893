"""The facts every section of the plan shares: the specs, the ports, the problems found, and
what several pods need (labels, names, tiers, mounts, shared volumes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from fluid_render.api import AlluxioRuntime, Dataset
from fluid_render.api.alluxio import AlluxioCompTemplateSpec, AlluxioFuseSpec, Level
from fluid_render.api.common import (
    LocalObjectReference,
    PodMetadata,
    ResourceRequirements,
)
from fluid_render.bind import Bundle
from fluid_render.errors import Problem
from fluid_render.objects import MANAGED_BY
from fluid_render.plan import nodelabels
from fluid_render.plan.configmaps import ConfigMapKeys
from fluid_render.plan.naming import dataset_id
from fluid_render.runtimes.alluxio.basics import (
    CHART_LABEL,
    FUSE_IMAGE,
    LIBFUSE_VERSION,
    MOUNT_ROOT,
    VERSION_PATTERN,
    resolve_image,
)
from fluid_render.runtimes.alluxio.hadoop import HadoopConfig, hadoop_config
from fluid_render.runtimes.alluxio.mounts import Mounts, plan_mounts
from fluid_render.runtimes.alluxio.names import Names, object_names
from fluid_render.runtimes.alluxio.ports import (
    STATIC_PORTS,
    master_replicas,
    needed_ports,
    uses_host_network,
)
from fluid_render.runtimes.alluxio.tieredstore import Tier, TierVolume, plan_tiers
from fluid_render.runtimes.alluxio.values import (
    Image,
)
from fluid_render.validate import Spec, field_path


@dataclass(frozen=True)
class Attached:
    """Volumes of a pod and where its containers mount them."""

    volumes: list[dict[str, Any]]
    mounts: list[dict[str, Any]]


def _tiers(volumes: Sequence[TierVolume]) -> Attached:
    return Attached(
        [{"name": v.name, **v.source} for v in volumes],
        [{"name": v.name, "mountPath": v.path} for v in volumes],
    )


@dataclass(frozen=True)
class Shared:
    """What several pods attach: run-as files, hadoop config, secrets, UFS mounts, tiers (all
    of them, and those on the host, which the FUSE pod shares)."""

    users: Attached
    hdfs: Attached
    secrets: Attached
    ufs: Attached
    tiers: Attached
    host_tiers: Attached


class Context:
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
        self.ports = dict(ports) if self.host else self.static_ports()

    def static_ports(self) -> dict[str, int]:
        return {n: STATIC_PORTS[n] for n in needed_ports(self.rt.model)}

    def problem(self, spec: Spec[Any], path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(spec.at(*path), field_path(path), message))

    def component(self, attr: str) -> AlluxioCompTemplateSpec:
        found = getattr(self.runtime, attr)
        return found if found is not None else _unset_component()

    def fuse_image(self) -> Image:
        return resolve_image(self.runtime.fuse, FUSE_IMAGE)

    def is_new_style_fuse(self, tag: str) -> bool:
        """Alluxio >= 2.8 takes the mount point as arguments; older images read MOUNT_POINT."""
        match = VERSION_PATTERN.match(tag.removeprefix("release-"))
        if not match:
            self.problem(
                self.rt,
                ("spec", "fuse", "imageTag"),
                f"{tag!r} is not a version; the FUSE argument style depends on it",
            )
            return True
        parts = tuple(int(p or 0) for p in match.groups())
        return parts >= (2, 8, 0)

    def pull_secrets(self, own: Sequence[LocalObjectReference] | None) -> list[dict[str, str]]:
        chosen = own or self.runtime.image_pull_secrets or []
        return [{"name": ref.name} for ref in chosen]

    def pod_metadata(self, own: PodMetadata | None) -> tuple[dict[str, str], dict[str, str]]:
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

    def user_volumes(
        self, attr: str, mounts: Sequence[Any] | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The `spec.volumes` a component mounts; an unknown name is an error (upstream skips)."""
        known = {v.name: v for v in self.runtime.volumes or []}
        volumes, volume_mounts = [], []
        for index, mount in enumerate(mounts or []):
            if mount.name not in known:
                self.problem(
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
    def env(values: Mapping[str, str]) -> list[dict[str, Any]]:
        return [{"name": k, "value": v} for k, v in sorted(values.items())]

    @staticmethod
    def field_env(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}

    @staticmethod
    def resources(resources: ResourceRequirements | None) -> dict[str, Any]:
        return resources.model_dump(by_alias=True, exclude_none=True) if resources else {}

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
    def names(self) -> Names:
        return object_names(self.namespace, self.name)

    @cached_property
    def master_name(self) -> str:
        return self.names.master

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
        return nodelabels.fuse_label(self.namespace, self.name)

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
        """Every runtime object's labels, naming this tool as manager."""
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
        return self.runtime.fuse or _unset_fuse()

    @cached_property
    def new_style_fuse(self) -> bool:
        return self.is_new_style_fuse(self.fuse_image().tag)

    @cached_property
    def fuse_args(self) -> list[str]:
        user_keys = [
            self.runtime.properties,
            self.component("master").properties,
            self.component("worker").properties,
            self.fuse.properties,
        ]
        libfuse2 = any((p or {}).get(LIBFUSE_VERSION) == "2" for p in user_keys)
        return self.fuse_arguments(list(self.fuse.args) if self.fuse.args else None, libfuse2)

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
            self.problem(
                self.rt,
                ("spec", "hadoopConfig"),
                f"ConfigMap {self.namespace}/{name} holds neither core-site.xml nor hdfs-site.xml",
            )
        return found

    @cached_property
    def shared(self) -> Shared:
        """Volumes several pods mount: run-as files, hadoop config, secrets, UFS mounts, tiers."""
        users = Attached([], [])
        if self.runtime.run_as is not None:
            user_dir = f"/tmp/fluid/{self.namespace}/{self.name}"
            users = Attached(
                [
                    {"name": "dir", "hostPath": {"path": user_dir, "type": "DirectoryOrCreate"}},
                    {
                        "name": "user",
                        "hostPath": {"path": f"{user_dir}/passwd", "type": "FileOrCreate"},
                    },
                    {
                        "name": "group",
                        "hostPath": {"path": f"{user_dir}/group", "type": "FileOrCreate"},
                    },
                ],
                [
                    {"name": "user", "mountPath": "/etc/passwd", "readOnly": True},
                    {"name": "group", "mountPath": "/etc/group", "readOnly": True},
                ],
            )
        hadoop = self.hadoop
        secrets = self.mounts.secrets
        volumes = [v for t in self.tiers for v in t.volumes]
        return Shared(
            users=users,
            hdfs=Attached([hadoop.volume], [hadoop.mount]) if hadoop else Attached([], []),
            secrets=Attached(
                [{"name": s.volume, "secret": {"secretName": s.secret}} for s in secrets],
                [{"name": s.volume, "mountPath": s.mount_path, "readOnly": True} for s in secrets],
            ),
            ufs=Attached(list(self.mounts.volumes), list(self.mounts.volume_mounts)),
            tiers=_tiers(volumes),
            host_tiers=_tiers([v for v in volumes if v.host_path]),
        )

    @cached_property
    def fuse_selector(self) -> dict[str, str]:
        return {"app": "alluxio", "release": self.name, "role": "alluxio-fuse"}

    def fuse_arguments(self, user: list[str] | None, libfuse2: bool) -> list[str]:
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


# What an unset section of the spec means: the model with no field set. Models are frozen, so
# one instance serves every runtime (a new one for each took 1% of a 1000-dataset build).
@cache
def _unset_component() -> AlluxioCompTemplateSpec:
    return AlluxioCompTemplateSpec()


@cache
def _unset_fuse() -> AlluxioFuseSpec:
    return AlluxioFuseSpec()
