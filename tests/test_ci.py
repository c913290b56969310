"""In CI a skipped or xfailed test fails the run (the hook in tests/conftest.py); locally not.

The hook runs in a pytest of its own, in a subprocess, on a small planted test file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ci_is_set

ROOT = Path(__file__).resolve().parent.parent

PLANTED = '''
import pytest


def test_runs():
    pass


@pytest.mark.skip(reason="no server here")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfailed():
    assert False
'''
CLEAN = "def test_runs():\n    pass\n"
FAILING = ("import pytest\n\n\ndef test_fails():\n    assert False\n\n\n"
           "@pytest.mark.skip\ndef test_s():\n    pass\n")


def run_planted(tmp_path: Path, text: str, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_sessionfinish, pytest_terminal_summary  # noqa: F401\n")
    (tmp_path / "test_planted.py").write_text(text)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
                           "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
                           "test_planted.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("value", ["true", "1"])
def test_in_ci_a_skip_or_xfail_fails_the_run_and_is_named(tmp_path, value):
    done = run_planted(tmp_path, PLANTED, value)
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("CI is set:"))
    assert "2 skipped/xfailed test(s) fail the run" in line
    assert "test_planted.py::test_skipped (skipped: no server here)" in line
    assert "test_planted.py::test_xfailed (xfailed: known bug)" in line
    assert "test_runs" not in line


@pytest.mark.parametrize("value", [None, "false"])
def test_outside_ci_a_skip_stays_a_skip(tmp_path, value):
    done = run_planted(tmp_path, PLANTED, value)
    assert done.returncode == pytest.ExitCode.OK, done.stdout[-3000:]
    assert "1 passed, 1 skipped, 1 xfailed" in done.stdout
    assert "CI is set" not in done.stdout


def test_in_ci_a_run_without_skips_passes_and_a_failing_run_stays_failed(tmp_path):
    clean = run_planted(tmp_path, CLEAN, "true")
    assert clean.returncode == pytest.ExitCode.OK, clean.stdout[-3000:]
    assert "CI is set" not in clean.stdout
    failing = run_planted(tmp_path, FAILING, "true")
    assert failing.returncode == pytest.ExitCode.TESTS_FAILED, failing.stdout[-3000:]
    assert "test_planted.py::test_s (skipped" in failing.stdout


def test_what_counts_as_ci_set():
    assert [v for v in ("true", "1", "yes", "github", " True ") if ci_is_set({"CI": v})] == [
        "true", "1", "yes", "github", " True "]
    assert not [v for v in ("", "0", "false", "FALSE", "no", "off", " ") if ci_is_set({"CI": v})]
    assert not ci_is_set({})
