"""Secrets (SFTP private keys, passphrases, passwords) behind one small interface.

* ``KeyVaultSecrets``: Azure Key Vault through ``azure-keyvault-secrets`` with the managed
  identity (``DefaultAzureCredential``; ``AZURE_CLIENT_ID`` picks a user-assigned identity), and a
  time-to-live cache so that a rotated secret is used without a restart while the hot path does
  not call the vault each time.
* ``LocalSecrets``: environment variables (``VISH_SECRET_<NAME>``) or files in a folder, for the
  demo and the tests.

Errors name the secret, never its value, in Dutch (an operator reads them in ``vish sftp-check``,
the status and the connection test).
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from shared.config import dutch_os_error


class SecretError(Exception):
    """A secret could not be had. ``transient`` is True when trying again later may help."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class SecretProvider(ABC):
    @abstractmethod
    def get(self, name: str) -> str: ...


def env_name(name: str) -> str:
    return "VISH_SECRET_" + "".join(c if c.isalnum() else "_" for c in name).upper()


class LocalSecrets(SecretProvider):
    def __init__(self, directory: Path | None = None, environ: dict | None = None) -> None:
        self.directory = directory
        self.environ = os.environ if environ is None else environ

    def get(self, name: str) -> str:
        value = self.environ.get(env_name(name))
        if value is not None:
            return value
        if self.directory is not None:
            path = self.directory / name
            if path.is_file():
                try:
                    return path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise SecretError(f"geheim '{name}' in VISH_SECRETS_DIR is niet te lezen "
                                      f"({dutch_os_error(exc)})") from None
                except UnicodeDecodeError:
                    raise SecretError(f"geheim '{name}' in VISH_SECRETS_DIR is geen UTF-8-tekst"
                                      ) from None
        raise SecretError(f"geheim '{name}' niet gevonden (zet {env_name(name)} of leg een bestand "
                          f"met de naam {name} in VISH_SECRETS_DIR)")


class KeyVaultSecrets(SecretProvider):
    def __init__(self, client, *, ttl_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client  # azure.keyvault.secrets.SecretClient
        self.ttl = ttl_seconds
        self.clock = clock
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, vault_url: str, *, ttl_seconds: float = 300.0, credential=None,
                 **client_kwargs) -> KeyVaultSecrets:
        from azure.keyvault.secrets import SecretClient

        from shared.adapters.azure_clients import CALL_LIMITS, _credential

        if credential is None:
            credential = _credential()
        options = {**CALL_LIMITS, **client_kwargs}  # bounded calls unless a caller says otherwise
        return cls(SecretClient(vault_url, credential, **options), ttl_seconds=ttl_seconds)

    def get(self, name: str) -> str:
        now = self.clock()
        with self._lock:
            hit = self._cache.get(name)
            if hit and now - hit[0] < self.ttl:
                return hit[1]
        value = self._fetch(name)
        with self._lock:
            self._cache[name] = (now, value)
        return value

    def _fetch(self, name: str) -> str:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        try:
            secret = self.client.get_secret(name)
        except ResourceNotFoundError:
            raise SecretError(f"geheim '{name}' bestaat niet in de Key Vault") from None
        except ClientAuthenticationError:
            raise SecretError(f"aanmelden bij de Key Vault voor geheim '{name}' mislukt "
                              "(beheerde identiteit ingesteld?)") from None
        except HttpResponseError as exc:
            if exc.status_code == 403:
                raise SecretError(f"toegang tot geheim '{name}' geweigerd (rol 'Key Vault Secrets "
                                  "User' op de kluis? Of laat de firewall van de kluis dit netwerk "
                                  "niet toe?)") from None
            raise SecretError(f"de Key Vault antwoordde {exc.status_code} voor geheim '{name}'",
                              transient=(exc.status_code or 500) >= 500) from None
        except ServiceRequestError:
            raise SecretError(f"Key Vault niet bereikbaar bij het lezen van geheim '{name}'",
                              transient=True) from None
        if secret.value is None:
            raise SecretError(f"geheim '{name}' heeft geen waarde")
        return secret.value


def secret_provider(settings, **client_options) -> SecretProvider:
    """Key Vault (managed identity) when ``VISH_KEY_VAULT_URL`` is set, local secrets otherwise.

    ``client_options`` go to the ``SecretClient`` unchanged (the tests use them to trust the
    certificate of a local Key Vault stand-in); the credential is always the managed identity.
    """
    if settings.key_vault_url:
        return KeyVaultSecrets.from_url(settings.key_vault_url, ttl_seconds=settings.secret_cache_seconds,
                                        **client_options)
    return LocalSecrets(settings.secrets_dir)
