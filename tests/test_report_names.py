"""Report names (``reports/{org}/...``): the local time and the dropped file's name, safe and
unique (issue 14.2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.privacy import safe_name
from shared.usecases.intake import report_name

WINTER = datetime(2026, 11, 28, 8, 34, 5, tzinfo=UTC)
SHA = "3f2a1b9c0d1e" + "0" * 52


def named(file_name: str, at: datetime = WINTER, sha: str = SHA) -> str:
    """As the intake names a report: from the name as :func:`safe_name` shows it."""
    return report_name(at, safe_name(file_name, at.date()), sha)


@pytest.mark.parametrize(("file_name", "expected"), [
    ("VISH_VB-0001_20261128_001.csv", "2026-11-28_093405_Vxxxxx_Vxxxxx-0001_20261128_001_3f2a1b9c0d1e"),
    ("export.CSV", "2026-11-28_093405_exxxxx_3f2a1b9c0d1e"),
    ("export.csv.gz", "2026-11-28_093405_exxxxx_3f2a1b9c0d1e"),
    ("clienten.2026.csv", "2026-11-28_093405_cxxxxx.2026_3f2a1b9c0d1e"),
    (".csv", "2026-11-28_093405_csv_3f2a1b9c0d1e"),
    ("...", "2026-11-28_093405___3f2a1b9c0d1e"),
])
def test_a_report_is_named_by_local_time_and_the_files_name(file_name, expected):
    assert named(file_name) == expected


def test_summer_time_and_the_hour_that_repeats_in_autumn():
    assert named("a.csv", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)).startswith("2026-07-01_100000_")
    first = named("a.csv", datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST
    second = named("a.csv", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "9" * 64)  # 02:30 CET
    assert first.startswith("2026-10-25_023000_") and second.startswith("2026-10-25_023000_")
    assert first != second  # another file in the repeated hour: its SHA-256 keeps them apart


def test_nothing_read_is_named_leeg():
    assert named("groot.csv", sha="") == "2026-11-28_093405_gxxxxx_leeg"


@pytest.mark.parametrize("file_name", [
    "../../etc/passwd", "a/b/c.csv", "..\\..\\x.csv", "x\x00y\x1b[2J\r\n.csv", "\u202ecod.exe.csv",
    "123456782-jansen-01-02-1980.csv", "a" * 600 + ".csv", "%2e%2e%2Fx.csv", "", " ", "con.csv",
])
def test_a_hostile_name_gives_a_bounded_name_of_safe_characters_only(file_name):
    name = named(file_name)
    stem = name[len("2026-11-28_093405_"):-len("_3f2a1b9c0d1e")]
    assert name.startswith("2026-11-28_093405_") and name.endswith("_3f2a1b9c0d1e")
    assert stem and len(stem) <= 80 and not stem.startswith(".") and not stem.endswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in stem), name
    assert "123456782" not in name and "1980" not in name and "jansen" not in name


def test_the_name_is_safe_even_when_given_unsafe_text_directly():
    name = report_name(WINTER, "a/../b\x00c d.csv", SHA)
    assert name == "2026-11-28_093405_a_.._b_c_d_3f2a1b9c0d1e"
    assert "/" not in report_name(WINTER, "/" * 10, SHA)


def test_the_masking_is_the_same_as_everywhere_else():
    # A birth date and a surname in the name are masked; an export date stays readable.
    assert named("jansen-01-02-1980.csv") == "2026-11-28_093405_jxxxxx-xx-xx-xxxx_3f2a1b9c0d1e"
    assert named("export-20261128.csv") == "2026-11-28_093405_exxxxx-20261128_3f2a1b9c0d1e"
