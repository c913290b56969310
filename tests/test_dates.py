from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.dates import parse_dutch_date

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
