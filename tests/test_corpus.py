"""The corpus of hostile and messy extracts (``tests/corpus.py``) through ``vish validate`` and
through the intake on Azurite: the decision the rules demand, and nothing personal, no formula and
no control character where it does not belong.

Each test collects every violated property of its case before failing, so one run shows the
whole picture of a case.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

from shared import config
from shared.cli import main
from shared.usecases.intake import EXTRACTS_CONTAINER
from tests.conftest import organisations_for
from tests.corpus import (
    FIXED_BSN,
    WEIGHTS,
    Case,
    build_corpus,
    control_characters,
    formula_cells,
    leaks,
    non_ascii_digits,
    passes_11_proef,
    report_cells,
)

CASES = build_corpus()
IDS = [case.name for case in CASES]
ROOT = Path(__file__).resolve().parent.parent
DELIVERY_DATE = "2026-11-28"
MAX_RSS_MB = 120


class Findings:
    """Violated properties of one case, reported together."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.items: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.items.append(what)

    def no_leaks(self, where: str, text: str) -> None:
        found = leaks(self.case, text)
        self.check(not found, f"{where}: personal data of the input: {found[:10]}")

    def assert_none(self) -> None:
        assert not self.items, f"case {self.case.name}:\n  " + "\n  ".join(self.items)


def check_contract(f: Findings, contract: dict, where: str) -> None:
    """Decision, reason, row counts and issue expectations of a result (the JSON contract)."""
    case = f.case
    f.check(contract.get("decision") == case.decision,
            f"{where}: decision {contract.get('decision')!r}, expected {case.decision!r}")
    f.check(contract.get("reason") in case.reasons,
            f"{where}: reason {contract.get('reason')!r}, expected one of {case.reasons}")
    issues = contract.get("issues") or []
    seen = sorted({(i["code"], i["row"], i["field"]) for i in issues}, key=str)[:20]
    for expect in case.expect:
        f.check(any(expect.matches(i) for i in issues), f"{where}: no issue like {expect}; got {seen}")
        if expect.count is not None:
            n = sum(i["code"] == expect.code for i in issues)
            f.check(n == expect.count, f"{where}: {n} issues {expect.code}, expected {expect.count}")
    for code in case.absent_codes:
        rows = [i["row"] for i in issues if i["code"] == code]
        f.check(not rows, f"{where}: unexpected {code} at rows {rows[:10]}")
    rows = contract.get("rows") or {}
    if case.rows_total is not None:
        f.check(rows.get("total") == case.rows_total,
                f"{where}: rows.total {rows.get('total')}, expected {case.rows_total}")
    if case.rows_invalid is not None:
        f.check(rows.get("invalid") == case.rows_invalid,
                f"{where}: rows.invalid {rows.get('invalid')}, expected {case.rows_invalid}")


def check_report_csv(f: Findings, text: str, where: str) -> None:
    formulas = formula_cells(text)
    f.check(not formulas, f"{where}: cells a spreadsheet runs as a formula: {formulas[:5]}")
    missing = [cell for cell in f.case.report_cells if cell not in report_cells(text)]
    f.check(not missing, f"{where}: cells missing from the report: {missing}")
    f.no_leaks(where, text)


# -- vish validate ----------------------------------------------------------------------------------------
@pytest.fixture
def corpus_settings(monkeypatch):
    """``vish`` with one organisation (default rules), as an operator has it configured."""
    monkeypatch.delenv("VISH_ORGANISATIONS_FILE", raising=False)
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", organisations_for("corpus").model_dump_json())
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


