"""Asking an Alluxio master over HTTP (`GET /api/v1/master/info`), with a timeout and a size cap."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from fluid_render.sync.master import MasterError, MasterReport, parse_info

INFO_PATH = "/api/v1/master/info"
_MAX_BODY = 8 * 1024 * 1024


def fetch_report(host: str, port: int, timeout: float) -> MasterReport:
    """Ask one master; raises MasterError on any failure (the caller logs and retries later)."""
    url = f"http://{host}:{port}{INFO_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read(_MAX_BODY + 1)
    except (OSError, urllib.error.URLError) as error:
        raise MasterError(f"{url}: {error}") from None
    if len(body) > _MAX_BODY:
        raise MasterError(f"{url}: answer larger than {_MAX_BODY} bytes")
    try:
        return parse_info(json.loads(body))
    except ValueError as error:
        raise MasterError(f"{url}: {error}") from None
