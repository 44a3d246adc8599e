"""Loopback servers that misbehave on purpose: each connection runs a script of raw writes.

Requests are parsed with h11 (the parser httpx itself uses); answers are written byte by byte as
each test's script says, since a well-behaved server framework cannot lie about a length or
trickle. Every server binds 127.0.0.1, and stops its threads when the test ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import h11

#: A connection's script: it gets the socket and a function reading the next request.
Script = Callable[["Connection"], None]
#: Longest a server thread lingers after its test.
JOIN_SECONDS = 5.0


@dataclass
class Connection:
    """One accepted connection, for a script to read requests from and write answers to."""

    sock: socket.socket
    stopping: threading.Event
    requests: list[h11.Request]

    def read_request(self) -> h11.Request | None:
        """The next whole request on this connection, or None when the client closed it."""
        parser = h11.Connection(h11.SERVER)
        request = None
        while True:
            event = parser.next_event()
            if event is h11.NEED_DATA:
                try:
                    parser.receive_data(self.sock.recv(65536))
                except OSError:
                    return None
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.EndOfMessage):
                self.requests.append(request)
                return request
            elif isinstance(event, h11.ConnectionClosed):
                return None

    def send(self, data: bytes) -> bool:
        """Write `data`; False once the client has gone or the test has ended."""
        if self.stopping.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def wait(self, seconds: float) -> bool:
        """Sleep; False when the test ended meanwhile."""
        return not self.stopping.wait(seconds)


def head(status: int, *headers: str) -> bytes:
    """A status line and headers, as a script writes them."""
    lines = [f"HTTP/1.1 {status} X", *headers, "", ""]
    return "\r\n".join(lines).encode()


@dataclass
class HostileServer:
    """Where the server listens, and what it saw."""

    url: str
    requests: list[h11.Request] = field(default_factory=list)
    connections: int = 0


@contextmanager
def hostile_server(*scripts: Script) -> Iterator[HostileServer]:
    """Serve on 127.0.0.1: the n-th connection runs scripts[n] (the last one repeats)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    server = HostileServer(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stopping = threading.Event()
    workers: list[threading.Thread] = []

    def run(sock: socket.socket, script: Script) -> None:
        with sock:
            script(Connection(sock, stopping, server.requests))

    def accept() -> None:
        while not stopping.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            script = scripts[min(server.connections, len(scripts) - 1)]
            server.connections += 1
            worker = threading.Thread(target=run, args=(sock, script), daemon=True)
            workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stopping.set()
        acceptor.join(JOIN_SECONDS)
        listener.close()
        for worker in workers:
            worker.join(JOIN_SECONDS)
