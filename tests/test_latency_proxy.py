"""The benchmarks' latency proxy (devtools/latency_proxy.py) against real sockets on loopback:
bytes pass intact both ways under concurrency, every direction waits at least the delay,
connections close cleanly (half close, server close, reset, no target, proxy stopped), and a
real SFTP upload goes through it. Timings are asserted only as lower bounds."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools.latency_proxy import LatencyProxy


class TcpServer:
    """A threaded TCP server on loopback; ``handle(conn)`` runs per connection."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # a client that went away
            self.handle(self, conn)

    def __enter__(self) -> TcpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        self.sock.close()


def echo(server: TcpServer, conn: socket.socket) -> None:
    """Echo every byte; at the client's end of stream, close (after all was sent back)."""
    seen = []
    while data := conn.recv(65536):
        seen.append(data)
        conn.sendall(data)
    server.received.append(b"".join(seen))


def read_all(sock: socket.socket) -> bytes:
    parts = []
    while data := sock.recv(65536):
        parts.append(data)
    return b"".join(parts)


def closed(sock: socket.socket) -> bool:
    """The connection was ended: an end of stream or a reset (never data, never a time-out)."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def exchange(port: int, payload: bytes) -> bytes:
    """Send ``payload`` in uneven pieces while reading the echo on another thread; half close;
    return all that came back before the proxy closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(read_all(sock)))
        reader.start()
        offset, step = 0, 1
        while offset < len(payload):
            sock.sendall(payload[offset:offset + step])
            offset += step
            step = step * 7 % 150_001 + 1  # pieces from 1 byte to ~150 kB
        sock.shutdown(socket.SHUT_WR)
        reader.join(timeout=60)
        assert not reader.is_alive()
        return got[0]


def test_bytes_pass_intact_both_ways_for_concurrent_connections():
    payloads = [os.urandom(size) for size in (1, 1000, 300_000, 2_000_000, 3_000_000, 65_536, 7, 1_234_567)]
    with TcpServer(echo) as server, LatencyProxy(server.port, delay=0.01) as proxy, \
            ThreadPoolExecutor(len(payloads)) as pool:
        echoed = list(pool.map(lambda p: exchange(proxy.port, p), payloads))
        assert wait_until(lambda: proxy.open_connections == 0)
        assert wait_until(lambda: len(server.received) == len(payloads))
    for sent, back in zip(payloads, echoed, strict=True):
        assert hashlib.sha256(back).hexdigest() == hashlib.sha256(sent).hexdigest()
    # what the server received (client -> server) is intact too, each payload once
    assert sorted(h.hexdigest() for h in map(hashlib.sha256, server.received)) == \
        sorted(hashlib.sha256(p).hexdigest() for p in payloads)
    assert proxy.connections == len(payloads) and proxy.errors == []


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.12])
def test_each_direction_waits_at_least_the_delay(delay):
    with TcpServer(echo) as server, LatencyProxy(server.port, delay=delay) as proxy, \
            socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(5):
            message = struct.pack(">I", i) * 4
            started = time.monotonic()
            sock.sendall(message)
            back = b""
            while len(back) < len(message):
                back += sock.recv(64)
            elapsed = time.monotonic() - started
            assert back == message
            assert elapsed >= 2 * delay  # there and back: the delay twice (no upper bound)


def test_the_delay_holds_for_the_first_bytes_a_server_sends():
    def greet(server, conn):
        conn.sendall(b"SSH-2.0-greeting\r\n")
        conn.recv(10)

    with TcpServer(greet) as server, LatencyProxy(server.port, delay=0.1) as proxy:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            assert sock.recv(100) == b"SSH-2.0-greeting\r\n"
            assert time.monotonic() - started >= 0.1


def test_a_half_close_passes_and_the_answer_after_it_arrives():
    def answer_at_end(server, conn):
        data = read_all(conn)  # until the client's half close arrives
        conn.sendall(hashlib.sha256(data).digest())  # then answer and close

    payload = os.urandom(500_000)
    with TcpServer(answer_at_end) as server, LatencyProxy(server.port, delay=0.02) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            assert read_all(sock) == hashlib.sha256(payload).digest()  # then end of stream
        assert wait_until(lambda: proxy.open_connections == 0)
        assert proxy.errors == []


def test_a_server_that_closes_first_ends_the_client_connection_after_its_data():
    def say_and_close(server, conn):
        conn.sendall(b"x" * 200_000)

    with TcpServer(say_and_close) as server, LatencyProxy(server.port, delay=0.02) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            assert read_all(sock) == b"x" * 200_000
        assert wait_until(lambda: proxy.open_connections == 0)


def test_a_reset_by_the_server_cuts_the_client_too():
    def reset(server, conn):
        conn.recv(10)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close

    with TcpServer(reset) as server, LatencyProxy(server.port, delay=0.01) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(b"hello")
            assert closed(sock)
        assert wait_until(lambda: proxy.open_connections == 0)
        assert proxy.errors  # the reset was seen as one, not as an orderly end


def test_no_target_closes_the_client_connection():
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    with LatencyProxy(port, delay=0.01) as proxy, \
            socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        assert closed(sock)
        assert wait_until(lambda: proxy.open_connections == 0)
        assert proxy.errors == ["ConnectionRefusedError"]


def test_stopping_the_proxy_closes_open_connections():
    def hold(server, conn):
        conn.recv(10)

    with TcpServer(hold) as server:
        proxy = LatencyProxy(server.port, delay=0.01).start()
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        assert wait_until(lambda: proxy.open_connections == 1)
        proxy.stop()
        assert closed(sock)
        sock.close()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()


def test_a_negative_delay_is_refused():
    with pytest.raises(ValueError):
        LatencyProxy(1, delay=-0.001)


def test_a_real_sftp_upload_passes_through_the_proxy(tmp_path):
    from devtools.sftp_testserver import SftpTestServer
    from shared.adapters.sftp import Credentials, SftpDelivery
    from shared.config import SftpTarget

    data = os.urandom(3 * 1024 * 1024)
    with SftpTestServer(tmp_path / "sng") as sng, LatencyProxy(sng.port, delay=0.005) as proxy:
        target = SftpTarget(host="127.0.0.1", port=proxy.port, username="sng", host_key=sng.host_key_line,
                            secret_name="k", backoff_seconds=0, connect_timeout=10)
        result = SftpDelivery(target, Credentials(private_key=sng.client_private_key)).upload("VIA.csv", data)
        assert result.attempts == 1 and sng.files()["VIA.csv"] == data
        assert wait_until(lambda: proxy.open_connections == 0)
        assert proxy.connections == 1 and proxy.errors == []
