"""The one table of the objects a build writes: template, kind, install wave, output folder.

Its row order is the stream order of kinds (emit sorts by namespace, dataset, wave, then the
kind's first row here), so adding a kind is adding a row. Argo CD applies lower waves first:
what an object needs must be in an earlier wave. One row stands for the custom resource of every
runtime kind (`RUNTIME`): `runtime_row` spells it with the kind the registry holds.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

OPERATIONS_FOLDER = "_operations"  # namespace-wide objects of data operations
DATASET_FOLDER = ""  # the folder of the dataset the object belongs to
OPERATIONS_WAVE = 4  # a data operation's Job waits for the runtime; each dependency adds one
MANAGED_BY = "fluid-render"  # app.kubernetes.io/managed-by of every object written
SERVICE_ACCOUNT = "fluid-render-operations"  # lets the operations of a namespace wait
KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.31.0"  # what an operation waits with, by default
RUNTIME = "{runtime}"  # the row of a runtime's custom resource, whatever its kind


@dataclass(frozen=True)
class ObjectRow:
    template: str  # in the templates/ folder of the runtime's chart (`Runtime.chart`)
    kind: str
    wave: int
    folder: str = DATASET_FOLDER


OBJECTS: tuple[ObjectRow, ...] = (
    ObjectRow("dataset.yaml.j2", "Dataset", 0),
    ObjectRow(f"{RUNTIME}.yaml.j2", RUNTIME, 0),
    ObjectRow("operation.yaml.j2", "DataLoad", 0),
    ObjectRow("operation.yaml.j2", "DataBackup", 0),
    ObjectRow("operations-serviceaccount.yaml.j2", "ServiceAccount", 0, OPERATIONS_FOLDER),
    ObjectRow("operations-role.yaml.j2", "Role", 0, OPERATIONS_FOLDER),
    ObjectRow("operations-rolebinding.yaml.j2", "RoleBinding", 0, OPERATIONS_FOLDER),
    ObjectRow("config.yaml.j2", "ConfigMap", 0),
    ObjectRow("mount-config.yaml.j2", "ConfigMap", 0),
    ObjectRow("sync-plan.yaml.j2", "ConfigMap", 0),
    ObjectRow("operation-scripts.yaml.j2", "ConfigMap", 0),
    ObjectRow("master-service.yaml.j2", "Service", 1),
    ObjectRow("master-statefulset.yaml.j2", "StatefulSet", 1),
    ObjectRow("worker-statefulset.yaml.j2", "StatefulSet", 2),
    ObjectRow("fuse-daemonset.yaml.j2", "DaemonSet", 2),
    ObjectRow("persistentvolume.yaml.j2", "PersistentVolume", 3),
    ObjectRow("persistentvolumeclaim.yaml.j2", "PersistentVolumeClaim", 3),
    ObjectRow("operation-job.yaml.j2", "Job", OPERATIONS_WAVE),
    ObjectRow("operation-job.yaml.j2", "CronJob", OPERATIONS_WAVE),
)

_ROWS = {(row.template, row.kind): row for row in OBJECTS}

KIND_ORDER: Mapping[str, int] = {
    kind: index for index, kind in enumerate(dict.fromkeys(row.kind for row in OBJECTS))
}
"""A kind's place in the stream: its first row in OBJECTS (a runtime kind's is RUNTIME's)."""


def kind_order(kind: str, runtime_kinds: Container[str]) -> int:
    """A kind's place in the stream; a kind the table does not hold (copied) comes last."""
    return KIND_ORDER.get(RUNTIME if kind in runtime_kinds else kind, len(KIND_ORDER))


def row(template: str, kind: str) -> ObjectRow:
    """The table's row of one template rendering one kind."""
    return _ROWS[(template, kind)]


def runtime_row(kind: str) -> ObjectRow:
    """The row of a runtime's custom resource of `kind`, rendered by `<kind in lower case>.yaml.j2`
    of the runtime's chart."""
    spelled = _ROWS[(f"{RUNTIME}.yaml.j2", RUNTIME)]
    return replace(spelled, template=f"{kind.lower()}.yaml.j2", kind=kind)


CLAIM_WAVE = row("persistentvolumeclaim.yaml.j2", "PersistentVolumeClaim").wave
"""The wave of the dataset's claim: a workload that mounts it belongs in a later one."""


@dataclass(frozen=True)
class Placed:
    """One object to render: its row of the table, its name and the template's extras."""

    row: ObjectRow
    name: str
    extra: Mapping[str, Any] | None = None
    later: int = 0  # waves after its row's

    @property
    def wave(self) -> int:
        return self.row.wave + self.later


@dataclass(frozen=True)
class ObjectGroup:
    """Objects rendered together: their namespace and folder, what their templates read, and the
    chart folder (a shipped path, the runtime's `chart`) whose templates render them."""

    namespace: str
    folder: str
    context: Mapping[str, Any]
    objects: Sequence[Placed]
    chart: str
