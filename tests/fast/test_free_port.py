"""Ports chosen for test and benchmark servers stay theirs until those servers bind them."""

from __future__ import annotations

import errno
import socket

import pytest

from devstack.processes import free_port


def test_free_port_is_held_back_from_the_os_but_bindable_with_reuseaddr() -> None:
    port = free_port()

    # The kernel counts the port as taken (TIME_WAIT): a plain bind, like bind(0)'s own
    # choice, cannot have it, so the dev server's internal services will not pick it.
    with socket.socket() as plain, pytest.raises(OSError) as taken:
        plain.bind(("127.0.0.1", port))
    assert taken.value.errno == errno.EADDRINUSE

    # Servers bind with SO_REUSEADDR (Go, uvicorn, http.server, tokio), and get it.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


def test_free_ports_differ() -> None:
    ports = {free_port() for _ in range(50)}
    assert len(ports) == 50
