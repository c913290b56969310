"""Helpers that keep personal data out of names, messages and records."""

from __future__ import annotations

import re

from shared.log import redact

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, limit: int = 120) -> str:
    """A blob or file name fit for outcome entities and logs: BSN-like numbers masked, odd
    characters replaced, length bounded. (Exports are sometimes named after a client.)"""
    cleaned = _UNSAFE.sub("_", redact(name).replace("*", "x"))
    return cleaned[-limit:] or "_"
