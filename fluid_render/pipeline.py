"""The build as one pure function: specs in, manifests and the new lock out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fluid_render.bind import Bundle, bind
from fluid_render.errors import BuildError, Position, Problem
from fluid_render.load import Document
from fluid_render.plan.ports import Lock, PortRange, allocate, runtime_key
from fluid_render.plan.values import plan_values
from fluid_render.render import Manifest, render_runtime
from fluid_render.validate import Spec, validate


@dataclass(frozen=True)
class Build:
    manifests: list[Manifest]
    passthrough: list[Document]
    lock: Lock


def build(
    documents: Sequence[Document],
    *,
    lock: Lock,
    lock_source: str,
    port_range: PortRange,
    namespace: str = "default",
    passthrough: bool = False,
) -> Build:
    """Validate, bind, plan and render; every stage reports all of its problems at once."""
    validated = validate(documents, namespace, passthrough)
    bundles = bind(validated.specs)
    ports, new_lock = allocate(
        [b.runtime for b in bundles], lock, port_range, Position(lock_source, 1, 1)
    )
    manifests: list[Manifest] = []
    problems: list[Problem] = [
        Problem(
            op.at("kind"),
            "kind",
            f"{op.kind} is validated but not rendered yet; remove it "
            "from the inputs until data operations are supported",
        )
        for bundle in bundles
        for op in _operations(bundle)
    ]
    for bundle in bundles:
        try:
            values = plan_values(bundle, ports.get(runtime_key(bundle.namespace, bundle.name), {}))
        except BuildError as error:
            problems += error.problems
            continue
        manifests += render_runtime(values)
    if problems:
        raise BuildError(problems)
    if not manifests and not validated.passthrough:
        raise BuildError(
            [
                Problem(
                    None,
                    "",
                    "the inputs render no objects; an empty output "
                    "would make a GitOps tool prune everything",
                )
            ]
        )
    return Build(manifests, validated.passthrough, new_lock)


def _operations(bundle: Bundle) -> list[Spec[Any]]:
    return [*bundle.dataloads, *bundle.databackups]
