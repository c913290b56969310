"""Text as it may enter the snapshot and the SNG file: no control characters, ASCII digits.

Exports carry what the case system holds: a NUL from a database field, an ANSI escape pasted
from a terminal, a zero-width space from a web form, an address with a line break in it,
digits typed on an Arabic or Japanese keyboard. :func:`clean_text` removes what is invisible,
turns line breaks and tabs into spaces and, for free text, digits of other scripts into 0-9.
"""

from __future__ import annotations

import re
import unicodedata

# ANSI escape sequences as a whole (CSI ... final byte, OSC ... BEL or ST, two-byte escapes),
# so that no "[2J" stays behind when the ESC goes.
# (A lone C1 control such as U+009B is dropped by itself: in data it is a mis-decoded
# character far more often than a sequence, and without it nothing acts on what follows.)
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_SPACES = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\x0b": " ", "\x0c": " ",
                         "\x85": " ", "\u2028": " ", "\u2029": " "})
_OTHER_DIGIT = re.compile(r"[^\x00-\x7f](?<=\d)")  # a non-ASCII character that is a digit: quick


def has_other_digits(value: str) -> bool:
    """Whether ``value`` holds a decimal digit outside 0-9 (``١``, ``１``)."""
    return not value.isascii() and _OTHER_DIGIT.search(value) is not None


def clean_text(value: str, *, digits: bool) -> tuple[str, bool, bool]:
    """``value`` without control and format characters (Unicode Cc, Cf; line breaks and tabs
    become spaces) and, with ``digits``, with other scripts' digits as 0-9.

    Returns the text and whether characters were removed and whether digits were converted.
    """
    removed = converted = False
    if not value.isprintable():
        text = _ANSI.sub("", value).replace("\r\n", " ").translate(_SPACES)
        text = "".join(c for c in text if c.isprintable() or c == " "
                       or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
        removed, value = text != value, text
    if digits and has_other_digits(value):
        value = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), value)
        converted = True
    return value, removed, converted
