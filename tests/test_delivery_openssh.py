"""The SFTP client against OpenSSH's sshd: happy path, changed host key, refused key."""

from __future__ import annotations

import os

import pytest

from devtools import devservices as sshd
from shared.adapters.sftp import Credentials, SftpDelivery, SftpError
from shared.config import SftpTarget

# In CI the set-up installs sshd, so there a missing server is a failure, not a skip.
pytestmark = pytest.mark.skipif(not sshd.sshd_available() and not os.environ.get("CI"),
                                reason="OpenSSH server not installed (./run setup)")


@pytest.fixture(scope="module")
def keys():
    import asyncssh

    client = asyncssh.generate_private_key("ssh-ed25519")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    return {
        "private": client.export_private_key("openssh").decode(),
        "public": client.export_public_key("openssh").decode().strip(),
        "stranger": stranger.export_private_key("openssh").decode(),
        "other_host": stranger.export_public_key("openssh").decode().strip(),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory, keys):
    running = sshd.Sshd(tmp_path_factory.mktemp("sshd")).start(keys["public"])
    yield running
    running.stop()


def delivery(server, keys, *, host_key=None, private=None) -> SftpDelivery:
    target = SftpTarget(host="127.0.0.1", port=server.port, username=server.user,
                        host_key=host_key or server.host_key_line, secret_name="k", backoff_seconds=0,
                        connect_timeout=5)
    return SftpDelivery(target, Credentials(private_key=private or keys["private"]))


def test_upload_to_openssh_renames_into_place(server, keys):
    data = b"aansluitcode;bsn\r\n" * 5000
    result = delivery(server, keys).upload("VISH_OPENSSH.csv", data)
    assert result.size == len(data) and result.attempts == 1
    assert server.files()["VISH_OPENSSH.csv"] == data
    assert not any(name.endswith(".part") for name in server.files())


def test_a_leftover_temporary_file_on_openssh_is_removed_first(server, keys):
    data = b"aansluitcode;bsn\r\n" * 100
    leftover = server.root / ".VISH_LEFTOVER.csv.part"
    leftover.write_bytes(b"x" * (len(data) * 3))  # a broken, bigger upload of an earlier tick
    result = delivery(server, keys).upload("VISH_LEFTOVER.csv", data)
    assert result.stale_temp_removed and result.attempts == 1
    assert server.files()["VISH_LEFTOVER.csv"] == data and not leftover.exists()


def test_connection_check_against_openssh(server, keys):
    check = delivery(server, keys).check(probe=True)
    assert check.ok and [s[0] for s in check.steps][-1] == "proefbestand"


def test_openssh_with_a_changed_host_key_is_refused(server, keys):
    with pytest.raises(SftpError) as exc:
        delivery(server, keys, host_key=keys["other_host"]).upload("x.csv", b"x")
    assert exc.value.kind == "host_key" and not exc.value.transient


def test_openssh_pinned_by_fingerprint(server, keys):
    import paramiko

    from shared.adapters.sftp import fingerprint

    key = paramiko.Ed25519Key(data=__import__("base64").b64decode(server.host_key_line.split()[1]))
    assert delivery(server, keys, host_key=fingerprint(key)).upload("fp.csv", b"1").attempts == 1
    with pytest.raises(SftpError) as exc:
        delivery(server, keys, host_key="SHA256:" + "A" * 43).upload("fp2.csv", b"1")
    assert exc.value.kind == "host_key"


def test_openssh_refuses_an_unknown_client_key(server, keys):
    with pytest.raises(SftpError) as exc:
        delivery(server, keys, private=keys["stranger"]).upload("y.csv", b"y")
    assert exc.value.kind == "auth" and not exc.value.transient


def test_the_session_uses_aes_gcm_and_offers_no_legacy_algorithms(server, keys):
    d = delivery(server, keys)
    client, _ = d._connect()
    try:
        transport = client.get_transport()
        assert transport.local_cipher == "aes128-gcm@openssh.com"
        offered = transport._preferred_ciphers + transport._preferred_macs
        assert not [a for a in offered if "cbc" in a or "3des" in a or "sha1" in a or "md5" in a]
    finally:
        client.close()
