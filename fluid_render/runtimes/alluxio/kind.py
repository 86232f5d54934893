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
from fluid_render.runtimes.alluxio.jobs import Operation
from fluid_render.runtimes.alluxio.operations import plan_operations
from fluid_render.runtimes.alluxio.ordering import order_operations
from fluid_render.runtimes.alluxio.planner import plan_values
from fluid_render.runtimes.alluxio.ports import PORTS, port_needs
from fluid_render.runtimes.alluxio.values import Values
from fluid_render.runtimes.protocol import Key, Order, PlanInputs, Planned
from fluid_render.validate import Spec


class Alluxio:
    kind = "AlluxioRuntime"
    chart = CHART
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


ALLUXIO = Alluxio()
