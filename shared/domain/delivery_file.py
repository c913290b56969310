"""Build the file SNG receives, from the snapshot, for one organisation and date. Pure.

``build_delivery_file`` is deterministic: the same snapshot, organisation, date, profile,
previous delivery and sequence number give the same bytes (records sorted by BSN, nothing
time-dependent inside), and the result carries the SHA-256 of those bytes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.domain.dates import OPEN_END_YEAR
from shared.domain.eligibility import is_eligible
from shared.domain.profile import DATE_SOURCES, Profile
from shared.domain.snapshot import SNAPSHOT_FIELDS, new_writer
from shared.domain.text import clean_text

_INDEX = {name: i for i, name in enumerate(SNAPSHOT_FIELDS)}
OPEN_END_PREFIX = f"{OPEN_END_YEAR}-"


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


def _eligible(snapshot: Iterable[list[str]], on: date) -> Iterable[list[str]]:
    from_i, end_i = _INDEX["eligible_from"], _INDEX["einddatum"]
    for record in snapshot:
        from_date = date.fromisoformat(record[from_i]) if record[from_i] else None
        end_date = date.fromisoformat(record[end_i]) if record[end_i] else None
        if is_eligible(from_date, end_date, on):
            yield record


def build_delivery_file(snapshot: Iterable[list[str]], organisation, on: date, profile: Profile, *,
                        previous: Iterable[list[str]] | None = None, sequence: int = 1) -> DeliveryFile:
    """The file for ``on``: in mode ``full`` every person eligible that day; in mode
    ``mutations`` the aanmeldingen and afmeldingen against ``previous`` (the manifest of the
    last file actually delivered; None means nothing was delivered yet)."""
    renderer = _Renderer(profile, organisation)
    bsn_i = _INDEX["bsn"]
    before: dict[str, list[str]] = {r[bsn_i]: r for r in previous or ()}
    # Each entry is "bsn\0line": sorting the text sorts by BSN (nine digits, fixed width).
    entries: list[str] = []
    people: set[str] = set()
    added = 0
    manifest = io.StringIO()
    if profile.mode == "mutations":
        manifest.write(";".join(SNAPSHOT_FIELDS) + "\n")
        writer = new_writer(manifest)
        codes = profile.mutation_codes
        kept = sorted(_eligible(snapshot, on), key=lambda r: r[bsn_i])
        for record in kept:
            bsn = record[bsn_i]
            if bsn in people:
                continue  # never twice in one file (a damaged snapshot may hold a person twice)
            people.add(bsn)
            writer.writerow(record)
            if bsn not in before:
                entries.append(bsn + "\0" + renderer.line(renderer.values(record, codes["aanmelding"])))
                added += 1
        for bsn, record in before.items():
            if bsn not in people:
                entries.append(bsn + "\0" + renderer.line(renderer.values(record, codes["afmelding"])))
        removed = len(before.keys() - people)
    else:
        for record in _eligible(snapshot, on):
            bsn = record[bsn_i]
            if bsn in people:
                continue  # never twice in one file (a damaged snapshot may hold a person twice)
            people.add(bsn)
            entries.append(bsn + "\0" + renderer.line(renderer.values(record, None)))
        added = len(people - before.keys())
        removed = len(before.keys() - people)
    entries.sort()

    out = io.StringIO()
    if profile.header:
        out.write(renderer.line([f.column for f in profile.fields]))
    for entry in entries:
        out.write(entry[entry.index("\0") + 1:])
    if profile.trailer:
        out.write(profile.trailer.format(count=len(entries)) + profile.newline)
    text = out.getvalue()
    # Composed (NFC, the form for interchange), so a decomposed letter (e + U+0301, as some
    # exports write it) is sent as that letter ('é'): in UTF-8 as one character, in a code
    # page that holds it as that byte, not as 'e?'. Text already composed is left as it is.
    text = unicodedata.normalize("NFC", text)
    content = text.encode(profile.encoding, errors="vish_transliterate")
    name = profile.render_file_name(organisation_code=organisation.code,
                                    aansluitcode=organisation.aansluitcode, on=on, sequence=sequence)
    return DeliveryFile(name=name, content=content, sha256=hashlib.sha256(content).hexdigest(),
                        records=len(entries), people=len(people), added=added, removed=removed,
                        manifest=manifest.getvalue().encode("utf-8"))
