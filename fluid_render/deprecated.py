"""Fields of older upstream API versions, and suggestions for misspelt ones.

Users copy specs from older Fluid documentation. Upstream's API server prunes fields its CRDs no
longer define, so such a field is silently ignored there; here it is ignored too, with a
warning that says what to write now (each kind declares its own, `DEPRECATED_FIELDS` in
`fluid_render/api/<kind>.py`). Any other unknown field stays an error, with the closest known
field name as a suggestion. Sources: upstream's `api/v1alpha1/*_types.go` history.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from fluid_render.api import DEPRECATED_FIELDS
from fluid_render.errors import Problem
from fluid_render.load import Document

Path = tuple[str | int, ...]


def drop_deprecated(doc: Document) -> tuple[list[Problem], dict[str, Any]]:
    """Warnings for the deprecated fields of a document, and its data without them."""
    warnings: list[Problem] = []
    data = doc.data
    for pattern, advice in DEPRECATED_FIELDS.get(doc.kind, {}).items():
        if _holds(data, pattern):
            warnings.append(Problem(doc.position_of(pattern), ".".join(pattern), advice))
            data = _without(data, pattern)
    return warnings, data


def did_you_mean(unknown: str, known: Sequence[str]) -> str:
    """`; did you mean X?` when a known field is close enough, else nothing."""
    import difflib  # only a build with an unknown field needs it

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
