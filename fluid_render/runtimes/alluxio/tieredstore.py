"""Cache tiers: Alluxio's level options and the worker/FUSE volumes behind them
(upstream `transform.go`, `transformCommonPart`; `pkg/utils/tieredstore`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fluid_render.api import AlluxioRuntime
from fluid_render.errors import Problem
from fluid_render.plan import quantity
from fluid_render.validate import Spec

MEDIUM_ORDER = ("MEM", "SSD", "HDD")


@dataclass(frozen=True)
class TierVolume:
    name: str
    path: str
    source: dict[str, Any]
    host_path: bool


@dataclass(frozen=True)
class Tier:
    """One level as Alluxio sees it; `volumes` back its paths in worker (and FUSE) pods."""

    level: int
    alias: str
    mediumtype: str
    paths: str
    quotas: str
    volumes: tuple[TierVolume, ...]
    path_bytes: tuple[int, ...]

    def options(self) -> list[str]:
        prefix = f"-Dalluxio.worker.tieredstore.level{self.level}"
        return [
            f"{prefix}.alias={self.alias}",
            f"{prefix}.dirs.mediumtype={self.mediumtype}",
            f"{prefix}.dirs.path={self.paths}",
            f"{prefix}.dirs.quota={self.quotas}",
        ]


def plan_tiers(spec: Spec[AlluxioRuntime], problems: list[Problem]) -> tuple[Tier, ...]:
    """Levels in spec order, numbered by medium (MEM < SSD < HDD); the chart's default if none."""
    # Long: one pass over the levels builds each tier (paths, quotas, volumes) and checks it
    # against the levels before it (a medium used twice), reporting every problem at once.
    tieredstore = spec.model.spec.tiered_store
    levels = list(tieredstore.levels or []) if tieredstore is not None else []
    if not levels:
        default = TierVolume(
            "mem",
            "/dev/shm",
            {"emptyDir": {"medium": "Memory", "sizeLimit": "1G"}},
            host_path=False,
        )
        return (Tier(0, "MEM", "MEM", "/dev/shm", "1G", (default,), ()),)
    media = [level.medium_type for level in levels]
    distinct = sorted(set(media), key=MEDIUM_ORDER.index)
    tiers = []
    for index, level in enumerate(levels):
        where = ("spec", "tieredstore", "levels", index)
        if media.count(level.medium_type) > 1:
            problems.append(
                Problem(
                    spec.at(*where, "mediumtype"),
                    f"spec.tieredstore.levels[{index}].mediumtype",
                    f"{level.medium_type} is used by more than one level",
                )
            )
            continue
        paths = [p.rstrip("/") or "/" for p in level.path.split(",")]
        full = [f"{p.rstrip('/')}/{spec.namespace}/{spec.name}" for p in paths]
        if level.quota_list is not None:
            written = [q.strip() for q in level.quota_list.split(",")]
            quotas = [alluxio_size(q) for q in written]
            amounts = [quantity.to_bytes(q) for q in written]
        else:
            assert level.quota is not None  # the model requires quota or quotaList
            each = quantity.to_bytes(level.quota) // len(paths)
            quotas = [tier_quota(each)] * len(paths)
            amounts = [each] * len(paths)
        empty_dir = level.volume_type == "emptyDir"
        medium: str = level.medium_type
        if empty_dir and level.volume_source and "emptyDir" in level.volume_source:
            medium = str((level.volume_source["emptyDir"] or {}).get("medium", ""))
        volumes = []
        for i, (path, amount_text) in enumerate(zip(full, quotas, strict=True)):
            name = (
                level.medium_type.lower() if len(full) == 1 else f"{level.medium_type.lower()}-{i}"
            )
            if empty_dir:
                source: dict[str, Any] = {"emptyDir": {"sizeLimit": amount_text.replace("B", "i")}}
                if level.medium_type == "MEM":
                    source = {"emptyDir": {"medium": "Memory", **source["emptyDir"]}}
            else:
                source = {"hostPath": {"path": path, "type": "DirectoryOrCreate"}}
            volumes.append(TierVolume(name, path, source, host_path=not empty_dir))
        tiers.append(
            Tier(
                level=distinct.index(level.medium_type),
                alias=level.medium_type,
                mediumtype=",".join([medium] * len(full)),
                paths=",".join(full),
                quotas=",".join(quotas),
                volumes=tuple(volumes),
                path_bytes=tuple(amounts),
            )
        )
    return tuple(tiers)


def memory_bytes(tiers: tuple[Tier, ...]) -> int:
    """What one worker caches in memory: the sum of the MEM tier's per-path quotas."""
    return sum(sum(t.path_bytes) for t in tiers if t.alias == "MEM")


def tier_quota(amount: int) -> str:
    """Alluxio's spelling of a per-path tier quota: binary canonical form with `i` turned to `B`."""
    return alluxio_size(quantity.canonical(amount, binary=True))


def alluxio_size(text: str) -> str:
    """`3Gi` -> `3GB`: Alluxio reads binary sizes with a `B` suffix."""
    return text[:-1] + "B" if text.endswith("i") else text
