"""Each intake rule for hostile and messy exports, proved at its cause (reader and validation).

The corpus in ``tests/corpus.py`` runs whole files through ``vish validate`` and the intake;
these tests pin the rules one by one, with the files built to hit each edge.
"""

from __future__ import annotations

import gzip
import io
import itertools
import zipfile

import pytest

from shared.domain.issues import CODES, Code, Severity
from shared.domain.validation import Rules, merge
from shared.domain.validation.people import BsnSet, PeopleSeen
from tests.helpers import TODAY, bsns, csv_bytes, run

B = bsns(6000, seed=11)
HEADER = "BSN;Startdatum traject;Datum toelating;Achternaam;Dossiernummer"
LENIENT = Rules(invalid_threshold=1.0)
NO_END_COLUMN = Code.EINDDATUM_COLUMN_MISSING  # HEADER has no Einddatum: one warning per file


def rows(n: int, offset: int = 0) -> list[str]:
    return [f"{B[offset + i]};01-02-2025;01-02-2025;Naam{i};D{i}" for i in range(n)]


def people(records) -> set[str]:
    return {r[0] for r in records}


def errors_by_line(result) -> dict[int, list[Code]]:
    found: dict[int, list[Code]] = {}
    for issue in result.issues:
        if issue.row and issue.severity is Severity.ERROR:
            found.setdefault(issue.row, []).append(issue.code)
    return found


# -- quotes: a person is never silently lost ------------------------------------------------------
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize(("opened", "closed"), [(3, 33), (0, 1), (10, None), (39, None), (5, 6)])
def test_a_stray_opening_quote_is_reported_on_its_line_and_nobody_after_it_is_lost(newline, opened,
                                                                                   closed):
    lines = rows(40)
    lines[opened] = lines[opened].replace(";Naam", ';"t Hart')
    if closed is not None:
        lines[closed] = lines[closed].replace(";Naam", ';van "Dam')  # a stray closing quote
    data = csv_bytes(*lines, header=HEADER, newline=newline)
    result, records = run(data, snapshot=True, rules=LENIENT)
    line = opened + 2  # the header is line 1
    assert errors_by_line(result) == {line: [Code.QUOTE_SWALLOWS_ROWS]}
    assert (result.total, result.valid) == (40, 39)
    assert people(records) == set(B[:40]) - {B[opened]}


@pytest.mark.parametrize("shape", ["two_in_a_row", "then_a_real_multiline", "then_empty_quotes",
                                   "short_rows_then_quoted_word"])
def test_stray_quotes_next_to_other_quotes_lose_nobody(shape):
    lines = rows(12)
    lines[3] = lines[3].replace(";Naam", ';"t Hart')
    expected_errors = {5: [Code.QUOTE_SWALLOWS_ROWS]}
    if shape == "two_in_a_row":
        lines[4] = lines[4].replace(";Naam", ';"t Hart')
        expected_errors[6] = [Code.QUOTE_SWALLOWS_ROWS]
    elif shape == "then_a_real_multiline":
        lines[4] = lines[4].replace(";Naam4", ';"Zwart\nkop"')
    elif shape == "then_empty_quotes":
        lines[4] = lines[4].replace(";Naam4", ';""')
    else:  # an export that drops trailing empty fields, and a name with quotes at its end
        lines = [line.rsplit(";", 1)[0] for line in lines]
        lines[5] = lines[5].replace("Naam5", 'Piet "de Boer"')
    data = csv_bytes(*lines, header=HEADER, newline="\n")
    result, records = run(data, snapshot=True, rules=LENIENT)
    assert errors_by_line(result) == expected_errors
    lost = {B[line - 2] for line in expected_errors}
    assert people(records) == set(B[:12]) - lost
    assert result.total == 12


def _split_first_record(*lines: str, bsn_cell=None) -> list[str]:
    from shared.domain.reader import ExtractReader

    reader = ExtractReader([("a;b;c;d;e\n" + "".join(lines)).encode()])
    reader.open()
    reader.bsn_cell = bsn_cell
    reader.line_num = 2
    first = reader.lines.readline()
    return reader.split(first, iter(()))


