"""One test per planning rule of upstream's transform, on small inline specs."""

from __future__ import annotations

from typing import Any

import pytest

from fluid_render.bind import bind
from fluid_render.errors import BuildError
from fluid_render.load import parse_documents
from fluid_render.plan import quantity
from fluid_render.plan.configmaps import ConfigMapKeys
from fluid_render.plan.naming import dataset_id, fit, label_key
from fluid_render.runtimes.alluxio.basics import parse_backup_path
from fluid_render.runtimes.alluxio.planner import plan_values
from fluid_render.runtimes.alluxio.ports import needed_ports
from fluid_render.runtimes.alluxio.tieredstore import tier_quota
from fluid_render.runtimes.alluxio.values import Values
from fluid_render.runtimes.registry import RUNTIMES
from fluid_render.validate import validate

DATASET = """apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {{name: demo, namespace: team-a}}
spec: {dataset}
"""
RUNTIME = """apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {{name: demo, namespace: team-a}}
spec: {runtime}
"""
WEB = '{"mounts": [{"mountPoint": "https://example.org/x/", "name": "hadoop"}]}'
MEM = (
    '{"replicas": 3, "tieredstore": {"levels": '
    '[{"mediumtype": "MEM", "path": "/dev/shm", "quota": "4Gi"}]}}'
)


def plan(dataset: str = WEB, runtime: str = MEM) -> Values:
    return plan_text(DATASET.format(dataset=dataset) + "---\n" + RUNTIME.format(runtime=runtime))


def plan_text(text: str, config_maps: ConfigMapKeys | None = None) -> Values:
    [bundle] = bind(validate(parse_documents(text, "s.yaml"), "default", False).specs, RUNTIMES)
    ports = {n: 20000 + i for i, n in enumerate(needed_ports(bundle.runtime.model))}
    return plan_values(bundle, ports, config_maps)


def problems(dataset: str = WEB, runtime: str = MEM) -> str:
    with pytest.raises(BuildError) as error:
        plan(dataset, runtime)
    return str(error.value)


def env(container: Any) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container.env}


# -------------------------------------------------------------------- quantities, names
@pytest.mark.parametrize(
    ("amount", "binary", "text"),
    [
        (2 * 1024**3, True, "2Gi"),
        (200 * 10**9, True, "195312500Ki"),
        (1500, True, "1500"),
        (16 * 10**9, False, "16G"),
        (24589934592, False, "24589934592"),
        (500, True, "500"),
    ],
)
def test_canonical_quantities(amount: int, binary: bool, text: str) -> None:
    assert quantity.canonical(amount, binary) == text


@pytest.mark.parametrize(
    ("text", "amount"), [("1Gi", 1024**3), ("1.5Gi", 1610612736), ("2G", 2 * 10**9), ("1e3", 1000)]
)
def test_quantity_bytes(text: str, amount: int) -> None:
    assert quantity.to_bytes(text) == amount


def test_tier_quota_spelling() -> None:
    assert tier_quota(3 * 1024**3) == "3GB"
    assert tier_quota(200 * 10**9) == "195312500KB"


def test_over_long_names_get_a_stable_hash() -> None:
    name = "n" * 60
    assert fit(name) == name
    long = fit("x" * 70)
    assert len(long) == 63 and long == fit("x" * 70) and long != fit("x" * 69 + "y")
    assert dataset_id("team-a", "demo") == "team-a-demo"
    assert len(dataset_id("a" * 40, "b" * 40)) < 63
    key = label_key("fluid.io/s-alluxio-", "a" * 40, "b" * 40)
    assert key.startswith("fluid.io/s-alluxio-aaaa") and len(key.split("/")[1]) < 63


