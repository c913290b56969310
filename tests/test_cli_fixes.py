"""Review fixes of ``vish`` seen as an operator sees them: a full disk names the file that could
not be written, and ``vish --debug COMMAND`` works as ``vish COMMAND --debug``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools.sample import HEADER, sample_rows
from shared.cli import main
from tests.helpers import TODAY
from tests.test_cli import fresh_settings  # noqa: F401 (the same autouse fixture: settings anew)


def extract(tmp_path: Path) -> str:
    path = tmp_path / "ok.csv"
    path.write_text("\r\n".join([HEADER, *sample_rows(5, today=TODAY, seed=3)]) + "\r\n",
                    encoding="utf-8")
    return str(path)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_names_the_file_that_could_not_be_written(tmp_path, capsys):
    code = main(["validate", extract(tmp_path), "--report-csv", "/dev/full"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "vish: kan bestand niet schrijven: de schijf is vol (/dev/full)\n"


def test_an_unwritable_path_names_the_path(tmp_path, capsys):
    target = tmp_path / "bestaat-niet" / "rapport.csv"
    code = main(["validate", extract(tmp_path), "--report-csv", str(target)])
    assert code == 2
    assert capsys.readouterr().err == f"vish: kan bestand niet schrijven: bestaat niet ({target})\n"


def test_debug_before_the_command_shows_the_log_lines(tmp_path, capsys):
    import logging

    path = extract(tmp_path)
    assert main(["validate", path, "--json"]) == 0
    assert not any(getattr(h, "_vish", False) for h in logging.getLogger().handlers)
    assert main(["--debug", "validate", path, "--json"]) == 0
    assert any(getattr(h, "_vish", False) for h in logging.getLogger().handlers)
    assert main(["validate", path, "--json"]) == 0  # and without it, they are gone again
    assert not any(getattr(h, "_vish", False) for h in logging.getLogger().handlers)
    capsys.readouterr()