@pytest.mark.parametrize(("following", "signal"), [
    (["x;x;x;x;x\n", 'eind";z\n'], "a line with the header's count of delimiters"),
    (['B;"Zwart;y\n'], "a closing quote with more text behind it"),
    ([f"{B[1]};01-02-2025\n", 'eind";z\n'], "a line that starts with a BSN"),
    (["kort\n", "kort\n"], "the end of the file"),
])
def test_each_signal_of_a_stray_quote_on_its_own(following, signal):
    from shared.domain.reader import QuoteSwallowsRows

    bsn_first = lambda cells: cells[0] if cells[0].isdigit() and len(cells[0]) == 9 else ""  # noqa: E731
    with pytest.raises(QuoteSwallowsRows) as raised:
        _split_first_record('A;"t Hart;x\n', *following, bsn_cell=bsn_first)
    assert raised.value.opened_at == 2 and raised.value.pushback[0] == following[0], signal


def test_a_well_formed_multiline_field_is_one_record():
    assert _split_first_record('A;"Straat 1\n', "2e verdieping; achter\n", 'x";y;z\n') == [
        "A", "Straat 1\n2e verdieping; achter\nx", "y", "z"]


def test_a_quote_inside_an_unquoted_field_is_a_literal_character():
    lines = rows(5)
    lines[1] = lines[1].replace("Naam1", 'O"Neill')
    lines[2] = lines[2].replace("D2", 'kast 12"')
    lines[3] = lines[3].replace("Naam3", 'a"b"c')
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True)
    assert result.accepted and [i.code for i in result.issues] == [NO_END_COLUMN]
    names = {r[0]: (r[3], r[12]) for r in records}
    assert names[B[1]][0] == 'O"Neill' and names[B[2]][1] == 'kast 12"'
    assert names[B[3]][0] == 'a"b"c'


def test_a_quoted_field_may_span_lines_and_line_numbers_stay_right():
    lines = rows(6)
    lines[1] = f'{B[1]};01-02-2025;01-02-2025;"Straat 1\n2e verdieping; achter";D1'
    lines[4] = f"{B[4]};01-02-2025;01-02-2025;Naam;D4;extra"  # an error, to see its line number
    result, records = run(csv_bytes(*lines, header=HEADER, newline="\n"), snapshot=True,
                          rules=LENIENT)
    assert errors_by_line(result) == {7: [Code.COLUMN_COUNT]}
    assert {r[0]: r[3] for r in records}[B[1]] == "Straat 1 2e verdieping; achter"


def test_a_quote_that_never_closes_within_the_field_limit_gives_back_every_line():
    # Continuation lines that are no complete record (one field each) until the limit: all of
    # them are read again as rows of their own, so they are counted and reported.
    lines = [rows(1)[0].replace(";Naam", ';"open'), *(["x" * 200] * 400), *rows(3, offset=1)]
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True, rules=LENIENT)
    assert errors_by_line(result)[2] == [Code.QUOTE_SWALLOWS_ROWS]
    assert result.total == 404 and result.valid == 3
    assert people(records) == set(B[1:4])


def test_stray_quotes_anywhere_in_a_large_file_lose_nobody():
    n = 5000
    lines = rows(n)
    stray = set(range(7, n, 97))
    for i in stray:
        lines[i] = lines[i].replace(";Naam", ';"Naam')
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True, rules=LENIENT,
                          tiny_chunks=True)
    assert set(errors_by_line(result)) == {i + 2 for i in stray}
    assert result.total == n and result.valid == n - len(stray)
    assert people(records) == {B[i] for i in range(n)} - {B[i] for i in stray}


def test_the_person_on_a_quote_line_is_carried_over_not_removed():
    current_run, current = run(csv_bytes(*rows(20), header=HEADER), snapshot=True)
    assert current_run.accepted
    lines = rows(20)
    lines[4] = lines[4].replace(";Naam", ';"t Hart')
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True, current=current,
                          rules=LENIENT)
    assert result.accepted and result.removed == 0 and result.carried_over == 1
    assert people(records) == set(B[:20])


