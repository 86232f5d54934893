"""A project's whole output in memory: specs and lock in, output files and the new lock out.

`build` writes what this returns, `check` and `diff` compare it with a folder, and the pytest
plugin snapshots it; one function, so the four can never disagree about what a build is.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fluid_render.emit import OutputFile, Previous, stream, stream_parts, tree
from fluid_render.errors import Problem
from fluid_render.load import Document, load_inputs
from fluid_render.lockfile import read_lock
from fluid_render.objects import KUBECTL_IMAGE
from fluid_render.pipeline import build
from fluid_render.plan.lock import render_lock
from fluid_render.plan.ports import PortRange
from fluid_render.render import Manifest


@dataclass(frozen=True)
class Options:
    """What a build reads besides the specs (the command line of `build`)."""

    lock_path: Path = Path("fluid-render.lock")
    port_range: PortRange = field(default_factory=lambda: PortRange(20000, 25000))
    namespace: str = "default"
    passthrough: bool = False
    inject: bool = False
    kubectl_image: str = KUBECTL_IMAGE
    output_format: str = "tree"  # of `-o DIR`: a kustomize tree, or Helm charts


@dataclass(frozen=True)
class Output:
    """A rendered project: its objects, the lock before and after, and the build's warnings."""

    manifests: list[Manifest]
    copied: list[Document]
    namespace: str
    output_format: str
    old_lock: str | None
    new_lock: str | None
    warnings: list[Problem]
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    """`<namespace>/<dataset>` -> the fingerprint of its inputs, for the ownership file."""
    kept: dict[str, str] = field(default_factory=dict)
    """Files of the datasets not rendered again (relative posix path -> text), as the previous
    build wrote them."""

    @property
    def lock_changed(self) -> bool:
        return self.new_lock is not None and self.new_lock != self.old_lock

    def stream(self) -> str:
        return stream(self.manifests, self.copied, self.namespace)

    def stream_parts(self) -> Iterator[str]:
        """`stream()` one document at a time (what `build` prints)."""
        return stream_parts(self.manifests, self.copied, self.namespace)

    def files(self) -> list[OutputFile]:
        """The files of `-o DIR`."""
        if self.output_format == "helm":
            from fluid_render.helmchart import charts  # only `--format helm` writes charts

            return charts(self.manifests, self.copied)
        return tree(self.manifests, self.copied, self.namespace, self.kept)


def render_project(
    inputs: Sequence[str],
    options: Options,
    previous_tree: Callable[[], Previous | None] | None = None,
    sources: Sequence[tuple[str, str]] | None = None,
) -> Output:
    """Load, build and (with `inject`) mutate the copied documents; raises BuildError.
    Datasets whose files the tree being rebuilt holds already are not rendered: that tree is
    asked of `previous_tree` once the specs are loaded (it may be read meanwhile, see
    `emit.beside`); `sources` are the input files as the caller read them already
    (`load.read_sources`)."""
    with _fewer_cycle_collections():
        return _render_project(inputs, options, previous_tree, sources)


@contextmanager
def _fewer_cycle_collections() -> Iterator[None]:
    """Python's cycle collector, less eager while a build runs (and in its forked workers).

    A build allocates millions of objects and frees nearly all of them by reference counting;
    with the default thresholds (a collection every 700 allocations, the whole heap every 100
    of those) the collector walked the growing heap again and again, about a fifth of a
    1000-dataset build's CPU time. A young collection every 10 000 allocations instead of 700
    takes most of that back and still frees the cycles a build leaves (paused altogether, the
    peak grew by a fifth). The thresholds are restored afterwards.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(10_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _render_project(
    inputs: Sequence[str],
    options: Options,
    previous_tree: Callable[[], Previous | None] | None,
    sources: Sequence[tuple[str, str]] | None,
) -> Output:
    found = read_lock(options.lock_path)
    old_lock = found.text
    documents = load_inputs(inputs, sources=sources)
    previous = previous_tree() if previous_tree is not None else None
    result = build(
        documents,
        lock=found.lock,
        lock_source=str(options.lock_path),
        port_range=options.port_range,
        namespace=options.namespace,
        passthrough=options.passthrough,
        kubectl_image=options.kubectl_image,
        previous=previous.fingerprints if previous is not None else None,
        keep_values=options.passthrough,  # read only for copied documents, below
    )
    copied = result.passthrough
    warnings = list(result.warnings)
    if copied:
        from fluid_render.inject import facts_from_build, inject_passthrough, order_after_datasets

        facts = facts_from_build(result.planned, copied, namespace=options.namespace)
        if options.inject:
            copied, inject_warnings = inject_passthrough(copied, facts)
            warnings += inject_warnings
        copied = order_after_datasets(copied, facts)
    new_lock = render_lock(result.lock) if result.lock.runtimes or old_lock else None
    return Output(
        result.manifests,
        copied,
        options.namespace,
        options.output_format,
        old_lock,
        new_lock,
        warnings,
        result.fingerprints,
        previous.files_of(result.reused) if previous is not None else {},
    )
