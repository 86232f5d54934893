"""The credential policy (fluid_render.credentials): names, value shapes, fields, the allow list."""

from __future__ import annotations

import copy
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from fluid_render import credentials
from fluid_render.api import API_VERSION, CHECKED_FIELDS, Quantity, Shape
from fluid_render.credentials import ALLOW_ANNOTATION
from fluid_render.errors import BuildError, Problem, field_path
from fluid_render.load import Document, parse_documents
from fluid_render.validate import problems_of, validate

from .conftest import run

# ------------------------------------------------------------------------------- key names
# The credential options of the under storages Alluxio documents (docs/en/ufs/*.md), the
# Hadoop connectors behind them, and common environment variable names.
CREDENTIAL_NAMES = [
    "aws.accessKeyId",
    "aws.secretKey",
    "s3a.accessKeyId",
    "s3a.secretKey",
    "fs.s3a.session.token",
    "fs.oss.accessKeyId",
    "fs.oss.accessKeySecret",
    "fs.oss.securityToken",
    "fs.azure.account.key.myaccount.blob.core.windows.net",
    "fs.azure.account.key.myaccount.dfs.core.windows.net",
    "fs.azure.sas.container.myaccount.blob.core.windows.net",
    "fs.azure.account.oauth2.client.secret",
    "fs.azure.account.oauth2.client.secret.myaccount.dfs.core.windows.net",
    "fs.adl.account.myaccount.oauth2.credential",
    "fs.adl.oauth2.credential",
    "fs.adl.oauth2.refresh.token",
    "dfs.webhdfs.oauth2.access.token",
    "fs.gcs.accessKeyId",
    "fs.gcs.secretAccessKey",
    "fs.cos.access.key",
    "fs.cos.secret.key",
    "fs.obs.accessKey",
    "fs.obs.secretKey",
    "fs.obs.securityToken",
    "fs.kodo.accesskey",
    "fs.kodo.secretkey",
    "fs.swift.password",
    "fs.swift.apikey",
    "alluxio.underfs.cephfs.auth.key",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "DB_PASSWORD",
    "PGPASSWD",
    "GITHUB_TOKEN",
    "api_key",
    "privateKey",
    "ssh.passphrase",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "sig",
    "pwd",
]

# Names that refer to a credential (a file, a class, a switch) or are not one at all.
PLAIN_NAMES = [
    "fs.gcs.credential.path",
    "fs.s3a.aws.credentials.provider",
    "fs.azure.account.oauth.provider.type",
    "fs.azure.sas.token.provider.type",
    "fs.azure.account.oauth2.client.id",
    "fs.azure.account.oauth2.client.endpoint",
    "fs.azure.account.auth.type",
    "fs.adl.oauth2.access.token.provider.type",
    "fs.adl.oauth2.refresh.url",
    "alluxio.underfs.cephfs.auth.keyfile",
    "alluxio.underfs.cephfs.auth.keyring",
    "alluxio.underfs.cephfs.auth.id",
    "alluxio.master.keytab.file",
    "alluxio.security.kerberos.client.principal",
    "alluxio.security.login.username",
    "alluxio.security.authentication.type",
    "alluxio.underfs.s3.endpoint",
    "alluxio.underfs.s3.secure.http.enabled",
    "alluxio.underfs.s3.inherit.acl",
    "alluxio.underfs.oss.ecs.ram.role",
    "fs.swift.user",
    "fs.swift.tenant",
    "fs.swift.auth.url",
    "fs.swift.auth.method",
    "fs.cos.app.id",
    "fs.cos.region",
    "fs.oss.endpoint",
    "SECRET_NAME",
    "TOKEN_FILE",
    "alluxio.user.file.writetype.default",
    "alluxio.master.mount.table.root.readonly",
    "keyword",
    "monkey",
    "sasl.enabled.protocols",
    "design",
    "tokenizer.class",
]


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_names(name: str) -> None:
    assert credentials.is_credential_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_names_that_are_not_credentials(name: str) -> None:
    assert not credentials.is_credential_name(name)


