"""One structured logger for the project, with a redaction filter no call site can forget.

* ``get_logger(name)`` returns ``vish.<name>`` with the redaction filter attached; every module
  logs through it. The filter also sits on the handlers ``configure_logging`` installs, so even
  a record that bypasses ``get_logger`` is redacted on its way out.
* Anything that looks like a BSN (8 or 9 digits standing alone) is masked to ``*****6789``.
* ``log_context(org=..., extract=...)`` adds correlation fields to every record in its scope.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

# Eight or nine digits not part of a longer token (hashes and ids are left alone).
BSN_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{8,9}(?![0-9A-Za-z])")

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "vish_log_context", default=None)


def redact(text: str) -> str:
    """Mask every BSN-like number in ``text`` (keeps the last four digits for recognition)."""
    return BSN_LIKE.sub(lambda m: "*****" + m.group(0)[-4:], text)


class RedactingFilter(logging.Filter):
    """Renders the message, masks BSN-like numbers, appends the correlation context."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_vish_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its arguments either
            message = str(record.msg)
        context = _context.get()
        if context:  # None or empty: nothing to add
            message += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts can carry anything: render them through the same mask.
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        record._vish_redacted = True
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(f"vish.{name}")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **{k: str(v) for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


def configure_logging(level: str = "INFO") -> None:
    """For the CLI and local runs (the Functions host brings its own handlers)."""
    root = logging.getLogger()
    if not any(getattr(h, "_vish", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(_FILTER)
        handler._vish = True
        root.addHandler(handler)
    logging.getLogger("vish").setLevel(level)
    quiet_sdk_loggers()


def quiet_sdk_loggers() -> None:
    """The Azure SDK logs request URLs (blob names) at INFO: keep it to warnings."""
    for name in ("azure", "azure.core.pipeline.policies.http_logging_policy", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
