"""An SDK-type blob trigger binding that loads the Storage SDK only when a blob arrives.

The Functions host can hand a blob trigger over as *model binding data* (container, blob name,
connection) instead of the blob's bytes; the Python worker then asks the converter registered
for ``blob``/``blobTrigger`` in ``azurefunctions.extensions.base`` to turn it into an SDK client.
``azurefunctions-extensions-bindings-blob`` does that, but importing it imports
``azure.storage.blob`` and ``azure.identity`` with the function app, which every function
(status included) pays for at cold start. This converter follows the same contract
(``SdkType`` annotation, ``InConverter`` registered for ``blob`` and ``blobTrigger``,
``decode`` of ``model_binding_data``) and creates the ``BlobClient`` on the first invocation.
The function streams the blob with it; nothing loads the whole blob into memory.

Two facts of the worker this module lives with (tests/test_host_contract.py drives the pinned
worker to prove both):

* The Python 3.13 worker (``azure-functions-runtime``) looks for converters only if
  ``azurefunctions.extensions.base`` is already imported once ``function_app`` is loaded. This
  module must therefore be imported at the top of the function module (and ``function_app``
  imports it too); imported lazily, the host would send the blob's bytes and every extract fail.
* Only one converter may be registered for ``blob``: importing the official
  ``azurefunctions.extensions.bindings.blob`` next to this module makes the whole app fail to
  index. The project does not depend on it.

Connections: ``AzureWebJobsStorage`` (the one the trigger uses) goes through the project's own
client construction, the same storage account and credential as the rest of the app. Any other
connection name is read the way the Functions host and the official extension read it:
``<name>`` or ``AzureWebJobs<name>`` (a connection string), else ``<name>__serviceUri``/
``<name>__blobServiceUri`` or ``<name>__accountName`` (identity-based), with
``<name>__credential=managedidentity`` and ``<name>__clientId`` for a user-assigned identity. A
half-configured identity, or an identity setting this binding does not use
(``__managedIdentityResourceId``, ``__tenantId``, ``__clientSecret``, ``__clientCertificate``),
is refused with a message that names the setting, never guessed.

Error messages name settings and binding-data keys only: a blob's name can carry personal data
(a BSN in a file name), so it never appears in one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azurefunctions.extensions.base import Datum, InConverter, SdkType

HOST_STORAGE = "AzureWebJobsStorage"
SOURCE = "AzureStorageBlobs"
CONTENT_KEYS = ("Connection", "ContainerName", "BlobName")
_ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")


class BlobBindingError(ValueError):
    """The host's binding data or the connection settings cannot give a blob client."""


@dataclass(frozen=True)
class BlobReference:
    """What the host's model binding data names: the connection setting, container and blob."""

    connection: str
    container: str
    blob: str


def read_reference(data: Any) -> BlobReference:
    """The container, blob and connection from model binding data, or a clear error."""
    if data is None:
        raise BlobBindingError("blob trigger: the model binding data is missing")
    source = getattr(data, "source", "") or ""
    if source and source != SOURCE:
        raise BlobBindingError(f"blob trigger: model binding data from {source!r}, expected {SOURCE!r}")
    content_type = getattr(data, "content_type", "") or ""
    if content_type and content_type != "application/json":
        raise BlobBindingError(f"blob trigger: model binding data of content type {content_type!r}, "
                               "expected 'application/json'")
    try:
        content = json.loads(data.content)
    except (AttributeError, TypeError, ValueError):
        raise BlobBindingError("blob trigger: the model binding data's content is not JSON") from None
    if not isinstance(content, dict):
        raise BlobBindingError("blob trigger: the model binding data's content is not a JSON object")
    missing = [key for key in CONTENT_KEYS if not isinstance(content.get(key), str) or not content[key]]
    if missing:
        raise BlobBindingError("blob trigger: the model binding data lacks " + ", ".join(missing)
                               + " (keys present: " + ", ".join(sorted(map(str, content))) + ")")
    return BlobReference(content["Connection"], content["ContainerName"], content["BlobName"])


@dataclass(frozen=True)
class BlobConnection:
    """How to reach the blob service of a connection other than the host's storage."""

    connection_string: str | None = None
    account_url: str | None = None
    # None: the app's default credential chain; else the user-assigned managed identity's client id
    # ("" for the system-assigned identity, with __credential=managedidentity and no __clientId)
    managed_identity_client_id: str | None = None


