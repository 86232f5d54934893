"""The build as one pure function: specs in, manifests and the new lock out."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from fluid_render.bind import Bundle, bind
from fluid_render.errors import BuildError, Position, Problem, fail_if
from fluid_render.fingerprint import dataset_fingerprints, dataset_folder
from fluid_render.forked import die_with
from fluid_render.load import Document
from fluid_render.objects import KUBECTL_IMAGE, MANAGED_BY
from fluid_render.plan.configmaps import config_map_keys
from fluid_render.plan.placement import check_placement
from fluid_render.plan.ports import Lock, PortRange, allocate, runtime_key
from fluid_render.render import (
    Manifest,
    environment,
    render_group,
    render_operation_access,
    scripts,
)
from fluid_render.runtimes.protocol import Decided, Key, Order, PlanInputs
from fluid_render.runtimes.registry import RUNTIMES, runtime_of
from fluid_render.validate import validate

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.sharedctypes import Synchronized


@dataclass(frozen=True)
class Build:
    manifests: list[Manifest]
    passthrough: list[Document]
    lock: Lock
    warnings: list[Problem]
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    """`<namespace>/<dataset>` -> the fingerprint of its inputs (see fluid_render.fingerprint)."""
    reused: frozenset[str] = frozenset()
    """Datasets not rendered: their fingerprint is the one `previous` gave."""
    planned: Sequence[tuple[str, Any]] = ()
    """(runtime kind, the values its `plan` returned) of each rendered bundle, in bundle order;
    empty for a build called with `keep_values=False`."""


def build(
    documents: Sequence[Document],
    *,
    lock: Lock,
    lock_source: str,
    port_range: PortRange,
    namespace: str = "default",
    passthrough: bool = False,
    kubectl_image: str = KUBECTL_IMAGE,
    previous: Mapping[str, str] | None = None,
    keep_values: bool = True,
) -> Build:
    """Validate, bind, plan and render; every stage reports all of its problems at once.

    Datasets whose fingerprint `previous` already holds (their files are on disk) are not
    planned or rendered again. `keep_values=False` drops the planned values once rendered (a
    third of a large build's memory, sent back from every worker) when no one reads them."""
    validated = validate(documents, namespace, passthrough)
    bundles = bind(validated.specs, RUNTIMES.keys())
    needs = [runtime_of(b).port_needs(b.runtime) for b in bundles]
    ports, new_lock = allocate(
        [n for n in needs if n is not None], lock, port_range, Position(lock_source, 1, 1)
    )
    fail_if(check_placement(bundles))
    orders, warnings = _order_operations(bundles)
    config_maps = config_map_keys(validated.passthrough, namespace)
    decided = Decided(ports, orders, config_maps, kubectl_image)
    fingerprints = dataset_fingerprints(bundles, decided)
    known = previous or {}
    fresh = [b for b in bundles if known.get(dataset_folder(b)) != fingerprints[dataset_folder(b)]]
    reused = frozenset(fingerprints) - {dataset_folder(b) for b in fresh}
    manifests, problems, planned = _render_all(fresh, decided, keep_values)
    if problems:
        raise BuildError(problems)
    manifests += _operation_access(bundles, orders)
    if not manifests and not reused and not validated.passthrough:
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
    all_warnings = sorted(warnings + validated.warnings)
    return Build(
        manifests, validated.passthrough, new_lock, all_warnings, fingerprints, reused, planned
    )


def _order_operations(
    bundles: Sequence[Bundle],
) -> tuple[dict[Key, Order], list[Problem]]:
    """Each runtime kind orders the data operations of its own bundles; errors of every kind
    are raised together."""
    orders: dict[Key, Order] = {}
    warnings: list[Problem] = []
    problems: list[Problem] = []
    for kind, runtime in RUNTIMES.items():
        mine = [b for b in bundles if b.runtime.kind == kind]
        try:
            kind_orders, kind_warnings = runtime.order_operations(mine, scripts(runtime.chart))
        except BuildError as error:
            problems += error.problems
            continue
        orders.update(kind_orders)
        warnings += kind_warnings
    fail_if(problems)
    return orders, warnings


def _operation_access(bundles: Sequence[Bundle], orders: Mapping[Key, Order]) -> list[Manifest]:
    """The account, role and binding of each namespace where an operation waits for another,
    from the chart of that namespace's first such runtime."""
    charts: dict[str, str] = {}
    for bundle in bundles:
        for spec in bundle.operations:
            key = (spec.namespace, spec.kind, spec.name)
            if key in orders and orders[key].after is not None:
                charts.setdefault(spec.namespace, runtime_of(bundle).chart)
    labels = {"app.kubernetes.io/managed-by": MANAGED_BY}
    manifests: list[Manifest] = []
    for namespace in sorted(charts):
        manifests += render_operation_access(namespace, labels, charts[namespace])
    return manifests


# Below this many datasets a second process costs more (fork, result transfer) than it saves.
PARALLEL_FROM = 200
CHUNK = 20
"""Bundles per piece of work: the parent and the workers take pieces until none is left, so
they finish within one piece of each other whatever the bundles cost."""


@dataclass(frozen=True)
class _Work:
    bundles: Sequence[Bundle]
    decided: Decided
    keep_values: bool
    pieces: Sequence[tuple[int, int]] = ()
    taken: Synchronized[int] | None = None
    """The index of the next piece no one has taken: a counter in memory shared with the
    forked workers."""


_work: _Work | None = None


Rendered = tuple[list[Manifest], list[Problem], list[tuple[str, Any]]]


def _render_range(start: int, end: int) -> Rendered:
    """Plan and render bundles[start:end]; problems are returned, not raised (they cross a pipe),
    and so are the planned values (plain data, pickled back from a worker)."""
    assert _work is not None
    manifests: list[Manifest] = []
    problems: list[Problem] = []
    values: list[tuple[str, Any]] = []
    decided = _work.decided
    for bundle in _work.bundles[start:end]:
        inputs = PlanInputs(
            ports=decided.ports.get(runtime_key(bundle.namespace, bundle.name), {}),
            config_maps=decided.config_maps,
            orders=decided.orders,
            scripts=scripts(runtime_of(bundle).chart),
            kubectl_image=decided.kubectl_image,
        )
        try:
            planned = runtime_of(bundle).plan(bundle, inputs)
        except BuildError as error:
            problems += error.problems
            continue
        if _work.keep_values:
            values.append((bundle.runtime.kind, planned.values))
        for group in planned.groups:
            manifests += render_group(group)
    return manifests, problems, values


def _taken_pieces() -> Iterator[tuple[int, Rendered]]:
    """Render pieces until none is left, each with its index (to be put back in order)."""
    assert _work is not None and _work.taken is not None
    taken = _work.taken
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(_work.pieces):
            return
        yield index, _render_range(*_work.pieces[index])


def _render_into(spool: int) -> None:
    """A worker's task: render pieces, each pickled into the file `spool` (a descriptor
    inherited from the build) as soon as it is done."""
    import pickle

    with open(spool, "ab", closefd=False) as out:
        for piece in _taken_pieces():
            pickle.dump(piece, out, pickle.HIGHEST_PROTOCOL)


def _read_spool(spool: IO[bytes]) -> Iterator[tuple[int, Rendered]]:
    """The pieces a worker handed back, up to its end or to the first piece a killed worker
    left unfinished."""
    import pickle

    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)
        except (EOFError, pickle.UnpicklingError):
            return


