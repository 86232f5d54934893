"""The `.status` of the four kinds as upstream defines it (`api/v1alpha1/dataset_types.go`
`DatasetStatus`, `status.go` `RuntimeStatus` and `OperationStatus`, `common.go` `Condition`).

Only the CRDs use these models (their status schemas); the syncer writes status in this shape.
`RuntimeStatus.valueFile`, required upstream, is optional here: it names the ConfigMap of
upstream's Helm values, which fluid-render does not create.
"""

from __future__ import annotations

from typing import Any

from pydantic import StrictBool, StrictStr

from .common import ApiModel, Int32, StringMap
from .dataset import Mount, Runtime


class Condition(ApiModel):
    """A condition of a runtime or an operation (`RuntimeCondition`, `Condition`)."""

    type: StrictStr
    status: StrictStr
    reason: StrictStr | None = None
    message: StrictStr | None = None
    last_probe_time: StrictStr | None = None
    last_transition_time: StrictStr | None = None


class DatasetCondition(ApiModel):
    type: StrictStr
    status: StrictStr
    reason: StrictStr | None = None
    message: StrictStr | None = None
    last_update_time: StrictStr | None = None
    last_transition_time: StrictStr | None = None


class HCFSStatus(ApiModel):
    endpoint: StrictStr | None = None
    underlayer_file_system_version: StrictStr | None = None


class APIGatewayStatus(ApiModel):
    endpoint: StrictStr | None = None


class DatasetStatus(ApiModel):
    mounts: list[Mount] | None = None
    ufs_total: StrictStr | None = None
    phase: StrictStr | None = None
    runtimes: list[Runtime] | None = None
    conditions: list[DatasetCondition]
    cache_states: StringMap | None = None
    hcfs: HCFSStatus | None = None
    file_num: StrictStr | None = None
    data_load_ref: StrictStr | None = None
    data_backup_ref: StrictStr | None = None
    operation_ref: StringMap | None = None
    dataset_ref: list[StrictStr] | None = None


class RuntimeStatus(ApiModel):
    value_file: StrictStr | None = None
    master_phase: StrictStr
    master_reason: StrictStr | None = None
    worker_phase: StrictStr
    worker_reason: StrictStr | None = None
    desired_worker_number_scheduled: Int32
    current_worker_number_scheduled: Int32
    worker_number_ready: Int32
    worker_number_available: Int32 | None = None
    worker_number_unavailable: Int32 | None = None
    desired_master_number_scheduled: Int32
    current_master_number_scheduled: Int32
    master_number_ready: Int32
    fuse_phase: StrictStr
    fuse_reason: StrictStr | None = None
    current_fuse_number_scheduled: Int32
    desired_fuse_number_scheduled: Int32
    fuse_number_ready: Int32
    fuse_number_unavailable: Int32 | None = None
    fuse_number_available: Int32 | None = None
    setup_duration: StrictStr | None = None
    conditions: list[Condition] | None = None
    cache_states: StringMap | None = None
    selector: StrictStr | None = None
    api_gateway: APIGatewayStatus | None = None
    mount_time: StrictStr | None = None
    mounts: list[Mount] | None = None
    cache_affinity: dict[str, Any] | None = None


class WaitingStatus(ApiModel):
    operation_complete: StrictBool | None = None


class OperationStatus(ApiModel):
    phase: StrictStr
    duration: StrictStr
    conditions: list[Condition]
    infos: StringMap | None = None
    last_schedule_time: StrictStr | None = None
    last_successful_time: StrictStr | None = None
    waiting_for: WaitingStatus | None = None
    node_affinity: dict[str, Any] | None = None


STATUS: dict[str, type[ApiModel]] = {
    "Dataset": DatasetStatus,
    "AlluxioRuntime": RuntimeStatus,
    "DataLoad": OperationStatus,
    "DataBackup": OperationStatus,
}
