"""Storage queue adapter: the delivery queue and its poison queue.

Messages are base64-encoded text, as the Functions host's queue trigger reads them by default
(host.json ``extensions.queues.messageEncoding``): a plain-text message would fail to decode in
the host and end in the poison queue unprocessed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain.delivery_request import DeliveryRequest, poison_queue

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient, QueueServiceClient


@dataclass
class Received:
    """One message taken from a queue (invisible to others until it is deleted or its
    visibility ends). ``pop_receipt`` changes with each :meth:`DeliveryQueue.hold`."""

    id: str
    pop_receipt: str
    dequeue_count: int
    text: str  # the decoded text; "" when the message is not base64 text (no request, then)


class DeliveryQueue:
    def __init__(self, service: QueueServiceClient, name: str) -> None:
        from azure.storage.queue import TextBase64EncodePolicy

        self.service = service
        self.name = name
        self.poison_name = poison_queue(name)
        # Decoded here, not by the SDK: a message that is not base64 (sent by another tool)
        # must be one bad message, not an error that stops every receive.
        options = {"message_encode_policy": TextBase64EncodePolicy(), "message_decode_policy": None}
        self.queue: QueueClient = service.get_queue_client(name, **options)
        self.poison: QueueClient = service.get_queue_client(self.poison_name, **options)
        self.dead: QueueClient = service.get_queue_client(poison_queue(self.poison_name), **options)

    def ensure(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        for client in (self.queue, self.poison):
            with contextlib.suppress(ResourceExistsError):
                client.create_queue()

    def send(self, request: DeliveryRequest, *, delay: int = 0) -> str:
        """Put ``request`` on the delivery queue (visible after ``delay`` seconds); returns the
        message id."""
        sent = self.queue.send_message(request.to_json(), time_to_live=request.ttl_seconds,
                                       visibility_timeout=delay or None)
        return sent.id

    def receive(self, *, poison: bool = False, visibility_timeout: int) -> Received | None:
        """The next visible message (hidden for ``visibility_timeout`` seconds), or None."""
        client = self.poison if poison else self.queue
        for message in client.receive_messages(max_messages=1, visibility_timeout=visibility_timeout):
            return Received(message.id, message.pop_receipt, message.dequeue_count or 0,
                            _decoded(message.content))
        return None

    def hold(self, message: Received, *, seconds: int, poison: bool = False) -> None:
        """Keep ``message`` hidden for ``seconds`` more (a long delivery; as the host renews)."""
        client = self.poison if poison else self.queue
        updated = client.update_message(message.id, message.pop_receipt, visibility_timeout=seconds)
        message.pop_receipt = updated.pop_receipt

    def delete(self, message: Received, *, poison: bool = False) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        client = self.poison if poison else self.queue
        with contextlib.suppress(ResourceNotFoundError):  # gone already: its visibility ended
            client.delete_message(message.id, message.pop_receipt)

    def release(self, message: Received, *, after: int, poison: bool = False) -> None:
        """Let ``message`` be taken again after ``after`` seconds (a failed try)."""
        from azure.core.exceptions import ResourceNotFoundError

        client = self.poison if poison else self.queue
        with contextlib.suppress(ResourceNotFoundError):
            client.update_message(message.id, message.pop_receipt, visibility_timeout=after)

    def to_poison(self, message: Received, *, poison: bool = False) -> None:
        """What the host does after the last allowed try: the same text to the poison queue,
        then away from the queue it was on. A message of the poison queue itself that fails
        every try goes to that queue's own poison queue (``…-poison-poison``), where nothing
        takes it: an operator looks (docs/handleiding-beheer.md)."""
        if poison:
            from azure.core.exceptions import ResourceExistsError

            with contextlib.suppress(ResourceExistsError):
                self.dead.create_queue()
            self.dead.send_message(message.text)
        else:
            self.poison.send_message(message.text)
        self.delete(message, poison=poison)

    def waiting(self, *, poison: bool = False) -> int:
        """Messages in the queue, visible or not (an estimate, as Azure gives it)."""
        client = self.poison if poison else self.queue
        return client.get_queue_properties().approximate_message_count or 0


def _decoded(content) -> str:
    if isinstance(content, bytes):
        content = content.decode("ascii", "replace")
    try:
        return base64.b64decode(content or "", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""
