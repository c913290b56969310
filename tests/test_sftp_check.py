"""``vish sftp-check`` as an operator reads it: Dutch steps, the server's host key next to the
pinned one, the hint about SNG's allow-list, and no English log lines from the components."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import asyncssh
import pytest

from devtools.sftp_testserver import SftpTestServer
from shared import config, wiring
from shared.cli import main
from shared.config import azurite_connection_string
from tests.conftest import organisations_for

ROOT = Path(__file__).resolve().parent.parent
CODE = "gem-test"


def sha256_of(key_line: str) -> str:
    """The OpenSSH fingerprint of a key line, worked out here (as ``ssh-keygen -lf`` does)."""
    blob = base64.b64decode(key_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def another_key_line() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().strip()


def environment(port: int, host_key: str, private_key: str | None) -> dict[str, str]:
    sftp = {"host": "127.0.0.1", "port": port, "username": "sng", "host_key": host_key,
            "secret_name": "sng-key", "connect_timeout": 5, "attempts": 1}
    env = {"VISH_ORGANISATIONS_JSON": organisations_for(CODE, sftp=sftp).model_dump_json(),
           # not contacted by sftp-check; set so that nothing reaches for a real account
           "VISH_STORAGE_CONNECTION_STRING": azurite_connection_string("127.0.0.1", 1, 1, 1)}
    if private_key is not None:
        env["VISH_SECRET_SNG_KEY"] = private_key
    return env


@pytest.fixture
def sng(tmp_path):
    with SftpTestServer(tmp_path / "sng") as server:
        yield server


@pytest.fixture
def check(monkeypatch, capsys):
    """Run ``vish sftp-check`` in this process with the given target; (exit code, stdout)."""

    def run(port: int, host_key: str, private_key: str | None, *extra: str) -> tuple[int, str]:
        monkeypatch.delenv("VISH_SECRET_SNG_KEY", raising=False)
        for name, value in environment(port, host_key, private_key).items():
            monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()
        wiring.intake.cache_clear()
        code = main(["sftp-check", *extra])
        config.get_settings.cache_clear()
        out, err = capsys.readouterr()
        assert err == ""
        return code, out

    return run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_matching_host_key_is_shown_next_to_the_pinned_one(sng, check):
    fingerprint = sha256_of(sng.host_key_line)
    code, out = check(sng.port, sng.host_key_line, sng.client_private_key)
    assert code == 0
    assert out == (f"  [ok] verbinden: 127.0.0.1:{sng.port}\n"
                   "  [ok] hostsleutel: komt overeen met de vastgelegde sleutel\n"
                   "  [ok] aanmelden: als sng\n"
                   "  [ok] map lezen: 0 bestanden in .\n"
                   f"  Hostsleutel van de server: {fingerprint}\n"
                   f"  Vastgelegde hostsleutel:   {fingerprint} (komt overeen)\n"
                   "Verbinding in orde.\n")


def refused_for_another_key(sng, other: str) -> str:
    """What sftp-check prints when the server's key is not the pinned one (``other``)."""
    return (f"  [ok] verbinden: 127.0.0.1:{sng.port}\n"
            f"  [FOUT] hostsleutel: de hostsleutel van 127.0.0.1:{sng.port} is niet de "
            "vastgelegde sleutel (andere server of onderschepping): geweigerd\n"
            f"  Hostsleutel van de server: {sha256_of(sng.host_key_line)}\n"
            f"  Vastgelegde hostsleutel:   {sha256_of(other)} (komt NIET overeen)\n"
            "Verbinding NIET in orde.\n"
            "Een andere hostsleutel betekent een andere server of een onderschepte "
            "verbinding. Vraag SNG om de vingerafdruk van hun server en pas sftp.host_key "
            "alleen aan als die gelijk is aan de sleutel van de server hierboven.\n")


@pytest.mark.parametrize("pin", ["key line", "fingerprint"])
def test_a_changed_host_key_shows_both_fingerprints_and_is_refused(sng, check, pin):
    other = another_key_line()
    code, out = check(sng.port, other if pin == "key line" else sha256_of(other),
                      sng.client_private_key)
    assert code == 1
    assert out == refused_for_another_key(sng, other)