def test_swallowed_lines_count_for_the_invalid_share():
    lines = rows(10)
    lines[2] = f'{B[2]};"01-02-2025;01-02-2025;Naam;D2'  # a quote that opens and never closes
    result, _ = run(csv_bytes(*lines, header=HEADER), rules=Rules(invalid_min_rows=1))
    assert result.total == 10 and result.invalid == 1
    assert result.reason is Code.TOO_MANY_INVALID  # 10 % > the default 5 %


# -- line endings and encodings ---------------------------------------------------------------------
@pytest.mark.parametrize("n", [50, 40_000])  # 40k rows: over the 1 MiB line bound
def test_cr_only_files_are_read_at_any_size(n):
    many = bsns(n, seed=5)
    data = ("\r".join([HEADER, *(f"{b};01-02-2025;;Naam;D" for b in many)]) + "\r").encode()
    assert b"\n" not in data and len(data) > (1 << 20 if n > 50 else 0)
    result, records = run(data, snapshot=True)
    assert result.accepted and result.total == n and people(records) == set(many)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_unicode_text_as_excel_saves_it_is_decoded(encoding):
    text = "\t".join(HEADER.split(";")) + "\r\n" + "".join(
        f"{b}\t01-02-2025\t01-02-2025\tMüller\u00e9\tD{i}\r\n" for i, b in enumerate(B[:30]))
    result, records = run(text.encode(encoding), snapshot=True, tiny_chunks=True)
    assert result.accepted and result.total == 30 and result.delimiter == "\t"
    assert {r[3] for r in records} == {"Mülleré"}


def test_broken_utf16_is_a_clean_rejection():
    data = "BSN\tStartdatum\r\n".encode("utf-16") + b"\x00\xd8" * 3  # a lone surrogate
    result, _ = run(data)
    assert result.reason in (Code.UNREADABLE, Code.NO_DATA_ROWS)


def _zip(*names: str, first: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, first or b"x")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "words"), [
    (_zip("mimetype", first=b"application/vnd.oasis.opendocument.spreadsheet"), ".ods"),
    (_zip("[Content_Types].xml", "word/document.xml"), "Word-document"),
    (_zip("extract.csv"), "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel-bestand in het oude formaat"),
    (gzip.compress(csv_bytes(*rows(5), header=HEADER)), "gzip"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 4, "PDF"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "afbeelding"),
    (b"<!DOCTYPE html><html><table><tr><td>BSN</td></tr></table></html>", "webpagina"),
    (b"{\\rtf1\\ansi BSN;Startdatum}", "RTF"),
    (bytes(range(32)) * 3000, "binaire gegevens"),
])
def test_a_file_that_is_no_csv_is_named_with_what_to_do(data, words):
    result, _ = run(data, tiny_chunks=True)
    assert result.reason is Code.NOT_CSV
    message = result.issues[-1].message
    assert message.startswith(CODES[Code.NOT_CSV].message) and words in message
    assert result.bytes_read <= max(len(data), 70_000) and result.bytes_read < 70_000


# -- bounded work -----------------------------------------------------------------------------------
class Endless:
    """An input that never ends; counts what was pulled from it."""

    def __init__(self, chunk: bytes, head: bytes = b"") -> None:
        self.chunk, self.head, self.pulled = chunk, head, 0

    def __iter__(self):
        if self.head:
            self.pulled += len(self.head)
            yield self.head
        while True:
            self.pulled += len(self.chunk)
            yield self.chunk


