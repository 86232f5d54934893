"""The order of data operations: `runAfter` chains, their depths and the Job names that
carry a hash of what defines each operation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from fluid_render.bind import Bundle
from fluid_render.errors import Problem, fail_if
from fluid_render.plan.naming import LABEL_LIMIT, fit
from fluid_render.runtimes.alluxio.basics import (
    runtime_image,
)
from fluid_render.runtimes.alluxio.values import Image
from fluid_render.runtimes.protocol import Key, Order
from fluid_render.validate import Spec, field_path


def operation_key(spec: Spec[Any]) -> Key:
    return (spec.namespace, spec.kind, spec.name)


RERUN = "fluid-render.io/rerun"  # any new value runs an unchanged operation again


def _job_hash(spec: Spec[Any], image: Image, scripts: Mapping[str, str], after: str | None) -> str:
    """Ten hex digits over what defines a run; key order and formatting do not matter. The
    rerun annotation enters only when set, so adding this rule renamed no existing Job."""
    defining = {
        "kind": spec.kind,
        "spec": spec.model.spec.model_dump(by_alias=True, exclude_none=True),
        "image": image.ref,
        "scripts": dict(scripts),
        "after": after,
    }
    rerun = (spec.model.metadata.annotations or {}).get(RERUN)
    if rerun is not None:
        defining["rerun"] = rerun
    text = json.dumps(defining, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def job_name(base: str, digest: str) -> str:
    """`<base>-<hash>` within a label value (Jobs label their pods with their own name)."""
    return f"{fit(base, LABEL_LIMIT - 11)}-{digest}"


def order_operations(
    bundles: Sequence[Bundle], scripts: Mapping[str, str]
) -> tuple[dict[Key, Order], list[Problem]]:
    """Waves, predecessors and Job names of every operation; warnings are returned.

    Errors (dangling or cyclic `runAfter`, unordered operations on one dataset, unsupported
    kinds) are raised together.
    """
    # Long: `runAfter` resolution, cycle detection and Job naming share one walk over the
    # operations; split, each part would need the others' intermediate maps.
    problems: list[Problem] = []
    warnings: list[Problem] = []
    specs: dict[Key, Spec[Any]] = {}
    images: dict[Key, Image] = {}
    dataset_of: dict[Key, str] = {}
    for bundle in bundles:
        for spec in bundle.operations:
            specs[operation_key(spec)] = spec
            images[operation_key(spec)] = runtime_image(bundle.runtime.model)
            dataset_of[operation_key(spec)] = bundle.name
    after: dict[Key, Key | None] = {}
    for key, spec in specs.items():
        ref = spec.model.spec.run_after
        after[key] = None
        if ref is None:
            continue
        where = ("spec", "runAfter")
        if ref.kind not in ("DataLoad", "DataBackup"):
            problems.append(
                problem(
                    spec, (*where, "kind"), f"runAfter a {ref.kind} is not supported for Alluxio"
                )
            )
            continue
        if ref.namespace not in (None, "", spec.namespace):
            problems.append(
                problem(
                    spec,
                    (*where, "namespace"),
                    f"must be the {spec.kind}'s own namespace {spec.namespace!r}",
                )
            )
            continue
        target = (spec.namespace, ref.kind, ref.name)
        if target not in specs:
            problems.append(
                problem(
                    spec,
                    (*where, "name"),
                    f"{spec.kind} {spec.namespace}/{spec.name} runs after "
                    f"{ref.kind} {spec.namespace}/{ref.name}, which is not in "
                    "the inputs",
                )
            )
            continue
        after[key] = target
        if ref.affinity_strategy is not None:
            warnings.append(
                problem(
                    spec,
                    (*where, "affinityStrategy"),
                    "ignored: it needs the node the predecessor ran on, which "
                    "only the running cluster knows",
                )
            )
    orders: dict[Key, Order] = {}
    cycles: set[frozenset[Key]] = set()
    for key in sorted(specs):
        chain, cycle = _predecessors(key, after, orders)
        if cycle:
            if frozenset(cycle) not in cycles:
                cycles.add(frozenset(cycle))
                steps = " -> ".join(
                    f"{k[1]} {k[2]} ({specs[k].at('spec', 'runAfter')})" for k in cycle
                )
                problems.append(
                    problem(
                        specs[cycle[0]],
                        ("spec", "runAfter"),
                        f"runAfter forms a cycle: {steps} -> back to the first",
                    )
                )
            continue
        for link in reversed(chain):
            before = after[link]
            base = orders[before] if before is not None else None
            spec = specs[link]
            digest = _job_hash(spec, images[link], scripts, base.job_name if base else None)
            suffix = "loader-job" if spec.kind == "DataLoad" else "backup-job"
            orders[link] = Order(
                depth=base.depth + 1 if base else 0,
                after=before,
                after_job=base.job_name if base else None,
                job_name=job_name(f"{spec.name}-{suffix}", digest),
            )
    fail_if(problems)
    problems += _unordered(specs, orders, dataset_of)
    for spec in specs.values():
        if spec.model.spec.ttl_seconds_after_finished is not None:
            warnings.append(
                problem(
                    spec,
                    ("spec", "ttlSecondsAfterFinished"),
                    "not applied: the finished Job stays, because deleting it "
                    "would make Argo CD or Flux create it again and run it "
                    "again; remove the document from git to delete it",
                )
            )
    fail_if(problems)
    return orders, warnings


def _predecessors(
    key: Key, after: Mapping[Key, Key | None], known: Mapping[Key, Order]
) -> tuple[list[Key], list[Key]]:
    """The chain from `key` back to an operation already ordered (or one without `runAfter`),
    and the cycle the chain runs into, if it does."""
    chain = [key]
    while (previous := after[chain[-1]]) is not None and previous not in known:
        if previous in chain:
            return chain, chain[chain.index(previous) :]
        chain.append(previous)
    return chain, []


def _unordered(
    specs: Mapping[Key, Spec[Any]], orders: Mapping[Key, Order], dataset_of: Mapping[Key, str]
) -> list[Problem]:
    """One operation at a time per dataset: any two Once operations must be ordered."""
    problems = []
    once = sorted(k for k, s in specs.items() if not _is_cron(s))
    for index, first in enumerate(once):
        for second in once[index + 1 :]:
            if dataset_of[first] != dataset_of[second] or first[0] != second[0]:
                continue
            if _precedes(first, second, orders) or _precedes(second, first, orders):
                continue
            a, b = specs[first], specs[second]
            problems.append(
                problem(
                    b,
                    ("metadata", "name"),
                    f"{b.kind} {b.name} and {a.kind} {a.name} "
                    f"({a.at('metadata', 'name')}) both act on dataset "
                    f"{dataset_of[first]} with no order between them; add "
                    f"`runAfter: {{kind: {a.kind}, name: {a.name}}}` to "
                    f"{b.kind} {b.name}",
                )
            )
    return problems


def _precedes(first: Key, second: Key, orders: Mapping[Key, Order]) -> bool:
    current = orders[second].after
    while current is not None:
        if current == first:
            return True
        current = orders[current].after
    return False


def _is_cron(spec: Spec[Any]) -> bool:
    return spec.kind == "DataLoad" and spec.model.spec.policy == "Cron"


def problem(spec: Spec[Any], path: tuple[str | int, ...], message: str) -> Problem:
    return Problem(spec.at(*path), field_path(path), message)
