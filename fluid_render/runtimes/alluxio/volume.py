"""The PersistentVolume and its claim."""

from __future__ import annotations

import json
from collections.abc import Mapping

from fluid_render.objects import MANAGED_BY
from fluid_render.plan import quantity
from fluid_render.plan.nodelabels import dataset_label
from fluid_render.runtimes.alluxio.basics import (
    CAPACITY_ANNOTATION,
    DEFAULT_CAPACITY,
    SKIP_CHECK,
)
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.values import (
    VolumeValues,
)


def plan_volume(c: Context) -> VolumeValues:
    """The PersistentVolume and its claim, bound to each other (upstream
    `pkg/utils/dataset/volume/create.go`, `CreatePersistentVolumeForRuntime`)."""
    annotations = c.ds.model.metadata.annotations or {}
    capacity = annotations.get(CAPACITY_ANNOTATION, DEFAULT_CAPACITY)
    try:
        quantity.parse(capacity)
    except ValueError:
        c.problem(
            c.ds,
            ("metadata", "annotations", CAPACITY_ANNOTATION),
            'is not a Kubernetes quantity (examples: "100Gi", "2Ti")',
        )
    csi = {
        "fluid_path": c.mount_path,
        "mount_type": "fuse.alluxio-fuse",
        "runtime_namespace": c.namespace,
        "runtime_name": c.name,
        "mount_pod_node_selector_key": c.fuse_label,
    }
    runtime_annotations = c.rt.model.metadata.annotations or {}
    if SKIP_CHECK in runtime_annotations:
        csi[SKIP_CHECK] = runtime_annotations[SKIP_CHECK]
    extra = metadata_list(c, runtime_annotations)
    pv_labels, pv_annotations = extra.get("PersistentVolume", ({}, {}))
    pvc_labels, pvc_annotations = extra.get("PersistentVolumeClaim", ({}, {}))
    if pv_labels.get("fluid.io/node-publish-method") == "symlink":
        csi["node_publish_method"] = "symlink"
    node_affinity = None
    if c.fuse.node_selector:
        expressions = [
            {"key": k, "operator": "In", "values": [v]}
            for k, v in sorted(c.fuse.node_selector.items())
        ]
        node_affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": expressions}]}}
    labels = {
        **c.user_labels,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        dataset_label(c.namespace, c.name): "true",
        "fluid.io/dataset-id": c.dataset_id,
    }
    return VolumeValues(
        pv_name=c.names.pv,
        pvc_name=c.names.pvc,
        pv_labels={**labels, **pv_labels},
        pvc_labels={**labels, **pvc_labels},
        pv_annotations={"CreatedBy": "fluid", **pv_annotations},
        pvc_annotations={"CreatedBy": "fluid", **pvc_annotations},
        access_modes=list(c.dataset.access_modes or ["ReadOnlyMany"]),
        capacity=capacity,
        csi=csi,
        node_affinity=node_affinity,
    )


def metadata_list(
    c: Context, annotations: Mapping[str, str]
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
        c.problem(c.rt, path, "must be a JSON list of {labels, annotations, selector}")
    # JSON key order must not reach the output
    return {
        kind: (dict(sorted(labels.items())), dict(sorted(notes.items())))
        for kind, (labels, notes) in result.items()
    }
