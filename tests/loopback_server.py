"""One real HTTP server on 127.0.0.1 for the tests' stand-ins (webhook receivers, model servers).

Each stand-in only writes its handler; the port, the serving thread, the quiet log and the
shutdown are the same for all of them, so they live here.
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean: no access log on stderr."""

    def log_message(self, *args: Any) -> None:
        pass


class LoopbackServer:
    """A threaded HTTP server on a free port of 127.0.0.1, served by a daemon thread.

    `url` is the server's address plus `path`; with `tls` the socket speaks HTTPS.
    Close it when done: `with Server(...) as server:` does."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], path: str = "", *,
                 tls: ssl.SSLContext | None = None, poll_interval: float = 0.5) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_port
        scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": poll_interval}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
