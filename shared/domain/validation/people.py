"""Who an extract names, in memory that does not grow with the number of people.

A valid BSN is fixed by its first eight digits: the 11-proef leaves at most one check digit
for each. So a set of valid BSNs is a bitmap over ``bsn // 10``: 10**8 bits, 12.5 MB, however
many people the extract holds (a Python ``set`` of a million ints costs about 100 MB). Only
BSNs that passed the 11-proef may go in.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

_PREFIXES = 10**8
# The merge in ``merge.write_snapshot`` works through merged people bucket by bucket.
BUCKET_SHIFT = 17  # 2**17 prefixes per bucket: a bucket never holds more merged people
BUCKETS = (_PREFIXES >> BUCKET_SHIFT) + 1
# Lines of invalid rows kept to point a carried-over record at its row (beyond: no line).
MAX_INVALID_LINES = 50_000


class BsnSet:
    """A set of valid BSNs (as ints). The bitmap is made on the first ``add``."""

    __slots__ = ("bits", "count")

    def __init__(self) -> None:
        self.bits = b""
        self.count = 0

    def allocate(self) -> bytearray:
        """The bitmap, made now if it was not yet: bit ``i & 7`` of byte ``i >> 3`` for the BSN
        whose first eight digits are ``i``."""
        if not self.bits:
            self.bits = bytearray(_PREFIXES // 8 + 1)
        return self.bits

    def recount(self) -> None:
        """Set :attr:`count` from the bitmap (after bits were set directly, as the fast path
        does)."""
        bits, step = self.bits, 1 << 20
        self.count = sum(int.from_bytes(bits[i:i + step], "little").bit_count()
                         for i in range(0, len(bits), step))

    def add(self, key: int) -> bool:
        """Add ``key``; True when it was not in the set yet."""
        i = key // 10
        bits = self.bits or self.allocate()
        bit = 1 << (i & 7)
        old = bits[i >> 3]
        if old & bit:
            return False
        bits[i >> 3] = old | bit
        self.count += 1
        return True

    def discard(self, key: int) -> bool:
        """Remove ``key``; True when it was in the set."""
        i = key // 10
        if not (self.bits and self.bits[i >> 3] & (1 << (i & 7))):
            return False
        self.bits[i >> 3] &= ~(1 << (i & 7)) & 0xFF
        self.count -= 1
        return True

    def __contains__(self, key: int) -> bool:
        i = key // 10
        return bool(self.bits) and bool(self.bits[i >> 3] & (1 << (i & 7)))

    def __len__(self) -> int:
        return self.count


@dataclass
class PeopleSeen:
    """What the row pass leaves for the decision and the snapshot writer."""

    own: BsnSet = field(default_factory=BsnSet)  # people with an own valid row
    partners: BsnSet = field(default_factory=BsnSet)  # people registered as a client's partner
    # people on a valid row that is eligible on the reference date (own client, or the partner
    # of such a client: a partner's record has the client's dates); the mass-drop guard counts
    # a person of the current snapshot who is in the file but not in here as leaving
    eligible: BsnSet = field(default_factory=BsnSet)
    merged: BsnSet = field(default_factory=BsnSet)  # people with more than one spooled record
    merged_per_bucket: array = field(default_factory=lambda: array("I", bytes(4 * BUCKETS)))
    invalid: BsnSet = field(default_factory=BsnSet)  # people on an invalid row (carry-over)
    invalid_lines: dict[int, int] = field(default_factory=dict)  # their line, for the first ones
    # The dossiernummer of each invalid row (its first line), for the first MAX_INVALID_LINES:
    # a person who leaves although an invalid row has their dossiernummer (a BSN typo) is named
    # with that line in the report.
    invalid_dossiers: dict[str, int] = field(default_factory=dict)
    carried: int = 0  # records kept from the current snapshot (people whose row is invalid)
    carry: Callable[[list[str]], object] | None = None  # where carried records are spooled
    partner_only: int = 0

    def __contains__(self, key: int) -> bool:
        return key in self.own or key in self.partners

    @property
    def people(self) -> int:
        return self.own.count + self.partner_only

    def recount(self) -> None:
        """Counts made good after the fast path set bits of ``own`` and ``eligible`` directly."""
        self.own.recount()
        self.eligible.recount()

    def add_invalid(self, key: int, line: int) -> None:
        """A valid BSN on an invalid row: that person keeps an earlier record, if any. The line
        is kept for the first :data:`MAX_INVALID_LINES` (memory stays bounded)."""
        if self.invalid.add(key) and len(self.invalid_lines) < MAX_INVALID_LINES:
            self.invalid_lines[key] = line

    def add_invalid_dossier(self, dossier: str, line: int) -> None:
        """The dossiernummer of an invalid row (whatever its BSN) and its line, for the first
        :data:`MAX_INVALID_LINES` dossiernummers (memory stays bounded). One on two invalid
        rows points at neither: its line becomes 0 (a placeholder such as ``-`` is no
        dossiernummer)."""
        if not dossier:
            return
        if dossier in self.invalid_dossiers:
            self.invalid_dossiers[dossier] = 0
        elif len(self.invalid_dossiers) < MAX_INVALID_LINES:
            self.invalid_dossiers[dossier] = line

    def _merge(self, key: int) -> None:
        if self.merged.add(key):
            self.merged_per_bucket[(key // 10) >> BUCKET_SHIFT] += 1

    def add_own(self, key: int) -> bool:
        """An own valid row for ``key``; False when the person already had one."""
        if not self.own.add(key):
            self._merge(key)
            return False
        if key in self.partners:
            self._merge(key)
            self.partner_only -= 1
        return True

    def add_partner(self, key: int) -> None:
        """``key`` named as a client's partner on a valid row."""
        if key in self.own:
            self._merge(key)
            self.partners.add(key)
        elif not self.partners.add(key):
            self._merge(key)
        else:
            self.partner_only += 1
