"""Base model, shared value types and the Kubernetes core types the Fluid API embeds.

Everything is as strict as the Kubernetes API server: no string-to-number coercion, no
unknown fields, and the wire names are upstream's camelCase aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    Strict,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

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


def rule_error(error_type: str, message: str) -> PydanticCustomError:
    """A validation error whose text is ``message`` as given (no "Value error, " prefix)."""
    return PydanticCustomError(error_type, "{detail}", {"detail": message})


# --------------------------------------------------------------------------------------------
# Rule markers: one object both validates (with a user-facing message) and documents the rule
# in the generated JSON Schema, so the two can never drift apart.


@dataclass(frozen=True)
class _Rule:
    def check(self, value: Any) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def error_type(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def keywords(self) -> dict[str, Any]:
        return {}

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Any:
            message = self.check(value)
            if message is not None:
                raise rule_error(self.error_type(), message)
            return value

        return core_schema.no_info_after_validator_function(validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(self.keywords())
        return json_schema


@dataclass(frozen=True)
class Minimum(_Rule):
    """Lower bound of a number (the CRD ``minimum``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        return None if value >= self.limit else f"must be at least {self.limit}"

    def error_type(self) -> str:
        return "too_small"

    def keywords(self) -> dict[str, Any]:
        return {"minimum": self.limit}


@dataclass(frozen=True)
class Maximum(_Rule):
    """Upper bound of a number (the CRD ``maximum``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        return None if value <= self.limit else f"must be at most {self.limit}"

    def error_type(self) -> str:
        return "too_large"

    def keywords(self) -> dict[str, Any]:
        return {"maximum": self.limit}


@dataclass(frozen=True)
class IntFormat(_Rule):
    """Range of a Go integer type; declared as OpenAPI ``format`` like upstream's CRDs."""

    bits: int

    def check(self, value: Any) -> str | None:
        bound = 2 ** (self.bits - 1)
        if -bound <= value < bound:
            return None
        return f"must fit in a signed {self.bits}-bit integer"

    def error_type(self) -> str:
        return "int_range"

    def keywords(self) -> dict[str, Any]:
        return {"format": f"int{self.bits}"}


@dataclass(frozen=True)
class MinLength(_Rule):
    """Shortest allowed string (the CRD ``minLength``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) >= self.limit:
            return None
        unit = "character" if self.limit == 1 else "characters"
        return f"must be at least {self.limit} {unit} long"

    def error_type(self) -> str:
        return "too_short"

    def keywords(self) -> dict[str, Any]:
        return {"minLength": self.limit}


@dataclass(frozen=True)
class MaxLength(_Rule):
    """Longest allowed string (the CRD ``maxLength``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) <= self.limit:
            return None
        return f"must be at most {self.limit} characters long"

    def error_type(self) -> str:
        return "too_long"

    def keywords(self) -> dict[str, Any]:
        return {"maxLength": self.limit}


@dataclass(frozen=True)
class MinItems(_Rule):
    """Shortest allowed list (the CRD ``minItems``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) >= self.limit:
            return None
        unit = "item" if self.limit == 1 else "items"
        return f"must have at least {self.limit} {unit}"

    def error_type(self) -> str:
        return "too_short"

    def keywords(self) -> dict[str, Any]:
        return {"minItems": self.limit}


@dataclass(frozen=True)
class Pattern(_Rule):
    """A regular expression (the CRD ``pattern``) with a message a user can act on.

    ``regex`` must be anchored and use only syntax shared by Python, ECMA 262 and Go RE2.
    """

    regex: str
    message: str

    def check(self, value: Any) -> str | None:
        return None if re.fullmatch(self.regex, value) else self.message

    def error_type(self) -> str:
        return "invalid_format"

    def keywords(self) -> dict[str, Any]:
        return {"pattern": self.regex}


# --------------------------------------------------------------------------------------------
# Scalar types.

Int32 = Annotated[int, Strict(), IntFormat(32)]
Int64 = Annotated[int, Strict(), IntFormat(64)]
NonNegativeInt32 = Annotated[Int32, Minimum(0)]
PositiveInt32 = Annotated[Int32, Minimum(1)]
Port = Annotated[int, Strict(), Minimum(1), Maximum(65535)]

StringMap = dict[StrictStr, StrictStr]
"""A map of strings: values must be quoted in YAML (``"true"``, ``"1"``), as for the API server."""

LABEL_KEY = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
LabelMap = dict[
    Annotated[StrictStr, Pattern(LABEL_KEY, "must be a valid label key ([prefix/]name)")],
    Annotated[
        StrictStr,
        Pattern(LABEL_VALUE, "must be a valid label value (at most 63 letters, digits, '-_.')"),
    ],
]
"""Labels as the API server accepts them, so a bad one fails the build, not the sync."""

BACKUP_LOCATION_PATTERN = r"^(local|pvc)://.*$"
"""Backup and restore locations upstream can parse (section 7.3 of the reference)."""

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
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

_QUANTITY_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_QUANTITY_BODY = (
    _QUANTITY_NUMBER + r"(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)))?"
)
QUANTITY_PATTERN = "^" + _QUANTITY_BODY + "$"
"""Kubernetes quantity grammar: signed decimal number, then a binary, decimal or exponent suffix."""
QUOTA_LIST_PATTERN = "^" + _QUANTITY_BODY + "(," + _QUANTITY_BODY + ")+$"
"""Comma-separated quantities; like upstream, a single entry is not a list (use ``quota``)."""


def _quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError(
            "quantity_type",
            'must be a Kubernetes quantity: a string such as "2Gi" or an integer',
        )
    text = str(value)
    if not re.fullmatch(QUANTITY_PATTERN, text):
        raise PydanticCustomError(
            "quantity_format",
            '"{value}" is not a Kubernetes quantity (examples: "500Mi", "2Gi", "1.5", "100m")',
            {"value": text},
        )
    if _quantity_value(text).copy_abs() > _MAX_QUANTITY:
        raise PydanticCustomError("quantity_range", QuantityRange.MESSAGE)
    return text


_MAX_QUANTITY = 2**63 - 1
"""Kubernetes caps every quantity at this magnitude (k8s.io/apimachinery resource.Quantity)."""
_QUANTITY_SCALE: dict[str, int | Decimal] = {
    **{suffix: 1024 ** (power + 1) for power, suffix in enumerate(["Ki", "Mi", "Gi", "Ti", "Pi"])},
    "Ei": 1024**6,
    **{suffix: Decimal(10) ** (3 * power) for power, suffix in enumerate("kMGTPE", start=1)},
    **{suffix: Decimal(10) ** (-3 * power) for power, suffix in enumerate("mun", start=1)},
    "": 1,
}


def _quantity_value(text: str) -> Decimal:
    """A well-formed quantity's value, compared without rounding: `1e999999999` stays exact."""
    match = re.fullmatch(r"([+-]?[0-9.]*)(.*)", text, re.DOTALL)
    number, suffix = match.groups() if match else ("0", "")
    scale = _QUANTITY_SCALE.get(suffix)
    return Decimal(number + suffix) if scale is None else Decimal(number) * scale


@dataclass(frozen=True)
class QuantityRange(_Rule):
    """Every quantity of a comma-separated list within what Kubernetes quantities hold."""

    MESSAGE = "must be at most 2^63-1 in its unit, as Kubernetes quantities are"

    def check(self, value: Any) -> str | None:
        values = [_quantity_value(part) for part in str(value).split(",")]
        return self.MESSAGE if any(v.copy_abs() > _MAX_QUANTITY for v in values) else None

    def error_type(self) -> str:
        return "quantity_range"


Quantity = Annotated[
    str,
    PlainValidator(_quantity),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string", "pattern": QUANTITY_PATTERN}],
            "x-kubernetes-int-or-string": True,
        }
    ),
]
"""A Kubernetes quantity; an integer is accepted (as by the API server) and stored as its text."""

