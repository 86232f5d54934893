"""Unit tests of the input API models (fluid_render.api)."""

from __future__ import annotations

import copy
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from fluid_render.api import (
    API_VERSION,
    KINDS,
    AlluxioRuntime,
    ApiModel,
    CleanCachePolicy,
    DataBackup,
    DataLoad,
    Dataset,
    Level,
    Volume,
)
from fluid_render.api.common import QUANTITY_PATTERN
from fluid_render.errors import BuildError, field_path
from fluid_render.load import parse_documents
from fluid_render.validate import validate

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO / "tests" / "data" / "samples"


def sample_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every document of every reference sample, as (id, document)."""
    docs: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(SAMPLE_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            for index, doc in enumerate(yaml.safe_load_all(handle)):
                if doc is not None:
                    docs.append((f"{path.stem}[{index}]", doc))
    return docs


SAMPLES = sample_documents()


# --------------------------------------------------------------------------------------------
# Document builders


def dataset(spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Dataset",
        "metadata": {"name": "demo", "namespace": "team-a", **metadata},
        "spec": {"mounts": [{"mountPoint": "s3://bucket/data"}]} if spec is None else spec,
    }


def runtime(spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    level = {"mediumtype": "MEM", "path": "/dev/shm", "quota": "1Gi"}
    return {
        "apiVersion": API_VERSION,
        "kind": "AlluxioRuntime",
        "metadata": {"name": "demo", "namespace": "team-a", **metadata},
        "spec": {"replicas": 1, "tieredstore": {"levels": [level]}} if spec is None else spec,
    }


def dataload(spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "DataLoad",
        "metadata": {"name": "demo-load", "namespace": "team-a", **metadata},
        "spec": {"dataset": {"name": "demo", "namespace": "team-a"}} if spec is None else spec,
    }


def databackup(spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "DataBackup",
        "metadata": {"name": "demo-backup", "namespace": "team-a", **metadata},
        "spec": {"dataset": "demo", "backupPath": "pvc://store/backups/"} if spec is None else spec,
    }


def level(**fields: Any) -> dict[str, Any]:
    return {"mediumtype": "SSD", "path": "/mnt/ssd", "quota": "10Gi", **fields}


def runtime_with_level(**fields: Any) -> dict[str, Any]:
    return runtime({"tieredstore": {"levels": [level(**fields)]}})


def with_spec(builder: Any, **spec: Any) -> dict[str, Any]:
    doc: dict[str, Any] = builder()
    doc["spec"].update(spec)
    return doc


def parse(doc: dict[str, Any]) -> ApiModel:
    return KINDS[doc["kind"]].model_validate(doc)


def errors_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted location, message) of every error, or [] when the document is valid."""
    try:
        parse(doc)
    except ValidationError as error:
        return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()]
    return []


def assert_rejected(doc: dict[str, Any], location: str, message: str) -> None:
    found = errors_of(doc)
    assert found, "document was accepted"
    assert any(loc == location and message in msg for loc, msg in found), found


# --------------------------------------------------------------------------------------------
# A document of each kind that sets every field of every model, so every alias is checked
# against upstream's wire name.

FULL_DATASET: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "Dataset",
    "metadata": {
        "name": "full",
        "namespace": "team-a",
        "labels": {"team": "a"},
        "annotations": {"pvc.fluid.io/resources.requests.storage": "2Ti"},
    },
    "spec": {
        "mounts": [
            {
                "mountPoint": "s3://bucket/data",
                "name": "data",
                "path": "/data",
                "options": {"alluxio.underfs.s3.endpoint.region": "eu-central-1"},
                "readOnly": True,
                "shared": False,
                "encryptOptions": [
                    {
                        "name": "aws.secretKey",
                        "valueFrom": {"secretKeyRef": {"name": "s3", "key": "secret"}},
                    }
                ],
            }
        ],
        "owner": {"uid": 1000, "gid": 1000, "user": "fluid", "group": "fluid"},
        "nodeAffinity": {
            "required": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}],
                        "matchFields": [
                            {"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}
                        ],
                    }
                ]
            }
        },
        "tolerations": [
            {
                "key": "dedicated",
                "operator": "Equal",
                "value": "fluid",
                "effect": "NoExecute",
                "tolerationSeconds": 30,
            }
        ],
        "accessModes": ["ReadWriteMany"],
        "runtimes": [
            {
                "name": "full",
                "namespace": "team-a",
                "category": "Accelerate",
                "type": "alluxio",
                "masterReplicas": 1,
            }
        ],
        "placement": "Shared",
        "dataRestoreLocation": {"path": "local:///backups/full/", "nodeName": "node-1"},
        "sharedOptions": {"alluxio.underfs.s3.inherit.acl": "false"},
        "sharedEncryptOptions": [
            {"name": "aws.accessKeyId", "valueFrom": {"secretKeyRef": {"name": "s3"}}}
        ],
    },
}

_COMPONENT: dict[str, Any] = {
    "replicas": 1,
    "jvmOptions": ["-Xmx4G"],
    "properties": {"alluxio.master.journal.type": "UFS"},
    "ports": {"rpc": 19998, "web": 19999},
    "resources": {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "500m"}},
    "env": {"TZ": "UTC"},
    "enabled": True,
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "networkMode": "ContainerNetwork",
    "volumeMounts": [
        {
            "name": "extra",
            "mountPath": "/extra",
            "subPath": "a",
            "subPathExpr": "$(POD_NAME)",
            "readOnly": True,
            "mountPropagation": "HostToContainer",
            "recursiveReadOnly": "IfPossible",
        }
    ],
    "podMetadata": {"labels": {"component": "x"}, "annotations": {"note": "y"}},
    "imagePullSecrets": [{"name": "registry"}],
}

FULL_RUNTIME: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "AlluxioRuntime",
    "metadata": {
        "name": "full",
        "namespace": "team-a",
        "labels": {"team": "a"},
        "annotations": {"runtime.fluid.io/fuse.hostpid": "true"},
    },
    "spec": {
        "alluxioVersion": {
            "image": "alluxio/alluxio-dev",
            "imageTag": "2.9.0",
            "imagePullPolicy": "IfNotPresent",
        },
        "master": copy.deepcopy(_COMPONENT),
        "jobMaster": copy.deepcopy(_COMPONENT),
        "worker": copy.deepcopy(_COMPONENT),
        "jobWorker": copy.deepcopy(_COMPONENT),
        "apiGateway": copy.deepcopy(_COMPONENT),
        "initUsers": {
            "image": "fluidcloudnative/init-users",
            "imageTag": "v0.9.0",
            "imagePullPolicy": "Always",
            "env": {"A": "b"},
            "resources": {"requests": {"memory": "64Mi"}},
        },
        "fuse": {
            "image": "alluxio/alluxio-dev",
            "imageTag": "2.9.0",
            "imagePullPolicy": "Never",
            "imagePullSecrets": [{"name": "registry"}],
            "jvmOptions": ["-Xmx2G"],
            "properties": {"alluxio.fuse.jnifuse.enabled": "true"},
            "env": {"MOUNT_POINT": "/mnt"},
            "resources": {"limits": {"memory": "8Gi"}},
            "args": ["fuse", "--fuse-opts=kernel_cache"],
            "nodeSelector": {"gpu": "true"},
            "cleanPolicy": "OnDemand",
            "networkMode": "HostNetwork",
            "volumeMounts": [{"name": "extra", "mountPath": "/extra"}],
            "podMetadata": {"labels": {"fuse": "yes"}},
        },
        "properties": {"alluxio.user.file.writetype.default": "MUST_CACHE"},
        "jvmOptions": ["-XX:+UseG1GC"],
        "tieredstore": {
            "levels": [
                {
                    "mediumtype": "MEM",
                    "volumeType": "emptyDir",
                    "volumeSource": {"emptyDir": {"medium": "Memory"}},
                    "path": "/dev/shm",
                    "quota": "2Gi",
                    "high": "0.95",
                    "low": "0.7",
                },
                {
                    "mediumtype": "SSD",
                    "volumeType": "hostPath",
                    "path": "/mnt/a,/mnt/b",
                    "quotaList": "100Gi,50Gi",
                },
            ]
        },
        "data": {"replicas": 2, "pin": True},
        "replicas": 3,
        "runAs": {"uid": 1000, "gid": 1000, "user": "fluid", "group": "fluid"},
        "disablePrometheus": True,
        "hadoopConfig": "hadoop-conf",
        "volumes": [{"name": "extra", "hostPath": {"path": "/extra", "type": "Directory"}}],
        "podMetadata": {"labels": {"all": "pods"}, "annotations": {"a": "b"}},
        "management": {
            "cleanCachePolicy": {"gracePeriodSeconds": 30, "maxRetryAttempts": 5},
            "metadataSyncPolicy": {"autoSync": False},
        },
        "imagePullSecrets": [{"name": "registry"}],
    },
}

