"""What the Alluxio master reports over its web port, read with HTTP (never `kubectl exec`).

Upstream runs `alluxio fsadmin report summary|metrics` in the master pod
(`pkg/ddc/alluxio/report.go`, `parseReportSummary`, `ParseReportMetric`) and
`alluxio fsadmin report metrics | grep Master.FilesCompleted` (`operations/base.go`,
`GetFileCount`). The same numbers come from one call to the master's REST endpoint
`GET /api/v1/master/info` (Alluxio `AlluxioMasterRestServiceHandler.getInfo`): `capacity`
(total/used bytes of the cache) and `metrics` (name -> value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FILES_COMPLETED = "Master.FilesCompleted"
BYTES_READ = ("Cluster.BytesReadLocal", "Cluster.BytesReadRemote", "Cluster.BytesReadUfsAll")
THROUGHPUT = (
    "Cluster.BytesReadLocalThroughput",
    "Cluster.BytesReadRemoteThroughput",
    "Cluster.BytesReadUfsThroughput",
)
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


class MasterError(Exception):
    """The master did not answer, or answered something unreadable."""


@dataclass(frozen=True)
class MasterReport:
    capacity_bytes: int
    used_bytes: int
    files: int | None
    bytes_read: tuple[float, float, float] | None
    throughput: tuple[float, float, float] | None


def human_bytes(amount: float) -> str:
    """Upstream's `utils.BytesSize`: two decimals, binary units (`4.00GiB`, `0.00B`)."""
    index = 0
    while amount >= 1024 and index < len(_UNITS) - 1:
        amount /= 1024
        index += 1
    return f"{amount:.2f}{_UNITS[index]}"


def parse_human_bytes(text: str) -> int | None:
    """The inverse of `human_bytes` (for `status.ufsTotal`), None when it is not a size."""
    for index in range(len(_UNITS) - 1, -1, -1):
        unit = _UNITS[index]
        if text.endswith(unit):
            try:
                return int(float(text[: -len(unit)]) * 1024**index)
            except ValueError:
                return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _triple(
    metrics: Mapping[str, Any], names: tuple[str, str, str]
) -> tuple[float, float, float] | None:
    values = [_number(metrics.get(name)) for name in names]
    if any(value is None for value in values):
        return None
    return (values[0] or 0.0, values[1] or 0.0, values[2] or 0.0)


def parse_info(info: Any) -> MasterReport:
    """The report in one `/api/v1/master/info` answer; raises MasterError when malformed."""
    if not isinstance(info, dict) or not isinstance(info.get("capacity"), dict):
        raise MasterError("master info has no capacity")
    total = _number(info["capacity"].get("total"))
    used = _number(info["capacity"].get("used"))
    if total is None or used is None:
        raise MasterError("master capacity is not numeric")
    raw = info.get("metrics")
    metrics: dict[str, Any] = raw if isinstance(raw, dict) else {}
    files = _number(metrics.get(FILES_COMPLETED))
    return MasterReport(
        capacity_bytes=int(total),
        used_bytes=int(used),
        files=int(files) if files is not None else None,
        bytes_read=_triple(metrics, BYTES_READ),
        throughput=_triple(metrics, THROUGHPUT),
    )


def _ratio(part: float, whole: float) -> str:
    return f"{part * 100.0 / whole:.1f}%" if whole else "0.0%"


def cache_states(report: MasterReport, ufs_total: str | None) -> dict[str, str]:
    """`status.cacheStates` in upstream's keys and formats.

    Hit ratios use the master's cumulative byte counters (upstream uses the delta over the
    last minute, which a restart would lose); throughput ratios use the current gauges.
    `cachedPercentage` needs the dataset's `ufsTotal`, as upstream (`patchDatasetStatus`).
    """
    states = {
        "cacheCapacity": human_bytes(report.capacity_bytes),
        "cached": human_bytes(report.used_bytes),
    }
    total = parse_human_bytes(ufs_total) if ufs_total else None
    if total:
        states["cachedPercentage"] = f"{report.used_bytes * 100.0 / total:.1f}%"
    if report.bytes_read is not None:
        states |= _shares(report.bytes_read, "HitRatio")
    if report.throughput is not None:
        states |= _shares(report.throughput, "ThroughputRatio")
    return states


def _shares(counts: tuple[float, float, float], suffix: str) -> dict[str, str]:
    """The local, remote and cached (local + remote) shares of what was read from the local
    worker, remote workers and the under storage, as upstream's `<x>HitRatio` and
    `<x>ThroughputRatio` keys."""
    local, remote, ufs = counts
    whole = local + remote + ufs
    return {
        f"local{suffix}": _ratio(local, whole),
        f"remote{suffix}": _ratio(remote, whole),
        f"cache{suffix}": _ratio(local + remote, whole),
    }
