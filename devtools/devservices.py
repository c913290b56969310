"""Local stand-ins for the demo and the tests: Azurite (blob, queue, table) on loopback.

Azurite comes from the project's own ``node_modules`` (``package.json`` pins 3.35.0, the last
release that runs on Node 20); ``./run setup`` installs it.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from shared.config import azurite_connection_string

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def registered_functions() -> dict:
    """The functions of ``function_app`` by name, as the Functions host indexes them.

    Cached: ``FunctionApp.get_functions()`` may be called only once per process (a second call
    reports every function as a duplicate)."""
    import function_app

    return {f.get_function_name(): f for f in function_app.app.get_functions()}


def user_function(name: str):
    """The body of a registered function, to call as the host would."""
    return registered_functions()[name].get_user_function()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


class Azurite:
    """Start Azurite on free loopback ports with its own workspace; stop it on exit."""

    def __init__(self, workspace: Path | None = None) -> None:
        self._own_workspace = workspace is None
        self.workspace = workspace or Path(tempfile.mkdtemp(prefix="vish-azurite-"))
        self.blob_port, self.queue_port, self.table_port = free_port(), free_port(), free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def executable() -> str:
        configured = os.environ.get("VISH_AZURITE_BIN")
        local = ROOT / "node_modules" / ".bin" / "azurite"
        for candidate in (configured, str(local), shutil.which("azurite")):
            if candidate and Path(candidate).exists():
                return candidate
        raise FileNotFoundError("Azurite not found: run ./run setup (npm ci) first")

    @property
    def connection_string(self) -> str:
        return azurite_connection_string("127.0.0.1", self.blob_port, self.queue_port,
                                         self.table_port)

    def start(self, timeout: float = 60) -> Azurite:
        self.workspace.mkdir(parents=True, exist_ok=True)
        log = open(self.workspace / "azurite.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [self.executable(), "--silent", "--location", str(self.workspace),
             "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
             "--blobPort", str(self.blob_port), "--queuePort", str(self.queue_port),
             "--tablePort", str(self.table_port), "--disableTelemetry", "--skipApiVersionCheck"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        try:
            for port in (self.blob_port, self.table_port, self.queue_port):
                wait_for_port(port, timeout, self.process)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._own_workspace:
            shutil.rmtree(self.workspace, ignore_errors=True)

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- OpenSSH's sshd on loopback (tests and the SFTP benchmark) ---------------------------------------
SSHD = "/usr/sbin/sshd"


def sshd_available() -> bool:
    return Path(SSHD).exists() and shutil.which("ssh-keygen") is not None


class Sshd:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.root = workdir / "root"
        self.port = free_port()
        self.user = getpass.getuser()
        self.process: subprocess.Popen | None = None

    def start(self, client_public_key: str) -> Sshd:
        self.root.mkdir(parents=True, exist_ok=True)
        key = self.dir / "host_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        (self.dir / "authorized_keys").write_text(client_public_key + "\n")
        config = self.dir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {key}",
            f"PidFile {self.dir / 'sshd.pid'}", f"AuthorizedKeysFile {self.dir / 'authorized_keys'}",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password", "StrictModes no", "UsePAM no",
            f"AllowUsers {self.user}", "Subsystem sftp internal-sftp",
            f"ForceCommand internal-sftp -d {self.root}", "",
        ]))
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen([SSHD, "-D", "-f", str(config), "-E", str(self.dir / "sshd.log")],
                                        stdin=subprocess.DEVNULL)
        wait_for_port(self.port, 15, self.process)
        return self

    @property
    def host_key_line(self) -> str:
        parts = (self.dir / "host_ed25519.pub").read_text().split()
        return f"{parts[0]} {parts[1]}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.root.iterdir()) if p.is_file()}
