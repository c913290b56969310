"""``vish`` as an operator uses it: exit codes, the JSON contract, Dutch text, no BSN leaks."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.sample import HEADER, sample_rows
from shared import config
from shared.cli import main
from shared.domain.bsn import is_valid_bsn
from tests.conftest import organisations_for
from tests.helpers import TODAY, bsns


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch):
    for name in ("VISH_ORGANISATIONS_JSON", "VISH_ORGANISATIONS_FILE"):
        monkeypatch.delenv(name, raising=False)
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


def write(tmp_path, name: str, rows: int, error_rate: float = 0.0, seed: int = 2) -> str:
    path = tmp_path / name
    lines = sample_rows(rows, today=TODAY, seed=seed, error_rate=error_rate)
    path.write_text("\r\n".join([HEADER, *lines]) + "\r\n", encoding="utf-8")
    return str(path)


def test_validate_accepts_with_exit_0_and_prints_the_contract(tmp_path, capsys):
    path = write(tmp_path, "ok.csv", 40)
    assert main(["validate", path, "--json", "--date", "2026-11-28"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "accepted" and out["reason"] is None
    assert out["rows"]["total"] == 40 and out["rows"]["invalid"] == 0
    assert out["rows"]["valid"] == out["rows"]["total"] - out["rows"]["invalid"]


def test_validate_rejects_with_exit_1_and_no_bsn_in_the_output(tmp_path, capsys):
    path = write(tmp_path, "bad.csv", 60, error_rate=0.5)
    assert main(["validate", path, "--json"]) == 1
    raw = capsys.readouterr().out
    out = json.loads(raw)
    assert out["decision"] == "rejected" and out["reason"] == "too_many_invalid"
    assert out["issues"] and all({"row", "field", "code", "message"} <= set(i) for i in out["issues"])
    text = Path(path).read_text(encoding="utf-8")
    numbers = {cell for line in text.splitlines()[1:] for cell in line.split(";")[:2] if len(cell) >= 8}
    assert numbers and not [n for n in numbers if n in raw]


def test_validate_human_output_is_dutch_and_names_rows(tmp_path, capsys):
    b = bsns(2)
    path = tmp_path / "x.csv"
    path.write_text(f"BSN;Startdatum;Datum toelating\n{b[0]};01-02-2024;01-02-2024\n"
                    + "123;01-02-2024;\n" * 3)
    assert main(["validate", str(path), "--report-csv", str(tmp_path / "r.csv")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Besluit: bestand afgewezen: 3 van 4 regels ongeldig, toegestaan is "
                          "hoogstens 5% (in een klein bestand 2 regels).\n")
    assert "  regel 3 [BSN]: geen geldig BSN: een BSN bestaat uit 9 cijfers [bsn_format]\n" in out
    report = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert report.startswith("regel;veld;code;ernst;melding;dossiernummer")


def test_validate_shows_the_besluit_and_errors_before_forty_repeated_warnings(tmp_path, capsys):
    """The deciding line comes first and the rows to fix come before a warning repeated on 40
    lines, which is one line; nothing decisive hides behind '... en nog N meldingen'."""
    padded = [n for n in (f"{i:09d}" for i in range(10_000_000, 10_100_000)) if is_valid_bsn(n)][:40]
    rows = [f"{b[1:]};01-02-2024;01-02-2024" for b in padded] + ["123;01-02-2024;"] * 4
    path = tmp_path / "x.csv"
    path.write_text("BSN;Startdatum;Datum toelating\n" + "\n".join(rows) + "\n")
    assert main(["validate", str(path), "--limit", "3"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Besluit: bestand afgewezen: 4 van 44 regels ongeldig, toegestaan is hoogstens 5%."
    issues = [line for line in lines if line.startswith("  regel") or line.startswith("  ...")]
    assert issues[:3] == [f"  regel {n} [BSN]: geen geldig BSN: een BSN bestaat uit 9 cijfers [bsn_format]"
                          for n in (42, 43, 44)]
    assert issues[3].startswith("  ... en nog ")
    assert main(["validate", str(path)]) == 1
    full = capsys.readouterr().out.splitlines()
    assert ("  40 regels (2, 3, 4, 5, 6, 7, 8, 9, 10, 11 en nog 30) [BSN]: BSN had 8 cijfers; aangevuld "
            "met een voorloopnul (controleer de export) [bsn_left_padded]") in full


def test_validate_with_the_current_snapshot_holds_a_mass_drop(tmp_path, capsys):
    b = bsns(10)
    snapshot = tmp_path / "current.csv"
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    snapshot.write_text(";".join(SNAPSHOT_FIELDS) + "\n" + "".join(
        f"{x};;;;;;;;;2024-02-01;2024-02-01;;;;;;2024-02-01;2;row\n" for x in b))
    extract = tmp_path / "e.csv"
    extract.write_text("BSN;Startdatum;Datum toelating\n"
                       + "".join(f"{x};01-02-2024;01-02-2024\n" for x in b[:5]))
    assert main(["validate", str(extract), "--snapshot", str(snapshot), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "mass_drop_held"


def test_usage_and_io_problems_exit_2(tmp_path, capsys, monkeypatch):
    assert main(["validate", str(tmp_path / "missing.csv")]) == 2
    assert capsys.readouterr().err == (f"vish: kan bestand niet lezen: bestaat niet "
                                       f"({tmp_path / 'missing.csv'})\n")
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"vish: kan bestand niet lezen: is een map, geen bestand ({tmp_path})\n"
    path = write(tmp_path, "ok.csv", 3)
    assert main(["validate", path, "--org", "nergens"]) == 2
    assert "niet ingesteld" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["validate", path, "--date", "31/12/2024x"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.endswith(
        "vish validate: fout: argument --date: geen geldige datum: '31/12/2024x' (gebruik "
        "dag-maand-jaar, zoals 28-11-2026; 2026-11-28 mag ook)\n")
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", '{"organisations": [{"code": "X"}]}')
    config.get_settings.cache_clear()
    assert main(["validate", path]) == 2
    assert capsys.readouterr().err == (
        "vish: de configuratie is niet te gebruiken (4 problemen):\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie nr. 1, veld 'code': heeft niet de juiste vorm: "
        "alleen kleine letters, cijfers en koppeltekens (2 tot 40 tekens, te beginnen met een "
        "letter of cijfer)\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie nr. 1, veld 'name': ontbreekt (verplicht veld)\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie nr. 1, veld 'aansluitcode': ontbreekt (verplicht "
        "veld)\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie nr. 1, veld 'contact': ontbreekt (verplicht veld)\n"
        "vish: controleer alles in één keer met 'vish config check'\n")


def test_python_dash_m_shared_is_the_same_tool(tmp_path):
    path = write(tmp_path, "ok.csv", 5)
    done = subprocess.run([sys.executable, "-m", "shared", "validate", path, "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"]["total"] == 5


def test_intake_uploads_and_processes_through_the_function_code_path(tmp_path, capsys, settings,
                                                                    org_code, monkeypatch):
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", organisations_for(org_code).model_dump_json())
    config.get_settings.cache_clear()
    path = write(tmp_path, "export.csv", 25)
    assert main(["intake", path, "--org", org_code]) == 0
    out = capsys.readouterr().out
    assert "geaccepteerd" in out and "regels 25" in out
    assert main(["intake", path, "--org", org_code, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "duplicate"


def test_sample_writes_a_fictitious_extract(tmp_path, capsys):
    out = tmp_path / "s.csv"
    from devtools.cli import main as vish_dev

    assert vish_dev(["sample", str(out), "--rows", "12", "--error-rate", "0"]) == 0
    assert len(out.read_text().splitlines()) == 13


def test_vish_dev_reports_a_bad_setting_like_vish_does(tmp_path, monkeypatch, capsys):
    from devtools.cli import main as vish_dev

    monkeypatch.setenv("VISH_MAX_EXTRACT_BYTES", "-1")
    config.get_settings.cache_clear()
    try:
        assert vish_dev(["sample", str(tmp_path / "s.csv"), "--rows", "3"]) == 2
    finally:
        config.get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err == "vish-dev: ongeldige instelling VISH_MAX_EXTRACT_BYTES: moet groter zijn dan 0\n"
    assert not (tmp_path / "s.csv").exists()


def test_unreachable_storage_is_a_clear_exit_2(monkeypatch, capsys):
    from shared import wiring
    from shared.config import azurite_connection_string

    monkeypatch.setenv("VISH_STORAGE_CONNECTION_STRING", azurite_connection_string("127.0.0.1", 1, 1, 1))
    config.get_settings.cache_clear()
    wiring.status_service.cache_clear()
    assert main(["status"]) == 2
    assert "niet bereikbaar" in capsys.readouterr().err
    wiring.status_service.cache_clear()


# -- text from outside is shown escaped --------------------------------------------------------
ESCAPES = "\x1b[2J\x1b[31m\x00"


def test_validate_plain_output_has_no_control_characters_from_the_extract(tmp_path, capsys):
    b = bsns(3)
    path = tmp_path / "x.csv"
    path.write_bytes((f"BSN;Startdatum;Datum toelating;Dossiernummer\n"
                      f"{b[0]};01-02-2024;01-02-2024;D1{ESCAPES}\n"
                      f"123;01-02-2024;01-02-2024;D2{ESCAPES}x\n"
                      f"{b[1]};01-02-2024;01-02-2024;{ESCAPES}\u202e\n").encode())
    assert main(["validate", str(path)]) == 0  # one invalid row of three: under invalid_min_rows
    captured = capsys.readouterr()
    assert "regel 3 [BSN]" in captured.out
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and "\x00" not in stream and "\u202e" not in stream


def test_validate_plain_output_escapes_what_reaches_it_unfiltered(tmp_path, capsys, monkeypatch):
    """Whatever the validation lets through, the screen shows it as text (``\\x1b``)."""
    from shared.domain import validation
    from shared.domain.issues import Code, Issue
    from shared.domain.validation import ValidationResult

    def fake(*args, **kwargs):
        result = ValidationResult(total=1, reason=Code.TOO_MANY_INVALID,
                                  encoding="utf-8\x1b[2J", delimiter="\x1b")
        result.issues.append(Issue(Code.BSN_FORMAT, 2, "bsn\x07", f"detail{ESCAPES}",
                                   f"D{ESCAPES}\u2028"))
        return result

    monkeypatch.setattr(validation, "validate_extract", fake)
    path = write(tmp_path, "ok.csv", 2)
    assert main(["validate", path]) == 1
    out = capsys.readouterr().out
    assert not [c for c in out if not c.isprintable() and c not in " \n"]
    assert "(dossier D\\x1b[2J\\x1b[31m\\x00\\u2028)" in out and "detail\\x1b[2J" in out


def test_error_messages_show_file_names_escaped(tmp_path, capsys):
    missing = tmp_path / f"weg{ESCAPES.replace(chr(0), '')}.csv"
    assert main(["validate", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "kan bestand niet lezen" in err and "\x1b" not in err and "weg\\x1b[2J" in err


@pytest.mark.parametrize("option", [[], ["--snapshot"]])
def test_a_path_named_after_a_client_is_shown_with_the_bsn_masked(tmp_path, capsys, option):
    bsn = bsns(1)[0]
    missing = tmp_path / f"nope-{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}-jansen.csv"
    args = ["validate", str(missing)] if not option else [
        "validate", str(good_extract(tmp_path, bsns(2))), *option, str(missing)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"*****{bsn[-4:]}" in err and bsn[:4] not in err.replace(str(tmp_path), "")


# -- a malformed snapshot is the operator's problem: exit 2, Dutch, no data ----------------------
def snapshot_line(bsn: str, dossier: str = "") -> str:
    return f"{bsn};;;;;;;;;2024-02-01;2024-02-01;;{dossier};;;;2024-02-01;2;row\n"


def good_extract(tmp_path, people: list[str]) -> Path:
    extract = tmp_path / "e.csv"
    extract.write_text("BSN;Startdatum;Datum toelating\n"
                       + "".join(f"{x};01-02-2024;01-02-2024\n" for x in people))
    return extract


def malformed_snapshot(tmp_path, kind: str, people: list[str]) -> tuple[Path, list[str]]:
    """A snapshot file of ``kind`` and the values that must never appear in a message."""
    import os

    from shared.domain.snapshot import SNAPSHOT_FIELDS
    from tests.helpers import invalid_checksum

    header = ";".join(SNAPSHOT_FIELDS) + "\n"
    path = tmp_path / f"snapshot-{kind}.csv"
    secret = invalid_checksum(people[0])
    if kind == "binary":
        path.write_bytes(os.urandom(4096) + b"\x00" + people[0].encode())
        return path, [people[0]]
    if kind == "extract":
        path.write_text("BSN;Startdatum;Datum toelating;Dossiernummer\n"
                        + "".join(f"{x};01-02-2024;01-02-2024;GEHEIM-{i}\n"
                                  for i, x in enumerate(people)))
        return path, [*people, "GEHEIM"]
    if kind == "field_count":
        short = snapshot_line(people[1], "GEHEIM").rsplit(";", 2)[0] + "\n"
        path.write_text(header + snapshot_line(people[0]) + short)
        return path, [people[1], "GEHEIM"]
    if kind == "invalid_bsn":
        path.write_text(header + snapshot_line(people[1]) + snapshot_line(secret, "GEHEIM"))
        return path, [secret, "GEHEIM"]
    if kind == "field_too_large":
        path.write_text(header + snapshot_line(people[0], "GEHEIM" * 40_000))
        return path, [people[0], "GEHEIM"]
    raise AssertionError(kind)


MALFORMED = ["binary", "extract", "field_count", "invalid_bsn", "field_too_large"]
MALFORMED_REASON = {  # what the operator is told, per kind
    "binary": "snapshot: geen tekstbestand;",
    "extract": "snapshot: regel 1 is niet de kopregel van een snapshot",
    "field_count": "snapshot, regel 3: verkeerd aantal velden (verwacht 19);",
    "invalid_bsn": "snapshot, regel 3: geen geldig BSN;",
    "field_too_large": "snapshot, regel 2: geen leesbare CSV",
}


def assert_clean_usage_error(capsys, secrets: list[str]) -> str:
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("vish: ") and "niet te gebruiken" in err, err
    assert "Traceback" not in err and "Error" not in err
    assert not [s for s in secrets if s in err or s in captured.out]
    return err


@pytest.mark.parametrize("kind", MALFORMED)
def test_validate_with_a_malformed_snapshot_exits_2_without_echoing_data(tmp_path, capsys, kind):
    people = bsns(6)
    snapshot, secrets = malformed_snapshot(tmp_path, kind, people)
    extract = good_extract(tmp_path, people)
    assert main(["validate", str(extract), "--snapshot", str(snapshot)]) == 2
    err = assert_clean_usage_error(capsys, secrets)
    assert MALFORMED_REASON[kind] in err
    assert main(["validate", str(extract), "--snapshot", str(snapshot), "--json"]) == 2
    assert_clean_usage_error(capsys, secrets)


def test_validate_with_a_missing_snapshot_exits_2(tmp_path, capsys):
    extract = good_extract(tmp_path, bsns(2))
    assert main(["validate", str(extract), "--snapshot", str(tmp_path / "weg.csv")]) == 2
    assert "kan snapshot niet lezen" in capsys.readouterr().err


@pytest.mark.parametrize("kind", MALFORMED)
def test_build_with_a_malformed_previous_manifest_exits_2_without_echoing_data(tmp_path, capsys,
                                                                                kind):
    people = bsns(6)
    previous, secrets = malformed_snapshot(tmp_path, kind, people)
    extract = good_extract(tmp_path, people)
    assert main(["build", str(extract), "--date", "2026-11-28", "--out", str(tmp_path / "o.csv"),
                 "--previous", str(previous)]) == 2
    err = assert_clean_usage_error(capsys, secrets)
    assert "--previous" in err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("kind", ["field_count", "invalid_bsn", "field_too_large"])
def test_build_from_a_malformed_snapshot_exits_2_without_echoing_data(tmp_path, capsys, kind):
    people = bsns(6)
    snapshot, secrets = malformed_snapshot(tmp_path, kind, people)
    assert main(["build", str(snapshot), "--date", "2026-11-28", "--out", str(tmp_path / "o.csv")]) == 2
    assert_clean_usage_error(capsys, secrets)
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("value", ["31-13-GEHEIM", "garbage", "2024-02-30"])
def test_build_from_a_snapshot_with_a_bad_date_exits_2_without_echoing_it(tmp_path, capsys, value):
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    b = bsns(2)
    snapshot = tmp_path / "current.csv"
    snapshot.write_text(";".join(SNAPSHOT_FIELDS) + "\n" + snapshot_line(b[0])
                        + snapshot_line(b[1]).replace("2024-02-01", value))
    assert main(["build", str(snapshot), "--date", "2026-11-28", "--out", str(tmp_path / "o.csv")]) == 2
    err = assert_clean_usage_error(capsys, [value, b[1]])
    assert "regel 3: startdatum is geen geldige datum (JJJJ-MM-DD)" in err
    assert not (tmp_path / "o.csv").exists()


def test_validate_with_a_snapshot_with_a_bad_date_exits_2_without_echoing_it(tmp_path, capsys):
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    b = bsns(3)
    snapshot = tmp_path / "current.csv"
    snapshot.write_text(";".join(SNAPSHOT_FIELDS) + "\n" + snapshot_line(b[0])
                        + snapshot_line(b[1]).replace(";2;row", "garbage;2;row"))
    assert main(["validate", str(good_extract(tmp_path, b)), "--snapshot", str(snapshot)]) == 2
    err = assert_clean_usage_error(capsys, ["garbage", b[1]])
    assert "regel 3: eligible_from is geen geldige datum" in err


# -- an empty snapshot is no snapshot: "nobody" would disable the mass-drop guard ------------------
EMPTY = {"empty": b"", "bom_only": b"\xef\xbb\xbf"}


@pytest.mark.parametrize("kind", EMPTY)
def test_validate_with_an_empty_snapshot_exits_2(tmp_path, capsys, kind):
    snapshot = tmp_path / "current.csv"
    snapshot.write_bytes(EMPTY[kind])
    extract = good_extract(tmp_path, bsns(3))
    assert main(["validate", str(extract), "--snapshot", str(snapshot)]) == 2
    err = assert_clean_usage_error(capsys, [])
    assert "snapshot is leeg: geen kopregel" in err
    assert main(["validate", str(extract)]) == 0  # the extract itself is fine


@pytest.mark.parametrize("kind", EMPTY)
def test_build_with_an_empty_previous_manifest_exits_2(tmp_path, capsys, kind):
    previous = tmp_path / "previous.csv"
    previous.write_bytes(EMPTY[kind])
    assert main(["build", str(good_extract(tmp_path, bsns(3))), "--date", "2026-11-28",
                 "--out", str(tmp_path / "o.csv"), "--previous", str(previous)]) == 2
    err = assert_clean_usage_error(capsys, [])
    assert "snapshot is leeg: geen kopregel" in err and "--previous" in err
    assert not (tmp_path / "o.csv").exists()


def test_a_snapshot_saved_with_a_bom_is_still_read(tmp_path, capsys):
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    b = bsns(10)
    snapshot = tmp_path / "current.csv"
    snapshot.write_bytes(b"\xef\xbb\xbf" + (";".join(SNAPSHOT_FIELDS) + "\n"
                                              + "".join(snapshot_line(x) for x in b)).encode())
    # validate: the guard sees all ten people (five dropped: held)
    assert main(["validate", str(good_extract(tmp_path, b[:5])), "--snapshot", str(snapshot),
                 "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "mass_drop_held"
    # build from it, and with it as the previous manifest
    assert main(["build", str(snapshot), "--date", "2026-11-28", "--out", str(tmp_path / "o.csv"),
                 "--previous", str(snapshot), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["people"] == 10


# -- a snapshot without line ends is read bounded, never held whole ------------------------------
def endless_line(tmp_path, megabytes: int, *, header: bool = False) -> Path:
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    path = tmp_path / f"endless-{megabytes}.csv"
    with open(path, "wb") as fh:
        if header:
            fh.write((";".join(SNAPSHOT_FIELDS) + "\n").encode())
        block = b"9" * (1 << 20)
        for _ in range(megabytes):
            fh.write(block)
    return path


ENDLESS = "snapshot onleesbaar: een regel is langer dan"


def test_validate_with_a_snapshot_without_line_ends_stops_at_the_line_bound(tmp_path, capsys):
    import time

    snapshot = endless_line(tmp_path, 3)
    extract = good_extract(tmp_path, bsns(3))
    started = time.monotonic()
    assert main(["validate", str(extract), "--snapshot", str(snapshot)]) == 2
    assert time.monotonic() - started < 5
    err = assert_clean_usage_error(capsys, ["999999999"])
    assert ENDLESS in err


def test_build_with_a_snapshot_without_line_ends_stops_at_the_line_bound(tmp_path, capsys):
    snapshot = endless_line(tmp_path, 3, header=True)  # a snapshot by its header: read as one
    out = tmp_path / "o.csv"
    assert main(["build", str(snapshot), "--date", "2026-11-28", "--out", str(out)]) == 2
    assert ENDLESS in assert_clean_usage_error(capsys, ["999999999"])
    extract = good_extract(tmp_path, bsns(3))
    assert main(["build", str(extract), "--date", "2026-11-28", "--out", str(out),
                 "--previous", str(endless_line(tmp_path, 3))]) == 2
    err = assert_clean_usage_error(capsys, ["999999999"])
    assert ENDLESS in err and "--previous" in err
    assert not out.exists()


PEAK_RSS = """
import re, sys
from shared.cli import main
from shared.domain.bsn import is_valid_bsn
code = main(sys.argv[1:])
status = open("/proc/self/status").read()
print(code, int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("megabytes", [3, 50])  # 50 MB peaked at 147 MB read as text
def test_a_snapshot_without_line_ends_keeps_peak_memory_low(tmp_path, megabytes):
    snapshot = endless_line(tmp_path, megabytes)
    extract = good_extract(tmp_path, bsns(3))
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, "validate", str(extract),
                           "--snapshot", str(snapshot)],
                          capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    code, peak_mb = map(int, done.stdout.split())
    assert code == 2 and ENDLESS in done.stderr, done.stderr
    assert peak_mb < 80, f"peak RSS {peak_mb} MB"


