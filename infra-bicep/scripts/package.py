"""Build the function app's deployment zip from the last commit, never from the work tree.

    python3 infra-bicep/scripts/package.py OUT.zip

What goes in: the files git tracks at HEAD, minus what ``.funcignore`` excludes, read by git
itself (``git ls-files --ignored --exclude-from=.funcignore``: gitignore rules, the last
matching line wins). ``.funcignore`` is an allow-list, so the package is the product only. A
secret, a ``local.settings.json`` or a virtual environment in the work tree cannot reach it:
they are not tracked, and even tracked they are excluded.

Refused (exit 2, one line on stderr naming the paths): a product file changed, staged or
deleted since HEAD, a new file in the product that is not committed, or a ``.funcignore`` that
differs from HEAD's (azd packs the work tree: the two packages must not differ). The zip is
reproducible: the same commit gives the same bytes with the same zlib (fixed timestamps, modes
and system), and its SHA-256 is printed with the commit.

Standard library only (python3 of the operator's machine, 3.8 or newer), and git.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: same commit, same bytes


def git(*args: str, env: dict | None = None) -> bytes:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"package: git {args[0]} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def paths(command: str, *args: str, env: dict | None = None) -> list[str]:
    """A git command's list of paths (``-z`` right after the command, before any ``--``)."""
    # a name that is not UTF-8 stays readable (surrogates) so it can be named and refused
    return [p for p in git(command, "-z", *args, env=env).decode("utf-8", "surrogateescape")
            .split("\0") if p]


def listed(names: list[str]) -> str:
    """The first five names for a refusal (a name that is not UTF-8 shown with replacements)."""
    shown = [n.encode("utf-8", "replace").decode() for n in names[:5]]
    return ", ".join(shown) + (" ..." if len(names) > 5 else "")


def package_paths(scratch: Path) -> list[str]:
    """HEAD's files that HEAD's .funcignore lets in; refused when the work tree or the index
    would give azd another package (a product file changed, staged, deleted or new, or another
    .funcignore)."""
    try:
        rules = git("show", "HEAD:.funcignore")
    except SystemExit:
        raise SystemExit("package: .funcignore is not committed: without it every file would "
                         "ship") from None
    # git's own comparison: a checkout with CRLF line endings (core.autocrlf) is not a change
    if paths("diff", "--name-only", "HEAD", "--", ".funcignore"):
        raise SystemExit("package: .funcignore differs from the last commit: commit it or undo "
                         "the change, then deploy again")
    exclude = scratch / "funcignore"
    exclude.write_bytes(rules)
    # HEAD's tree in an index of its own: git lists and filters exactly the committed files.
    head_index = {**os.environ, "GIT_INDEX_FILE": str(scratch / "index")}
    git("read-tree", "HEAD", env=head_index)
    rule = f"--exclude-from={exclude}"
    committed = set(paths("ls-files", "--cached", env=head_index))
    chosen = sorted(committed - set(paths("ls-files", "--cached", "--ignored", rule, env=head_index)))
    staged_new = (set(paths("ls-files", "--cached")) - committed
                  - set(paths("ls-files", "--cached", "--ignored", rule)))
    untracked = set(paths("ls-files", "--others", rule))  # new files the allow-list lets in
    changed = set(paths("diff", "--name-only", "HEAD", "--", *chosen)) if chosen else set()
    different = sorted(staged_new | untracked | changed)
    if different:
        raise SystemExit(f"package: not committed: {listed(different)}. The package is built from the last "
                         "commit: commit these files or undo the changes, then deploy again")
    # azd follows a link and packs what it points to (maybe outside the product); a submodule
    # it packs from the work tree: both would make the two packages differ, so neither may be
    # in the product
    modes = {line.partition("\t")[2]: line.split(" ", 1)[0]
             for line in paths("ls-files", "--stage", env=head_index)}
    odd = [p for p in chosen if modes.get(p) in ("120000", "160000")]
    odd += [p for p in chosen if p.encode("utf-8", "surrogateescape") != p.encode("utf-8", "replace")]
    if odd:
        raise SystemExit(f"package: a link, a submodule or a name that is not UTF-8 in the product: "
                         f"{listed(odd)}. Replace it with a plain file")
    if "function_app.py" not in chosen or "host.json" not in chosen:
        raise SystemExit("package: function_app.py or host.json is not in the package: "
                         "check .funcignore")
    return chosen


def build(out: Path) -> tuple[str, int]:
    with tempfile.TemporaryDirectory() as scratch:
        chosen = package_paths(Path(scratch))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in chosen:
            info = zipfile.ZipInfo(path, STAMP)
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whichever system builds it
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, git("show", f"HEAD:{path}"))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return digest, len(chosen)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1].startswith("-"):  # an option is no file name (--help)
        print("usage: package.py OUT.zip", file=sys.stderr)
        return 0 if argv[1:] in (["-h"], ["--help"]) else 2
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