# -------------------------------------------------------------------- tiers
def test_tier_levels_are_numbered_by_medium_and_suffixed_by_dataset() -> None:
    values = plan(
        runtime='{"tieredstore": {"levels": ['
        '{"mediumtype": "SSD", "path": "/a/,/b", "quotaList": "2Gi,1Gi"},'
        '{"mediumtype": "MEM", "path": "/dev/shm", "quota": "4Gi"}]}}'
    )
    opts = values.config["ALLUXIO_JAVA_OPTS"]
    assert "-Dalluxio.worker.tieredstore.levels=2" in opts
    assert "level1.dirs.path=/a/team-a/demo,/b/team-a/demo" in opts
    assert "level1.dirs.quota=2GB,1GB" in opts and "level1.dirs.mediumtype=SSD,SSD" in opts
    assert "level0.alias=MEM" in opts
    names = [v["name"] for v in values.worker.pod.volumes]
    assert names == ["ssd-0", "ssd-1", "mem"]


def test_quota_is_split_over_paths() -> None:
    values = plan(
        runtime='{"tieredstore": {"levels": '
        '[{"mediumtype": "HDD", "path": "/a,/b", "quota": "4Gi"}]}}'
    )
    assert "level0.dirs.quota=2GB,2GB" in values.config["ALLUXIO_JAVA_OPTS"]


# -------------------------------------------------------------------- worker/fuse memory
def test_worker_memory_request_is_raised_to_the_mem_tier() -> None:
    values = plan()
    assert values.worker.container.resources == {"requests": {"memory": "4Gi"}}
    assert "-Dalluxio.worker.memory.size=4Gi" in values.config["ALLUXIO_WORKER_JAVA_OPTS"]


def test_worker_memory_limit_below_the_mem_tier_is_an_error() -> None:
    runtime = MEM[:-1] + ', "worker": {"resources": {"limits": {"memory": "2Gi"}}}}'
    assert "spec.worker.resources.limits.memory: 2Gi is less than" in problems(runtime=runtime)


def test_fuse_memory_limit_grows_by_the_mem_tier() -> None:
    runtime = MEM[:-1] + ', "fuse": {"resources": {"limits": {"memory": "16Gi"}}}}'
    fuse = plan(runtime=runtime).fuse.container
    assert fuse["resources"] == {"limits": {"memory": "20Gi"}}
    assert "resources" not in plan().fuse.container


# -------------------------------------------------------------------- fuse args
def test_default_fuse_args_for_a_read_only_web_dataset() -> None:
    assert plan().fuse.container["args"] == [
        "fuse",
        "--fuse-opts=kernel_cache,ro,attr_timeout=7200,entry_timeout=7200,allow_other,max_readahead=0",
        "/runtime-mnt/alluxio/team-a/demo/alluxio-fuse",
        "/",
    ]


def test_user_fuse_args_still_get_the_mount_path_on_new_images() -> None:
    """optimizeDefaultFuse appends the mount point after the user's args too (image >= 2.8)."""
    runtime = '{"fuse": {"args": ["fuse", "--fuse-opts=kernel_cache,ro"]}}'
    assert plan(runtime=runtime).fuse.container["args"] == [
        "fuse",
        "--fuse-opts=kernel_cache,ro,allow_other",  # no max_readahead=0: the user chose
        "/runtime-mnt/alluxio/team-a/demo/alluxio-fuse",
        "/",
    ]
    old = '{"fuse": {"imageTag": "2.7.4", "args": ["fuse", "--fuse-opts=allow_root"]}}'
    assert plan(runtime=old).fuse.container["args"] == ["fuse", "--fuse-opts=allow_root"]


def test_fuse_args_for_owner_rw_and_old_images() -> None:
    dataset = (
        '{"accessModes": ["ReadWriteMany"], "owner": {"uid": 7, "gid": 8, "user": "u", '
        '"group": "g"}, "mounts": [{"mountPoint": "s3://b/", "name": "b"}]}'
    )
    runtime = '{"fuse": {"imageTag": "release-2.7.2-SNAPSHOT-3714f2b"}}'
    values = plan(dataset, runtime)
    assert values.fuse.container["args"] == [
        "fuse",
        "--fuse-opts=kernel_cache,rw,uid=7,gid=8,allow_other",
    ]
    fuse_env = {e["name"]: e.get("value") for e in values.fuse.container["env"]}
    assert fuse_env["MOUNT_POINT"] == values.fuse.mount_path


