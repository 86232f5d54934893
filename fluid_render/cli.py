"""The `fluid-render` command: parse options, run the pipeline, write or print the result."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fluid_render import __version__
from fluid_render.boundary import Guarded
from fluid_render.errors import ExitStatus
from fluid_render.sync.command import sync

# Only what `--version`, `--help` and `schema` need is imported here; each command imports the
# pipeline it runs (tests/test_startup.py holds the list of modules start-up may load).
if TYPE_CHECKING:
    from fluid_render.emit import Previous
    from fluid_render.plan.ports import PortRange
    from fluid_render.project import Output
    from fluid_render.render import Manifest

# No pydantic plugin serves this command; looking for them reads the metadata of every installed
# package when the first model is built (pydantic/plugin/_loader.py). A user's own setting wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

DEFAULT_LOCK = "fluid-render.lock"
F = TypeVar("F", bound=Callable[..., Any])
# The Kubernetes versions whose schemas kubernetes-validate 1.37.0 ships, for --validate.
OLDEST_KUBE_VERSION = (1, 25)
NEWEST_KUBE_VERSION = (1, 37)
_PORT_RANGE = re.compile(r"([0-9]{1,5})-([0-9]{1,5})")
_KUBE_VERSION = re.compile(r"v?([0-9]{1,3})\.([0-9]{1,3})(?:\.[0-9]{1,3})?")


def _port_range(_ctx: click.Context, _param: click.Parameter, value: str) -> PortRange:
    from fluid_render.plan.ports import PortRange

    match = _PORT_RANGE.fullmatch(value)
    low, high = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 0 < low <= high <= 65535:
        raise click.BadParameter(
            "expected LOW-HIGH with 1 <= LOW <= HIGH <= 65535, e.g. 20000-25000"
        )
    return PortRange(low, high)


def _kube_version(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """X.Y within the versions kubernetes-validate has schemas for."""
    match = _KUBE_VERSION.fullmatch(value)
    version = (int(match[1]), int(match[2])) if match else None
    if version is None or not OLDEST_KUBE_VERSION <= version <= NEWEST_KUBE_VERSION:
        oldest, newest = (".".join(map(str, v)) for v in (OLDEST_KUBE_VERSION, NEWEST_KUBE_VERSION))
        raise click.BadParameter(f"expected a version X.Y from {oldest} to {newest}")
    return f"{version[0]}.{version[1]}"


def _image(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        raise click.BadParameter("expected an image reference, without spaces")
    return value


def _lock_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--lock",
        "lock_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_LOCK,
        show_default=True,
        help=help_text,
    )


def _output_option(help_text: str, required: bool = False) -> Callable[[F], F]:
    return click.option(
        "-o", "--output", type=click.Path(path_type=Path), required=required, help=help_text
    )


class _KubectlImageOption(click.Option):
    """`--kubectl-image`, whose default lives in the object table: read when a command runs or
    shows its help, so `--version` imports only what it needs."""

    def get_default(self, ctx: click.Context, call: bool = True) -> Any:
        from fluid_render.objects import KUBECTL_IMAGE

        return KUBECTL_IMAGE


def _namespace(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from fluid_render.names import namespace_problem

    problem = namespace_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


_NAMESPACE_OPTION = click.option(
    "-n",
    "--namespace",
    default="default",
    show_default=True,
    callback=_namespace,
    help="Namespace of documents that name none.",
)


@click.group(cls=Guarded)
@click.version_option(__version__, prog_name="fluid-render")
def main() -> None:
    """Compile Fluid Dataset and AlluxioRuntime specs into Kubernetes manifests for GitOps."""


def _project_options(command: F) -> F:
    """The options that decide what a build renders: shared by build, check and diff."""
    options = [
        click.argument("inputs", nargs=-1, required=True),
        _lock_option("The lock file that keeps every runtime's host ports."),
        click.option(
            "--port-range",
            default="20000-25000",
            show_default=True,
            callback=_port_range,
            help="Host ports new runtimes may take.",
        ),
        _NAMESPACE_OPTION,
        click.option(
            "--passthrough",
            is_flag=True,
            help="Copy documents of other kinds into the output unchanged.",
        ),
        click.option(
            "--inject",
            is_flag=True,
            help="With --passthrough: apply `inject`'s pod mutations to the copied documents.",
        ),
        click.option(
            "--kubectl-image",
            cls=_KubectlImageOption,
            show_default=True,
            callback=_image,
            help="Image of the init containers that wait for a `runAfter` predecessor's Job.",
        ),
        click.option(
            "--format",
            "output_format",
            type=click.Choice(["tree", "helm"]),
            default="tree",
            show_default=True,
            help="Layout of -o DIR: a kustomize tree, or one Helm chart per dataset.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _render(
    inputs: tuple[str, ...],
    settings: dict[str, Any],
    previous_tree: Callable[[], Previous | None] | None = None,
    sources: list[tuple[str, str]] | None = None,
) -> Output:
    """The build of INPUTS (`sources`: as read already) in memory, its warnings on stderr."""
    if settings["inject"] and not settings["passthrough"]:
        raise click.UsageError("--inject applies to copied documents: add --passthrough")
    from fluid_render.project import Options, render_project

    output = render_project(inputs, Options(**settings), previous_tree, sources)
    for warning in output.warnings:
        click.echo(f"warning: {warning}", err=True)
    return output


@main.command()
@_project_options
@_output_option("Write a folder tree here instead of one stream on stdout.")
@click.option(
    "--frozen-lock", is_flag=True, help="Fail instead of changing the lock file (for CI)."
)
@click.option(
    "--validate",
    "check",
    is_flag=True,
    help="Parse every rendered object back and check it against the Kubernetes and "
    "Fluid schemas (needs the `validate` extra).",
)
@click.option(
    "--kube-version",
    default="1.31",
    show_default=True,
    callback=_kube_version,
    help="Kubernetes version whose schemas --validate uses (1.25 to 1.37).",
)
def build(
    inputs: tuple[str, ...],
    output: Path | None,
    frozen_lock: bool,
    check: bool,
    kube_version: str,
    **settings: Any,
) -> None:
    """Render every object of the specs in INPUTS (files, folders, or - for stdin)."""
    from fluid_render.emit import memo, output_problem, publish_stream, publish_tree, read_previous
    from fluid_render.sources import read_sources

    lock_path: Path = settings["lock_path"]
    if output is None and settings["output_format"] != "tree":
        raise click.UsageError("--format applies to a folder: add -o DIR")
    unwritable = output_problem(output, inputs, lock_path) if output is not None else None
    if unwritable:
        raise click.UsageError(unwritable)
    # Read once, for the memo's fingerprint and the build (stdin cannot be read twice).
    sources = read_sources(inputs) if output is not None and "-" not in inputs else None
    whole = _inputs_fingerprint(sources, settings) if sources is not None else None
    with ExitStack() as stack:
        previous_tree = _known(None)
        if output and whole and not check and memo.names(output, whole(None)):
            previous = read_previous(output, lock_path)  # these inputs built it: likely unchanged
            if previous and memo.unchanged(output, previous, whole(None)):
                return  # the tree holds what these inputs build to: nothing to write
            previous_tree = _known(previous)
        elif output is not None:
            from fluid_render.emit.beside import tree_beside  # forks: only a build that goes on

            previous_tree = stack.enter_context(tree_beside(output, lock_path))
        from fluid_render.lockfile import frozen, lock_update  # loads the port plan and runtimes

        # A dataset's files are reused from a kustomize tree only, and --validate checks all.
        as_tree = settings["output_format"] == "tree"
        reused = previous_tree if as_tree and not check else None
        result = _render(inputs, settings, reused, sources)
        previous = previous_tree()
    if frozen_lock:
        frozen(lock_path, result.lock_changed)
    if check:
        _check(result.manifests, kube_version)
    update = lock_update(lock_path, result.new_lock, result.lock_changed)
    if output is not None:
        fingerprints = result.fingerprints if as_tree else {}
        publish_tree(output, result.files(), update, previous, fingerprints, lock_path=lock_path)
        if whole is not None and not result.warnings:  # warnings are shown every time
            lock_after = result.new_lock if result.lock_changed else result.old_lock
            memo.remember(output, whole(lock_after))
    else:
        publish_stream(result.stream_parts(), sys.stdout, update)


def _inputs_fingerprint(
    sources: list[tuple[str, str]], settings: dict[str, Any]
) -> Callable[[str | None], str]:
    """The whole build's fingerprint given the lock's text (None: the lock file's now)."""
    from fluid_render.fingerprint import inputs_fingerprint
    from fluid_render.sources import read_file, texts_by_label

    texts = texts_by_label(sources)
    lock_path: Path = settings["lock_path"]
    current = read_file(lock_path) if lock_path.is_file() else None

    def fingerprint(lock: str | None) -> str:
        return inputs_fingerprint(texts, settings, lock if lock is not None else current)

    return fingerprint


def _known(previous: Previous | None) -> Callable[[], Previous | None]:
    """A tree read already, as `tree_beside` hands one over."""
    return lambda: previous


@main.command(name="check")
@_project_options
@_output_option("The committed output folder to compare with.", required=True)
@click.option(
    "--frozen-lock",
    is_flag=True,
    help="Accepted for the same command line as build; check never changes the lock.",
)
def check_command(
    inputs: tuple[str, ...], output: Path, frozen_lock: bool, **settings: Any
) -> None:
    """Exit 1 unless OUTPUT and the lock are exactly what INPUTS build to; writes nothing."""
    del frozen_lock  # the lock is always compared, never written
    from fluid_render.compare import (
        check_report,
        compare_trees,
        in_memory,
        read_folder,
        version_mismatch,
    )

    result = _render(inputs, settings)
    mismatch = version_mismatch(output)
    files = result.files()
    changes = [] if mismatch else compare_trees(read_folder(output, files), in_memory(files))
    stale_lock = settings["lock_path"] if result.lock_changed else None
    report = check_report(output, changes, mismatch, stale_lock)
    if report:
        click.echo("".join(f"{line}\n" for line in report), err=True, nl=False)
        sys.exit(ExitStatus.ERROR)


@main.command(name="diff")
@_project_options
@_output_option("The output folder a build would change.")
@click.option(
    "--rev",
    "revisions",
    help="Compare the builds of two git revisions of INPUTS instead: A..B (A.. for the "
    "working tree).",
)
def diff_command(
    inputs: tuple[str, ...], output: Path | None, revisions: str | None, **settings: Any
) -> None:
    """Show what a build would change, as a unified diff per object."""
    from fluid_render.compare import compare_trees, in_memory, read_folder, unified_diff

    if (output is None) == (revisions is None):
        raise click.UsageError("give either -o DIR or --rev A..B")
    if revisions is not None:
        old, new = _revision_trees(inputs, settings, revisions)
    else:
        assert output is not None
        files = _render(inputs, settings).files()
        old, new = read_folder(output, files), in_memory(files)
    sys.stdout.write(unified_diff(compare_trees(old, new), colour=sys.stdout.isatty()))


def _revision_trees(
    inputs: tuple[str, ...], settings: dict[str, Any], revisions: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The in-memory outputs of INPUTS at two revisions (None: the working tree)."""
    from fluid_render.compare import in_memory
    from fluid_render.revisions import checked_out, in_repository, repository_root, split_range

    try:
        old_rev, new_rev = split_range(revisions)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--rev") from None
    root = repository_root(Path.cwd())
    trees = []
    for revision in (old_rev, new_rev):
        if revision is None:
            trees.append(in_memory(_render(inputs, settings).files()))
            continue
        with checked_out(root, revision) as folder:
            moved = [str(folder / in_repository(root, Path(i))) for i in inputs]
            lock = folder / in_repository(root, Path(settings["lock_path"]))
            trees.append(in_memory(_render(tuple(moved), {**settings, "lock_path": lock}).files()))
    return trees[0], trees[1]


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
    from fluid_render.emit import remove_stale_temps, write_files
    from fluid_render.inject import facts_from_build, inject_documents
    from fluid_render.inject import stream as injected_stream
    from fluid_render.load import load_inputs
    from fluid_render.lockfile import read_lock
    from fluid_render.pipeline import build as run_build
    from fluid_render.plan.ports import PortRange
    from fluid_render.sources import read_texts

    if in_place and "-" in apps:
        raise click.UsageError("--in-place cannot rewrite stdin")
    result = run_build(
        load_inputs([specs]),
        lock=read_lock(lock_path).lock,
        lock_source=str(lock_path),
        port_range=PortRange(20000, 25000),
        namespace=namespace,
        passthrough=True,
    )
    facts = facts_from_build(
        result.planned,
        result.passthrough,
        namespace=namespace,
        strict=strict,
        prefer_nodes_without_cache=prefer_nodes_without_cache,
    )
    files = inject_documents(read_texts(apps), facts)
    for warning in (w for file in files for w in file.warnings):
        click.echo(f"warning: {warning}", err=True)
    if not in_place:
        sys.stdout.write(injected_stream(files))
    if in_place:
        remove_stale_temps(Path(file.source).parent for file in files)
        write_files({Path(f.source): f.text for f in files if f.changed})


_SCHEMAS = ("dataset", "alluxioruntime", "dataload", "databackup")


@main.command()
@click.argument("kind", required=False, type=click.Choice(_SCHEMAS, case_sensitive=False))
def schema(kind: str | None) -> None:
    """Print the JSON Schema of KIND, or of any Fluid document without KIND (for editors)."""
    from fluid_render.resources import shipped

    name = kind.lower() if kind else "fluid"
    sys.stdout.write((shipped("schemas") / f"{name}.schema.json").read_text(encoding="utf-8"))


def _check(manifests: list[Manifest], kube_version: str) -> None:
    from fluid_render.check import MissingExtraError, check_manifests

    try:
        check_manifests(manifests, kube_version)
    except MissingExtraError:
        click.echo(
            "error: --validate needs kubernetes-validate: pip install 'fluid-render[validate]'",
            err=True,
        )
        sys.exit(ExitStatus.USAGE)


main.add_command(sync)