_RUN_AFTER: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DataLoad",
    "name": "first",
    "namespace": "team-a",
    "affinityStrategy": {
        "policy": "Require",
        "dependOn": {
            "apiVersion": API_VERSION,
            "kind": "DataBackup",
            "name": "b",
            "namespace": "x",
        },
        "requires": [{"name": "kubernetes.io/hostname"}],
        "prefers": [{"name": "topology.kubernetes.io/zone", "weight": 10}],
    },
}

FULL_DATALOAD: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DataLoad",
    "metadata": {
        "name": "full.load",
        "namespace": "team-a",
        "labels": {"a": "b"},
        "annotations": {"c": "d"},
    },
    "spec": {
        "dataset": {"name": "full", "namespace": "team-a"},
        "loadMetadata": True,
        "target": [{"path": "/data", "replicas": 2}, {"path": "/other"}],
        "options": {"x": "y"},
        "podMetadata": {"labels": {"loader": "yes"}, "annotations": {"a": "b"}},
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "a", "operator": "Exists"}]}
                    ]
                }
            }
        },
        "tolerations": [
            {"operator": "Exists"},
            {
                "key": "k",
                "operator": "Equal",
                "value": "v",
                "effect": "NoExecute",
                "tolerationSeconds": 5,
            },
        ],
        "nodeSelector": {"pool": "loaders"},
        "schedulerName": "default-scheduler",
        "policy": "Cron",
        "schedule": "0 3 * * *",
        "runAfter": copy.deepcopy(_RUN_AFTER),
        "ttlSecondsAfterFinished": 600,
        "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}},
    },
}

FULL_DATABACKUP: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DataBackup",
    "metadata": {
        "name": "full-backup",
        "namespace": "team-a",
        "labels": {"a": "b"},
        "annotations": {"c": "d"},
    },
    "spec": {
        "dataset": "full",
        "backupPath": "local:///backups/full/",
        "runAs": {"uid": 0, "gid": 0, "user": "root", "group": "root"},
        "runAfter": copy.deepcopy(_RUN_AFTER),
        "ttlSecondsAfterFinished": 0,
    },
}

FULL_DOCUMENTS: dict[str, dict[str, Any]] = {
    "Dataset": FULL_DATASET,
    "AlluxioRuntime": FULL_RUNTIME,
    "DataLoad": FULL_DATALOAD,
    "DataBackup": FULL_DATABACKUP,
}


def field_coverage(model: BaseModel) -> tuple[set[str], set[str]]:
    """(every Class.field reachable from the model, the ones the document sets somewhere)."""
    cls = type(model).__name__
    every = {f"{cls}.{name}" for name in type(model).model_fields}
    covered = {f"{cls}.{name}" for name in model.model_fields_set}
    for name in model.model_fields_set:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                sub_every, sub_covered = field_coverage(item)
                every |= sub_every
                covered |= sub_covered
    return every, covered


# --------------------------------------------------------------------------------------------
# Samples and round trips


def test_samples_are_found() -> None:
    assert len(SAMPLES) == 15, f"reference samples missing or new under {SAMPLE_DIR}"


@pytest.mark.parametrize(("name", "doc"), SAMPLES, ids=[name for name, _ in SAMPLES])
def test_every_sample_validates_and_round_trips(name: str, doc: dict[str, Any]) -> None:
    model = parse(doc)
    assert model.model_dump(by_alias=True, exclude_unset=True) == doc


@pytest.mark.parametrize("kind", sorted(FULL_DOCUMENTS))
def test_full_document_round_trips_with_upstream_names(kind: str) -> None:
    doc = FULL_DOCUMENTS[kind]
    model = KINDS[kind].model_validate(doc)
    assert model.model_dump(by_alias=True, exclude_unset=True) == doc


@pytest.mark.parametrize("kind", sorted(FULL_DOCUMENTS))
def test_full_documents_set_every_field(kind: str) -> None:
    """Keeps the round-trip test above meaningful: every alias is exercised."""
    every, covered = field_coverage(KINDS[kind].model_validate(FULL_DOCUMENTS[kind]))
    assert sorted(every - covered) == []


def test_kinds_and_api_version() -> None:
    assert API_VERSION == "data.fluid.io/v1alpha1"
    assert {
        "Dataset": Dataset,
        "AlluxioRuntime": AlluxioRuntime,
        "DataLoad": DataLoad,
        "DataBackup": DataBackup,
    } == KINDS


def test_attribute_names_are_snake_case() -> None:
    spec = AlluxioRuntime.model_validate(FULL_RUNTIME).spec
    assert spec.tiered_store is not None and spec.tiered_store.levels is not None
    first = spec.tiered_store.levels[0]
    assert first.medium_type == "MEM"
    assert first.volume_source == {"emptyDir": {"medium": "Memory"}}
    assert spec.tiered_store.levels[1].quota_list == "100Gi,50Gi"
    assert spec.tiered_store.levels[1].paths == ["/mnt/a", "/mnt/b"]
    assert spec.alluxio_version is not None and spec.alluxio_version.image_tag == "2.9.0"
    assert spec.job_master is not None and spec.job_master.jvm_options == ["-Xmx4G"]
    assert spec.run_as is not None and spec.run_as.uid == 1000
    mount = Dataset.model_validate(FULL_DATASET).spec.mounts
    assert mount is not None and mount[0].mount_point == "s3://bucket/data"
    assert mount[0].read_only is True


def test_models_are_frozen() -> None:
    model = Dataset.model_validate(dataset())
    with pytest.raises(ValidationError):
        model.kind = "Other"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Defaults


def test_defaults() -> None:
    load = DataLoad.model_validate(dataload())
    assert load.spec.policy == "Once"
    assert load.spec.schedule is None and load.spec.target is None
    rt = AlluxioRuntime.model_validate(runtime())
    assert rt.spec.tiered_store is not None and rt.spec.tiered_store.levels is not None
    assert rt.spec.tiered_store.levels[0].volume_type == "hostPath"
    assert rt.spec.master is None and rt.spec.replicas == 1 and rt.spec.run_as is None
    policy = AlluxioRuntime.model_validate(
        runtime({"management": {"cleanCachePolicy": {}}})
    ).spec.management
    assert policy is not None and policy.clean_cache_policy == CleanCachePolicy.model_validate({})
    assert policy.clean_cache_policy is not None
    assert policy.clean_cache_policy.grace_period_seconds == 60
    assert policy.clean_cache_policy.max_retry_attempts == 3
    ds = Dataset.model_validate(dataset({}))
    assert ds.spec.mounts is None and ds.spec.placement is None and ds.spec.access_modes is None


def test_defaults_are_not_dumped_as_set() -> None:
    doc = dataload()
    assert DataLoad.model_validate(doc).model_dump(by_alias=True, exclude_unset=True) == doc


