"""The names of one runtime's objects, built once per bundle from its dataset's name (upstream
fits each to the limit of its kind with a hash suffix; `fluid_render.plan.naming.fit`)."""

from __future__ import annotations

from dataclasses import dataclass

from fluid_render.plan.naming import STATEFULSET_LIMIT, fit


@dataclass(frozen=True)
class Names:
    master: str
    worker: str
    fuse: str
    config: str
    mount_config: str
    sync_plan: str
    pv: str
    pvc: str


def object_names(namespace: str, name: str) -> Names:
    return Names(
        master=fit(f"{name}-master", STATEFULSET_LIMIT),
        worker=fit(f"{name}-worker", STATEFULSET_LIMIT),
        fuse=fit(f"{name}-fuse"),
        config=fit(f"{name}-config"),
        mount_config=fit(f"{name}-mount-config"),
        sync_plan=fit(f"{name}-sync-plan"),
        pv=fit(f"{namespace}-{name}", 253),
        pvc=name,
    )
