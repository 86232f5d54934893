"""Every number and quantity field of the four kinds, set to an extreme value, ends in a clean
exit (a positioned error or a build), never a traceback: the fields come from the JSON schemas,
so a new field is covered without touching this test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render.errors import ExitStatus

from .conftest import ROOT, run

SAMPLES = sorted((ROOT / "tests" / "data" / "samples").glob("*.yaml"))
SCHEMAS = {
    path.name.split(".")[0]: json.loads(path.read_text(encoding="utf-8"))
    for path in (ROOT / "schemas").glob("*.schema.json")
}
EXTREMES = [
    "1e400",
    "'1e400'",
    "1.0e+400",
    "'1e999999999'",
    "'-1e999999999'",
    "'1e-999999999'",
    ".inf",
    "-.inf",
    ".nan",
    "'nan'",
    "9" * 5000,
    "'" + "9" * 5000 + "'",
    "'99999999999999999999Ei'",
    "-9223372036854775809",
    "0",
    "-1",
]
TEXT_NUMBERS = {"quotaList", "high", "low"}
"""Numbers the API declares as strings: comma-separated quotas and watermark ratios."""
Path_ = tuple[str | int, ...]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives a schema allows, with references followed."""
    if "$ref" in schema:
        return _resolve(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "anyOf" in schema:
        return [alt for option in schema["anyOf"] for alt in _resolve(option, root)]
    return [schema]


def _is_number(schema: dict[str, Any], path: Path_) -> bool:
    if schema.get("type") in ("integer", "number") or schema.get("x-kubernetes-int-or-string"):
        return True
    return schema.get("type") == "string" and bool(path) and path[-1] in TEXT_NUMBERS


def _number_paths(schema: dict[str, Any], root: dict[str, Any], path: Path_) -> Iterator[Path_]:
    """Paths to every integer, number or quantity (int-or-string) a document may hold."""
    if len(path) > 14:
        return
    for alternative in _resolve(schema, root):
        if _is_number(alternative, path):
            yield path
        for name, child in alternative.get("properties", {}).items():
            yield from _number_paths(child, root, (*path, name))
        if isinstance(alternative.get("additionalProperties"), dict):
            key = "rpc" if path[-1] == "ports" else "memory"
            yield from _number_paths(alternative["additionalProperties"], root, (*path, key))
        if "items" in alternative:
            yield from _number_paths(alternative["items"], root, (*path, 0))


def _cases() -> list[tuple[Path, int, Path_]]:
    cases = []
    for sample in SAMPLES:
        documents = list(yaml.safe_load_all(sample.read_text(encoding="utf-8")))
        for index, document in enumerate(documents):
            schema = SCHEMAS[document["kind"].lower()]
            cases += [
                (sample, index, p) for p in sorted(set(_number_paths(schema, schema, ())), key=str)
            ]
    return cases


CASES = _cases()


def _set(document: Any, path: Path_, value: Any) -> None:
    """Set a value at a path, making the mappings and lists on the way."""
    node = document
    for part, following in zip(path, (*path[1:], None), strict=True):
        if following is None:
            break
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(empty)
            if not isinstance(node[part], type(empty)):
                node[part] = empty
        elif not isinstance(node.get(part), type(empty)):
            node[part] = empty
        node = node[part]
    if isinstance(path[-1], int):
        node[:] = [*node[: path[-1]], value]
    else:
        node[path[-1]] = value


def test_the_schemas_yield_the_fields_that_once_crashed() -> None:
    paths = {(sample.name, path) for sample, _, path in CASES}
    assert ("01-web-dataset-mem.yaml", ("spec", "tieredstore", "levels", 0, "quota")) in paths
    assert ("01-web-dataset-mem.yaml", ("spec", "tieredstore", "levels", 0, "quotaList")) in paths
    assert ("01-web-dataset-mem.yaml", ("spec", "replicas")) in paths
    assert len(CASES) == 244


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=st.sampled_from(CASES), value=st.sampled_from(EXTREMES))
def test_every_number_field_with_an_extreme_value_exits_cleanly(
    tmp_path: Path, case: tuple[Path, int, Path_], value: str
) -> None:
    sample, index, path = case
    documents = list(yaml.safe_load_all(sample.read_text(encoding="utf-8")))
    _set(documents[index], path, "__EXTREME__")
    text = yaml.safe_dump_all(documents, sort_keys=False).replace("__EXTREME__", value)
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    result = run("build", str(spec), "--lock", str(tmp_path / "l"), "--passthrough")
    assert result.exit_code in (ExitStatus.SUCCESS, ExitStatus.ERROR), result.output
    assert "Traceback" not in result.output
