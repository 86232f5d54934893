"""What each kind declares beside its model about fields the models do not describe: where a
plaintext credential may hide (read by `fluid_render/credentials.py`) and which fields older
upstream API versions had (read by `fluid_render/deprecated.py`). Each kind's module holds its
own `CHECKED_FIELDS` and `DEPRECATED_FIELDS`; `fluid_render.api` collects them by kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum


class Shape(Enum):
    """How a checked field is read."""

    SETTINGS = "settings"
    """A map of setting names to values: both the name and the value are checked."""
    METADATA = "metadata"
    """A map of annotations or labels: only values (their names refer to secrets by convention,
    such as Vault's ``vault.hashicorp.com/agent-inject-secret-*``)."""
    ARGUMENTS = "arguments"
    """A list of command-line words (``-Dname=value``): embedded assignments and value shapes."""
    URL = "url"
    """One URL: user info, signed query parameters and value shapes."""


CheckedFields = Sequence[tuple[tuple[str, ...], Shape]]
"""The fields of one kind scanned for credentials (``*`` is any list item); everything below a
field is covered."""

DeprecatedFields = Mapping[tuple[str, ...], str]
"""Fields of one kind that older upstream versions had (`api/v1alpha1/*_types.go` history) ->
what to write now; a document's warnings follow this order."""

POD_METADATA = (("metadata",), ("spec", "podMetadata"))
"""The object's own metadata and the metadata it gives its pods."""


def metadata_fields(*bases: tuple[str, ...]) -> list[tuple[tuple[str, ...], Shape]]:
    """The annotations and labels below each of `bases`, checked by their values."""
    return [((*base, key), Shape.METADATA) for base in bases for key in ("annotations", "labels")]


RUN_AS_RENAMES: DeprecatedFields = {
    ("spec", "runAs", "username"): "renamed in Fluid v0.3.0: write spec.runAs.user",
    ("spec", "runAs", "groups"): (
        "replaced in Fluid v0.3.0 by one group: write runAs.gid and runAs.group"
    ),
}
"""The `runAs` (`User`) fields of before Fluid v0.3.0, of every kind that has `spec.runAs`."""

RUN_AFTER_RENAMES: DeprecatedFields = {
    ("spec", "runAfter", "affinityStrategy", old): (
        f"renamed in Fluid v1.0.1: write spec.runAfter.affinityStrategy.{old}s"
    )
    for old in ("prefer", "require")
}
"""The `runAfter.affinityStrategy` fields of before Fluid v1.0.1, of every data operation."""
