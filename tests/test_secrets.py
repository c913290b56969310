"""Secrets: the real Key Vault SecretClient against a local HTTPS stand-in; local secrets."""

from __future__ import annotations

import pytest

from shared.adapters.secrets import KeyVaultSecrets, LocalSecrets, SecretError, env_name
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
    assert "sng-key" in str(exc.value) and "does not exist" in str(exc.value)
    assert "geheim-123" not in str(exc.value) and not exc.value.transient


def test_forbidden_secret_is_a_clear_error(vault):
    vault.secrets["sng-key"] = "geheim-456"
    vault.forbidden.add("sng-key")
    with pytest.raises(SecretError) as exc:
        provider(vault).get("sng-key")
    assert "denied" in str(exc.value) and "geheim-456" not in str(exc.value)


def test_unreachable_vault_is_transient(tmp_path):
    fake = FakeKeyVault(tmp_path).start()
    secrets = provider(fake)
    fake.stop()
    with pytest.raises(SecretError) as exc:
        secrets.get("sng-key")
    assert exc.value.transient and "unreachable" in str(exc.value)


def test_local_secrets_from_environment_or_files(tmp_path):
    (tmp_path / "sng-key").write_text(PRIVATE_KEY)
    assert LocalSecrets(tmp_path, environ={}).get("sng-key") == PRIVATE_KEY
    assert LocalSecrets(None, environ={env_name("sng-key"): "x"}).get("sng-key") == "x"
    with pytest.raises(SecretError, match="VISH_SECRET_SNG_KEY"):
        LocalSecrets(None, environ={}).get("sng-key")
