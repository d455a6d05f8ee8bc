"""Loopback-only stand-ins for the network, shared by the download tests."""

from __future__ import annotations

import socket


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hosts_point_to(monkeypatch, port: int) -> list[str]:
    """Resolve every hostname to 127.0.0.1:``port``; return the list of names looked up."""
    looked_up: list[str] = []

    def fake(host, port_, *args, **kwargs):
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return looked_up