@pytest.mark.parametrize(("source", "reason"), [
    (Endless(bytes(1 << 16)), Code.NOT_CSV),  # /dev/zero
    (Endless(b"a" * (1 << 16)), Code.UNREADABLE),  # one endless line
    (Endless(b"x;y\n" * 4096, head=b"Naam;Adres\n"), Code.MISSING_COLUMN),
    (Endless(f"{B[0]};01-02-2025\n".encode() * 2000, head=b"BSN;Startdatum\n"), Code.TOO_LARGE),
])
def test_endless_input_stops_at_the_first_fatal_error(source, reason):
    from shared.domain.validation import validate_extract

    result = validate_extract(source, today=TODAY, max_bytes=8 << 20)
    assert result.reason is reason
    assert source.pulled <= (8 << 20) + (1 << 17)  # never past the cap and one chunk
    if reason in (Code.NOT_CSV, Code.MISSING_COLUMN):
        assert source.pulled < 1 << 20  # decided on the first bytes, nothing read after


def test_too_large_is_its_own_reason():
    result, _ = run(csv_bytes(*rows(100), header=HEADER), max_bytes=1000)
    assert result.reason is Code.TOO_LARGE and "1000 bytes" in result.issues[-1].message


# -- control characters, other scripts' digits, open-end dates -------------------------------------
def test_control_characters_are_removed_with_a_warning_per_field():
    lines = rows(3)
    lines[0] = f"{B[0]};01-02-2025;01-02-2025;Ja\x00n\x1b[2J\x1b[31mssen\x7f;SHV-\x00nul3\u200b"
    lines[1] = f"{B[1]}\x00;01-02-2025;01-02-2025;X\x9b\x1b]2titel\x07Y;D\u202e1"
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True)
    assert result.accepted and result.valid == 3
    warned = sorted((i.row, i.field) for i in result.issues if i.code is Code.CONTROL_CHARACTERS)
    assert warned == [(2, "achternaam"), (2, "dossiernummer"), (3, "achternaam"), (3, "bsn"),
                      (3, "dossiernummer")]
    by_bsn = {r[0]: r for r in records}
    assert (by_bsn[B[0]][3], by_bsn[B[0]][12]) == ("Janssen", "SHV-nul3")
    assert (by_bsn[B[1]][3], by_bsn[B[1]][12]) == ("XY", "D1")
    assert all(value.isprintable() for r in records for value in r)


def test_digits_of_other_scripts_become_ascii_in_free_text_and_fail_elsewhere():
    arabic = B[1].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    header = HEADER + ";Huisnummer"
    lines = [f"{B[0]};01-02-2025;01-02-2025;Naam;ZK-١٢٣／１２;٣",
             f"{arabic};01-02-2025;01-02-2025;Naam;D2;1",
             f"{B[2]};٠١-٠٢-٢٠٢٥;01-02-2025;Naam;D3;1"]
    result, records = run(csv_bytes(*lines, header=header), snapshot=True, rules=LENIENT)
    found = {(i.row, i.code, i.field) for i in result.issues}
    assert (2, Code.NON_ASCII_DIGITS, "dossiernummer") in found
    assert (2, Code.HUISNUMMER_FORMAT, "huisnummer") in found
    assert (3, Code.BSN_FORMAT, "bsn") in found and (4, Code.DATE_FORMAT, "startdatum") in found
    assert [r[12] for r in records] == ["ZK-123／12"]
    assert all(c.isascii() for r in records for c in r[12] if c.isdigit())


@pytest.mark.parametrize("value", ["31-12-9999", "9999-12-31", "31/12/9999", "99991231",
                                   "9999-12-31 00:00:00", "01-01-9999"])
def test_an_end_date_in_9999_means_no_end_date_reported_once(value):
    header = HEADER + ";Einddatum"
    lines = [f"{b};01-02-2025;01-02-2025;Naam;D;{value}" for b in B[:30]]
    result, records = run(csv_bytes(*lines, header=header), snapshot=True)
    assert result.accepted and result.ineligible == 0
    notes = [i for i in result.issues if i.code is Code.OPEN_END_DATE]
    assert len(result.issues) == 1 and len(notes) == 1 and notes[0].row is None
    assert "30" in notes[0].message and {r[11] for r in records} == {""}


