"""Helpers to drive the reviewer page like a browser: read tokens, sign in, post forms."""

from __future__ import annotations

import re
from typing import Any

import httpx

FORM = {"content-type": "application/x-www-form-urlencoded"}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no hidden field {name!r} in the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await client.get("/ui/sign-in")
    assert form.status_code == 200, form.text[:300]
    return await client.post("/ui/sign-in", data={"csrf": hidden(form.text, "csrf"),
                                                  "api_key": key})


async def open_as(client: httpx.AsyncClient, key: str, path: str) -> httpx.Response:
    """Sign in with `key`, then GET `path`: a reviewer opening a page."""
    await sign_in(client, key)
    return await client.get(path)


async def post_answer(client: httpx.AsyncClient, job_id: str, fields: dict[str, Any],
                      *, page: str | None = None) -> httpx.Response:
    """Submit the job page's form: its hidden fields (csrf, prompt_id, response_id) plus
    `fields`, as the browser would."""
    html = page or (await client.get(f"/ui/jobs/{job_id}")).text
    data = {"csrf": hidden(html, "csrf"), "prompt_id": hidden(html, "prompt_id"),
            "response_id": hidden(html, "response_id"), **fields}
    return await client.post(f"/ui/jobs/{job_id}/answer", data=data)
