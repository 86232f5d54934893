"""Adversarial user strings go through a whole build and come out as exactly those values."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render.check import parse_manifest
from fluid_render.credentials import holds_secret, is_credential_name
from fluid_render.load import parse_documents
from fluid_render.pipeline import build
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.runtimes.alluxio.mounts import table_field

NASTY = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(
        [
            "a: b",
            "- x",
            "#",
            "---",
            "{{ v }}",
            "{% raw %}",
            "'",
            '"',
            " lead",
            "x\n  injected: true",
            "${HOME}",
            "*a",
            "&a",
            "!!str",
            "\u2028",
            "é😀",
        ]
    ),
)
# Keys cannot be anything (the API server says so), and label values neither; the rest can.
# The credential policy refuses names like PWD or user.token and values shaped like secrets
# (tests/test_credentials.py covers that); here every value must arrive exactly.


def _not_secret(name: str) -> bool:
    return not is_credential_name(name)


PLAIN = NASTY.filter(lambda value: not holds_secret(value))
ENV_NAME = st.from_regex(r"\A[A-Z][A-Z0-9_]{0,10}\Z")
KEY = st.from_regex(r"\A[a-z][a-z0-9.]{0,20}[a-z0-9]\Z")
LABEL_VALUE = st.from_regex(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]{0,20})?[A-Za-z0-9])?\Z")


def _spec(
    labels: dict[str, str],
    notes: dict[str, str],
    props: dict[str, str],
    env: dict[str, str],
    option: str,
    path: str,
) -> str:
    dataset: dict[str, Any] = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": "demo", "namespace": "ns", "labels": labels, "annotations": notes},
        "spec": {
            "mounts": [
                {
                    "mountPoint": "s3://bucket/",
                    "name": "data",
                    "path": path,
                    "options": {"opt": option},
                }
            ]
        },
    }
    runtime: dict[str, Any] = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "AlluxioRuntime",
        "metadata": {"name": "demo", "namespace": "ns"},
        "spec": {"properties": props, "master": {"env": env}, "fuse": {"env": env}},
    }
    return yaml.safe_dump_all([dataset, runtime])  # escapes what YAML may not hold raw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    labels=st.dictionaries(KEY.map(lambda k: "example.org/" + k), LABEL_VALUE, max_size=3),
    notes=st.dictionaries(KEY.map(lambda k: "example.org/" + k), PLAIN, max_size=3),
    props=st.dictionaries(KEY.map(lambda k: "user." + k).filter(_not_secret), PLAIN, max_size=3),
    env=st.dictionaries(ENV_NAME.filter(_not_secret), PLAIN, max_size=3),
    option=st.from_regex(r"\A[^\s\x00]{1,20}\Z"),
    path=st.from_regex(r"\A/[^\s]{0,20}\Z"),
)
def test_values_arrive_exactly(
    labels: dict[str, str],
    notes: dict[str, str],
    props: dict[str, str],
    env: dict[str, str],
    option: str,
    path: str,
) -> None:
    docs = parse_documents(_spec(labels, notes, props, env, option, path), "spec.yaml")
    result = build(docs, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000))
    objects = {(m.kind, m.name): parse_manifest(m) for m in result.manifests}
    for obj in objects.values():
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "fluid-render"
        for key, value in labels.items():
            assert obj["metadata"]["labels"][key] == value
    dataset = objects[("Dataset", "demo")]
    assert {k: dataset["metadata"]["annotations"][k] for k in notes} == notes
    assert objects[("AlluxioRuntime", "demo")]["spec"]["properties"] == props
    master = objects[("StatefulSet", "demo-master")]["spec"]["template"]["spec"]["containers"][0]
    master_env = {e["name"]: e.get("value") for e in master["env"]}
    assert {k: master_env[k] for k in env} == env
    fuse = objects[("DaemonSet", "demo-fuse")]["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"]: e.get("value") for e in fuse["env"] if e["name"] in env} == env
    java_opts = objects[("ConfigMap", "demo-config")]["data"]["ALLUXIO_JAVA_OPTS"]
    for key, value in props.items():
        assert f"-D{key}={value}" in java_opts
    table = objects[("ConfigMap", "demo-mount-config")]["data"]["mount.info"]
    assert table == f"{path} s3://bucket/ --option {table_field(f'opt={option}')}\n"
    for manifest in result.manifests:  # every document still holds exactly one object
        assert len(list(yaml.safe_load_all(manifest.text))) == 1
