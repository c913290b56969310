"""Static checks of the Bicep templates that need neither Azure nor the Bicep CLI.

1. Syntax gate: every ``.bicep`` file must parse with pycep (checkov exits 0 on a parse error).
2. checkov (Bicep framework, no downloads): zero failed checks, no parsing errors, and every
   skip carries a reason after the check id (``// checkov:skip=CKV_X: why``).

    python infra-bicep/check.py        # exit 0 when clean, 1 otherwise
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def syntax_errors() -> list[str]:
    from pycep import BicepParser

    errors = []
    for path in sorted(HERE.rglob("*.bicep")):
        try:
            BicepParser().parse(file_path=path)
        except Exception as exc:  # pycep raises lark errors of several kinds
            errors.append(f"{path.relative_to(HERE)}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return errors


def checkov_command() -> list[str]:
    """checkov lives in its own venv (.venv-tools, see requirements-tools.txt), or on PATH."""
    tools = HERE.parent / ".venv-tools" / "bin" / "checkov"
    if tools.exists():
        return [str(tools)]
    found = shutil.which("checkov")
    if found:
        return [found]
    raise SystemExit("checkov not found: run ./run setup")


def checkov() -> tuple[dict, list[str]]:
    done = subprocess.run([*checkov_command(), "-d", str(HERE), "--framework", "bicep",
                           "--quiet", "--compact", "--skip-download", "-o", "json"],
                          capture_output=True, text=True)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {}, [f"checkov gave no JSON (exit {done.returncode}): {done.stderr[-500:]}"]
    reports = report if isinstance(report, list) else [report]
    problems, summary = [], {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    for r in reports:
        for key in summary:
            summary[key] += r.get("summary", {}).get(key, 0)
        results = r.get("results", {})
        for c in results.get("failed_checks", []):
            problems.append(f"failed {c['check_id']} ({c['check_name']}) in {c['file_path']} {c['resource']}")
        for c in results.get("skipped_checks", []):
            reason = (c.get("check_result", {}).get("suppress_comment") or "").strip()
            if len(reason) < 20:
                problems.append(f"skip of {c['check_id']} in {c['file_path']} has no real reason")
        parse_failures = results.get("parsing_errors")
        for path in parse_failures if isinstance(parse_failures, list) else []:
            problems.append(f"checkov could not parse {path}")
    if summary["parsing_errors"]:
        problems.append(f"checkov parsing errors: {summary['parsing_errors']}")
    return summary, problems


def main() -> int:
    problems = syntax_errors()
    summary, more = checkov()
    problems += more
    print(f"bicep: {len(list(HERE.rglob('*.bicep')))} files parsed; checkov {summary}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