def test_a_refused_login_still_shows_the_accepted_host_key(sng, check):
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    code, out = check(sng.port, sng.host_key_line, stranger)
    fingerprint = sha256_of(sng.host_key_line)
    assert code == 1
    assert out == (f"  [ok] verbinden: 127.0.0.1:{sng.port}\n"
                   "  [ok] hostsleutel: komt overeen met de vastgelegde sleutel\n"
                   "  [FOUT] aanmelden: aanmelden als 'sng' geweigerd (sleutel of wachtwoord niet "
                   "geaccepteerd)\n"
                   f"  Hostsleutel van de server: {fingerprint}\n"
                   f"  Vastgelegde hostsleutel:   {fingerprint} (komt overeen)\n"
                   "Verbinding NIET in orde.\n")


def test_a_refused_connection_is_dutch_and_points_to_the_admin_action(check):
    port = closed_port()
    key = another_key_line()
    code, out = check(port, key, "niet gebruikt", "--probe")
    assert code == 1
    assert out == (f"  [FOUT] verbinden: kan geen verbinding maken met 127.0.0.1:{port} (verbinding "
                   "geweigerd)\n"
                   "  Hostsleutel van de server: niet ontvangen (geen SSH-verbinding)\n"
                   f"  Vastgelegde hostsleutel:   {sha256_of(key)}\n"
                   "Verbinding NIET in orde.\n"
                   "Let op: gebruikt de functie-app een vast uitgaand IP-adres "
                   "(enableStaticOutboundIp), dan laat SNG alleen dat adres toe en wordt een test "
                   "vanaf deze computer geweigerd. Test dan vanuit Azure met de beheeractie "
                   "'verbinding testen' (HOST en BEHEERSLEUTEL: zie de handleiding beheer, "
                   "hoofdstuk 6):\n"
                   "  printf 'header = \"x-functions-key: %s\"\\n' \"$BEHEERSLEUTEL\" | curl -sS -K - "
                   f"-X POST \"https://$HOST/api/connection-test/{CODE}?probe=1\" -w '\\nHTTP "
                   "%{http_code}\\n'\n")