def test_words_split_dots_dashes_and_camel_case() -> None:
    assert credentials.words("fs.oss.accessKeySecret") == ["fs", "oss", "access", "key", "secret"]
    assert credentials.words("X-Amz-Signature") == ["x", "amz", "signature"]
    assert credentials.words("AWSAccessKeyId") == ["aws", "access", "key", "id"]


# ------------------------------------------------------------------------------ value shapes
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
CREDENTIAL_VALUES = [
    ("s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@bucket/data", "an AWS access key id"),
    ("https://user:hunter2@example.org/data/", "user:password@"),
    ("hdfs://admin:pw@namenode:8020/", "user:password@"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Signature=abc123", "name=value"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F2024&X-Amz-Date=1", "name=value"),
    ("https://a.blob.core.windows.net/c?sv=2022-11-02&sr=c&sig=abcDEF%3D", "name=value"),
    ("https://storage.googleapis.com/b/o?X-Goog-Signature=0a1b2c", "name=value"),
    ("https://example.org/data?token=abc", "name=value"),
    ("https://b.oss.aliyuncs.com/o?OSSAccessKeyId=LTAI&Signature=x", "name=value"),
    ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=bXlrZXk=", "name=value"),
    ("-Daws.secretKey=hunter22", "name=value"),
    ("-Dfs.azure.account.key.acct.blob.core.windows.net=c2VjcmV0", "name=value"),
    ("--fuse-opts=password=letmein", "name=value"),
    ("key=Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Ng==", "name=value"),
    ("<property><name>fs.s3a.secret.key</name>\n  <value>wJalrXUt</value></property>", "XML"),
    (PEM, "a private key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
    ("-----BEGIN PRIVATE KEY-----", "a private key"),
    ("ASIAY34FZKBOKMUTVV7A", "an AWS access key id"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "a JSON web token"),
]

PLAIN_VALUES = [
    "s3://bucket/data/",
    "wasb://container@account.blob.core.windows.net/dir/",
    "wasbs://container@account.blob.core.windows.net:443/dir/",
    "hdfs://namenode:8020/user/fluid",
    "https://example.org/data?versionId=3&partNumber=2",
    "https://example.org/a@b/c",
    "pvc://claim/sub/dir",
    "local:///mnt/data",
    "-Xmx4G",
    "-XX:+UseG1GC",
    "-Dalluxio.user.block.size.bytes.default=16MB",
    "-Daws.secretKey=${AWS_SECRET_KEY}",
    "-Dfs.gcs.credential.path=/etc/gcs/key.json",
    "password=",
    "0.95",
    "/etc/fluid/secrets/s3/key",
    "AKIA-not-a-key",
    "key=short",
    "key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "eyJhbGciOiJIUzI1NiJ9",
    "database/creds/db-app",
    "<property><name>fs.s3a.endpoint</name><value>https://s3.example.org</value></property>",
    "<property><name>fs.s3a.secret.key</name><value></value></property>",
]


@pytest.mark.parametrize(("value", "shape"), CREDENTIAL_VALUES)
def test_credential_value_shapes(value: str, shape: str) -> None:
    found = credentials.value_shape(value)
    assert found is not None and shape in found
    assert value not in found


@pytest.mark.parametrize("value", PLAIN_VALUES)
def test_values_that_are_not_credentials(value: str) -> None:
    assert credentials.value_shape(value) is None


HOSTILE = [
    "-a" * 100_000,
    "a=a" * 30_000,
    "x://" + "a:" * 100_000,
    "eyJ" * 70_000,
    "eyJ" + "a" * 200_000 + ".eyJ" * 1_000,
    "https://" + "a" * 200_000,
    "-----BEGIN " * 20_000,
    "<name>" * 50_000,
    "<name>a</name>  <value>" * 30_000,
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: v[:12])
def test_hostile_values_are_scanned_in_linear_time(value: str) -> None:
    # Each of these took minutes with patterns that could start inside a run and backtrack
    # over it (quadratic); the suite would hang rather than fail if that came back.
    assert credentials.value_shape(value) is None
    assert credentials.value_shape(value + " password=x") is not None


def test_a_name_counts_only_with_a_value() -> None:
    assert credentials.setting_problem("aws.secretKey", "x") == "by its name"
    assert credentials.setting_problem("aws.secretKey", "") is None
    assert credentials.setting_problem("aws.secretKey", "$(AWS_SECRET)") is None
    assert credentials.setting_problem("endpoint", "https://u:p@host/") is not None


# ------------------------------------------------------------------------- every checked field
def base(kind: str) -> dict[str, Any]:
    """A valid document of each kind, where every checked field can be set."""
    spec: dict[str, Any] = {
        "Dataset": {"mounts": [{"mountPoint": "s3://bucket/data", "name": "data"}]},
        "AlluxioRuntime": {"replicas": 1},
        "DataLoad": {"dataset": {"name": "demo", "namespace": "team-a"}},
        "DataBackup": {"dataset": "demo", "backupPath": "pvc://claim/backups/"},
    }[kind]
    name = "demo" if kind in ("Dataset", "AlluxioRuntime") else "job"
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": copy.deepcopy(spec),
    }


