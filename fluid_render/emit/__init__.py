"""Write manifests: one YAML stream, or a folder tree for a GitOps repository.

`layout` decides paths and texts, `owned` reads and writes the ownership file, `staging`
stages and swaps a tree, `files` replaces single files, `publish` orders the writes of a build.
"""

from __future__ import annotations

from fluid_render.emit.files import remove_stale_temps, write_file, write_files
from fluid_render.emit.incremental import Previous, read_previous
from fluid_render.emit.layout import (
    CLUSTER_FOLDER,
    KUSTOMIZATION,
    OutputFile,
    ordered,
    stream,
    stream_parts,
    tree,
)
from fluid_render.emit.owned import OWNED, Owned, read_owned
from fluid_render.emit.publish import LockUpdate, output_problem, publish_stream, publish_tree

__all__ = [
    "CLUSTER_FOLDER",
    "KUSTOMIZATION",
    "OWNED",
    "LockUpdate",
    "OutputFile",
    "Owned",
    "Previous",
    "ordered",
    "output_problem",
    "publish_stream",
    "publish_tree",
    "read_owned",
    "read_previous",
    "remove_stale_temps",
    "stream",
    "stream_parts",
    "tree",
    "write_file",
    "write_files",
]
