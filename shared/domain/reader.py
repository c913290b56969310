"""Streaming CSV reading that survives what real exports look like.

* UTF-8 with or without BOM; bytes that are not UTF-8 are read as Windows-1252 (Excel on
  Windows: "CSV (gescheiden door lijstscheidingsteken)"). That is noted in the stats
  (``encoding``); :meth:`ReadStats.fallback_doubt` says when the fallback is doubtful (bytes that
  are no character in Windows-1252 either, or a file that also holds UTF-8 text). UTF-16 and
  UTF-32 with a BOM (Excel's "Unicode-tekst") and UTF-16 without one are decoded.
  :func:`decode_to_utf8` decodes any input this way for a reader other than this one.
* An Excel workbook (``.xlsx``, ``.xlsm``, the old ``.xls``, an XML spreadsheet) is recognised
  from its first bytes, not its name, and refused with :class:`ExcelWorkbook`; an archive, PDF,
  image or other binary file with :class:`NotCsv`, whose message says in Dutch what it is and
  what to do.
* Delimiter ``;``, ``,`` or tab, detected from the header line. Lines may end in LF, CRLF or CR
  alone (Excel on a Mac).
* Quotes as Excel and Python's ``csv`` read them: a quote inside an unquoted field is a literal
  character; a quoted field may span lines. A quote that opens a field and would swallow whole
  records (a continuation line with the delimiters of a complete record, a closing quote with
  more text behind it, or no closing quote at all) raises :class:`QuoteSwallowsRows`, so the
  caller reports that line and reads the swallowed lines again as records of their own: a
  person is never silently lost.
* Work stays bounded: bytes flow through in chunks; a line longer than ``max_line_bytes`` or a
  file over ``max_bytes`` stops the read at once (nothing more is read after a fatal error).
* The SHA-256 of the bytes read is computed on the way (idempotency, audit): of the whole file
  when it was read to the end (always, for an accepted one), else of what was read before the
  decision to reject it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

DELIMITERS = (";", ",", "\t")
MAX_LINE_BYTES = 1024 * 1024
_FIELD_LIMIT = 64 * 1024
_RESCAN_LINES = 16
# Fields beyond the header's that a line is split into at most (see plain_fields).
MAX_EXTRA_FIELDS = 256


class FieldList(list):
    """The fields of a line that had too many to keep: ``total`` is how many it had."""

    total: int = 0

_state = threading.local()  # the ReadStats a fallback decode counts into, set around it
# Bytes 0x80-0x9F are punctuation and symbols in Windows-1252 (‘ ’ … ‰ Ž Ÿ š): between two
# letters they are a letter of another code page (Mac Roman's ë is 0x91, MS-DOS's é is 0x82).
# The right quote (0x92) counts only between lower-case letters (d’Ancona is Windows-1252).
_LETTER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") | frozenset(
    b for b in range(0xC0, 0x100) if b not in (0xD7, 0xF7))
_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")  # no character in Windows-1252 (counted apart)
_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz") | frozenset(range(0xDF, 0x100)) - {0xF7}


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode the offending bytes as Windows-1252 and count into the reader's stats that it
    happened, how many of them are no character in Windows-1252 either (0x81, 0x8D, 0x8F, 0x90,
    0x9D: U+FFFD) and how many look like a letter of another code page (:data:`_LETTER`)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    stats = _state.stats
    stats.fallbacks += 1
    data = exc.object
    text = data[exc.start:exc.end].decode("cp1252", errors="replace")
    if "\ufffd" in text:
        stats.undefined += text.count("\ufffd")
    for at in range(max(exc.start, 1), min(exc.end, len(data) - 1)):
        if 0x80 <= data[at] <= 0x9F and data[at] not in _UNDEFINED:
            before, after = data[at - 1], data[at + 1]
            letters = _LOWER if data[at] == 0x92 else _LETTER
            if before in letters and after in letters:
                stats.foreign_letters += 1
    return text, exc.end


codecs.register_error("vish_cp1252_fallback", _cp1252_fallback)


class UnreadableExtract(Exception):
    """The bytes cannot be read as a CSV extract. The message is safe to show (no content).
    ``code`` is the issue code of the rejection."""

    code = "unreadable"


class TooLarge(UnreadableExtract):
    code = "too_large"


class NotCsv(UnreadableExtract):
    """A file of another kind (archive, PDF, binary): the message names it."""

    code = "not_csv"


class ExcelWorkbook(NotCsv):
    """An Excel workbook (.xlsx, .xlsm, .xls, XML spreadsheet). Its issue's message says how to
    save it as CSV; the exception's own message is empty (nothing to add)."""

    code = "excel_workbook"


