"""An Alluxio master double: `GET /api/v1/master/info` answers with a recorded response shape
(tests/data/sync/alluxio-master-info.json: the fields of Alluxio 2.9's `AlluxioMasterInfo`,
values our own). Faults: an HTTP status, a malformed body, or a slow answer."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

INFO = json.loads(
    (Path(__file__).parent / "data" / "sync" / "alluxio-master-info.json").read_text()
)


class FakeMaster:
    def __init__(self) -> None:
        self.info: dict[str, Any] = json.loads(json.dumps(INFO))
        self.fail_with: int | None = None
        self.garbage = False
        self.delay = 0.0
        self.calls = 0
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> int:
        master = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                master.calls += 1
                time.sleep(master.delay)
                if self.path != "/api/v1/master/info" or master.fail_with:
                    self.send_response(master.fail_with or 404)
                    self.end_headers()
                    return
                body = b"<html>not json" if master.garbage else json.dumps(master.info).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return int(self.server.server_address[1])

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