def test_unparseable_fuse_tag_is_an_error() -> None:
    assert "spec.fuse.imageTag: 'latest' is not a version" in problems(
        runtime='{"fuse": {"imageTag": "latest"}}'
    )


# -------------------------------------------------------------------- properties
def test_property_precedence() -> None:
    runtime = (
        '{"properties": {"alluxio.user.file.replication.max": "9", '
        '"alluxio.master.metastore": "HEAP"}, "data": {"replicas": 2}, '
        '"worker": {"properties": {"alluxio.user.block.size.bytes.default": "1MB"}}}'
    )
    opts = plan(runtime=runtime).config["ALLUXIO_JAVA_OPTS"]
    assert "-Dalluxio.user.file.replication.max=2" in opts  # forced wins over the user
    assert "-Dalluxio.master.metastore=HEAP" in opts  # the user wins over defaults
    assert "alluxio.user.block.size.bytes.default" not in opts  # a component key drops it
    assert "-Dalluxio.user.streaming.data.timeout=300sec" in opts  # all mounts are http


SIZES = (
    "alluxio.user.block.size.bytes.default",
    "alluxio.user.streaming.reader.chunk.size.bytes",
    "alluxio.user.local.reader.chunk.size.bytes",
    "alluxio.worker.network.reader.buffer.size",
)


def _sizes(runtime: str, dataset: str = WEB) -> list[str]:
    opts = plan(dataset, runtime).config["ALLUXIO_JAVA_OPTS"].split(" ")
    found = dict(o[2:].split("=", 1) for o in opts if o.startswith("-D"))
    return [found[key] for key in SIZES] + [found.get("alluxio.user.streaming.data.timeout", "")]


@pytest.mark.parametrize(
    ("runtime", "sizes"),
    [
        ("{}", ["256MB"] * 4),
        # upstream's values share spec.properties' map: the 16MB defaults land in it first
        ('{"properties": {"alluxio.fuse.debug.enabled": "true"}}', ["16MB"] + ["32MB"] * 3),
        # component properties make upstream copy the map, which ends the sharing
        (
            '{"properties": {"alluxio.fuse.debug.enabled": "true"}, '
            '"master": {"properties": {"alluxio.master.metastore": "HEAP"}}}',
            ["256MB"] * 4,
        ),
        ('{"fuse": {"properties": {"alluxio.fuse.debug.enabled": "true"}}}', ["256MB"] * 4),
    ],
)
def test_web_sizes_follow_upstream_map_sharing(runtime: str, sizes: list[str]) -> None:
    assert _sizes(runtime) == [*sizes, "300sec"]


def test_web_sizes_only_for_all_http_mounts() -> None:
    s3 = '{"mounts": [{"mountPoint": "s3://b/", "name": "b"}]}'
    assert _sizes("{}", s3) == ["16MB", "32MB", "32MB", "32MB", ""]


def test_single_root_mount_becomes_the_root_ufs() -> None:
    dataset = '{"mounts": [{"mountPoint": "s3://b/p/", "options": {"k": "v"}}]}'
    values = plan(dataset, "{}")
    opts = values.config["ALLUXIO_JAVA_OPTS"]
    assert "-Dalluxio.master.mount.table.root.ufs=s3://b/p/" in opts and "-Dk=v" in opts
    assert values.mount_table == "/ s3://b/p/ --option k=v\n"


def test_ha_masters_use_the_embedded_journal() -> None:
    values = plan(runtime='{"master": {"replicas": 3}}')
    opts = values.config["ALLUXIO_JAVA_OPTS"]
    assert "-Dalluxio.master.journal.type=EMBEDDED" in opts.split(" ")[-60:]
    assert "demo-master-0:20009,demo-master-1:20009,demo-master-2:20009" in opts
    assert values.master.services == ["demo-master-0", "demo-master-1", "demo-master-2"]


