"""Small builders shared by the tests (fictitious data only)."""

from __future__ import annotations

import csv
import io
from datetime import date

from devtools.sample import bsn_from_prefix, unique_bsns
from shared.domain.validation import Rules, ValidationResult, validate_extract

TODAY = date(2026, 11, 28)
HEADER = "BSN;Startdatum traject;Datum toelating;Einddatum;Dossiernummer"


def bsns(count: int, seed: int = 3) -> list[str]:
    gen = unique_bsns(seed)
    return [next(gen) for _ in range(count)]


def invalid_checksum(bsn: str) -> str:
    """Same BSN with the last digit changed so the 11-proef fails."""
    for digit in "0123456789":
        candidate = bsn[:-1] + digit
        if candidate != bsn and bsn_from_prefix(int(bsn[:8])) != candidate:
            return candidate
    raise AssertionError("unreachable")


def csv_bytes(*lines: str, header: str = HEADER, newline: str = "\r\n",
              encoding: str = "utf-8") -> bytes:
    return (newline.join((header, *lines)) + newline).encode(encoding)


def run(data: bytes, *, today: date = TODAY, reference_date: date | None = None,
        rules: Rules | None = None, current: list[list[str]] | None = None,
        snapshot: bool = False, **kwargs) -> tuple[ValidationResult, list[list[str]] | None]:
    """Validate bytes; with ``snapshot`` also return the snapshot records (header excluded)."""
    out = io.StringIO() if snapshot else None
    result = validate_extract([data[i:i + 7] for i in range(0, len(data), 7)] if kwargs.pop(
        "tiny_chunks", False) else [data], today=today, reference_date=reference_date,
        rules=rules or Rules(),
        current_snapshot=current, snapshot_out=out, **kwargs)
    records = None
    if out is not None:
        records = list(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=";"))[1:]
    return result, records


def codes(result: ValidationResult) -> list[str]:
    return [issue.code.value for issue in result.issues]


def run_tick(service) -> list:
    """The timer's tick and then the queue's consumer, as on Azure: the outcomes of the
    requests the tick queued, in the order the tick queued them."""
    from shared.usecases.consumer import drain

    service.queue.ensure()
    requests = service.tick()
    done = drain(service, retry_after=0)
    return [outcome for request in requests
            if (outcome := done.outcome_of(request.id)) is not None]


def deliver_via_queue(service, org: str, day: date, *, reason: str, manual: bool = False,
                      settle_only: bool = False):
    """One delivery request through the real queue and its consumer; its outcome."""
    from shared.usecases.consumer import drain

    service.queue.ensure()
    request = service.new_request(org, day, reason=reason, manual=manual, settle_only=settle_only)
    service.queue.send(request)
    return drain(service, retry_after=0).outcome_of(request.id)


def release_via_queue(service, org: str, reason: str, sha256: str):
    """A person's release of a held delivery: recorded, queued, delivered by the consumer."""
    from shared.usecases.consumer import drain

    request = service.release_held(org, reason, sha256)
    return drain(service, retry_after=0).outcome_of(request.id)
