"""The blob-trigger function end to end on Azurite: snapshot, reports, quarantine, outcomes."""

from __future__ import annotations

import csv
import io
import json
import logging
import re

import pytest
from azure.storage.blob import BlobClient

from devtools.devservices import user_function
from devtools.sample import HEADER, sample_rows
from shared.adapters.blobs import ConcurrentUpdate
from shared.usecases.intake import EXTRACTS_CONTAINER
from tests.helpers import TODAY, bsns

pytestmark = pytest.mark.integration

validate_extract = user_function("validate_extract")


def extract(rows: int, *, seed: int = 5, error_rate: float = 0.0) -> bytes:
    lines = sample_rows(rows, today=TODAY, seed=seed, error_rate=error_rate)
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8")


def drop_and_trigger(intake, azurite, org: str, data: bytes, name: str = "export.csv") -> str:
    """What happens in Azure: a file lands in extracts/{org}/, Event Grid fires the function."""
    blob_name = f"{org}/{name}"
    intake.blobs.upload(EXTRACTS_CONTAINER, blob_name, data)
    validate_extract(client=BlobClient.from_connection_string(
        azurite.connection_string, EXTRACTS_CONTAINER, blob_name))
    return blob_name


def entities(intake, org):
    return list(intake.outcomes.table.query_entities("PartitionKey eq @o", parameters={"o": org}))


def snapshot_rows(intake, org):
    text = intake.blobs.read_bytes(intake.settings.snapshots_container, f"{org}/current.csv").decode()
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_accepted_extract_replaces_the_snapshot_and_writes_reports_and_outcome(intake, azurite, org_code):
    data = extract(60, error_rate=0.0)
    blob_name = drop_and_trigger(intake, azurite, org_code, data)

    people = snapshot_rows(intake, org_code)
    assert len(people) >= 60 and {p["origin"] for p in people} <= {"row", "partner"}
    latest = intake.outcomes.latest(org_code, "extract")
    assert latest["decision"] == "accepted" and latest["rows_total"] == 60
    assert latest["people"] == len(people) and len(latest["sha256"]) == 64
    assert isinstance(latest["duration_ms"], int) and 0 <= latest["duration_ms"] < 60_000
    assert latest["schema_version"] == 1

    s = intake.settings
    report = json.loads(intake.blobs.read_bytes(s.reports_container, latest["report"].split("/", 1)[1]))
    assert report["decision"] == "accepted" and report["rows"]["total"] == 60
    csv_report = intake.blobs.read_bytes(s.reports_container,
                                         latest["report"].split("/", 1)[1][:-5] + ".csv").decode("utf-8-sig")
    assert csv_report.startswith("regel;veld;code;ernst;melding;dossiernummer")
    assert "geaccepteerd" in csv_report
    assert intake.blobs.info(EXTRACTS_CONTAINER, blob_name) is None  # personal data not left lying
    meta = intake.blobs.info(s.snapshots_container, f"{org_code}/current.csv").metadata
    assert meta["source_sha256"] == latest["sha256"] and meta["people"] == str(len(people))


def test_rejected_extract_is_quarantined_and_the_snapshot_stays(intake, azurite, org_code):
    drop_and_trigger(intake, azurite, org_code, extract(40))
    before = intake.blobs.info(intake.settings.snapshots_container, f"{org_code}/current.csv")

    broken = extract(40, seed=6, error_rate=0.5)
    drop_and_trigger(intake, azurite, org_code, broken, name="export-2.csv")

    after = intake.blobs.info(intake.settings.snapshots_container, f"{org_code}/current.csv")
    assert after.etag == before.etag
    latest = intake.outcomes.latest(org_code, "extract")
    assert (latest["decision"], latest["reason"]) == ("rejected", "too_many_invalid")
    quarantined = intake.blobs.list_names(intake.settings.quarantine_container, f"{org_code}/")
    # Kept under the name as shown everywhere (letters of words masked: it may be a surname).
    assert len(quarantined) == 1 and quarantined[0].endswith("exxxxx-2.csv")
    assert intake.blobs.read_bytes(intake.settings.quarantine_container, quarantined[0]) == broken


