"""The DataBackup kind: save a bound Dataset's metadata so it can be restored later."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictStr

from .common import (
    BACKUP_LOCATION_PATTERN,
    ApiModel,
    NonNegativeInt32,
    ObjectMeta,
    OperationRef,
    Pattern,
    User,
)
from .fields import (
    RUN_AFTER_RENAMES,
    RUN_AS_RENAMES,
    CheckedFields,
    DeprecatedFields,
    Shape,
    metadata_fields,
)


class DataBackupSpec(ApiModel):
    """Which Dataset to back up and where to."""

    dataset: StrictStr
    backup_path: Annotated[
        StrictStr,
        Pattern(
            BACKUP_LOCATION_PATTERN,
            'only pvc:// and local:// backup paths are supported (e.g. "pvc://claim/dir/")',
        ),
    ]
    run_as: User | None = None
    run_after: OperationRef | None = None
    ttl_seconds_after_finished: NonNegativeInt32 | None = None


class DataBackup(ApiModel):
    """A one-off backup of a bound Dataset's metadata."""

    api_version: Literal["data.fluid.io/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["DataBackup"]
    metadata: ObjectMeta
    spec: DataBackupSpec


CHECKED_FIELDS: CheckedFields = [
    (("spec", "backupPath"), Shape.URL),
    *metadata_fields(("metadata",)),
]
"""Where a DataBackup may hold a credential (`fluid_render/credentials.py`)."""

DEPRECATED_FIELDS: DeprecatedFields = {**RUN_AS_RENAMES, **RUN_AFTER_RENAMES}
"""Fields of older DataBackup versions (`fluid_render/deprecated.py`)."""
