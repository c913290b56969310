"""A real SFTP server on loopback (asyncssh) standing in for SNG in the demo and the tests.

Public-key and password authentication, a chroot folder, its own host key, and switches to make
it misbehave the way real servers do (refuse writes, refuse renames, drop the connection in the
middle of an upload). Not used in Azure.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from devtools.devservices import free_port


@dataclass
class Faults:
    deny_write: bool = False
    deny_rename: bool = False
    cut_after_bytes: int | None = None  # drop the connection once this many bytes were written
    cuts_left: int = 0  # how many uploads to cut (then behave)


class SftpTestServer:
    def __init__(self, root: Path, *, username: str = "sng", password: str | None = None,
                 client_key_type: str = "ssh-ed25519") -> None:
        import asyncssh

        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key(client_key_type)
        self.port = free_port()
        self.faults = Faults()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._acceptor = None

    # what a client needs to know
    @property
    def host_key_line(self) -> str:
        return self.host_key.export_public_key("openssh").decode().strip()

    @property
    def client_private_key(self) -> str:
        return self.client_key.export_private_key("openssh").decode()

    def start(self) -> SftpTestServer:
        import asyncssh

        server = self
        faults = self.faults

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return server.password is not None

            def validate_password(self, username: str, password: str) -> bool:
                return username == server.username and password == server.password

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key) -> bool:
                return (username == server.username
                        and key.public_data == server.client_key.public_data)

        class Sftp(asyncssh.SFTPServer):
            def __init__(self, chan) -> None:
                super().__init__(chan, chroot=str(server.root).encode())

            def open(self, path, pflags, attrs):
                if faults.deny_write and pflags & asyncssh.FXF_WRITE:
                    raise asyncssh.SFTPPermissionDenied("write denied")
                return super().open(path, pflags, attrs)

            def write(self, file_obj, offset, data):
                if (faults.cut_after_bytes is not None and faults.cuts_left > 0
                        and offset + len(data) > faults.cut_after_bytes):
                    faults.cuts_left -= 1
                    self.connection.abort()
                    raise asyncssh.SFTPConnectionLost("cut")
                return super().write(file_obj, offset, data)

            def rename(self, oldpath, newpath):
                if faults.deny_rename:
                    raise asyncssh.SFTPPermissionDenied("rename denied")
                return super().rename(oldpath, newpath)

            def posix_rename(self, oldpath, newpath):
                if faults.deny_rename:
                    raise asyncssh.SFTPPermissionDenied("rename denied")
                return super().posix_rename(oldpath, newpath)

        async def serve():
            return await asyncssh.create_server(
                Server, "127.0.0.1", self.port, server_host_keys=[self.host_key],
                sftp_factory=Sftp, allow_scp=False, line_editor=False)

        self._thread.start()
        self._acceptor = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        async def shutdown():
            if self._acceptor is not None:
                self._acceptor.close()
                await self._acceptor.wait_closed()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._acceptor = None

    def files(self) -> dict[str, bytes]:
        return {p.relative_to(self.root).as_posix(): p.read_bytes()
                for p in sorted(self.root.rglob("*")) if p.is_file()}

    def __enter__(self) -> SftpTestServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
