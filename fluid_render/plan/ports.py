"""Host ports: chosen once, kept in the lock file, never moved, never shared between runtimes.

Upstream picks random ports at install time and remembers them in the cluster; a build must
remember them in git instead, so the same specs always render the same ports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from fluid_render.api import AlluxioRuntime
from fluid_render.errors import Position, Problem, fail_if
from fluid_render.validate import Spec

# (port name, spec component, key in spec.<component>.ports, Alluxio property), upstream's order.
PORTS: tuple[tuple[str, str, str, str], ...] = (
    ("master.rpc", "master", "rpc", "alluxio.master.rpc.port"),
    ("master.web", "master", "web", "alluxio.master.web.port"),
    ("worker.rpc", "worker", "rpc", "alluxio.worker.rpc.port"),
    ("worker.web", "worker", "web", "alluxio.worker.web.port"),
    ("jobMaster.rpc", "job_master", "rpc", "alluxio.job.master.rpc.port"),
    ("jobMaster.web", "job_master", "web", "alluxio.job.master.web.port"),
    ("jobWorker.rpc", "job_worker", "rpc", "alluxio.job.worker.rpc.port"),
    ("jobWorker.web", "job_worker", "web", "alluxio.job.worker.web.port"),
    ("jobWorker.data", "job_worker", "data", "alluxio.job.worker.data.port"),
    ("apiGateway.web", "api_gateway", "web", "alluxio.proxy.web.port"),
    ("master.embeddedJournal", "master", "embeddedJournal", "alluxio.master.embedded.journal.port"),
    (
        "jobMaster.embeddedJournal",
        "job_master",
        "embeddedJournal",
        "alluxio.job.master.embedded.journal.port",
    ),
)
PROPERTY_OF = {name: prop for name, _, _, prop in PORTS}

# Ports Alluxio listens on when both master and worker use the pod network.
STATIC_PORTS = {
    "master.rpc": 19998,
    "master.web": 19999,
    "jobMaster.rpc": 20001,
    "jobMaster.web": 20002,
    "worker.rpc": 29999,
    "worker.web": 30000,
    "jobWorker.rpc": 30001,
    "jobWorker.data": 30002,
    "jobWorker.web": 30003,
    "apiGateway.web": 39999,
    "master.embeddedJournal": 19200,
    "jobMaster.embeddedJournal": 20003,
}


@dataclass(frozen=True)
class PortRange:
    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Lock:
    """The ports of every host-network runtime, keyed by `<namespace>/<name>`."""

    runtimes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def runtime_key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def uses_host_network(runtime: AlluxioRuntime) -> bool:
    """Upstream allocates host ports unless both master and worker use the pod network."""
    spec = runtime.spec
    modes = [c.network_mode if c else None for c in (spec.master, spec.worker)]
    return any(mode != "ContainerNetwork" for mode in modes)


def needed_ports(runtime: AlluxioRuntime) -> list[str]:
    """The ports a runtime listens on: the nine base ones, the gateway, the HA journals."""
    spec = runtime.spec
    names = [name for name, *_ in PORTS[:9]]
    if spec.api_gateway is not None and spec.api_gateway.enabled:
        names.append("apiGateway.web")
    if master_replicas(runtime) > 1:
        names += ["master.embeddedJournal", "jobMaster.embeddedJournal"]
    return names


def master_replicas(runtime: AlluxioRuntime) -> int:
    master = runtime.spec.master
    return master.replicas if master is not None and master.replicas else 1


@dataclass(frozen=True)
class _Fixed:
    port: int
    where: Position
    field: str


def _fixed_ports(spec: Spec[AlluxioRuntime]) -> tuple[dict[str, _Fixed], list[Problem]]:
    """Ports the user chose: a port property wins over `spec.<component>.ports` (upstream order)."""
    runtime = spec.model.spec
    properties = runtime.properties or {}
    fixed: dict[str, _Fixed] = {}
    problems: list[Problem] = []
    for name in needed_ports(spec.model):
        _, component, key, prop = next(p for p in PORTS if p[0] == name)
        if prop in properties:
            path: tuple[str | int, ...] = ("spec", "properties", prop)
            text = properties[prop]
            if not text.isdigit() or not 0 < int(text) < 65536:
                problems.append(
                    Problem(
                        spec.at(*path), f"spec.properties.{prop}", "must be a port number (1-65535)"
                    )
                )
                continue
            fixed[name] = _Fixed(int(text), spec.at(*path), f"spec.properties.{prop}")
            continue
        template = getattr(runtime, component)
        ports = (template.ports if template is not None else None) or {}
        if key in ports:
            alias = name.split(".")[0]
            path = ("spec", alias, "ports", key)
            fixed[name] = _Fixed(ports[key], spec.at(*path), f"spec.{alias}.ports.{key}")
    return fixed, problems


def allocate(
    runtimes: Sequence[Spec[AlluxioRuntime]],
    lock: Lock,
    port_range: PortRange,
    lock_position: Position,
) -> tuple[dict[str, dict[str, int]], Lock]:
    """Every runtime's ports and the new lock: kept ports stay, new ones take the lowest free."""
    problems: list[Problem] = []
    owners: dict[int, str] = {}
    result: dict[str, dict[str, int]] = {}
    fixed_of: dict[str, dict[str, _Fixed]] = {}

    def claim(port: int, owner: str, where: Position | None, field_name: str) -> None:
        if port in owners and owners[port] != owner:
            problems.append(
                Problem(where, field_name, f"port {port} is also used by {owners[port]}")
            )
        owners[port] = owner

    host_runtimes = sorted(
        (s for s in runtimes if uses_host_network(s.model)), key=lambda s: (s.namespace, s.name)
    )
    for spec in host_runtimes:
        key = runtime_key(spec.namespace, spec.name)
        fixed, bad = _fixed_ports(spec)
        problems += bad
        fixed_of[key] = fixed
        for chosen in fixed.values():
            claim(chosen.port, f"AlluxioRuntime {key} ({chosen.field})", chosen.where, chosen.field)
    for spec in host_runtimes:
        key = runtime_key(spec.namespace, spec.name)
        kept = lock.runtimes.get(key, {})
        ports: dict[str, int] = {}
        for name in needed_ports(spec.model):
            if name in fixed_of[key]:
                ports[name] = fixed_of[key][name].port
            elif name in kept:
                ports[name] = kept[name]
                claim(kept[name], f"AlluxioRuntime {key} (lock file)", lock_position, key)
        result[key] = ports
    free = _free_ports(port_range, owners)
    new_lock: dict[str, dict[str, int]] = {}
    for spec in host_runtimes:
        key = runtime_key(spec.namespace, spec.name)
        ports = result[key]
        for name in needed_ports(spec.model):
            if name in ports:
                continue
            port = next(free, None)
            if port is None:
                problems.append(
                    Problem(
                        spec.at("metadata", "name"),
                        "metadata.name",
                        f"no free host port left in {port_range} for {name}; "
                        "widen it with --port-range",
                    )
                )
                break
            ports[name] = port
        new_lock[key] = {n: p for n, p in ports.items() if n not in fixed_of[key]}
    fail_if(problems)
    return result, Lock({k: v for k, v in sorted(new_lock.items()) if v})


def _free_ports(port_range: PortRange, taken: Iterable[int]) -> Iterator[int]:
    used = set(taken)
    return (p for p in range(port_range.low, port_range.high + 1) if p not in used)
