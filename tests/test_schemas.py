"""Tests of the generated JSON Schemas (schemas/) and CRDs (charts/fluid/crds/)."""

from __future__ import annotations

import copy
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from fluid_render.api import KINDS

try:
    from tests.test_api import FULL_DOCUMENTS, SAMPLES
except ImportError:  # tests/ is not a package: pytest puts it on sys.path instead
    from test_api import FULL_DOCUMENTS, SAMPLES  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))  # the generator is a development script
import schemagen  # noqa: E402

REGENERATE = "run `python scripts/schemagen.py` and commit the result"
CRD_BY_KIND = {info.kind: info for info in schemagen.CRDS}


def schema_file(kind: str) -> dict[str, Any]:
    with (REPO / schemagen.schema_path(kind)).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def crd_file(kind: str) -> dict[str, Any]:
    with (REPO / schemagen.crd_path(CRD_BY_KIND[kind])).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def forbid_unknown_fields(schema: Any) -> Any:
    """Structural schemas prune unknown fields; a client-side check must reject them instead."""
    if isinstance(schema, list):
        return [forbid_unknown_fields(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: forbid_unknown_fields(value) for key, value in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def json_schema_validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = schema_file(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def crd_validator(kind: str) -> jsonschema.Draft202012Validator:
    versions = crd_file(kind)["spec"]["versions"]
    schema = forbid_unknown_fields(versions[0]["schema"]["openAPIV3Schema"])
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def any_kind_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO / "schemas" / "fluid.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validators(kind: str) -> dict[str, jsonschema.Draft202012Validator]:
    return {
        "schemas/": json_schema_validator(kind),
        "crd": crd_validator(kind),
        "fluid.schema.json": any_kind_validator(),
    }


def problems(validator: jsonschema.Draft202012Validator, doc: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(doc)
    ]


# --------------------------------------------------------------------------------------------
# Generated files are up to date


def test_generated_file_set() -> None:
    files = schemagen.generated_files()
    assert sorted(files) == sorted(
        [f"schemas/{kind.lower()}.schema.json" for kind in KINDS]
        + ["schemas/fluid.schema.json"]
        + [
            f"charts/fluid/crds/data.fluid.io_{plural}.yaml"
            for plural in ("datasets", "alluxioruntimes", "dataloads", "databackups")
        ]
    )


@pytest.mark.parametrize("relative", sorted(schemagen.generated_files()))
def test_committed_file_is_current(relative: str) -> None:
    expected = schemagen.generated_files()[relative]
    path = REPO / relative
    assert path.is_file(), f"{relative} is missing; {REGENERATE}"
    assert path.read_text(encoding="utf-8") == expected, f"{relative} is stale; {REGENERATE}"


def test_generation_is_deterministic() -> None:
    assert schemagen.generated_files() == schemagen.generated_files()


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    assert schemagen.main(["--root", str(tmp_path), "--check"]) == 1
    assert schemagen.main(["--root", str(tmp_path)]) == 0
    assert schemagen.main(["--root", str(tmp_path), "--check"]) == 0
    for relative, text in schemagen.generated_files().items():
        assert (tmp_path / relative).read_text(encoding="utf-8") == text


# --------------------------------------------------------------------------------------------
# CRDs


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crd_is_a_valid_kubernetes_object(kind: str) -> None:
    assert kubernetes_validate.validate(crd_file(kind), "1.31", strict=True) == "1.31"


@pytest.mark.parametrize(
    ("kind", "plural", "short_name", "scale"),
    [
        ("Dataset", "datasets", "dataset", False),
        ("AlluxioRuntime", "alluxioruntimes", "alluxio", True),
        ("DataLoad", "dataloads", "load", False),
        ("DataBackup", "databackups", "backup", False),
    ],
)
def test_crd_names_and_subresources(kind: str, plural: str, short_name: str, scale: bool) -> None:
    crd = crd_file(kind)
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"]["name"] == f"{plural}.data.fluid.io"
    spec = crd["spec"]
    assert spec["group"] == "data.fluid.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural,
        "singular": kind.lower(),
        "shortNames": [short_name],
        "categories": ["fluid"],
    }
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    expected: dict[str, Any] = {"status": {}}
    if scale:
        expected["scale"] = {
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.currentWorkerNumberScheduled",
            "labelSelectorPath": ".status.selector",
        }
    assert version["subresources"] == expected
    root = version["schema"]["openAPIV3Schema"]
    status = root["properties"]["status"]
    assert status["type"] == "object" and "x-kubernetes-preserve-unknown-fields" not in status
    assert crd["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-options": "ServerSideApply=true"
    }
    assert root["properties"]["metadata"] == {"type": "object"}


# What upstream's status schemas require (api/v1alpha1); RuntimeStatus.valueFile is left out
# on purpose (it names a ConfigMap of upstream's Helm release).
REQUIRED_STATUS = {
    "Dataset": ["conditions"],
    "AlluxioRuntime": [
        "masterPhase",
        "workerPhase",
        "desiredWorkerNumberScheduled",
        "currentWorkerNumberScheduled",
        "workerNumberReady",
        "desiredMasterNumberScheduled",
        "currentMasterNumberScheduled",
        "masterNumberReady",
        "fusePhase",
        "currentFuseNumberScheduled",
        "desiredFuseNumberScheduled",
        "fuseNumberReady",
    ],
    "DataLoad": ["phase", "duration", "conditions"],
    "DataBackup": ["phase", "duration", "conditions"],
}


@pytest.mark.parametrize("kind", sorted(REQUIRED_STATUS))
def test_crd_status_schemas_follow_upstream(kind: str) -> None:
    crd = crd_file(kind)
    status = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert sorted(status["required"]) == sorted(REQUIRED_STATUS[kind])
    for column in crd["spec"]["versions"][0]["additionalPrinterColumns"]:
        path = column["jsonPath"].split(".")[1:]
        if path[0] != "status":
            continue
        node = status
        for part in path[1:]:
            node = (
                node["properties"][part] if "properties" in node else node["additionalProperties"]
            )
        assert node["type"] == column["type"], column


EXPECTED_COLUMNS: dict[str, list[tuple[str, str, int]]] = {
    "Dataset": [
        ("Ufs Total Size", ".status.ufsTotal", 0),
        ("Cached", ".status.cacheStates.cached", 0),
        ("Cache Capacity", ".status.cacheStates.cacheCapacity", 0),
        ("Cached Percentage", ".status.cacheStates.cachedPercentage", 0),
        ("Phase", ".status.phase", 0),
        ("HCFS URL", ".status.hcfs.endpoint", 10),
        ("TOTAL FILES", ".status.fileNum", 11),
        ("CACHE HIT RATIO", ".status.cacheStates.cacheHitRatio", 10),
        ("Age", ".metadata.creationTimestamp", 0),
    ],
    "AlluxioRuntime": [
        ("Ready Masters", ".status.masterNumberReady", 10),
        ("Desired Masters", ".status.desiredMasterNumberScheduled", 10),
        ("Master Phase", ".status.masterPhase", 0),
        ("Ready Workers", ".status.workerNumberReady", 10),
        ("Desired Workers", ".status.desiredWorkerNumberScheduled", 10),
        ("Worker Phase", ".status.workerPhase", 0),
        ("Ready Fuses", ".status.fuseNumberReady", 10),
        ("Desired Fuses", ".status.desiredFuseNumberScheduled", 10),
        ("Fuse Phase", ".status.fusePhase", 0),
        ("API Gateway", ".status.apiGateway.endpoint", 10),
        ("Age", ".metadata.creationTimestamp", 0),
    ],
    "DataLoad": [
        ("Dataset", ".spec.dataset.name", 0),
        ("Phase", ".status.phase", 0),
        ("Age", ".metadata.creationTimestamp", 0),
        ("Duration", ".status.duration", 0),
    ],
    "DataBackup": [
        ("Dataset", ".spec.dataset", 0),
        ("Phase", ".status.phase", 0),
        ("Path", ".status.infos.BackupLocationPath", 0),
        ("NodeName", ".status.infos.BackupLocationNodeName", 0),
        ("Duration", ".status.duration", 0),
        ("Age", ".metadata.creationTimestamp", 0),
    ],
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crd_printer_columns(kind: str) -> None:
    columns = crd_file(kind)["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [(c["name"], c["jsonPath"], c.get("priority", 0)) for c in columns] == (
        EXPECTED_COLUMNS[kind]
    )
    for column in columns:
        expected_type = "date" if column["name"] == "Age" else column["type"]
        assert column["type"] == expected_type
        assert column["type"] in {"string", "integer", "date"}


def _structural_violations(node: Any, path: str) -> list[str]:
    """Rules of a Kubernetes structural schema that fluid-render's CRDs must follow."""
    if not isinstance(node, dict):
        return [f"{path}: not a schema"]
    found: list[str] = []
    for banned in ("$ref", "$defs", "const", "title", "nullable", "oneOf", "allOf", "not"):
        if banned in node:
            found.append(f"{path}: uses {banned}")
    if "default" in node and node["default"] is None:
        found.append(f"{path}: null default")
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    int_or_string_form = [{"type": "integer"}, {"type": "string"}]
    if "anyOf" in node and (not int_or_string or node["anyOf"] != int_or_string_form):
        found.append(f"{path}: anyOf outside the int-or-string form")
    if "type" not in node and not int_or_string:
        found.append(f"{path}: no type")
    if "properties" in node and "additionalProperties" in node:
        found.append(f"{path}: properties and additionalProperties together")
    if node.get("additionalProperties") is False:
        found.append(f"{path}: additionalProperties false")
    for name, sub in node.get("properties", {}).items():
        found.extend(_structural_violations(sub, f"{path}.{name}"))
    if isinstance(node.get("additionalProperties"), dict):
        found.extend(_structural_violations(node["additionalProperties"], f"{path}.*"))
    if "items" in node:
        found.extend(_structural_violations(node["items"], f"{path}[]"))
    return found


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crd_schema_is_structural(kind: str) -> None:
    root = crd_file(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert _structural_violations(root, "") == []


def test_crd_keeps_constraints_and_defaults() -> None:
    spec = crd_file("AlluxioRuntime")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    props = spec["properties"]["spec"]["properties"]
    level = props["tieredstore"]["properties"]["levels"]["items"]
    assert level["required"] == ["mediumtype", "path"]
    assert level["properties"]["mediumtype"]["enum"] == ["MEM", "SSD", "HDD"]
    assert level["properties"]["volumeType"]["default"] == "hostPath"
    assert level["properties"]["path"]["minLength"] == 1
    assert level["properties"]["quota"]["x-kubernetes-int-or-string"] is True
    assert "pattern" in level["properties"]["quotaList"]
    assert props["master"]["properties"]["replicas"]["minimum"] == 1
    assert props["replicas"]["minimum"] == 0
    clean = props["management"]["properties"]["cleanCachePolicy"]["properties"]
    assert clean["gracePeriodSeconds"]["default"] == 60
    assert clean["maxRetryAttempts"]["default"] == 3
    volume = props["volumes"]["items"]
    assert volume["x-kubernetes-preserve-unknown-fields"] is True
    assert props["master"]["properties"]["ports"]["additionalProperties"]["maximum"] == 65535
    load = crd_file("DataLoad")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    load_spec = load["properties"]["spec"]
    assert load_spec["properties"]["policy"]["default"] == "Once"
    assert load_spec["required"] == ["dataset"]
    for key in ("nodeAffinity", "podAffinity", "podAntiAffinity"):
        affinity = load_spec["properties"]["affinity"]["properties"][key]
        assert affinity["x-kubernetes-preserve-unknown-fields"] is True


def test_structural_conversion_rejects_unsupported_keywords() -> None:
    with pytest.raises(schemagen.StructuralSchemaError):
        schemagen.structural({"type": "string", "oneOf": []}, {})
    with pytest.raises(schemagen.StructuralSchemaError):
        schemagen.structural({"anyOf": [{"type": "string"}, {"type": "integer"}]}, {})
    with pytest.raises(schemagen.StructuralSchemaError):
        schemagen.structural({"$ref": "#/$defs/Missing"}, {})


def test_structural_conversion() -> None:
    defs = {"Inner": {"title": "Inner", "type": "object", "properties": {"a": {"const": "x"}}}}
    source = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "inner": {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}], "default": None},
            "map": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }
    assert schemagen.structural(source, defs) == {
        "type": "object",
        "properties": {
            "inner": {"type": "object", "properties": {"a": {"enum": ["x"]}}},
            "map": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }


# --------------------------------------------------------------------------------------------
# Documents against the schemas


@pytest.mark.parametrize(("name", "doc"), SAMPLES, ids=[name for name, _ in SAMPLES])
def test_samples_validate_against_both_schemas(name: str, doc: dict[str, Any]) -> None:
    for label, validator in validators(doc["kind"]).items():
        assert problems(validator, doc) == [], f"{name} against {label}"


@pytest.mark.parametrize("kind", sorted(FULL_DOCUMENTS))
def test_full_documents_validate_against_both_schemas(kind: str) -> None:
    for label, validator in validators(kind).items():
        assert problems(validator, FULL_DOCUMENTS[kind]) == [], label


TYPOS: list[tuple[str, list[str | int], str]] = [
    ("Dataset", ["spec", "mounts", 0], "mountpoint"),
    ("Dataset", ["spec"], "acessModes"),
    ("AlluxioRuntime", ["spec"], "tieredStore"),
    ("AlluxioRuntime", ["spec", "tieredstore", "levels", 0], "mediumType"),
    ("AlluxioRuntime", ["spec", "master"], "replica"),
    ("AlluxioRuntime", ["spec", "worker", "resources"], "limit"),
    ("DataLoad", ["spec", "target", 0], "replica"),
    ("DataLoad", ["spec", "affinity"], "nodeAfinity"),
    ("DataLoad", ["spec", "runAfter", "affinityStrategy"], "dependsOn"),
    ("DataBackup", ["spec"], "backupPth"),
    ("DataBackup", [], "stauts"),
]


@pytest.mark.parametrize(("kind", "where", "typo"), TYPOS)
def test_typo_is_rejected_by_both_schemas(kind: str, where: list[str | int], typo: str) -> None:
    doc = copy.deepcopy(FULL_DOCUMENTS[kind])
    node: Any = doc
    for step in where:
        node = node[step]
    node[typo] = {} if typo in {"nodeAfinity", "dependsOn", "limit"} else "x"
    for label, validator in validators(kind).items():
        found = problems(validator, doc)
        assert found, f"{label} accepted the typo {typo!r}"
        assert any(typo in message for message in found), (label, found)


INVALID: list[tuple[str, str, list[str | int], Any]] = [
    ("replicas-as-string", "AlluxioRuntime", ["spec", "replicas"], "5"),
    ("replicas-negative", "AlluxioRuntime", ["spec", "replicas"], -1),
    ("master-replicas-zero", "AlluxioRuntime", ["spec", "master", "replicas"], 0),
    ("port-too-big", "AlluxioRuntime", ["spec", "master", "ports", "rpc"], 70000),
    ("bool-for-string", "AlluxioRuntime", ["spec", "properties", "a"], True),
    ("bad-quantity", "AlluxioRuntime", ["spec", "worker", "resources", "limits", "cpu"], "two"),
    ("bool-quantity", "AlluxioRuntime", ["spec", "worker", "resources", "limits", "cpu"], True),
    ("bad-medium", "AlluxioRuntime", ["spec", "tieredstore", "levels", 0, "mediumtype"], "RAM"),
    ("single-quotaList", "AlluxioRuntime", ["spec", "tieredstore", "levels", 1, "quotaList"], "1G"),
    ("short-mountPoint", "Dataset", ["spec", "mounts", 0, "mountPoint"], "a://"),
    ("mountPoint-no-scheme", "Dataset", ["spec", "mounts", 0, "mountPoint"], "/data/x"),
    ("bad-placement", "Dataset", ["spec", "placement"], "Both"),
    ("bad-restore", "Dataset", ["spec", "dataRestoreLocation", "path"], "s3://x/"),
    ("bad-policy", "DataLoad", ["spec", "policy"], "Daily"),
    ("bad-backupPath", "DataBackup", ["spec", "backupPath"], "s3://bucket/"),
]


@pytest.mark.parametrize(
    ("kind", "where", "value"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_values_are_rejected_by_both_schemas(
    kind: str, where: list[str | int], value: Any
) -> None:
    doc = copy.deepcopy(FULL_DOCUMENTS[kind])
    node: Any = doc
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    for label, validator in validators(kind).items():
        assert problems(validator, doc), f"{label} accepted {where}={value!r}"


def test_names_are_checked_by_the_json_schema() -> None:
    doc = copy.deepcopy(FULL_DOCUMENTS["Dataset"])
    doc["metadata"]["name"] = "20-hbase"
    assert problems(json_schema_validator("Dataset"), doc)
    doc["metadata"]["name"] = "hbase-20"
    assert problems(json_schema_validator("Dataset"), doc) == []


# --------------------------------------------------------------------------------------------
# Editor support


@pytest.mark.parametrize("name", [kind.lower() for kind in KINDS] + ["fluid"])
def test_published_schemas_have_an_id_and_describe_every_field(name: str) -> None:
    schema = json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())
    assert schema["$id"] == f"{schemagen.SCHEMA_BASE}{name}.schema.json"
    undescribed = []
    nodes = [("", schema), *schema.get("$defs", {}).items()]
    for owner, node in nodes:
        for field, sub in (node.get("properties") or {}).items():
            if not sub.get("description"):
                undescribed.append(f"{owner}.{field}")
    assert undescribed == []


def test_any_kind_schema_picks_the_kind() -> None:
    validator = any_kind_validator()
    assert problems(validator, {"apiVersion": "data.fluid.io/v1alpha1", "kind": "Pod"})
    doc = copy.deepcopy(FULL_DOCUMENTS["DataLoad"])
    doc["spec"]["backupPath"] = "pvc://x/"  # a DataBackup field, not a DataLoad one
    assert any("backupPath" in message for message in problems(validator, doc))


def test_schema_command_prints_the_published_schemas() -> None:
    from .conftest import run

    assert json.loads(run("schema").stdout)["$id"].endswith("/fluid.schema.json")
    printed = run("schema", "DataLoad").stdout
    assert printed == (REPO / "schemas" / "dataload.schema.json").read_text()
    assert run("schema", "Pod").exit_code == 2
