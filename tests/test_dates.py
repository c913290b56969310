from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.dates import _CACHE_LIMIT, parse_dutch_date, year_has_two_digits

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


# -- Excel's midnight and two-digit years (issue 14), against a plain reading of the rule ---------------
MIDNIGHTS = ("", " 0:00", " 00:00", " 0:00:00", " 00:00:00")


def expected_day_first(text: str) -> date | None:
    """The rule written out by hand: d(d)-m(m)-jjjj with one separator kind (- / .), then
    nothing or exactly one of Excel's midnights; years 1900-2199 and 9999; a real day."""
    for midnight in MIDNIGHTS:
        if midnight and not text.endswith(midnight):
            continue
        body = text[:len(text) - len(midnight)]
        for sep in "-/.":
            parts = body.split(sep)
            if (len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts)
                    and len(parts[0]) in (1, 2) and len(parts[1]) in (1, 2) and len(parts[2]) == 4):
                year = int(parts[2])
                if not (1900 <= year <= 2199 or year == 9999):
                    return None
                try:
                    return date(year, int(parts[1]), int(parts[0]))
                except ValueError:
                    return None
    return None


TIMES = (*MIDNIGHTS, " 00:00 ", "  00:00", "T00:00", " 000:00", " 00:01", " 0:00:01", " 24:00",
         " 25:99", " 00:00:00.0", " 00.00", " 0:0", " 12:00", "\t00:00", " 00:00Z")
NEAR_DATES = st.builds(
    lambda day, month, year, seps, time: f"{day}{seps[0]}{month}{seps[1]}{year}{time}",
    st.sampled_from(["1", "01", "13", "29", "31", "32", "001", "0"]),
    st.sampled_from(["1", "02", "2", "12", "13", "00", "012"]),
    st.sampled_from(["2025", "1899", "1900", "2199", "2200", "9999", "25", "02025", "202"]),
    st.sampled_from(["--", "//", "..", "-/", "/."]),
    st.sampled_from(TIMES))


@given(NEAR_DATES)
def test_day_first_dates_with_or_without_a_time_follow_the_rule(text):
    assert parse_dutch_date(text) == expected_day_first(text)
    # the shape d(d)-m(m)-jj with one separator kind, with nothing or a midnight after it, is
    # told apart when its first groups can be a day (1-31) and a month (1-12): else it may be
    # month-first (1/13/25, 12/31/24) and is a plain unrecognised date
    heads = [text[:len(text) - len(time)] for time in MIDNIGHTS if text.endswith(time)]
    shapes = [(head, sep) for head in heads for sep in "-/." if len(head.split(sep)) == 3]
    assert year_has_two_digits(text) == any(
        [len(p) for p in head.split(sep)] in ([1, 1, 2], [1, 2, 2], [2, 1, 2], [2, 2, 2])
        and head.replace(sep, "").isdigit()
        and 1 <= int(head.split(sep)[0]) <= 31 and 1 <= int(head.split(sep)[1]) <= 12
        for head, sep in shapes)


@given(DATES, st.sampled_from(MIDNIGHTS), st.sampled_from("-/."))
def test_every_date_with_excels_midnight_is_read(d, midnight, sep):
    assert parse_dutch_date(f"{d.day}{sep}{d.month:02d}{sep}{d.year}{midnight}") == d


@given(DATES, st.sampled_from(MIDNIGHTS), st.sampled_from("-/."))
def test_every_two_digit_year_is_refused_and_told_apart(d, midnight, sep):
    text = f"{d.day:02d}{sep}{d.month}{sep}{d.year % 100:02d}{midnight}"
    assert parse_dutch_date(text) is None and year_has_two_digits(text)
