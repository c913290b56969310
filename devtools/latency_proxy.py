"""A TCP proxy on loopback that adds a fixed one-way delay in both directions (a delay line).

Benchmarks put it between the SFTP client and a real server on the same machine, so that every
SFTP request pays a round trip like one to SNG over the internet (default 25 ms each way, about
50 ms per request and answer) without limiting throughput: each chunk read is forwarded at its
arrival time plus the delay, while reading goes on meanwhile, so a pipelined upload still flows
at full speed after the first delay. Order is kept per direction; an end of stream (half close)
is delayed like data; a reset on one side aborts the other.

    with LatencyProxy(sshd_port, delay=0.025) as proxy:
        connect to 127.0.0.1:proxy.port

    .venv/bin/python -m devtools.latency_proxy TARGET_PORT --delay-ms 25   # until Ctrl-C

Not used in Azure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import threading

CHUNK = 64 * 1024
# Chunks waiting in one direction's delay line before reading pauses (flow control):
# 1024 x 64 KiB = 64 MiB in flight, far above any bandwidth-delay product used here.
MAX_IN_FLIGHT = 1024


class LatencyProxy:
    """Listens on ``127.0.0.1:port`` and forwards each connection to ``target_host:target_port``,
    every chunk delayed by ``delay`` seconds each way. Runs its own event loop on a thread."""

    def __init__(self, target_port: int, *, delay: float = 0.025, target_host: str = "127.0.0.1",
                 port: int | None = None) -> None:
        if delay < 0:
            raise ValueError("delay must not be negative")
        self.target_host = target_host
        self.target_port = target_port
        self.delay = delay
        self.port = port or 0  # 0: a free one, known once started
        self.connections = 0  # accepted so far
        self.open_connections = 0  # being forwarded now
        self.errors: list[str] = []  # what broke a connection (type names), for the tests
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="latency-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LatencyProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", self.port), self._loop)
        self._server = future.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._server = None
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- one connection ----------------------------------------------------------------------
    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self.connections += 1
        self.open_connections += 1
        server_writer = None
        try:
            try:
                server_reader, server_writer = await asyncio.open_connection(self.target_host,
                                                                             self.target_port)
            except OSError as exc:
                self.errors.append(type(exc).__name__)
                return
            for writer in (client_writer, server_writer):
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait on top
            lines = {asyncio.create_task(self._line(client_reader, server_writer, client_writer)),
                     asyncio.create_task(self._line(server_reader, client_writer, server_writer))}
            try:
                done, _ = await asyncio.wait(lines, return_when=asyncio.FIRST_EXCEPTION)
                broken = [t.exception() for t in done if t.exception() is not None]
                if broken:  # a reset on one side: the other side is cut too
                    self.errors.extend(type(exc).__name__ for exc in broken)
                    for writer in (client_writer, server_writer):
                        writer.transport.abort()
            finally:
                for line in lines:
                    line.cancel()
                await asyncio.gather(*lines, return_exceptions=True)
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
            self.open_connections -= 1
            self._tasks.discard(task)

    async def _line(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    source: asyncio.StreamWriter) -> None:
        """One direction, from ``reader`` (whose own connection is ``source``) to ``writer``:
        read as fast as chunks come, release each at its arrival + delay, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(MAX_IN_FLIGHT)

        async def release() -> None:
            while True:
                due, data = await queue.get()
                while (wait := due - loop.time()) > 0:  # never early, whatever the timer does
                    await asyncio.sleep(wait)
                if not data:  # the end of the stream, delayed like data
                    if writer.can_write_eof() and not writer.is_closing():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        def on_release_end(task: asyncio.Task) -> None:
            if not task.cancelled() and task.exception() is not None:
                source.transport.abort()  # the far side broke: stop reading this side too

        releaser = asyncio.create_task(release())
        releaser.add_done_callback(on_release_end)
        try:
            while True:
                data = await reader.read(CHUNK)
                if releaser.done():  # the far side broke (its error is raised below)
                    break
                await queue.put((loop.time() + self.delay, data))
                if not data:
                    break
            await releaser
        finally:
            if not releaser.done():
                releaser.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await releaser


def main() -> int:
    parser = argparse.ArgumentParser(description="TCP delay line on loopback (both directions)")
    parser.add_argument("target_port", type=int)
    parser.add_argument("--target-host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="listen port (default: a free one)")
    parser.add_argument("--delay-ms", type=float, default=25.0, help="one-way delay (default 25)")
    args = parser.parse_args()
    with LatencyProxy(args.target_port, delay=args.delay_ms / 1000, target_host=args.target_host,
                      port=args.port) as proxy:
        print(f"127.0.0.1:{proxy.port} -> {args.target_host}:{args.target_port}, "
              f"{args.delay_ms:g} ms each way; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
