"""All values of one bundle, assembled from the sections of the plan."""

from __future__ import annotations

from collections.abc import Mapping

from fluid_render.bind import Bundle
from fluid_render.errors import Problem, fail_if
from fluid_render.plan.configmaps import ConfigMapKeys
from fluid_render.runtimes.alluxio.basics import (
    init_image,
    normalised,
    runtime_image,
)
from fluid_render.runtimes.alluxio.config import plan_config, plan_properties
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.fuse import plan_fuse
from fluid_render.runtimes.alluxio.master import plan_master
from fluid_render.runtimes.alluxio.syncplan import plan_sync
from fluid_render.runtimes.alluxio.values import Values
from fluid_render.runtimes.alluxio.volume import plan_volume
from fluid_render.runtimes.alluxio.worker import plan_worker, plan_worker_resources


def plan_values(
    bundle: Bundle, ports: Mapping[str, int], config_maps: ConfigMapKeys | None = None
) -> Values:
    """All values of one bundle; every problem found along the way is reported together.
    `config_maps`: the keys of the ConfigMaps among the inputs (for `hadoopConfig`)."""
    problems: list[Problem] = []
    values = assemble(Context(bundle, ports, problems, config_maps or {}))
    fail_if(problems)
    return values


def assemble(c: Context) -> Values:
    properties = plan_properties(c)
    worker_resources = plan_worker_resources(c)
    master = plan_master(c)
    worker = plan_worker(c, worker_resources)
    run_as = c.runtime.run_as
    return Values(
        namespace=c.namespace,
        name=c.name,
        dataset_id=c.dataset_id,
        labels=c.labels,
        dataset_labels=c.user_labels,
        image=runtime_image(c.rt.model),
        init_image=init_image(c.rt.model),
        master=master,
        worker=worker,
        fuse=plan_fuse(c),
        run_as=(run_as.uid, run_as.gid) if run_as else (0, 0),
        ports=c.ports,
        config_name=c.names.config,
        config_labels={**c.labels, "name": c.names.config},
        config=plan_config(c, properties, worker_resources.get("requests", {}).get("memory")),
        mount_config_name=c.names.mount_config,
        mount_config_labels={**c.labels, "name": c.names.mount_config},
        mount_table="".join(line + "\n" for line in c.mounts.table),
        volume=plan_volume(c),
        sync_plan_name=c.names.sync_plan,
        sync_plan_labels={**c.labels, "fluid-render.io/plan": "sync"},
        sync_plan=plan_sync(c, worker, master.api_gateway is not None),
        dataset_object=normalised(c.ds, c.dataset_id, c.user_labels),
        runtime_object=normalised(c.rt, c.dataset_id, c.user_labels),
    )
