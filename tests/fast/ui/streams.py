"""Reading the page's event streams in-process (an httpx ASGI client buffers a stream to
its end, so this drives the ASGI app directly, as tests/fast/api/limits_support does)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from api.ui.session import COOKIE


@dataclass
class Message:
    event: str | None = None
    id: str | None = None
    data: str = ""


@dataclass
class OpenStream:
    """One GET held open until `close`; `messages` fill as the app sends them."""

    status: int
    headers: dict[str, str]
    messages: list[Message]
    task: asyncio.Task[None]
    _gone: asyncio.Event
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, ready: Callable[[list[Message]], bool]) -> None:
        """Wait (5 s at most) until the messages so far satisfy `ready`."""
        async with asyncio.timeout(5):
            while not ready(self.messages):
                if self.task.done():
                    raise AssertionError(f"the stream ended first: {self.messages}")
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        self._gone.set()
        await asyncio.wait_for(self.task, 5)


def parse(chunk: str) -> list[Message]:
    messages = []
    for block in chunk.replace("\r\n", "\n").split("\n\n"):
        message = Message()
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                message.event = value
            elif name == "id":
                message.id = value
            elif name == "data":
                message.data += value
        if message.event or message.data:
            messages.append(message)
    return messages


async def open_ui_stream(app: FastAPI, path: str, cookie: str | None, *,
                         headers: dict[str, str] | None = None) -> OpenStream:
    gone = asyncio.Event()
    loop = asyncio.get_running_loop()
    started: asyncio.Future[tuple[int, dict[str, str]]] = loop.create_future()
    messages: list[Message] = []
    requested = False
    stream: OpenStream | None = None

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start" and not started.done():
            started.set_result((message["status"], {k.decode().lower(): v.decode()
                                                    for k, v in message["headers"]}))
        elif message["type"] == "http.response.body":
            messages.extend(parse(message.get("body", b"").decode()))
            if stream is not None:
                stream._changed.set()

    path, _, query = path.partition("?")
    raw = [(b"host", b"127.0.0.1")]
    if cookie:
        raw.append((b"cookie", f"{COOKIE}={cookie}".encode()))
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "root_path": "", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80), "headers": raw,
    }
    task = asyncio.create_task(app(scope, receive, send))
    status, response_headers = await asyncio.wait_for(asyncio.shield(started), 5)
    stream = OpenStream(status, response_headers, messages, task, gone)
    return stream
