"""Base model, shared value types and the Kubernetes core types the Fluid API embeds.

Everything is as strict as the Kubernetes API server: no string-to-number coercion, no
unknown fields, and the wire names are upstream's camelCase aliases.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    Strict,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from fluid_render.names import DNS1123_LABEL, DNS1123_SUBDOMAIN

from .quantity import (
    QUANTITY_LIMIT,
    QUANTITY_PATTERN,
    QUOTA_LIST_PATTERN,
    NonNegativeQuantity,
    PositiveQuantity,
    Quantity,
    QuantitySign,
    QuotaList,
    parse_quantity,
)
from .rules import (
    IntFormat,
    Maximum,
    MaxItems,
    MaxLength,
    Minimum,
    MinItems,
    MinLength,
    Pattern,
    Rule,
    rule_error,
)

API_VERSION = "data.fluid.io/v1alpha1"


class ApiModel(BaseModel):
    """Strict, immutable base so a parsed spec can be shared by every later stage."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=False,
        extra="forbid",
        frozen=True,
        defer_build=True,
    )


def _segments_without_parent_step(separators: str, relative: bool) -> str:
    """A pattern for paths none of whose segments is ``..``; RE2 has no look-ahead, so it lists
    the segments that may be: empty, ``.``, or not ``..``. A relative path has a first segment."""
    other = f"[^{separators}]"
    segment = rf"(\.|[^{separators}.]{other}*|\.[^{separators}.]{other}*|\.\.{other}+)"
    first = segment if relative else f"({segment})?"
    return f"^$|^{first}([{separators}]({segment})?)*$"


NO_PARENT_STEP = _segments_without_parent_step("/", relative=False)
"""A path none of whose segments is ``..``."""
PATHS_WITHOUT_PARENT_STEP = _segments_without_parent_step("/,", relative=False)
"""Comma-separated paths none of whose segments is ``..``."""
RELATIVE_PATH_WITHOUT_PARENT_STEP = _segments_without_parent_step("/", relative=True)
"""A relative path none of whose segments is ``..`` (a volume's ``subPath``)."""


# --------------------------------------------------------------------------------------------
# Scalar types.

Int32 = Annotated[int, Strict(), IntFormat(32)]
Int64 = Annotated[int, Strict(), IntFormat(64)]
NonNegativeInt32 = Annotated[Int32, Minimum(0)]
PositiveInt32 = Annotated[Int32, Minimum(1)]
Port = Annotated[int, Strict(), Minimum(1), Maximum(65535)]
UserId = Annotated[Int64, Minimum(0), Maximum(2**31 - 1)]
"""A Linux user or group id as the API server accepts it in runAsUser (``IsValidUserID``)."""

StringMap = dict[StrictStr, StrictStr]
"""A map of strings: values must be quoted in YAML (``"true"``, ``"1"``), as for the API server."""

LABEL_KEY = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
LABEL_KEY_MESSAGE = "must be a valid label key ([prefix/]name)"
LABEL_VALUE_MESSAGE = "must be a valid label value (at most 63 letters, digits, '-_.')"
LabelKey = Annotated[StrictStr, Pattern(LABEL_KEY, LABEL_KEY_MESSAGE)]
LabelMap = dict[LabelKey, Annotated[StrictStr, Pattern(LABEL_VALUE, LABEL_VALUE_MESSAGE)]]
"""Labels as the API server accepts them, so a bad one fails the build, not the sync."""

BACKUP_LOCATION_PATTERN = r"^(local|pvc)://.*$"
"""Backup and restore locations upstream can parse (`pkg/utils`, `ParseBackupRestorePath`)."""

DNS1035_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"

Dns1123Label = Annotated[
    StrictStr,
    MaxLength(63),
    Pattern(
        DNS1123_LABEL,
        "must be a DNS-1123 label: lower-case letters, digits and '-', "
        "starting and ending with a letter or digit",
    ),
]
Dns1123Subdomain = Annotated[
    StrictStr,
    MaxLength(253),
    Pattern(
        DNS1123_SUBDOMAIN,
        "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
        "each part starting and ending with a letter or digit",
    ),
]
Dns1035Label = Annotated[
    StrictStr,
    MaxLength(63),
    Pattern(
        DNS1035_LABEL,
        "must be a DNS-1035 label: lower-case letters, digits and '-', "
        "starting with a letter and ending with a letter or digit",
    ),
]

