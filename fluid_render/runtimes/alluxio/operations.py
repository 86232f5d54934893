"""DataLoad and DataBackup as Jobs that behave when a GitOps tool applies them (upstream
`pkg/ddc/alluxio/load_data.go`, `backup_data.go`).

Upstream's controller installs a Helm release per operation, holds a lock on the Dataset while it
runs and deletes finished operations after their TTL. Here everything is decided at build time:
- a Job's pod template is immutable, so its name carries a hash of what defines the operation:
  an edit yields a new Job (a new run), an unchanged spec yields the same bytes (no new run);
- every operation waits in an init container until its runtime's master answers and has applied
  its mounts, and, with `runAfter`, until the predecessor's Job has completed (`kubectl wait`),
  so Argo CD (sync waves), Flux and `kubectl apply` all run them in order;
- the Once operations of one dataset must be ordered by `runAfter`, as upstream's lock intends.
"""

from __future__ import annotations

from collections.abc import Mapping

from fluid_render.bind import Bundle
from fluid_render.errors import fail_if
from fluid_render.runtimes.alluxio.databackup import databackup
from fluid_render.runtimes.alluxio.dataload import dataload
from fluid_render.runtimes.alluxio.jobs import JobContext, Operation
from fluid_render.runtimes.alluxio.values import Values
from fluid_render.runtimes.protocol import Key, Order


def plan_operations(
    bundle: Bundle,
    values: Values,
    orders: Mapping[Key, Order],
    scripts: Mapping[str, str],
    kubectl_image: str,
) -> list[Operation]:
    ctx = JobContext(bundle, values, orders, scripts, kubectl_image, [])
    operations = [dataload(spec, ctx) for spec in bundle.dataloads]
    operations += [databackup(spec, ctx) for spec in bundle.databackups]
    fail_if(ctx.problems)
    return operations
