"""A corpus of hostile and messy extracts, generated (no binaries are checked in).

Every :class:`Case` carries its bytes, the decision and reason the rules demand, optional
expectations (an issue code at a line, people that must be in the snapshot, exact snapshot
values, report cells) and everything personal it put in the input (BSNs, surnames, birth
dates), so that a test can prove none of it leaks. BSNs are made by construction (nine digits
passing the 11-proef), so each case knows exactly who is in it. Nothing here imports the product:
the expectations come from the rules, not from the code under test.

``tests/test_corpus.py`` runs every case through ``vish validate`` and through the intake on
Azurite; the scanners at the bottom (:func:`leaks`, :func:`control_characters`,
:func:`non_ascii_digits`, :func:`formula_cells`) are the properties those tests assert.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import random
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

# -- BSNs by construction ---------------------------------------------------------------------------
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
FIXED_BSN = "123456782"  # the textbook example; valid (9+16+21+24+25+24+21+16-2 = 154 = 14*11)


def passes_11_proef(value: str) -> bool:
    """Nine ASCII digits, not all zero, weighted sum divisible by 11."""
    if len(value) != 9 or not value.isascii() or not value.isdigit() or value == "000000000":
        return False
    return sum(w * int(d) for w, d in zip(WEIGHTS, value, strict=True)) % 11 == 0


def bsn_for_prefix(prefix: int) -> str | None:
    """The one BSN starting with these eight digits, or None when no ninth digit passes."""
    head = f"{prefix:08d}"
    last = sum(w * int(d) for w, d in zip(WEIGHTS[:8], head, strict=True)) % 11
    return head + str(last) if last < 10 and prefix else None


class BsnPool:
    """Distinct valid BSNs for the whole corpus (a stride coprime to 10^8 visits each prefix once)."""

    def __init__(self, seed: int = 7) -> None:
        self._prefix = seed * 1_000_003 % 100_000_000
        self._seen: set[str] = {FIXED_BSN}

    def __len__(self) -> int:
        return len(self._seen)

    def take(self, *, leading_zero: bool = False) -> str:
        while True:
            self._prefix = (self._prefix + 7_919_993) % 100_000_000
            prefix = self._prefix % 10_000_000 if leading_zero else self._prefix
            if not leading_zero and prefix < 10_000_000:
                continue
            bsn = bsn_for_prefix(prefix)
            if bsn is not None and bsn not in self._seen:
                self._seen.add(bsn)
                return bsn


def invalid_checksum(bsn: str) -> str:
    """The same number with the last digit changed so that the 11-proef fails."""
    for digit in "0123456789":
        candidate = bsn[:-1] + digit
        if candidate != bsn and not passes_11_proef(candidate):
            return candidate
    raise AssertionError("unreachable")


def dotted(bsn: str) -> str:
    return f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}"


def dashed(bsn: str) -> str:
    return f"{bsn[:3]}-{bsn[3:6]}-{bsn[6:]}"


def in_script(text: str, zero: str) -> str:
    """ASCII digits of ``text`` written in another script (``zero`` is that script's 0)."""
    return "".join(chr(ord(zero) + int(c)) if c.isascii() and c.isdigit() else c for c in text)


ARABIC_INDIC_ZERO = "\u0660"
FULLWIDTH_ZERO = "\uff10"

# -- the people in an extract -------------------------------------------------------------------------
# Fictitious surnames, each distinctive enough to be searched for in any output (no Dutch word
# of a message or report contains one of them).
SURNAMES = (
    "Zwartkop", "Pietersma", "Hoogendoorn", "Klaassen", "Brinkhuis", "Veldkamp", "Dijkstra",
    "Smeets", "Willemsen", "Timmermans", "Kuipers", "Verhoeven", "Oosterhuis", "Wouterse",
    "Lammers", "Rietveld", "Boersma", "Jonker", "Haverkamp", "Schouten", "Yildirim", "Elmoussaoui",
)
START = date(2025, 1, 6)  # start dates lie in 2025: in the past for the CLI's real clock too


def dmy(d: date) -> str:
    return d.strftime("%d-%m-%Y")


@dataclass(frozen=True)
class Person:
    bsn: str
    surname: str
    birth: date
    start: date
    toel: date
    dossier: str


# Columns of the default extract, with the key a row's values are given by.
COLUMNS: dict[str, str] = {
    "bsn": "BSN",
    "naam": "Achternaam",
    "geb": "Geboortedatum",
    "start": "Startdatum traject",
    "toel": "Datum toelating",
    "eind": "Einddatum",
    "dossier": "Dossiernummer",
    "postcode": "Postcode",
}


def quoted(value: str) -> str:
    """``value`` as a CSV writer quotes it."""
    return '"' + value.replace('"', '""') + '"'


# -- a case ---------------------------------------------------------------------------------------------
ANY_ROW = ...  # an Expect that may be on any line


@dataclass(frozen=True)
class Expect:
    """An issue that must be in the result: ``code`` at ``row`` (None: file level; ANY_ROW:
    anywhere), optionally on ``field``, with ``dossiernummer``, with a message containing
    ``message_contains`` (case-insensitive); ``count``: exactly this many issues with the code."""

    code: str
    row: int | type(...) | None = ANY_ROW
    field: str | None = None
    dossiernummer: str | None = None
    message_contains: str | None = None
    count: int | None = None

    def matches(self, issue: Mapping) -> bool:
        return (issue["code"] == self.code
                and (self.row is ANY_ROW or issue["row"] == self.row)
                and (self.field is None or issue["field"] == self.field)
                and (self.dossiernummer is None or issue["dossiernummer"] == self.dossiernummer)
                and (self.message_contains is None
                     or self.message_contains.lower() in issue["message"].lower()))


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    decision: str  # "accepted" | "rejected"
    reason: str | tuple[str, ...] | None = None  # a tuple: any of these (hostile junk)
    rule: str = ""  # which rule or kind of mess it exercises
    expect: tuple[Expect, ...] = ()
    absent_codes: tuple[str, ...] = ()  # codes that must not appear at all
    people: frozenset[str] = frozenset()  # BSNs that must be in the snapshot
    absent_people: frozenset[str] = frozenset()  # BSNs that must not be in it
    values: tuple[tuple[str, str, str], ...] = ()  # (bsn, snapshot field, exact value)
    report_cells: tuple[str, ...] = ()  # cells the report CSV must hold
    log_contains: tuple[str, ...] = ()  # text the intake's log records must hold
    rows_total: int | None = None
    rows_invalid: int | None = None
    blob_name: str = "export.csv"
    env: Mapping[str, str] = field(default_factory=dict)  # settings for this case (VISH_...)
    max_rss_mb: int | None = None  # also run `vish validate` in a subprocess under this peak RSS
    bsns: frozenset[str] = frozenset()  # every BSN written in the input (also in the blob name)
    surnames: frozenset[str] = frozenset()
    birth_dates: frozenset[date] = frozenset()

    @property
    def reasons(self) -> tuple[str | None, ...]:
        return self.reason if isinstance(self.reason, tuple) else (self.reason,)


class Draft:
    """An extract under construction: lines, the people in it and who must end in the snapshot.

    ``row`` renders a person (values overridable by column key; ``None`` or ``""``: empty cell),
    returns the line number of the row's first line and remembers the person's personal data.
    """

    def __init__(self, pool: BsnPool, *, columns: Mapping[str, str] = COLUMNS, delimiter: str = ";",
                 newline: str = "\r\n", header: str | None = None) -> None:
        self.pool = pool
        self.columns = dict(columns)
        self.delimiter = delimiter
        self.newline = newline
        self.lines: list[str] = [header if header is not None
                                 else delimiter.join(self.columns.values())]
        self.next_line = 1 + self.lines[0].count(newline) + 1
        self.kept: set[str] = set()
        self.bsns: set[str] = set()
        self.surnames: set[str] = set()
        self.births: set[date] = set()
        self._n = 0

    def person(self, *, bsn: str | None = None, surname: str | None = None,
               leading_zero: bool = False) -> Person:
        self._n += 1
        n = self._n + len(self.pool)
        start = START + timedelta(days=n % 300)
        return Person(
            bsn=bsn or self.pool.take(leading_zero=leading_zero),
            surname=surname or SURNAMES[n % len(SURNAMES)],
            birth=date(1950, 1, 1) + timedelta(days=(n * 37) % 14_600),  # 1950-1989
            start=start, toel=start + timedelta(days=3), dossier=f"D-{n:06d}",
        )

    def cells(self, p: Person, **over: str | None) -> dict[str, str]:
        values = {"bsn": p.bsn, "naam": p.surname, "geb": dmy(p.birth), "start": dmy(p.start),
                  "toel": dmy(p.toel), "eind": "", "dossier": p.dossier, "postcode": "1234 AB"}
        values.update(over)
        return values

    def row(self, p: Person | None = None, *, keep: bool = True, extra: Iterable[str] = (),
            **over: str | None) -> int:
        p = p or self.person()
        self.note(p)
        if keep:
            self.kept.add(p.bsn)
        values = self.cells(p, **over)
        fields = [values[key] or "" for key in self.columns]
        return self.raw(self.delimiter.join([*fields, *extra]))

    def note(self, p: Person) -> None:
        self.bsns.add(p.bsn)
        self.surnames.add(p.surname)
        self.births.add(p.birth)

    def raw(self, text: str) -> int:
        """Append a line as is (it may hold line breaks inside quotes); its first line number."""
        line = self.next_line
        self.lines.append(text)
        self.next_line += text.count(self.newline) + 1
        return line

    def filler(self, count: int) -> list[Person]:
        people = [self.person() for _ in range(count)]
        for p in people:
            self.row(p)
        return people

    def text(self, *, final_newline: bool = True) -> str:
        return self.newline.join(self.lines) + (self.newline if final_newline else "")

    def encode(self, encoding: str = "utf-8", *, bom: bool = False, final_newline: bool = True) -> bytes:
        return (b"\xef\xbb\xbf" if bom else b"") + self.text(final_newline=final_newline).encode(encoding)

    def case(self, name: str, data: bytes | None = None, *, decision: str = "accepted",
             people: Iterable[str] | None = None, **kwargs) -> Case:
        return Case(
            name=name, data=self.encode() if data is None else data, decision=decision,
            people=frozenset(self.kept if people is None else people)
            if decision == "accepted" else frozenset(),
            bsns=frozenset(self.bsns) | kwargs.pop("bsns", frozenset()),
            surnames=frozenset(self.surnames) | kwargs.pop("surnames", frozenset()),
            birth_dates=frozenset(self.births) | kwargs.pop("birth_dates", frozenset()),
            **kwargs,
        )


# -- the corpus -------------------------------------------------------------------------------------------
FILLER = 40  # valid rows around each oddity: one invalid row stays under the 5 % threshold


def build_corpus() -> list[Case]:
    pool = BsnPool()
    cases: list[Case] = []
    for make in (_quotes, _formulas, _privacy, _control_characters, _bounded, _line_endings,
                 _encodings_and_formats, _open_end, _messy_but_valid, _hostile, _as_exports_come):
        cases.extend(make(pool))
    return cases


def _quotes(pool: BsnPool) -> Iterator[Case]:
    # Rule 1: stray quotes never silently lose a person.
    d = Draft(pool)
    d.filler(10)
    hart = d.person(surname="Hart")
    opened = d.row(hart, keep=False, naam='"t Hart')  # opens a quote that never closes properly
    d.filler(29)
    ancona = d.person(surname="Ancona")
    later = d.row(ancona, naam='d"Ancona')  # a stray quote inside a field: a literal character
    d.filler(20)
    yield d.case("quote_stray_t_hart_and_another_30_lines_later", rule="1",
                 expect=(Expect("quote_swallows_rows", row=opened, count=1),),
                 values=((ancona.bsn, "achternaam", 'd"Ancona'),),
                 rows_total=61, rows_invalid=1, surnames={"Hart", "Ancona"})
    assert later == opened + 30

    d = Draft(pool)
    d.filler(20)
    first = d.row(d.person(surname="Hart"), keep=False, naam='"t Hart')
    second = d.row(d.person(surname="Hart"), keep=False, naam='"t Hart')  # closes the first one's quote
    d.filler(20)
    yield d.case("quote_stray_on_two_consecutive_lines", rule="1",
                 expect=(Expect("quote_swallows_rows", row=first), Expect("quote_swallows_rows", row=second)),
                 rows_total=42, rows_invalid=2)

    d = Draft(pool)
    d.filler(20)
    oneill = d.person(surname="Neill")
    d.row(oneill, naam='O"Neill')
    d.filler(20)
    yield d.case("quote_literal_inside_a_name", rule="1",
                 absent_codes=("quote_swallows_rows", "unreadable", "column_count"),
                 values=((oneill.bsn, "achternaam", 'O"Neill'),), rows_total=41, rows_invalid=0)

    d = Draft(pool)
    d.filler(FILLER)
    last = d.row(d.person(surname="Zwartkop"), keep=False, naam='"Zwartkop')
    yield d.case("quote_opened_in_the_last_line", rule="1",
                 expect=(Expect("quote_swallows_rows", row=last),),
                 rows_total=FILLER + 1, rows_invalid=1)

    d = Draft(pool)
    d.filler(FILLER)
    last = d.row(d.person(surname="Zwartkop"), keep=False, naam='"Zwartkop')
    yield d.case("quote_opened_in_the_last_line_without_final_newline",
                 d.encode(final_newline=False), rule="1",
                 expect=(Expect("quote_swallows_rows", row=last),), rows_total=FILLER + 1)

    d = Draft(pool)
    d.filler(3)
    opened = d.row(d.person(), keep=False, dossier='"D-open')  # never closed; 45 lines follow
    d.filler(45)
    yield d.case("quote_unclosed_until_end_of_file", rule="1",
                 expect=(Expect("quote_swallows_rows", row=opened, count=1),),
                 rows_total=49, rows_invalid=1)

    columns = {**COLUMNS, "adres": "Adres"}
    d = Draft(pool, columns=columns)
    for i in range(25):
        address = "Dorpsstraat 1\r\n1234 AB Ergens" if i % 2 else "Kerkweg 3"
        d.row(adres=quoted(address))
    yield d.case("quoted_multiline_address", rule="1",
                 absent_codes=("quote_swallows_rows", "unreadable", "column_count"),
                 rows_total=25, rows_invalid=0)

    d = Draft(pool, header=";".join(quoted(c) for c in COLUMNS.values()))
    for p in [d.person() for _ in range(25)]:
        d.note(p)
        d.kept.add(p.bsn)
        d.raw(";".join(quoted(v) for v in d.cells(p, naam=f"{p.surname}; Piet").values()))
    yield d.case("every_field_quoted_with_delimiters_inside", rule="1",
                 absent_codes=("quote_swallows_rows", "unreadable", "column_count"), rows_invalid=0)


FORMULAS = ('=HYPERLINK("http://x","klik")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)")


def _formulas(pool: BsnPool) -> Iterator[Case]:
    # Rule 2: formulas are data: kept intact in the snapshot, neutralised in the report CSV.
    d = Draft(pool)
    d.filler(20)
    values, lines = [], []
    for formula in FORMULAS:
        p = d.person()
        # a bad postcode is a warning on the row, so the report names its dossiernummer
        lines.append(d.row(p, dossier=quoted(formula) if '"' in formula else formula, postcode="12345"))
        values.append((p.bsn, "dossiernummer", formula))
    d.filler(20)
    yield d.case("formula_dossiernummers", rule="2", values=tuple(values),
                 report_cells=tuple("'" + f for f in FORMULAS), rows_invalid=0,
                 expect=tuple(Expect("postcode_format", row=line) for line in lines))


def _privacy(pool: BsnPool) -> Iterator[Case]:
    # Rule 3: nothing personal is echoed.
    d = Draft(pool)
    d.filler(20)
    own = d.person(bsn=FIXED_BSN)
    rows = [(d.row(own, dossier=FIXED_BSN, postcode="12345"), FIXED_BSN)]
    for shape in (dotted, dashed):
        p = d.person()
        rows.append((d.row(p, dossier=shape(p.bsn), postcode="12345"), p.bsn))
    d.filler(20)
    yield d.case("dossiernummer_is_the_bsn", rule="3",
                 expect=tuple(Expect("postcode_format", row=line, dossiernummer="*****" + bsn[-4:])
                              for line, bsn in rows))

    a, b = pool.take(), pool.take()
    d = Draft(pool, header=";".join([*COLUMNS.values(), a, dotted(b)]))
    for p in [d.person() for _ in range(FILLER)]:
        d.row(p, extra=("", ""))
    yield d.case("ignored_header_cells_are_bsns", rule="3", bsns={a, b},
                 expect=(Expect("column_ignored", row=None),))

    d = Draft(pool, header="")
    d.lines.clear()
    d.next_line = 1
    for p in [d.person() for _ in range(10)]:
        d.note(p)
        d.raw(f"{p.surname};{dotted(p.bsn)};{dmy(p.birth)};{dmy(p.start)}")
    yield d.case("no_header_row", decision="rejected", reason="missing_column", rule="3",
                 expect=(Expect("missing_column", row=None),))

    d = Draft(pool)
    d.filler(20)
    jansen = d.person(bsn=FIXED_BSN, surname="Jansen")
    jansen = Person(jansen.bsn, jansen.surname, date(1980, 2, 1), jansen.start, jansen.toel,
                    jansen.dossier)
    d.row(jansen)
    d.filler(20)
    yield d.case("blob_name_with_bsn_surname_and_birth_date",
                 blob_name="123456782-jansen-01-02-1980.csv", rule="3")


CONTROLLED = (
    ("naam", "Zwart\x00kop", "Zwartkop"),
    ("naam", "\x1b[2J\x1b[31mBoersma\x1b[0m", None),
    ("naam", "Haver\x80kamp\x85\x9b", "Haverkamp"),
    ("naam", "Kui\u200bpers", "Kuipers"),
    ("naam", "\u202eJonker", "Jonker"),
    ("naam", "Lam\u00admers\ufeff", "Lammers"),
    ("dossier", "D-\x07\x08000777", "D-000777"),
    ("dossier", "\x1b(0\x1b]2:x\x07D-000778", None),
)


def _control_characters(pool: BsnPool) -> Iterator[Case]:
    # Rule 4: control and format characters are dropped with a warning, digits made ASCII.
    d = Draft(pool)
    d.filler(20)
    expect, values = [], []
    for key, raw, clean in CONTROLLED:
        p = d.person(surname=(clean or "Boersma") if key == "naam" else None)
        line = d.row(p, **{key: raw})
        snapshot_field = {"naam": "achternaam", "dossier": "dossiernummer"}[key]
        expect.append(Expect("control_characters", row=line, field=snapshot_field))
        if clean is not None:
            values.append((p.bsn, snapshot_field, clean))
    d.filler(20)
    yield d.case("control_characters_in_free_text", rule="4", expect=tuple(expect),
                 values=tuple(values), rows_invalid=0)

    d = Draft(pool)
    d.filler(FILLER)
    p = d.person()
    line = d.row(p, dossier="\x1b[2J\x1b[31mZAAK-7\x1b[0m", postcode="12345")
    yield d.case("ansi_escape_in_a_dossiernummer_shown_on_screen", rule="4",
                 expect=(Expect("control_characters", row=line, field="dossiernummer"),
                         Expect("postcode_format", row=line)))

    d = Draft(pool)
    d.filler(20)
    arabic, wide = d.person(), d.person()
    one = d.row(arabic, dossier=in_script("ZAAK-123", ARABIC_INDIC_ZERO))
    two = d.row(wide, dossier=in_script("DOS-456", FULLWIDTH_ZERO))
    d.filler(20)
    yield d.case("non_ascii_digits_in_free_text", rule="4",
                 expect=(Expect("non_ascii_digits", row=one, field="dossiernummer"),
                         Expect("non_ascii_digits", row=two, field="dossiernummer")),
                 values=((arabic.bsn, "dossiernummer", "ZAAK-123"), (wide.bsn, "dossiernummer", "DOS-456")))

    d = Draft(pool)
    d.filler(25)
    arabic, wide = d.person(), d.person()
    one = d.row(arabic, keep=False, bsn=in_script(arabic.bsn, ARABIC_INDIC_ZERO))
    two = d.row(wide, keep=False, bsn=in_script(wide.bsn, FULLWIDTH_ZERO))
    d.filler(25)
    yield d.case("bsn_in_non_ascii_digits_is_refused", rule="4",
                 expect=(Expect("bsn_format", row=one, field="bsn"),
                         Expect("bsn_format", row=two, field="bsn")),
                 absent_people=frozenset({arabic.bsn, wide.bsn}), rows_invalid=2)


def _bounded(pool: BsnPool) -> Iterator[Case]:
    # Rule 5: a file over the size cap is refused as too large (unread).
    d = Draft(pool)
    d.filler(FILLER)
    yield d.case("larger_than_the_size_cap", decision="rejected", reason="too_large", rule="5",
                 env={"VISH_MAX_EXTRACT_BYTES": "1000"})


def _line_endings(pool: BsnPool) -> Iterator[Case]:
    # Rule 7: CR-only line endings (Excel for Mac) at any size.
    d = Draft(pool, newline="\r")
    d.filler(50)
    yield d.case("cr_only_line_endings_50_rows", rule="7", rows_total=50, rows_invalid=0)

    d = Draft(pool, newline="\r")
    d.filler(20_000)
    data = d.encode()
    assert len(data) > 1024 * 1024 and b"\n" not in data  # beyond any line-length guard
    yield d.case("cr_only_line_endings_20k_rows", data, rule="7", rows_total=20_000, rows_invalid=0,
                 max_rss_mb=120)

    d = Draft(pool)
    d.filler(30)
    text = "".join(line + ("\r\n", "\r", "\n")[i % 3] for i, line in enumerate(d.lines))
    yield d.case("mixed_line_endings", text.encode(), rule="7", rows_total=30, rows_invalid=0)


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 3, 1, 12, 0, 0)), content)
    return buffer.getvalue()


