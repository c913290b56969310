import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain.issues import Code
from shared.domain.reader import (
    ExtractReader,
    QuoteSwallowsRows,
    UnreadableExtract,
    detect_delimiter,
)
from shared.domain.validation import Rules, validate_extract
from tests.helpers import TODAY, bsns, codes, csv_bytes, run

VALID = bsns(3)


def test_utf8_with_bom_is_read_and_reported():
    data = b"\xef\xbb\xbf" + csv_bytes(f"{VALID[0]};01-02-2024;01-02-2024;;D1")
    result, _ = run(data)
    assert result.accepted and result.encoding == "utf-8-sig"
    assert result.total == 1


def test_an_ordinary_windows_1252_export_is_read_and_noted_without_a_warning():
    header = "BSN;Startdatum;Datum toelating;Achternaam;Tussenvoegsel;Einddatum"
    data = csv_bytes(f"{VALID[0]};01-02-2024;01-02-2024;Müller;;", f"{VALID[1]};01-02-2024;;Cöl;van;",
                     header=header, encoding="cp1252")
    result, records = run(data, snapshot=True)
    assert result.encoding == "windows-1252" and result.summary()["encoding"] == "windows-1252"
    assert codes(result) == []  # Excel's plain CSV on Windows: nothing to warn about
    assert {r[3] for r in records} == {"Müller", "Cöl"}


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_detected(delimiter):
    header = delimiter.join(["BSN", "Startdatum", "Datum toelating"])
    data = csv_bytes(delimiter.join([VALID[0], "01-02-2024", "02-02-2024"]), header=header)
    result, records = run(data, snapshot=True)
    assert result.delimiter == delimiter
    assert result.valid == 1 and records[0][0] == VALID[0]


def test_quoted_fields_crlf_blank_lines_and_whitespace():
    data = (
        "BSN;Startdatum;Datum toelating;Achternaam;Dossiernummer\r\n"
        f'"{VALID[0]}";" 01-02-2024 ";01-02-2024;"Jansen; de ""oude""";D1\r\n'
        f'{VALID[1]};01-02-2024;01-02-2024;"Regel\r\nover twee regels";D2\r\n'
        f"  {VALID[2]} ;01-02-2024;01-02-2024;Bakker  ;  D3\r\n"
        ";;;;\r\n\r\n\r\n"
    ).encode()
    result, records = run(data, snapshot=True)
    assert (result.total, result.valid) == (3, 3), result.issues
    by_bsn = {r[0]: r for r in records}
    assert by_bsn[VALID[0]][3] == 'Jansen; de "oude"'
    assert by_bsn[VALID[0]][9] == "2024-02-01"
    # A line break inside a value becomes a space (never a control character in the snapshot).
    assert by_bsn[VALID[1]][3] == "Regel over twee regels"
    assert by_bsn[VALID[2]][3] == "Bakker" and by_bsn[VALID[2]][12] == "D3"
    # line numbers: the quoted record spans lines 3-4, so the next record is line 5
    assert by_bsn[VALID[2]][17] == "5"


def test_line_numbers_count_the_header_as_line_one_even_across_a_multiline_field():
    data = (
        "BSN;Startdatum;Achternaam\n"
        f'{VALID[0]};01-02-2024;"a\nb\nc"\n'
        "123456789;01-02-2024;x\n"
    ).encode()
    result, _ = run(data)
    # The line breaks inside the name become spaces (a warning on the record's first line).
    assert [(i.code.value, i.row) for i in result.issues if i.row] == [
        ("control_characters", 2), ("bsn_checksum", 5)]


def test_an_unterminated_quote_is_an_error_on_its_own_line_and_the_rows_after_it_count():
    data = csv_bytes(f'{VALID[0]};"01-02-2024;01-02-2024;;D1', *[f"{b};01-02-2024;;;" for b in VALID])
    result, records = run(data, snapshot=True, rules=Rules(invalid_threshold=0.5))
    assert result.accepted and (result.total, result.valid) == (4, 3)
    assert [(i.code, i.row) for i in result.issues if i.row] == [(Code.QUOTE_SWALLOWS_ROWS, 2)]
    assert "aanhalingsteken" in result.issues[0].message
    assert {r[0] for r in records} == set(VALID)


def test_empty_and_header_only_files_are_rejected():
    assert run(b"")[0].reason is Code.EMPTY_FILE
    assert run(b"\r\n\r\n  \r\n")[0].reason is Code.EMPTY_FILE
    assert run(csv_bytes())[0].reason is Code.NO_DATA_ROWS


class CountingFile:
    """Chunks of a file on disk, counting the bytes handed out (what the reader pulled)."""

    def __init__(self, path, chunk_size: int) -> None:
        self.path, self.chunk_size, self.pulled = path, chunk_size, 0

    def __iter__(self):
        with open(self.path, "rb") as fh:
            while chunk := fh.read(self.chunk_size):
                self.pulled += len(chunk)
                yield chunk


@pytest.mark.parametrize("chunk_size", [7, 4096, 1 << 20])
def test_a_binary_file_without_newlines_is_rejected_without_reading_it_into_memory(tmp_path,
                                                                                   chunk_size):
    path = tmp_path / "export.csv"
    path.write_bytes(bytes(range(256)).replace(b"\n", b"") * 64_000)  # ~16 MB, no line break
    source = CountingFile(path, chunk_size)
    result = validate_extract(source, today=TODAY, rules=Rules())
    assert result.reason is Code.NOT_CSV
    assert "binaire gegevens" in result.issues[-1].message
    # The first 64 KiB decide: at most the chunk that completes them is pulled from the file.
    assert source.pulled <= 65536 + chunk_size - 1 and source.pulled < path.stat().st_size // 8
    assert result.bytes_read == source.pulled  # and the report says what was read


