"""Dataset mounts: native ones become volumes, the rest become the master's mount table
(upstream `pkg/ddc/alluxio/transform_ufs.go`, `ufs.go`).

Credentials never enter a ConfigMap: encrypt options are mounted from their Secret and named by
file path, and the master's entrypoint reads the file at start (plaintext ones were refused by
fluid_render.credentials before planning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fluid_render.api import Dataset
from fluid_render.api.common import DNS1123_LABEL
from fluid_render.errors import Problem
from fluid_render.plan.naming import fit
from fluid_render.validate import Spec

ROOT_UFS = "/underFSStorage"
SECRETS_ROOT = "/etc/fluid/secrets"
_LABEL = re.compile(DNS1123_LABEL)
_BLANK = re.compile(r"\s")


@dataclass(frozen=True)
class SecretVolume:
    volume: str
    secret: str

    @property
    def mount_path(self) -> str:
        return f"{SECRETS_ROOT}/{self.secret}"


@dataclass(frozen=True)
class Mounts:
    """Everything the mounts decide: the mount table, UFS volumes, secrets, the root UFS."""

    table: tuple[str, ...]
    volumes: tuple[dict[str, Any], ...]
    volume_mounts: tuple[dict[str, Any], ...]
    secrets: tuple[SecretVolume, ...]
    root_ufs: str
    root_properties: tuple[tuple[str, str], ...]
    all_http: bool
    has_local: bool


_TABLE_ESCAPES = str.maketrans({"\\": "\\\\", " ": "\\x20", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def table_field(text: str) -> str:
    """One field of a mount-table line, as `mount.sh` reads it (`read -a`, then `printf %b`):
    a backslash, space, tab or line break is written as its `printf %b` escape."""
    return text.translate(_TABLE_ESCAPES)


def alluxio_path(name: str, path: str | None) -> str:
    return path if path and path.startswith("/") else "/" + name.lstrip("/")


def plan_mounts(spec: Spec[Dataset], problems: list[Problem]) -> Mounts:
    # Long: one pass sorts each mount into a native volume (local://, pvc://) or a line of the
    # mount table with its options and secrets; the root-mount rule reads the table it built.
    dataset = spec.model.spec
    mounts = list(dataset.mounts or [])
    shared = dict(dataset.shared_options or {})
    table: list[str] = []
    volumes: dict[str, dict[str, Any]] = {}
    volume_mounts: list[dict[str, Any]] = []
    secrets: dict[str, SecretVolume] = {}
    option_pairs: list[list[tuple[str, str]]] = []
    for index, mount in enumerate(mounts):
        where = ("spec", "mounts", index)
        target = alluxio_path(mount.name or "", mount.path)
        scheme, _, rest = mount.mount_point.partition("://")
        container_path = ROOT_UFS + (target if target != "/" else "/")
        if scheme in ("local", "pvc"):
            if scheme == "local":
                volume = mount.name or ""
                source: dict[str, Any] = {"hostPath": {"path": rest, "type": ""}}
                sub_path = None
            else:
                volume, _, sub_path = rest.partition("/")
                source = {"persistentVolumeClaim": {"claimName": volume}}
            if not _LABEL.fullmatch(volume) or len(volume) > 63:
                field = "name" if scheme == "local" else "mountPoint"
                problems.append(
                    Problem(
                        spec.at(*where, field),
                        f"spec.mounts[{index}].{field}",
                        f"{volume!r} must be a valid volume name (lower-case "
                        "letters, digits and '-', at most 63)",
                    )
                )
                continue
            volumes.setdefault(volume, {"name": volume, **source})
            entry: dict[str, Any] = {"name": volume, "mountPath": container_path}
            if sub_path:
                entry["subPath"] = sub_path.rstrip("/")
            volume_mounts.append(entry)
            continue
        options = {**shared, **(mount.options or {})}
        problems += _option_problems(spec, index, mount.mount_point, options, target == "/")
        encrypted = []
        for option in [*(dataset.shared_encrypt_options or []), *(mount.encrypt_options or [])]:
            ref = option.value_from.secret_key_ref
            key = ref.key or option.name
            secrets.setdefault(
                ref.name, SecretVolume(fit(f"alluxio-mount-secret-{ref.name}"), ref.name)
            )
            encrypted.append((option.name, f"{SECRETS_ROOT}/{ref.name}/{key}"))
        line = f"{target} {mount.mount_point}"
        line += " --readonly" if mount.read_only else ""
        line += " --shared" if mount.shared else ""
        pairs = sorted(options.items()) + sorted(encrypted)
        line += "".join(f" --option {table_field(f'{k}={v}')}" for k, v in pairs)
        table.append(line)
        option_pairs.append(pairs)
    root_ufs = ROOT_UFS
    root_properties: tuple[tuple[str, str], ...] = ()
    if len(mounts) == 1 and len(table) == 1:
        only = mounts[0]
        if alluxio_path(only.name or "", only.path) == "/":
            root_ufs, root_properties = only.mount_point, tuple(option_pairs[0])
    return Mounts(
        table=tuple(table),
        volumes=tuple(volumes[name] for name in volumes),
        volume_mounts=tuple(volume_mounts),
        secrets=tuple(secrets[name] for name in sorted(secrets)),
        root_ufs=root_ufs,
        root_properties=root_properties,
        all_http=all(m.mount_point.startswith(("http://", "https://")) for m in mounts),
        has_local=any(m.mount_point.startswith("local://") for m in mounts),
    )


def _option_problems(
    spec: Spec[Dataset], index: int, mount_point: str, options: dict[str, str], root: bool
) -> list[Problem]:
    """Any option value reaches `alluxio fs mount` intact (upstream passes options as
    arguments), except NUL, which no argument can hold, and white space in the root mount's
    options, which become JVM options that Alluxio's scripts split at spaces."""
    where = spec.at("spec", "mounts", index)
    field = f"spec.mounts[{index}]"
    problems = []
    if _BLANK.search(mount_point):
        problems.append(Problem(where, field, "mountPoint: white space is not allowed"))
    for key, value in options.items():
        if _BLANK.search(key):
            problems.append(Problem(where, field, f"{key}: white space is not allowed in keys"))
        elif "\x00" in value:
            problems.append(Problem(where, field, f"{key}: a NUL character is not allowed"))
        elif root and _BLANK.search(value):
            message = (
                f"{key}: the root mount's options become JVM options, which cannot hold "
                "white space; give the mount a name to mount it below /"
            )
            problems.append(Problem(where, field, message))
    return problems