QuotaList = Annotated[
    StrictStr,
    Pattern(
        QUOTA_LIST_PATTERN,
        'must be at least two comma-separated quantities, e.g. "200Gi,100Gi"',
    ),
    QuantityRange(),
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

    key: StrictStr | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: StrictStr | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: Int64 | None = None

    @model_validator(mode="after")
    def _exists_has_no_value(self) -> Toleration:
        if self.operator == "Exists" and self.value:
            raise rule_error("toleration", "value must be empty when operator is Exists")
        return self


class NodeSelectorRequirement(ApiModel):
    """core/v1 NodeSelectorRequirement."""

    key: StrictStr
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[StrictStr] | None = None


class NodeSelectorTerm(ApiModel):
    """core/v1 NodeSelectorTerm (its requirements are ANDed)."""

    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(ApiModel):
    """core/v1 NodeSelector (its terms are ORed)."""

    node_selector_terms: list[NodeSelectorTerm]


class ResourceRequirements(ApiModel):
    """core/v1 ResourceRequirements (limits and requests only)."""

    limits: dict[StrictStr, Quantity] | None = None
    requests: dict[StrictStr, Quantity] | None = None


class VolumeMount(ApiModel):
    """core/v1 VolumeMount."""

    name: StrictStr
    mount_path: StrictStr
    sub_path: StrictStr | None = None
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

    uid: Int64
    gid: Int64
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
    weight: Int32


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
    "QUANTITY_PATTERN",
    "QUOTA_LIST_PATTERN",
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
    "LocalObjectReference",
    "MaxLength",
    "Maximum",
    "MinItems",
    "MinLength",
    "Minimum",
    "NetworkMode",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "NonNegativeInt32",
    "ObjectMeta",
    "ObjectRef",
    "OperationKind",
    "OperationRef",
    "Pattern",
    "PodMetadata",
    "Port",
    "PositiveInt32",
    "Prefer",
    "Quantity",
    "QuotaList",
    "Require",
    "ResourceRequirements",
    "StringMap",
    "Toleration",
    "User",
    "Volume",
    "VolumeMount",
    "VolumeSource",
    "rule_error",
]