def test_a_start_date_in_9999_is_still_in_the_future():
    result, _ = run(csv_bytes(f"{B[0]};31-12-9999;01-02-2025;Naam;D", header=HEADER), rules=LENIENT)
    assert errors_by_line(result) == {2: [Code.DATE_IN_FUTURE]}


# -- personal data in what people read --------------------------------------------------------------
@pytest.mark.parametrize("layout", ["{}", "{0}{1}{2}{3}.{4}{5}.{6}{7}{8}", "{0}{1}{2}-{3}{4}{5}-{6}{7}{8}"])
def test_a_bsn_used_as_dossiernummer_is_shown_masked(layout):
    bsn = B[7]
    dossier = layout.format(*bsn) if "{0}" in layout else layout.format(bsn)
    result, records = run(csv_bytes(f"{bsn};01-02-2025;01-02-2025;Naam;{dossier}",
                                    f"{B[8]};99-99-2025;01-02-2025;Naam;{dossier}",
                                    header=HEADER), snapshot=True, rules=LENIENT)
    shown = {i.dossiernummer for i in result.issues if i.row is not None}
    assert shown == {"*****" + bsn[-4:]}
    assert records[0][12] == dossier  # the snapshot keeps the value itself


def test_header_cells_that_look_like_data_are_counted_not_echoed():
    header = f"BSN;Startdatum;{B[9]};{B[9][:4]}.{B[9][4:6]}.{B[9][6:]};01-02-1980;jan@x.nl;Geboorteplaats"
    result, _ = run(csv_bytes(f"{B[0]};01-02-2025;;;;;", header=header))
    text = " ".join(i.message for i in result.issues)
    assert "Geboorteplaats" in text and "4 kolom(men)" in text
    assert B[9][-4:] not in text and "1980" not in text and "jan@" not in text


def test_a_file_without_header_row_never_echoes_its_first_row():
    first = f"Jansen;{B[3][:4]}.{B[3][4:6]}.{B[3][6:]};1-2-1980;Piet"
    result, _ = run(f"{first}\nBakker;{B[4]};3-4-1975;Kees\n".encode())
    assert result.reason is Code.MISSING_COLUMN
    text = " ".join(i.message for i in result.issues)
    assert "gegevens" in text and "Jansen" not in text and "1980" not in text
    assert B[3][-4:] not in text


# -- per-person state ------------------------------------------------------------------------------
def test_a_bsn_set_holds_valid_bsns_in_a_fixed_bitmap():
    members = BsnSet()
    assert int(B[0]) not in members and len(members) == 0  # nothing allocated yet
    assert members.add(int(B[0])) and not members.add(int(B[0]))
    assert int(B[0]) in members and int(B[1]) not in members and len(members) == 1
    assert len(members.bits) == 10**8 // 8 + 1


def test_people_seen_counts_each_person_once_and_knows_who_is_merged():
    seen = PeopleSeen()
    a, b, c, d = (int(x) for x in B[:4])
    assert seen.add_own(a)
    seen.add_partner(b)  # b only as a partner
    seen.add_partner(a)  # a's own row and a partner record
    assert not seen.add_own(a)  # a second own row
    seen.add_partner(c)
    seen.add_partner(c)  # c named twice as partner
    assert seen.add_own(d)
    assert seen.people == 4 and len(seen.merged) == 2
    assert a in seen and b in seen and c in seen and d in seen
    assert seen.add_own(b) and seen.people == 4 and len(seen.merged) == 3
    assert seen.own.discard(d) and not seen.own.discard(d) and d not in seen.own


def test_the_merge_gives_the_same_snapshot_however_many_passes_it_takes(monkeypatch):
    header = "BSN;BSN partner;Startdatum;Datum toelating;Achternaam;Dossiernummer"
    lines = []
    for i, (own, partner) in enumerate(itertools.islice(itertools.pairwise(B[100:]), 0, 1200, 2)):
        lines.append(f"{own};{partner if i % 3 else ''};0{1 + i % 9}-02-2025;01-02-2025;N{i};A{i}")
        lines.append(f"{own};;0{1 + (i * 7) % 9}-03-2024;01-02-2025;M{i};B{i}")  # duplicate
        if i % 5 == 0:
            lines.append(f"{partner};;01-01-2025;01-02-2025;P{i};C{i}")  # the partner's own row
    data = csv_bytes(*lines, header=header)
    _, once = run(data, snapshot=True, rules=LENIENT)
    monkeypatch.setattr(merge, "MAX_MERGED_PER_PASS", 1)
    _, many = run(data, snapshot=True, rules=LENIENT)
    assert once == many and len({r[0] for r in once}) == len(once)


