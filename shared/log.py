"""Logging that cannot leak a BSN: redaction happens where every log record is made.

* Importing this module installs a log-record factory (``logging.setLogRecordFactory``) that
  renders each record's message, masks every number that can be a BSN (nine digits passing
  the 11-proef in any punctuation, or eight plain ones passing with a leading zero) to
  ``*****6789`` (``shared.domain.privacy.redact``), masks the file name in the path
  of an incoming extract (the Azure SDK logs request URLs; organisations sometimes name a file
  after a client), and pre-renders exception text through the same masks. It applies to every
  logger, ours and the Azure SDK's alike, so no call site can forget it.
* ``get_logger(name)`` returns ``vish.<name>``; ``log_context(org=..., extract=...)`` adds
  correlation fields to every record made in its scope.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from shared.clock import local_today
from shared.domain.privacy import EXTRACTS_CONTAINER, redact

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "vish_log_context", default=None)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not leak its arguments either
        message = str(record.msg)
    context = _context.get()
    if context:
        message += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
    today = local_today() if EXTRACTS_CONTAINER in message or record.exc_info else None
    record.msg = redact(message, today)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        # Exception texts can carry anything: render them once, through the same mask.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info), today)
        record.exc_info = None


def install_redaction() -> None:
    """Idempotent; done on import. Wraps whatever factory is in place."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_vish_redacting", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    factory._vish_redacting = True
    logging.setLogRecordFactory(factory)


install_redaction()


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"vish.{name}")


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **{k: str(v) for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (not the one at set-up)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """For the CLI and local runs (the Functions host brings its own handlers)."""
    root = logging.getLogger()
    if not any(getattr(h, "_vish", False) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._vish = True
        root.addHandler(handler)
    logging.getLogger("vish").setLevel(level)
    quiet_sdk_loggers()


def quiet_sdk_loggers() -> None:
    """The Azure SDK logs every request URL at INFO: keep it to warnings (noise and cost)."""
    for name in ("azure", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