RATIO_PATTERN = r"^0*(\.[0-9]*[1-9][0-9]*|1(\.0*)?)$"
"""A decimal number greater than 0 and at most 1, such as ``0.95``."""
Ratio = Annotated[
    StrictStr,
    Pattern(RATIO_PATTERN, 'must be a decimal number greater than 0 and at most 1, e.g. "0.95"'),
]

ImagePullPolicy = Literal["Always", "IfNotPresent", "Never"]
NetworkMode = Literal["HostNetwork", "", "ContainerNetwork"]
"""``""`` means HostNetwork upstream."""
AccessMode = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

# --------------------------------------------------------------------------------------------
# Free-form Kubernetes structures that are checked later against the real Kubernetes schema.

VOLUME_SOURCE_KEYS = frozenset(
    {
        "awsElasticBlockStore",
        "azureDisk",
        "azureFile",
        "cephfs",
        "cinder",
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "fc",
        "flexVolume",
        "flocker",
        "gcePersistentDisk",
        "gitRepo",
        "glusterfs",
        "hostPath",
        "image",
        "iscsi",
        "nfs",
        "persistentVolumeClaim",
        "photonPersistentDisk",
        "portworxVolume",
        "projected",
        "quobyte",
        "rbd",
        "scaleIO",
        "secret",
        "storageos",
        "vsphereVolume",
    }
)
"""The members of core/v1 VolumeSource (Kubernetes 1.31)."""


def _volume_source_problem(source: dict[str, Any]) -> str | None:
    if len(source) != 1:
        keys = ", ".join(sorted(source)) or "none"
        return f"must set exactly one volume source (such as hostPath or emptyDir), got: {keys}"
    ((key, value),) = source.items()
    if key not in VOLUME_SOURCE_KEYS:
        return f'unknown volume source "{key}"'
    if not isinstance(value, dict):
        return f"volume source {key} must be a mapping"
    path = value.get("path")
    if key == "hostPath" and isinstance(path, str) and ".." in path.split("/"):
        return "hostPath path must not contain '..' segments (Kubernetes rejects them)"
    return None


def _check_volume_source(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise PydanticCustomError("dict_type", "must be a mapping")
    problem = _volume_source_problem(value)
    if problem is not None:
        raise rule_error("volume_source", problem)
    return value


VolumeSource = Annotated[
    dict[str, Any],
    PlainValidator(_check_volume_source),
    WithJsonSchema(
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "x-kubernetes-preserve-unknown-fields": True,
        }
    ),
]
"""A core/v1 VolumeSource kept as a plain mapping with exactly one source key."""

AFFINITY_KEYS = ("nodeAffinity", "podAffinity", "podAntiAffinity")


def _check_affinity(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "must be a mapping")
    for key, item in value.items():
        if key not in AFFINITY_KEYS:
            raise PydanticCustomError(
                "affinity_key",
                'unknown affinity "{key}" (expected nodeAffinity, podAffinity or podAntiAffinity)',
                {"key": str(key)},
            )
        if not isinstance(item, dict):
            raise rule_error("dict_type", f"{key} must be a mapping")
    return value


_FREE_OBJECT = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}

Affinity = Annotated[
    dict[str, Any],
    PlainValidator(_check_affinity),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {key: dict(_FREE_OBJECT) for key in AFFINITY_KEYS},
            "additionalProperties": False,
        }
    ),
]
"""A core/v1 Affinity kept as a plain mapping; only its top-level keys are checked here."""


# --------------------------------------------------------------------------------------------
# Kubernetes core types.


class ObjectMeta(ApiModel):
    """The metadata fluid-render needs; anything else (uid, resourceVersion...) is server-side."""

    name: Dns1123Subdomain
    namespace: Dns1123Label | None = None
    labels: LabelMap | None = None
    annotations: StringMap | None = None


class Dns1035ObjectMeta(ObjectMeta):
    """Metadata of a Dataset or runtime, whose name becomes Service and label names upstream."""

    name: Dns1035Label


