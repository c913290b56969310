"""Service clients from settings: a connection string locally, managed identity in Azure."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.config import Settings

if TYPE_CHECKING:  # imported lazily: the status function must cold-start without them
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient


# Every storage and Key Vault call is bounded: a try takes at most about 20 s (connect 5, each
# read 15) and is tried at most three times. Shorter than the delivery's 60 s lease per try; the
# lease keeper and the fence before the rename cover the rest (see shared/adapters/lease.py).
CALL_LIMITS = {"connection_timeout": 5, "read_timeout": 15, "retry_total": 2,
               "retry_backoff_factor": 0.5, "retry_backoff_max": 4}


@lru_cache(maxsize=1)
def _credential():
    from azure.identity import DefaultAzureCredential

    # AZURE_CLIENT_ID selects the user-assigned managed identity (set by the Bicep).
    return DefaultAzureCredential(managed_identity_client_id=os.environ.get("AZURE_CLIENT_ID"))


# A download's first request takes up to max_single_get_size at once (the SDK's default:
# 32 MiB, joined in memory), later ones max_chunk_get_size. 1 MiB each keeps a streamed read
# (the snapshot, the outbox file sent over SFTP) at one small piece, so a delivery of 1M people
# stays under 100 MB (benchmarks/national_day.py: 179 MB with the defaults, 96-99 MB with 4 MiB,
# 90-92 MB with 1 MiB pieces; the time did not change).
BLOB_PIECES = {"max_single_get_size": 1024 * 1024, "max_chunk_get_size": 1024 * 1024}


def blob_service(settings: Settings) -> BlobServiceClient:
    from azure.storage.blob import BlobServiceClient

    conn = settings.connection_string()
    if conn:
        return BlobServiceClient.from_connection_string(conn, **CALL_LIMITS, **BLOB_PIECES)
    return BlobServiceClient(settings.blob_service_uri, credential=_credential(), **CALL_LIMITS,
                             **BLOB_PIECES)


def table_service(settings: Settings) -> TableServiceClient:
    from azure.data.tables import TableServiceClient

    conn = settings.connection_string()
    if conn:
        return TableServiceClient.from_connection_string(conn, **CALL_LIMITS)
    if not settings.table_service_uri:
        from shared.config import ConfigError

        raise ConfigError("VISH_TABLE_SERVICE_URI (of AzureWebJobsStorage__tableServiceUri) "
                          "ontbreekt: die is nodig bij opslag via de managed identity")
    return TableServiceClient(settings.table_service_uri, credential=_credential(), **CALL_LIMITS)


def queue_service(settings: Settings) -> QueueServiceClient:
    from azure.storage.queue import QueueServiceClient

    conn = settings.connection_string()
    if conn:
        return QueueServiceClient.from_connection_string(conn, **CALL_LIMITS)
    if not settings.queue_service_uri:
        from shared.config import ConfigError

        raise ConfigError("VISH_QUEUE_SERVICE_URI (of AzureWebJobsStorage__queueServiceUri) "
                          "ontbreekt: die is nodig bij opslag via de managed identity")
    return QueueServiceClient(settings.queue_service_uri, credential=_credential(), **CALL_LIMITS)