def run_vish(capsys, *args: str) -> tuple[int | None, str, str, str | None]:
    """``vish ARGS`` in-process: exit code, stdout, stderr and the exception that escaped."""
    escaped = None
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse
        code = exc.code
    except Exception:
        code, escaped = None, traceback.format_exc(limit=-3)
    out, err = capsys.readouterr()
    return code, out, err, escaped


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vish_validate(case, tmp_path, capsys, monkeypatch, corpus_settings):
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    path = tmp_path / case.blob_name
    path.write_bytes(case.data)
    report = tmp_path / "rapport.csv"
    expected_exit = 0 if case.decision == "accepted" else 1
    f = Findings(case)

    code, plain, plain_err, escaped = run_vish(capsys, "validate", str(path), "--report-csv", str(report))
    f.check(escaped is None, f"plain: exception escaped: {escaped}")
    f.check(code == expected_exit, f"plain: exit {code}, expected {expected_exit}")
    f.check("Traceback" not in plain_err, "plain: traceback on stderr")
    f.no_leaks("plain stdout", plain)
    f.no_leaks("plain stderr", plain_err)
    controls = control_characters(plain, allowed="\n")
    f.check(not controls, f"plain stdout: control characters {controls}")
    if report.exists():
        check_report_csv(f, report.read_bytes().decode("utf-8-sig"), "--report-csv")
    else:
        f.check(False, "--report-csv: no report written")

    code, out, err, escaped = run_vish(capsys, "validate", str(path), "--json")
    f.check(escaped is None, f"--json: exception escaped: {escaped}")
    f.check(code == expected_exit, f"--json: exit {code}, expected {expected_exit}")
    f.check("Traceback" not in err, "--json: traceback on stderr")
    f.no_leaks("--json stdout", out)
    f.no_leaks("--json stderr", err)
    try:
        contract = json.loads(out)
    except ValueError:
        f.check(False, f"--json: stdout is not one JSON object: {out[:200]!r}")
    else:
        check_contract(f, contract, "--json")
    f.assert_none()


# -- the intake on Azurite -------------------------------------------------------------------------------
def _entities(intake, org: str) -> list[dict]:
    return list(intake.outcomes.table.query_entities("PartitionKey eq @o", parameters={"o": org}))


def _snapshot_checks(f: Findings, text: str) -> list[dict]:
    case = f.case
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, rows = (records[0], records[1:]) if records else ([], [])
    controls = control_characters(text, allowed="\n") + control_characters("".join(map("".join, rows)))
    f.check(not controls, f"snapshot: control characters {sorted(set(controls))}")
    digits = non_ascii_digits(text)
    f.check(not digits, f"snapshot: non-ASCII digits {digits}")
    people = {row[0]: dict(zip(header, row, strict=False)) for row in rows if row}
    missing = sorted(case.people - set(people))
    f.check(not missing, f"snapshot: {len(missing)} expected people missing (first lines: "
                         f"{_lines_of(case, missing[:5])})")
    present = sorted(case.absent_people & set(people))
    f.check(not present, f"snapshot: people that must not be in it: {len(present)}")
    for bsn, name, value in case.values:
        got = people.get(bsn, {}).get(name)
        f.check(got == value, f"snapshot: {name} of the person on line {_lines_of(case, [bsn])} is "
                              f"{got!r}, expected {value!r}")
    return rows


def _lines_of(case: Case, bsns: list[str]) -> list[int]:
    """Line numbers of these people in the input (to name them without their BSN)."""
    text = case.data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return [next((n for n, line in enumerate(lines, 1) if b in line or b[1:] in line), -1) for b in bsns]


