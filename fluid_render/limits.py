"""Bounds on what an input may make the loader hold, so hostile YAML ends as a positioned error.

A 2 KB "billion laughs" document (anchors aliased within anchors) expands to 10^9 nodes, and
every later stage (positions, validation, rendering, `inject`'s walk) would expand it. The bounds
and the budget the inputs of one command share live here; `sources` checks sizes as it reads,
`nodelimits` checks each composed node graph, aliases counted as if written out.
"""

from __future__ import annotations

from dataclasses import dataclass

from fluid_render.errors import BuildError, Position, Problem

MAX_FILE_BYTES = 4 * 1024 * 1024
"""One input file, stdin or the lock file."""
MAX_TOTAL_BYTES = 16 * 1024 * 1024
"""All inputs of one command together; also the bound on their scalar text, aliases expanded."""
MAX_NODES = 500_000
"""Keys, values and items of all inputs together, every alias counted as a copy of its anchor."""
MAX_ALIASES = 1_000
"""Aliases (`*name`) in one document."""
MAX_DEPTH = 100
"""Nesting of mappings and sequences, aliases expanded (Kubernetes objects need about 20)."""
MAX_SCALAR_LENGTH = 1024 * 1024
"""Characters of one key or value (a ConfigMap holds at most 1 MiB in Kubernetes)."""
MAX_NUMBER_LENGTH = 100
"""Characters of an unquoted number; Kubernetes numbers are int64 or float64."""


@dataclass
class Budget:
    """What the inputs of one command may still use; shared by every file they read."""

    nodes: int = MAX_NODES
    chars: int = MAX_TOTAL_BYTES
    bytes: int = MAX_TOTAL_BYTES


def check_size(size: int, source: str, budget: Budget) -> None:
    """Refuse a file larger than MAX_FILE_BYTES, or one that takes the inputs past the total."""
    where = Position(source, 1, 1)
    if size > MAX_FILE_BYTES:
        raise BuildError(
            [Problem(where, "", f"limit: larger than {MAX_FILE_BYTES} bytes (MAX_FILE_BYTES)")]
        )
    budget.bytes -= size
    if budget.bytes < 0:
        message = f"limit: the inputs together are larger than {MAX_TOTAL_BYTES} bytes"
        raise BuildError([Problem(where, "", f"{message} (MAX_TOTAL_BYTES)")])
