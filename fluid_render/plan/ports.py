"""Host ports: chosen once, kept in the lock file, never moved, never shared between runtimes.

Upstream picks random ports at install time and remembers them in the cluster; a build must
remember them in git instead, so the same specs always render the same ports. Which ports a
runtime needs, and which its user fixed, is the runtime kind's (`PortNeeds`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from fluid_render.errors import Position, Problem, fail_if


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


@dataclass(frozen=True)
class FixedPort:
    """A port the user chose, and where."""

    port: int
    where: Position
    field: str


@dataclass(frozen=True)
class PortNeeds:
    """One host-network runtime's ports: the names it listens on, in order, and the fixed ones."""

    owner: str  # how errors name it: `AlluxioRuntime ns/name`
    namespace: str
    name: str
    where: Position
    names: Sequence[str]
    fixed: Mapping[str, FixedPort]
    problems: Sequence[Problem] = ()


def allocate(
    runtimes: Sequence[PortNeeds],
    lock: Lock,
    port_range: PortRange,
    lock_position: Position,
) -> tuple[dict[str, dict[str, int]], Lock]:
    """Every runtime's ports and the new lock: kept ports stay, new ones take the lowest free."""
    problems: list[Problem] = []
    owners: dict[int, str] = {}
    result: dict[str, dict[str, int]] = {}
    fixed_of: dict[str, dict[str, FixedPort]] = {}

    def claim(port: int, owner: str, where: Position | None, field_name: str) -> None:
        if port in owners and owners[port] != owner:
            problems.append(
                Problem(where, field_name, f"port {port} is also used by {owners[port]}")
            )
        owners[port] = owner

    host_runtimes = sorted(runtimes, key=lambda s: (s.namespace, s.name))
    for spec in host_runtimes:
        key = runtime_key(spec.namespace, spec.name)
        problems += spec.problems
        fixed_of[key] = dict(spec.fixed)
        for chosen in spec.fixed.values():
            claim(chosen.port, f"{spec.owner} ({chosen.field})", chosen.where, chosen.field)
    for spec in host_runtimes:
        key = runtime_key(spec.namespace, spec.name)
        kept = lock.runtimes.get(key, {})
        ports: dict[str, int] = {}
        for name in spec.names:
            if name in fixed_of[key]:
                ports[name] = fixed_of[key][name].port
            elif name in kept:
                ports[name] = kept[name]
                claim(kept[name], f"{spec.owner} (lock file)", lock_position, key)
        result[key] = ports
    free = _free_ports(port_range, owners)
    new_lock: dict[str, dict[str, int]] = {}
    for spec in host_runtimes:
        key = runtime_key(spec.namespace, spec.name)
        ports = result[key]
        for name in spec.names:
            if name in ports:
                continue
            port = next(free, None)
            if port is None:
                problems.append(
                    Problem(
                        spec.where,
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
