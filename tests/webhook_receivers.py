"""Real HTTP webhook receivers on 127.0.0.1 for the webhook tests, scripted per request."""

from __future__ import annotations

import re
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.loopback_server import LoopbackServer, QuietHandler

README = Path(__file__).resolve().parent.parent / "README.md"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    # Chunks of the body; an endless iterator streams until the client hangs up.
    chunks: Iterator[bytes] | None = None
    # Seconds to wait before answering at all.
    delay: float = 0.0


class Receiver(LoopbackServer):
    """A threaded HTTP server that records each POST and answers as `script` says."""

    def __init__(self, script: Callable[[Received], Answer] | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.script = script or (lambda _: Answer())
        self.received: list[Received] = []
        # With `tls`: HTTPS, and the server names (SNI) the clients asked for.
        self.server_names: list[str | None] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.path, dict(self.headers), self.rfile.read(length))
                with receiver.lock:
                    receiver.received.append(got)
                answer = receiver.script(got)
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.chunks is None:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in answer.chunks:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a read limit does
                self.close_connection = True

        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
        super().__init__(Handler, "/hook", tls=tls, poll_interval=0.05)

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.received]


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` (and its key), made by the openssl command line."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key


def endless(chunk: bytes = b"x" * 4096) -> Iterator[bytes]:
    """A response body that never ends."""
    while True:
        yield chunk


def readme_verifier() -> Callable[..., bool]:
    """`verify_webhook` from the README's receiver snippet, run as written."""
    text = README.read_text()
    match = re.search(r"```python\n(import hashlib\n.*?def verify_webhook.*?)```", text, re.S)
    assert match, "the README lost its verify_webhook snippet"
    scope: dict[str, Any] = {}
    exec(match.group(1), scope)
    verify: Callable[..., bool] = scope["verify_webhook"]
    return verify
