"""The Dataset kind: what data to cache and who may use it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictStr, model_validator

from .common import (
    BACKUP_LOCATION_PATTERN,
    AccessMode,
    ApiModel,
    Dns1035ObjectMeta,
    Int32,
    MinItems,
    MinLength,
    NodeSelector,
    Pattern,
    StringMap,
    Toleration,
    User,
    rule_error,
)
from .fields import CheckedFields, DeprecatedFields, Shape, metadata_fields

PlacementMode = Literal["Exclusive", "", "Shared"]
"""``""`` means Exclusive upstream."""


class SecretKeySelector(ApiModel):
    """A key of a Secret in the Dataset's namespace; without key the option name is used."""

    name: StrictStr
    key: StrictStr | None = None


class EncryptOptionSource(ApiModel):
    """Where a secret mount option's value comes from."""

    secret_key_ref: SecretKeySelector


class EncryptOption(ApiModel):
    """A mount option whose value is read from a Secret, so it never lands in a ConfigMap."""

    name: StrictStr
    value_from: EncryptOptionSource


class Mount(ApiModel):
    """One under-file-system mounted into the cache namespace."""

    mount_point: Annotated[
        StrictStr,
        MinLength(5),
        Pattern(
            r"^.*://.*$",
            'must be a URI with a scheme, such as "s3://bucket/dir", "pvc://claim" '
            'or "local:///path"',
        ),
    ]
    name: StrictStr | None = None
    path: StrictStr | None = None
    options: StringMap | None = None
    read_only: StrictBool | None = None
    shared: StrictBool | None = None
    encrypt_options: list[EncryptOption] | None = None

    @model_validator(mode="after")
    def _native_path_has_no_parent_step(self) -> Mount:
        """``local://`` becomes a host path and ``pvc://claim/dir`` a sub-path, and Kubernetes
        rejects both with ``..`` segments; the message never repeats the URL (it may hold a
        credential)."""
        scheme, _, rest = self.mount_point.partition("://")
        if scheme in ("local", "pvc") and ".." in rest.split("/"):
            raise rule_error(
                "path_parent_step",
                f"a {scheme}:// mount point must not contain '..' segments (Kubernetes "
                "rejects them in host paths and sub-paths)",
            )
        return self


class Runtime(ApiModel):
    """A runtime binding; normally written by the controller into the status only."""

    name: StrictStr | None = None
    namespace: StrictStr | None = None
    category: StrictStr | None = None
    type: StrictStr | None = None
    master_replicas: Int32 | None = None


class CacheableNodeAffinity(ApiModel):
    """Nodes allowed to hold the cache."""

    required: NodeSelector | None = None


class DataRestoreLocation(ApiModel):
    """Where a metadata backup to restore the Dataset from lives."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.path) || !self.path.startsWith('local://') "
                    "|| (has(self.nodeName) && self.nodeName != '')",
                    "message": "nodeName is required when path is a local:// location",
                }
            ]
        }
    )

    path: (
        Annotated[
            StrictStr,
            Pattern(BACKUP_LOCATION_PATTERN, 'must start with "local://" or "pvc://"'),
        ]
        | None
    ) = None
    node_name: StrictStr | None = None

    @model_validator(mode="after")
    def _local_needs_node(self) -> DataRestoreLocation:
        if self.path is not None and self.path.startswith("local://") and not self.node_name:
            raise rule_error(
                "node_name_missing", "nodeName is required when path is a local:// location"
            )
        return self


class DatasetSpec(ApiModel):
    """What to cache; every field is optional."""

    mounts: Annotated[list[Mount], MinItems(1)] | None = None
    owner: User | None = None
    node_affinity: CacheableNodeAffinity | None = None
    tolerations: list[Toleration] | None = None
    access_modes: list[AccessMode] | None = None
    runtimes: list[Runtime] | None = None
    placement: PlacementMode | None = None
    data_restore_location: DataRestoreLocation | None = None
    shared_options: StringMap | None = None
    shared_encrypt_options: list[EncryptOption] | None = None


class Dataset(ApiModel):
    """A set of data Fluid caches and exposes through a PersistentVolumeClaim."""

    api_version: Literal["data.fluid.io/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["Dataset"]
    metadata: Dns1035ObjectMeta
    spec: DatasetSpec


CHECKED_FIELDS: CheckedFields = [
    (("spec", "mounts", "*", "mountPoint"), Shape.URL),
    (("spec", "mounts", "*", "options"), Shape.SETTINGS),
    (("spec", "sharedOptions"), Shape.SETTINGS),
    (("spec", "dataRestoreLocation", "path"), Shape.URL),
    *metadata_fields(("metadata",)),
]
"""Where a Dataset may hold a credential (`fluid_render/credentials.py`)."""

DEPRECATED_FIELDS: DeprecatedFields = {
    ("spec", "exclusiveMode"): (
        "replaced in Fluid v0.5.0 by spec.placement: write `placement: Exclusive` (true) or "
        "`placement: Shared` (false)"
    ),
}
"""Fields of older Dataset versions (`fluid_render/deprecated.py`)."""