def test_the_same_content_processed_twice_has_no_second_effect(intake, azurite, org_code):
    data = extract(30)
    drop_and_trigger(intake, azurite, org_code, data)
    snapshot = intake.blobs.info(intake.settings.snapshots_container, f"{org_code}/current.csv")
    reports = intake.blobs.list_names(intake.settings.reports_container, f"{org_code}/")

    blob_name = drop_and_trigger(intake, azurite, org_code, data, name="export-again.csv")

    assert intake.blobs.info(intake.settings.snapshots_container, f"{org_code}/current.csv").etag == \
        snapshot.etag
    assert intake.blobs.list_names(intake.settings.reports_container, f"{org_code}/") == reports
    assert len(intake.outcomes.history(org_code)) == 1
    assert intake.blobs.info(EXTRACTS_CONTAINER, blob_name) is None


def test_a_repeated_event_for_a_processed_blob_does_nothing(intake, azurite, org_code):
    blob_name = drop_and_trigger(intake, azurite, org_code, extract(10))
    validate_extract(client=BlobClient.from_connection_string(
        azurite.connection_string, EXTRACTS_CONTAINER, blob_name))
    assert len(intake.outcomes.history(org_code)) == 1


def test_an_extract_that_would_deregister_many_people_is_held(intake, azurite, org_code):
    full = extract(50)
    drop_and_trigger(intake, azurite, org_code, full)
    before = intake.blobs.info(intake.settings.snapshots_container, f"{org_code}/current.csv")
    half = b"".join(full.splitlines(keepends=True)[:26])  # header + 25 of 50 rows
    drop_and_trigger(intake, azurite, org_code, half, name="half.csv")

    latest = intake.outcomes.latest(org_code, "extract")
    assert (latest["decision"], latest["reason"]) == ("rejected", "mass_drop_held")
    assert latest["people_removed"] > 0.3 * latest["current_people"]
    assert intake.blobs.info(intake.settings.snapshots_container, f"{org_code}/current.csv").etag == \
        before.etag
    assert intake.blobs.list_names(intake.settings.quarantine_container, f"{org_code}/")


def test_a_person_whose_row_breaks_today_stays_registered(intake, azurite, org_code):
    people = bsns(30, seed=11)
    good = [f"{b};01-02-2024;01-02-2024;;D{i}" for i, b in enumerate(people)]
    header = "BSN;Startdatum;Datum toelating;Einddatum;Dossiernummer"
    drop_and_trigger(intake, azurite, org_code, "\n".join([header, *good]).encode())
    broken = [f"{people[0]};31-31-2024;;;D0", *good[1:]]
    drop_and_trigger(intake, azurite, org_code, "\n".join([header, *broken]).encode(), name="2.csv")

    rows = {r["bsn"]: r for r in snapshot_rows(intake, org_code)}
    assert len(rows) == 30 and rows[people[0]]["origin"] == "carried_over"
    assert intake.outcomes.latest(org_code, "extract")["carried_over"] == 1


def test_unknown_organisation_folder_is_recorded_and_quarantined(intake, azurite):
    blob_name = drop_and_trigger(intake, azurite, "onbekende-gemeente", extract(5))
    assert intake.blobs.info(EXTRACTS_CONTAINER, blob_name) is None
    outcome = intake.outcomes.latest("_onbekend", "extract")
    assert outcome["reason"] == "unknown_organisation" and outcome["folder"] == "onbekende-gemeente"
    assert intake.blobs.list_names(intake.settings.quarantine_container, "_onbekend/onbekende-gemeente/")


@pytest.mark.parametrize(("payload", "reasons"), [
    (b"\x00\xff" * 5000, {"missing_column"}),  # reads as UTF-16 text: no known column
    (b"\x00\x01\x02\x03" * 5000, {"not_csv"}),
    (b"PK\x03\x04" + bytes(range(256)) * 50, {"not_csv"}),
    (b"", {"empty_file"}),
])
def test_unreadable_or_hostile_blobs_end_as_a_recorded_rejection(intake, azurite, org_code, payload,
                                                                 reasons):
    drop_and_trigger(intake, azurite, org_code, payload, name="rommel.xlsx")
    latest = intake.outcomes.latest(org_code, "extract")
    assert latest["decision"] == "rejected"
    assert latest["reason"] in reasons


def counting_trigger_client(azurite, blob_name: str) -> tuple[BlobClient, list[tuple[str, int]]]:
    """The trigger's BlobClient, recording (Range header, body bytes) of every GET it makes."""
    gets: list[tuple[str, int]] = []

    def count(response) -> None:
        if response.http_request.method == "GET":
            gets.append((response.http_request.headers.get("x-ms-range", ""),
                         int(response.http_response.headers.get("Content-Length", 0))))

    client = BlobClient.from_connection_string(azurite.connection_string, EXTRACTS_CONTAINER, blob_name,
                                               raw_response_hook=count)
    return client, gets