def _encodings_and_formats(pool: BsnPool) -> Iterator[Case]:
    # Rule 8: Excel's "Unicode-tekst" is read; other formats renamed .csv are refused by name.
    d = Draft(pool, delimiter="\t")
    for surname in ("Lefèvre", "Gürsoy", "Ødegård") * 10:
        d.row(d.person(surname=surname))
    yield d.case("utf16_with_bom_tab_separated", d.text().encode("utf-16"), rule="8",
                 rows_total=30, rows_invalid=0)

    d = Draft(pool)
    d.filler(10)
    inner = d.encode()
    yield d.case("zip_renamed_csv", _zip({"export.csv": inner}), decision="rejected", reason="not_csv",
                 rule="8", expect=(Expect("not_csv", message_contains="zip"),))

    d = Draft(pool)
    people = [d.person() for _ in range(5)]
    for p in people:
        d.note(p)
    sheet = "".join(f'<row><c t="inlineStr"><is><t>{p.bsn}</t></is></c><c t="inlineStr"><is><t>'
                    f"{p.surname}</t></is></c></row>" for p in people)
    xlsx = _zip({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                               b'package/2006/content-types"/>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook><sheets><sheet name="Blad1" sheetId="1"/>'
                           b"</sheets></workbook>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet><sheetData>{sheet}</sheetData>'
                                    "</worksheet>".encode(),
    })
    yield d.case("xlsx_renamed_csv", xlsx, decision="rejected", reason="excel_workbook", rule="8",
                 expect=(Expect("excel_workbook", message_contains="CSV UTF-8"),))

    d = Draft(pool)
    d.filler(10)
    yield d.case("gzip_renamed_csv", gzip.compress(d.encode(), mtime=0), decision="rejected",
                 reason="not_csv", rule="8", expect=(Expect("not_csv", message_contains="gzip"),))

    d = Draft(pool)
    p = d.person()
    d.note(p)
    pdf = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
           + f"BT (BSN {p.bsn} {p.surname} {dmy(p.birth)}) Tj ET\n".encode() + b"%%EOF\n")
    yield d.case("pdf_renamed_csv", pdf, decision="rejected", reason="not_csv", rule="8",
                 expect=(Expect("not_csv", message_contains="PDF"),))

    d = Draft(pool)
    p = d.person()
    d.note(p)
    ole = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)
           + f"{p.bsn}\t{p.surname}\t{dmy(p.birth)}\r\n".encode("utf-16-le") + bytes(1024))
    yield d.case("xls_ole2_renamed_csv", ole, decision="rejected", reason="not_csv", rule="8",
                 expect=(Expect("not_csv", message_contains="Excel"),))

    d = Draft(pool)
    p = d.person()
    d.note(p)
    # an .xls as Excel writes it: its directory names the stream "Workbook" (UTF-16LE)
    ole = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + "Workbook".encode("utf-16-le")
           + bytes(56) + f"{p.bsn}\t{p.surname}\t{dmy(p.birth)}\r\n".encode("utf-16-le")
           + bytes(1024))
    yield d.case("xls_workbook_renamed_csv", ole, decision="rejected", reason="excel_workbook",
                 rule="8", expect=(Expect("excel_workbook", message_contains="Tekst"),))


