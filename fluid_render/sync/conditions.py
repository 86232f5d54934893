"""Conditions and times in upstream's formats (`pkg/utils/runtime_condition.go`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


def condition(
    kind: str, status: bool, reason: str, message: str, now: str, probe: str = "lastProbeTime"
) -> dict[str, Any]:
    """A runtime/operation condition; a Dataset's names its probe time `lastUpdateTime`."""
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        probe: now,
        "lastTransitionTime": now,
    }


def merge_conditions(
    old: Sequence[Mapping[str, Any]] | None, new: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Old conditions of other types stay; a condition whose status, reason and message did not
    change keeps its old times, so an unchanged state writes nothing (`UpdateRuntimeCondition`)."""
    previous = {c.get("type"): c for c in old or [] if isinstance(c, Mapping)}
    merged = [dict(c) for c in old or [] if isinstance(c, Mapping)]
    for cond in new:
        before = previous.get(cond["type"])
        if before is not None and all(
            before.get(k) == cond[k] for k in ("status", "reason", "message")
        ):
            continue
        entry = dict(cond)
        if before is not None and before.get("status") == cond["status"]:
            entry["lastTransitionTime"] = before.get(
                "lastTransitionTime", cond["lastTransitionTime"]
            )
        merged = [c for c in merged if c.get("type") != cond["type"]] + [entry]
    return merged


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def go_duration(start: Any, end: Any) -> str | None:
    """Go's `time.Duration.Round(time.Second).String()` of end - start (`CalculateDuration`)."""
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None:
        return None
    seconds = max(0, round((last - first).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