# -------------------------------------------------------------------- mounts and secrets
def test_plaintext_credentials_are_rejected() -> None:
    dataset = (
        '{"mounts": [{"mountPoint": "s3://b/", "name": "b", "options": {"aws.secretKey": "x"}}]}'
    )
    assert "spec.mounts[0].options.aws.secretKey: looks like a credential" in problems(dataset)
    runtime = '{"properties": {"fs.oss.accessKeySecret": "x"}}'
    assert "spec.properties.fs.oss.accessKeySecret: looks like a credential" in problems(
        runtime=runtime
    )


def test_encrypt_options_are_mounted_not_copied() -> None:
    dataset = (
        '{"mounts": [{"mountPoint": "s3://b/", "name": "b", "encryptOptions": [{"name": '
        '"aws.secretKey", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "sk"}}}]}]}'
    )
    values = plan(dataset)
    assert values.mount_table == "/b s3://b/ --option aws.secretKey=/etc/fluid/secrets/keys/sk\n"
    assert {"name": "alluxio-mount-secret-keys", "secret": {"secretName": "keys"}} in (
        values.master.pod.volumes
    )


def test_native_mounts_become_volumes() -> None:
    dataset = (
        '{"mounts": [{"mountPoint": "pvc://share/sub/dir", "name": "a"}, '
        '{"mountPoint": "local:///mnt/x", "name": "x", "path": "/deep/x"}]}'
    )
    values = plan(dataset)
    assert values.mount_table == ""
    assert {"name": "share", "mountPath": "/underFSStorage/a", "subPath": "sub/dir"} in (
        values.master.container.volume_mounts
    )
    assert {
        "name": "x",
        "mountPath": "/underFSStorage/deep/x",
    } in values.worker.container.volume_mounts


def test_backup_paths() -> None:
    assert parse_backup_path("pvc://pvc-local/subpath1/") == ("pvc-local", "/subpath1/")
    assert parse_backup_path("local:///data/subpath1") == (None, "/data/subpath1/")


# -------------------------------------------------------------------- placement, PV
def test_exclusive_and_shared_placement() -> None:
    assert (
        "requiredDuringSchedulingIgnoredDuringExecution"
        in plan().worker.pod.affinity["podAntiAffinity"]
    )
    shared = plan('{"placement": "Shared", "mounts": [{"mountPoint": "s3://b/", "name": "b"}]}')
    anti = shared.worker.pod.affinity["podAntiAffinity"]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] == 50


def test_pv_capacity_and_node_affinity() -> None:
    runtime = '{"fuse": {"nodeSelector": {"b": "2", "a": "1"}}}'
    values = plan(runtime=runtime)
    assert values.volume.capacity == "100Pi"
    terms = values.volume.node_affinity["required"]["nodeSelectorTerms"]  # type: ignore[index]
    assert [e["key"] for e in terms[0]["matchExpressions"]] == ["a", "b"]
    assert values.fuse.pod.node_selector == {"a": "1", "b": "2", "fluid.io/f-team-a-demo": "true"}


def test_metadata_list_key_order_does_not_reach_the_output() -> None:
    def with_metadata_list(entry: str) -> Values:
        text = DATASET.format(dataset=WEB) + "---\n" + RUNTIME.format(runtime=MEM)
        text = text.replace(
            'metadata: {name: demo, namespace: team-a}\nspec: {"replicas"',
            "metadata: {name: demo, namespace: team-a, annotations: "
            f"{{data.fluid.io/metadataList: '{entry}'}}}}\nspec: {{\"replicas\"",
        )
        return plan_text(text)

    kind = '"selector": {"kind": "PersistentVolume"}'
    first = with_metadata_list(f'[{{"labels": {{"b": "2", "a": "1"}}, {kind}}}]')
    second = with_metadata_list(f'[{{{kind}, "labels": {{"a": "1", "b": "2"}}}}]')
    assert list(first.volume.pv_labels)[-2:] == ["a", "b"]
    assert first.volume == second.volume


