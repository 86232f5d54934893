"""What a runtime kind (Alluxio today; JuiceFS, Jindo, ... later) contributes to a build.

The pipeline, render and emit know nothing of a kind: they look the bundle's runtime kind up
in the registry (`fluid_render.runtimes.registry`) and render the object groups it plans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fluid_render.bind import Bundle
from fluid_render.errors import Problem
from fluid_render.objects import ObjectGroup
from fluid_render.plan.configmaps import ConfigMapKeys
from fluid_render.plan.ports import PortNeeds
from fluid_render.validate import Spec

Key = tuple[str, str, str]  # namespace, kind, name of a data operation


@dataclass(frozen=True)
class Order:
    """Where a data operation stands: its depth and the operation it must wait for."""

    depth: int
    after: Key | None
    after_job: str | None
    job_name: str


@dataclass(frozen=True)
class Decided:
    """What a build decides across all bundles before planning any: every runtime's host ports
    (by `plan.ports.runtime_key`), the order of every data operation, the keys of copied
    ConfigMaps and the image an operation waits with. A dataset's fingerprint covers it."""

    ports: Mapping[str, Mapping[str, int]]
    orders: Mapping[Key, Order]
    config_maps: ConfigMapKeys
    kubectl_image: str


@dataclass(frozen=True)
class PlanInputs:
    """What planning one bundle reads beside the bundle: decisions taken across all bundles."""

    ports: Mapping[str, int]  # this runtime's host ports, from the lock
    config_maps: ConfigMapKeys
    orders: Mapping[Key, Order]
    scripts: Mapping[str, str]  # the chart's shell scripts, by file name
    kubectl_image: str


@dataclass(frozen=True)
class Planned:
    """One bundle planned: its typed values (what its templates read) and its object groups."""

    values: Any  # the kind's own value object (for Alluxio, runtimes.alluxio.values.Values)
    groups: Sequence[ObjectGroup]


@dataclass(frozen=True)
class InjectFacts:
    """What upstream's webhook reads from the cluster about one runtime, taken from its plan:
    the claim, the FUSE pod's node selector, container and volumes, the host path the dataset
    is mounted at, and the worker pod's placement (its `status.cacheAffinity`)."""

    namespace: str
    name: str
    claim: str
    fuse_node_selector: Mapping[str, str]
    fuse_container: Mapping[str, Any]
    fuse_volumes: Sequence[Mapping[str, Any]]
    host_mount_path: str
    worker_node_selector: Mapping[str, str]
    worker_affinity: Mapping[str, Any]


@dataclass(frozen=True)
class HelmRole:
    """A workload of a runtime whose pod template reads values in `build --format helm`
    (`fluid_render/helmchart.py`): found by its kind and `role` label."""

    kind: str  # StatefulSet, DaemonSet, ...
    label: str  # its `metadata.labels.role`
    name: str  # its section of values.yaml
    container: str  # the container whose resources read `<name>.resources`
    image: str  # the value every container's image reads (`image`, `<name>.image`)
    replicas: bool = False  # spec.replicas reads `<name>.replicas`


@dataclass(frozen=True)
class HelmValues:
    """The deploy-time values of a runtime's objects in a `--format helm` chart."""

    roles: Sequence[HelmRole]
    order: Sequence[str]  # the top-level values, in values.yaml's order
    replicas: str  # the value the runtime resource's own spec.replicas reads
    docs: Mapping[str, str]  # the comment above each value but a role's resources


class Runtime(Protocol):
    """A runtime kind: the custom resource it compiles and how one bundle is planned."""

    @property
    def kind(self) -> str:
        """The custom resource kind, e.g. `AlluxioRuntime`."""

    @property
    def chart(self) -> str:
        """The shipped folder of its templates and scripts, e.g. `charts/alluxio`."""

    @property
    def helm(self) -> HelmValues:
        """Which values of its objects a `--format helm` chart lets a deployment set."""

    @property
    def port_names(self) -> frozenset[str]:
        """Every port name a lock file may hold for this kind."""

    def port_needs(self, spec: Spec[Any]) -> PortNeeds | None:
        """The host ports a runtime listens on and the ones its user fixed; None when it needs
        none (pod network)."""

    def order_operations(
        self, bundles: Sequence[Bundle], scripts: Mapping[str, str]
    ) -> tuple[dict[Key, Order], list[Problem]]:
        """Depth, predecessor and Job name of every data operation of these bundles (all of
        this kind); warnings are returned, errors raised together as BuildError."""

    def plan(self, bundle: Bundle, inputs: PlanInputs) -> Planned:
        """Values and objects of one bundle; raises BuildError with every problem found."""

    def inject_facts(self, values: Any) -> InjectFacts:
        """What `inject` reads about a bundle, from the values `plan` returned for it."""
