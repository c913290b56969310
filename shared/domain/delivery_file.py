"""Build the file SNG receives, from the snapshot, for one organisation and date. Pure.

:func:`write_delivery_file` streams the file to a sink as it is built, from a snapshot (and
the previous delivery's manifest) in BSN order, in memory that does not grow with the file: no
record is held beyond the one being written, the two streams are merged, and the text goes out
in chunks. :func:`build_delivery_file` builds it in memory from records in any order (``vish
build``, the dry run). Both are deterministic: the same snapshot, organisation, date, profile,
previous delivery and sequence number give the same bytes (records in BSN order, nothing
time-dependent inside), and the result carries the SHA-256 of those bytes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from shared.domain.dates import OPEN_END_YEAR
from shared.domain.eligibility import is_eligible
from shared.domain.profile import DATE_SOURCES, Profile
from shared.domain.snapshot import BSN_INDEX, SNAPSHOT_FIELDS, SnapshotFormatError, new_writer
from shared.domain.sorting import sorted_by_bsn
from shared.domain.text import clean_text

_INDEX = {name: i for i, name in enumerate(SNAPSHOT_FIELDS)}
OPEN_END_PREFIX = f"{OPEN_END_YEAR}-"
CHUNK_CHARS = 1 << 16  # text gathered before it is encoded and written (bytes: as many or more)


def _transliterate(exc: UnicodeError) -> tuple[str, int]:
    """For 8-bit profiles: 'ş' -> 's', 'ı' -> '?': never fail a delivery over a letter."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            base.encode(exc.encoding)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out), exc.end


codecs.register_error("vish_transliterate", _transliterate)


@dataclass(frozen=True)
class DeliveryFile:
    name: str
    content: bytes
    sha256: str
    records: int  # data lines in the file (header and trailer not counted)
    people: int  # people registered once this file is processed
    added: int  # aanmeldingen against the previous delivery (all people without one)
    removed: int  # afmeldingen against the previous delivery
    manifest: bytes  # snapshot-format records of ``people``: the basis of the next mutations


def _iso_to_text(value: str, fmt: str, cache: dict[str, str]) -> str:
    if not value:
        return ""
    text = cache.get(value)
    if text is None:
        text = cache[value] = date.fromisoformat(value).strftime(fmt)
    return text


