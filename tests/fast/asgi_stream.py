"""One GET held open against the ASGI app in-process, read with httpx-sse.

httpx's ASGITransport buffers a response to its end, so an event stream that stays
open would never come back; this transport hands the response over as soon as it
starts and feeds its body as the app sends it. Closing the response is the client
going away: the app hears `http.disconnect`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

ASGIApp = Callable[..., Any]


class _Body(httpx.AsyncByteStream):
    """The body as the app sends it; closing it tells the app the client went away."""

    def __init__(self, chunks: asyncio.Queue[bytes | None], gone: asyncio.Event) -> None:
        self._chunks = chunks
        self._gone = gone

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self._gone.set()


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Runs the app per request in a task (kept in `tasks`, in order) and streams its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tasks: list[asyncio.Task[None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        gone = asyncio.Event()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = (
            asyncio.get_running_loop().create_future())
        body = await request.aread()
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start" and not started.done():
                started.set_result((message["status"], list(message.get("headers", []))))
            elif message["type"] == "http.response.body" and message.get("body"):
                chunks.put_nowait(message["body"])

        async def run() -> None:
            try:
                await self.app(_scope(request), receive, send)
            finally:
                chunks.put_nowait(None)  # the body ends with the app
                if not started.done():
                    started.set_exception(AssertionError("the app ended without a response"))

        self.tasks.append(asyncio.create_task(run()))
        status, headers = await asyncio.wait_for(asyncio.shield(started), 5)
        return httpx.Response(status, headers=headers, stream=_Body(chunks, gone),
                              request=request)


def _scope(request: httpx.Request) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": request.method, "scheme": request.url.scheme, "root_path": "",
        "path": request.url.path, "raw_path": request.url.raw_path.split(b"?")[0],
        "query_string": request.url.query, "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
    }


@dataclass
class OpenStream:
    """One GET held open until `close`; `messages` fill as the app sends them."""

    response: httpx.Response
    task: asyncio.Task[None]  # the app serving it, then the reader draining what it sent
    messages: list[ServerSentEvent] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    async def until(self, ready: Callable[[list[ServerSentEvent]], bool]) -> None:
        """Wait (5 s at most) until the messages so far satisfy `ready`."""
        async with asyncio.timeout(5):
            while not ready(self.messages):
                if self.task.done():
                    raise AssertionError(f"the stream ended first: {self.messages}")
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        """The client goes away; the app's task must end."""
        await self.response.aclose()
        await asyncio.wait_for(self.task, 5)


async def open_stream(app: ASGIApp, path: str, headers: dict[str, str] | None = None
                      ) -> OpenStream:
    """Start the GET and return once the response has begun (its status known)."""
    transport = StreamingASGITransport(app)
    request = httpx.Request("GET", f"http://127.0.0.1{path}", headers=headers)
    response = await transport.handle_async_request(request)
    [served] = transport.tasks
    stream: OpenStream

    async def read() -> None:
        try:
            with contextlib.suppress(httpx.StreamClosed):  # closed by `close` before a read
                if response.headers.get("content-type", "").startswith("text/event-stream"):
                    async for message in EventSource(response).aiter_sse():
                        stream.messages.append(message)
                        stream._changed.set()
                else:
                    await response.aread()
            await served  # the app's own outcome: an exception it raised ends the stream
        finally:
            stream._changed.set()

    stream = OpenStream(response, asyncio.create_task(read()))
    return stream
