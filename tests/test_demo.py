"""The README's demo command runs the whole daily flow on the local stand-ins."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_demo_command_runs_the_daily_flow(tmp_path):
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VISH_", "AzureWebJobs"))}
    done = subprocess.run(["./run", "demo", "--out", str(out), "--rows", "60"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Status VISH-levering: alles in orde" in done.stdout
    assert "uitkomsten in tabel: 1; laatste: geaccepteerd\n" in done.stdout  # the repeat had no effect
    assert done.stderr == ""  # no English log lines from the components
    # The counsellor's besluit comes first, then issues named by the file's own column names.
    assert "  besluit, zoals de consulent het leest:\n    Bestand geaccepteerd: " in done.stdout
    shown = done.stdout.split("eerste meldingen (kolom zoals in het bestand):\n", 1)[1]
    first = shown.splitlines()[0]
    assert re.fullmatch(r"    regel \d+ \[(BSN|Einddatum|Startdatum traject|Datum toelating)\]: .+",
                        first), first
    assert not [name for name in ("[einddatum]", "[bsn]", "[startdatum]") if name in shown]
    delivered = sorted(p.name for p in (out / "sng-sftp").rglob("*") if p.is_file())
    assert len(delivered) == 1 and delivered[0].startswith("VISH_")
    assert (out / "status.html").read_text(encoding="utf-8").lower().startswith("<!doctype html>")
    report = (out / "rapport.csv").read_bytes()
    assert report.startswith(b"\xef\xbb\xbfregel;veld;code;ernst;melding;dossiernummer")  # BOM as stored
