"""The DataLoad kind: warm the cache of a Dataset, once or on a schedule."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from .common import (
    NO_PARENT_STEP,
    Affinity,
    ApiModel,
    LabelMap,
    NonNegativeInt32,
    ObjectMeta,
    OperationRef,
    PodMetadata,
    PositiveInt32,
    ResourceRequirements,
    StringMap,
    Toleration,
    rule_error,
)
from .fields import (
    POD_METADATA,
    RUN_AFTER_RENAMES,
    CheckedFields,
    DeprecatedFields,
    Shape,
    metadata_fields,
)

DataLoadPolicy = Literal["Once", "Cron", "OnEvent"]


class TargetDataset(ApiModel):
    """The Dataset to load; upstream requires its namespace to be the DataLoad's own."""

    name: StrictStr
    namespace: StrictStr | None = None


def _no_parent_steps(path: str) -> str:
    """A ``..`` leaves the mount the path names (or the Dataset); say what to write instead."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if not parts:
                raise rule_error("path_escapes", "must not leave the Dataset through '..'")
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    if ".." in path.split("/"):
        normal = "/" + "/".join(parts)
        raise rule_error(
            "path_parent_step",
            f"must not contain '..', which leaves the mount it names; write {normal!r}",
        )
    return path


class TargetPath(ApiModel):
    """A path inside the Dataset to load, and how many cache replicas to keep of it."""

    path: Annotated[
        StrictStr,
        AfterValidator(_no_parent_steps),
        WithJsonSchema({"type": "string", "pattern": NO_PARENT_STEP}),
    ]
    replicas: PositiveInt32 | None = None


class DataLoadSpec(ApiModel):
    """What to load and how the loader pod is scheduled."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.policy) || self.policy != 'Cron' "
                    "|| (has(self.schedule) && self.schedule != '')",
                    "message": "schedule is required when policy is Cron",
                }
            ]
        }
    )

    dataset: TargetDataset
    load_metadata: StrictBool | None = None
    target: list[TargetPath] | None = None
    options: StringMap | None = None
    pod_metadata: PodMetadata | None = None
    affinity: Affinity | None = None
    tolerations: list[Toleration] | None = None
    node_selector: LabelMap | None = None
    scheduler_name: StrictStr | None = None
    policy: DataLoadPolicy = "Once"
    schedule: StrictStr | None = None
    run_after: OperationRef | None = None
    ttl_seconds_after_finished: NonNegativeInt32 | None = None
    resources: ResourceRequirements | None = None

    @model_validator(mode="after")
    def _cron_has_schedule(self) -> DataLoadSpec:
        if self.policy == "Cron" and not self.schedule:
            raise rule_error("schedule_missing", "schedule is required when policy is Cron")
        return self


class DataLoad(ApiModel):
    """A request to warm the cache of a Dataset."""

    api_version: Literal["data.fluid.io/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["DataLoad"]
    metadata: ObjectMeta
    spec: DataLoadSpec


CHECKED_FIELDS: CheckedFields = [
    (("spec", "options"), Shape.SETTINGS),
    *metadata_fields(*POD_METADATA),
]
"""Where a DataLoad may hold a credential (`fluid_render/credentials.py`)."""

DEPRECATED_FIELDS: DeprecatedFields = RUN_AFTER_RENAMES
"""Fields of older DataLoad versions (`fluid_render/deprecated.py`)."""
