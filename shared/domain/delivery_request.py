"""A request to deliver one organisation's file for one day: the message on the delivery queue.

The timer decides who is due and sends one request per due organisation and day; a queue
trigger (on Azure, scaled out by the platform) or the local consumer (``vish deliver``, the demo,
the tests) takes each request and delivers that one organisation. A request is a wish, not a
command: delivering is idempotent (the lease and the exactly-once rules of the delivery), so a
duplicate request for a day already delivered or in flight is harmless.

A message is read as hostile input: small, JSON, exactly these fields, each checked. Nothing in
it is personal data (an organisation code, a day, a reason an operator typed, which is masked
where it is recorded).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

# The queue the timer fills and the trigger drains (setting VISH_DELIVERY_QUEUE, this default in
# Azure: infra-bicep creates it), and where the Functions host moves a message that failed
# MAX_DEQUEUE_COUNT times: the queue's name plus "-poison" (the host's own rule).
DEFAULT_QUEUE = "vish-deliveries"
POISON_SUFFIX = "-poison"
# Kept equal to host.json's extensions.queues.maxDequeueCount (tests/test_delivery_queue.py).
MAX_DEQUEUE_COUNT = 5
# How long a scheduled request may live in the queue (from its sending, also while it is being
# tried): long enough for every try the host allows when each try hangs until functionTimeout
# (5 x (30 + 1) min = 155 min), so such a request reaches the poison queue and is recorded
# instead of expiring unseen; short enough that a backlog after an outage stays a few requests
# per organisation (the next ticks send new ones anyway). tests/test_delivery_queue.py checks it
# against host.json.
SCHEDULED_TTL_SECONDS = 4 * 60 * 60
# A person's request (re-delivery, release) waits longer: it is not repeated by a tick.
MANUAL_TTL_SECONDS = 24 * 60 * 60

MAX_MESSAGE_CHARS = 4096
# Azure's rule for a queue name (3-63 characters, lowercase letters, digits and single hyphens,
# no hyphen first or last), shortened so the poison queue's name fits too.
QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,54}[a-z0-9]$")
_ORG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")  # as config.Organisation.code
_ID = re.compile(r"^[0-9a-f]{32}$")
_FIELDS = {"v", "id", "org", "day", "reason", "manual", "settle_only", "sent"}
VERSION = 1
REASONS_OF_THE_SCHEDULE = ("schedule",)


class BadRequest(ValueError):
    """A message that is not a delivery request. The text names what is wrong, never a value."""


@dataclass(frozen=True)
class DeliveryRequest:
    org: str
    day: date
    reason: str
    id: str
    sent: datetime
    manual: bool = False  # a person's re-delivery: sent even when the day was delivered
    settle_only: bool = False  # only settle an intent left open (nothing built or sent)

    @property
    def scheduled(self) -> bool:
        return not self.manual and self.reason in REASONS_OF_THE_SCHEDULE

    @property
    def ttl_seconds(self) -> int:
        return SCHEDULED_TTL_SECONDS if self.scheduled else MANUAL_TTL_SECONDS

    def to_json(self) -> str:
        return json.dumps({"v": VERSION, "id": self.id, "org": self.org, "day": self.day.isoformat(),
                           "reason": self.reason, "manual": self.manual,
                           "settle_only": self.settle_only, "sent": self.sent.isoformat()},
                          separators=(",", ":"), ensure_ascii=True)


def is_queue_name(name: str) -> bool:
    return bool(QUEUE_NAME.match(name)) and "--" not in name


def poison_queue(queue: str) -> str:
    return queue + POISON_SUFFIX


def parse_request(text: str | bytes) -> DeliveryRequest:
    """The request in a queue message, or :class:`BadRequest`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("het bericht is geen UTF-8-tekst") from None
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest("het bericht is te lang voor een leveringsverzoek")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("het bericht is geen JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("het bericht is geen JSON-object")
    if set(data) - _FIELDS or not {"v", "id", "org", "day", "reason", "sent"} <= set(data):
        raise BadRequest("het bericht heeft niet de velden van een leveringsverzoek")
    if data["v"] != VERSION or isinstance(data["v"], bool):
        raise BadRequest("onbekende versie van het leveringsverzoek")
    org, ident, reason = data["org"], data["id"], data["reason"]
    if not (isinstance(org, str) and _ORG.match(org)):
        raise BadRequest("org is geen organisatiecode")
    if not (isinstance(ident, str) and _ID.match(ident)):
        raise BadRequest("id is geen verzoeknummer")
    if not (isinstance(reason, str) and 0 < len(reason) <= 500):
        raise BadRequest("reason ontbreekt of is te lang")
    day = _date(data["day"])
    sent = _time(data["sent"])
    flags = {}
    for name in ("manual", "settle_only"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise BadRequest(f"{name} is geen true of false")
        flags[name] = value
    if flags["manual"] and flags["settle_only"]:
        raise BadRequest("een verzoek is een levering of een afronding, niet beide")
    return DeliveryRequest(org=org, day=day, reason=reason, id=ident, sent=sent, **flags)


def _date(value) -> date:
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise BadRequest("day is geen datum (JJJJ-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest("day is geen bestaande datum") from None


def _time(value) -> datetime:
    if not (isinstance(value, str) and len(value) <= 40):
        raise BadRequest("sent is geen tijdstip")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest("sent is geen tijdstip") from None
    if at.tzinfo is None:
        raise BadRequest("sent heeft geen tijdzone")
    return at