def _build_sng_file(f: Findings, snapshot: str, tmp_path: Path, capsys) -> None:
    """``vish build SNAPSHOT``: the file SNG would get holds no control character, ASCII digits."""
    path = tmp_path / "current.csv"
    path.write_text(snapshot, encoding="utf-8", newline="")
    out_dir = tmp_path / "sng"
    out_dir.mkdir()
    code, _, err, escaped = run_vish(capsys, "build", str(path), "--date", DELIVERY_DATE,
                                       "--out", str(out_dir), "--json")
    f.check(escaped is None and code == 0, f"vish build: exit {code}, {escaped or err[-300:]}")
    built_files = list(out_dir.iterdir())
    f.check(len(built_files) == 1, f"vish build: {len(built_files)} files written, expected 1")
    for built in built_files:
        text = built.read_bytes().decode("utf-8-sig", errors="replace")
        controls = [c for line in text.split("\r\n") for c in control_characters(line)]
        f.check(not controls, f"SNG file: control characters {sorted(set(controls))}")
        digits = non_ascii_digits(text)
        f.check(not digits, f"SNG file: non-ASCII digits {digits}")


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_intake(case, intake, org_code, caplog, tmp_path, monkeypatch, capsys):
    s = intake.settings
    for name, value in case.env.items():
        monkeypatch.setattr(s, name.removeprefix("VISH_").lower(), int(value) if value.isdigit() else value)
    blob_name = f"{org_code}/{case.blob_name}"
    intake.blobs.upload(EXTRACTS_CONTAINER, blob_name, case.data)  # the organisation's upload
    f = Findings(case)

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="vish")
    caplog.set_level(logging.DEBUG, logger="azure")
    try:
        outcome = intake.process(blob_name)
    except Exception:
        pytest.fail(f"case {case.name}: exception escaped the intake: {traceback.format_exc(limit=-3)}")
    records = [(r.name, r.getMessage()) for r in caplog.records]
    logs = caplog.text + "\n" + "\n".join(message for _, message in records)
    caplog.set_level(logging.WARNING, logger="azure")  # what follows is the test's own reading

    f.check(outcome.decision == case.decision, f"intake: decision {outcome.decision!r}, expected "
                                               f"{case.decision!r}")
    f.check(outcome.reason in case.reasons, f"intake: reason {outcome.reason!r}, expected {case.reasons}")
    by_logger: dict[str, set[str]] = {}
    for logger, message in records:
        by_logger.setdefault(logger, set()).update(leaks(case, message))
    by_logger = {logger: sorted(found) for logger, found in by_logger.items() if found}
    f.check(not by_logger, f"log records: personal data of the input, by logger: {by_logger}")
    if not by_logger:
        f.no_leaks("log output (formatted, with exception texts)", logs)
    for text in case.log_contains:
        f.check(text in logs, f"log records: {text!r} missing")

    entities = _entities(intake, org_code)
    f.check(bool(entities), "outcomes: no entity recorded")
    f.no_leaks("outcome entities", json.dumps(entities, default=str, ensure_ascii=False))
    for entity in entities:
        if "extract" in entity:
            f.no_leaks("outcome entity 'extract'", str(entity["extract"]))

    names = []
    for container in (s.reports_container, s.quarantine_container, s.snapshots_container):
        names += intake.blobs.list_names(container, f"{org_code}/")
    f.no_leaks("blob names", "\n".join(names))
    for name in intake.blobs.list_names(s.reports_container, f"{org_code}/"):
        text = intake.blobs.read_bytes(s.reports_container, name).decode("utf-8-sig")
        if name.endswith(".csv"):
            check_report_csv(f, text, f"report {name.rsplit('.', 1)[-1]}")
        else:
            f.no_leaks("report json", text)
            check_contract(f, json.loads(text), "report json")

    if case.decision == "accepted" and outcome.decision == "accepted":
        snapshot = intake.blobs.read_bytes(s.snapshots_container, f"{org_code}/current.csv").decode("utf-8")
        _snapshot_checks(f, snapshot)
        _build_sng_file(f, snapshot, tmp_path, capsys)
    f.assert_none()


# -- bounded work and memory (subprocesses) ---------------------------------------------------------------
# Peak RSS of the child itself: /proc/self/status VmHWM belongs to the process's own memory map.
# (ru_maxrss is not usable here: Linux carries the parent's high-water mark across fork and exec,
# so a child of a large pytest process reports the parent's peak.)
MEASURE = textwrap.dedent("""
    import json, re, resource, sys, time
    from shared.cli import main
    started = time.perf_counter()
    code = main(sys.argv[1:])
    seconds = time.perf_counter() - started
    sys.stdout.flush()
    with open("/proc/self/status") as status:
        hwm = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
    print("\\n@measure " + json.dumps({"exit": code, "seconds": seconds, "peak_rss_kb": hwm,
          "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""")


def measure(args: list[str], *, timeout: float, env: dict | None = None) -> tuple[dict, str]:
    """Run ``vish ARGS`` in a fresh interpreter; its exit code, run time and peak RSS, and stdout."""
    environment = {k: v for k, v in os.environ.items() if k != "VISH_ORGANISATIONS_FILE"}
    environment["VISH_ORGANISATIONS_JSON"] = organisations_for("corpus").model_dump_json()
    environment.update(env or {})
    try:
        done = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT, env=environment)
    except subprocess.TimeoutExpired:
        pytest.fail(f"vish {' '.join(args[:1])} did not end within {timeout} s")
    out, _, measured = done.stdout.rpartition("\n@measure ")
    assert measured, f"no measurement (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(measured), out


