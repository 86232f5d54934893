"""One log line per event, text or JSON, and errors logged once per streak."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any

LOGGER = "fluid_render.sync"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, sort_keys=True, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in sorted(getattr(record, "fields", {}).items()))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        return f"{stamp} {record.levelname.lower()} {record.getMessage()}" + (
            f" {fields}" if fields else ""
        )


def setup(log_format: str) -> logging.Logger:
    """The syncer's logger, writing to stderr (stdout carries only dry-run patches)."""
    logger = logging.getLogger(LOGGER)
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def event(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    logger.log(level, message, extra={"fields": fields})


class Streaks:
    """Failing things by key: the first failure of a streak is logged, the rest only counted,
    and the recovery is logged once. Keys not touched in a pass are forgotten (bounded)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._failing: dict[str, int] = {}
        self._touched: set[str] = set()
        self._lock = threading.Lock()

    def failed(self, key: str, error: object, **fields: Any) -> None:
        with self._lock:
            self._touched.add(key)
            count = self._failing.get(key, 0)
            self._failing[key] = count + 1
        if count == 0:
            event(self.logger, logging.WARNING, "failing", what=key, error=str(error), **fields)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._touched.add(key)
            count = self._failing.pop(key, 0)
        if count:
            event(self.logger, logging.INFO, "recovered", what=key, failures=count)

    def end_pass(self) -> None:
        with self._lock:
            for key in set(self._failing) - self._touched:
                if not key.startswith("watch "):
                    del self._failing[key]
            self._touched.clear()