def concrete(pattern: tuple[str, ...]) -> tuple[str | int, ...]:
    return tuple(0 if part == "*" else part for part in pattern)


def put(doc: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = doc
    for part, following in pairwise(path):
        if isinstance(node, list):
            node = node[part]
        else:
            node = node.setdefault(part, [{}] if isinstance(following, int) else {})
    node[path[-1]] = value


SIGNED_URL_PARAMETERS = [
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "X-Goog-Signature",
    "X-Goog-Credential",
    "Signature",
    "sig",
    "token",
    "access_token",
    "OSSAccessKeyId",
    "q-signature",
]


@st.composite
def credential_values(draw: st.DrawFn, secret: str) -> str:
    """A value holding ``secret`` in one of the shapes the policy names."""
    digits = "".join(c for c in secret.upper() if c.isalnum())
    shapes = [
        f"https://admin:{secret}@example.org/data/",
        f"https://example.org/o?v=1&{draw(st.sampled_from(SIGNED_URL_PARAMETERS))}={secret}",
        f"-D{draw(st.sampled_from(CREDENTIAL_NAMES))}={secret}",
        f"AccountName=a;AccountKey={secret}==",
        f"-----BEGIN {draw(st.sampled_from(['', 'RSA ', 'EC ', 'OPENSSH ']))}PRIVATE KEY-----"
        f"\n{secret}\n-----END PRIVATE KEY-----",
        f"eyJ{secret}.eyJ{secret}.{secret}",
        f"key=Zm9v{secret}{secret}",
        draw(st.sampled_from(["AKIA", "ASIA"])) + (digits * 2)[:16],
    ]
    return draw(st.sampled_from(shapes))


def planted(
    kind: str, pattern: tuple[str, ...], value: str, by_name: bool
) -> tuple[dict[str, Any], str]:
    """A document with ``value`` in the field (under a credential name when ``by_name`` and the
    field has names), and the field path an error must name."""
    doc = base(kind)
    path = concrete(pattern)
    shape = dict(CHECKED_FIELDS[kind])[pattern]
    if shape is Shape.SETTINGS:
        name = "fs.oss.accessKeySecret" if by_name else "note"
        put(doc, path, {"alluxio.user.file.writetype.default": "CACHE_THROUGH", name: value})
        return doc, field_path((*path, name))
    if shape is Shape.METADATA:
        put(doc, path, {"team": "a", "note": value})
        return doc, field_path((*path, "note"))
    if shape is Shape.ARGUMENTS:
        put(doc, path, ["-Xmx1G", value])
        return doc, field_path((*path, 1))
    scheme = "s3" if pattern[-1] == "mountPoint" else "pvc"
    put(doc, path, f"{scheme}://claim/dir/{value}")
    return doc, field_path(path)


FIELDS = [(kind, pattern) for kind, fields in CHECKED_FIELDS.items() for pattern, _ in fields]
SECRETS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=12,
    max_size=40,
).filter(lambda text: any(c.isdigit() for c in text))
"""Secrets with a digit, which no message text has in a run of 12 letters and digits."""


