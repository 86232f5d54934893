"""The ConfigMaps among the inputs a runtime may read (for example Alluxio's `hadoopConfig`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fluid_render.load import Document

ConfigMapKeys = Mapping[tuple[str, str], frozenset[str]]  # data keys by (namespace, name)


def config_map_keys(documents: Sequence[Document], default_namespace: str) -> ConfigMapKeys:
    """The data keys of every ConfigMap among the inputs, by (namespace, name)."""
    found: dict[tuple[str, str], frozenset[str]] = {}
    for doc in documents:
        data = doc.data
        if data.get("kind") != "ConfigMap" or data.get("apiVersion") != "v1":
            continue
        metadata = data.get("metadata") or {}
        namespace = metadata.get("namespace") or default_namespace
        keys = [k for part in ("data", "binaryData") for k in _mapping(data.get(part))]
        found[(str(namespace), str(metadata.get("name")))] = frozenset(map(str, keys))
    return found


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}
