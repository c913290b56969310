"""The outcome store's delivery rows on Azurite: one transaction for a delivery's end, a success
pointer that only moves forward, and the intent a later delivery reconciles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.azure_clients import table_service
from shared.adapters.outcomes import OutcomeStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(settings) -> OutcomeStore:
    outcomes = OutcomeStore(table_service(settings).get_table_client(settings.outcomes_table))
    outcomes.ensure_table()
    return outcomes


def success(day: str, file: str = "f.csv") -> dict:
    return {"status": "succeeded", "day": day, "file": file, "size": 10, "sha256": "0" * 64}


def intent(day: str, file: str = "f.csv") -> dict:
    return {**success(day, file), "status": "renaming", "temp": f".{file}.x.part"}


def test_a_delivery_end_writes_history_latest_and_pointer_and_clears_the_intent(store, org_code):
    etag = store.put_intent(org_code, intent("2026-11-28"))
    assert store.intent(org_code)["temp"] == ".f.csv.x.part"
    store.record_delivery(org_code, success("2026-11-28"), intent_etag=etag)
    assert store.intent(org_code) is None
    assert store.latest(org_code, "delivery_success")["day"] == "2026-11-28"
    assert store.latest(org_code, "delivery")["status"] == "succeeded"
    rows = store.history(org_code)
    assert [r["kind"] for r in rows] == ["delivery"]
    assert store.latest(org_code, "delivery")["history_row"] == rows[0]["RowKey"]


def test_the_pointer_never_moves_back_to_an_earlier_day(store, org_code):
    store.record_delivery(org_code, success("2026-11-28", "today.csv"))
    store.record_delivery(org_code, success("2026-11-27", "yesterday.csv"),
                          manual={"action": "redeliver", "reason": "opnieuw", "day": "2026-11-27"})
    pointer = store.latest(org_code, "delivery_success")
    assert (pointer["day"], pointer["file"]) == ("2026-11-28", "today.csv")
    # the earlier day's delivery is still in history, with its manual action, and is the last attempt
    assert store.latest(org_code, "delivery")["file"] == "yesterday.csv"
    assert sorted(r["kind"] for r in store.history(org_code)) == ["delivery", "delivery", "manual"]
    store.record_delivery(org_code, success("2026-11-28", "today-2.csv"))  # same day: moves
    assert store.latest(org_code, "delivery_success")["file"] == "today-2.csv"


def test_a_failing_transaction_writes_nothing(store, org_code):
    """One bad row (an entity too large for the table) and none of the rows is written: the
    history, the latest row and the pointer go together or not at all."""
    store.record_delivery(org_code, success("2026-11-27", "before.csv"))
    from azure.data.tables import TableTransactionError

    with pytest.raises(TableTransactionError):
        store.record_delivery(org_code, success("2026-11-28"),
                              manual={"action": "redeliver", "reason": "x" * 500, "day": "2026-11-28",
                                      "file": "é" * 40_000})
    assert store.latest(org_code, "delivery_success")["file"] == "before.csv"
    assert len(store.history(org_code)) == 1


def test_busy_is_history_only(store, org_code):
    store.record(org_code, "delivery", {"status": "failed", "day": "2026-11-28", "error_kind": "auth"})
    store.record(org_code, "delivery", {"status": "busy", "day": "2026-11-28"}, latest=False)
    assert store.latest(org_code, "delivery")["status"] == "failed"
    assert [r["status"] for r in store.history(org_code)] == ["busy", "failed"]


def test_history_and_purge_never_see_the_intent_or_pointer(store, org_code):
    store.record_delivery(org_code, success("2026-11-27"), at=datetime(2020, 1, 1, tzinfo=UTC))
    store.put_intent(org_code, intent("2026-11-28"))
    assert all(r["RowKey"][0].isdigit() for r in store.history(org_code))
    assert store.purge(org_code, datetime(2021, 1, 1, tzinfo=UTC)) == 1
    assert store.intent(org_code) is not None
    assert store.latest(org_code, "delivery_success") is not None


def test_a_pointer_moved_by_another_writer_in_between_is_read_again_not_overwritten(store, org_code):
    """Two deliveries end at once (an earlier day by hand, today by the timer): the earlier one
    read the pointer before the later one moved it. Its transaction must fail on the changed row
    and, read again, leave the later day in place."""
    store.record_delivery(org_code, success("2026-11-26", "old.csv"))
    other = OutcomeStore(store.table)

    class Racing(OutcomeStore):
        raced = False

        def _entity(self, org, row):
            found = super()._entity(org, row)
            if row == "latest-delivery_success" and not self.raced:
                self.raced = True  # the timer's delivery of a later day lands right now
                other.record_delivery(org, success("2026-11-28", "today.csv"))
            return found

    Racing(store.table).record_delivery(org_code, success("2026-11-27", "yesterday.csv"))
    assert store.latest(org_code, "delivery_success")["file"] == "today.csv"
    assert len(store.history(org_code)) == 3


@pytest.mark.parametrize("failing_write", [1, 2])
def test_a_storage_failure_in_the_intakes_outcome_writes_never_leaves_the_pointer_behind(
        intake, org_code, monkeypatch, failing_write):
    """The outcome table fails at the intake's first or second table write (a crash between two
    writes). The trigger retries the extract. Afterwards the latest extract and the pointer to
    the accepted extract (the status's snapshot age) agree: a fresh snapshot is never shown as
    stale. (With the pointer as a second write, a failure there left it behind for good: the
    retry saw the same hash and stopped.)"""
    from azure.core.exceptions import ServiceRequestError

    from shared.usecases.intake import EXTRACTS_CONTAINER
    from tests.helpers import bsns, csv_bytes

    data = csv_bytes(*[f"{b};01-02-2024;01-02-2024;;" for b in bsns(5)])
    intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/export.csv", data)
    table = intake.outcomes.table
    writes = []

    def counted(real):
        def write(*args, **kwargs):
            writes.append(real.__name__)
            if len(writes) == failing_write:
                raise ServiceRequestError("storage unreachable")
            return real(*args, **kwargs)
        return write

    for name in ("submit_transaction", "upsert_entity", "create_entity", "update_entity"):
        monkeypatch.setattr(table, name, counted(getattr(table, name)))
    outcome = None
    for _ in range(3):  # the blob trigger tries again after a failure
        try:
            outcome = intake.process(f"{org_code}/export.csv")
            break
        except ServiceRequestError:
            continue
    assert outcome is not None and writes
    latest = intake.outcomes.latest(org_code, "extract")
    pointer = intake.outcomes.latest(org_code, "extract_accepted")
    assert latest["decision"] == "accepted"
    assert pointer is not None and pointer["sha256"] == latest["sha256"]


def test_a_success_write_never_removes_another_deliverys_intent(store, org_code):
    """A delivery whose intent was settled (removed) by another one, which then wrote its own:
    the late success write records nothing and leaves the other intent alone."""
    from shared.adapters.outcomes import AlreadySettled, IntentOpen

    mine = store.put_intent(org_code, intent("2026-11-28", "a.csv"))
    store.record_delivery(org_code, success("2026-11-28", "a.csv"), intent_etag=mine)  # settled
    theirs = store.put_intent(org_code, intent("2026-11-28", "b.csv"))
    with pytest.raises(IntentOpen):
        store.put_intent(org_code, intent("2026-11-28", "c.csv"))  # never overwritten
    with pytest.raises(AlreadySettled):
        store.record_delivery(org_code, success("2026-11-28", "a.csv"), intent_etag=mine)
    assert store.intent(org_code)["file"] == "b.csv"
    assert len(store.history(org_code)) == 1
    assert store.clear_intent(org_code, mine) is False  # not ours: stays
    assert store.clear_intent(org_code, theirs) is True and store.intent(org_code) is None


def test_every_read_of_a_table_not_yet_made_is_empty_not_an_error(settings, org_code):
    """A fresh deployment: status is asked before the first outcome made the table."""
    table = table_service(settings).get_table_client(f"fresh{org_code}")
    store = OutcomeStore(table)
    assert store.latest(org_code, "delivery") is None and store.intent(org_code) is None
    assert store.unconfirmed(org_code) == [] and store.history(org_code) == []
    assert store.history_page(org_code) == ([], None)
    assert store.purge(org_code, datetime(2026, 1, 1, tzinfo=UTC)) == 0
    assert store.recorded(org_code, "2026-11-28", "f.csv", "0" * 64) is False
    assert store.day_sequence(org_code, "2026-11-28") == 0
    tables = table_service(settings).query_tables("TableName eq @name",
                                                  parameters={"name": f"fresh{org_code}"})
    assert list(tables) == []  # reading made no table
