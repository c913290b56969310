"""Blob trigger (Event Grid source): validate each extract dropped in ``extracts/{org}/{name}``.

The body only hands the blob to ``shared.usecases.intake``. The parameter is an SDK-type
binding (``shared.adapters.blob_binding.StreamingBlob``): the function gets a ``BlobClient`` and
streams the blob, instead of ``func.InputStream``, which would load the whole blob into memory;
and the Storage SDK is imported on the first blob, not when the function app starts.
"""

from __future__ import annotations

import azure.functions as func

from shared.adapters.blob_binding import StreamingBlob

bp = func.Blueprint()


@bp.function_name("validate_extract")
@bp.blob_trigger(
    arg_name="client",
    path="extracts/{org}/{name}",
    connection="AzureWebJobsStorage",
    source=func.BlobSource.EVENT_GRID,
)
def validate_extract(client: StreamingBlob) -> None:
    from shared.usecases.intake import EXTRACTS_CONTAINER
    from shared.wiring import intake

    # At run time ``client`` is the azure.storage.blob.BlobClient the converter made.
    if client.container_name != EXTRACTS_CONTAINER:  # pragma: no cover - path fixes it
        raise ValueError("validate_extract is bound to the extracts container only")
    intake().process(client.blob_name, source=client)
