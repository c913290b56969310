"""Queue triggers: deliver one organisation per request; record a request that ended in the
poison queue as that organisation's failed delivery.

The timer (``deliver_daily``) only sends the requests; the platform scales these out (host.json
``extensions.queues`` says how, and why). The identity-based connection is the app's storage
(``AzureWebJobsStorage__queueServiceUri`` with the managed identity); the queue's name is the
app setting VISH_DELIVERY_QUEUE (infra-bicep sets it and creates both queues).
"""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()


@bp.function_name("deliver_one")
@bp.queue_trigger(arg_name="message", queue_name="%VISH_DELIVERY_QUEUE%",
                  connection="AzureWebJobsStorage")
def deliver_one(message: func.QueueMessage) -> None:
    from shared.usecases.consumer import process
    from shared.wiring import delivery

    process(delivery(), message.get_body())


@bp.function_name("deliver_poison")
@bp.queue_trigger(arg_name="message", queue_name="%VISH_DELIVERY_QUEUE%-poison",
                  connection="AzureWebJobsStorage")
def deliver_poison(message: func.QueueMessage) -> None:
    from shared.usecases.consumer import process_poison
    from shared.wiring import delivery

    process_poison(delivery(), message.get_body(), message.dequeue_count)