class PodMetadata(ApiModel):
    """Labels and annotations merged into generated pod templates."""

    labels: LabelMap | None = None
    annotations: StringMap | None = None


class LocalObjectReference(ApiModel):
    """A reference to an object (e.g. an image pull Secret) in the same namespace."""

    name: StrictStr


class Toleration(ApiModel):
    """core/v1 Toleration."""

    key: Annotated[StrictStr, Pattern("^$|" + LABEL_KEY, LABEL_KEY_MESSAGE)] | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: Annotated[StrictStr, Pattern(LABEL_VALUE, LABEL_VALUE_MESSAGE)] | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: Int64 | None = None

    @model_validator(mode="after")
    def _exists_has_no_value(self) -> Toleration:
        """The API server's rules (``validateTolerations`` in ``pkg/apis/core/validation``)."""
        if self.operator == "Exists" and self.value:
            raise rule_error("toleration", "value must be empty when operator is Exists")
        if not self.key and self.operator != "Exists":
            raise rule_error(
                "toleration", "operator must be Exists when key is empty (it matches every taint)"
            )
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise rule_error("toleration", "effect must be NoExecute when tolerationSeconds is set")
        return self


class NodeSelectorRequirement(ApiModel):
    """core/v1 NodeSelectorRequirement."""

    key: LabelKey
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[StrictStr] | None = None

    @model_validator(mode="after")
    def _values_fit_operator(self) -> NodeSelectorRequirement:
        """The API server's rule (``ValidateNodeSelectorRequirement``)."""
        count = len(self.values or [])
        if self.operator in ("In", "NotIn") and count == 0:
            raise rule_error(
                "node_selector", f"values must not be empty with operator {self.operator}"
            )
        if self.operator in ("Exists", "DoesNotExist") and count:
            raise rule_error("node_selector", f"values must be empty with operator {self.operator}")
        if self.operator in ("Gt", "Lt") and (
            count != 1 or not re.fullmatch(r"-?[0-9]+", (self.values or [""])[0])
        ):
            raise rule_error(
                "node_selector",
                f"values must be exactly one integer with operator {self.operator}",
            )
        return self


class NodeFieldSelectorRequirement(NodeSelectorRequirement):
    """A ``matchFields`` entry: only ``metadata.name`` with In or NotIn and one value
    (``ValidateNodeFieldSelectorRequirement``)."""

    key: Annotated[
        StrictStr, Pattern(r"^metadata\.name$", "must be metadata.name, the only node field")
    ]
    operator: Literal["In", "NotIn"]
    values: Annotated[list[StrictStr], MinItems(1), MaxItems(1)]


class NodeSelectorTerm(ApiModel):
    """core/v1 NodeSelectorTerm (its requirements are ANDed)."""

    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeFieldSelectorRequirement] | None = None


class NodeSelector(ApiModel):
    """core/v1 NodeSelector (its terms are ORed)."""

    node_selector_terms: list[NodeSelectorTerm]


class ResourceRequirements(ApiModel):
    """core/v1 ResourceRequirements (limits and requests only)."""

    limits: dict[StrictStr, NonNegativeQuantity] | None = None
    requests: dict[StrictStr, NonNegativeQuantity] | None = None


class VolumeMount(ApiModel):
    """core/v1 VolumeMount."""

    name: Annotated[StrictStr, MinLength(1)]
    mount_path: Annotated[StrictStr, MinLength(1)]
    sub_path: (
        Annotated[
            StrictStr,
            Pattern(
                RELATIVE_PATH_WITHOUT_PARENT_STEP,
                "must be a relative path without '..' segments, as Kubernetes requires",
            ),
        ]
        | None
    ) = None
    sub_path_expr: StrictStr | None = None
    read_only: StrictBool | None = None
    mount_propagation: Literal["None", "HostToContainer", "Bidirectional"] | None = None
    recursive_read_only: Literal["Disabled", "IfPossible", "Enabled"] | None = None


