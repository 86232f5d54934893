"""`fluid-render sync`: parse flags and start the syncer (the client loads only when it runs)."""

from __future__ import annotations

import os
import signal
import sys
import uuid
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from fluid_render.sync.labels import Scope


DEFAULT_LEASE = "fluid-render-sync"
F = TypeVar("F", bound=Callable[..., Any])


def _identity() -> str:
    import socket  # only `sync` needs it: every other command starts without it

    return f"{os.environ.get('POD_NAME') or socket.gethostname()}_{uuid.uuid4().hex[:8]}"


def _seconds(flag: str, least: float, default: float, help_text: str) -> Callable[[F], F]:
    """A duration in seconds of at least `least`, its default shown by --help."""
    return click.option(
        flag, type=click.FloatRange(min=least), default=default, show_default=True, help=help_text
    )


@click.command()
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig file to use.")
@click.option("--context", help="Kubeconfig context to use.")
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    help="Only this namespace (repeatable); default every namespace.",
)
@click.option("--once", is_flag=True, help="One pass, then exit (1 if anything failed).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the patches as JSON lines instead of sending them; no Lease either.",
)
@_seconds("--resync", 1, 20.0, "Seconds between full passes (with 20% jitter).")
@_seconds("--master-timeout", 0.1, 5.0, "Seconds to wait for an Alluxio master's answer.")
@_seconds("--request-timeout", 1, 30.0, "Seconds to wait for the API server.")
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port of /healthz, /readyz and /metrics (0: none).",
)
@click.option(
    "--lease-namespace",
    envvar="POD_NAMESPACE",
    default="fluid-system",
    show_default=True,
    help="Namespace of the leader-election Lease (env POD_NAMESPACE).",
)
@click.option("--lease-name", default=DEFAULT_LEASE, show_default=True, help="Name of the Lease.")
@click.option(
    "--lease-duration",
    type=click.IntRange(min=3),
    default=15,
    show_default=True,
    help="Seconds a standby waits on a silent leader.",
)
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def sync(
    kubeconfig: str | None,
    context: str | None,
    namespaces: tuple[str, ...],
    once: bool,
    dry_run: bool,
    resync: float,
    master_timeout: float,
    request_timeout: float,
    health_port: int,
    lease_namespace: str,
    lease_name: str,
    lease_duration: int,
    log_format: str,
) -> None:
    """Apply the node labels of the sync plans and report status (in-cluster half).

    It never creates, changes or deletes a workload: it patches labels on nodes (only its own,
    recorded on the node) and the status of Datasets, AlluxioRuntimes, DataLoads, DataBackups.
    """
    from fluid_render.sync import logs
    from fluid_render.sync.client import ConnectError, connect
    from fluid_render.sync.loop import Loop, Options
    from fluid_render.sync.metrics import Metrics

    logger = logs.setup(log_format)
    try:
        cluster = connect(kubeconfig, context, request_timeout)
    except ConnectError as error:
        raise click.ClickException(f"no cluster to talk to: {error}") from None
    options = Options(
        scope=_scope(namespaces),
        dry_run=dry_run,
        resync=resync,
        jitter=0.2,
        master_timeout=master_timeout,
        health_port=health_port,
        lease_namespace=lease_namespace,
        lease_name=lease_name,
        lease_duration=lease_duration,
        identity=_identity(),
    )

    def emit(line: str) -> None:
        click.echo(line)

    loop = Loop(cluster, options, logger, Metrics(), emit)
    if once:
        result = loop.one_pass()
        sys.exit(1 if result.errors else 0)

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        loop.shutdown()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sys.exit(loop.run())


def _scope(namespaces: tuple[str, ...]) -> Scope:
    """Imported when the command runs: `fluid-render --help` stays free of the syncer."""
    from fluid_render.sync.labels import Scope

    return Scope(frozenset(namespaces) if namespaces else None)
