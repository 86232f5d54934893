"""Turn loaded documents into typed specs, reporting every schema problem at its position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from fluid_render import credentials
from fluid_render.api import API_VERSION, KINDS
from fluid_render.deprecated import did_you_mean, drop_deprecated, known_fields
from fluid_render.errors import BuildError, Position, Problem
from fluid_render.errors import field_path as field_path
from fluid_render.load import Document
from fluid_render.names import kind_problem, name_problem, namespace_problem

GROUP = API_VERSION.split("/")[0]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Spec(Generic[M]):
    """A validated input object, its resolved namespace, and the document it came from."""

    model: M
    namespace: str
    doc: Document

    @property
    def kind(self) -> str:
        return self.doc.kind

    @property
    def name(self) -> str:
        return str(self.doc.data["metadata"]["name"])

    def at(self, *path: str | int) -> Position:
        return self.doc.position_of(path)

    def describe(self) -> str:
        """How an error names this object, with its place, for messages that cite two of them."""
        return f"{self.kind} {self.namespace}/{self.name} ({self.at('metadata', 'name')})"


@dataclass(frozen=True)
class Validated:
    specs: list[Spec[Any]]
    passthrough: list[Document] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def validate(documents: Sequence[Document], default_namespace: str, passthrough: bool) -> Validated:
    """Validate every document; other kinds are copied only when the user asked for that."""
    specs: list[Spec[Any]] = []
    others: list[Document] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for doc in documents:
        kind, api_version = doc.data.get("kind"), doc.data.get("apiVersion")
        model = KINDS.get(kind) if isinstance(kind, str) else None
        group = api_version.split("/")[0] if isinstance(api_version, str) else None
        if model is not None and api_version != API_VERSION:
            problems.append(_problem(doc, ("apiVersion",), f"must be {API_VERSION} for {kind}"))
        elif model is None and group == GROUP:
            supported = ", ".join(KINDS)
            problems.append(
                _problem(
                    doc, ("kind",), f"{kind!r} is not supported; fluid-render compiles {supported}"
                )
            )
        elif model is None and passthrough:
            problems.extend(_check_passthrough(doc))
            problems.extend(credentials.credential_problems(doc))
            others.append(doc)
        elif model is None:
            what = f"{kind!r} is not a Fluid kind" if kind else "kind is missing"
            problems.append(
                _problem(
                    doc, ("kind",), f"{what}; use --passthrough to copy it to the output unchanged"
                )
            )
        else:
            problems.extend(credentials.credential_problems(doc))
            found, data = drop_deprecated(doc)
            warnings += found
            try:
                parsed = model.model_validate(canonical(data))
            except ValidationError as error:
                problems.extend(problems_of(doc, error, model))
                continue
            namespace = doc.data["metadata"].get("namespace") or default_namespace
            specs.append(Spec(parsed, namespace, doc))
    if problems:
        raise BuildError(problems)
    return Validated(specs, others, warnings)


def canonical(data: Any) -> Any:
    """Every mapping with its keys sorted: a model keeps its fields' order, but a free map
    (labels, properties, nodeSelector, env, options) keeps the input's, and reordering keys in
    a spec must change no byte of the output."""
    if isinstance(data, dict):
        return {key: canonical(data[key]) for key in sorted(data, key=str)}
    if isinstance(data, list):
        return [canonical(item) for item in data]
    return data


def _check_passthrough(doc: Document) -> list[Problem]:
    """A copied object still needs apiVersion, kind and a name to have a place in the output."""
    metadata = doc.data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    problems = [
        _problem(doc, (key,), "required field is missing")
        for key in ("apiVersion", "kind")
        if not isinstance(doc.data.get(key), str)
    ]
    if not isinstance(name, str) or not name:
        problems.append(_problem(doc, ("metadata", "name"), "required field is missing"))
    problems += _place_problems(doc)
    return problems


def _place_problems(doc: Document) -> list[Problem]:
    """The namespace, kind and name of a copied object become folder and file names under -o:
    each must have the shape Kubernetes accepts, so none can climb out of the output."""
    metadata = doc.data.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    kind, name, namespace = doc.data.get("kind"), metadata.get("name"), metadata.get("namespace")
    given_name = isinstance(name, str) and name  # a missing name is reported already
    no_namespace = namespace in (None, "")  # cluster-scoped, or the -n default
    checks = [
        (("kind",), kind_problem(kind) if isinstance(kind, str) else None),
        (("metadata", "name"), name_problem(name, doc.kind) if given_name else None),
        (("metadata", "namespace"), None if no_namespace else namespace_problem(namespace)),
    ]
    return [_problem(doc, path, message) for path, message in checks if message]


def _problem(doc: Document, path: tuple[str | int, ...], message: str) -> Problem:
    return Problem(doc.position_of(path), field_path(path), message)


def problems_of(
    doc: Document, error: ValidationError, model: type[BaseModel] | None = None
) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        path = _data_path(doc.data, detail["loc"])
        message = _message(detail)
        if credentials.covers(doc.kind, path) and _quotes(message, detail.get("input")):
            message = "is not valid (the value is not shown: this field may hold a credential)"
        if detail["type"] == "extra_forbidden" and model is not None and path:
            message += did_you_mean(str(path[-1]), known_fields(model, path[:-1]))
        problems.append(_problem(doc, path, message))
    return problems


def _quotes(message: str, value: Any) -> bool:
    """Whether a message repeats its input (shorter ones match ordinary words by chance)."""
    return isinstance(value, str) and len(value) >= 4 and value in message


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[str | int, ...]:
    """Keep the parts of pydantic's location that exist in the data; drop its union tags."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif index == len(loc) - 1 and isinstance(current, dict):
            path.append(part)  # a missing or unknown key: name it
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _message(detail: Any) -> str:
    kind, message = detail["type"], str(detail["msg"])
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}"
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]
