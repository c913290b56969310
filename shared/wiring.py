"""Wiring: the use cases of this process and their adapters, built once from the settings.

The one place that knows which adapter serves which use case. Entry points (functions, CLI)
ask here; heavy SDKs are imported inside the builders, on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from shared.config import Settings, get_settings, load_organisations

if TYPE_CHECKING:
    from shared.usecases.intake import Intake


def build_intake(settings: Settings) -> Intake:
    from shared.adapters.azure_clients import blob_service, table_service
    from shared.adapters.blobs import BlobStore
    from shared.adapters.outcomes import OutcomeStore
    from shared.usecases.intake import Intake

    return Intake(
        settings,
        load_organisations(settings),
        BlobStore(blob_service(settings)),
        OutcomeStore(table_service(settings).get_table_client(settings.outcomes_table)),
    )


@lru_cache(maxsize=1)
def intake() -> Intake:
    """The intake service of this worker process (storage created on first use)."""
    from shared.log import quiet_sdk_loggers

    quiet_sdk_loggers()
    service = build_intake(get_settings())
    service.ensure_storage()
    return service


def build_delivery(settings: Settings, *, secret_client_options: dict | None = None):
    """``secret_client_options``: passed to the Key Vault ``SecretClient`` (tests: TLS trust for
    a local stand-in); which secret store is used follows from the settings alone."""
    from shared.adapters.azure_clients import queue_service
    from shared.adapters.queue import DeliveryQueue
    from shared.adapters.secrets import secret_provider
    from shared.usecases.delivery import DeliveryService

    intake_service = build_intake(settings)
    return DeliveryService(settings, intake_service.organisations, intake_service.blobs,
                           intake_service.outcomes,
                           secret_provider(settings, **(secret_client_options or {})),
                           DeliveryQueue(queue_service(settings), settings.delivery_queue))


@lru_cache(maxsize=1)
def delivery():
    """The delivery service of this worker process."""
    from shared.log import quiet_sdk_loggers

    quiet_sdk_loggers()
    service = build_delivery(get_settings())
    intake().ensure_storage()
    service.queue.ensure()
    return service


@lru_cache(maxsize=1)
def status_service():
    """Status reads only the outcomes table: no blob, SFTP or Key Vault SDK is imported."""
    from shared.adapters.azure_clients import table_service
    from shared.adapters.outcomes import OutcomeStore
    from shared.log import quiet_sdk_loggers
    from shared.usecases.status import StatusService

    quiet_sdk_loggers()
    settings = get_settings()
    return StatusService(settings, load_organisations(settings),
                         OutcomeStore(table_service(settings).get_table_client(settings.outcomes_table)))
