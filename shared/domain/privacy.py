"""Masking that keeps personal data out of names, messages, logs and records. Pure.

``redact`` is the one BSN mask: the log-record factory in ``shared.log`` applies it to every log
record, the outcome store to every free text it keeps, ``safe_name`` to blob names.
"""

from __future__ import annotations

import re

# Eight or nine digits not part of a longer token (hashes and ids are left alone).
BSN_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{8,9}(?![0-9A-Za-z])")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def redact(text: str) -> str:
    """Mask every BSN-like number in ``text`` (keeps the last four digits for recognition)."""
    return BSN_LIKE.sub(lambda m: "*****" + m.group(0)[-4:], text)


def safe_name(name: str, limit: int = 120) -> str:
    """A blob or file name fit for outcome entities and logs: BSN-like numbers masked, odd
    characters replaced, length bounded. (Exports are sometimes named after a client.)"""
    cleaned = _UNSAFE.sub("_", redact(name).replace("*", "x"))
    return cleaned[-limit:] or "_"