def test_build_takes_binary_input_as_an_extract_and_rejects_it(tmp_path, capsys):
    import os

    path = tmp_path / "blob.bin"
    path.write_bytes(os.urandom(4096) + b"\x00")
    assert main(["build", str(path), "--date", "2026-11-28", "--out", str(tmp_path / "o.csv")]) == 1
    err = capsys.readouterr().err
    assert err == "Extract afgewezen: dit is geen CSV-bestand (not_csv); er is geen bestand gemaakt.\n"


def test_build_from_a_windows_1252_extract(tmp_path, capsys):
    b = bsns(3)
    extract = tmp_path / "e.csv"
    extract.write_bytes(("BSN;Startdatum;Datum toelating;Achternaam\r\n"
                         + "".join(f"{x};01-02-2024;01-02-2024;Desiré\r\n" for x in b))
                        .encode("cp1252"))
    assert main(["build", str(extract), "--date", "2026-11-28", "--out", str(tmp_path / "o.csv"),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["people"] == 3



@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_build_from_a_snapshot_saved_by_excel_gives_the_same_file(tmp_path, capsys, encoding):
    """A snapshot opened and saved by Excel (Windows-1252, or 'Unicode-tekst') is recognised by
    its header and read as validation reads an export: the same SNG file as from UTF-8."""
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    text = ";".join(SNAPSHOT_FIELDS) + "\n" + "".join(
        snapshot_line(x, f"DÖ{n}") for n, x in enumerate(bsns(3)))
    built = {}
    for name, data in (("utf8", text.encode("utf-8")), (encoding, text.encode(encoding))):
        (tmp_path / f"{name}.csv").write_bytes(data)
        out = tmp_path / f"{name}.out"
        assert main(["build", str(tmp_path / f"{name}.csv"), "--date", "28-11-2026",
                     "--out", str(out), "--json"]) == 0, capsys.readouterr().err
        assert json.loads(capsys.readouterr().out)["people"] == 3
        built[name] = out.read_bytes()
    assert built[encoding] == built["utf8"]
    # vish validate reads it as the current snapshot the same way.
    assert main(["validate", str(good_extract(tmp_path, bsns(3))), "--snapshot",
                 str(tmp_path / f"{encoding}.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "accepted"


def _fresh_store(azurite, monkeypatch, code: str) -> str:
    """Azurite with an outcome table that does not exist yet (a new deployment)."""
    import uuid

    from shared import wiring

    table = "nieuw" + uuid.uuid4().hex[:12]
    sftp = {"host": "127.0.0.1", "username": "u", "secret_name": "k",
            "host_key": "SHA256:q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"}
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", organisations_for(code, sftp=sftp).model_dump_json())
    monkeypatch.setenv("VISH_STORAGE_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.setenv("VISH_OUTCOMES_TABLE", table)
    config.get_settings.cache_clear()
    wiring.status_service.cache_clear()
    return table


def test_status_on_a_store_without_tables_is_no_outage(azurite, monkeypatch, capsys, tmp_path):
    from shared import wiring

    _fresh_store(azurite, monkeypatch, "gem-nieuw")
    try:
        assert main(["status", "--html", str(tmp_path / "weg" / "status.html")]) == 2
        assert capsys.readouterr().err == (f"vish: kan bestand niet schrijven: bestaat niet "
                                           f"({tmp_path / 'weg' / 'status.html'})\n")
        code = main(["status"])
    finally:
        wiring.status_service.cache_clear()
    out, err = capsys.readouterr()
    assert (code, err) == (1, "")  # nothing delivered yet: attention, but no error
    lines = out.splitlines()
    assert lines[0] == "Status VISH-levering: ACTIE NODIG"
    # The status's reason, once (it starts with the badge's words, so they are not repeated).
    assert lines[1].startswith("  gem-nieuw: nog geen bestand van deze organisatie ontvangen")
    assert "niet bereikbaar" not in out


def test_a_missing_outcome_table_is_told_apart_from_an_outage(azurite, monkeypatch, capsys):
    """Should the table be missing where status reads it, the operator reads that nothing has
    run yet; a missing entity or an unreachable store is not that."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.data.tables import TableServiceClient

    from shared import wiring
    from shared.cli import _table_missing

    table = _fresh_store(azurite, monkeypatch, "gem-nieuw")
    tables = TableServiceClient.from_connection_string(azurite.connection_string)
    with pytest.raises(ResourceNotFoundError) as missing_table:
        list(tables.get_table_client(table).list_entities())
    tables.create_table(table + "x")
    with pytest.raises(ResourceNotFoundError) as missing_entity:
        tables.get_table_client(table + "x").get_entity("a", "b")
    assert _table_missing(missing_table.value) and not _table_missing(missing_entity.value)

    class Raising:
        def overview(self):
            raise missing_table.value

    monkeypatch.setattr(wiring, "status_service", lambda: Raising())
    assert main(["status"]) == 1
    assert capsys.readouterr().out == (
        "Status VISH-levering: er is nog niets verwerkt of geleverd (de uitkomstentabel "
        f"'{table}' bestaat nog niet; die ontstaat bij de eerste verwerking of levering).\n")

    class Outage:
        def overview(self):
            raise missing_entity.value

    monkeypatch.setattr(wiring, "status_service", lambda: Outage())
    assert main(["status"]) == 2
    assert capsys.readouterr().err == (
        "vish: de opslag kent een gevraagde tabel of container niet (ResourceNotFoundError); is de "
        "installatie volledig?\n")


def test_build_reads_a_windows_1252_export_with_letters_beyond_the_first_chunk(tmp_path, capsys):
    """An export from Excel on Windows (Ö is byte 0xd6) is read as vish validate reads it."""
    b = bsns(3000)
    extract = tmp_path / "e.csv"
    extract.write_bytes(("BSN;Startdatum;Datum toelating;Achternaam;Woonplaats\r\n"
                         + "".join(f"{x};01-02-2024;01-02-2024;{'Özdemir' if i > 2900 else 'Jansen'};"
                                   "Ölst\r\n" for i, x in enumerate(b))).encode("cp1252"))
    assert b"\xd6zdemir" in extract.read_bytes()
    assert main(["build", str(extract), "--date", "28-11-2026", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3000 regels, 3000 personen aangemeld op 28-11-2026" in out and "codec" not in out


def test_an_unexpected_fault_is_named_without_its_text_and_shown_with_debug(tmp_path, capsys,
                                                                           monkeypatch):
    from shared.domain import validation

    def broken(*args, **kwargs):
        raise ValueError("cel 123456782 Jansen")

    monkeypatch.setattr(validation, "validate_extract", broken)
    path = write(tmp_path, "ok.csv", 2)
    assert main(["validate", path]) == 2
    assert capsys.readouterr().err == ("vish: onverwachte fout (ValueError); draai het commando "
                                       "opnieuw met --debug voor de technische details\n")
    from shared.cli import use_cli_logging

    try:
        with pytest.raises(ValueError):
            main(["validate", path, "--debug"])
    finally:
        use_cli_logging(False)  # the next tests' screens quiet again
        logging.getLogger("vish").setLevel(logging.NOTSET)