def test_a_too_large_blob_is_rejected_without_reading_it(intake, azurite, org_code, monkeypatch):
    data = extract(200)  # 25 KB
    monkeypatch.setattr(intake.settings, "max_extract_bytes", 100)
    intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/groot.csv", data)
    client, gets = counting_trigger_client(azurite, f"{org_code}/groot.csv")
    validate_extract(client=client)
    latest = intake.outcomes.latest(org_code, "extract")
    assert (latest["decision"], latest["reason"]) == ("rejected", "too_large")
    assert sum(size for _, size in gets) <= 100, gets  # decided on the size alone
    [quarantined] = intake.blobs.list_names(intake.settings.quarantine_container, f"{org_code}/")
    assert intake.blobs.read_bytes(intake.settings.quarantine_container, quarantined) == data

    # the control: within the limit, the same client reads every byte (the count is real)
    monkeypatch.setattr(intake.settings, "max_extract_bytes", 10 * len(data))
    intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/normaal.csv", data)
    client, gets = counting_trigger_client(azurite, f"{org_code}/normaal.csv")
    validate_extract(client=client)
    assert intake.outcomes.latest(org_code, "extract")["decision"] == "accepted"
    assert sum(size for _, size in gets) == len(data)


def test_a_conditional_snapshot_write_loses_against_a_concurrent_one(intake, org_code):
    s = intake.settings
    name = f"{org_code}/current.csv"
    etag = intake.blobs.upload(s.snapshots_container, name, b"a", if_none_exists=True)
    intake.blobs.upload(s.snapshots_container, name, b"b", if_match=etag)
    with pytest.raises(ConcurrentUpdate):
        intake.blobs.upload(s.snapshots_container, name, b"c", if_match=etag)
    with pytest.raises(ConcurrentUpdate):
        intake.blobs.upload(s.snapshots_container, name, b"d", if_none_exists=True)
    assert intake.blobs.read_bytes(s.snapshots_container, name) == b"b"


def test_no_bsn_name_or_birth_date_outside_the_snapshot(intake, azurite, org_code, debug_logs):
    data = extract(80, seed=21, error_rate=0.03)
    lines = data.decode().splitlines()
    rows = [line.split(";") for line in lines[1:]]
    secrets = {v for r in rows for v in (r[0], r[1]) if len(v) >= 8}
    secrets |= {b[-8:] for b in secrets}  # a shortened form is still the number
    birth_dates = {r[2] for r in rows if r[2]}
    names = {r[3] for r in rows if r[3]}

    # accepted (with some invalid rows), then a registered person's row breaks (carried over,
    # masked BSN in the report), then a held extract: every write path runs
    drop_and_trigger(intake, azurite, org_code, data, name=f"export-{rows[0][0]}.csv")
    first = next(r for r in rows if r[0] and r[9] and r[9] != "2025-31-12")
    broken = [";".join([first[0], *first[1:9], "31-31-2024", *first[10:]]) if r is first else ";".join(r)
              for r in rows]
    drop_and_trigger(intake, azurite, org_code, "\r\n".join([lines[0], *broken]).encode(), name="2.csv")
    drop_and_trigger(intake, azurite, org_code, "\r\n".join(lines[:20]).encode(), name="klein.csv")
    assert [e["decision"] for e in intake.outcomes.history(org_code)] == ["rejected", "accepted",
                                                                           "accepted"]

    s = intake.settings
    written = [json.dumps(e, default=str) for e in entities(intake, org_code)]
    for name in intake.blobs.list_names(s.reports_container, f"{org_code}/"):
        written.append(intake.blobs.read_bytes(s.reports_container, name).decode("utf-8-sig"))
    written.append(debug_logs.text)
    written.extend(r.getMessage() for r in debug_logs.records)
    corpus = "\n".join(written)
    assert "carried_over" in corpus and "*****" + first[0][-4:] in corpus  # the scan sees real content
    assert [b for b in secrets if b in corpus] == []
    assert [d for d in birth_dates if d in corpus or _iso(d) in corpus] == []
    assert [n for n in names if re.search(rf"\b{re.escape(n)}\b", corpus)] == []