# -- found by a hostile review: each at its cause ----------------------------------------------------
@pytest.mark.parametrize("hidden", ["\u200b", "\ufeff", "\x00", "\xad", "\xa0"])
def test_a_bsn_behind_an_invisible_character_still_starts_a_record(hidden):
    header = "BSN;Naam;Startdatum;Datum toelating;Einddatum;Dossiernummer"
    data = (f'{header}\n{B[0]};"t Hart;01-01-2025;01-01-2025\n'
            f'{hidden}{B[1]};Smit";01-01-2025;01-01-2025\n{B[2]};Jansen;01-01-2025;01-01-2025;;\n')
    result, records = run(data.encode(), snapshot=True, rules=LENIENT)
    assert B[1] in people(records) or 3 in errors_by_line(result)
    assert errors_by_line(result).get(2) == [Code.QUOTE_SWALLOWS_ROWS]


def test_quotes_that_reopen_on_every_line_cost_linear_work(monkeypatch):
    from shared.domain.reader import ExtractReader

    scanned = []
    original = ExtractReader._continuation
    monkeypatch.setattr(ExtractReader, "_continuation",
                        lambda self, text: scanned.append(1) or original(self, text))
    work = {}
    for n in (2_000, 8_000):
        scanned.clear()
        data = ("BSN;Naam;Startdatum;Datum toelating;Einddatum\n"
                f"{B[0]};x;01-01-2025;01-01-2025;\n" + 'a";"b\n' * n).encode()
        result, _ = run(data, rules=LENIENT)
        assert result.total == n + 1
        work[n] = len(scanned)
    assert work[8_000] <= 20 * 8_000 and work[8_000] < 5 * work[2_000]  # linear, not quadratic