def problems(doc: dict[str, Any]) -> list[Problem]:
    try:
        validate(parse_documents(yaml.safe_dump(doc), "s.yaml"), "default", passthrough=False)
    except BuildError as error:
        return error.problems
    return []


def test_every_kind_has_checked_fields() -> None:
    assert set(CHECKED_FIELDS) == {"Dataset", "AlluxioRuntime", "DataLoad", "DataBackup"}
    assert len(FIELDS) == len(set(FIELDS))


def test_the_readme_names_every_checked_field() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Credentials", 1)[1].split("\n## ", 1)[0]
    table = {
        line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| ")
    }
    for kind, pattern in FIELDS:
        leaf = next(part for part in reversed(pattern) if part != "*")
        assert f"`{leaf}" in table[kind] or f".{leaf}`" in table[kind], (kind, pattern)


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(FIELDS), secret=SECRETS, by_name=st.booleans(), data=st.data())
def test_a_credential_in_any_checked_field_is_caught_and_never_printed(
    field: tuple[str, tuple[str, ...]], secret: str, by_name: bool, data: st.DataObject
) -> None:
    kind, pattern = field
    by_name = by_name and dict(CHECKED_FIELDS[kind])[pattern] is Shape.SETTINGS
    value = secret if by_name else data.draw(credential_values(secret))
    doc, where = planted(kind, pattern, value, by_name)
    shown = value if value.startswith(("AKIA", "ASIA")) else secret
    found = problems(doc)
    assert {p.field for p in found} == {where}, found  # labels also fail the label rule
    assert any("looks like a credential" in p.message for p in found)
    assert all(p.position is not None and shown not in str(p) for p in found)