def test_spaces_in_mount_option_values_are_kept() -> None:
    dataset = (
        '{"mounts": [{"mountPoint": "cos://b/", "name": "b", '
        '"options": {"fs.cos.app.id": "my app\\\\1"}}]}'
    )
    assert plan(dataset).mount_table == "/b cos://b/ --option fs.cos.app.id=my\\x20app\\\\1\n"


def test_white_space_where_alluxio_cannot_take_it_is_an_error() -> None:
    root = '{"mounts": [{"mountPoint": "s3://b/", "options": {"k": "a b"}}]}'
    assert "k: the root mount's options become JVM options" in problems(root)
    key = '{"mounts": [{"mountPoint": "s3://b/", "name": "b", "options": {"a b": "v"}}]}'
    assert "a b: white space is not allowed in keys" in problems(key)
    nul = '{"mounts": [{"mountPoint": "s3://b/", "name": "b", "options": {"k": "a\\u0000"}}]}'
    assert "k: a NUL character is not allowed" in problems(nul)
    point = '{"mounts": [{"mountPoint": "s3://b c/", "name": "b"}]}'
    assert "mountPoint: white space is not allowed" in problems(point)


# -------------------------------------------------------------------- hadoopConfig
def _hadoop(keys: frozenset[str] | None) -> Values:
    text = DATASET.format(dataset=WEB) + "---\n" + RUNTIME.format(runtime='{"hadoopConfig": "hc"}')
    return plan_text(text, None if keys is None else {("team-a", "hc"): keys})


def _hdfs(values: Values) -> tuple[dict[str, Any], str]:
    (volume,) = [v for v in values.master.pod.volumes if v["name"] == "hdfs-confs"]
    opts = values.config["ALLUXIO_JAVA_OPTS"].split(" ")
    (files,) = [o for o in opts if o.startswith("-Dalluxio.underfs.hdfs.configuration=")]
    return volume["configMap"], files.partition("=")[2]


def test_hadoop_config_among_the_inputs_mounts_only_its_files() -> None:
    config_map, files = _hdfs(_hadoop(frozenset({"hdfs-site.xml", "log4j.properties"})))
    assert config_map == {
        "name": "hc",
        "items": [{"key": "hdfs-site.xml", "path": "hdfs-site.xml"}],
    }
    assert files == "/hdfs-config/hdfs-site.xml"
    config_map, files = _hdfs(_hadoop(frozenset({"hdfs-site.xml", "core-site.xml"})))
    assert [i["key"] for i in config_map["items"]] == ["core-site.xml", "hdfs-site.xml"]
    assert files == "/hdfs-config/core-site.xml:/hdfs-config/hdfs-site.xml"


def test_hadoop_config_unseen_mounts_the_whole_config_map() -> None:
    """Items naming a missing key would keep the pods in ContainerCreating."""
    config_map, files = _hdfs(_hadoop(None))
    assert config_map == {"name": "hc"}
    assert files == "/hdfs-config/core-site.xml:/hdfs-config/hdfs-site.xml"


def test_hadoop_config_without_either_file_is_an_error() -> None:
    with pytest.raises(BuildError, match=r"ConfigMap team-a/hc holds neither core-site\.xml nor"):
        _hadoop(frozenset({"other.xml"}))


def test_config_map_keys_of_odd_passthrough_documents() -> None:
    from fluid_render.plan.configmaps import config_map_keys

    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: 5\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\n"
        "data: {core-site.xml: ''}\nbinaryData: {hdfs-site.xml: ''}\n"
    )
    assert config_map_keys(parse_documents(text, "s.yaml"), "default") == {
        ("default", "a"): frozenset(),
        ("x", "b"): frozenset({"core-site.xml", "hdfs-site.xml"}),
    }
