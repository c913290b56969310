"""A real SFTP server on loopback (asyncssh) standing in for SNG in the demo and the tests.

Public-key and password authentication, a chroot folder, its own host key, and switches to make
it misbehave the way real servers do (refuse writes, refuse renames, drop the connection in the
middle of an upload, lose the end of a file, refuse to overwrite or remove, answer slowly, hold
or cut a rename, run out of disk, take a delivered file away). What clients did is kept in
``events`` (connections, opens for writing, removes, renames, files taken away), so tests can
check the behaviour a server sees. Not used in Azure.
"""

from __future__ import annotations

import asyncio
import errno
import os
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
    drop_tail_bytes: int = 0  # on closing a written file, lose its last bytes (a faulty disk)
    drops_left: int = 0  # how many written files lose their tail (then behave)
    refuse_overwrite: bool = False  # an existing file cannot be opened for writing (write-once)
    write_delay: float = 0.0  # seconds each write request takes (a slow link or disk)
    cuts_on_close_left: int = 0  # drop the connection when a written file is closed (all data in)
    cuts_on_stat_left: int = 0  # drop the connection when a client asks a .part file's size
    refuse_remove: bool = False  # removing any file is refused (permission denied)
    rename_delay: float = 0.0  # seconds a rename waits before it happens (a held rename)
    cuts_on_rename_left: int = 0  # rename, then drop the connection: the answer is lost
    cuts_before_rename_left: int = 0  # drop the connection when a rename is asked, not renaming
    take_away: bool = False  # the receiving side takes every renamed file away at once
    disk_capacity: int | None = None  # bytes the disk holds: a write beyond it fails (ENOSPC)
    bare_failures: bool = False  # a full disk answers a bare "Failure", as OpenSSH does; the free
    # space is then only told through statvfs@openssh.com
    fail_write_at: int | None = None  # the write at this offset fails once (later ones succeed)
    cuts_on_final_stat_left: int = 0  # drop the connection when a client asks a final file's size
    no_posix_rename: bool = False  # the posix-rename extension is not offered


