"""The state of one injection run and how a mutation reports a problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fluid_render.errors import Problem, field_path
from fluid_render.inject.documents import Doc
from fluid_render.inject.facts import Facts
from fluid_render.inject.keys import Path_


@dataclass
class Context:
    facts: Facts
    namespace_labels: Mapping[str, Mapping[str, str]]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)


def not_injected(doc: Doc, context: Context, path: Path_, message: str) -> None:
    """A warning, or with --strict an error."""
    if context.facts.strict:
        fail(doc, context, path, message + " (--strict)")
    else:
        context.warnings.append(Problem(doc.at(path), field_path(path), message))


def fail(doc: Doc, context: Context, path: Path_, message: str) -> None:
    context.problems.append(Problem(doc.at(path), field_path(path), message))
