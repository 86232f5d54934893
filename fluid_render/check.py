"""`--validate`: parse every rendered object back and check it against real schemas.

Kubernetes kinds use kubernetes-validate's strict schemas (unknown fields are errors) with one
cached validator per kind: its per-call API re-reads 1.3 MB of definitions each time (10x
slower). Fluid kinds use the JSON Schemas in schemas/. Kept off the default build path: parsing
the output back costs more than rendering it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import yaml

from fluid_render.errors import BuildError, Problem
from fluid_render.render import Manifest
from fluid_render.resources import shipped

FLUID_GROUP = "data.fluid.io"
Validator = Callable[[dict[str, Any]], list[str]]


class MissingExtraError(Exception):
    """kubernetes-validate is not installed."""


def parse_manifest(manifest: Manifest) -> dict[str, Any]:
    """The single object a manifest text holds, or a problem naming it."""
    where = f"{manifest.kind}/{manifest.namespace}/{manifest.name}"
    try:
        docs = list(yaml.load_all(manifest.text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError as error:
        raise BuildError([Problem(None, where, f"rendered text is not YAML: {error}")]) from None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise BuildError([Problem(None, where, "rendered text must hold exactly one object")])
    obj: dict[str, Any] = docs[0]
    metadata = obj.get("metadata") or {}
    if (obj.get("kind"), metadata.get("name")) != (manifest.kind, manifest.name):
        raise BuildError([Problem(None, where, "rendered object has another kind or name")])
    return obj


def check_manifests(manifests: Sequence[Manifest], kube_version: str) -> None:
    """Every problem of every object, reported together."""
    problems: list[Problem] = []
    for manifest in manifests:
        try:
            obj = parse_manifest(manifest)
        except BuildError as error:
            problems += error.problems
            continue
        where = f"{manifest.kind}/{manifest.namespace}/{manifest.name}"
        problems += [Problem(None, where, m) for m in validator_for(obj, kube_version)(obj)]
    if problems:
        raise BuildError(problems)


def validator_for(obj: dict[str, Any], kube_version: str) -> Validator:
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    if api_version.split("/")[0] == FLUID_GROUP:
        return _fluid_validator(kind)
    return _kubernetes_validator(api_version, kind, kube_version)


def _errors(validator: Any, obj: dict[str, Any]) -> list[str]:
    found = sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


@cache
def _fluid_validator(kind: str) -> Validator:
    import jsonschema

    path = shipped("schemas") / f"{kind.lower()}.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))
    return lambda obj: _errors(validator, obj)


@cache
def _kubernetes_validator(api_version: str, kind: str, kube_version: str) -> Validator:
    try:
        import jsonschema
        import kubernetes_validate.utils as kv
        from referencing import Registry, Resource
    except ImportError:
        raise MissingExtraError() from None
    versions = [v for v in kv.all_versions() if kv.major_minor(v) <= kv.major_minor(kube_version)]
    if not versions:
        raise BuildError([Problem(None, "", f"no Kubernetes schemas for {kube_version}")])
    folder = f"kubernetes-json-schema/v{versions[-1]}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", kube_version)
    except FileNotFoundError:
        message = f"no Kubernetes {kube_version} schema for {api_version} {kind}"
        return lambda obj: [message]
    definitions = kv.schema_contents(f"{folder}/_definitions.json", kube_version)
    registry: Any = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    return lambda obj: _errors(validator, obj)
