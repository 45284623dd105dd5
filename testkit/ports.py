"""Free TCP ports for servers started by tests and the benchmark (never 5005/5055/8080)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on right now, on 127.0.0.1 (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
