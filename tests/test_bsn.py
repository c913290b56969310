import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.bsn import BsnCheck, check_bsn, is_valid_bsn, mask_bsn

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def elfproef(digits: str) -> bool:
    return sum(w * int(d) for w, d in zip(WEIGHTS, digits, strict=True)) % 11 == 0


def test_known_valid_and_invalid_numbers():
    assert is_valid_bsn("111222333")
    assert is_valid_bsn("123456782")
    assert not is_valid_bsn("123456789")
    assert not is_valid_bsn("000000000")  # passes the arithmetic, never a BSN
    assert not is_valid_bsn("11122233")
    assert not is_valid_bsn("1112223333")
    assert not is_valid_bsn("11122233a")
    assert not is_valid_bsn("١١١٢٢٢٣٣٣")  # Arabic-Indic digits are digits, not ASCII


@given(st.integers(min_value=0, max_value=999_999_999))
def test_any_nine_digit_number_is_valid_exactly_when_the_elfproef_holds(n):
    digits = f"{n:09d}"
    assert is_valid_bsn(digits) == (elfproef(digits) and n != 0)


@given(st.integers(min_value=1, max_value=99_999_999))
def test_eight_digits_are_accepted_only_when_the_padded_value_passes(n):
    value = f"{n:08d}"
    verdict, normalised = check_bsn(value)
    if is_valid_bsn("0" + value):
        assert (verdict, normalised) == (BsnCheck.LEFT_PADDED, "0" + value)
    else:
        assert verdict is BsnCheck.CHECKSUM


def test_check_bsn_classifies_format_problems():
    assert check_bsn("12345")[0] is BsnCheck.FORMAT
    assert check_bsn("12345678X")[0] is BsnCheck.FORMAT
    assert check_bsn("1,23E+08X")[0] is BsnCheck.FORMAT
    assert check_bsn("123456789")[0] is BsnCheck.CHECKSUM
    assert check_bsn("111222333") == (BsnCheck.OK, "111222333")


@pytest.mark.parametrize(("value", "masked"), [
    ("111222333", "*****2333"),
    (111222333, "*****2333"),
    ("11122233", "*****2233"),  # an unpadded spreadsheet value: still its last four
    (" 111-22 2333 ", "*****2333"),  # only digits count
    ("1234", "*****1234"),  # four digits: shown
    ("123", "*****"),  # fewer: nothing shown
    ("", "*****"),
    ("onbekend", "*****"),
])
def test_mask_keeps_only_the_last_four_digits(value, masked):
    assert mask_bsn(value) == masked