def _open_end(pool: BsnPool) -> Iterator[Case]:
    # Rule 10: 31-12-9999 means "no einddatum".
    d = Draft(pool)
    d.filler(20)
    ends = []
    for value in ("31-12-9999", "9999-12-31", "31-12-9999"):
        p = d.person()
        d.row(p, eind=value)
        ends.append((p.bsn, "einddatum", ""))
    d.filler(20)
    yield d.case("open_end_date_9999", rule="10", values=tuple(ends), rows_invalid=0,
                 expect=(Expect("open_end_date", row=None, count=1),),
                 absent_codes=("date_format", "end_before_start"))


def _messy_but_valid(pool: BsnPool) -> Iterator[Case]:
    d = Draft(pool)
    d.filler(FILLER)
    yield d.case("log_keeps_the_export_date_of_a_file_name", rule="11",
                 blob_name="VISH_VB-0001_20261129_001.csv", log_contains=("20261129",))

    d = Draft(pool)
    d.filler(FILLER)
    yield d.case("utf8_bom", d.encode(bom=True), rows_total=FILLER, rows_invalid=0)

    d = Draft(pool)
    names = ("Lefèvre", "Müller", "Ödegård", "Françoise")
    kept = []
    for i in range(FILLER):
        p = d.person(surname=names[i % 4])
        d.row(p)
        kept.append((p.bsn, "achternaam", p.surname))
    # Excel's plain CSV on Windows: read, noted in the outcome, no warning (issue 14)
    yield d.case("windows_1252_names", d.encode("cp1252"), rows_invalid=0,
                 absent_codes=("encoding_fallback",), values=tuple(kept[:4]))

    d = Draft(pool)
    names = ("Lefèvre", "Müller")
    kept = []
    for i in range(FILLER):
        p = d.person(surname=names[i % 2])
        d.row(p)
        kept.append((p.bsn, "achternaam", p.surname))
    half = len(d.lines) // 2  # the first half saved as UTF-8, the rest as Windows-1252
    mixed = ("\r\n".join(d.lines[:half]) + "\r\n").encode() + ("\r\n".join(d.lines[half:])
                                                                 + "\r\n").encode("cp1252")
    yield d.case("utf8_and_windows_1252_mixed", mixed, rows_invalid=0,
                 expect=(Expect("encoding_fallback", row=None, message_contains="ook tekst in UTF-8"),),
                 values=tuple(kept[-2:]))

    for delimiter, label in ((";", "semicolon"), (",", "comma"), ("\t", "tab")):
        d = Draft(pool, delimiter=delimiter)
        d.filler(FILLER)
        yield d.case(f"{label}_delimiter", rows_total=FILLER, rows_invalid=0)

    d = Draft(pool, header=";".join(COLUMNS.values()) + ";;")
    for p in [d.person() for _ in range(FILLER)]:
        d.row(p, extra=("", "", "", ""))
    yield d.case("trailing_empty_columns", rows_total=FILLER, rows_invalid=0)

    d = Draft(pool)
    d.lines.insert(0, "")
    d.next_line += 1
    for p in [d.person() for _ in range(FILLER)]:
        d.row(p)
        if p.start.day % 3 == 0:
            d.raw("")
    d.raw("")
    yield d.case("blank_lines", rows_invalid=0)

    d = Draft(pool)
    for p in [d.person() for _ in range(FILLER)]:
        d.row(p)
        if p.start.day % 4 == 0:
            d.raw(";" * (len(COLUMNS) - 1))
    d.raw(";" * 20)
    yield d.case("rows_of_only_delimiters", rows_invalid=0)

    d = Draft(pool)
    d.filler(20)
    zero = d.person(leading_zero=True)
    assert zero.bsn.startswith("0")
    line = d.row(zero, bsn=zero.bsn[1:])
    d.filler(20)
    yield d.case("eight_digit_bsn_lost_its_leading_zero", rows_invalid=0,
                 expect=(Expect("bsn_left_padded", row=line, field="bsn"),))

    d = Draft(pool)
    d.filler(20)
    twice = d.person()
    d.row(twice, dossier="D-OUD")
    second = d.row(twice, start=dmy(twice.start + timedelta(days=30)),
                   toel=dmy(twice.toel + timedelta(days=30)), dossier="D-NIEUW")
    d.filler(20)
    yield d.case("duplicate_bsn_rows", rows_invalid=0,
                 expect=(Expect("duplicate_bsn", row=ANY_ROW),),
                 values=((twice.bsn, "dossiernummer", "D-NIEUW"),))
    assert second

    d = Draft(pool)
    nb = "\u00a0"
    for p in [d.person() for _ in range(FILLER)]:
        d.row(p, bsn=f"{nb}{p.bsn}{nb}", start=f"{nb}{dmy(p.start)} ", naam=f" {p.surname}{nb}")
    yield d.case("nbsp_and_spaces_around_values", rows_invalid=0, rows_total=FILLER)

    d = Draft(pool, header="  bsn ;ACHTERNAAM;geboorte datum;Start-datum traject;Datum_toelating;"
                           "Einddatum;Dossier nr.;Postcode")
    shapes = (dmy, lambda x: f"{x.day}-{x.month}-{x.year}", lambda x: x.strftime("%d/%m/%Y"),
              lambda x: x.strftime("%d.%m.%Y"), lambda x: x.isoformat(), lambda x: x.strftime("%Y%m%d"),
              lambda x: x.isoformat() + " 00:00:00")
    for i, p in enumerate([d.person() for _ in range(35)]):
        shape = shapes[i % len(shapes)]
        d.row(p, start=shape(p.start), toel=shape(p.toel), geb=shape(p.birth))
    yield d.case("header_variants_and_every_date_shape", rows_invalid=0, rows_total=35)

    d = Draft(pool)
    for p in [d.person(surname=s) for s in ("Yılmaz", "Ελληνικά", "Şahin", "Nguyễn", "Øster 🙂") * 8]:
        d.row(p)
    yield d.case("non_latin_names_and_emoji", rows_invalid=0,
                 surnames={"Yılmaz", "Ελληνικά", "Şahin", "Nguyễn", "Øster"})


