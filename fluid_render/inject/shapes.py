"""The shapes of what the mutations read or write; anything else in a pod is left alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fluid_render.inject.context import Context, fail
from fluid_render.inject.documents import Doc
from fluid_render.inject.keys import PREFERRED, REQUIRED, Path_

_STRINGS = "string map"
_TERM: Mapping[str, Any] = {
    "matchExpressions": [{"key": str, "operator": str}],
    "matchFields": [{"key": str, "operator": str}],
}
_CONTAINER: Mapping[str, Any] = {
    "name": str,
    "volumeMounts": [{"name": str, "mountPropagation": str}],
}
POD_SCHEMA: Mapping[str, Any] = {
    "metadata": {"labels": _STRINGS, "annotations": _STRINGS},
    "spec": {
        "volumes": [{"name": str, "persistentVolumeClaim": {"claimName": str}}],
        "containers": [_CONTAINER],
        "initContainers": [_CONTAINER],
        "nodeSelector": _STRINGS,
        "affinity": {
            "nodeAffinity": {
                REQUIRED: {"nodeSelectorTerms": [_TERM]},
                PREFERRED: [{"preference": _TERM}],
            }
        },
    },
}


_VOLUMES = [{"name": str, "persistentVolumeClaim": {"claimName": str}}]
WORKFLOW_SCHEMA: Mapping[str, Any] = {
    "podMetadata": {"labels": _STRINGS, "annotations": _STRINGS},
    "volumes": _VOLUMES,
    "nodeSelector": _STRINGS,
    "affinity": POD_SCHEMA["spec"]["affinity"],
    "templates": [
        {
            "volumes": _VOLUMES,
            "container": _CONTAINER,
            "script": _CONTAINER,
            "containerSet": {"containers": [_CONTAINER]},
            "initContainers": [_CONTAINER],
        }
    ],
}


def conform(doc: Doc, context: Context, node: Any, schema: Any, path: Path_) -> bool:
    """Check the shape of `node` (null is always allowed), reporting every mismatch."""
    if node is None:
        return True
    if schema is str:
        if isinstance(node, str):
            return True
        fail(doc, context, path, "must be a string; quote it")
        return False
    if isinstance(schema, list):
        if not isinstance(node, CommentedSeq):
            fail(doc, context, path, "must be a list")
            return False
        results = [conform(doc, context, n, schema[0], (*path, i)) for i, n in enumerate(node)]
        return all(results)
    if not isinstance(node, CommentedMap):
        fail(doc, context, path, "must be a mapping (an object)")
        return False
    if schema == _STRINGS:
        return all([conform(doc, context, v, str, (*path, k)) for k, v in node.items()])
    results = [conform(doc, context, node.get(k), s, (*path, k)) for k, s in schema.items()]
    if "claimName" in schema and node.get("claimName") is None:
        fail(doc, context, (*path, "claimName"), "missing")
        return False
    return all(results)
