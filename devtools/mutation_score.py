"""The mutation score per module after ``mutmut run`` (``./run mutate`` prints it).

mutmut keeps one ``mutants/<path>.meta`` file per mutated module: a JSON object whose
``exit_code_by_key`` maps each mutant's name to the exit code of its test run (``null`` when
it was not run). This reads those files and prints, per module and overall, how many mutants
the tests killed, which survived, and the score: detected (killed or timed out) over checked.
Then the surviving mutants by name, for ``mutmut show NAME``.

Development only: run with the .venv where requirements-mutate.txt is installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

COLUMNS = ("killed", "timeout", "survived", "no tests", "other", "not checked")


def module_results(mutants_dir: Path) -> dict[str, dict[str, str]]:
    """{module path: {mutant name: status}} from the .meta files under ``mutants_dir``."""
    found: dict[str, dict[str, str]] = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        module = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
        found[module] = {name: status_by_exit_code[code]
                         for name, code in sorted(data.get("exit_code_by_key", {}).items())}
    return found


def tally(statuses: dict[str, str]) -> Counter:
    counts = Counter()
    for status in statuses.values():
        if status == "caught by type check":
            status = "killed"
        counts[status if status in COLUMNS else "other"] += 1
    counts["total"] = len(statuses)
    return counts


def score(counts: Counter) -> str:
    checked = counts["total"] - counts["not checked"]
    if not checked:
        return "-"
    return f"{100 * (counts['killed'] + counts['timeout']) / checked:.1f}%"


def _row(name: str, width: int, counts: Counter) -> str:
    cells = [f"{counts[c]:>{len(c)}}" for c in (*COLUMNS, "total")]
    return f"{name:<{width}}  " + "  ".join(cells) + f"  {score(counts):>6}"


def report(results: dict[str, dict[str, str]]) -> str:
    width = max([len(m) for m in results] + [len("overall")])
    head = f"{'module':<{width}}  " + "  ".join(f"{c:>{len(c)}}" for c in (*COLUMNS, "total", "score "))
    lines = [head, "-" * len(head)]
    overall = Counter()
    for module, statuses in results.items():
        counts = tally(statuses)
        overall.update(counts)
        lines.append(_row(module, width, counts))
    lines.append("-" * len(head))
    lines.append(_row("overall", width, overall))
    lines.append("score = (killed + timeout) / (total - not checked)")
    survivors = [name for statuses in results.values() for name, status in statuses.items()
                 if status in ("survived", "no tests", "suspicious")]
    lines.append("")
    lines.append(f"surviving mutants ({len(survivors)}; see one with: .venv/bin/mutmut show NAME):")
    for statuses in results.values():
        lines += [f"  {name}  [{status}]" for name, status in statuses.items()
                  if status in ("survived", "no tests", "suspicious")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's folder")
    args = parser.parse_args(argv)
    results = module_results(args.mutants)
    if not results:
        print(f"no mutmut results under {args.mutants}/ (run ./run mutate first)", file=sys.stderr)
        return 1
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
