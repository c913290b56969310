"""OpenSSH's sshd on loopback for tests: paramiko proven against the most common server."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path

from shared.devservices import free_port, wait_for_port

SSHD = "/usr/sbin/sshd"


def available() -> bool:
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
