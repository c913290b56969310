from datetime import date

import pytest

from shared.domain.eligibility import eligibility_basis, eligible_from, is_eligible

D = date(2025, 6, 1)


@pytest.mark.parametrize(("rule", "has_column", "basis"), [
    ("toelating", True, "toelatingsdatum"),
    ("toelating", False, "startdatum"),  # no column: the startdatum (reported once per file)
    ("start", True, "startdatum"),
    ("start", False, "startdatum"),
])
def test_the_basis_names_the_date_field_that_admits(rule, has_column, basis):
    assert eligibility_basis(rule, has_column) == basis


@pytest.mark.parametrize(("rule", "start", "toel", "has_column", "expected"), [
    ("toelating", date(2025, 1, 1), date(2025, 2, 1), True, date(2025, 2, 1)),
    ("toelating", date(2025, 1, 1), None, True, None),  # not admitted yet
    ("toelating", date(2025, 1, 1), None, False, date(2025, 1, 1)),  # no column: startdatum
    ("start", date(2025, 1, 1), date(2025, 2, 1), True, date(2025, 1, 1)),
])
def test_eligible_from_follows_the_organisations_rule(rule, start, toel, has_column, expected):
    assert eligible_from(rule, start, toel, has_column) == expected


@pytest.mark.parametrize(("from_date", "end", "expected"), [
    (date(2025, 6, 1), None, True),  # admitted on D
    (date(2025, 6, 2), None, False),  # admitted after D
    (None, None, False),
    (date(2025, 1, 1), date(2025, 6, 1), True),  # ends on D: still registered that day
    (date(2025, 1, 1), date(2025, 5, 31), False),  # ended before D
])
def test_is_eligible_on_a_date(from_date, end, expected):
    assert is_eligible(from_date, end, D) is expected
