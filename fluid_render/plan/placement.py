"""Placement checks across datasets: worker layouts that can never be scheduled (upstream
`pkg/ddc/alluxio/transform.go`, `transformPlacementMode`).

Exclusive workers take a node each (required anti-affinity on `fluid.io/dataset`); Shared
workers may share nodes with each other but never with an Exclusive one. When workers are pinned
to a fixed set of nodes (`kubernetes.io/hostname` in the worker nodeSelector or in every term of
the Dataset's required node affinity), the build can count: datasets pinned to the same set need
one node per Exclusive worker plus one for all Shared workers. Asking for more is an error, since
some workers would stay Pending forever. Sets that merely overlap are not checked: whether they
fit depends on where the scheduler puts the first pods.
"""

from __future__ import annotations

from collections.abc import Sequence

from fluid_render.bind import Bundle
from fluid_render.errors import Problem

HOSTNAME = "kubernetes.io/hostname"


def pinned_nodes(bundle: Bundle) -> frozenset[str] | None:
    """The only nodes this runtime's workers may run on, when the specs say so exactly."""
    runtime = bundle.runtime.model.spec
    selector = (runtime.worker.node_selector if runtime.worker else None) or {}
    nodes: frozenset[str] | None = frozenset([selector[HOSTNAME]]) if HOSTNAME in selector else None
    affinity = bundle.dataset.model.spec.node_affinity
    terms = affinity.required.node_selector_terms if affinity and affinity.required else []
    allowed: set[str] = set()
    for term in terms:
        hosts = [
            set(e.values or [])
            for e in term.match_expressions or []
            if e.key == HOSTNAME and e.operator == "In"
        ]
        if not hosts:
            return nodes  # a term without a hostname list allows nodes we cannot name
        allowed |= set.intersection(*hosts)
    if terms:
        nodes = frozenset(allowed) if nodes is None else nodes & allowed
    return nodes


def check_placement(bundles: Sequence[Bundle]) -> list[Problem]:
    """Every group of datasets pinned to one node set that cannot hold all their workers."""
    groups: dict[frozenset[str], list[Bundle]] = {}
    for bundle in bundles:
        nodes = pinned_nodes(bundle)
        if nodes is not None and bundle.runtime.model.spec.replicas:
            groups.setdefault(nodes, []).append(bundle)
    problems = []
    for nodes, members in sorted(groups.items(), key=lambda item: sorted(item[0])):
        exclusive = sum(
            b.runtime.model.spec.replicas or 0
            for b in members
            if (b.dataset.model.spec.placement or "Exclusive") == "Exclusive"
        )
        shared = any(b.dataset.model.spec.placement == "Shared" for b in members)
        needed = exclusive + (1 if shared else 0)
        if needed <= len(nodes):
            continue
        names = ", ".join(
            f"{b.namespace}/{b.name} ({b.dataset.model.spec.placement or 'Exclusive'}, "
            f"{b.runtime.model.spec.replicas} workers, {b.runtime.at('spec', 'replicas')})"
            for b in members
        )
        where = members[0].runtime
        problems.append(
            Problem(
                where.at("spec", "replicas"),
                "spec.replicas",
                f"workers need {needed} nodes but can only run on {len(nodes)} "
                f"({', '.join(sorted(nodes)) or 'none'}): {names}. Exclusive workers take a node "
                "each and Shared ones cannot join them; add nodes or lower replicas",
            )
        )
    return problems