def _iso(dmy: str) -> str:
    d, m, y = dmy.split("-")
    return f"{y}-{m}-{d}"


def test_log_output_masks_bsns_even_from_loggers_outside_the_project(capsys):
    from shared.log import configure_logging

    configure_logging("DEBUG")
    logging.getLogger("someone.else").warning("client %s failed", "123456782")
    logging.getLogger("vish.test").error("dossier 12345672 (a BSN without its leading zero) "
                                         "masked; VISH_VB-0001_20261129_001.csv, 12345678 and "
                                         "hash a123456789b stay readable")
    err = capsys.readouterr().err
    assert "123456782" not in err and "*****6782" in err
    assert "12345672" not in err and "*****5672" in err
    # Only what can be a BSN is masked: dates, other numbers and hashes stay readable.
    assert "VISH_VB-0001_20261129_001.csv, 12345678 and hash a123456789b" in err



def test_the_binding_turns_model_binding_data_into_a_streaming_blob_client(intake, azurite, org_code,
                                                                           monkeypatch):
    """What the worker does with the host's reference to the blob, against Azurite."""
    from types import SimpleNamespace

    from azurefunctions.extensions.base import Datum

    from shared.adapters.blob_binding import StreamingBlob, StreamingBlobConverter

    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/x.csv", b"BSN;Startdatum\n")
    mbd = SimpleNamespace(version="1.0", source="AzureStorageBlobs", content_type="application/json",
                          content=json.dumps({"Connection": "AzureWebJobsStorage",
                                              "ContainerName": EXTRACTS_CONTAINER,
                                              "BlobName": f"{org_code}/x.csv"}))
    client = StreamingBlobConverter.decode(Datum(mbd, "model_binding_data"), trigger_metadata={},
                                           pytype=StreamingBlob)
    assert client.blob_name == f"{org_code}/x.csv"
    assert b"".join(client.download_blob().chunks()) == b"BSN;Startdatum\n"
    with pytest.raises(ValueError, match="model_binding_data"):
        StreamingBlobConverter.decode(Datum(b"bytes", "bytes"), trigger_metadata={}, pytype=StreamingBlob)


def test_a_damaged_snapshot_is_named_as_such_and_the_extract_is_kept(intake, azurite, org_code):
    s = intake.settings
    intake.ensure_storage()
    bsn = bsns(1)[0]
    damaged = ("bsn;partner_bsn\n" + f"{bsn};x\n").encode()  # not a snapshot header
    intake.blobs.upload(s.snapshots_container, f"{org_code}/current.csv", damaged)
    drop_and_trigger(intake, azurite, org_code, extract(10))
    latest = intake.outcomes.latest(org_code, "extract")
    assert (latest["decision"], latest["reason"]) == ("rejected", "snapshot_unreadable")
    container, _, kept = latest["quarantined"].partition("/")
    assert container == s.quarantine_container and kept.startswith(f"{org_code}/")
    assert intake.blobs.read_bytes(container, kept) == extract(10)
    report = intake.blobs.read_bytes(s.reports_container, latest["report"].partition("/")[2])
    assert "snapshot" in report.decode() and bsn not in report.decode()


# -- report names and the held report (issue 14.2) ---------------------------------------------
def test_a_reports_name_is_the_local_time_and_the_dropped_files_name(intake, azurite, org_code):
    from datetime import UTC, datetime

    from tests.conftest import FixedClock

    # summer first: latest-extract follows the time received, so the clock only moves forward
    intake.now = FixedClock(datetime(2026, 7, 1, 8, 0, 0, tzinfo=UTC))  # 10:00:00 in summer
    drop_and_trigger(intake, azurite, org_code, extract(20, seed=9), name="clienten juli.csv")
    latest = intake.outcomes.latest(org_code, "extract")
    summer = f"{org_code}/2026-07-01_100000_cxxxxx_jxxxxx_{latest['sha256'][:12]}"
    assert latest["report"] == f"reports/{summer}.json"

    intake.now = FixedClock(datetime(2026, 11, 28, 8, 34, 5, tzinfo=UTC))  # 09:34:05 in winter
    data = extract(20)
    drop_and_trigger(intake, azurite, org_code, data, name="VISH_VB-0001_20261128_001.csv")
    sha = intake.outcomes.latest(org_code, "extract")["sha256"]
    base = f"{org_code}/2026-11-28_093405_Vxxxxx_Vxxxxx-0001_20261128_001_{sha[:12]}"
    assert sorted(intake.blobs.list_names(intake.settings.reports_container, f"{org_code}/")) == [
        summer + ".csv", summer + ".json", base + ".csv", base + ".json"]
    assert intake.outcomes.latest(org_code, "extract")["report"] == f"reports/{base}.json"


