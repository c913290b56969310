"""Streaming CSV reading that survives what real exports look like.

* UTF-8 with or without BOM; bytes that are not UTF-8 are read as Windows-1252 (Excel on
  Windows) and the fallback is reported.
* Delimiter ``;``, ``,`` or tab, detected from the header line.
* Memory stays flat: bytes flow through in chunks, a line longer than ``max_line_bytes``
  (a binary or hostile file) stops the read with :class:`UnreadableExtract`.
* The SHA-256 of the exact bytes read is computed on the way (idempotency, audit).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

DELIMITERS = (";", ",", "\t")
MAX_LINE_BYTES = 1024 * 1024
_FIELD_LIMIT = 64 * 1024

_state = threading.local()


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode the offending bytes as Windows-1252 and count that it happened."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _state.fallbacks = getattr(_state, "fallbacks", 0) + 1
    chunk = exc.object[exc.start:exc.end]
    return chunk.decode("cp1252", errors="replace"), exc.end


codecs.register_error("vish_cp1252_fallback", _cp1252_fallback)


class UnreadableExtract(Exception):
    """The bytes cannot be read as a CSV extract. The message is safe to show (no content)."""


@dataclass
class ReadStats:
    bytes_read: int = 0
    sha256: str = ""
    encoding: str = "utf-8"
    delimiter: str = ";"
    _hash: object = field(default_factory=hashlib.sha256, repr=False)


class _ChunkStream(io.RawIOBase):
    """A raw binary stream over an iterable of byte chunks that hashes and bounds what it reads."""

    def __init__(self, chunks: Iterable[bytes], stats: ReadStats, max_line_bytes: int,
                 max_bytes: int | None) -> None:
        self._chunks = iter(chunks)
        self._stats = stats
        self._pending = memoryview(b"")
        self._offset = 0
        self._since_newline = 0
        self._max_line = max_line_bytes
        self._max_bytes = max_bytes

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        for chunk in self._chunks:
            if not chunk:
                continue
            chunk = bytes(chunk)
            stats = self._stats
            stats.bytes_read += len(chunk)
            stats._hash.update(chunk)
            if self._max_bytes is not None and stats.bytes_read > self._max_bytes:
                raise UnreadableExtract(f"bestand groter dan {self._max_bytes} bytes")
            last = chunk.rfind(b"\n")
            self._since_newline = (
                self._since_newline + len(chunk) if last < 0 else len(chunk) - last - 1
            )
            if self._since_newline > self._max_line:
                raise UnreadableExtract(
                    f"een regel is langer dan {self._max_line} bytes (geen tekstbestand?)"
                )
            return chunk
        return b""

    def drain(self) -> None:
        """Consume the rest without limits, so the hash covers every byte of the source."""
        for chunk in self._chunks:
            self._stats.bytes_read += len(chunk)
            self._stats._hash.update(chunk)

    def readinto(self, buffer) -> int:
        # A view and an offset: handing out a chunk piece by piece copies each byte once.
        if self._offset >= len(self._pending):
            self._pending = memoryview(self._next_chunk())
            self._offset = 0
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending) - self._offset)
        buffer[:n] = self._pending[self._offset:self._offset + n]
        self._offset += n
        return n


def iter_file_chunks(fileobj: io.BufferedIOBase | io.RawIOBase, size: int = 1 << 20) -> Iterator[bytes]:
    while True:
        chunk = fileobj.read(size)
        if not chunk:
            return
        yield chunk


def detect_delimiter(header_line: str) -> str:
    """The candidate that splits the header into the most columns (outside quotes)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


class ExtractReader:
    """Read a CSV extract from byte chunks: header, then records with line numbers.

    ``line_num`` is the number of file lines consumed so far (1-based line of the record just
    split). Reading raises :class:`UnreadableExtract` for structural problems.
    """

    def __init__(self, chunks: Iterable[bytes], *, max_bytes: int | None = None,
                 max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.stats = ReadStats()
        raw = _ChunkStream(chunks, self.stats, max_line_bytes, max_bytes)
        self._raw = raw
        self._buffered = io.BufferedReader(raw, buffer_size=1 << 16)
        self._text: io.TextIOWrapper | None = None
        self.header: list[str] | None = None
        self.line_num = 0

    def open(self) -> list[str] | None:
        """Read the header row; None when the file holds no non-empty line at all."""
        _state.fallbacks = 0
        head = self._buffered.peek(3)[:3]
        self.stats.encoding = "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"
        self._text = io.TextIOWrapper(
            self._buffered, encoding="utf-8-sig", errors="vish_cp1252_fallback", newline=""
        )
        while True:
            line = self._text.readline()
            if line == "":
                return None
            self.line_num += 1
            if line.strip(" \t\r\n\ufeff\x00"):
                break
        self.stats.delimiter = detect_delimiter(line)
        self.header = self.split(line)
        return self.header

    @property
    def lines(self) -> io.TextIOWrapper:
        """The remaining lines. Keep :attr:`line_num` current and pass a line that holds a quote
        to :meth:`split`, which may consume continuation lines of a quoted field."""
        assert self._text is not None
        return self._text

    def split(self, line: str, following: Iterator[str] | None = None) -> list[str]:
        """Fields of the record starting with ``line``.

        Lines without a quote (nearly all of them) are split with ``str.split``: several times
        faster than the csv module. Quoted records go through ``csv``; a quoted field that spans
        lines takes its continuation from ``following`` (lines already read), then the stream.
        """
        if '"' not in line:
            return line.rstrip("\r\n").split(self.stats.delimiter)
        record = line
        while record.count('"') % 2:
            more = next(following, "") if following is not None else ""
            if not more:
                more = self._text.readline()
            if more == "":
                raise UnreadableExtract(
                    f"aanhalingsteken niet afgesloten vanaf regel {self.line_num}"
                )
            self.line_num += 1
            record += more
            if len(record) > _FIELD_LIMIT:
                raise UnreadableExtract(
                    f"veld te lang vanaf regel {self.line_num} (ontbreekt er een afsluitend "
                    "aanhalingsteken?)"
                )
        try:
            return next(csv.reader([record], delimiter=self.stats.delimiter), [])
        except csv.Error:
            raise UnreadableExtract(f"CSV-opmaak niet te lezen rond regel {self.line_num}") from None

    def finish(self) -> ReadStats:
        """Drain what is left (so the hash covers every byte) and return the stats."""
        self._raw.drain()
        self.stats.sha256 = self.stats._hash.hexdigest()
        if getattr(_state, "fallbacks", 0):
            self.stats.encoding = "windows-1252"
        return self.stats



csv.field_size_limit(_FIELD_LIMIT)
