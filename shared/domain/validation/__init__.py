"""Validate a client extract, row by row, streaming, and decide whether it may become the snapshot.

Pure domain code: bytes in, a :class:`ValidationResult` (and optionally the normalised snapshot)
out. No Azure, no clock: the caller passes ``today`` and the reference date.

* ``extract``: :func:`validate_extract`, the entry point: read, map the columns, run, decide;
* ``records``: every rule for one record (the per-record path, the authority);
* ``fast_path``: the pass over the records, with an inline shortcut for plainly clean ones;
* ``decision``: the file-level decision (invalid share, carry-over, mass-drop guard);
* ``merge``: which record of a person wins, and the snapshot written from the spool;
* ``result``: the organisation's :class:`Rules`, the :class:`ValidationResult` and its issues.
"""

from shared.domain.validation.extract import validate_extract
from shared.domain.validation.result import Rules, ValidationResult

__all__ = ["Rules", "ValidationResult", "validate_extract"]