def test_a_line_with_a_huge_number_of_fields_is_one_row_error_in_bounded_memory():
    import tracemalloc

    header = "BSN;Startdatum;Datum toelating"
    wide = B[1] + ";ab" * 300_000
    data = csv_bytes(f"{B[0]};01-02-2025;01-02-2025", wide, f"{B[2]};01-02-2025;01-02-2025",
                     header=header)
    tracemalloc.start()
    try:
        result, records = run(data, snapshot=True, rules=LENIENT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert set(errors_by_line(result)) == {3} and Code.COLUMN_COUNT in errors_by_line(result)[3]
    assert "300001 velden" in next(i.message for i in result.issues if i.code is Code.COLUMN_COUNT)
    assert people(records) == {B[0], B[2]}
    # Three BSN bitmaps (own rows, eligible rows, invalid rows: 12.5 MB each, fixed) and the
    # text; no list of 300,000 strings (~20 MB each time the line is split).
    assert peak < 3 * 12_500_001 + 3 * len(data) + (4 << 20), peak


def test_trailing_empty_fields_beyond_the_cap_are_still_no_error():
    line = f"{B[0]};01-02-2025;01-02-2025" + ";" * 5_000
    result, _ = run(csv_bytes(line, header="BSN;Startdatum;Datum toelating"))
    assert result.accepted and not errors_by_line(result)


def test_utf16_lines_are_bounded_as_text_not_as_bytes():
    text = "BSN;Startdatum\r\n" + B[0] + ";" + "\u0a0a" * 700_000  # a newline byte in each unit
    source = [text.encode("utf-16")[i:i + 65536] for i in range(0, len(text) * 2 + 2, 65536)]
    result, _ = run(b"".join(source), tiny_chunks=False)
    assert result.reason is Code.UNREADABLE and "langer dan" in result.issues[-1].message


def test_utf16_without_a_bom_is_read_even_with_letters_that_hold_a_zero_byte():
    text = f"BSN;Achternaam;Startdatum\r\n{B[0]};JansĀn;01-01-2025\r\n{B[1]};Ő\u3000x;01-01-2025\r\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        result, records = run(text.encode(encoding), snapshot=True)
        assert result.accepted and {r[3] for r in records} == {"JansĀn", "Ő\u3000x"}, encoding


def test_a_duplicate_column_name_is_shown_masked_printable_and_bounded():
    arabic = B[3].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    header = "BSN;Startdatum;" + ";".join([f"BSN\x9b\u202e {arabic}"] * 40)
    result, _ = run(csv_bytes(f"{B[0]};01-02-2025", header=header))
    detail = next(i.message for i in result.issues if i.code is Code.DUPLICATE_COLUMN)
    assert result.reason is Code.DUPLICATE_COLUMN and detail.isprintable()
    assert "*****" + B[3][-4:] in detail and arabic not in detail and len(detail) < 600


def test_carried_records_follow_todays_rules_and_come_once():
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    _, current = run(csv_bytes(*rows(10), header=HEADER), snapshot=True)
    damaged = list(current[0])
    damaged[SNAPSHOT_FIELDS.index("achternaam")] = "Jan\x1b[2Jsen\u202e١"
    damaged[SNAPSHOT_FIELDS.index("einddatum")] = "9999-12-31"
    lines = rows(10)
    lines[0] = lines[0].replace("01-02-2025;01-02-2025", "99-99-2025;01-02-2025")
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True, rules=LENIENT,
                          current=[damaged, *current[1:], damaged])
    # The person twice in the damaged snapshot is carried once; the copy counts as removed.
    assert result.carried_over == 1 and result.people == 10
    assert (result.current_people, result.removed) == (11, 1)
    carried = [r for r in records if r[0] == B[0]]
    assert len(carried) == 1
    assert carried[0][3] == "Jansen1" and carried[0][SNAPSHOT_FIELDS.index("einddatum")] == ""


@pytest.mark.parametrize("email", ["١٢@x.nl", "a²@x.nl", "a@x１.nl"])
def test_an_email_with_other_digits_is_left_out(email):
    header = HEADER + ";E-mail"
    result, records = run(csv_bytes(f"{B[0]};01-02-2025;01-02-2025;Naam;D;{email}",
                                    header=header), snapshot=True)
    assert result.accepted and records[0][15] == ""
    assert [i.code for i in result.issues] == [NO_END_COLUMN, Code.EMAIL_FORMAT]


def test_other_digits_of_every_kind_become_0_to_9_in_free_text():
    result, records = run(csv_bytes(f"{B[0]};01-02-2025;01-02-2025;Naam;D²①١２",
                                    header=HEADER), snapshot=True)
    assert records[0][12] == "D2112"
    assert [i.code for i in result.issues] == [NO_END_COLUMN, Code.NON_ASCII_DIGITS]


def test_a_quoted_field_over_the_csv_limit_is_a_row_error_not_an_unreadable_file():
    lines = rows(3)
    lines[1] = f'{B[1]};01-02-2025;01-02-2025;"{"x" * 70_000}";D1'
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True, rules=LENIENT)
    assert result.accepted and errors_by_line(result) == {3: [Code.VALUE_TOO_LONG]}
    assert people(records) == {B[0], B[2]}


def test_the_person_on_a_quote_line_is_carried_even_behind_an_invisible_character():
    _, current = run(csv_bytes(*rows(20), header=HEADER), snapshot=True)
    lines = rows(20)
    lines[4] = "\u200b" + lines[4].replace(";Naam", ';"t Hart')
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True, current=current,
                          rules=LENIENT)
    assert result.carried_over == 1 and result.removed == 0
    assert people(records) == set(B[:20])


