"""The AlluxioRuntime kind: how the cache for the Dataset of the same name is run."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictStr, model_validator

from .common import (
    PATHS_WITHOUT_PARENT_STEP,
    ApiModel,
    Dns1035ObjectMeta,
    ImagePullPolicy,
    LabelMap,
    LocalObjectReference,
    MinLength,
    NetworkMode,
    NonNegativeInt32,
    Pattern,
    PodMetadata,
    Port,
    PositiveInt32,
    PositiveQuantity,
    QuotaList,
    Ratio,
    ResourceRequirements,
    StringMap,
    User,
    Volume,
    VolumeMount,
    VolumeSource,
    rule_error,
)
from .fields import (
    POD_METADATA,
    RUN_AS_RENAMES,
    CheckedFields,
    DeprecatedFields,
    Shape,
    metadata_fields,
)

ALLUXIO_HIGH, ALLUXIO_LOW = "0.95", "0.7"
"""Alluxio's defaults of ``alluxio.worker.tieredstore.level<n>.watermark.{high,low}.ratio``,
which apply when a level sets only one of ``high`` and ``low``."""

MediumType = Literal["MEM", "SSD", "HDD"]
VolumeType = Literal["hostPath", "emptyDir"]
FuseCleanPolicy = Literal["OnDemand", "OnRuntimeDeleted", "OnFuseChanged", ""]
"""``""`` means OnRuntimeDeleted upstream."""


class VersionSpec(ApiModel):
    """Image of the Alluxio master, worker and job containers (and of DataLoad/DataBackup pods)."""

    image: StrictStr | None = None
    image_tag: StrictStr | None = None
    image_pull_policy: ImagePullPolicy | None = None


class AlluxioCompTemplateSpec(ApiModel):
    """Settings of one Alluxio component; upstream reads only some fields per component."""

    replicas: PositiveInt32 | None = None
    jvm_options: list[StrictStr] | None = None
    properties: StringMap | None = None
    ports: dict[StrictStr, Port] | None = None
    resources: ResourceRequirements | None = None
    env: StringMap | None = None
    enabled: StrictBool | None = None
    node_selector: LabelMap | None = None
    network_mode: NetworkMode | None = None
    volume_mounts: list[VolumeMount] | None = None
    pod_metadata: PodMetadata | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None


class AlluxioFuseSpec(ApiModel):
    """Settings of the FUSE DaemonSet that exposes the cache to application pods."""

    image: StrictStr | None = None
    image_tag: StrictStr | None = None
    image_pull_policy: ImagePullPolicy | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    jvm_options: list[StrictStr] | None = None
    properties: StringMap | None = None
    env: StringMap | None = None
    resources: ResourceRequirements | None = None
    args: list[StrictStr] | None = None
    node_selector: LabelMap | None = None
    clean_policy: FuseCleanPolicy | None = None
    network_mode: NetworkMode | None = None
    volume_mounts: list[VolumeMount] | None = None
    pod_metadata: PodMetadata | None = None


class InitUsersSpec(ApiModel):
    """The init container that creates runAs users; upstream uses only the image fields."""

    image: StrictStr | None = None
    image_tag: StrictStr | None = None
    image_pull_policy: ImagePullPolicy | None = None
    env: StringMap | None = None
    resources: ResourceRequirements | None = None


class Level(ApiModel):
    """One cache tier; path may list several directories separated by commas."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.quota) || has(self.quotaList)",
                    "message": "either quota or quotaList must be set",
                }
            ]
        }
    )

    medium_type: MediumType = Field(alias="mediumtype")
    volume_type: VolumeType = "hostPath"
    volume_source: VolumeSource | None = None
    path: Annotated[
        StrictStr,
        MinLength(1),
        Pattern(
            PATHS_WITHOUT_PARENT_STEP,
            "must not contain '..' segments: each path becomes a host path, "
            "which Kubernetes rejects with them",
        ),
    ]
    quota: PositiveQuantity | None = None
    quota_list: QuotaList | None = None
    high: Ratio | None = None
    low: Ratio | None = None

    @model_validator(mode="after")
    def _quota_given(self) -> Level:
        if self.quota is None and self.quota_list is None:
            raise rule_error("quota_missing", "either quota or quotaList must be set")
        if self.quota_list is not None:
            quotas = len(self.quota_list.split(","))
            paths = len(self.paths)
            if quotas != paths:
                raise rule_error(
                    "quota_list_length",
                    f"quotaList has {quotas} entries but path has {paths}; "
                    "they must have the same length",
                )
        return self

    @model_validator(mode="after")
    def _watermarks_ordered(self) -> Level:
        high, low = Decimal(self.high or ALLUXIO_HIGH), Decimal(self.low or ALLUXIO_LOW)
        if low > high:
            raise rule_error(
                "watermark_order",
                f"low watermark {low} is above high watermark {high} "
                f"(Alluxio's defaults are high {ALLUXIO_HIGH}, low {ALLUXIO_LOW})",
            )
        return self

    @property
    def paths(self) -> list[str]:
        """The tier directories as written (``path`` split at commas)."""
        return self.path.split(",")