def _hostile(pool: BsnPool) -> Iterator[Case]:
    d = Draft(pool)
    d.filler(5)
    data = d.encode() + b"x" * (2 * 1024 * 1024)
    yield d.case("a_2_mb_single_line", data, decision="rejected", reason="unreadable", max_rss_mb=120)

    yield Case("nul_filled", b"\x00" * 65_536, decision="rejected",
               reason=("unreadable", "empty_file", "not_csv"))

    d = Draft(pool)
    yield d.case("only_a_header", decision="rejected", reason="no_data_rows")
    yield d.case("only_a_header_with_bom", d.encode(bom=True), decision="rejected", reason="no_data_rows")
    yield Case("empty_file", b"", decision="rejected", reason="empty_file")

    rng = random.Random(20261128)
    yield Case("random_bytes", bytes(rng.randrange(256) for _ in range(32_768)), decision="rejected",
               reason=("unreadable", "not_csv", "missing_column"))

    extra = [f"Kolom{i:05d}" for i in range(20_000)]
    d = Draft(pool, header=";".join([*COLUMNS.values(), *extra]))
    for p in [d.person() for _ in range(FILLER)]:
        d.row(p, extra=[""] * len(extra))
    yield d.case("extremely_many_columns", rows_total=FILLER, rows_invalid=0, max_rss_mb=120,
                 expect=(Expect("column_ignored", row=None, count=1),))

    d = Draft(pool)
    d.filler(FILLER)
    long_one = d.person()
    line = d.row(long_one, keep=False, naam=long_one.surname * 40)
    yield d.case("value_longer_than_255", rows_invalid=1,
                 expect=(Expect("value_too_long", row=line),))

    d = Draft(pool)
    d.filler(FILLER)
    line = d.row(keep=False, extra=("geheim", "meer"))
    yield d.case("more_fields_than_the_header", rows_invalid=1,
                 expect=(Expect("column_count", row=line),))

    d = Draft(pool)
    for p in [d.person() for _ in range(12_000)]:
        d.row(p, postcode="12345")
    yield d.case("huge_number_of_issues", rows_total=12_000, rows_invalid=0, max_rss_mb=120,
                 expect=(Expect("issues_truncated"), Expect("postcode_format", row=2)))

    d = Draft(pool)
    for i, p in enumerate([d.person() for _ in range(FILLER)]):
        d.row(p, keep=False, bsn=invalid_checksum(p.bsn) if i % 2 else p.bsn)
    yield d.case("too_many_invalid_rows", decision="rejected", reason="too_many_invalid",
                 expect=(Expect("bsn_checksum", row=3, field="bsn"),))

    d = Draft(pool, header="BSN;Burgerservicenummer;Startdatum")
    for p in [d.person() for _ in range(10)]:
        d.note(p)
        d.raw(f"{p.bsn};{p.bsn};{dmy(p.start)}")
    yield d.case("two_bsn_columns", decision="rejected", reason="duplicate_column")

    d = Draft(pool, header="Klantnummer;Achternaam;Startdatum")
    for p in [d.person() for _ in range(10)]:
        d.note(p)
        d.raw(f"{p.bsn};{p.surname};{dmy(p.start)}")
    yield d.case("no_bsn_column", decision="rejected", reason="missing_column",
                 expect=(Expect("missing_column", field="bsn"),))


