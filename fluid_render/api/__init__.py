"""The Fluid input API (``data.fluid.io/v1alpha1``) as strict, immutable pydantic models.

Python attributes are snake_case; the wire names are upstream's camelCase aliases, so parse with
``Model.model_validate(doc)`` and write back with ``model_dump(by_alias=True, exclude_unset=True)``.
"""

from __future__ import annotations

from . import alluxio, databackup, dataload, dataset
from .alluxio import (
    AlluxioCompTemplateSpec,
    AlluxioFuseSpec,
    AlluxioRuntime,
    AlluxioRuntimeSpec,
    CleanCachePolicy,
    Data,
    FuseCleanPolicy,
    InitUsersSpec,
    Level,
    MediumType,
    MetadataSyncPolicy,
    RuntimeManagement,
    TieredStore,
    VersionSpec,
    VolumeType,
)
from .common import (
    API_VERSION,
    AccessMode,
    Affinity,
    AffinityStrategy,
    ApiModel,
    Dns1035ObjectMeta,
    ImagePullPolicy,
    Int32,
    Int64,
    LocalObjectReference,
    NetworkMode,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    ObjectMeta,
    ObjectRef,
    OperationKind,
    OperationRef,
    PodMetadata,
    Port,
    Prefer,
    Quantity,
    QuotaList,
    Require,
    ResourceRequirements,
    StringMap,
    Toleration,
    User,
    Volume,
    VolumeMount,
    VolumeSource,
)
from .databackup import DataBackup, DataBackupSpec
from .dataload import DataLoad, DataLoadPolicy, DataLoadSpec, TargetDataset, TargetPath
from .dataset import (
    CacheableNodeAffinity,
    DataRestoreLocation,
    Dataset,
    DatasetSpec,
    EncryptOption,
    EncryptOptionSource,
    Mount,
    PlacementMode,
    Runtime,
    SecretKeySelector,
)
from .fields import CheckedFields, DeprecatedFields, Shape

KINDS: dict[str, type[ApiModel]] = {
    "Dataset": Dataset,
    "AlluxioRuntime": AlluxioRuntime,
    "DataLoad": DataLoad,
    "DataBackup": DataBackup,
}
"""The top-level model of each supported ``kind``."""

CHECKED_FIELDS: dict[str, CheckedFields] = {
    "Dataset": dataset.CHECKED_FIELDS,
    "AlluxioRuntime": alluxio.CHECKED_FIELDS,
    "DataLoad": dataload.CHECKED_FIELDS,
    "DataBackup": databackup.CHECKED_FIELDS,
}
"""Per kind, the fields the credential policy scans (``fluid_render/credentials.py``)."""

DEPRECATED_FIELDS: dict[str, DeprecatedFields] = {
    "Dataset": dataset.DEPRECATED_FIELDS,
    "AlluxioRuntime": alluxio.DEPRECATED_FIELDS,
    "DataLoad": dataload.DEPRECATED_FIELDS,
    "DataBackup": databackup.DEPRECATED_FIELDS,
}
"""Per kind, the fields of older upstream versions and what to write now
(``fluid_render/deprecated.py``)."""

__all__ = [
    "API_VERSION",
    "CHECKED_FIELDS",
    "DEPRECATED_FIELDS",
    "KINDS",
    "AccessMode",
    "Affinity",
    "AffinityStrategy",
    "AlluxioCompTemplateSpec",
    "AlluxioFuseSpec",
    "AlluxioRuntime",
    "AlluxioRuntimeSpec",
    "ApiModel",
    "CacheableNodeAffinity",
    "CheckedFields",
    "CleanCachePolicy",
    "Data",
    "DataBackup",
    "DataBackupSpec",
    "DataLoad",
    "DataLoadPolicy",
    "DataLoadSpec",
    "DataRestoreLocation",
    "Dataset",
    "DatasetSpec",
    "DeprecatedFields",
    "Dns1035ObjectMeta",
    "EncryptOption",
    "EncryptOptionSource",
    "FuseCleanPolicy",
    "ImagePullPolicy",
    "InitUsersSpec",
    "Int32",
    "Int64",
    "Level",
    "LocalObjectReference",
    "MediumType",
    "MetadataSyncPolicy",
    "Mount",
    "NetworkMode",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "ObjectMeta",
    "ObjectRef",
    "OperationKind",
    "OperationRef",
    "PlacementMode",
    "PodMetadata",
    "Port",
    "Prefer",
    "Quantity",
    "QuotaList",
    "Require",
    "ResourceRequirements",
    "Runtime",
    "RuntimeManagement",
    "SecretKeySelector",
    "Shape",
    "StringMap",
    "TargetDataset",
    "TargetPath",
    "TieredStore",
    "Toleration",
    "User",
    "VersionSpec",
    "Volume",
    "VolumeMount",
    "VolumeSource",
    "VolumeType",
]
