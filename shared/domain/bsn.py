"""Burgerservicenummer: the 11-proef, left-padding of spreadsheet-mangled values, masking."""

from __future__ import annotations

import re
from enum import Enum

# 9*d1 + 8*d2 + ... + 2*d8 - 1*d9; on ASCII bytes each digit is (byte - 48).
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
_ASCII_OFFSET = 48 * sum(_WEIGHTS)
# A number as Excel shows it in scientific notation when a column of numbers is too narrow or
# formatted "Wetenschappelijk": ``1,23457E+08`` (Dutch), ``1.23457E+08``, ``1E+08``.
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]{1,3}")


class BsnCheck(Enum):
    OK = "ok"
    LEFT_PADDED = "left_padded"
    FORMAT = "format"
    CHECKSUM = "checksum"
    SCIENTIFIC = "scientific"


def is_valid_bsn(value: str) -> bool:
    """True when ``value`` is exactly nine ASCII digits, not all zero, passing the 11-proef.

    The one implementation of the rule: the validation's shortcut calls it too, so it is kept
    fast (byte arithmetic, no loop)."""
    if len(value) != 9 or not value.isascii():
        return False
    b = value.encode()
    return (b.isdigit() and b != b"000000000"
            and (9 * b[0] + 8 * b[1] + 7 * b[2] + 6 * b[3] + 5 * b[4] + 4 * b[5] + 3 * b[6]
                 + 2 * b[7] - b[8] - _ASCII_OFFSET) % 11 == 0)


def check_bsn(value: str) -> tuple[BsnCheck, str]:
    """Classify a stripped BSN cell; returns the verdict and the normalised nine-digit value.

    An 8-digit value that passes after one leading zero is accepted as ``LEFT_PADDED`` so the
    caller can warn: spreadsheets drop leading zeros, but the change must leave a trace.
    A value in scientific notation (``1,23457E+08``) is ``SCIENTIFIC``: Excel stored the BSN as
    a number and rounded it, so the digits are lost and only the export can be mended.
    """
    n = len(value)
    if n == 9:
        if is_valid_bsn(value):
            return BsnCheck.OK, value
        if value.isascii() and value.isdigit():
            return BsnCheck.CHECKSUM, value
    elif n == 8 and value.isascii() and value.isdigit():
        padded = "0" + value
        if is_valid_bsn(padded):
            return BsnCheck.LEFT_PADDED, padded
        return BsnCheck.CHECKSUM, value
    if in_scientific_notation(value):
        return BsnCheck.SCIENTIFIC, value
    return BsnCheck.FORMAT, value


def in_scientific_notation(value: str) -> bool:
    """Whether a stripped cell is a number as Excel shows it in scientific notation
    (``1,23457E+08``): its digits are lost (a BSN, a dossiernummer)."""
    return ("E" in value or "e" in value) and _SCIENTIFIC.fullmatch(value) is not None


def mask_bsn(value: str) -> str:
    """``*****6789``: enough for a person to recognise a client, useless to anyone else."""
    digits = "".join(c for c in str(value) if c.isdigit())
    return "*****" + digits[-4:] if len(digits) >= 4 else "*****"
