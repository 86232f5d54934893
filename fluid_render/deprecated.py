"""Fields of older upstream API versions, and suggestions for misspelt ones.

Users copy specs from older Fluid documentation. Upstream's API server prunes fields its CRDs no
longer define, so such a field is silently ignored there; here it is ignored too, with a
warning that says what to write now. Any other unknown field stays an error, with the closest
known field name as a suggestion. Sources: upstream's `api/v1alpha1/*_types.go` history.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from fluid_render.errors import Problem
from fluid_render.load import Document

Path = tuple[str | int, ...]

# (kind, path) -> what to write now.
DEPRECATED: Mapping[tuple[str, tuple[str, ...]], str] = {
    ("AlluxioRuntime", ("spec", "fuse", "global")): (
        "removed in Fluid v1.0.1, where global mode became the only one: FUSE runs on the "
        "nodes that use the dataset; delete the field, and limit those nodes with "
        "spec.fuse.nodeSelector if needed"
    ),
    ("AlluxioRuntime", ("spec", "dataReplicas")): (
        "replaced in Fluid v0.1.0 by spec.data.replicas: write `data: {replicas: N}`"
    ),
    ("AlluxioRuntime", ("spec", "monitoring")): (
        "replaced in Fluid v0.5.0 by spec.disablePrometheus; metrics are on by default: "
        "delete the field, or write `disablePrometheus: true` to turn them off"
    ),
    ("AlluxioRuntime", ("spec", "metadataList")): (
        "moved in Fluid v0.9.0 to the annotation data.fluid.io/metadataList: write the same "
        "list there as JSON"
    ),
    **{
        (kind, ("spec", "runAs", old)): advice
        for kind in ("AlluxioRuntime", "DataBackup")
        for old, advice in (
            ("username", "renamed in Fluid v0.3.0: write spec.runAs.user"),
            ("groups", "replaced in Fluid v0.3.0 by one group: write runAs.gid and runAs.group"),
        )
    },
    ("Dataset", ("spec", "exclusiveMode")): (
        "replaced in Fluid v0.5.0 by spec.placement: write `placement: Exclusive` (true) or "
        "`placement: Shared` (false)"
    ),
    **{
        (kind, ("spec", "runAfter", "affinityStrategy", old)): (
            f"renamed in Fluid v1.0.1: write spec.runAfter.affinityStrategy.{old}s"
        )
        for kind in ("DataLoad", "DataBackup")
        for old in ("prefer", "require")
    },
}


def drop_deprecated(doc: Document) -> tuple[list[Problem], dict[str, Any]]:
    """Warnings for the deprecated fields of a document, and its data without them."""
    warnings: list[Problem] = []
    data = doc.data
    for (kind, pattern), advice in DEPRECATED.items():
        if doc.kind != kind:
            continue
        if _holds(data, pattern):
            warnings.append(Problem(doc.position_of(pattern), ".".join(pattern), advice))
            data = _without(data, pattern)
    return warnings, data


def did_you_mean(unknown: str, known: Sequence[str]) -> str:
    """`; did you mean X?` when a known field is close enough, else nothing."""
    close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.75)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[unknown.lower()]] if unknown.lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""


def known_fields(model: type[BaseModel], path: Path) -> list[str]:
    """The field names (as written in YAML) of the model found at `path`, if any."""
    current: Any = model
    for part in path:
        current = _child(current, part)
        if current is None:
            return []
    found = _model(current)
    if found is None:
        return []
    return [info.alias or name for name, info in found.model_fields.items()]


def _child(annotation: Any, part: str | int) -> Any:
    model = _model(annotation)
    if model is not None and isinstance(part, str):
        for name, info in model.model_fields.items():
            if (info.alias or name) == part:
                return info.annotation
        return None
    for option in _options(annotation):
        origin, args = get_origin(option), get_args(option)
        if origin in (list, tuple) and isinstance(part, int) and args:
            return args[0]
        if origin is dict and isinstance(part, str) and len(args) == 2:
            return args[1]
    return None


def _model(annotation: Any) -> type[BaseModel] | None:
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def _options(annotation: Any) -> list[Any]:
    """The types an annotation allows: the members of a union (None dropped), else itself."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [o for a in get_args(annotation) if a is not type(None) for o in _options(a)]
    metadata = getattr(annotation, "__metadata__", None)
    if metadata is not None:  # Annotated[X, ...]
        return _options(get_args(annotation)[0])
    return [annotation]


def _holds(data: Any, path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def _without(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """A copy of `data` without the key at `path` (the input document is left as it is)."""
    head = path[0]
    if len(path) == 1:
        return {k: v for k, v in data.items() if k != head}
    return {k: (_without(v, path[1:]) if k == head else v) for k, v in data.items()}
