"""Node-selector terms and container names the mutations build or compare."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fluid_render.inject.edit import fresh, insert_item, plain, put


def match_expression(key: str, operator: str, values: list[str]) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": values}


def copied_expression(expression: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in expression.items()}


def preferred_term(weight: int, expression: Mapping[str, Any]) -> dict[str, Any]:
    return {"weight": weight, "preference": {"matchExpressions": [dict(expression)]}}


def constrains(term: Any) -> bool:
    return bool(term.get("matchExpressions") or term.get("matchFields"))


def implies(term: Any, new: Mapping[str, Any]) -> bool:
    """Whether `term` already holds every requirement of `new` (so it selects a subset)."""
    held = plain(term)
    return all(
        all(r in (held.get(part) or []) for r in new.get(part) or [])
        for part in ("matchExpressions", "matchFields")
    )


def and_term(term: CommentedMap, new: Mapping[str, Any]) -> None:
    for part in ("matchExpressions", "matchFields"):
        for requirement in new.get(part) or []:
            existing = term.get(part)
            if not isinstance(existing, CommentedSeq):
                put(term, part, fresh([requirement]))
            elif requirement not in plain(existing):
                insert_item(existing, len(existing), fresh(requirement))


def unique_name(name: str, taken: list[str]) -> str:
    """Upstream replaces the start of a clashing name by `fluid-` plus random letters; this
    counts instead, so the output stays the same on every run."""
    candidate, attempt = replace_prefix(name, "fluid"), 0
    while candidate in taken:
        candidate, attempt = replace_prefix(name, f"fluid-{attempt:03}"), attempt + 1
    return candidate


def replace_prefix(name: str, prefix: str) -> str:
    return prefix if len(name) + 1 <= len(prefix) else f"{prefix}-{name[len(prefix) + 1 :]}"