def test_a_held_extracts_report_lists_who_would_leave_and_how_to_release(intake, azurite, org_code):
    header = "BSN;Startdatum;Datum toelating;Einddatum;Dossiernummer"
    people = bsns(20, seed=41)
    drop_and_trigger(intake, azurite, org_code, "\n".join(
        [header, *(f"{b};01-02-2024;01-02-2024;;DOS-{i}" for i, b in enumerate(people))]).encode())
    drop_and_trigger(intake, azurite, org_code, "\n".join(
        [header, *(f"{b};01-02-2024;01-02-2024;;DOS-{i}" for i, b in enumerate(people[:12]))]
    ).encode(), name="te-kort.csv")

    latest = intake.outcomes.latest(org_code, "extract")
    assert latest["reason"] == "mass_drop_held"
    name = latest["report"].partition("/")[2][:-5] + ".csv"
    text = intake.blobs.read_bytes(intake.settings.reports_container, name).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1][4].endswith(
        "Moeten ze echt uit VISH, vraag dan de beheerder dit bestand vrij te geven (beheeractie "
        f"met de beheersleutel: POST /api/extracts/{org_code}/release met een reden en met de "
        f"eerste 12 tekens van de SHA-256 ({latest['sha256'][:12]}) in het veld sha256).")
    assert [(r[2], r[5]) for r in rows[2:]] == [("verdwijnt", f"DOS-{i}") for i in range(12, 20)]
    for person in people:
        assert person not in text


def test_one_typo_in_a_small_teams_file_does_not_reject_it(intake, azurite, org_code):
    header = "BSN;Startdatum;Datum toelating;Einddatum;Dossiernummer"
    people = bsns(14, seed=43)
    lines = [f"{b};01-02-2024;01-02-2024;;D{i}" for i, b in enumerate(people)]
    lines.append(f"{people[0][:-1]};01-02-2024;01-02-2024;;D99")  # 8 digits, 11-proef fails
    drop_and_trigger(intake, azurite, org_code, "\n".join([header, *lines]).encode())

    latest = intake.outcomes.latest(org_code, "extract")
    assert (latest["decision"], latest["rows_invalid"], latest["people"]) == ("accepted", 1, 14)
    name = latest["report"].partition("/")[2][:-5] + ".csv"
    text = intake.blobs.read_bytes(intake.settings.reports_container, name).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1][2:5] == ["besluit", "", (
        "Bestand geaccepteerd: 14 van 15 regels geldig. Niet verwerkt: 1 ongeldige regel "
        "(regel 16). Wie daarop staat, is nu niet aangemeld bij VISH. Verbeter de ongeldige "
        "regel in het bronsysteem (zie de fouten hieronder); de volgende aanlevering neemt die "
        "mee.")]
    assert (rows[2][0], rows[2][5]) == ("16", "D99")


def test_a_rejected_file_sent_again_after_the_settings_changed_is_checked_again(
        intake, azurite, org_code, monkeypatch):
    """The beheerder adds the column alias the report asked for; the counsellor sends the very
    same file again. It is validated anew (with a report), not ignored as a copy."""
    people = bsns(5, seed=23)
    data = "\n".join(["Klant-id;Startdatum;Datum toelating",
                      *(f"{b};01-02-2024;01-02-2024" for b in people)]).encode()
    drop_and_trigger(intake, azurite, org_code, data, name="export.csv")
    first = intake.outcomes.latest(org_code, "extract")
    assert (first["decision"], first["reason"]) == ("rejected", "missing_column")

    organisation = intake.organisations.get(org_code)
    monkeypatch.setattr(organisation, "column_aliases", {"Klant-id": "bsn"})
    drop_and_trigger(intake, azurite, org_code, data, name="export-weer.csv")
    again = intake.outcomes.latest(org_code, "extract")
    assert again["decision"] == "accepted" and again["sha256"] == first["sha256"]
    assert len(intake.blobs.list_names(intake.settings.reports_container, f"{org_code}/")) == 4
