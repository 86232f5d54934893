"""The `fluid-render` command: parse options, run the pipeline, write or print the result."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from fluid_render import __version__
from fluid_render.emit import stream, tree, write_file, write_tree
from fluid_render.errors import BuildError
from fluid_render.load import load_inputs, read_texts
from fluid_render.pipeline import build as run_build
from fluid_render.plan.lock import parse_lock, render_lock
from fluid_render.plan.operations import KUBECTL_IMAGE
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.render import Manifest
from fluid_render.sync.command import sync

DEFAULT_LOCK = "fluid-render.lock"
F = TypeVar("F", bound=Callable[..., Any])


def _port_range(_ctx: click.Context, _param: click.Parameter, value: str) -> PortRange:
    low, _, high = value.partition("-")
    if not (low.isdigit() and high.isdigit() and 0 < int(low) <= int(high) < 65536):
        raise click.BadParameter("expected LOW-HIGH, e.g. 20000-25000")
    return PortRange(int(low), int(high))


def _lock_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--lock",
        "lock_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_LOCK,
        show_default=True,
        help=help_text,
    )


_NAMESPACE_OPTION = click.option(
    "-n",
    "--namespace",
    default="default",
    show_default=True,
    help="Namespace of documents that name none.",
)


@click.group()
@click.version_option(__version__, prog_name="fluid-render")
def main() -> None:
    """Compile Fluid Dataset and AlluxioRuntime specs into Kubernetes manifests for GitOps."""


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write a folder tree here instead of one stream on stdout.",
)
@_lock_option("The lock file that keeps every runtime's host ports.")
@click.option(
    "--frozen-lock", is_flag=True, help="Fail instead of changing the lock file (for CI)."
)
@click.option(
    "--port-range",
    default="20000-25000",
    show_default=True,
    callback=_port_range,
    help="Host ports new runtimes may take.",
)
@_NAMESPACE_OPTION
@click.option(
    "--passthrough", is_flag=True, help="Copy documents of other kinds into the output unchanged."
)
@click.option(
    "--inject",
    "inject_apps",
    is_flag=True,
    help="With --passthrough: apply `inject`'s pod mutations to the copied documents.",
)
@click.option(
    "--validate",
    "check",
    is_flag=True,
    help="Parse every rendered object back and check it against the Kubernetes and "
    "Fluid schemas (needs the `validate` extra).",
)
@click.option(
    "--kubectl-image",
    default=KUBECTL_IMAGE,
    show_default=True,
    help="Image of the init containers that wait for a `runAfter` predecessor's Job.",
)
@click.option(
    "--kube-version",
    default="1.31",
    show_default=True,
    help="Kubernetes version whose schemas --validate uses.",
)
def build(
    inputs: tuple[str, ...],
    output: Path | None,
    lock_path: Path,
    frozen_lock: bool,
    port_range: PortRange,
    namespace: str,
    passthrough: bool,
    inject_apps: bool,
    check: bool,
    kubectl_image: str,
    kube_version: str,
) -> None:
    """Render every object of the specs in INPUTS (files, folders, or - for stdin)."""
    if inject_apps and not passthrough:
        raise click.UsageError("--inject applies to copied documents: add --passthrough")
    try:
        documents = load_inputs(inputs)
        old_text = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None
        lock = parse_lock(old_text, str(lock_path)) if old_text is not None else Lock()
        result = run_build(
            documents,
            lock=lock,
            lock_source=str(lock_path),
            port_range=port_range,
            namespace=namespace,
            passthrough=passthrough,
            kubectl_image=kubectl_image,
        )
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        copied = result.passthrough
        if inject_apps:
            from fluid_render.inject import facts_from_build, inject_passthrough

            facts = facts_from_build(result.manifests, copied, namespace=namespace)
            copied = inject_passthrough(copied, facts)
        new_text = render_lock(result.lock) if result.lock.runtimes or old_text else None
        if frozen_lock and new_text != old_text:
            _fail(
                [
                    f"{lock_path}: out of date; run `fluid-render build` without --frozen-lock "
                    "and commit the lock file"
                ]
            )
        if check:
            _check(result.manifests, kube_version)
        if output is not None:
            write_tree(output, tree(result.manifests, copied))
        else:
            sys.stdout.write(stream(result.manifests, copied))
        if new_text is not None and new_text != old_text:
            write_file(lock_path, new_text)
    except BuildError as error:
        _fail([str(p) for p in error.problems])
    except OSError as error:
        _fail([f"{error.filename or ''}: {error.strerror or error}"])


@main.command()
@click.argument("apps", nargs=-1, required=True)
@click.option("--specs", required=True, help="The Dataset and AlluxioRuntime specs (a folder).")
@_lock_option("The lock file of the specs (read only).")
@click.option("--in-place", is_flag=True, help="Rewrite the files that change instead of printing.")
@click.option("--strict", is_flag=True, help="Fail on a claim that names no Dataset of the specs.")
@click.option(
    "--prefer-nodes-without-cache",
    is_flag=True,
    help="Steer pods without datasets away from cache nodes, as upstream's webhook does.",
)
@_NAMESPACE_OPTION
def inject(
    apps: tuple[str, ...],
    specs: str,
    lock_path: Path,
    in_place: bool,
    strict: bool,
    prefer_nodes_without_cache: bool,
    namespace: str,
) -> None:
    """Apply upstream's admission-webhook mutations to the pods in APPS (files, folders, or -)."""
    from fluid_render.inject import facts_from_build, inject_documents
    from fluid_render.inject import stream as injected_stream

    if in_place and "-" in apps:
        raise click.UsageError("--in-place cannot rewrite stdin")
    try:
        lock_text = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None
        result = run_build(
            load_inputs([specs]),
            lock=parse_lock(lock_text, str(lock_path)) if lock_text is not None else Lock(),
            lock_source=str(lock_path),
            port_range=PortRange(20000, 25000),
            namespace=namespace,
            passthrough=True,
        )
        facts = facts_from_build(
            result.manifests,
            result.passthrough,
            namespace=namespace,
            strict=strict,
            prefer_nodes_without_cache=prefer_nodes_without_cache,
        )
        files = inject_documents(read_texts(apps), facts)
        if not in_place:
            sys.stdout.write(injected_stream(files))
        for file in files if in_place else []:
            if file.changed:
                write_file(Path(file.source), file.text)
    except BuildError as error:
        _fail([str(p) for p in error.problems])
    except OSError as error:
        _fail([f"{error.filename or ''}: {error.strerror or error}"])


def _check(manifests: list[Manifest], kube_version: str) -> None:
    from fluid_render.check import MissingExtraError, check_manifests

    try:
        check_manifests(manifests, kube_version)
    except MissingExtraError:
        click.echo(
            "error: --validate needs kubernetes-validate: pip install 'fluid-render[validate]'",
            err=True,
        )
        sys.exit(2)


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(1)


main.add_command(sync)