def test_empty_dataset_spec_is_valid_but_spec_is_required() -> None:
    assert errors_of(dataset({})) == []
    doc = dataset()
    del doc["spec"]
    assert_rejected(doc, "spec", "Field required")


def test_quantity_integers_are_stored_as_text() -> None:
    rt = AlluxioRuntime.model_validate(
        runtime(
            {
                "tieredstore": {"levels": [level(quota=2)]},
                "worker": {"resources": {"requests": {"cpu": 2, "memory": "4Gi"}}},
            }
        )
    )
    assert rt.spec.tiered_store is not None and rt.spec.tiered_store.levels is not None
    assert rt.spec.tiered_store.levels[0].quota == "2"
    assert rt.spec.worker is not None and rt.spec.worker.resources is not None
    assert rt.spec.worker.resources.requests == {"cpu": "2", "memory": "4Gi"}


def test_volume_accessors() -> None:
    volume = Volume.model_validate({"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}})
    assert volume.name == "cache"
    assert volume.source_type == "emptyDir"
    assert volume.source == {"sizeLimit": "1Gi"}
    assert volume.as_dict() == {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}


def test_level_model_direct() -> None:
    parsed = Level.model_validate({"mediumtype": "HDD", "path": "/a,/b", "quotaList": "1G,2G"})
    assert parsed.paths == ["/a", "/b"] and parsed.quota is None


# --------------------------------------------------------------------------------------------
# Validation rules: rejected input


REJECTED: list[tuple[str, dict[str, Any], str, str]] = [
    # Mount
    (
        "mountPoint-too-short",
        dataset({"mounts": [{"mountPoint": "a://"}]}),
        "spec.mounts.0.mountPoint",
        "must be at least 5 characters long",
    ),
    (
        "mountPoint-no-scheme",
        dataset({"mounts": [{"mountPoint": "/data/files"}]}),
        "spec.mounts.0.mountPoint",
        "must be a URI with a scheme",
    ),
    (
        "mountPoint-missing",
        dataset({"mounts": [{"name": "x"}]}),
        "spec.mounts.0.mountPoint",
        "Field required",
    ),
    ("mounts-empty", dataset({"mounts": []}), "spec.mounts", "must have at least 1 item"),
    # EncryptOption
    (
        "encrypt-name-missing",
        dataset({"sharedEncryptOptions": [{"valueFrom": {"secretKeyRef": {"name": "s"}}}]}),
        "spec.sharedEncryptOptions.0.name",
        "Field required",
    ),
    (
        "encrypt-secret-name-missing",
        dataset(
            {
                "mounts": [
                    {
                        "mountPoint": "s3://b/c",
                        "encryptOptions": [
                            {"name": "k", "valueFrom": {"secretKeyRef": {"key": "k"}}}
                        ],
                    }
                ]
            }
        ),
        "spec.mounts.0.encryptOptions.0.valueFrom.secretKeyRef.name",
        "Field required",
    ),
    (
        "encrypt-valueFrom-missing",
        dataset({"sharedEncryptOptions": [{"name": "k"}]}),
        "spec.sharedEncryptOptions.0.valueFrom",
        "Field required",
    ),
    # Level
    (
        "level-path-empty",
        runtime_with_level(path=""),
        "spec.tieredstore.levels.0.path",
        "must be at least 1 character long",
    ),
    (
        "level-no-quota",
        runtime({"tieredstore": {"levels": [{"mediumtype": "MEM", "path": "/dev/shm"}]}}),
        "spec.tieredstore.levels.0",
        "either quota or quotaList must be set",
    ),
    (
        "level-quotaList-count",
        runtime_with_level(path="/a,/b,/c", quotaList="1Gi,2Gi"),
        "spec.tieredstore.levels.0",
        "quotaList has 2 entries but path has 3",
    ),
    (
        "level-quotaList-single",
        runtime_with_level(path="/a", quotaList="1Gi"),
        "spec.tieredstore.levels.0.quotaList",
        "at least two comma-separated quantities",
    ),
    (
        "level-quotaList-bad-item",
        runtime_with_level(path="/a,/b", quotaList="1Gi,lots"),
        "spec.tieredstore.levels.0.quotaList",
        "at least two comma-separated quantities",
    ),
    (
        "level-mediumtype-missing",
        runtime({"tieredstore": {"levels": [{"path": "/a", "quota": "1Gi"}]}}),
        "spec.tieredstore.levels.0.mediumtype",
        "Field required",
    ),
    (
        "level-mediumtype-enum",
        runtime_with_level(mediumtype="RAM"),
        "spec.tieredstore.levels.0.mediumtype",
        "'MEM', 'SSD' or 'HDD'",
    ),
    (
        "level-volumeType-enum",
        runtime_with_level(volumeType="EmptyDir"),
        "spec.tieredstore.levels.0.volumeType",
        "'hostPath' or 'emptyDir'",
    ),
    (
        "level-volumeSource-empty",
        runtime_with_level(volumeSource={}),
        "spec.tieredstore.levels.0.volumeSource",
        "must set exactly one volume source",
    ),
    (
        "level-quota-bad",
        runtime_with_level(quota="10 GiB"),
        "spec.tieredstore.levels.0.quota",
        "is not a Kubernetes quantity",
    ),
    (
        "level-quota-bool",
        runtime_with_level(quota=True),
        "spec.tieredstore.levels.0.quota",
        "must be a Kubernetes quantity",
    ),
    (
        "level-quota-float",
        runtime_with_level(quota=1.5),
        "spec.tieredstore.levels.0.quota",
        "must be a Kubernetes quantity",
    ),
    # User (owner and runAs)
    *[
        (
            f"user-{field}-missing",
            dataset(
                {
                    "owner": {
                        k: v
                        for k, v in {"uid": 1, "gid": 1, "user": "u", "group": "g"}.items()
                        if k != field
                    }
                }
            ),
            f"spec.owner.{field}",
            "Field required",
        )
        for field in ("uid", "gid", "user", "group")
    ],
    (
        "runAs-uid-string",
        runtime({"runAs": {"uid": "1000", "gid": 1000, "user": "u", "group": "g"}}),
        "spec.runAs.uid",
        "Input should be a valid integer",
    ),
    # Names and namespaces
    *[
        (
            f"dataset-name-{bad}",
            dataset(name=bad),
            "metadata.name",
            "must be a DNS-1035 label",
        )
        for bad in ("20-hbase", "Demo", "demo_1", "demo-", "demo.x")
    ],
    ("dataset-name-too-long", dataset(name="a" * 64), "metadata.name", "at most 63 characters"),
    (
        "runtime-name-digit-first",
        runtime(name="1runtime"),
        "metadata.name",
        "must be a DNS-1035 label",
    ),
    *[
        (
            f"dataload-name-{bad}",
            dataload(name=bad),
            "metadata.name",
            "must be a DNS-1123 subdomain",
        )
        for bad in ("Load", "-load", "load_1", "load..x", "load.")
    ],
    (
        "databackup-name-too-long",
        databackup(name="a" * 254),
        "metadata.name",
        "at most 253 characters",
    ),
    (
        "databackup-name-bad",
        databackup(name="Backup"),
        "metadata.name",
        "must be a DNS-1123 subdomain",
    ),
    *[
        (
            f"namespace-{bad}",
            builder(namespace=bad),
            "metadata.namespace",
            "must be a DNS-1123 label",
        )
        for bad in ("Team", "team.a", "team_a", "-team")
        for builder in (dataset, dataload)
    ],
    (
        "namespace-too-long",
        runtime(namespace="a" * 64),
        "metadata.namespace",
        "at most 63 characters",
    ),
    ("name-missing", dataset(name=None), "metadata.name", "Input should be a valid string"),
    ("metadata-uid", dataset(uid="1234"), "metadata.uid", "Extra inputs are not permitted"),
    # Restore location
    (
        "restore-bad-scheme",
        dataset({"dataRestoreLocation": {"path": "s3://bucket/backup"}}),
        "spec.dataRestoreLocation.path",
        'must start with "local://" or "pvc://"',
    ),
    (
        "restore-local-without-node",
        dataset({"dataRestoreLocation": {"path": "local:///backups/"}}),
        "spec.dataRestoreLocation",
        "nodeName is required when path is a local:// location",
    ),
    # DataBackup
    *[
        (
            f"backupPath-{bad}",
            with_spec(databackup, backupPath=bad),
            "spec.backupPath",
            "only pvc:// and local:// backup paths are supported",
        )
        for bad in ("s3://bucket/backup", "/tmp/backup", "PVC://claim")
    ],
    (
        "backupPath-missing",
        databackup({"dataset": "demo"}),
        "spec.backupPath",
        "Field required",
    ),
    # DataLoad
    (
        "cron-without-schedule",
        with_spec(dataload, policy="Cron"),
        "spec",
        "schedule is required when policy is Cron",
    ),
    (
        "cron-empty-schedule",
        with_spec(dataload, policy="Cron", schedule=""),
        "spec",
        "schedule is required when policy is Cron",
    ),
    ("policy-enum", with_spec(dataload, policy="Always"), "spec.policy", "'Once', 'Cron'"),
    (
        "target-replicas-zero",
        with_spec(dataload, target=[{"path": "/", "replicas": 0}]),
        "spec.target.0.replicas",
        "must be at least 1",
    ),
    (
        "target-path-missing",
        with_spec(dataload, target=[{"replicas": 1}]),
        "spec.target.0.path",
        "Field required",
    ),
    (
        "dataset-name-required",
        dataload({"dataset": {"namespace": "x"}}),
        "spec.dataset.name",
        "Field required",
    ),
    (
        "runAfter-kind-enum",
        with_spec(dataload, runAfter={"kind": "Dataset", "name": "x"}),
        "spec.runAfter.kind",
        "'DataLoad', 'DataBackup', 'DataMigrate' or 'DataProcess'",
    ),
    (
        "runAfter-name-missing",
        with_spec(dataload, runAfter={"kind": "DataLoad"}),
        "spec.runAfter.name",
        "Field required",
    ),
    (
        "affinity-policy-enum",
        with_spec(
            dataload,
            runAfter={"kind": "DataLoad", "name": "x", "affinityStrategy": {"policy": "Must"}},
        ),
        "spec.runAfter.affinityStrategy.policy",
        "'', 'Require' or 'Prefer'",
    ),
    (
        "affinity-unknown-key",
        with_spec(dataload, affinity={"nodeAfinity": {}}),
        "spec.affinity",
        'unknown affinity "nodeAfinity"',
    ),
    (
        "affinity-not-mapping",
        with_spec(dataload, affinity={"podAffinity": []}),
        "spec.affinity",
        "podAffinity must be a mapping",
    ),
    (
        "ttl-negative",
        with_spec(dataload, ttlSecondsAfterFinished=-1),
        "spec.ttlSecondsAfterFinished",
        "must be at least 0",
    ),
    # Replicas and ports
    ("replicas-negative", runtime({"replicas": -1}), "spec.replicas", "must be at least 0"),
    (
        "replicas-overflow",
        runtime({"replicas": 2**31}),
        "spec.replicas",
        "must fit in a signed 32-bit integer",
    ),
    (
        "master-replicas-zero",
        runtime({"master": {"replicas": 0}}),
        "spec.master.replicas",
        "must be at least 1",
    ),
    (
        "worker-replicas-zero",
        runtime({"worker": {"replicas": 0}}),
        "spec.worker.replicas",
        "must be at least 1",
    ),
    (
        "port-zero",
        runtime({"master": {"ports": {"rpc": 0}}}),
        "spec.master.ports.rpc",
        "must be at least 1",
    ),
    (
        "port-too-big",
        runtime({"jobWorker": {"ports": {"data": 65536}}}),
        "spec.jobWorker.ports.data",
        "must be at most 65535",
    ),
    (
        "data-replicas-negative",
        runtime({"data": {"replicas": -2}}),
        "spec.data.replicas",
        "must be at least 0",
    ),
    (
        "grace-negative",
        runtime({"management": {"cleanCachePolicy": {"gracePeriodSeconds": -5}}}),
        "spec.management.cleanCachePolicy.gracePeriodSeconds",
        "must be at least 0",
    ),
    # Enums
    ("placement-enum", dataset({"placement": "exclusive"}), "spec.placement", "'Exclusive'"),
    (
        "accessModes-enum",
        dataset({"accessModes": ["ReadOnly"]}),
        "spec.accessModes.0",
        "'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany' or 'ReadWriteOncePod'",
    ),
    (
        "networkMode-enum",
        runtime({"master": {"networkMode": "Host"}}),
        "spec.master.networkMode",
        "'HostNetwork', '' or 'ContainerNetwork'",
    ),
    (
        "fuse-networkMode-enum",
        runtime({"fuse": {"networkMode": "hostnetwork"}}),
        "spec.fuse.networkMode",
        "'HostNetwork'",
    ),
    (
        "cleanPolicy-enum",
        runtime({"fuse": {"cleanPolicy": "Never"}}),
        "spec.fuse.cleanPolicy",
        "'OnDemand', 'OnRuntimeDeleted', 'OnFuseChanged' or ''",
    ),
    (
        "imagePullPolicy-enum",
        runtime({"alluxioVersion": {"imagePullPolicy": "Sometimes"}}),
        "spec.alluxioVersion.imagePullPolicy",
        "'Always', 'IfNotPresent' or 'Never'",
    ),
    (
        "toleration-operator-enum",
        dataset({"tolerations": [{"key": "a", "operator": "In"}]}),
        "spec.tolerations.0.operator",
        "'Exists' or 'Equal'",
    ),
    (
        "toleration-effect-enum",
        dataset({"tolerations": [{"key": "a", "effect": "NoRun"}]}),
        "spec.tolerations.0.effect",
        "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'",
    ),
    (
        "toleration-exists-with-value",
        dataset({"tolerations": [{"key": "a", "operator": "Exists", "value": "b"}]}),
        "spec.tolerations.0",
        "value must be empty when operator is Exists",
    ),
    (
        "node-selector-operator-enum",
        dataset(
            {
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "a", "operator": "Equals"}]}
                        ]
                    }
                }
            }
        ),
        "spec.nodeAffinity.required.nodeSelectorTerms.0.matchExpressions.0.operator",
        "'In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt' or 'Lt'",
    ),
    (
        "node-selector-terms-missing",
        dataset({"nodeAffinity": {"required": {}}}),
        "spec.nodeAffinity.required.nodeSelectorTerms",
        "Field required",
    ),
    (
        "mountPropagation-enum",
        runtime(
            {
                "worker": {
                    "volumeMounts": [{"name": "v", "mountPath": "/v", "mountPropagation": "Both"}]
                }
            }
        ),
        "spec.worker.volumeMounts.0.mountPropagation",
        "'None', 'HostToContainer' or 'Bidirectional'",
    ),
    (
        "volumeMount-mountPath-missing",
        runtime({"fuse": {"volumeMounts": [{"name": "v"}]}}),
        "spec.fuse.volumeMounts.0.mountPath",
        "Field required",
    ),
    # Volumes
    (
        "volume-no-source",
        runtime({"volumes": [{"name": "v"}]}),
        "spec.volumes.0",
        "must set exactly one volume source",
    ),
    (
        "volume-two-sources",
        runtime({"volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]}),
        "spec.volumes.0",
        "must set exactly one volume source",
    ),
    (
        "volume-unknown-source",
        runtime({"volumes": [{"name": "v", "hostpath": {"path": "/x"}}]}),
        "spec.volumes.0",
        'unknown volume source "hostpath"',
    ),
    (
        "volume-source-not-mapping",
        runtime({"volumes": [{"name": "v", "emptyDir": "yes"}]}),
        "spec.volumes.0",
        "volume source emptyDir must be a mapping",
    ),
    (
        "volume-name-missing",
        runtime({"volumes": [{"emptyDir": {}}]}),
        "spec.volumes.0.name",
        "Field required",
    ),
    (
        "resources-bad-quantity",
        runtime({"worker": {"resources": {"limits": {"memory": "4 GB"}}}}),
        "spec.worker.resources.limits.memory",
        "is not a Kubernetes quantity",
    ),
    (
        "resources-unknown-key",
        runtime({"worker": {"resources": {"limit": {"memory": "4Gi"}}}}),
        "spec.worker.resources.limit",
        "Extra inputs are not permitted",
    ),
    # Top level
    (
        "wrong-apiVersion",
        {**dataset(), "apiVersion": "data.fluid.io/v1"},
        "apiVersion",
        "'data.fluid.io/v1alpha1'",
    ),
    ("status-is-unknown", {**dataset(), "status": {"phase": "Bound"}}, "status", "Extra inputs"),
]


@pytest.mark.parametrize(
    ("doc", "location", "message"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_rule_rejects(doc: dict[str, Any], location: str, message: str) -> None:
    assert_rejected(doc, location, message)


# --------------------------------------------------------------------------------------------
# Validation rules: accepted input (the edges of each rule above)


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("mountPoint-5-chars", dataset({"mounts": [{"mountPoint": "a://b"}]})),
    ("mountPoint-local", dataset({"mounts": [{"mountPoint": "local:///mnt/data"}]})),
    ("mountPoint-pvc", dataset({"mounts": [{"mountPoint": "pvc://claim/sub", "name": ""}]})),
    ("mount-name-empty", dataset({"mounts": [{"mountPoint": "s3://b/c", "name": ""}]})),
    (
        "encrypt-without-key",
        dataset(
            {"sharedEncryptOptions": [{"name": "k", "valueFrom": {"secretKeyRef": {"name": "s"}}}]}
        ),
    ),
    ("level-quota-int", runtime_with_level(quota=1073741824)),
    ("level-quota-decimal", runtime_with_level(quota="1.5G")),
    ("level-quota-exponent", runtime_with_level(quota="1e9")),
    ("level-quota-milli", runtime_with_level(quota="500m")),
    ("level-quotaList-matches", runtime_with_level(path="/a,/b", quota=None, quotaList="1Gi,2G")),
    ("level-quotaList-and-quota", runtime_with_level(path="/a,/b", quotaList="1Gi,2Gi")),
    ("level-quotaList-three", runtime_with_level(path="/a,/b,/c", quotaList="1,2.5Gi,3e3")),
    ("level-path-1-char", runtime_with_level(path="/")),
    ("level-emptyDir", runtime_with_level(volumeType="emptyDir", volumeSource={"emptyDir": {}})),
    ("user-zero-ids", dataset({"owner": {"uid": 0, "gid": 0, "user": "root", "group": "root"}})),
    *[("dataset-name-" + ok, dataset(name=ok)) for ok in ("a", "a-1", "hbase-20", "a" * 63)],
    *[("runtime-name-" + ok, runtime(name=ok)) for ok in ("b", "my-cache")],
    *[("dataload-name-" + ok, dataload(name=ok)) for ok in ("1load", "load.v1", "a" * 253, "x")],
    ("databackup-name-digits", databackup(name="2024-01-01.backup")),
    *[("namespace-" + ok, dataset(namespace=ok)) for ok in ("default", "0team", "a" * 63)],
    ("namespace-unset", dataset(namespace=None)),
    ("restore-pvc-without-node", dataset({"dataRestoreLocation": {"path": "pvc://claim/dir/"}})),
    (
        "restore-local-with-node",
        dataset({"dataRestoreLocation": {"path": "local:///b/", "nodeName": "node-1"}}),
    ),
    ("restore-node-only", dataset({"dataRestoreLocation": {"nodeName": "node-1"}})),
    ("backupPath-local", with_spec(databackup, backupPath="local:///var/backups/")),
    ("backupPath-pvc-root", with_spec(databackup, backupPath="pvc://claim")),
    ("cron-with-schedule", with_spec(dataload, policy="Cron", schedule="*/5 * * * *")),
    ("once-without-schedule", with_spec(dataload, policy="Once")),
    ("onevent", with_spec(dataload, policy="OnEvent")),
    ("target-replicas-one", with_spec(dataload, target=[{"path": "/", "replicas": 1}])),
    ("ttl-zero", with_spec(dataload, ttlSecondsAfterFinished=0)),
    (
        "affinity-all-keys",
        with_spec(
            dataload, affinity={k: {} for k in ("nodeAffinity", "podAffinity", "podAntiAffinity")}
        ),
    ),
    (
        "affinity-policy-empty",
        with_spec(
            dataload,
            runAfter={"kind": "DataProcess", "name": "p", "affinityStrategy": {"policy": ""}},
        ),
    ),
    ("replicas-zero", runtime({"replicas": 0})),
    ("replicas-int32-max", runtime({"replicas": 2**31 - 1})),
    ("master-replicas-three", runtime({"master": {"replicas": 3}})),
    ("ports-edges", runtime({"master": {"ports": {"rpc": 1, "web": 65535}}})),
    ("placement-empty", dataset({"placement": ""})),
    ("placement-exclusive", dataset({"placement": "Exclusive"})),
    ("networkMode-empty", runtime({"worker": {"networkMode": ""}})),
    ("cleanPolicy-empty", runtime({"fuse": {"cleanPolicy": ""}})),
    (
        "accessModes-all",
        dataset(
            {"accessModes": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]}
        ),
    ),
    ("toleration-exists", dataset({"tolerations": [{"operator": "Exists"}]})),
    (
        "volume-pvc",
        runtime({"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "c"}}]}),
    ),
    ("volume-secret", runtime({"volumes": [{"name": "v", "secret": {"secretName": "s"}}]})),
    ("resources-int-cpu", runtime({"worker": {"resources": {"limits": {"cpu": 4}}}})),
    ("explicit-null-optional", runtime({"replicas": 1, "master": None})),
]


@pytest.mark.parametrize("doc", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_rule_accepts(doc: dict[str, Any]) -> None:
    assert errors_of(doc) == []


# --------------------------------------------------------------------------------------------
# Strictness


UNKNOWN_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("top", {**dataset(), "specs": {}}, "specs"),
    ("metadata", dataset(generateName="x-"), "metadata.generateName"),
    ("dataset-spec", dataset({"mount": []}), "spec.mount"),
    (
        "mount",
        dataset({"mounts": [{"mountPoint": "s3://b/c", "readonly": True}]}),
        "spec.mounts.0.readonly",
    ),
    (
        "secretKeyRef",
        dataset(
            {
                "sharedEncryptOptions": [
                    {"name": "k", "valueFrom": {"secretKeyRef": {"name": "s", "optional": True}}}
                ]
            }
        ),
        "spec.sharedEncryptOptions.0.valueFrom.secretKeyRef.optional",
    ),
    ("runtime-spec", runtime({"replica": 1}), "spec.replica"),
    ("tieredStore-camel", runtime({"tieredStore": {}}), "spec.tieredStore"),
    ("level", runtime_with_level(mediumType="MEM"), "spec.tieredstore.levels.0.mediumType"),
    ("component", runtime({"master": {"replica": 1}}), "spec.master.replica"),
    ("fuse", runtime({"fuse": {"hostPID": True}}), "spec.fuse.hostPID"),
    (
        "volumeMount",
        runtime({"worker": {"volumeMounts": [{"name": "v", "mountPath": "/v", "ro": True}]}}),
        "spec.worker.volumeMounts.0.ro",
    ),
    (
        "management",
        runtime({"management": {"cleanCachePolicy": {"gracePeriod": 1}}}),
        "spec.management.cleanCachePolicy.gracePeriod",
    ),
    (
        "dataload-target",
        with_spec(dataload, target=[{"path": "/", "replica": 1}]),
        "spec.target.0.replica",
    ),
    (
        "operationRef",
        with_spec(
            dataload,
            runAfter={"kind": "DataLoad", "name": "x", "affinityStrategy": {"dependsOn": {}}},
        ),
        "spec.runAfter.affinityStrategy.dependsOn",
    ),
    ("databackup-spec", with_spec(databackup, backupPaths="x"), "spec.backupPaths"),
    (
        "snake-case-name",
        dataset({"mounts": [{"mount_point": "s3://b/c"}]}),
        "spec.mounts.0.mount_point",
    ),
    ("snake-case-top", with_spec(runtime, run_as=None), "spec.run_as"),
]


@pytest.mark.parametrize(
    ("doc", "location"),
    [case[1:] for case in UNKNOWN_FIELDS],
    ids=[case[0] for case in UNKNOWN_FIELDS],
)
def test_unknown_fields_are_rejected_at_any_depth(doc: dict[str, Any], location: str) -> None:
    assert_rejected(doc, location, "Extra inputs are not permitted")


WRONG_TYPES: list[tuple[str, dict[str, Any], str, str]] = [
    ("int-as-string", runtime({"replicas": "5"}), "spec.replicas", "valid integer"),
    ("int-as-bool", runtime({"replicas": True}), "spec.replicas", "valid integer"),
    ("int-as-float", runtime({"replicas": 2.0}), "spec.replicas", "valid integer"),
    (
        "port-as-string",
        runtime({"master": {"ports": {"rpc": "19998"}}}),
        "spec.master.ports.rpc",
        "valid integer",
    ),
    (
        "int64-as-string",
        dataset({"tolerations": [{"tolerationSeconds": "30"}]}),
        "spec.tolerations.0.tolerationSeconds",
        "valid integer",
    ),
    (
        "bool-as-string",
        runtime({"disablePrometheus": "true"}),
        "spec.disablePrometheus",
        "valid boolean",
    ),
    (
        "bool-as-int",
        dataset({"mounts": [{"mountPoint": "s3://b/c", "readOnly": 1}]}),
        "spec.mounts.0.readOnly",
        "valid boolean",
    ),
    (
        "string-as-bool",
        runtime({"fuse": {"nodeSelector": {"gpu": True}}}),
        "spec.fuse.nodeSelector.gpu",
        "valid string",
    ),
    (
        "string-as-int",
        runtime({"properties": {"alluxio.user.block.size.bytes.default": 1}}),
        "spec.properties.alluxio.user.block.size.bytes.default",
        "valid string",
    ),
    ("label-as-bool", dataset(labels={"enabled": True}), "metadata.labels.enabled", "valid string"),
    ("annotation-as-int", runtime(annotations={"n": 1}), "metadata.annotations.n", "valid string"),
    (
        "mount-name-as-int",
        dataset({"mounts": [{"mountPoint": "s3://b/c", "name": 1}]}),
        "spec.mounts.0.name",
        "valid string",
    ),
    (
        "level-high-as-float",
        runtime_with_level(high=0.95),
        "spec.tieredstore.levels.0.high",
        "valid string",
    ),
    (
        "mounts-as-mapping",
        dataset({"mounts": {"mountPoint": "s3://b/c"}}),
        "spec.mounts",
        "valid list",
    ),
    ("jvmOptions-as-string", runtime({"jvmOptions": "-Xmx1G"}), "spec.jvmOptions", "valid list"),
    (
        "backup-dataset-as-mapping",
        with_spec(databackup, dataset={"name": "x"}),
        "spec.dataset",
        "valid string",
    ),
]


@pytest.mark.parametrize(
    ("doc", "location", "message"),
    [case[1:] for case in WRONG_TYPES],
    ids=[case[0] for case in WRONG_TYPES],
)
def test_types_are_strict(doc: dict[str, Any], location: str, message: str) -> None:
    assert_rejected(doc, location, message)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_model_accepts_only_its_own_kind(kind: str) -> None:
    doc = copy.deepcopy(FULL_DOCUMENTS[kind])
    doc["kind"] = "JindoRuntime"
    with pytest.raises(ValidationError) as raised:
        KINDS[kind].model_validate(doc)
    assert [e["loc"] for e in raised.value.errors()] == [("kind",)]


def test_all_problems_are_reported_together() -> None:
    doc = runtime({"replicas": "2", "master": {"replicas": 0}, "bogus": 1})
    locations = {loc for loc, _ in errors_of(doc)}
    assert {"spec.replicas", "spec.master.replicas", "spec.bogus"} <= locations


def test_error_messages_have_no_pydantic_prefix() -> None:
    found = errors_of(runtime({"tieredstore": {"levels": [{"mediumtype": "MEM", "path": "/x"}]}}))
    assert found == [("spec.tieredstore.levels.0", "either quota or quotaList must be set")]


# --------------------------------------------------------------------------------------------
# Values Kubernetes or Alluxio would reject are errors at build time


def owner(**ids: Any) -> dict[str, Any]:
    return dataset({"owner": {"uid": 1000, "gid": 1000, "user": "u", "group": "g", **ids}})


def prefer(weight: Any) -> dict[str, Any]:
    strategy = {"policy": "Prefer", "prefers": [{"name": "zone", "weight": weight}]}
    return with_spec(
        dataload, runAfter={"kind": "DataLoad", "name": "first", "affinityStrategy": strategy}
    )


def target(path: str) -> dict[str, Any]:
    return with_spec(dataload, target=[{"path": path}])


LEVEL = "spec.tieredstore.levels.0"
WATERMARK = 'must be a decimal number greater than 0 and at most 1, e.g. "0.95"'
OUT_OF_RANGE: list[tuple[str, dict[str, Any], str, str]] = [
    ("quota-zero", runtime_with_level(quota="0"), f"{LEVEL}.quota", "must be greater than 0"),
    ("quota-zero-int", runtime_with_level(quota=0), f"{LEVEL}.quota", "must be greater than 0"),
    ("quota-zero-unit", runtime_with_level(quota="0.0Gi"), f"{LEVEL}.quota", "greater than 0"),
    ("quota-negative", runtime_with_level(quota="-1Gi"), f"{LEVEL}.quota", "greater than 0"),
    ("quota-negative-exp", runtime_with_level(quota="-2e3"), f"{LEVEL}.quota", "greater than 0"),
    (
        "quotaList-zero-entry",
        runtime_with_level(path="/a,/b", quota=None, quotaList="1Gi,0"),
        f"{LEVEL}.quotaList",
        "every entry must be greater than 0",
    ),
    (
        "quotaList-negative-entry",
        runtime_with_level(path="/a,/b", quota=None, quotaList="-1Gi,2Gi"),
        f"{LEVEL}.quotaList",
        "every entry must be greater than 0",
    ),
    (
        "resources-negative-limit",
        runtime({"worker": {"resources": {"limits": {"memory": "-4Gi"}}}}),
        "spec.worker.resources.limits.memory",
        "must not be negative",
    ),
    (
        "resources-negative-request",
        with_spec(dataload, resources={"requests": {"cpu": "-500m"}}),
        "spec.resources.requests.cpu",
        "must not be negative",
    ),
    *[
        (f"high-{bad}", runtime_with_level(high=bad), f"{LEVEL}.high", WATERMARK)
        for bad in ("0", "0.0", "1.5", "1.01", "-0.5", "nan", "NaN", "inf", "1e-1", ".", "", "x")
    ],
    *[
        (f"low-{bad}", runtime_with_level(low=bad), f"{LEVEL}.low", WATERMARK)
        for bad in ("0", "2", "-inf", "0,5")
    ],
    (
        "low-above-high",
        runtime_with_level(high="0.5", low="0.8"),
        LEVEL,
        "low watermark 0.8 is above high watermark 0.5",
    ),
    ("low-above-default-high", runtime_with_level(low="0.96"), LEVEL, "above high watermark 0.95"),
    ("high-below-default-low", runtime_with_level(high="0.6"), LEVEL, "low watermark 0.7 is above"),
    ("high-float", runtime_with_level(high=0.9), f"{LEVEL}.high", "valid string"),
    *[
        (f"quota-{huge}", runtime_with_level(quota=huge), f"{LEVEL}.quota", "at most 2^63-1")
        for huge in ("1e400", "1e999999999", "8Ei", "9223372036854775808", 2**63)
    ],
    (
        "memory-huge",
        runtime({"worker": {"resources": {"limits": {"memory": "1e19"}}}}),
        "spec.worker.resources.limits.memory",
        "the largest Kubernetes quantity",
    ),
    (
        "quotaList-huge-entry",
        runtime_with_level(path="/a,/b", quota=None, quotaList="1Gi,1e30"),
        f"{LEVEL}.quotaList",
        "at most 2^63-1",
    ),
    ("quota-tiny-exponent", runtime_with_level(quota="1e-99999"), f"{LEVEL}.quota", "than 0"),
    ("quota-fraction-exponent", runtime_with_level(quota="1e1.5"), f"{LEVEL}.quota", "not a"),
    (
        "toleration-seconds-without-noexecute",
        dataset({"tolerations": [{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 5}]}),
        "spec.tolerations.0",
        "effect must be NoExecute when tolerationSeconds is set",
    ),
    (
        "toleration-empty-key-equal",
        dataset({"tolerations": [{"operator": "Equal", "value": "v"}]}),
        "spec.tolerations.0",
        "operator must be Exists when key is empty",
    ),
    (
        "toleration-bad-key",
        dataset({"tolerations": [{"key": "a b", "operator": "Exists"}]}),
        "spec.tolerations.0.key",
        "must be a valid label key",
    ),
    (
        "toleration-bad-value",
        dataset({"tolerations": [{"key": "k", "value": "a/b"}]}),
        "spec.tolerations.0.value",
        "must be a valid label value",
    ),
    *[
        (
            f"node-requirement-{operator}-{len(values)}",
            dataset(
                {
                    "nodeAffinity": {
                        "required": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": "disk", "operator": operator, "values": values}
                                    ]
                                }
                            ]
                        }
                    }
                }
            ),
            "spec.nodeAffinity.required.nodeSelectorTerms.0.matchExpressions.0",
            message,
        )
        for operator, values, message in [
            ("In", [], "values must not be empty with operator In"),
            ("NotIn", [], "values must not be empty with operator NotIn"),
            ("Exists", ["x"], "values must be empty with operator Exists"),
            ("DoesNotExist", ["x"], "values must be empty with operator DoesNotExist"),
            ("Gt", [], "exactly one integer with operator Gt"),
            ("Lt", ["1", "2"], "exactly one integer with operator Lt"),
            ("Gt", ["ten"], "exactly one integer with operator Gt"),
        ]
    ],
    (
        "node-field-not-name",
        dataset(
            {
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.labels", "operator": "In", "values": ["n1"]}
                                ]
                            }
                        ]
                    }
                }
            }
        ),
        "spec.nodeAffinity.required.nodeSelectorTerms.0.matchFields.0.key",
        "must be metadata.name",
    ),
    (
        "node-field-two-values",
        dataset(
            {
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {
                                        "key": "metadata.name",
                                        "operator": "In",
                                        "values": ["n1", "n2"],
                                    }
                                ]
                            }
                        ]
                    }
                }
            }
        ),
        "spec.nodeAffinity.required.nodeSelectorTerms.0.matchFields.0.values",
        "must have at most 1 item",
    ),
    (
        "nodeSelector-bad-value",
        runtime({"worker": {"nodeSelector": {"pool": "a b"}}}),
        "spec.worker.nodeSelector.pool",
        "must be a valid label value",
    ),
    (
        "nodeSelector-bad-key",
        with_spec(dataload, nodeSelector={"-pool": "a"}),
        "spec.nodeSelector.-pool.[key]",
        "must be a valid label key",
    ),
    *[
        (f"level-path-{bad}", runtime_with_level(path=bad), f"{LEVEL}.path", "'..' segments")
        for bad in ("/mnt/../etc", "..", "/a,/b/..", "/a/..,/b")
    ],
    *[
        (
            f"mountPoint-{bad}",
            dataset({"mounts": [{"mountPoint": bad, "name": "d"}]}),
            "spec.mounts.0",
            "mount point must not contain '..' segments",
        )
        for bad in ("local:///mnt/../etc", "pvc://claim/../x", "pvc://claim/a/..")
    ],
    *[
        (
            f"subPath-{bad}",
            runtime(
                {"master": {"volumeMounts": [{"name": "v", "mountPath": "/m", "subPath": bad}]}}
            ),
            "spec.master.volumeMounts.0.subPath",
            "must be a relative path without '..' segments",
        )
        for bad in ("/abs", "..", "a/../b", "../a")
    ],
    (
        "volumeMount-empty-path",
        runtime({"worker": {"volumeMounts": [{"name": "v", "mountPath": ""}]}}),
        "spec.worker.volumeMounts.0.mountPath",
        "must be at least 1 character long",
    ),
    (
        "volume-hostPath-parent",
        runtime({"volumes": [{"name": "v", "hostPath": {"path": "/var/../etc"}}]}),
        "spec.volumes.0",
        "hostPath path must not contain '..' segments",
    ),
    ("replicas-nan", runtime({"replicas": float("nan")}), "spec.replicas", "valid integer"),
    ("replicas-inf", runtime({"replicas": float("inf")}), "spec.replicas", "valid integer"),
    ("replicas-negative", runtime({"replicas": -1}), "spec.replicas", "must be at least 0"),
    ("quota-nan", runtime_with_level(quota=float("nan")), f"{LEVEL}.quota", "quantity"),
    ("quota-inf-text", runtime_with_level(quota="inf"), f"{LEVEL}.quota", "not a Kubernetes"),
    ("port-zero", runtime({"master": {"ports": {"rpc": 0}}}), "spec.master.ports.rpc", "at least"),
    ("uid-negative", owner(uid=-1), "spec.owner.uid", "must be at least 0"),
    ("gid-negative", owner(gid=-5), "spec.owner.gid", "must be at least 0"),
    ("uid-too-large", owner(uid=2**31), "spec.owner.uid", "must be at most 2147483647"),
    (
        "runAs-uid-negative",
        runtime({"runAs": {"uid": -1, "gid": 0, "user": "u", "group": "g"}}),
        "spec.runAs.uid",
        "must be at least 0",
    ),
    (
        "prefer-weight-zero",
        prefer(0),
        "spec.runAfter.affinityStrategy.prefers.0.weight",
        "must be at least 1",
    ),
    (
        "prefer-weight-101",
        prefer(101),
        "spec.runAfter.affinityStrategy.prefers.0.weight",
        "must be at most 100",
    ),
    (
        "target-parent-of-root",
        target("/../etc"),
        "spec.target.0.path",
        "must not leave the Dataset through '..'",
    ),
    ("target-dotdot", target(".."), "spec.target.0.path", "must not leave the Dataset"),
    (
        "target-climbs-out",
        target("/a/../../b"),
        "spec.target.0.path",
        "must not leave the Dataset",
    ),
    (
        "target-other-mount",
        target("/spark/../hbase/"),
        "spec.target.0.path",
        "must not contain '..', which leaves the mount it names; write '/hbase'",
    ),
    ("target-trailing-dotdot", target("/a/b/.."), "spec.target.0.path", "write '/a'"),
]


