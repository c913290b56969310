"""An SDK-type blob trigger binding that loads the Storage SDK only when a blob arrives.

The Functions host can hand a blob trigger over as *model binding data* (container, blob name,
connection) instead of the blob's bytes; the Python worker then asks the converter registered
for ``blob``/``blobTrigger`` in ``azurefunctions.extensions.base`` to turn it into an SDK client.
``azurefunctions-extensions-bindings-blob`` does that, but importing it imports
``azure.storage.blob`` and ``azure.identity`` with the function app, which every function
(status included) pays for at cold start. This converter follows the same contract
(``SdkType`` annotation, ``InConverter`` registered for ``blob`` and ``blobTrigger``,
``decode`` of ``model_binding_data``) and creates the ``BlobClient`` on the first invocation,
through the project's own client construction (connection string locally, managed identity in
Azure). The function streams the blob with it; nothing loads the whole blob into memory.
"""

from __future__ import annotations

import json
from typing import Any

from azurefunctions.extensions.base import Datum, InConverter, SdkType


class StreamingBlob(SdkType):
    """Annotation for a blob trigger parameter: the function receives an
    ``azure.storage.blob.BlobClient`` for the triggering blob."""

    def __init__(self, *, data: Any) -> None:
        super().__init__(data=data)
        content = json.loads(data.content)
        self.connection = content.get("Connection") or "AzureWebJobsStorage"
        self.container = content["ContainerName"]
        self.blob = content["BlobName"]

    def get_sdk_type(self):
        return blob_service_for(self.connection).get_blob_client(self.container, self.blob)


def blob_service_for(connection: str):
    """The BlobServiceClient for a binding's connection setting (imports the SDK now)."""
    import os

    from shared.adapters.azure_clients import blob_service
    from shared.config import get_settings

    if connection == "AzureWebJobsStorage":
        return blob_service(get_settings())
    from azure.storage.blob import BlobServiceClient

    if os.environ.get(connection):
        return BlobServiceClient.from_connection_string(os.environ[connection])
    uri = os.environ.get(f"{connection}__blobServiceUri") or os.environ.get(f"{connection}__serviceUri")
    if not uri:
        raise ValueError(f"connection setting '{connection}' is not configured")
    from shared.adapters.azure_clients import _credential

    return BlobServiceClient(uri, credential=_credential())


class StreamingBlobConverter(InConverter, binding="blob", trigger="blobTrigger"):
    @classmethod
    def check_input_type_annotation(cls, pytype: type) -> bool:
        return isinstance(pytype, type) and issubclass(pytype, StreamingBlob)

    @classmethod
    def decode(cls, data: Datum, *, trigger_metadata, pytype) -> Any:
        if data is None or data.type is None:
            return None
        if data.type != "model_binding_data":
            raise ValueError(f"blob trigger: expected model_binding_data, got {data.type!r} "
                             "(is the extension bundle 4.x and SupportsDeferredBinding set?)")
        return StreamingBlob(data=data.value).get_sdk_type()
