"""Names the intake gives a rejected file and its reports on Azurite: two uploads never share one,
also when their masked names match in the same second and nothing was read; what a counsellor
reads of a size or an internal fault (issue 14, point 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.usecases.intake import EXTRACTS_CONTAINER, megabytes
from tests.conftest import FixedClock

pytestmark = pytest.mark.integration

AT = FixedClock(datetime(2026, 11, 28, 8, 34, 5, tzinfo=UTC))


@pytest.fixture
def at_one_moment(intake, monkeypatch):
    """The intake service (cached by the wiring: changed through monkeypatch, so restored)
    with its clock stopped at one second."""
    monkeypatch.setattr(intake, "now", AT)
    return intake


def test_two_too_large_files_with_the_same_masked_name_keep_their_own_report_and_quarantine(
        at_one_moment, org_code, monkeypatch):
    """'jansen.csv' and 'jonker.csv' both show as 'jxxxxx.csv'; neither is read (too large), so
    no hash tells them apart: each still gets its own names, and nothing is overwritten."""
    intake = at_one_moment
    monkeypatch.setattr(intake, "settings", intake.settings.model_copy(update={"max_extract_bytes": 100}))
    outcomes = []
    for name in ("jansen.csv", "jonker.csv"):
        intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/{name}", b"x" * 200)
        outcomes.append(intake.process(f"{org_code}/{name}"))
    first, second = outcomes
    assert first.reason == second.reason == "too_large"
    assert first.report != second.report and first.quarantined != second.quarantined
    assert first.report.startswith(f"reports/{org_code}/2026-11-28_093405_jxxxxx_")
    assert first.quarantined.startswith(f"{org_code}/20261128T083405Z-")
    assert first.quarantined.endswith("-jxxxxx.csv")
    s = intake.settings
    assert len(intake.blobs.list_names(s.quarantine_container, f"{org_code}/")) == 2
    assert len(intake.blobs.list_names(s.reports_container, f"{org_code}/")) == 4  # json + csv
    report = json.loads(intake.blobs.read_bytes(s.reports_container,
                                                first.report.partition("/")[2]))
    [issue] = [i for i in report["issues"] if i["code"] == "too_large"]
    assert issue["message"].endswith(": het bestand is 0,0 MB, de grens is 0,0 MB")


def test_two_rejected_files_with_the_same_masked_name_in_one_second_are_both_kept(at_one_moment, org_code):
    intake = at_one_moment
    quarantined = []
    for name, content in (("jansen.csv", b"%PDF-1.7 een"), ("jonker.csv", b"%PDF-1.7 twee")):
        intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/{name}", content)
        quarantined.append(intake.process(f"{org_code}/{name}").quarantined)
    assert quarantined[0] != quarantined[1]
    kept = intake.blobs.list_names(intake.settings.quarantine_container, f"{org_code}/")
    assert sorted(kept) == sorted(quarantined)


def test_two_uploads_to_an_unknown_folder_in_one_second_are_both_kept(at_one_moment):
    intake = at_one_moment
    for content in (b"een", b"twee"):
        intake.blobs.upload(EXTRACTS_CONTAINER, "onbekend-x/jansen.csv", content)
        assert intake.process("onbekend-x/jansen.csv").reason == "unknown_organisation"
    kept = intake.blobs.list_names(intake.settings.quarantine_container, "_onbekend/onbekend-x/")
    assert len(kept) == 2


def test_an_internal_fault_is_told_as_one_without_a_class_name(intake, org_code, monkeypatch):
    """Something unforeseen while reading: rejected (never a retry loop), and the counsellor
    reads that it is not necessarily the file and whom to tell, never 'KeyError'."""
    import shared.usecases.intake as module

    def broken(*args, **kwargs):
        raise KeyError("1234567890 geheim")

    monkeypatch.setattr(module, "validate_extract", broken)
    intake.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/export.csv", b"BSN;Startdatum\n")
    outcome = intake.process(f"{org_code}/export.csv")
    assert (outcome.decision, outcome.reason) == ("rejected", "unreadable")
    report = intake.blobs.read_bytes(intake.settings.reports_container,
                                     outcome.report.partition("/")[2]).decode()
    assert ("bij het lezen ging intern iets mis, niet per se door het bestand; meld het aan de "
            "beheerder (de oorzaak staat in de logboeken)") in report
    assert "KeyError" not in report and "geheim" not in report


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0,0 MB"), (1536 * 1024, "1,5 MB"), (600_000_000, "572 MB"),
    (512 * 1024 * 1024, "512 MB"), (3 * 1024 ** 3, "3.072 MB"),
])
def test_a_size_reads_as_windows_shows_it(size, shown):
    assert megabytes(size) == shown


def test_a_configured_code_is_logged_as_it_is_an_unknown_folder_masked(settings, monkeypatch,
                                                                       caplog):
    """``gemeente-1985`` is a configured code (configuration, not a birth year): its log lines
    name it; the same digits in a folder of no organisation are masked."""
    import logging

    from shared import config, wiring
    from tests.conftest import organisations_for

    monkeypatch.setenv("VISH_ORGANISATIONS_JSON",
                       organisations_for("gemeente-1985").model_dump_json())
    config.get_settings.cache_clear()
    wiring.intake.cache_clear()
    service = wiring.intake()
    try:
        with caplog.at_level(logging.INFO, logger="vish"):
            for folder in ("gemeente-1985", "jansen-1985"):
                service.blobs.upload(EXTRACTS_CONTAINER, f"{folder}/export.csv", b"%PDF-1.7")
                service.process(f"{folder}/export.csv")
    finally:
        wiring.intake.cache_clear()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "org=gemeente-1985" in text
    assert "jansen-1985" not in text and "1985" not in text.replace("gemeente-1985", "")