class _Renderer:
    def __init__(self, profile: Profile, organisation) -> None:
        self.profile = profile
        contact = organisation.contact
        self.constants = {
            "organisation.code": organisation.code, "organisation.name": organisation.name,
            "organisation.aansluitcode": organisation.aansluitcode,
            "organisation.gemeentecode": organisation.gemeentecode or "",
            "organisation.contact.naam": contact.naam, "organisation.contact.telefoon": contact.telefoon,
            "organisation.contact.email": contact.email,
        }
        self.dates: dict[str, str] = {}
        self.buffer = io.StringIO()
        quoting = {"minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL, "none": csv.QUOTE_NONE}
        self.writer = csv.writer(self.buffer, delimiter=profile.delimiter, lineterminator=profile.newline,
                                 quoting=quoting[profile.quoting], escapechar=None)

    def clean(self, value: str) -> str:
        if not (value.isascii() and value.isprintable()):
            # The intake never lets these in; a snapshot from before that rule might hold them.
            value = clean_text(value, digits=True)[0]
        if self.profile.quoting == "none":
            # No quoting means no way to carry these characters: replace, never break the layout.
            # (Line breaks never get here: clean_text above has made them spaces.)
            for bad in (self.profile.delimiter, '"'):
                if bad in value:
                    value = value.replace(bad, " ")
        return value

    def values(self, record: list[str], mutation: str | None) -> list[str]:
        out = []
        for spec in self.profile.fields:
            source = spec.source
            if source == "mutation":
                value = mutation or ""
            elif source.startswith("const:"):
                value = source[6:]
            elif source in self.constants:
                value = self.constants[source]
            elif source in DATE_SOURCES:
                value = record[_INDEX[source]]
                if value.startswith(OPEN_END_PREFIX):  # "no end date" (snapshots before the rule)
                    value = ""
                value = _iso_to_text(value, self.profile.date_format, self.dates)
            else:
                value = record[_INDEX[source]]
            if spec.max_length:
                value = value[: spec.max_length]
            out.append(self.clean(value))
        return out

    def line(self, values: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(values)
        return self.buffer.getvalue()


class _Sink:
    """Text to ``out`` in chunks of about :data:`CHUNK_CHARS` characters: composed (NFC) and
    encoded as the profile says, the bytes hashed and counted. Only whole lines are given, and a
    line ends with a line break, which composes with nothing on either side: the composed
    chunks are the composed whole."""

    def __init__(self, out, encoding: str, *, compose: bool, errors: str) -> None:
        self.out = out
        self.encoder = codecs.getincrementalencoder(encoding)(errors=errors)  # one BOM, if any
        self.compose = compose
        self.parts: list[str] = []
        self.pending = 0
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.pending += len(text)
        if self.pending >= CHUNK_CHARS:
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        text = "".join(self.parts)
        self.parts, self.pending = [], 0
        if self.compose and not text.isascii():
            # Composed (NFC, the form for interchange), so a decomposed letter (e + U+0301, as
            # some exports write it) is sent as that letter ('é'): in UTF-8 as one character, in
            # a code page that holds it as that byte, not as 'e?'. Composed text stays as it is.
            text = unicodedata.normalize("NFC", text)
        data = self.encoder.encode(text, final)
        if data:
            self.hash.update(data)
            self.size += len(data)
            self.out.write(data)


def _eligible_people(snapshot: Iterable[list[str]], on: date) -> Iterator[list[str]]:
    """The eligible records of a snapshot in BSN order, the first of each person only."""
    from_i, end_i = _INDEX["eligible_from"], _INDEX["einddatum"]
    parse = date.fromisoformat
    last = ""
    kept = None
    number = 0
    for record in snapshot:
        number += 1
        bsn = record[BSN_INDEX]
        if bsn <= last:
            if bsn < last:
                raise SnapshotFormatError(f"snapshot niet op BSN gesorteerd (record {number})")
            if kept == bsn:
                continue  # never twice in one file (a damaged snapshot may hold a person twice)
        last = bsn
        from_date = parse(record[from_i]) if record[from_i] else None
        end_date = parse(record[end_i]) if record[end_i] else None
        if is_eligible(from_date, end_date, on):
            kept = bsn
            yield record


def _previous_people(previous: Iterable[list[str]]) -> Iterator[list[str]]:
    """The records of the previous delivery's manifest in BSN order, the first of each."""
    last = ""
    number = 0
    for record in previous:
        number += 1
        bsn = record[BSN_INDEX]
        if bsn <= last:
            if bsn < last:
                raise SnapshotFormatError("manifest van de vorige levering niet op BSN gesorteerd "
                                          f"(record {number})")
            continue
        last = bsn
        yield record


@dataclass(frozen=True)
class FileFacts:
    """What a streamed build knows when it ends (the bytes went to the sinks)."""

    name: str
    sha256: str  # of exactly the bytes written to ``out``
    size: int  # bytes written to ``out``
    records: int  # data lines in the file (header and trailer not counted)
    people: int  # people registered once this file is processed
    added: int  # aanmeldingen against the previous delivery (all people without one)
    removed: int  # afmeldingen against the previous delivery
    manifest_size: int  # bytes written to ``manifest_out`` (0 when there is no manifest)


def write_delivery_file(snapshot: Iterable[list[str]], organisation, on: date, profile: Profile,
                        out, *, manifest_out=None, previous: Iterable[list[str]] | None = None,
                        sequence: int = 1) -> FileFacts:
    """Write the file for ``on`` to ``out`` (binary, ``.write(bytes)``) as it is built, in
    chunks of about 64 KiB: memory does not grow with the file.

    ``snapshot`` and ``previous`` (the manifest of the last file delivered; None: nothing was
    delivered yet) come in ascending BSN order (:func:`shared.domain.sorting.sorted_by_bsn`
    sorts any other); a record out of order raises :class:`SnapshotFormatError`. Of records
    with the same BSN the first (eligible one) is delivered. Mode ``full``: every person
    eligible on ``on``; mode ``mutations``: the aanmeldingen and afmeldingen against
    ``previous`` (a merge of the two streams), and the manifest of the people registered
    (snapshot format, header first, UTF-8) to ``manifest_out`` when given.
    """
    name = profile.render_file_name(organisation_code=organisation.code,
                                    aansluitcode=organisation.aansluitcode, on=on, sequence=sequence)
    renderer = _Renderer(profile, organisation)
    values, line = renderer.values, renderer.line
    sink = _Sink(out, profile.encoding, compose=True, errors="vish_transliterate")
    mutations = profile.mode == "mutations"
    manifest = None
    if mutations and manifest_out is not None:
        manifest = _Sink(manifest_out, "utf-8", compose=False, errors="strict")
        manifest.write(";".join(SNAPSHOT_FIELDS) + "\n")  # as new_writer writes it
    manifest_text = io.StringIO()
    manifest_row = new_writer(manifest_text).writerow
    aanmelding = afmelding = None
    if mutations:
        aanmelding, afmelding = profile.mutation_codes["aanmelding"], profile.mutation_codes["afmelding"]
    if profile.header:
        sink.write(line([f.column for f in profile.fields]))
    current = _eligible_people(snapshot, on)
    before = _previous_people(previous if previous is not None else ())
    records = people = added = removed = 0
    now = next(current, None)
    then = next(before, None)
    while now is not None or then is not None:
        if then is None or (now is not None and now[BSN_INDEX] < then[BSN_INDEX]):
            record, mutation, registered, written = now, aanmelding, True, True  # new
            added += 1
            now = next(current, None)
        elif now is None or then[BSN_INDEX] < now[BSN_INDEX]:
            record, mutation, registered, written = then, afmelding, False, mutations  # gone
            removed += 1
            then = next(before, None)
        else:  # registered before and still: a line in a full file only
            record, mutation, registered, written = now, None, True, not mutations
            now = next(current, None)
            then = next(before, None)
        if registered:
            people += 1
            if manifest is not None:
                manifest_row(record)
                if manifest_text.tell() >= CHUNK_CHARS:
                    manifest.write(manifest_text.getvalue())
                    manifest_text.seek(0)
                    manifest_text.truncate()
        if written:
            sink.write(line(values(record, mutation)))
            records += 1
    if profile.trailer:
        sink.write(profile.trailer.format(count=records) + profile.newline)
    sink.flush(final=True)
    manifest_size = 0
    if manifest is not None:
        manifest.write(manifest_text.getvalue())
        manifest.flush(final=True)
        manifest_size = manifest.size
    return FileFacts(name=name, sha256=sink.hash.hexdigest(), size=sink.size, records=records,
                     people=people, added=added, removed=removed, manifest_size=manifest_size)


def build_delivery_file(snapshot: Iterable[list[str]], organisation, on: date, profile: Profile, *,
                        previous: Iterable[list[str]] | None = None, sequence: int = 1) -> DeliveryFile:
    """The file for ``on`` in memory (``vish build``, the dry run): :func:`write_delivery_file`
    on records in any order (sorted here, bounded: :func:`sorted_by_bsn`). Mode ``full``: every
    person eligible that day; mode ``mutations``: the aanmeldingen and afmeldingen against
    ``previous`` (the manifest of the last file actually delivered; None means nothing was
    delivered yet)."""
    content, manifest = io.BytesIO(), io.BytesIO()
    facts = write_delivery_file(sorted_by_bsn(snapshot), organisation, on, profile, content,
                                manifest_out=manifest,
                                previous=None if previous is None else sorted_by_bsn(previous),
                                sequence=sequence)
    return DeliveryFile(name=facts.name, content=content.getvalue(), sha256=facts.sha256,
                        records=facts.records, people=facts.people, added=facts.added,
                        removed=facts.removed, manifest=manifest.getvalue())
