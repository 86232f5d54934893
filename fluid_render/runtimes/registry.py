"""The runtime kinds fluid-render compiles, by the kind of their custom resource."""

from __future__ import annotations

from collections.abc import Mapping

from fluid_render.bind import Bundle
from fluid_render.runtimes.alluxio.kind import ALLUXIO
from fluid_render.runtimes.protocol import Runtime

RUNTIMES: Mapping[str, Runtime] = {runtime.kind: runtime for runtime in (ALLUXIO,)}


PORT_NAMES: frozenset[str] = frozenset().union(*(r.port_names for r in RUNTIMES.values()))
"""Every port name a lock file may hold."""


def runtime_of(bundle: Bundle) -> Runtime:
    """The runtime kind of a bundle (validate admits only registered kinds)."""
    return RUNTIMES[bundle.runtime.model.kind]