def _render_all(bundles: Sequence[Bundle], decided: Decided, keep_values: bool) -> Rendered:
    """Every bundle's manifests in bundle order; large builds use every core: the build renders
    beside forked workers, which inherit the compiled templates and the specs.

    Workers write what they render into files the build reads when no piece is left, not into
    the pool's pipe: the pool's result thread reads a pipe 64 KB at a time and needs the
    interpreter lock for each read, which a rendering build gives up only every 5 ms
    (`sys.getswitchinterval`); sent back at the end instead, 500 datasets' text took 75 to 90
    ms more after the last piece."""
    global _work
    try:
        workers = min(os.cpu_count() or 1, 8)
        if len(bundles) < PARALLEL_FROM or workers < 2 or not hasattr(os, "fork"):
            _work = _Work(bundles, decided, keep_values)
            return _render_range(0, len(bundles))
        from multiprocessing import get_context  # a small build never forks

        step = min(-(-(len(bundles) - 1) // workers), CHUNK)
        pieces = [(i, min(i + step, len(bundles))) for i in range(1, len(bundles), step)]
        _work = _Work(bundles, decided, keep_values, pieces, get_context("fork").Value("q", 0))
        for runtime in RUNTIMES.values():
            environment(runtime.chart)  # compile the templates once, before forking
        # The first bundle is rendered here, before forking: the workers inherit what that
        # warmed (the bytecode Python has specialized, the quoting and sandbox caches). Without
        # it each worker's first 50 bundles took twice as long as the next.
        head = _render_range(0, 1)
        done = _beside_workers(max(min(workers, len(pieces)) - 1, 1))
        # A worker killed before handing back all it took (the kernel's OOM killer, a person)
        # leaves pieces without text: the build renders them itself.
        handed = {index for index, _ in done}
        done += [(i, _render_range(*pieces[i])) for i in range(len(pieces)) if i not in handed]
        return _combine([head, *(rendered for _, rendered in sorted(done))])
    finally:
        _work = None


def _beside_workers(helpers: int) -> list[tuple[int, Rendered]]:
    """The pieces this process and `helpers` forked workers rendered, in no order; all of
    them rendered here when no temporary file can be made."""
    import tempfile

    with ExitStack() as stack:
        try:
            spools = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(helpers)]
        except OSError:  # no writable temporary folder: render here, on one core
            return list(_taken_pieces())
        # Every object so far is left out of the cycle collector's walks while workers run:
        # those walks write to each object they visit, and in a forked worker every page
        # written is copied (gc.freeze, 0.93x to 0.97x wall for 1000 datasets).
        gc.freeze()
        try:
            with worker_pool(helpers) as pool:
                theirs = [pool.submit(_render_into, spool.fileno()) for spool in spools]
                done = list(_taken_pieces())
                _wait_for(theirs)
        finally:
            gc.unfreeze()
        for spool in spools:
            done += _read_spool(spool)
        return done


def _wait_for(tasks: Sequence[Future[None]]) -> None:
    """Until every worker's task ended; a worker's exception is raised, a killed worker is not
    (the pool then stops the others, and what they did not hand back is rendered again)."""
    from concurrent.futures.process import BrokenProcessPool

    for task in tasks:
        try:
            task.result()
        except BrokenProcessPool:
            return


def _combine(parts: Sequence[Rendered]) -> Rendered:
    return (
        [m for part, _, _ in parts for m in part],
        [p for _, part, _ in parts for p in part],
        [v for _, _, part in parts for v in part],
    )


def worker_pool(processes: int) -> ProcessPoolExecutor:
    """Forked workers that die with the build (`die_with`). A pool of `concurrent.futures`
    rather than `multiprocessing.Pool`: it reports a worker that died, where the latter waits
    forever for its task."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    return ProcessPoolExecutor(
        processes,
        mp_context=get_context("fork"),
        initializer=die_with,
        initargs=(os.getpid(),),
    )
