"""The credential policy: one place decides what counts as a plaintext credential in a spec.

Every spec is committed to git and most fields reach ConfigMaps and pod templates, so a secret in
any of them leaks. Upstream keeps mount credentials in Secrets through ``encryptOptions``
(``pkg/ddc/alluxio/transform_ufs.go``, ``genUFSMountOptions``); this module makes that the only
way: the fields each kind declares beside its model (``CHECKED_FIELDS`` in
``fluid_render/api/<kind>.py``, collected by kind in ``fluid_render.api``) are scanned for
credential key names and value shapes, and a finding is an error unless the object lists the
exact field in ``ALLOW_ANNOTATION``. Messages name the field and its position, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from fluid_render.api import CHECKED_FIELDS, Shape
from fluid_render.errors import Problem, field_path
from fluid_render.load import Document

ALLOW_ANNOTATION = "fluid-render.io/not-a-credential"
"""Annotation listing field paths (as error messages print them) that hold no credential."""


# ---------------------------------------------------------------------------- key names
_NAME_PARTS = {
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "signature",
    "accesskey",
    "secretkey",
    "apikey",
    "privatekey",
    "accountkey",
    "sessionkey",
}
"""Found inside one word of a name: ``fs.oss.accessKeySecret``, ``AWS_SESSION_TOKEN``."""
_NAME_WORDS = {"pwd", "sas", "sig"}
"""Found only as a whole word: ``fs.azure.sas.<container>.<account>...``, ``sig`` of Azure SAS."""
_NAME_PAIRS = {
    ("access", "key"),
    ("secret", "key"),
    ("api", "key"),
    ("private", "key"),
    ("account", "key"),
    ("session", "key"),
    ("auth", "key"),
    ("shared", "key"),
}
"""Adjacent words: ``fs.cos.access.key``, ``fs.azure.account.key.<account>.blob.core.windows.net``,
``alluxio.underfs.cephfs.auth.key``."""
_REFERENCE_SUFFIXES = {"path", "file", "dir", "name", "type", "class", "provider", "enabled"}
"""A last word that makes the setting a reference or a switch, not the secret itself:
``fs.gcs.credential.path``, ``fs.s3a.aws.credentials.provider``, ``SECRET_NAME``."""
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """The lower-case words of a setting name: ``aws.secretKey`` -> aws, secret, key."""
    return [w.lower() for w in _WORD.findall(name)]


def is_credential_name(name: str) -> bool:
    """Whether a setting name says its value is a credential (see the module's tables)."""
    parts = words(name)
    if not parts or parts[-1] in _REFERENCE_SUFFIXES:
        return False
    if any(part in word for word in parts for part in _NAME_PARTS):
        return True
    if any(word in _NAME_WORDS for word in parts):
        return True
    return any(pair in _NAME_PAIRS for pair in pairwise(parts))


# ---------------------------------------------------------------------------- value shapes
# Every pattern runs in linear time on hostile input: a match may only start where a run of its
# characters starts (the look-behinds), and possessive quantifiers never backtrack into a run.
_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_.]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)")
_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+://[^/?#@\s:]*+:[^/?#@\s]++@")
_SEPARATORS = re.compile(r"[\s&;,'\"?]+")
_JVM_PREFIX = re.compile(r"^-D(?=[A-Za-z_])|^-+")
_XML_PROPERTY = re.compile(r"<name>\s*+([^<\s]{1,200})\s*+</name>\s*+<value>\s*+([^<\s]*+)")
_NOT_NAME = re.compile(r"[^\w.-]")
"""What ends the name before an ``=``: ``s3://b/dir/-Dsig=x`` names ``-Dsig``, then ``sig``."""
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.eyJ[A-Za-z0-9_-]{4,}+\.")
_LONG_KEY = re.compile(r"(?=[A-Za-z0-9+/_-]*[0-9])(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{20,}")


