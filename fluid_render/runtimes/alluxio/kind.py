"""AlluxioRuntime as a runtime kind: plan the values, the data operations and their objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from fluid_render.bind import Bundle
from fluid_render.errors import Problem
from fluid_render.plan.nodelabels import plan_operation, with_operations
from fluid_render.plan.ports import PortNeeds
from fluid_render.runtimes.alluxio.chart import CHART, operation_objects, runtime_objects
from fluid_render.runtimes.alluxio.helm import HELM
from fluid_render.runtimes.alluxio.jobs import Operation
from fluid_render.runtimes.alluxio.operations import plan_operations
from fluid_render.runtimes.alluxio.ordering import order_operations
from fluid_render.runtimes.alluxio.planner import plan_values
from fluid_render.runtimes.alluxio.ports import PORTS, port_needs
from fluid_render.runtimes.alluxio.values import Values
from fluid_render.runtimes.protocol import InjectFacts, Key, Order, PlanInputs, Planned
from fluid_render.validate import Spec


class Alluxio:
    kind = "AlluxioRuntime"
    chart = CHART
    helm = HELM
    port_names = frozenset(name for name, *_ in PORTS)

    def order_operations(
        self, bundles: Sequence[Bundle], scripts: Mapping[str, str]
    ) -> tuple[dict[Key, Order], list[Problem]]:
        return order_operations(bundles, scripts)

    def port_needs(self, spec: Spec[Any]) -> PortNeeds | None:
        return port_needs(spec)

    def plan(self, bundle: Bundle, inputs: PlanInputs) -> Planned:
        values = plan_values(bundle, inputs.ports, inputs.config_maps)
        operations = plan_operations(
            bundle, values, inputs.orders, inputs.scripts, inputs.kubectl_image
        )
        values = _with_operations(values, operations)
        groups = [runtime_objects(values), *(operation_objects(op) for op in operations)]
        return Planned(values, groups)

    def inject_facts(self, values: Values) -> InjectFacts:
        return inject_facts(values)


def _with_operations(values: Values, operations: Sequence[Operation]) -> Values:
    """The runtime's sync plan names the Jobs of its operations, so the syncer reports them."""
    entries = [
        plan_operation(
            op.kind,
            op.name,
            "CronJob" if op.cron else "Job",
            op.job_name,
            op.object["spec"].get("backupPath") if op.kind == "DataBackup" else None,
        )
        for op in operations
    ]
    return replace(values, sync_plan=with_operations(values.sync_plan, entries))


def inject_facts(v: Values) -> InjectFacts:
    """The FUSE container and volumes as charts/alluxio/templates/fuse-daemonset.yaml.j2 prints
    them (the planner's `FuseValues`), the PV's `fluid_path` and `fluid_sub_path`, and the
    worker's placement."""
    path = v.volume.csi["fluid_path"]
    if v.volume.csi.get("fluid_sub_path"):
        path = f"{path}/{v.volume.csi['fluid_sub_path']}"
    return InjectFacts(
        namespace=v.namespace,
        name=v.name,
        claim=v.volume.pvc_name,
        fuse_node_selector=v.fuse.pod.node_selector,
        fuse_container=v.fuse.container,
        fuse_volumes=v.fuse.pod.volumes,
        host_mount_path=path,
        worker_node_selector=v.worker.pod.node_selector,
        worker_affinity=v.worker.pod.affinity,
    )


ALLUXIO = Alluxio()
