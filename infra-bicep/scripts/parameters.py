"""Fill infra-bicep/main.parameters.json from the environment, for deploy.sh (azd does its own).

    python3 infra-bicep/scripts/parameters.py OUT.json

Each ``"value": "${NAME}"`` takes the variable NAME; literal values stay as they are. What azd
does, done with proper JSON: a parameter that main.bicep declares ``object`` or ``array`` gets
the variable parsed as JSON (and must be one), every other one the text itself, escaped; a
variable that is not set (or empty) leaves the parameter out, so the template's default applies.
Refused (exit 2, one line naming the parameter, never its value): an object parameter whose
variable is not valid JSON or not an object.

Standard library only (python3 of the operator's machine), like package.py.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"\$\{(\w+)\}")


def declared_types(bicep: str) -> dict[str, str]:
    return dict(re.findall(r"^param (\w+) (\w+)", bicep, flags=re.M))


def fill(template: dict, types: dict[str, str], environ: dict[str, str]) -> dict:
    filled = {}
    for name, entry in template["parameters"].items():
        value = entry.get("value")
        ref = REFERENCE.fullmatch(value) if isinstance(value, str) else None
        if ref is None:
            if isinstance(value, str) and REFERENCE.search(value):
                raise SystemExit(f"parameters: {name}: only a whole value can be a ${{...}} reference")
            filled[name] = entry
            continue
        text = environ.get(ref.group(1), "")
        if not text:
            continue  # not set: the template's default
        if types.get(name) in ("object", "array"):
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                raise SystemExit(f"parameters: {name} ({ref.group(1)}) is not valid JSON: "
                                 f"line {exc.lineno}, column {exc.colno}") from None
            wanted = dict if types[name] == "object" else list
            if not isinstance(parsed, wanted):
                raise SystemExit(f"parameters: {name} ({ref.group(1)}) must be a JSON "
                                 f"{types[name]}")
            filled[name] = {"value": parsed}
        else:
            filled[name] = {"value": text}
    return {**{k: v for k, v in template.items() if k != "parameters"}, "parameters": filled}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: parameters.py OUT.json", file=sys.stderr)
        return 2
    template = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    types = declared_types((INFRA / "main.bicep").read_text(encoding="utf-8"))
    try:
        document = fill(template, types, dict(os.environ))
    except SystemExit as refused:
        print(refused, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
