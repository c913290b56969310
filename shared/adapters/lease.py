"""Keeping a blob lease while a delivery works, and knowing when it is no longer ours.

A background thread renews the lease every third of its duration, whatever the delivery is
doing (waiting for Key Vault, an upload's last acknowledgement, a size check, a backoff). The
delivery never renews in its own path; it asks :meth:`LeaseKeeper.held` (no I/O) during the
upload and :meth:`LeaseKeeper.confirm` (one renewal, then a margin check) right before the
rename: the fence. A renewal counts from the moment it was *sent*, so the keeper's view of the
expiry is never later than the service's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shared.domain.delivery_rules import RENEW_DIVISOR, lease_margin_ok
from shared.log import get_logger

log = get_logger("lease")


class LeaseLost(Exception):
    """The delivery's lease ran out or was taken: it must not rename or record a success."""

    kind = "lease_lost"


class LeaseKeeper:
    def __init__(self, lease, seconds: float, *, clock: Callable[[], float] = time.monotonic,
                 acquired_at: float | None = None) -> None:
        """``acquired_at``: when the lease was asked for (``clock`` time); default now."""
        self.lease = lease  # azure.storage.blob.BlobLeaseClient (renew() only)
        self.seconds = seconds
        self.clock = clock
        self.renewed_at = clock() if acquired_at is None else acquired_at
        self.lost = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)  # a renewal in flight ends on its own (daemon thread)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / RENEW_DIVISOR):
            self.renew()

    def renew(self) -> bool:
        """One renewal; False (and a warning) when it failed. A lease another holder took is
        lost for good; a storage hiccup is not, as long as the lease has not expired."""
        with self._lock:
            if self.lost:
                return False
            sent = self.clock()
            try:
                self.lease.renew()
            except Exception as exc:
                status = getattr(exc, "status_code", None)
                if status in (409, 412):  # another lease id holds it now
                    self.lost = True
                log.warning("lease renewal failed (%s)", status or type(exc).__name__)
                return False
            self.renewed_at = sent
            return True

    def remaining(self) -> float:
        """Seconds the lease is surely still ours (0 when lost)."""
        if self.lost:
            return 0.0
        return max(0.0, self.seconds - (self.clock() - self.renewed_at))

    def held(self, margin: float = 0.0) -> bool:
        return lease_margin_ok(self.remaining(), margin)

    def check(self, margin: float = 0.0) -> None:
        if not self.held(margin):
            raise LeaseLost("the delivery lease ran out or another instance took it")

    def confirm(self, margin: float) -> None:
        """Renew now and make sure at least ``margin`` seconds of the lease are left (the
        fence before a step that must end while the lease is ours)."""
        self.renew()
        self.check(margin)