# -- found by a second hostile review ----------------------------------------------------------------
def test_a_lone_quote_before_a_real_multiline_field_loses_nobody():
    header = "Dossiernummer;Naam;BSN;Startdatum"
    data = (f'{header}\nD1;";{B[0]};01-01-2026\nD2;"\nStraat 1";{B[1]};01-01-2026\n'
            f"D3;Jansen;{B[2]};01-01-2026\n").encode()
    _, current = run(csv_bytes(*(f"{b};01-01-2025;01-01-2025;N;D" for b in B[:3]), header=HEADER),
                     snapshot=True)
    result, records = run(data, snapshot=True, rules=LENIENT, current=current)
    assert errors_by_line(result) == {2: [Code.QUOTE_SWALLOWS_ROWS]}
    assert result.accepted and result.removed == 0 and people(records) == set(B[:3])


def test_a_closing_quote_with_text_behind_it_on_one_line_is_a_quote_problem_not_a_lost_bsn():
    header = "Achternaam;BSN;Startdatum;Dossiernummer"
    lines = [f"Naam;{b};01-01-2026;D{i}" for i, b in enumerate(B[:10])]
    for i in (2, 5, 8):
        lines[i] = f'"t Hart;{B[i]};01-01-2026;D"{i}'
    _, current = run(csv_bytes(*(f"{b};01-01-2025;01-01-2025;N;D" for b in B[:10]), header=HEADER),
                     snapshot=True)
    result, records = run(csv_bytes(*lines, header=header), snapshot=True, current=current,
                          rules=Rules(invalid_threshold=0.5))
    assert errors_by_line(result) == {4: [Code.QUOTE_SWALLOWS_ROWS], 7: [Code.QUOTE_SWALLOWS_ROWS],
                                      10: [Code.QUOTE_SWALLOWS_ROWS]}
    assert result.carried_over == 3 and result.removed == 0 and people(records) == set(B[:10])
    assert [i.dossiernummer for i in result.issues if i.code is Code.QUOTE_SWALLOWS_ROWS] == [
        'D"2', 'D"5', 'D"8']


def test_a_quote_line_is_read_where_its_quoted_fields_put_the_bsn_and_dossier():
    header = "Voorletters;Geboortedatum;Dossiernummer;BSN;Startdatum;Achternaam"
    data = csv_bytes(f'"P.;J.";01-02-1980;D1;{B[0]};01-01-2026;"t Hart',
                     f"J.;01-02-1981;D2;{B[1]};01-01-2026;Smit", header=header)
    _, current = run(csv_bytes(*(f"{b};01-01-2025;01-01-2025;N;D" for b in B[:2]), header=HEADER),
                     snapshot=True)
    result, records = run(data, snapshot=True, rules=LENIENT, current=current)
    quote = next(i for i in result.issues if i.code is Code.QUOTE_SWALLOWS_ROWS)
    assert (quote.row, quote.dossiernummer) == (2, "D1")
    assert result.carried_over == 1 and people(records) == set(B[:2])


def test_an_export_that_quotes_every_field_reads_as_csv_reads_it():
    from shared.domain.validation import fast_path

    lines = ['"' + '";"'.join(row.split(";")) + '"' for row in rows(30)]
    lines[3] = lines[3].replace("Naam3", "Naam;met;puntkomma")  # a delimiter inside a field
    lines[4] = lines[4].replace("Naam4", 'Naam""4')  # a doubled quote: csv reads one
    lines[5] = lines[5].replace(f'"{B[5]}"', f'" {B[5]}"')  # a space inside the quotes
    data = csv_bytes(*lines, header=HEADER)
    fast, fast_records = run(data, snapshot=True)
    fast_path.FAST_PATH = False
    try:
        slow, slow_records = run(data, snapshot=True)
    finally:
        fast_path.FAST_PATH = True
    assert fast.accepted and fast.to_contract() == slow.to_contract()
    assert fast_records == slow_records and people(fast_records) == set(B[:30])
    names = {r[0]: r[3] for r in fast_records}
    assert (names[B[3]], names[B[4]], names[B[0]]) == ("Naam;met;puntkomma", 'Naam"4', "Naam0")