@pytest.mark.parametrize(
    ("doc", "location", "message"),
    [case[1:] for case in OUT_OF_RANGE],
    ids=[case[0] for case in OUT_OF_RANGE],
)
def test_values_the_cluster_would_reject_are_errors(
    doc: dict[str, Any], location: str, message: str
) -> None:
    assert_rejected(doc, location, message)


IN_RANGE: list[tuple[str, dict[str, Any]]] = [
    ("toleration-match-all", dataset({"tolerations": [{"operator": "Exists"}]})),
    (
        "toleration-noexecute-seconds",
        dataset({"tolerations": [{"key": "k", "effect": "NoExecute", "tolerationSeconds": -1}]}),
    ),
    (
        "node-requirements",
        dataset(
            {
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "disk", "operator": "Exists"},
                                    {"key": "example.com/cpus", "operator": "Gt", "values": ["-4"]},
                                    {"key": "zone", "operator": "In", "values": ["a", "b"]},
                                ],
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}
                                ],
                            }
                        ]
                    }
                }
            }
        ),
    ),
    ("nodeSelector-labels", runtime({"fuse": {"nodeSelector": {"example.com/pool": "a.b_c"}}})),
    ("level-path-dots", runtime_with_level(path="/mnt/a..b,/mnt/.cache,/mnt/./x")),
    ("mountPoint-dots-in-s3", dataset({"mounts": [{"mountPoint": "s3://b/../x"}]})),
    ("mountPoint-pvc-dots-name", dataset({"mounts": [{"mountPoint": "pvc://claim/a..b"}]})),
    (
        "subPath-relative",
        runtime({"master": {"volumeMounts": [{"name": "v", "mountPath": "/m", "subPath": "a/b"}]}}),
    ),
    ("quota-tiny", runtime_with_level(quota="1m")),
    ("quota-largest", runtime_with_level(quota="9223372036854775807")),
    ("quota-7Ei", runtime_with_level(quota="7Ei")),
    ("quota-exponent-zeros", runtime_with_level(quota="1e00000000018")),
    ("quota-plus", runtime_with_level(quota="+1Gi")),
    ("quotaList-positive", runtime_with_level(path="/a,/b", quota=None, quotaList="1,0.5Gi")),
    ("resources-zero", runtime({"worker": {"resources": {"requests": {"cpu": "0"}}}})),
    *[
        (f"high-{ok}", runtime_with_level(high=ok, low="0.01"))
        for ok in ("1", "1.0", "1.", "01", "1.000", "0.95", ".5", "00.5", "0.01")
    ],
    ("low-equals-high", runtime_with_level(high="0.8", low="0.8")),
    ("low-only", runtime_with_level(low="0.5")),
    ("high-only", runtime_with_level(high="0.99")),
    ("uid-max", owner(uid=2**31 - 1, gid=0)),
    ("prefer-weight-edges", prefer(1)),
    ("prefer-weight-100", prefer(100)),
    *[(f"target-{ok}", target(ok)) for ok in ("/", "/a/./b", "/a..b/c", "/.../x", "/.hidden")],
]