class SftpTestServer:
    def __init__(self, root: Path, *, username: str = "sng", password: str | None = None,
                 client_key_type: str = "ssh-ed25519", window: int | None = None) -> None:
        """``window``: the SSH receive window per channel (asyncssh's default: 2 MiB); a small
        one keeps a client's writes in step with a slow server."""
        import asyncssh

        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key(client_key_type)
        self.port = free_port()
        self.window = window
        self.faults = Faults()
        # ("connect", "") per connection, ("open_write" | "remove", path), ("rename", old -> new);
        # paths as the client named them. Appended on the server's thread, read by the tests.
        self.events: list[tuple[str, str]] = []
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
        events = self.events

        def text(path) -> str:
            return path.decode("utf-8", "replace") if isinstance(path, bytes) else str(path)

        def used_bytes() -> int:
            return sum(p.stat().st_size for p in server.root.rglob("*") if p.is_file())

        class Server(asyncssh.SSHServer):
            def connection_made(self, conn) -> None:
                events.append(("connect", ""))

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
                self._written: set = set()  # the files open for writing

            def open(self, path, pflags, attrs):
                if pflags & asyncssh.FXF_WRITE:
                    events.append(("open_write", text(path)))
                    if faults.deny_write:
                        raise asyncssh.SFTPPermissionDenied("write denied")
                    if faults.refuse_overwrite and os.path.exists(self.map_path(path)):
                        raise asyncssh.SFTPPermissionDenied("overwriting is not permitted")
                file_obj = super().open(path, pflags, attrs)
                if pflags & asyncssh.FXF_WRITE:
                    self._written.add(file_obj)
                return file_obj

            async def write(self, file_obj, offset, data):
                if faults.write_delay:
                    await asyncio.sleep(faults.write_delay)
                if faults.fail_write_at is not None and offset == faults.fail_write_at:
                    faults.fail_write_at = None
                    raise asyncssh.SFTPFailure("write failed")
                if faults.disk_capacity is not None:
                    size = file_obj.seek(0, 2)
                    if used_bytes() - size + max(size, offset + len(data)) > faults.disk_capacity:
                        if faults.bare_failures:
                            raise asyncssh.SFTPFailure("Failure")
                        raise OSError(errno.ENOSPC, "No space left on device")
                if (faults.cut_after_bytes is not None and faults.cuts_left > 0
                        and offset + len(data) > faults.cut_after_bytes):
                    faults.cuts_left -= 1
                    self.connection.abort()
                    raise asyncssh.SFTPConnectionLost("cut")
                return super().write(file_obj, offset, data)

            def close(self, file_obj):
                if file_obj in self._written:
                    self._written.discard(file_obj)
                    if faults.drop_tail_bytes and faults.drops_left > 0:
                        faults.drops_left -= 1
                        size = file_obj.seek(0, 2)
                        file_obj.truncate(max(0, size - faults.drop_tail_bytes))
                    if faults.cuts_on_close_left > 0:
                        faults.cuts_on_close_left -= 1
                        super().close(file_obj)
                        self.connection.abort()
                        raise asyncssh.SFTPConnectionLost("cut after the last write")
                return super().close(file_obj)

            def stat(self, path):
                if faults.cuts_on_final_stat_left > 0 and not text(path).endswith(".part"):
                    faults.cuts_on_final_stat_left -= 1
                    self.connection.abort()
                    raise asyncssh.SFTPConnectionLost("cut at a size check")
                if faults.cuts_on_stat_left > 0 and text(path).endswith(".part") and any(
                        kind == "open_write" for kind, _ in events):
                    faults.cuts_on_stat_left -= 1
                    self.connection.abort()
                    raise asyncssh.SFTPConnectionLost("cut at the size check")
                return super().stat(path)

            def remove(self, path):
                events.append(("remove", text(path)))
                if faults.refuse_remove:
                    raise asyncssh.SFTPPermissionDenied("removing files is not permitted")
                return super().remove(path)

            def statvfs(self, path):
                if faults.disk_capacity is None:
                    return super().statvfs(path)
                free = max(0, faults.disk_capacity - used_bytes()) // 4096
                blocks = faults.disk_capacity // 4096
                return asyncssh.SFTPVFSAttrs(bsize=4096, frsize=4096, blocks=blocks, bfree=free,
                                             bavail=free, files=1000, ffree=1000, favail=1000,
                                             fsid=1, flag=0, namemax=255)

            async def rename(self, oldpath, newpath):
                return await self._rename(oldpath, newpath, super().rename)

            async def posix_rename(self, oldpath, newpath):
                if faults.no_posix_rename:
                    raise asyncssh.SFTPOpUnsupported("Operation unsupported")
                return await self._rename(oldpath, newpath, super().posix_rename)

            async def _rename(self, oldpath, newpath, rename):
                events.append(("rename", f"{text(oldpath)} -> {text(newpath)}"))
                if faults.deny_rename:
                    raise asyncssh.SFTPPermissionDenied("rename denied")
                if faults.rename_delay:
                    await asyncio.sleep(faults.rename_delay)
                if faults.cuts_before_rename_left > 0:
                    faults.cuts_before_rename_left -= 1
                    self.connection.abort()
                    raise asyncssh.SFTPConnectionLost("cut when the rename was asked")
                rename(oldpath, newpath)
                if faults.take_away:
                    os.remove(self.map_path(newpath))
                    events.append(("taken", text(newpath)))
                if faults.cuts_on_rename_left > 0:
                    faults.cuts_on_rename_left -= 1
                    self.connection.abort()
                    raise asyncssh.SFTPConnectionLost("cut after the rename")

        async def serve():
            window = {"window": self.window} if self.window else {}
            return await asyncssh.create_server(
                Server, "127.0.0.1", self.port, server_host_keys=[self.host_key],
                sftp_factory=Sftp, allow_scp=False, line_editor=False, **window)

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
