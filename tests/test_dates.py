from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.dates import _CACHE_LIMIT, parse_dutch_date

DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))


@pytest.mark.parametrize("text", ["03-04-2025", "3-4-2025", "03/04/2025", "3/4/2025", "03.04.2025",
                                  "2025-04-03", "20250403", "2025-04-03 00:00:00",
                                  "2025-04-03T00:00:00"])
def test_accepted_forms_are_day_before_month(text):
    assert parse_dutch_date(text) == date(2025, 4, 3)


@pytest.mark.parametrize("text", ["12/31/2024", "31-31-2024", "03-04-25", "2025/04/03", "3 april 2025",
                                  "2025-04-03 12:30", "", "00-00-0000", "29-02-2023", "01-01-1899",
                                  "03-04/2025", "٠٣-٠٤-٢٠٢٥"])
def test_rejected_forms(text):
    assert parse_dutch_date(text) is None


@given(DATES)
def test_every_day_month_year_form_round_trips(d):
    for text in (d.strftime("%d-%m-%Y"), f"{d.day}-{d.month}-{d.year:04d}",
                 d.strftime("%d/%m/%Y"), d.isoformat(), d.strftime("%Y%m%d")):
        assert parse_dutch_date(text) == d


@given(DATES)
def test_month_first_text_is_never_read_month_first(d):
    """A US-style m/d/Y either fails or is read day-first; never as the US date it meant."""
    parsed = parse_dutch_date(f"{d.month:02d}/{d.day:02d}/{d.year:04d}")
    if d.day != d.month:
        assert parsed != d
    if parsed is not None:
        assert (parsed.day, parsed.month) == (d.month, d.day)


@pytest.mark.parametrize(("text", "expected"), [
    ("01-01-1900", date(1900, 1, 1)),  # the first year accepted
    ("19000101", date(1900, 1, 1)),
    ("31-12-1899", None),
    ("31-12-2199", date(2199, 12, 31)),  # the last ordinary year
    ("01-01-2200", None),
    ("31-12-9999", date(9999, 12, 31)),  # "no end date"
    ("31-12-9998", None),
])
def test_the_years_run_from_1900_to_2199_and_9999(text, expected):
    assert parse_dutch_date(text) == expected


def test_an_empty_cell_is_none_also_after_the_memo_has_filled_up_and_been_cleared():
    for i in range(_CACHE_LIMIT + 10):  # more distinct values than the memo holds
        assert parse_dutch_date(f"x{i}") is None
    assert parse_dutch_date("") is None
    assert parse_dutch_date("03-04-2025") == date(2025, 4, 3)