# -- scanners: the properties the tests assert --------------------------------------------------------
_DIGIT_RUN = re.compile(r"\d+(?:[\W_]{1,2}\d+)*")  # any one or two separators between groups
_GROUP = re.compile(r"\d+")
# (Six plain digits are not read as a date here: dossier sequence numbers would match.)
_DATE_TEXT = re.compile(r"(?<!\d)(\d{1,4})([-/._ ])(\d{1,2})\2(\d{1,4})(?!\d)|(?<!\d)(\d{8})(?!\d)")


def ascii_digits(text: str) -> str:
    """Digits of any script as ASCII (a BSN in Arabic-Indic digits is still that BSN)."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdigit() and unicodedata.decimal(c, None) is not None
                   else c for c in text)


def _numbers(text: str) -> Iterator[str]:
    """Every number written as one or more digit groups joined by one separator, as the digits of
    each contiguous run of groups (``1234.56.782`` gives ``123456782`` among others)."""
    for run in _DIGIT_RUN.finditer(text):
        groups = _GROUP.findall(run.group())
        for i in range(len(groups)):
            digits = ""
            for group in groups[i:]:
                digits += group
                if len(digits) > 9:
                    break
                yield digits


def _dates(text: str) -> Iterator[date]:
    for m in _DATE_TEXT.finditer(text):
        if m.group(5):
            d = m.group(5)
            readings = [(d[:4], d[4:6], d[6:]), (d[4:], d[2:4], d[:2])]
        else:
            a, _, b, c = m.group(1, 2, 3, 4)
            readings = [(a, b, c), (c, b, a)]
        readings += [(c + y, mo, dd) for y, mo, dd in readings if len(y) == 2 for c in ("19", "20")]
        for y, mo, dd in readings:
            if len(y) == 4:
                with contextlib.suppress(ValueError):
                    yield date(int(y), int(mo), int(dd))


def input_bsns(data: bytes) -> set[str]:
    """Numbers in the input that are valid BSNs in any common writing, whatever the encoding."""
    try:
        texts = [data.decode("utf-8")]
    except UnicodeDecodeError:
        texts = [data.decode("cp1252", errors="ignore")]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        texts += [data.decode("utf-16-le", errors="ignore"), data[1:].decode("utf-16-le", errors="ignore")]
    return {n for text in texts for n in _numbers(ascii_digits(text)) if passes_11_proef(n)}


_SECRETS: dict[tuple[str, int], tuple[set[str], set[str], set[date]]] = {}


def secrets_of(case: Case) -> tuple[set[str], set[str], set[date]]:
    """What may never leave the snapshot: BSNs (and their 8-digit form when the leading zero is
    dropped), lower-cased surname words, birth dates. Computed once per case."""
    key = (case.name, id(case))
    if key not in _SECRETS:
        _SECRETS[key] = _secrets_of(case)
    return _SECRETS[key]


def _secrets_of(case: Case) -> tuple[set[str], set[str], set[date]]:
    bsns = set(case.bsns) | input_bsns(case.data) | input_bsns(case.blob_name.encode())
    numbers = bsns | {b[1:] for b in bsns if b.startswith("0")}
    words = {w.lower() for s in case.surnames for w in re.findall(r"[^\W\d_]+", s) if len(w) >= 4}
    return numbers, words, set(case.birth_dates)


def leaks(case: Case, text: str) -> list[str]:
    """Personal data of ``case``'s input found in ``text`` (an output, a report, a log)."""
    numbers, words, births = secrets_of(case)
    found = []
    plain = ascii_digits(text)
    found += sorted({f"bsn *****{n[-4:]}" for n in _numbers(plain) if n in numbers})
    lowered = text.lower()
    found += sorted(f"surname {w}" for w in words if w in lowered)
    found += sorted({f"birth date {d}" for d in _dates(plain) if d in births})
    return found


