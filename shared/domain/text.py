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
# A character outside ASCII that is a digit: a decimal digit of any script, or one of the
# other digits (superscript, subscript, circled: U+00B2 and the like). Only non-ASCII
# characters reach the look-behind, so the test stays quick on ordinary text.
OTHER_DIGIT = re.compile(
    "[^\x00-\x7f](?<=[\\d\u00b2-\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089"
    "\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788"
    "\u278a-\u2792\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a"
    "\U0001f100-\U0001f10a])")


def has_other_digits(value: str) -> bool:
    """Whether ``value`` holds a digit outside 0-9 (``١``, ``１``, ``²``)."""
    return not value.isascii() and OTHER_DIGIT.search(value) is not None


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
        value = OTHER_DIGIT.sub(lambda m: str(unicodedata.digit(m.group())), value)
        converted = True
    return value, removed, converted
