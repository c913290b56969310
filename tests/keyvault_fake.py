"""A local HTTPS stand-in for Azure Key Vault (there is no emulator), for the real SecretClient.

It implements what the SDK needs: the bearer challenge on the first, unauthenticated request
(401 with WWW-Authenticate), then ``GET /secrets/{name}/?api-version=…`` answering the secret,
404 for a missing one, and 403 for names listed as forbidden. Self-signed certificate for
127.0.0.1, passed to the client as ``connection_verify``.
"""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress")
                                                                       .ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "kv-cert.pem", directory / "kv-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeKeyVault:
    def __init__(self, directory: Path) -> None:
        self.secrets: dict[str, str] = {}
        self.forbidden: set[str] = set()
        self.requests: list[str] = []
        self.cert, key = self_signed(directory)
        vault = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                vault.requests.append(self.path)
                if "Authorization" not in self.headers:
                    self._send(401, {"error": {"code": "Unauthorized"}}, {
                        "WWW-Authenticate": 'Bearer authorization="https://login.microsoftonline.com/'
                                            'tenant-id", resource="https://vault.azure.net"'})
                    return
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) < 2 or parts[0] != "secrets":
                    self._send(400, {"error": {"code": "BadParameter", "message": "bad path"}})
                    return
                name = parts[1]
                if name in vault.forbidden:
                    self._send(403, {"error": {"code": "Forbidden", "message": "Caller is not authorized"}})
                elif name not in vault.secrets:
                    self._send(404, {"error": {"code": "SecretNotFound", "message": "not found"}})
                else:
                    host = f"https://127.0.0.1:{vault.port}"
                    self._send(200, {"value": vault.secrets[name], "id": f"{host}/secrets/{name}/v1",
                                     "attributes": {"enabled": True}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeKeyVault:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StaticToken:
    """Any object with get_token serves as credential."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("fake-token", 4102444800)