class Volume(ApiModel):
    """core/v1 Volume: name plus exactly one volume source."""

    # The source stays a plain mapping (read it with source_type/source): rendered pods are
    # checked against the real Kubernetes schema, so modelling every source here buys nothing.

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "minProperties": 2,
            "maxProperties": 2,
            "additionalProperties": {"type": "object"},
            "x-kubernetes-preserve-unknown-fields": True,
        },
    )

    name: StrictStr

    @model_validator(mode="after")
    def _one_source(self) -> Volume:
        problem = _volume_source_problem(dict(self.model_extra or {}))
        if problem is not None:
            raise rule_error("volume_source", problem)
        return self

    @property
    def source_type(self) -> str:
        """The VolumeSource key, e.g. ``hostPath``."""
        return next(iter(self.model_extra or {}))

    @property
    def source(self) -> dict[str, Any]:
        """The volume source body, e.g. ``{"path": "/data"}`` for a hostPath."""
        value: dict[str, Any] = (self.model_extra or {})[self.source_type]
        return value

    def as_dict(self) -> dict[str, Any]:
        """The volume as it appears in a pod spec."""
        return {"name": self.name, self.source_type: self.source}


class User(ApiModel):
    """A user and group identity (Dataset owner, runtime runAs); upstream requires all four."""

    uid: UserId
    gid: UserId
    user: StrictStr
    group: StrictStr


# --------------------------------------------------------------------------------------------
# Fluid types shared by the data operations (DataLoad, DataBackup).

OperationKind = Literal["DataLoad", "DataBackup", "DataMigrate", "DataProcess"]


class ObjectRef(ApiModel):
    """A reference to another data operation."""

    api_version: StrictStr | None = None
    kind: OperationKind
    name: StrictStr
    namespace: StrictStr | None = None


class Require(ApiModel):
    """A label key whose value must match the predecessor's node."""

    name: StrictStr


class Prefer(ApiModel):
    """A label key whose value should match the predecessor's node, with a weight."""

    name: StrictStr
    weight: Annotated[Int32, Minimum(1), Maximum(100)]
    """Becomes a preferred scheduling term's weight, which Kubernetes bounds to 1-100."""


class AffinityStrategy(ApiModel):
    """Whether to run on the same nodes as an earlier operation."""

    policy: Literal["", "Require", "Prefer"] | None = None
    depend_on: ObjectRef | None = None
    requires: list[Require] | None = None
    prefers: list[Prefer] | None = None


class OperationRef(ObjectRef):
    """The operation that must complete before this one starts."""

    affinity_strategy: AffinityStrategy | None = None


__all__ = [
    "AFFINITY_KEYS",
    "API_VERSION",
    "BACKUP_LOCATION_PATTERN",
    "DNS1035_LABEL",
    "DNS1123_LABEL",
    "DNS1123_SUBDOMAIN",
    "NO_PARENT_STEP",
    "PATHS_WITHOUT_PARENT_STEP",
    "QUANTITY_LIMIT",
    "QUANTITY_PATTERN",
    "QUOTA_LIST_PATTERN",
    "RATIO_PATTERN",
    "RELATIVE_PATH_WITHOUT_PARENT_STEP",
    "VOLUME_SOURCE_KEYS",
    "AccessMode",
    "Affinity",
    "AffinityStrategy",
    "ApiModel",
    "Dns1035Label",
    "Dns1035ObjectMeta",
    "Dns1123Label",
    "Dns1123Subdomain",
    "ImagePullPolicy",
    "Int32",
    "Int64",
    "IntFormat",
    "LocalObjectReference",
    "MaxItems",
    "MaxLength",
    "Maximum",
    "MinItems",
    "MinLength",
    "Minimum",
    "NetworkMode",
    "NodeFieldSelectorRequirement",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "NonNegativeInt32",
    "NonNegativeQuantity",
    "ObjectMeta",
    "ObjectRef",
    "OperationKind",
    "OperationRef",
    "Pattern",
    "PodMetadata",
    "Port",
    "PositiveInt32",
    "PositiveQuantity",
    "Prefer",
    "Quantity",
    "QuantitySign",
    "QuotaList",
    "Ratio",
    "Require",
    "ResourceRequirements",
    "Rule",
    "StringMap",
    "Toleration",
    "User",
    "Volume",
    "VolumeMount",
    "VolumeSource",
    "parse_quantity",
    "rule_error",
]