def assignments(value: str) -> Iterator[tuple[str, str]]:
    """Every ``name=value`` in a text: query parameters, ``-Dname=value``, connection strings,
    and nested ones (``--opts=password=x`` yields ``password=x`` too); and every property of a
    Hadoop XML file (``core-site.xml`` in a ConfigMap: ``<name>n</name><value>v</value>``)."""
    for token in _SEPARATORS.split(value):
        parts = token.split("=")
        for name, assigned in pairwise(parts):
            yield _JVM_PREFIX.sub("", _NOT_NAME.split(name)[-1]), assigned
    if "<name>" in value:
        for match in _XML_PROPERTY.finditer(value):
            yield match.group(1), match.group(2)


def holds_secret(value: str) -> bool:
    """A non-empty value that is not only a variable reference (``${AWS_SECRET}``)."""
    return bool(value) and _REFERENCE.fullmatch(value) is None


def value_shape(value: str) -> str | None:
    """What in a value looks like a credential whatever its name, or None."""
    if _PRIVATE_KEY.search(value):
        return "a private key"
    if _AWS_KEY_ID.search(value):
        return "an AWS access key id"
    if _JWT.search(value):
        return "a JSON web token"
    if _USERINFO.search(value):
        return "a URL with user:password@"
    for name, assigned in assignments(value):
        if holds_secret(assigned) and (is_credential_name(name) or _is_long_key(name, assigned)):
            return "a credential setting (name=value, Hadoop XML) or URL signature"
    return None


def _is_long_key(name: str, value: str) -> bool:
    """``key=<20+ base64 characters>``: an unnamed key is still a key."""
    parts = words(name)
    return bool(parts) and parts[-1] == "key" and _LONG_KEY.fullmatch(value) is not None


def setting_problem(name: str, value: Any) -> str | None:
    """Why a ``name: value`` setting is a credential, or None."""
    text = value if isinstance(value, str) else ""
    if holds_secret(text) and (is_credential_name(name) or _is_long_key(name, text)):
        return "by its name"
    return _holds(value_shape(text))


def _holds(shape: str | None) -> str | None:
    return f"its value holds {shape}" if shape else None


# ---------------------------------------------------------------------------- the scan
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    path: FieldPath
    reason: str


def scan(kind: str, data: dict[str, Any]) -> list[Finding]:
    """Every credential-looking value in the checked fields of one document of ``kind``; in a
    document of another kind (copied with ``--passthrough``) every string is checked by shape."""
    if kind not in CHECKED_FIELDS:
        return list(_scan_strings(data, ()))
    findings: list[Finding] = []
    for pattern, shape in CHECKED_FIELDS[kind]:
        for path, value in _select(data, pattern, ()):
            findings.extend(_check(path, value, shape))
    return findings