MEMORY_CASES = [case for case in CASES if case.max_rss_mb]


@pytest.mark.parametrize("case", MEMORY_CASES, ids=[c.name for c in MEMORY_CASES])
def test_memory_bound_cases_stay_under_the_cap(case, tmp_path):
    path = tmp_path / case.blob_name
    path.write_bytes(case.data)
    result, out = measure(["validate", str(path), "--json"], timeout=60, env=dict(case.env))
    assert result["exit"] == (0 if case.decision == "accepted" else 1)
    assert json.loads(out)["decision"] == case.decision
    assert result["peak_rss_kb"] / 1024 < case.max_rss_mb, result


def test_dev_zero_is_a_clean_rejection_within_2_seconds():
    result, out = measure(["validate", "/dev/zero", "--json"], timeout=10)
    assert result["exit"] == 1 and result["seconds"] < 2, result
    assert json.loads(out)["reason"] == "not_csv"  # binary: named as such, not read further


def write_million_people(path: Path, count: int = 1_000_000) -> None:
    """``count`` distinct valid BSNs, in prefix order, without holding them in memory."""
    written = 0
    with open(path, "w", encoding="ascii", newline="") as fh:
        fh.write("BSN;Startdatum;Datum toelating\n")
        for head in range(100_000, 1_000_000):
            digits = str(head)
            base = sum(w * int(d) for w, d in zip(WEIGHTS[:6], digits, strict=True))
            lines = [f"{digits}{d7}{d8}{last};01-03-2025;04-03-2025\n"
                     for d7 in range(10) for d8 in range(10)
                     if (last := (base + 3 * d7 + 2 * d8) % 11) < 10]
            lines = lines[:count - written]
            fh.write("".join(lines))
            written += len(lines)
            if written >= count:
                return


def test_one_million_people_fit_in_120_mb(tmp_path):
    path = tmp_path / "miljoen.csv"
    write_million_people(path)
    result, out = measure(["validate", str(path), "--json"], timeout=120)
    contract = json.loads(out)
    assert result["exit"] == 0 and contract["rows"] == {"total": 1_000_000, "valid": 1_000_000,
                                                        "invalid": 0, "ineligible": 0}
    assert result["peak_rss_kb"] / 1024 <= MAX_RSS_MB, result


# -- log redaction and the corpus itself -------------------------------------------------------------------
def test_log_redaction_masks_a_bsn_but_keeps_an_export_date(caplog):
    from shared.log import get_logger

    with caplog.at_level(logging.INFO, logger="vish"):
        get_logger("corpus").info("VISH_VB-0001_20261129_001.csv geleverd; client %s", FIXED_BSN)
    message = caplog.records[-1].getMessage()
    assert "VISH_VB-0001_20261129_001.csv" in message
    assert FIXED_BSN not in message and "*****6782" in message


def test_the_corpus_is_large_varied_and_reproducible():
    assert len(CASES) >= 40 and len(set(IDS)) == len(IDS)
    assert {c.decision for c in CASES} == {"accepted", "rejected"}
    assert {"1", "2", "3", "4", "5", "7", "8", "10", "11"} <= {c.rule for c in CASES}
    assert all(isinstance(c.data, bytes) for c in CASES)
    assert [c.data for c in build_corpus()] == [c.data for c in CASES]  # generated, deterministic
    people = {b for c in CASES for b in c.people}
    assert people and all(passes_11_proef(b) for b in people)
    assert all(c.people <= c.bsns for c in CASES)


def test_the_leak_scanner_sees_every_writing_of_a_bsn_name_and_birth_date():
    case = next(c for c in CASES if c.name == "blob_name_with_bsn_surname_and_birth_date")
    for text in ("123456782", "1234.56.782", "123-456-782", "123 456 782", "١٢٣٤٥٦٧٨٢", "JANSEN",
                 "01-02-1980", "1980-02-01", "1-2-1980", "19800201", "01/02/1980"):
        assert leaks(case, f"x {text} y"), text
    for text in ("*****6782", "xxxxx6782-jxxxxx-xx-xx-xxxx.csv", "1234567821", "2026-11-29", "regel 12"):
        assert not leaks(case, f"x {text} y"), text
