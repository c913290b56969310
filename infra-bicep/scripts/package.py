"""Build the function app's deployment zip from the last commit, never from the work tree.

    python3 infra-bicep/scripts/package.py OUT.zip

What goes in: the files git tracks at HEAD, minus what ``.funcignore`` excludes, read by git
itself (``git ls-files --ignored --exclude-from=.funcignore``: gitignore rules, the last
matching line wins). ``.funcignore`` is an allow-list, so the package is the product only. A
secret, a ``local.settings.json`` or a virtual environment in the work tree cannot reach it:
they are not tracked, and even tracked they are excluded.

Refused (exit 2, one line on stderr naming the paths): a product file changed or staged since
HEAD, or a new file in the product that is not committed (azd would deploy it, this script
would not: the two must not differ). The zip is reproducible: the same commit gives the same
bytes (fixed timestamps and modes), and its SHA-256 is printed with the commit.

Standard library only (python3 of the operator's machine, 3.8 or newer), and git.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: same commit, same bytes


def git(*args: str) -> bytes:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"package: git {args[0]} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def paths(*args: str) -> list[str]:
    return [p for p in git(*args, "-z").decode("utf-8").split("\0") if p]


def package_paths() -> list[str]:
    if not (ROOT / ".funcignore").is_file():
        raise SystemExit("package: .funcignore is missing: without it every file would ship")
    rules = "--exclude-from=.funcignore"
    tracked = set(paths("ls-files", "--cached"))
    left_out = set(paths("ls-files", "--cached", "--ignored", rules))
    chosen = sorted(tracked - left_out)
    new = paths("ls-files", "--others", rules)  # untracked files the allow-list lets in
    changed = paths("diff", "--name-only", "HEAD", "--", *chosen) if chosen else []
    if new or changed:
        listed = ", ".join((new + changed)[:5]) + (" ..." if len(new + changed) > 5 else "")
        raise SystemExit(f"package: not committed: {listed}. The package is built from the last "
                         "commit: commit these files or undo the changes, then deploy again")
    if "function_app.py" not in chosen or "host.json" not in chosen:
        raise SystemExit("package: function_app.py or host.json is not in the package: "
                         "check .funcignore")
    return chosen


def build(out: Path) -> tuple[str, int]:
    chosen = package_paths()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in chosen:
            info = zipfile.ZipInfo(path, STAMP)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, git("show", f"HEAD:{path}"))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return digest, len(chosen)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: package.py OUT.zip", file=sys.stderr)
        return 2
    out = Path(argv[1])
    try:
        digest, count = build(out)
    except SystemExit as refused:
        print(refused, file=sys.stderr)
        return 2
    commit = git("rev-parse", "--short=12", "HEAD").decode().strip()
    print(f"package: {out} ({count} files, {out.stat().st_size} bytes) from commit {commit}, "
          f"sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