def _scan_strings(data: Any, path: FieldPath) -> Iterator[Finding]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _scan_strings(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _scan_strings(item, (*path, index))
    elif isinstance(data, str):
        reason = _holds(value_shape(data))
        if reason:
            yield Finding(path, reason)


def _select(data: Any, pattern: Sequence[str], path: FieldPath) -> list[tuple[FieldPath, Any]]:
    """The values `pattern` (keys, `*` for every item of a list) leads to, in document order;
    one level at a time, without a generator per step (38 patterns for an AlluxioRuntime)."""
    found: list[tuple[FieldPath, Any]] = [(path, data)]
    for head in pattern:
        deeper: list[tuple[FieldPath, Any]] = []
        for at, value in found:
            if head == "*" and isinstance(value, list):
                deeper.extend(((*at, index), item) for index, item in enumerate(value))
            elif isinstance(value, dict) and head in value:
                deeper.append(((*at, head), value[head]))
        if not deeper:
            return deeper
        found = deeper
    return found


def _check(path: FieldPath, value: Any, shape: Shape) -> Iterator[Finding]:
    if shape is Shape.SETTINGS and isinstance(value, dict):
        for name, item in value.items():
            reason = setting_problem(name, item) if isinstance(name, str) else None
            if reason:
                yield Finding((*path, name), reason)
    elif shape is Shape.METADATA and isinstance(value, dict):
        for name, item in value.items():
            reason = _holds(value_shape(item)) if isinstance(item, str) else None
            if reason and isinstance(name, str):
                yield Finding((*path, name), reason)
    elif shape is Shape.ARGUMENTS and isinstance(value, list):
        for index, item in enumerate(value):
            reason = _holds(value_shape(item)) if isinstance(item, str) else None
            if reason:
                yield Finding((*path, index), reason)
    elif shape is Shape.URL and isinstance(value, str):
        reason = _holds(value_shape(value))
        if reason:
            yield Finding(path, reason)


def covers(kind: str, path: Sequence[str | int]) -> bool:
    """Whether ``path`` lies in a checked field, so no message may quote its value."""
    for pattern, _ in CHECKED_FIELDS.get(kind, []):
        if len(path) >= len(pattern) and all(
            want == "*" or want == got for want, got in zip(pattern, path, strict=False)
        ):
            return True
    return False


# ---------------------------------------------------------------------------- the policy
def credential_problems(doc: Document) -> list[Problem]:
    """Every Secret in a copied document, every finding not listed in the object's allow
    annotation, and every stale entry there."""
    allowed = allowed_fields(doc.data)
    flagged: set[str] = set()
    problems = [
        Problem(
            doc.position_of(path),
            field_path(path),
            "a Secret is not copied into the output: its values would land in git; "
            "use a SealedSecret or an ExternalSecret, or apply it outside the repository",
        )
        for path in (secrets_inside(doc.data, ()) if doc.kind not in CHECKED_FIELDS else [])
    ]
    for finding in scan(doc.kind, doc.data):
        name = field_path(finding.path)
        flagged.add(name)
        if name not in allowed:
            message = (
                f"looks like a credential ({finding.reason}): {_remedy(doc.kind, finding.path)}; "
                f"if it is not one, list this field in the annotation {ALLOW_ANNOTATION}"
            )
            problems.append(Problem(doc.position_of(finding.path), name, message))
    where = ("metadata", "annotations", ALLOW_ANNOTATION)
    for number, entry in enumerate(allowed, start=1):
        if entry not in flagged:
            problems.append(
                Problem(
                    doc.position_of(where),
                    field_path(where),
                    f"entry {number} is not a field the credential check flags in this "
                    "object; list exact field paths as its errors print them",
                )
            )
    return problems


def allowed_fields(data: dict[str, Any]) -> list[str]:
    """The field paths the object's ``fluid-render.io/not-a-credential`` annotation lists."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    text = annotations.get(ALLOW_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return []
    return [entry.strip() for entry in re.split(r"[,\n]", text) if entry.strip()]


def _remedy(kind: str, path: FieldPath) -> str:
    """Where the credential goes instead; mount options have encryptOptions of their own."""
    if kind not in CHECKED_FIELDS:
        return (
            "a copied document must not carry credentials into git; keep them in a Secret "
            "managed outside the repository (SealedSecret, ExternalSecret)"
        )
    if kind == "Dataset" and path[-1] == "mountPoint":
        return "a mount URL is not copied with credentials in it; give them in encryptOptions"
    if kind == "Dataset" and path[1:2] in (("mounts",), ("sharedOptions",)):
        return "move it to encryptOptions (a Secret reference), so its value never lands in git"
    return (
        "credentials belong in a Secret, such as a Dataset mount's encryptOptions, "
        "so they never land in git"
    )


def secrets_inside(data: Any, path: FieldPath) -> list[FieldPath]:
    """Where a document holds a Secret: itself (any casing, SecretList) or any List's items."""
    if not isinstance(data, dict):
        return []
    kind = data.get("kind")
    kind = kind.lower() if isinstance(kind, str) else ""
    if kind in ("secret", "secretlist"):
        return [(*path, "kind")]
    items = data.get("items")
    if not kind.endswith("list") or not isinstance(items, list):
        return []
    return [
        found
        for index, item in enumerate(items)
        for found in secrets_inside(item, (*path, "items", index))
    ]