@pytest.mark.parametrize(("kind", "pattern"), FIELDS, ids=lambda f: str(f))
def test_the_cli_prints_no_credential_anywhere(
    kind: str, pattern: tuple[str, ...], tmp_path: Path
) -> None:
    secret = "Sup3rSecretValue42"
    doc, where = planted(kind, pattern, f"https://u:{secret}@example.org/", by_name=False)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(doc))
    result = run("build", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"{where}: looks like a credential" in result.stderr
    assert secret not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


PLAIN_SETTING_NAMES = st.sampled_from(PLAIN_NAMES)
PLAIN_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789./:-_", max_size=30)


@settings(max_examples=200, deadline=None)
@given(name=PLAIN_SETTING_NAMES, value=PLAIN_TEXT, pattern=st.sampled_from(FIELDS))
def test_values_that_are_not_credentials_pass(
    name: str, value: str, pattern: tuple[str, tuple[str, ...]]
) -> None:
    kind, field = pattern
    shape = dict(CHECKED_FIELDS[kind])[field]
    doc = base(kind)
    path = concrete(field)
    if shape in (Shape.SETTINGS, Shape.METADATA):
        put(doc, path, {name: value})
    elif shape is Shape.ARGUMENTS:
        put(doc, path, [f"-D{name}={value}"])
    else:
        put(doc, path, f"{'s3' if field[-1] == 'mountPoint' else 'pvc'}://claim/{value}")
    assert credentials.scan(kind, doc) == []


# ------------------------------------------------------------------------- the allow annotation
def allow(doc: dict[str, Any], *entries: str) -> dict[str, Any]:
    doc["metadata"].setdefault("annotations", {})[ALLOW_ANNOTATION] = ", ".join(entries)
    return doc


def two_tokens() -> dict[str, Any]:
    doc = base("AlluxioRuntime")
    doc["spec"]["properties"] = {"my.token.flag": "on", "other.token.flag": "on"}
    return doc


def test_the_allow_list_silences_exactly_the_field_named() -> None:
    assert [p.field for p in problems(two_tokens())] == [
        "spec.properties.my.token.flag",
        "spec.properties.other.token.flag",
    ]
    doc = allow(two_tokens(), "spec.properties.my.token.flag")
    assert [p.field for p in problems(doc)] == ["spec.properties.other.token.flag"]
    doc = allow(two_tokens(), "spec.properties.my.token.flag", "spec.properties.other.token.flag")
    assert problems(doc) == []


def test_the_allow_list_takes_lines_too() -> None:
    doc = two_tokens()
    doc["metadata"]["annotations"] = {
        ALLOW_ANNOTATION: "spec.properties.my.token.flag\nspec.properties.other.token.flag\n"
    }
    assert problems(doc) == []


def test_an_entry_that_allows_nothing_is_an_error() -> None:
    doc = allow(two_tokens(), "spec.properties.my.token.flag", "spec.properties", "spec.typo")
    found = {(p.field, p.message) for p in problems(doc)}
    stale = "is not a field the credential check flags in this object"
    assert (
        f"metadata.annotations.{ALLOW_ANNOTATION}",
        f"entry 2 {stale}; list exact field paths as its errors print them",
    ) in found
    assert any(m.startswith("entry 3 ") for _, m in found)
    assert "spec.properties.other.token.flag" in {f for f, _ in found}


@settings(max_examples=100, deadline=None)
@given(
    entry=st.sampled_from(["spec.properties.my.token.flag", "spec.properties.other.token.flag"]),
    edit=st.sampled_from(["prefix", "suffix", "cut", "case"]),
)
def test_the_allow_list_needs_the_exact_path(entry: str, edit: str) -> None:
    changed = {
        "prefix": "x" + entry,
        "suffix": entry + "x",
        "cut": entry[:-1],
        "case": entry.upper(),
    }[edit]
    found = [p.field for p in problems(allow(two_tokens(), changed))]
    assert entry in found
    assert f"metadata.annotations.{ALLOW_ANNOTATION}" in found


def test_another_objects_allow_list_does_not_apply() -> None:
    dataset = allow(base("Dataset"), "spec.properties.my.token.flag")
    text = yaml.safe_dump(dataset) + "---\n" + yaml.safe_dump(two_tokens())
    with pytest.raises(BuildError) as error:
        validate(parse_documents(text, "s.yaml"), "default", passthrough=False)
    fields = [p.field for p in error.value.problems]
    assert "spec.properties.my.token.flag" in fields


# ------------------------------------------------------------------------ messages and remedies
def test_mount_options_are_sent_to_encrypt_options() -> None:
    doc = base("Dataset")
    doc["spec"]["mounts"][0]["options"] = {"fs.azure.account.key.acct.blob.core.windows.net": "k"}
    [problem] = problems(doc)
    assert "move it to encryptOptions (a Secret reference)" in problem.message
    assert ALLOW_ANNOTATION in problem.message


def test_mount_urls_with_credentials_are_not_copied() -> None:
    doc = base("Dataset")
    doc["spec"]["mounts"][0]["mountPoint"] = "https://u:Pa55word@example.org/data/"
    [problem] = problems(doc)
    assert problem.field == "spec.mounts[0].mountPoint"
    assert "a mount URL is not copied with credentials in it" in problem.message
    assert "Pa55word" not in str(problem)


def test_pydantic_errors_in_checked_fields_never_quote_the_value() -> None:
    class Probe(BaseModel):
        spec: dict[str, dict[str, Quantity]]

    data = {"kind": "Dataset", "spec": {"sharedOptions": {"k": "AKIAIOSFODNN7EXAMPLE"}}}
    doc = Document(data, "s.yaml", {(): (1, 1)}, "")
    with pytest.raises(ValidationError) as raised:
        Probe.model_validate({"spec": data["spec"]})
    assert "AKIAIOSFODNN7EXAMPLE" in str(raised.value)  # pydantic itself would quote it
    [problem] = problems_of(doc, raised.value)
    assert problem.field == "spec.sharedOptions.k"
    assert "AKIAIOSFODNN7EXAMPLE" not in str(problem)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS)
def test_invalid_values_in_checked_fields_are_not_quoted(secret: str) -> None:
    doc = base("Dataset")
    doc["metadata"]["labels"] = {"team": f"{secret}:x@y"}  # not a label value either
    doc["spec"]["mounts"][0]["mountPoint"] = f"{secret}"  # no scheme
    doc["spec"]["sharedOptions"] = {"k": [secret]}  # not a string
    found = problems(doc)
    assert found and all(secret not in str(p) for p in found)