def test_the_hash_covers_every_byte_whatever_the_chunking():
    data = csv_bytes(*(f"{b};01-02-2024;01-02-2024;;" for b in VALID))
    one, _ = run(data)
    tiny, _ = run(data, tiny_chunks=True)
    assert one.sha256 == tiny.sha256 and len(one.sha256) == 64
    assert (one.total, one.valid) == (tiny.total, tiny.valid) == (3, 3)


def test_delimiter_detection_ignores_quoted_separators():
    assert detect_delimiter('"a;b;c",d,e\n') == ","
    assert detect_delimiter("bsn\n") == ";"


def test_reader_raises_only_its_own_errors_for_structural_problems():
    reader = ExtractReader([b"BSN;Startdatum\n", b'1;"open\n'])
    reader.open()
    with pytest.raises(QuoteSwallowsRows) as raised:
        for line in reader.lines:
            reader.split(line, None)
    assert (raised.value.opened_at, raised.value.pushback) == (1, [])  # caller counts lines
    with pytest.raises(UnreadableExtract):
        ExtractReader([b"\x00" * 5000]).open()


def assert_consistent_decision(result, rules: Rules) -> None:
    """The decision agrees with the reason and the counts (whatever the input was)."""
    assert result.decision in ("accepted", "rejected")
    assert result.total == result.valid + result.invalid
    if result.decision == "accepted":
        assert result.reason is None and result.total > 0
        assert (result.invalid <= rules.invalid_threshold * result.total
                or result.invalid < rules.invalid_min_rows)
    else:
        assert result.reason is not None and result.reason in {i.code for i in result.issues}
        if result.reason is Code.TOO_MANY_INVALID:
            assert result.invalid > rules.invalid_threshold * result.total
            assert result.invalid >= min(rules.invalid_min_rows, result.total)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_any_bytes_give_a_report_never_an_exception(data):
    result, _ = run(data, today=TODAY)
    assert_consistent_decision(result, Rules())
    contract = result.to_contract()
    assert set(contract) == {"decision", "reason", "rows", "issues"}
    assert (contract["decision"], contract["reason"]) == (
        result.decision, result.reason.value if result.reason else None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from([';', ',', '"', '\t', '\r', '\n', ' ', 'ab', '1-', '/',
                                           VALID[0], "01-02-2024"]), max_size=12).map("".join),
                max_size=12))
def test_any_csv_like_text_under_a_valid_header_gives_a_report(lines):
    data = ("BSN;Startdatum;Datum toelating\n" + "\n".join(lines)).encode()
    result, _ = run(data, snapshot=True)
    assert_consistent_decision(result, Rules())


# Rows built from parts whose verdict is known (by the rules as documented), so the decision is
# pinned: a row is valid when its BSN passes the 11-proef (spaces around it are fine), its
# Startdatum is a real date not after today, and its Datum toelating is empty or a real date.
PEOPLE = bsns(12, seed=8)
BSN_PARTS = {"valid": True, "padded": True, "checksum": False, "short": False, "letters": False,
             "empty": False}
START_PARTS = {"01-02-2024": True, "2024-02-01": True, "": False, "31-31-2024": False,
               "01-02-2027": False, "ab": False}  # 2027: after TODAY
ADMISSION_PARTS = {"01-02-2024": True, "": True, "ab": False, "30-02-2024": False}


def bsn_part(kind: str, person: str) -> str:
    from tests.helpers import invalid_checksum

    return {"valid": person, "padded": f" {person} ", "checksum": invalid_checksum(person),
            "short": person[:8], "letters": "ab", "empty": ""}[kind]


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(sorted(BSN_PARTS)), st.sampled_from(sorted(START_PARTS)),
                               st.sampled_from(sorted(ADMISSION_PARTS))), max_size=len(PEOPLE)),
       threshold=st.sampled_from([0.0, 0.25, 0.5]))
def test_the_decision_of_rows_with_known_verdicts_is_pinned(rows, threshold):
    lines = [f"{bsn_part(b, PEOPLE[i])};{start};{admission}" for i, (b, start, admission) in enumerate(rows)]
    data = ("BSN;Startdatum;Datum toelating\n" + "".join(line + "\n" for line in lines)).encode()
    result, records = run(data, snapshot=True,
                          rules=Rules(invalid_threshold=threshold, invalid_min_rows=1))

    counted = [i for i, r in enumerate(rows) if r != ("empty", "", "")]  # only delimiters: skipped
    valid = [i for i in counted
             if BSN_PARTS[rows[i][0]] and START_PARTS[rows[i][1]] and ADMISSION_PARTS[rows[i][2]]]
    invalid = len(counted) - len(valid)
    assert (result.total, result.valid, result.invalid) == (len(counted), len(valid), invalid)
    if not counted:
        expected = ("rejected", Code.NO_DATA_ROWS)
    elif invalid > threshold * len(counted):
        expected = ("rejected", Code.TOO_MANY_INVALID)
    else:
        expected = ("accepted", None)
    assert (result.decision, result.reason) == expected
    if expected[0] == "accepted":
        assert sorted(r[0] for r in records) == sorted(PEOPLE[i] for i in valid)