# Identity settings the host knows that this binding does not build a credential from: refused,
# so that no other identity than the one configured is ever used in their place.
_UNSUPPORTED = ("managedIdentityResourceId", "tenantId", "clientSecret", "clientCertificate")


def resolve_connection(name: str, env: Mapping[str, str] = os.environ) -> BlobConnection:
    """Read a connection's settings as the Functions host does, or refuse with the setting named."""
    for setting in (name, f"AzureWebJobs{name}"):  # the host also reads the prefixed name
        if env.get(setting):
            return BlobConnection(connection_string=env[setting])
    unsupported = [f"{name}__{key}" for key in _UNSUPPORTED if env.get(f"{name}__{key}")]
    if unsupported:
        raise BlobBindingError(f"setting '{unsupported[0]}' is not supported by this app's blob "
                               f"binding: use '{name}__credential=managedidentity' with "
                               f"'{name}__clientId' for a user-assigned identity")
    # the official extension's order: the blob binding's URI, then the trigger's
    url = env.get(f"{name}__serviceUri") or env.get(f"{name}__blobServiceUri")
    account = env.get(f"{name}__accountName")
    if not url and account:
        if not _ACCOUNT_NAME.fullmatch(account):
            raise BlobBindingError(f"setting '{name}__accountName' is not a storage account name "
                                   "(3-24 lower-case letters and digits)")
        url = f"https://{account}.blob.core.windows.net"
    if not url:
        raise BlobBindingError(f"connection '{name}' is not configured: set '{name}' (a connection "
                               f"string), '{name}__blobServiceUri', '{name}__serviceUri' or "
                               f"'{name}__accountName'")
    if not url.startswith("https://"):
        raise BlobBindingError(f"connection '{name}': the blob service URI must start with https://")
    credential = env.get(f"{name}__credential")
    client_id = env.get(f"{name}__clientId")
    if credential is None:
        if client_id:
            raise BlobBindingError(f"setting '{name}__clientId' needs '{name}__credential' set to "
                                   "'managedidentity'")
        return BlobConnection(account_url=url)
    if credential.strip().lower() != "managedidentity":
        raise BlobBindingError(f"setting '{name}__credential' must be 'managedidentity' (the only "
                               "credential the Functions host knows)")
    return BlobConnection(account_url=url, managed_identity_client_id=client_id or "")


def blob_service_for(name: str):
    """The BlobServiceClient for a binding's connection setting (imports the SDK now)."""
    from shared.adapters.azure_clients import CALL_LIMITS, _credential, blob_service

    if name == HOST_STORAGE:
        from shared.config import get_settings

        return blob_service(get_settings())
    from azure.storage.blob import BlobServiceClient

    connection = resolve_connection(name)
    if connection.connection_string:
        return BlobServiceClient.from_connection_string(connection.connection_string, **CALL_LIMITS)
    if connection.managed_identity_client_id is None:
        credential = _credential()
    else:
        from azure.identity import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=connection.managed_identity_client_id or None)
    return BlobServiceClient(connection.account_url, credential=credential, **CALL_LIMITS)


class StreamingBlob(SdkType):
    """Annotation for a blob trigger parameter: the function receives an
    ``azure.storage.blob.BlobClient`` for the triggering blob."""

    def __init__(self, *, data: Any) -> None:
        super().__init__(data=data)
        reference = read_reference(data)
        self.connection = reference.connection
        self.container = reference.container
        self.blob = reference.blob

    def get_sdk_type(self):
        return blob_service_for(self.connection).get_blob_client(self.container, self.blob)


class StreamingBlobConverter(InConverter, binding="blob", trigger="blobTrigger"):
    @classmethod
    def check_input_type_annotation(cls, pytype: type) -> bool:
        return isinstance(pytype, type) and issubclass(pytype, StreamingBlob)

    @classmethod
    def decode(cls, data: Datum, *, trigger_metadata, pytype) -> Any:
        if data is None or data.type is None:
            raise BlobBindingError(
                "blob trigger: the host sent no data for the blob (an empty datum) where it sends "
                "model_binding_data; check that the extension bundle is 4.x and that the function "
                "was indexed with SupportsDeferredBinding")
        if data.type != "model_binding_data":
            raise BlobBindingError(
                f"blob trigger: the host sent {data.type!r} data (the blob's content) where it sends "
                "model_binding_data (a reference): deferred binding is off for this function; check "
                "that shared.adapters.blob_binding is imported when function_app loads and that the "
                "extension bundle is 4.x")
        return StreamingBlob(data=data.value).get_sdk_type()