@pytest.mark.parametrize("doc", [case[1] for case in IN_RANGE], ids=[case[0] for case in IN_RANGE])
def test_values_at_the_edges_of_the_range_are_accepted(doc: dict[str, Any]) -> None:
    assert errors_of(doc) == []


def _int_in(low: int, high: int) -> Any:
    """An integer (not a bool, not a float) with low <= value < high."""
    return lambda v: type(v) is int and low <= v < high


# A number field, the document it sits in, and what the cluster accepts there.
NUMBER_FIELDS: list[tuple[Any, tuple[str | int, ...], Any]] = [
    (runtime, ("spec", "replicas"), _int_in(0, 2**31)),
    (runtime, ("spec", "master", "replicas"), _int_in(1, 2**31)),
    (runtime, ("spec", "worker", "ports", "rpc"), _int_in(1, 65536)),
    (runtime, ("spec", "data", "replicas"), _int_in(0, 2**31)),
    (runtime, ("spec", "tieredstore", "levels", 0, "quota"), lambda v: _quantity(v) > 0),
    (runtime, ("spec", "worker", "resources", "limits", "cpu"), lambda v: _quantity(v) >= 0),
    (runtime, ("spec", "tieredstore", "levels", 0, "high"), lambda v: 0.7 <= _ratio(v) <= 1),
    (runtime, ("spec", "tieredstore", "levels", 0, "low"), lambda v: 0 < _ratio(v) <= 0.95),
    (dataload, ("spec", "target", 0, "replicas"), _int_in(1, 2**31)),
    (dataload, ("spec", "ttlSecondsAfterFinished"), _int_in(0, 2**31)),
    (dataset, ("spec", "owner", "uid"), _int_in(0, 2**31)),
    (dataset, ("spec", "owner", "gid"), _int_in(0, 2**31)),
    (runtime, ("spec", "management", "cleanCachePolicy", "gracePeriodSeconds"), _int_in(0, 2**31)),
    (
        lambda: prefer(1),
        ("spec", "runAfter", "affinityStrategy", "prefers", 0, "weight"),
        _int_in(1, 101),
    ),
]


