"""AlluxioRuntime's ports: the table (names, spec fields, Alluxio properties), which ports a
runtime needs, and the ones its user fixed (upstream `pkg/ddc/alluxio/transform.go`,
`allocatePorts`, `generateStaticPorts`)."""

from __future__ import annotations

from fluid_render.api import AlluxioRuntime
from fluid_render.errors import Problem
from fluid_render.plan.ports import FixedPort, PortNeeds
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


def fixed_ports(spec: Spec[AlluxioRuntime]) -> tuple[dict[str, FixedPort], list[Problem]]:
    """Ports the user chose: a port property wins over `spec.<component>.ports` (upstream order)."""
    runtime = spec.model.spec
    properties = runtime.properties or {}
    fixed: dict[str, FixedPort] = {}
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
            fixed[name] = FixedPort(int(text), spec.at(*path), f"spec.properties.{prop}")
            continue
        template = getattr(runtime, component)
        ports = (template.ports if template is not None else None) or {}
        if key in ports:
            alias = name.split(".")[0]
            path = ("spec", alias, "ports", key)
            fixed[name] = FixedPort(ports[key], spec.at(*path), f"spec.{alias}.ports.{key}")
    return fixed, problems


def port_needs(spec: Spec[AlluxioRuntime]) -> PortNeeds | None:
    """What the allocator needs of a host-network runtime; None on the pod network."""
    if not uses_host_network(spec.model):
        return None
    fixed, problems = fixed_ports(spec)
    return PortNeeds(
        owner=f"AlluxioRuntime {spec.namespace}/{spec.name}",
        namespace=spec.namespace,
        name=spec.name,
        where=spec.at("metadata", "name"),
        names=needed_ports(spec.model),
        fixed=fixed,
        problems=problems,
    )