class QuoteSwallowsRows(Exception):
    """A quote opened a field on line ``opened_at`` and would swallow whole records.

    ``text`` is that line; ``pushback`` holds the lines read after it, to be read again as
    records of their own (their numbers follow ``opened_at``)."""

    def __init__(self, opened_at: int, text: str, pushback: list[str]) -> None:
        super().__init__(f"aanhalingsteken op regel {opened_at} sluit niet op tijd")
        self.opened_at, self.text, self.pushback = opened_at, text, pushback


@dataclass
class ReadStats:
    bytes_read: int = 0
    sha256: str = ""
    encoding: str = "utf-8"
    delimiter: str = ";"
    # Set when the file was read as Windows-1252: how many bytes were no character there either
    # (read as U+FFFD), and whether the file also holds UTF-8 text (a mix of the two).
    undefined: int = 0
    utf8_seen: bool = False
    # Counted while reading: bytes read as Windows-1252, and those of 0x80-0x9F between two
    # letters (a letter of Mac Roman or MS-DOS); whether lines end in CR alone (a Mac).
    fallbacks: int = 0
    foreign_letters: int = 0
    cr_only: bool = False
    _hash: object = field(default_factory=hashlib.sha256, repr=False)

    def fallback_doubt(self) -> str | None:
        """Why reading this file as Windows-1252 may have misread a character, in Dutch; None
        for an ordinary Windows-1252 export (every byte a character of it, no UTF-8 mixed in:
        what Excel on Windows writes) or a file that was not read so.

        Control characters are not a doubt here: in Windows-1252 only the five undefined bytes
        would be C1 controls (they are counted above); control characters in a field are
        reported per field (``control_characters``)."""
        if self.encoding != "windows-1252":
            return None
        doubts = []
        if self.utf8_seen:
            doubts.append("het bevat ook tekst in UTF-8 (twee soorten opslag door elkaar), dus "
                          "letters als ë of é kunnen verkeerd gelezen zijn")
        if self.foreign_letters:
            n = self.foreign_letters
            doubts.append(f"{n} {'leesteken staat' if n == 1 else 'leestekens staan'} midden in "
                          "een woord (zoals ‘ of Ž in een naam), dus het is waarschijnlijk in een "
                          "andere tekenset opgeslagen (CSV (Macintosh) of MS-DOS) en letters als "
                          "ë of é zijn verkeerd gelezen")
        if self.cr_only:
            doubts.append("de regels eindigen zoals op een oude Mac, dus het is mogelijk "
                          "opgeslagen als CSV (Macintosh) en letters als ë of é kunnen verkeerd "
                          "gelezen zijn")
        if self.undefined:
            doubts.append(f"{self.undefined} {'teken is' if self.undefined == 1 else 'tekens zijn'}"
                          " ook in Windows-1252 onleesbaar en vervangen door \ufffd")
        if not doubts:
            return None
        return "; ".join(doubts) + "; sla het bestand op als CSV UTF-8 en lever het opnieuw aan"


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
        self._decoder: codecs.IncrementalDecoder | None = None
        self._fallback = False
        self._carry = b""  # the last bytes of the previous chunk (a character split across)

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
                raise TooLarge(f"meer dan {self._max_bytes} bytes")
            if not stats.utf8_seen and not chunk.isascii():
                # Note UTF-8 text (a valid sequence of two to four bytes, also one split
                # across chunks), for a mix (ReadStats.fallback_doubt). The decoder in C,
                # dropping what is no UTF-8: far quicker than a search.
                stats.utf8_seen = not (self._carry + chunk).decode("utf-8", "ignore").isascii()
            self._carry = chunk[-3:]
            if self._decoder is not None:
                chunk = self._decode(chunk)
            self._check_line(chunk)
            return chunk
        if self._decoder is not None:  # the end: what the decoder still holds (or its error)
            tail, self._decoder = self._decode(b"", True), None
            self._check_line(tail)
            return tail
        return b""

    def _decode(self, chunk: bytes, final: bool = False) -> bytes:
        """``chunk`` through the decoder, as UTF-8; a fallback counts into this stream's stats
        (never another reader's, also when two are read in turn in one thread)."""
        if self._fallback and not final and chunk.isascii() and not self._decoder.getstate()[0]:
            return chunk
        before = getattr(_state, "stats", None)
        _state.stats = self._stats
        try:
            return self._decoder.decode(chunk, final).encode("utf-8")
        finally:
            _state.stats = before

    def _check_line(self, chunk: bytes) -> None:
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))  # CR alone: Excel on a Mac
        self._since_newline = (
            self._since_newline + len(chunk) if last < 0 else len(chunk) - last - 1
        )
        if self._since_newline > self._max_line:
            raise UnreadableExtract(
                f"een regel is langer dan {self._max_line} bytes (geen tekstbestand?)"
            )

    def transcode(self, encoding: str, fallback: bool = False) -> None:
        """Hand out UTF-8 from here on: what is pending (the head, not yet consumed) and every
        later chunk is decoded from ``encoding`` first, so the line bound applies to the text
        (in UTF-16 a character such as U+0A0A holds a newline byte). ``fallback``: bytes that
        are no ``encoding`` are read as Windows-1252 (and counted). Call it before reading."""
        self._fallback = fallback
        self._decoder = codecs.getincrementaldecoder(encoding)(
            "vish_cp1252_fallback" if fallback else "strict")
        pending = self._decode(bytes(self._pending[self._offset:]))
        self._since_newline = 0
        self._check_line(pending)
        self._pending, self._offset = memoryview(pending), 0

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer for a shorter input), without consuming them. Call it
        before anything is read."""
        data = bytes(self._pending[self._offset:])
        while len(data) < n:
            chunk = self._next_chunk()
            if not chunk:
                break
            data += chunk
        self._pending, self._offset = memoryview(data), 0
        return data[:n]

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


# -- what the first bytes say ------------------------------------------------------------------
_SAVE_AS_CSV = "open het in Excel, kies Opslaan als met het bestandstype CSV UTF-8 en lever dat aan"
_UNPACK = "pak het uit en lever het CSV-bestand zelf aan"
_ASK_EXPORT = "maak een CSV-export uit het schuldhulpsysteem en lever die aan"
# What sniff says of an Excel workbook: refused with its own code (ExcelWorkbook), whose message
# says how to save it as CSV.
EXCEL = "Excel-werkmap"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The name of the stream that holds an .xls workbook, in an OLE2 directory entry (UTF-16LE,
# ended by a zero): "Workbook" (Excel 97 and later) or "Book" (Excel 5). Directory entries are
# 128 bytes in sectors of 512 or 4096 after a 512-byte header, so a name starts at a multiple
# of 128 ("AddressBook" in another Office file names no workbook).
_OLE2_WORKBOOK = re.compile(b"(?:W\x00o\x00r\x00k\x00b|B)\x00o\x00o\x00k\x00\x00\x00")


def _ole2_workbook(head: bytes) -> bool:
    return any(m.start() % 128 == 0 for m in _OLE2_WORKBOOK.finditer(head))
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (_OLE2,
     "het is een Excel-bestand in het oude formaat (.xls) of een ander Office-bestand; "
     + _SAVE_AS_CSV),
    (b"\x1f\x8b", "het is een ingepakt bestand (gzip); " + _UNPACK),
    (b"7z\xbc\xaf\x27\x1c", "het is een ingepakt bestand (7-Zip); " + _UNPACK),
    (b"Rar!\x1a\x07", "het is een ingepakt bestand (RAR); " + _UNPACK),
    (b"\xfd7zXZ\x00", "het is een ingepakt bestand (xz); " + _UNPACK),
    (b"BZh", "het is een ingepakt bestand (bzip2); " + _UNPACK),
    (b"%PDF-", "het is een PDF-document; " + _ASK_EXPORT),
    (b"{\\rtf", "het is een tekstverwerkerbestand (RTF); " + _ASK_EXPORT),
    (b"\x89PNG\r\n\x1a\n", "het is een afbeelding; " + _ASK_EXPORT),
    (b"\xff\xd8\xff", "het is een afbeelding; " + _ASK_EXPORT),
    (b"GIF8", "het is een afbeelding; " + _ASK_EXPORT),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (codecs.BOM_UTF8, "utf-8-sig"),
)
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _text_like(text: str) -> bool:
    """At most one character in twenty is a control or unassigned one (tab, CR, LF apart)."""
    odd = sum(1 for c in text if not c.isprintable() and c not in "\t\r\n ")
    return odd <= len(text) // 20


def _zip_names(head: bytes) -> list[bytes]:
    """The names of the entries whose local headers lie in ``head`` (a ZIP file's start)."""
    names = []
    for m in re.finditer(b"PK\x03\x04", head):
        at = m.start()
        if at + 30 <= len(head):
            size = int.from_bytes(head[at + 26:at + 28], "little")
            names.append(head[at + 30:at + 30 + size])
    return names


def _zip_kind(head: bytes) -> str:
    if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
        return "het is een rekenblad van LibreOffice of OpenOffice (.ods); open het en sla het " \
               "op als CSV (puntkomma-gescheiden), en lever dat aan"
    names = _zip_names(head)
    if any(n.startswith((b"word/", b"ppt/")) for n in names):
        return "het is een Word-document; " + _ASK_EXPORT if any(
            n.startswith(b"word/") for n in names) else "het is een Office-document; " + _ASK_EXPORT
    # A workbook (.xlsx, .xlsm) has its parts under xl/, also when its first entries are the
    # properties or a thumbnail.
    if any(n.startswith(b"xl/") for n in names):
        return EXCEL
    # An Office Open XML package whose first entries name no part (a big thumbnail first) may
    # be a workbook, a drawing (.vsdx) or a package (.nupkg): said so, not called a workbook.
    if any(n in (b"[Content_Types].xml", b"_rels/.rels") or n.startswith(b"docProps/")
           for n in names):
        return ("het is een Office-bestand (zoals een Excel-werkmap of een Word-document), "
                "geen CSV-bestand; is het een Excel-werkmap, " + _SAVE_AS_CSV + "; anders "
                + _ASK_EXPORT)
    return "het is een ingepakt bestand (ZIP); " + _UNPACK


# The streams of an Office file protected with a password (OLE2, UTF-16LE names).
_OLE2_ENCRYPTED = re.compile(b"|".join(
    re.escape(f"{name}\x00".encode("utf-16-le")) for name in ("EncryptedPackage", "EncryptionInfo")))
_PASSWORD = ("het is een Office-bestand dat met een wachtwoord is beveiligd; open het in Excel, "
             "haal het wachtwoord weg (Bestand, Info, Werkmap beveiligen), kies Opslaan als met het "
             "bestandstype CSV UTF-8 en lever dat aan")


def _markup_kind(start: bytes) -> str | None:
    """What the start of a text file says when it is a web page or XML (an Excel XML
    spreadsheet, or a web page saved as .xls), else None."""
    start = start.lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "het is een webpagina (HTML); " + _SAVE_AS_CSV
    if start.startswith(b"<?xml"):
        if b"excel.sheet" in start or b"<workbook" in start:
            return EXCEL
        return "het is een XML-bestand; " + _ASK_EXPORT
    return None


def sniff(head: bytes) -> tuple[str | None, str | None]:
    """From the first bytes of a file: (the text encoding to read it with, or None for the
    UTF-8/Windows-1252 default; a Dutch description when it is no CSV text at all, :data:`EXCEL`
    for an Excel workbook, else None)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            text = head[len(bom):4096].decode(encoding.replace("-sig", ""), "replace")
            markup = _markup_kind(text.encode("ascii", "replace"))
            return (None, markup) if markup else (encoding, None)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return None, _zip_kind(head)
    if head.startswith(_OLE2) and any(
            m.start() % 128 == 0 for m in _OLE2_ENCRYPTED.finditer(head)):
        return None, _PASSWORD
    if head.startswith(_OLE2) and _ole2_workbook(head):
        return None, EXCEL
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return None, what
    markup = _markup_kind(head[:4096])
    if markup:
        return None, markup
    sample = head[:65536]
    # UTF-16 without a BOM: Latin text has a zero in every other byte (a few characters, such
    # as U+0100, put one in the other position too).
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if (len(sample) >= 4 and zeros > len(sample) * 3 // 20 and others <= zeros // 10
                and _text_like(sample[:len(sample) & ~1].decode(encoding, "replace"))):
            return encoding, None
    if sample and len(_BINARY.findall(sample)) > max(8, len(sample) // 20):
        return None, "het bevat binaire gegevens, geen tekst; " + _ASK_EXPORT
    return None, None


# -- quotes ------------------------------------------------------------------------------------
def _quote_patterns(delimiter: str) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    d = re.escape(delimiter)
    # A whole line whose every quoted field closes (the common case, tested in one go): fields
    # quoted (text may follow the closing quote) or not (quotes inside are literal).
    field = rf'(?:"(?:[^"]|"")*+"[^{d}\r\n]*|[^"{d}\r\n][^{d}\r\n]*|)'
    closed = re.compile(rf"{field}(?:{d}{field})*+\r?\n?")
    # A quoted field: a quote at the start of a field, then anything with doubled quotes, and
    # the closing quote when there is one (group 1 is empty when the field is still open).
    opening = re.compile(rf'(?:^|(?<={d}))"(?:[^"]|"")*+("?)')
    # The rest of a quoted field that continues on this line, up to its closing quote.
    closing = re.compile(r'(?:[^"]|"")*+"')
    return opening, closing, closed


class ExtractReader:
    """Read a CSV extract from byte chunks: header, then records with line numbers.

    ``line_num`` is the number of file lines consumed so far (1-based line of the record just
    split). Reading raises :class:`UnreadableExtract` for structural problems and
    :class:`QuoteSwallowsRows` for a quote that would swallow records.
    """

    def __init__(self, chunks: Iterable[bytes], *, max_bytes: int | None = None,
                 max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.stats = ReadStats()
        raw = _ChunkStream(chunks, self.stats, max_line_bytes, max_bytes)
        self._raw = raw
        self._buffered = io.BufferedReader(raw, buffer_size=1 << 16)
        self._text: io.TextIOWrapper | None = None
        self.header: list[str] | None = None
        self.width = 0
        # Set by the caller once the columns are known: the BSN cell of a list of fields as
        # the checks read it ('' unless it holds a BSN-shaped number). A continuation line with
        # one is no continuation; a record whose quotes moved the BSN away from where its first
        # line, read with every quote literal, has one is a quote problem.
        self.bsn_cell: Callable[[list[str]], str] | None = None
        self.line_num = 0
        self._opening = self._closing = self._closed = None
        # After a quote problem found more than _RESCAN_LINES lines on, the lines given back are
        # read again with no continuation: a quote that opens on one of them is reported at
        # once. So no line is scanned more than _RESCAN_LINES + 1 times (linear work).
        self._no_continuation_until = 0

    def _start_text(self) -> io.TextIOWrapper:
        """Decide from the first bytes how to read the file, or refuse it; its text stream."""
        head = self._raw.head(65536)
        encoding, not_csv = sniff(head)
        if not_csv is EXCEL:
            raise ExcelWorkbook("")
        if not_csv:
            raise NotCsv(not_csv)
        if encoding in (None, "utf-8-sig"):
            self.stats.encoding = encoding or "utf-8"
            self.stats.cr_only = b"\r" in head and b"\n" not in head
            self._raw.transcode("utf-8", fallback=True)  # Windows-1252 where no UTF-8
            self._text = io.TextIOWrapper(self._buffered, encoding="utf-8-sig", newline="")
        else:
            self.stats.encoding = encoding
            self._raw.transcode(encoding)  # read as UTF-8 text from here on, line bound intact
            self._text = io.TextIOWrapper(self._buffered, encoding="utf-8", newline="")
        return self._text

    def open(self) -> list[str] | None:
        """Read the header row; None when the file holds no non-empty line at all."""
        self._start_text()
        while True:
            line = self._text.readline()
            if line == "":
                return None
            self.line_num += 1
            if line.strip(" \t\r\n\ufeff\x00"):
                break
        self.stats.delimiter = detect_delimiter(line)
        self._opening, self._closing, self._closed = _quote_patterns(self.stats.delimiter)
        # The header never continues on the next line: an unclosed quote ends with the line.
        self.header = (self._fields(line, strict=True) if '"' in line
                       else line.rstrip("\r\n").split(self.stats.delimiter))
        self.width = len(self.header)
        return self.header

    @property
    def lines(self) -> io.TextIOWrapper:
        """The remaining lines. Keep :attr:`line_num` current and pass a line that holds a quote
        to :meth:`split`, which may consume continuation lines of a quoted field."""
        assert self._text is not None
        return self._text

    def _open_at_end(self, text: str) -> bool:
        """Whether ``text``, read from the start of a record, ends inside a quoted field."""
        if self._closed.fullmatch(text):
            return False
        last = None
        for last in self._opening.finditer(text):  # noqa: B007 - only the last one matters
            pass
        return last is not None and not last.group(1)

    def _continuation(self, text: str) -> str | None:
        """How a quoted field still open before ``text`` fares on it: "open" (it goes on),
        "closed" (the record ends well), or None when its closing quote is followed by
        anything but a delimiter or the line end: then the quote that opened it was no field
        quote but a stray one (``"t Hart``), and this line's quote was meant for its own field."""
        m = self._closing.match(text)
        if m is None:
            return "open"
        rest = text[m.end():]
        if rest[:1] not in ("", self.stats.delimiter, "\r", "\n"):
            return None
        after = rest.find(self.stats.delimiter)
        return "open" if after >= 0 and self._open_at_end(rest[after + 1:]) else "closed"

    def plain_fields(self, body: str) -> list[str]:
        """``body`` split at every delimiter, quotes literal. A line with far more fields than
        the header (a hostile or broken line) is split into at most ``width + MAX_EXTRA_FIELDS``
        pieces: the last holds '' when the rest is only delimiters and white space (trailing
        empty columns are fine), else a marker; ``total`` says how many fields there were."""
        d = self.stats.delimiter
        cap = self.width + MAX_EXTRA_FIELDS
        if body.count(d) < cap:
            return body.split(d)
        row = FieldList(body.split(d, cap))
        row.total = body.count(d) + 1
        row[-1] = "" if not row[-1].replace(d, "").strip() else "…"
        return row

    def quote_line_fields(self, line: str) -> list[str]:
        """The fields of a line that opened a quote problem: read with every quote literal or,
        when that puts no BSN in the BSN column, as ``csv`` reads the line on its own (a quoted
        field with a delimiter before the stray quote), if that one does."""
        plain = self.plain_fields(line.rstrip("\r\n"))
        if self.bsn_cell is None or self.bsn_cell(plain):
            return plain
        quoted = self._fields(line)
        return quoted if self.bsn_cell(quoted) else plain

    def _fields(self, record: str, *, strict: bool = False) -> list[str]:
        """A record with quotes, as ``csv`` reads it. A field over the size limit makes a row
        that fails on its own (``value_too_long``), not an unreadable file (``strict``: the
        header, which no row can replace)."""
        if self.width and record.count(self.stats.delimiter) >= self.width + MAX_EXTRA_FIELDS:
            return self.plain_fields(record.rstrip("\r\n"))
        try:
            return next(csv.reader([record], delimiter=self.stats.delimiter), [])
        except csv.Error:
            if strict:
                raise UnreadableExtract(
                    f"CSV-opmaak niet te lezen rond regel {self.line_num}") from None
            return self.plain_fields(record.rstrip("\r\n"))

    def _is_record(self, line: str) -> bool:
        """Whether ``line`` could be a complete record by itself: as many delimiters as the
        header, counted with every quote taken as a literal (a legitimate continuation holds
        only the rest of its record, so it has fewer)."""
        if line.count(self.stats.delimiter) + 1 >= self.width:
            return True
        return self.bsn_cell is not None and bool(self.bsn_cell(line.split(self.stats.delimiter)))

    def _moved_bsn(self, line: str, fields: list[str]) -> bool:
        """Whether reading the quotes took the BSN from where the first line, read with every
        quote literal, has one (``"t Hart;123456782;…;D"0`` is one field for ``csv``)."""
        if self.bsn_cell is None:
            return False
        plain = self.bsn_cell(line.rstrip("\r\n").split(self.stats.delimiter))
        return bool(plain) and plain != self.bsn_cell(fields)

    def split(self, line: str, following: Iterator[str] | None = None) -> list[str]:
        """Fields of the record starting with ``line``.

        Lines without a quote (nearly all of them) are split with ``str.split``: several times
        faster than the csv module. Quoted records go through ``csv``; a quoted field that spans
        lines takes its continuation from ``following`` (lines already read), then the stream.
        A continuation line that could be a complete record by itself, a closing quote followed
        by more text (``"t Hart`` on the next line), the end of the file or a field over the size
        limit before the closing quote raise :class:`QuoteSwallowsRows`.
        """
        if '"' not in line:
            return self.plain_fields(line.rstrip("\r\n"))
        if not self._open_at_end(line):
            fields = self._fields(line)
            if self._moved_bsn(line, fields):
                raise QuoteSwallowsRows(self.line_num, line, [])
            return fields
        opened = self.line_num
        if opened <= self._no_continuation_until:
            raise QuoteSwallowsRows(opened, line, [])
        parts, size = [line], len(line)
        while True:
            more = next(following, "") if following is not None else ""
            if not more:
                more = self._text.readline()
            if more:
                parts.append(more)
                size += len(more)
            state = self._continuation(more) if more else None
            if (state is None or size > _FIELD_LIMIT
                    or (self.width > 1 and self._is_record(more))):
                self.line_num = opened
                if len(parts) > _RESCAN_LINES:  # a long scan is never repeated over its lines
                    self._no_continuation_until = opened + len(parts) - 1
                raise QuoteSwallowsRows(opened, line, parts[1:])
            self.line_num += 1
            if state == "closed":
                fields = self._fields("".join(parts))
                if self._moved_bsn(line, fields):
                    self.line_num = opened
                    raise QuoteSwallowsRows(opened, line, parts[1:])
                return fields

    def finish(self) -> ReadStats:
        """The stats. Nothing more is read: once a decision is made (an accepted file was read
        to its end), the rest of a rejected one is not worth a byte of I/O."""
        self.stats.sha256 = self.stats._hash.hexdigest()
        if self.stats.fallbacks:
            self.stats.encoding = "windows-1252"
        return self.stats


def decode_to_utf8(chunks: Iterable[bytes], *, max_bytes: int | None = None,
                   stats: ReadStats | None = None) -> Iterator[bytes]:
    """``chunks`` of an export as UTF-8 byte chunks, decoded exactly as validation reads an
    extract: a BOM (UTF-8, UTF-16, UTF-32) or UTF-16 without one, else UTF-8 with Windows-1252
    for bytes that are no UTF-8; line endings and content untouched (a UTF-8 BOM is dropped).
    Bounded like the reader (a line over :data:`MAX_LINE_BYTES`, more than ``max_bytes``:
    :class:`UnreadableExtract`); a workbook or other file that is no text raises
    :class:`ExcelWorkbook` or :class:`NotCsv` before anything is yielded. When the generator is
    exhausted, ``stats`` (if given) holds the encoding read, the byte count and the SHA-256 of
    the input. For a reader of files that are not extracts (``vish build`` on a snapshot saved
    by Excel)."""
    reader = ExtractReader(chunks, max_bytes=max_bytes)
    if stats is not None:
        reader.stats = reader._raw._stats = stats
    text = reader._start_text()
    while True:
        block = text.read(1 << 16)
        if not block:
            break
        yield block.encode("utf-8")
    reader.finish()


csv.field_size_limit(_FIELD_LIMIT)