def _quantity(value: Any) -> float:
    """The value of a well-formed quantity (infinite beyond float range), or NaN, which fails
    every comparison, for anything else; quantities beyond 2^63-1 count as NaN too."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return float("nan")
    text = str(value)
    if not re.fullmatch(QUANTITY_PATTERN, text):
        return float("nan")
    number = re.match(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text)
    assert number is not None
    suffix = text[number.end() :]
    if re.fullmatch(r"[eE][+-]?[0-9]+", suffix):  # an exponent; a bare `E` is exa
        amount = float(number.group(0) + suffix)
    else:
        scale = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
        scale.update({"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9})
        scale.update({"T": 1e12, "P": 1e15, "E": 1e18})
        amount = float(number.group(0)) * scale[suffix]
    return amount if abs(amount) < 2**63 else float("nan")


def _ratio(value: Any) -> float:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]+\.?[0-9]*|\.[0-9]+", value):
        return float("nan")
    return float(value)


def _put(doc: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """Set ``value`` at ``path``, creating the mappings (and one-item lists) on the way."""
    node: Any = doc
    for part, following in pairwise(path):
        if isinstance(node, list):
            node = node[part]
            continue
        node = node.setdefault(part, [{}] if isinstance(following, int) else {})
    node[path[-1]] = value
    return doc


NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(alphabet="0123456789.+-eEinfaNKMGi,", max_size=10),
    st.sampled_from(["1", "0", "-1", "0.5", "1.0", "nan", "inf", "-inf", "1Gi", "0Gi", ".5"]),
)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(NUMBER_FIELDS), value=NUMBERS)
def test_number_fields_accept_exactly_what_the_cluster_accepts(field: Any, value: Any) -> None:
    builder, path, accepted = field
    doc = builder()
    if path[:4] == ("spec", "tieredstore", "levels", 0):
        doc = runtime_with_level()
    if path[:2] == ("spec", "target"):
        doc["spec"]["target"] = [{"path": "/"}]
    if path[:2] == ("spec", "owner"):
        doc["spec"]["owner"] = {"uid": 0, "gid": 0, "user": "u", "group": "g"}
    _put(doc, path, value)
    text = yaml.safe_dump(doc)
    try:
        validate(parse_documents(text, "n.yaml"), "default", passthrough=False)
    except BuildError as error:
        assert not accepted(value), f"{value!r} was rejected: {error}"
        field_name = field_path(path)
        assert all(p.position is not None for p in error.problems)
        assert any(p.field.startswith(field_name.rsplit(".", 1)[0]) for p in error.problems)
        return
    assert accepted(value), f"{value!r} was accepted at {field_path(path)}"