def test_the_hint_calls_the_admin_action_with_the_key_through_stdin(tmp_path):
    """The printed call, run by bash against a local stand-in for the app, posts to the
    connection-test route with the key as a header, and the key is on no command line."""
    import shutil
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from shared.cli import _laptop_hint

    seen = []

    class App(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            seen.append((self.path, self.headers.get("x-functions-key")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = HTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    call = _laptop_hint(CODE, probe=False)[1].strip().replace("https://", "http://")
    recorded = tmp_path / "argv"
    wrapper = tmp_path / "bin" / "curl"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {recorded}\nexec {shutil.which("curl")} "$@"\n')
    wrapper.chmod(0o755)
    try:
        done = subprocess.run(["bash", "-c", call], capture_output=True, text=True, timeout=30, env={
            "PATH": f"{wrapper.parent}:{os.environ['PATH']}", "BEHEERSLEUTEL": "sleutel-7f3a",
            "HOST": f"127.0.0.1:{server.server_address[1]}"})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0 and done.stdout.endswith("HTTP 200\n"), done.stderr
    assert seen == [(f"/api/connection-test/{CODE}?probe=0", "sleutel-7f3a")]
    assert "sleutel-7f3a" not in recorded.read_text()


def test_a_missing_secret_is_dutch_and_names_no_value(check):
    key = another_key_line()
    code, out = check(closed_port(), key, None)
    assert code == 1  # no server: the connection fails first, the secret is not reached
    assert out.startswith("  [FOUT] verbinden: kan geen verbinding maken met 127.0.0.1:")


def test_a_missing_secret_still_shows_the_servers_host_key_at_first_setup(sng, check):
    """First set-up: the host key is pinned but the secret not yet in the vault. The server's
    fingerprint is fetched (key exchange only) and compared before the secret is read."""
    fingerprint = sha256_of(sng.host_key_line)
    code, out = check(sng.port, sng.host_key_line, None)
    assert code == 1
    assert out == (f"  [ok] verbinden: 127.0.0.1:{sng.port}\n"
                   "  [ok] hostsleutel: komt overeen met de vastgelegde sleutel\n"
                   "  [FOUT] geheim ophalen: geheim 'sng-key' niet gevonden (zet VISH_SECRET_SNG_KEY "
                   "of leg een bestand met de naam sng-key in VISH_SECRETS_DIR)\n"
                   f"  Hostsleutel van de server: {fingerprint}\n"
                   f"  Vastgelegde hostsleutel:   {fingerprint} (komt overeen)\n"
                   "Verbinding NIET in orde.\n")
    assert sng.client_private_key not in out


def test_a_missing_secret_and_a_changed_host_key_show_both_fingerprints(sng, check):
    other = another_key_line()
    code, out = check(sng.port, sha256_of(other), None)
    assert code == 1
    assert out == refused_for_another_key(sng, other)


@pytest.mark.parametrize("private_key", [
    "dit is geen sleutel",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
])
def test_an_unreadable_private_key_still_shows_the_servers_host_key(sng, check, private_key):
    fingerprint = sha256_of(sng.host_key_line)
    code, out = check(sng.port, sng.host_key_line, private_key)
    assert code == 1
    assert out == (f"  [ok] verbinden: 127.0.0.1:{sng.port}\n"
                   "  [ok] hostsleutel: komt overeen met de vastgelegde sleutel\n"
                   "  [FOUT] privésleutel: de privésleutel is niet te lezen (OpenSSH of PEM; "
                   "Ed25519, ECDSA of RSA; of de wachtwoordzin klopt niet)\n"
                   f"  Hostsleutel van de server: {fingerprint}\n"
                   f"  Vastgelegde hostsleutel:   {fingerprint} (komt overeen)\n"
                   "Verbinding NIET in orde.\n")


def test_a_host_key_of_another_type_is_named_with_both_types(sng, check):
    ecdsa = asyncssh.generate_private_key("ecdsa-sha2-nistp256").export_public_key(
        "openssh").decode().strip()
    code, out = check(sng.port, ecdsa, None)
    assert code == 1
    assert (f"  [FOUT] hostsleutel: 127.0.0.1:{sng.port} biedt geen hostsleutel van het vastgelegde "
            "type (ecdsa-sha2-nistp256) aan maar een ssh-ed25519-sleutel: geweigerd\n"
            f"  Hostsleutel van de server: {sha256_of(sng.host_key_line)}\n") in out


def test_the_json_output_carries_both_fingerprints(sng, check):
    code, out = check(sng.port, another_key_line(), sng.client_private_key, "--json")
    answer = json.loads(out)
    assert code == 1 and answer["ok"] is False and answer["keys_match"] is False
    assert answer["server_key"] == sha256_of(sng.host_key_line)
    assert answer["steps"] == [{"step": "verbinden", "ok": True, "detail": f"127.0.0.1:{sng.port}"},
                               {"step": "hostsleutel", "ok": False, "detail": (
        f"de hostsleutel van 127.0.0.1:{sng.port} is niet de vastgelegde sleutel (andere server "
        "of onderschepping): geweigerd")}]


class NotAnSshServer:
    """Accepts a connection and answers like a web server: paramiko logs an English error
    (with a traceback) on its transport thread."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


def run_vish(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VISH_", "AzureWebJobs"))}
    return subprocess.run([sys.executable, "-m", "shared", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def test_no_english_log_lines_reach_the_screen_unless_asked_for():
    server = NotAnSshServer()
    try:
        env = environment(server.port, another_key_line(), asyncssh.generate_private_key(
            "ssh-ed25519").export_private_key().decode())
        quiet = run_vish("sftp-check", env=env)
        loud = run_vish("sftp-check", "--debug", env=env)
    finally:
        server.close()
    assert quiet.returncode == 1 and quiet.stderr == "", quiet.stderr
    assert quiet.stdout.startswith("  [FOUT] verbinden: SSH-onderhandeling mislukt (antwoordt daar "
                                   "een SSH-server, en biedt die een veilige versleuteling aan?)\n"
                                   "  Hostsleutel van de server: niet ontvangen")
    # the same run with --debug shows what was kept off the screen: paramiko's English lines
    assert loud.returncode == 1 and "Error reading SSH protocol banner" in loud.stderr


def test_a_missing_folder_is_named_in_dutch_without_the_exception_class(sng):
    from shared.adapters.sftp import Credentials, check_connection
    from shared.config import SftpTarget

    target = SftpTarget(host="127.0.0.1", port=sng.port, username="sng", directory="bestaat-niet",
                        host_key=sng.host_key_line, secret_name="sng-key", connect_timeout=5,
                        attempts=1)
    result = check_connection(target, lambda: Credentials(private_key=sng.client_private_key))
    assert not result.ok
    assert result.steps[-1] == ("map lezen", False, "map bestaat-niet niet leesbaar: bestaat niet op "
                                                    "de server")
    assert result.server_key == sha256_of(sng.host_key_line)


# -- Dutch reasons, never an exception class or the server's English text --------------------------
ENGLISH_OR_CLASS = ("Exception", "Error", "denied", "Permission", "Failure", "No such", "space left")


@pytest.mark.parametrize(("exc", "kind", "message"), [
    (PermissionError(13, "Permission denied"), "permission",
     "schrijven in de doelmap is niet toegestaan (de server weigert het)"),
    (OSError("No space left on device"), "remote_full", "de schijf of het quotum van de server is vol"),
    (OSError("Failure"), "transfer", "uploaden onderbroken (de server weigerde het schrijven)"),
    (EOFError(), "transfer", "uploaden onderbroken (de verbinding werd verbroken)"),
])
def test_a_failed_write_is_worded_in_dutch(exc, kind, message, caplog):
    from shared.adapters.sftp import Credentials, SftpDelivery
    from shared.config import SftpTarget

    caplog.set_level("WARNING", logger="vish.sftp")
    delivery = SftpDelivery(SftpTarget(host="sftp.sng.nl", username="sng", host_key=another_key_line(),
                                       secret_name="sng-key"), Credentials())
    error = delivery._write_failure(None, exc, 10)  # no session: no answer about free space
    assert (error.kind, str(error)) == (kind, message)
    assert not any(word in str(error) for word in ENGLISH_OR_CLASS)
    # the technical detail is kept for --debug, in the log
    assert type(exc).__name__ in caplog.text


@pytest.mark.parametrize(("exc", "reason"), [
    (FileNotFoundError(2, "No such file"), "bestaat niet op de server"),
    (PermissionError(13, "Permission denied"), "geen toegang (de server weigert het)"),
    (OSError("Permission denied"), "geen toegang (de server weigert het)"),
    (EOFError(), "de verbinding werd verbroken"),
    (TimeoutError(), "geen antwoord van de server (time-out)"),
    (OSError("Failure"), "de server weigerde het verzoek"),
])
def test_a_refused_folder_or_probe_gives_a_dutch_reason(exc, reason):
    from shared.adapters.sftp import _sftp_reason

    assert _sftp_reason(exc, "listing the folder") == reason


def test_a_refused_rename_is_dutch():
    from shared.adapters.sftp import SftpError, _ask_rename

    def refuse(source, target):
        raise PermissionError(13, "Permission denied")

    with pytest.raises(SftpError) as caught:
        _ask_rename(refuse, "a", "b", fallback=True)
    assert str(caught.value) == ("het hernoemen van het geüploade bestand naar de definitieve naam "
                                 "is geweigerd door de server")


def test_an_unknown_network_error_names_no_class():
    import errno

    from shared.adapters.sftp import _os_reason

    assert _os_reason(OSError(errno.EPROTO, "Protocol error")) == "netwerkfout"
    assert _os_reason(ConnectionRefusedError(errno.ECONNREFUSED, "x")) == "verbinding geweigerd"