class TieredStore(ApiModel):
    """Cache tiers; with none the chart's default single MEM tier applies."""

    levels: list[Level] | None = None


class Data(ApiModel):
    """Data replication settings."""

    replicas: NonNegativeInt32 | None = None
    pin: StrictBool | None = None


class CleanCachePolicy(ApiModel):
    """How hard to try cleaning worker caches at shutdown."""

    grace_period_seconds: NonNegativeInt32 = 60
    max_retry_attempts: NonNegativeInt32 = 3


class MetadataSyncPolicy(ApiModel):
    """Whether the controller syncs UFS metadata (unset means true)."""

    auto_sync: StrictBool | None = None


class RuntimeManagement(ApiModel):
    """Lifecycle settings of the runtime."""

    clean_cache_policy: CleanCachePolicy | None = None
    metadata_sync_policy: MetadataSyncPolicy | None = None


class AlluxioRuntimeSpec(ApiModel):
    """How to run Alluxio for the Dataset of the same name and namespace."""

    alluxio_version: VersionSpec | None = None
    master: AlluxioCompTemplateSpec | None = None
    job_master: AlluxioCompTemplateSpec | None = None
    worker: AlluxioCompTemplateSpec | None = None
    job_worker: AlluxioCompTemplateSpec | None = None
    api_gateway: AlluxioCompTemplateSpec | None = None
    init_users: InitUsersSpec | None = None
    fuse: AlluxioFuseSpec | None = None
    properties: StringMap | None = None
    jvm_options: list[StrictStr] | None = None
    tiered_store: TieredStore | None = Field(default=None, alias="tieredstore")
    data: Data | None = None
    replicas: NonNegativeInt32 | None = None
    run_as: User | None = None
    disable_prometheus: StrictBool | None = None
    hadoop_config: StrictStr | None = None
    volumes: list[Volume] | None = None
    pod_metadata: PodMetadata | None = None
    management: RuntimeManagement | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None


class AlluxioRuntime(ApiModel):
    """How Fluid runs Alluxio for the Dataset of the same name and namespace."""

    api_version: Literal["data.fluid.io/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["AlluxioRuntime"]
    metadata: Dns1035ObjectMeta
    spec: AlluxioRuntimeSpec


COMPONENTS = ("master", "jobMaster", "worker", "jobWorker", "apiGateway", "fuse")
"""The components of an AlluxioRuntime's spec that carry properties, env and JVM options."""

CHECKED_FIELDS: CheckedFields = [
    (("spec", "properties"), Shape.SETTINGS),
    (("spec", "jvmOptions"), Shape.ARGUMENTS),
    *[(("spec", c, "properties"), Shape.SETTINGS) for c in COMPONENTS],
    *[(("spec", c, "env"), Shape.SETTINGS) for c in (*COMPONENTS, "initUsers")],
    *[(("spec", c, "jvmOptions"), Shape.ARGUMENTS) for c in COMPONENTS],
    (("spec", "fuse", "args"), Shape.ARGUMENTS),
    *metadata_fields(*POD_METADATA, *[("spec", c, "podMetadata") for c in COMPONENTS]),
]
"""Where an AlluxioRuntime may hold a credential (`fluid_render/credentials.py`)."""

DEPRECATED_FIELDS: DeprecatedFields = {
    ("spec", "fuse", "global"): (
        "removed in Fluid v1.0.1, where global mode became the only one: FUSE runs on the "
        "nodes that use the dataset; delete the field, and limit those nodes with "
        "spec.fuse.nodeSelector if needed"
    ),
    ("spec", "dataReplicas"): (
        "replaced in Fluid v0.1.0 by spec.data.replicas: write `data: {replicas: N}`"
    ),
    ("spec", "monitoring"): (
        "replaced in Fluid v0.5.0 by spec.disablePrometheus; metrics are on by default: "
        "delete the field, or write `disablePrometheus: true` to turn them off"
    ),
    ("spec", "metadataList"): (
        "moved in Fluid v0.9.0 to the annotation data.fluid.io/metadataList: write the same "
        "list there as JSON"
    ),
    **RUN_AS_RENAMES,
}
"""Fields of older AlluxioRuntime versions (`fluid_render/deprecated.py`)."""