def is_control(c: str) -> bool:
    """C0, DEL, C1 (so also ESC), format characters (zero-width, bidi, soft hyphen, BOM) and the
    Unicode line and paragraph separators."""
    return unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")


def control_characters(text: str, allowed: str = "") -> list[str]:
    stripped = text
    for c in allowed:
        stripped = stripped.replace(c, "")
    if stripped.isprintable():  # no Cc, Cf, Zl or Zp (the common case, fast)
        return []
    return sorted({repr(c) for c in stripped if is_control(c)})


def non_ascii_digits(text: str) -> list[str]:
    return sorted({c for c in text if c.isdigit() and not c.isascii()})


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_cells(report: str) -> list[str]:
    """Cells of a report CSV a spreadsheet would run as a formula."""
    return [cell for row in csv.reader(io.StringIO(report, newline=""), delimiter=";")
            for cell in row if cell.lstrip(" ").startswith(FORMULA_STARTS)]


def report_cells(report: str) -> set[str]:
    return {cell for row in csv.reader(io.StringIO(report, newline=""), delimiter=";") for cell in row}


def _as_exports_come(pool: BsnPool) -> Iterator[Case]:
    # Issue 14: header names, dates and BSNs as real exports (and Excel) write them.
    columns = {"bsn": "BSN-nummer", "naam": "Achternaam", "geb": "Geboortedatum",
               "start": "Datum aanmelding", "toel": "Datum toelating", "eind": "Afsluitdatum",
               "dossier": "Dossiernummer", "postcode": "Postcode"}
    d = Draft(pool, columns=columns)
    people = d.filler(FILLER)
    closed = d.person()
    d.row(closed, eind=dmy(closed.start + timedelta(days=30)))
    yield d.case("headers_as_exports_name_them", rows_invalid=0,
                 absent_codes=("column_ignored", "einddatum_column_missing"),
                 values=((people[0].bsn, "startdatum", people[0].start.isoformat()),
                         (closed.bsn, "einddatum", (closed.start + timedelta(days=30)).isoformat())))

    d = Draft(pool, columns={**COLUMNS, "bsn": "Burgerservicenummer (BSN)",
                             "eind": "Datum einde traject"})
    d.filler(FILLER)
    midnight = d.person()
    d.row(midnight, start=dmy(midnight.start) + " 00:00", toel=dmy(midnight.toel) + " 00:00",
          geb=dmy(midnight.birth) + " 00:00")
    short_year = d.person()
    line = d.row(short_year, keep=False, start=short_year.start.strftime("%d-%m-%y"))
    excel_bsn = d.person()
    sci = d.row(excel_bsn, keep=False, bsn="1,23457E+08")
    yield d.case("excel_midnight_two_digit_year_and_scientific_bsn", rows_invalid=2,
                 values=((midnight.bsn, "startdatum", midnight.start.isoformat()),
                         (midnight.bsn, "toelatingsdatum", midnight.toel.isoformat()),
                         (midnight.bsn, "geboortedatum", midnight.birth.isoformat())),
                 expect=(Expect("date_year_two_digits", row=line, field="startdatum",
                                message_contains="vier cijfers", count=1),
                         Expect("bsn_scientific_notation", row=sci, field="bsn",
                                message_contains="Excel", count=1)),
                 absent_codes=("date_format", "bsn_format"))

    d = Draft(pool, columns={k: v for k, v in COLUMNS.items() if k != "eind"})
    d.filler(FILLER)
    yield d.case("no_end_date_column", rows_invalid=0,
                 expect=(Expect("einddatum_column_missing", row=None, field="einddatum",
                                message_contains="Einde traject", count=1),))
