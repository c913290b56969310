"""Secrets: the real Key Vault SecretClient against a local HTTPS stand-in; local secrets."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from shared import config
from shared.adapters import azure_clients
from shared.adapters.secrets import KeyVaultSecrets, LocalSecrets, SecretError, env_name, secret_provider
from tests.keyvault_fake import FakeKeyVault, StaticToken

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n"


@pytest.fixture
def vault(tmp_path):
    fake = FakeKeyVault(tmp_path).start()
    yield fake
    fake.stop()


def provider(vault, clock=None, **kwargs) -> KeyVaultSecrets:
    extra = {"clock": clock} if clock else {}
    client = KeyVaultSecrets.from_url(vault.url, credential=StaticToken(), verify_challenge_resource=False,
                                      connection_verify=str(vault.cert), retry_total=0, **kwargs)
    return KeyVaultSecrets(client.client, ttl_seconds=kwargs.get("ttl_seconds", 300), **extra)


def test_reads_a_secret_through_the_real_sdk_with_the_bearer_challenge(vault):
    vault.secrets["sng-key"] = PRIVATE_KEY
    assert provider(vault).get("sng-key") == PRIVATE_KEY
    assert any(p.startswith("/secrets/sng-key") for p in vault.requests)


def test_cache_serves_within_the_ttl_and_picks_up_a_rotated_secret_after(vault):
    now = [1000.0]
    secrets = provider(vault, clock=lambda: now[0])
    vault.secrets["pw"] = "oud"
    assert secrets.get("pw") == "oud"
    vault.secrets["pw"] = "nieuw"
    calls = len(vault.requests)
    now[0] += 299
    assert secrets.get("pw") == "oud" and len(vault.requests) == calls
    now[0] += 2
    assert secrets.get("pw") == "nieuw"


def test_missing_secret_names_the_secret_not_a_value(vault):
    vault.secrets["andere"] = "geheim-123"
    with pytest.raises(SecretError) as exc:
        provider(vault).get("sng-key")
    assert str(exc.value) == "geheim 'sng-key' bestaat niet in de Key Vault"
    assert "geheim-123" not in str(exc.value) and not exc.value.transient


def test_forbidden_secret_is_a_clear_error(vault):
    vault.secrets["sng-key"] = "geheim-456"
    vault.forbidden.add("sng-key")
    with pytest.raises(SecretError) as exc:
        provider(vault).get("sng-key")
    assert str(exc.value) == ("toegang tot geheim 'sng-key' geweigerd (rol 'Key Vault Secrets User' "
                              "op de kluis? Of laat de firewall van de kluis dit netwerk niet toe?)")


def test_unreachable_vault_is_transient(tmp_path):
    fake = FakeKeyVault(tmp_path).start()
    secrets = provider(fake)
    fake.stop()
    with pytest.raises(SecretError) as exc:
        secrets.get("sng-key")
    assert exc.value.transient
    assert str(exc.value) == "Key Vault niet bereikbaar bij het lezen van geheim 'sng-key'"


def test_local_secrets_from_environment_or_files(tmp_path):
    (tmp_path / "sng-key").write_text(PRIVATE_KEY)
    assert LocalSecrets(tmp_path, environ={}).get("sng-key") == PRIVATE_KEY
    assert LocalSecrets(None, environ={env_name("sng-key"): "x"}).get("sng-key") == "x"
    with pytest.raises(SecretError) as exc:
        LocalSecrets(None, environ={}).get("sng-key")
    assert str(exc.value) == ("geheim 'sng-key' niet gevonden (zet VISH_SECRET_SNG_KEY of leg een "
                              "bestand met de naam sng-key in VISH_SECRETS_DIR)")


def test_an_unreadable_local_secret_file_is_a_secret_error_in_dutch(tmp_path):
    (tmp_path / "sng-key").write_bytes(b"\xff\xfegeheim-789")
    with pytest.raises(SecretError) as exc:
        LocalSecrets(tmp_path, environ={}).get("sng-key")
    assert str(exc.value) == "geheim 'sng-key' in VISH_SECRETS_DIR is geen UTF-8-tekst"


# -- the provider follows VISH_KEY_VAULT_URL: Key Vault with the managed identity, else local ------
IDENTITY_CLIENT_ID = "00000000-0000-0000-0000-00000000c11d"


class ManagedIdentityEndpoint:
    """The token endpoint the Functions platform offers a managed identity (App Service style:
    ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``), so the real ``DefaultAzureCredential`` runs."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, str | None]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                endpoint.requests.append((query, self.headers.get("X-IDENTITY-HEADER")))
                body = json.dumps({"access_token": "token-of-the-identity",
                                   "expires_on": str(int(time.time()) + 3600),
                                   "resource": query.get("resource"), "token_type": "Bearer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/msi/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def managed_identity(monkeypatch):
    for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_TENANT_ID",
                 "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS",
                 "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET",
                 "VISH_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    endpoint = ManagedIdentityEndpoint()
    monkeypatch.setenv("IDENTITY_ENDPOINT", endpoint.url)
    monkeypatch.setenv("IDENTITY_HEADER", "platform-header")
    monkeypatch.setenv("AZURE_CLIENT_ID", IDENTITY_CLIENT_ID)  # the user-assigned identity (Bicep)
    azure_clients._credential.cache_clear()
    yield endpoint
    azure_clients._credential.cache_clear()
    endpoint.stop()


def recording_authorization(vault) -> list[str | None]:
    """The Authorization header of every request the vault stand-in receives from now on."""
    seen: list[str | None] = []
    base = vault.server.RequestHandlerClass

    class Recording(base):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            super().do_GET()

    vault.server.RequestHandlerClass = Recording
    return seen


def trusting(vault) -> dict:
    # The stand-in listens on 127.0.0.1 with its own certificate; the challenge names
    # vault.azure.net, which 127.0.0.1 is not a subdomain of.
    return {"connection_verify": str(vault.cert), "verify_challenge_resource": False, "retry_total": 0}


def assert_read_with_the_managed_identity(secrets, vault, managed_identity, authorization) -> None:
    assert isinstance(secrets, KeyVaultSecrets)
    assert secrets.client.vault_url == vault.url
    assert secrets.get("sng-key") == PRIVATE_KEY
    assert [p.split("?")[0] for p in vault.requests] == ["/secrets/sng-key/"] * 2  # challenge, read
    assert authorization[-1] == "Bearer token-of-the-identity"
    [(query, header)] = managed_identity.requests
    assert query["resource"] == "https://vault.azure.net" and query["client_id"] == IDENTITY_CLIENT_ID
    assert header == "platform-header"


def test_key_vault_url_setting_selects_key_vault_with_the_managed_identity(vault, managed_identity,
                                                                          monkeypatch):
    vault.secrets["sng-key"] = PRIVATE_KEY
    authorization = recording_authorization(vault)
    monkeypatch.setenv("VISH_KEY_VAULT_URL", vault.url)
    monkeypatch.setenv("VISH_SECRET_CACHE_SECONDS", "42")
    monkeypatch.setenv(env_name("sng-key"), "the local value, not to be used")
    secrets = secret_provider(config.Settings(), **trusting(vault))
    assert secrets.ttl == 42
    assert_read_with_the_managed_identity(secrets, vault, managed_identity, authorization)


def test_without_key_vault_url_the_local_secrets_are_used(tmp_path, monkeypatch):
    monkeypatch.delenv("VISH_KEY_VAULT_URL", raising=False)
    monkeypatch.delenv(env_name("sng-key"), raising=False)
    monkeypatch.setenv("VISH_SECRETS_DIR", str(tmp_path))
    (tmp_path / "sng-key").write_text(PRIVATE_KEY)
    secrets = secret_provider(config.Settings())
    assert isinstance(secrets, LocalSecrets) and secrets.directory == tmp_path
    assert secrets.get("sng-key") == PRIVATE_KEY


def test_the_wired_delivery_reads_its_sftp_key_from_the_key_vault_in_the_setting(
        settings, vault, managed_identity, monkeypatch):
    from shared import wiring

    vault.secrets["sng-key"] = PRIVATE_KEY
    authorization = recording_authorization(vault)
    monkeypatch.setenv("VISH_KEY_VAULT_URL", vault.url)
    config.get_settings.cache_clear()
    service = wiring.build_delivery(config.get_settings(), secret_client_options=trusting(vault))
    assert_read_with_the_managed_identity(service.secrets, vault, managed_identity, authorization)


def test_the_wired_delivery_uses_local_secrets_without_the_setting(settings, tmp_path, monkeypatch):
    from shared import wiring

    monkeypatch.delenv("VISH_KEY_VAULT_URL", raising=False)
    monkeypatch.setenv("VISH_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv(env_name("sng-key"), "uit de omgeving")
    config.get_settings.cache_clear()
    service = wiring.build_delivery(config.get_settings())
    assert isinstance(service.secrets, LocalSecrets) and service.secrets.directory == tmp_path
    assert service.secrets.get("sng-key") == "uit de omgeving"