# ------------------------------------------------------------------------------- passthrough
@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, ("kind",)),
        ({"apiVersion": "v1", "kind": "secret", "metadata": {"name": "s"}}, ("kind",)),
        ({"apiVersion": "v1", "kind": "SECRET", "metadata": {"name": "s"}}, ("kind",)),
        ({"apiVersion": "v1", "kind": "SecretList", "items": []}, ("kind",)),
        (
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [{"kind": "ConfigMap"}, {"kind": "Secret"}],
            },
            ("items", 1, "kind"),
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMapList",
                "items": [{"kind": "List", "items": [{"kind": "secret"}]}],
            },
            ("items", 0, "items", 0, "kind"),
        ),
    ],
)
def test_secrets_are_found_in_lists_and_any_casing(
    document: dict[str, Any], where: tuple[str | int, ...]
) -> None:
    assert credentials.secrets_inside(document, ()) == [where]


@pytest.mark.parametrize(
    "document",
    [
        {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret"},
        {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret"},
        {"apiVersion": "v1", "kind": "List", "items": [{"kind": "ConfigMap"}]},
        {"apiVersion": "v1", "kind": "ConfigMap", "items": [{"kind": "Secret"}]},
    ],
)
def test_other_objects_are_not_secrets(document: dict[str, Any]) -> None:
    assert credentials.secrets_inside(document, ()) == []


def test_a_list_holding_a_secret_is_not_copied(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nmetadata: {name: bundle}\nitems:\n"
        "- apiVersion: v1\n  kind: secret\n  metadata: {name: keys}\n  stringData: {k: hunter2}\n"
    )
    (tmp_path / "list.yaml").write_text(text)
    result = run("build", "--passthrough", str(tmp_path / "list.yaml"))
    assert result.exit_code == 1 and result.stdout == ""
    assert "list.yaml:6:3: items[0].kind: a Secret is not copied into the output" in result.stderr
    assert "hunter2" not in result.stderr


def test_a_copied_document_is_checked_by_value_shape(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tls, namespace: apps}\ndata:\n"
        "  secretName: tls-cert\n"  # a name refers to a secret: fine in a copied document
        "  key.pem: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEEIBkg4LVW\n"
        "    -----END EC PRIVATE KEY-----\n"
    )
    (tmp_path / "cm.yaml").write_text(text)
    result = run("build", "--passthrough", str(tmp_path / "cm.yaml"))
    assert result.exit_code == 1 and result.stdout == ""
    assert "cm.yaml:6:3: data.key.pem: looks like a credential (its value holds a private key)" in (
        result.stderr
    )
    assert "SealedSecret" in result.stderr and "MHcCAQEEIBkg4LVW" not in result.stderr
    allowed = text.replace(
        "namespace: apps}", f"namespace: apps, annotations: {{{ALLOW_ANNOTATION}: data.key.pem}}}}"
    )
    (tmp_path / "cm.yaml").write_text(allowed)
    result = run("build", "--passthrough", str(tmp_path / "cm.yaml"))
    assert result.exit_code == 0 and "MHcCAQEEIBkg4LVW" in result.stdout


def test_every_string_of_a_copied_document_is_scanned() -> None:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"template": {"spec": {"containers": [{"args": ["--db=postgres://u:pw@db/x"]}]}}},
    }
    [finding] = credentials.scan("Deployment", doc)
    assert finding.path == ("spec", "template", "spec", "containers", 0, "args", 0)


def test_the_readme_shows_the_message_the_build_prints() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    [shown] = [
        line.split(": ", 2)[2]
        for line in readme.splitlines()
        if line.startswith("error: specs/laion.yaml:11:9: spec.mounts[0].options.aws.secretKey:")
    ]
    doc = base("Dataset")
    doc["spec"]["mounts"][0]["options"] = {"aws.secretKey": "x"}
    [problem] = problems(doc)
    assert f"{problem.field}: {problem.message}" == shown
