"""The deployment package is the product and nothing else, however it is built.

Two builders read ``.funcignore``: ``azd deploy`` walks the work tree and reads it with
github.com/denormal/go-gitignore (modelled by ``tests/layering.package_files``), and
``infra-bicep/scripts/package.py`` takes the files of the last commit and lets git read it.
Proved here, on a copy of the project in a scratch git repository with litter planted in its
work tree (keys, settings, virtual environments, caches, build output):

* azd's model and git choose exactly the same files from the real ``.funcignore``, only the
  product's modules, SNG profiles, ``host.json`` and ``requirements.txt``, and none of the litter;
* ``package.py`` zips those same files with the committed bytes, under 1 MB, reproducibly, and
  refuses (exit 2, one line) a product file that is changed, staged or new but not committed,
  or a missing ``.funcignore``, while it ignores untracked files the allow-list leaves out;
* the model's matcher agrees with git on the rules both share, and follows go-gitignore where
  the two differ (an anchored name's ``*`` crosses ``/``);
* the model is not an allow-list in disguise: a deny-list ``.funcignore`` ships what it does
  not name.

Two faults this file found in ``package.py`` have a test of their own: a staged deletion was not
refused (the list came from the index, not HEAD), and a refusal naming changed files spanned
several lines (``-z`` came after ``--``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.layering import PRODUCT, PRODUCT_FILE, ROOT, funcignore_patterns, is_ignored, package_files

# git without this machine's configuration (no global excludes, hooks or commit signing)
GIT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.invalid",
            "-c", "commit.gpgsign=false")
# What a developer's work tree holds besides the committed files; none of it may ship.
LITTER = {
    "secrets/sng-voorbeeld-key": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "local.settings.json": '{"Values": {"VISH_STORAGE_CONNECTION_STRING": "secret"}}\n',
    ".venv-tools/bin/checkov": "#!/bin/sh\n",
    ".venv/bin/python": "#!/bin/sh\n",
    ".venv/pyvenv.cfg": "home = /usr/bin\n",
    "vish_bridge_env/pyvenv.cfg": "home = /usr/bin\n",  # azd's own venv name: <folder>_env
    "shared/__pycache__/cli.cpython-313.pyc": "\0bytecode",
    "functions/__pycache__/admin.cpython-313.pyc": "\0bytecode",
    "vish_bridge.egg-info/PKG-INFO": "Name: vish-bridge\n",
    ".pytest_cache/x": "x",
    ".ruff_cache/x": "x",
    ".hypothesis/x": "x",
    "demo-output/rapport.csv": "bsn;naam\n",
    ".vish-local/x": "x",
    "node_modules/azurite/package.json": "{}\n",
    "mutants/shared/domain/bsn.py": "x = 1\n",
    "id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "shared/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "shared/adapters/sng.pem": "-----BEGIN PRIVATE KEY-----\n",
    "organisations.json": '{"organisations": []}\n',
    "shared/local.settings.json": "{}\n",
    "shared/secrets/key.py": "KEY = 'secret'\n",
    ".azure/vish/.env": "AZURE_SUBSCRIPTION_ID=x\n",
}


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *IDENTITY, *args], check=True,
                          capture_output=True, env=GIT_ENV, input=stdin).stdout


def git_paths(repo: Path, *args: str) -> set[str]:
    return {p for p in git(repo, *args, "-z").decode().split("\0") if p}


def git_package(repo: Path) -> set[str]:
    """What git says the package is: the tracked files ``.funcignore`` does not exclude."""
    rules = "--exclude-from=.funcignore"
    return git_paths(repo, "ls-files", "-c") - git_paths(repo, "ls-files", "-c", "-i", rules)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def project_repo(where: Path) -> Path:
    """A git repository holding the project's tracked files in one commit, with LITTER planted
    (untracked) in its work tree."""
    tree = where / "tree"
    tracked = sorted(git_paths(ROOT, "ls-files", "-c"))
    copied = [rel for rel in tracked if (ROOT / rel).is_file()]  # not one deleted by an edit
    for rel in copied:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tree / rel)
    git(tree, "init", "-q")
    git(tree, "add", "-f", "--pathspec-from-file=-", "--pathspec-file-nul",
        stdin="\0".join(copied).encode())
    git(tree, "commit", "-q", "-m", "the project's tracked files")
    write(tree, LITTER)
    return tree


def run_package(tree: Path, out: Path) -> subprocess.CompletedProcess[str]:
    script = tree / "infra-bicep" / "scripts" / "package.py"
    return subprocess.run([sys.executable, str(script), str(out)], cwd=out.parent, env=GIT_ENV,
                          capture_output=True, text=True, timeout=120)


# -- azd and git read the real .funcignore alike ----------------------------------------------
def test_azd_and_git_choose_the_same_files_and_only_the_product(tmp_path):
    tree = project_repo(tmp_path)
    azd = {p.as_posix() for p in package_files(tree)}
    assert sorted(azd & set(LITTER)) == []
    assert azd == git_package(tree)
    assert {p.split("/")[0] for p in azd} == PRODUCT
    assert [p for p in sorted(azd) if not PRODUCT_FILE.fullmatch(p)] == []


# -- package.py -------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "code"), [(["--help"], 0), (["-h"], 0), (["-o"], 2), ([], 2),
                                            (["a.zip", "b.zip"], 2)])
def test_package_py_takes_an_option_for_no_file_name(tmp_path, args, code):
    """``package.py --help`` prints its usage; it never writes a zip named after an option."""
    script = ROOT / "infra-bicep" / "scripts" / "package.py"
    done = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == code
    assert "usage: package.py OUT.zip" in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []


def test_package_py_zips_the_committed_product_reproducibly(tmp_path):
    tree = project_repo(tmp_path)
    assert set(LITTER) <= git_paths(tree, "ls-files", "-o")  # untracked, and not refused
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    done = run_package(tree, first)
    assert (done.returncode, done.stderr) == (0, "")
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names))
        assert set(names) == git_package(tree) == {p.as_posix() for p in package_files(tree)}
        for name in names:
            assert archive.read(name) == git(tree, "show", f"HEAD:{name}"), name
    size = first.stat().st_size
    print(f"deployment zip: {len(names)} files, {size} bytes")
    assert size < 1_000_000
    # README states the figures; they stay true within a quarter (the code grows slowly)
    stated = re.search(r"\*\*(\d+) files, (\d+) kB\*\*", (ROOT / "README.md").read_text())
    assert stated, "README's deployment package section lost its measured size"
    assert abs(int(stated.group(1)) - len(names)) <= len(names) // 4, (stated.group(0), len(names))
    assert abs(int(stated.group(2)) * 1000 - size) <= size // 4, (stated.group(0), size)
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    commit = git(tree, "rev-parse", "--short=12", "HEAD").decode().strip()
    assert done.stdout == (f"package: {first} ({len(names)} files, {size} bytes) from commit "
                           f"{commit}, sha256 {digest}\n")
    os.utime(tree / "function_app.py", (1_700_000_000, 1_700_000_000))  # the work tree's clock
    again = run_package(tree, second)
    assert again.returncode == 0, again.stderr
    assert second.read_bytes() == first.read_bytes()
    assert again.stdout.endswith(f"sha256 {digest}\n")


def _changed(tree: Path) -> None:
    with (tree / "shared" / "config.py").open("a") as file:
        file.write("# changed after the commit\n")


def _staged(tree: Path) -> None:
    _changed(tree)
    git(tree, "add", "shared/config.py")
    assert git_paths(tree, "diff", "--name-only") == set()  # the index only, not the work tree


def _new(tree: Path) -> None:
    (tree / "shared" / "adapters" / "new_thing.py").write_text("x = 1\n")


def _deleted(tree: Path) -> None:
    (tree / "shared" / "config.py").unlink()


def _deletion_staged(tree: Path) -> None:
    git(tree, "rm", "-q", "shared/config.py")


def _no_funcignore(tree: Path) -> None:
    (tree / ".funcignore").unlink()


def _funcignore_changed(tree: Path) -> None:
    """azd would pack the work tree with this .funcignore: HEAD's would give another package."""
    with (tree / ".funcignore").open("a") as f:
        f.write("!/tests/\n")


@pytest.mark.parametrize(("plant", "path"), [
    (_changed, "shared/config.py"),
    (_staged, "shared/config.py"),
    (_new, "shared/adapters/new_thing.py"),
    (_deleted, "shared/config.py"),
    (_deletion_staged, "shared/config.py"),
    (_no_funcignore, ".funcignore"),
    (_funcignore_changed, ".funcignore"),
])
def test_package_py_refuses_what_is_not_committed(tmp_path, plant, path):
    tree = project_repo(tmp_path)
    plant(tree)
    out = tmp_path / "package.zip"
    done = run_package(tree, out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("package: ") and path in done.stderr, done.stderr
    assert done.stdout == ""
    assert not out.exists()


def test_a_refusal_is_one_line_naming_every_path(tmp_path):
    tree = project_repo(tmp_path)
    _changed(tree)
    (tree / "function_app.py").write_text("# changed after the commit\n")
    _new(tree)
    done = run_package(tree, tmp_path / "package.zip")
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    for path in ("shared/config.py", "function_app.py", "shared/adapters/new_thing.py"):
        assert f" {path}," in done.stderr or f" {path}." in done.stderr, done.stderr


# -- the matcher: git's verdict where go-gitignore agrees, go-gitignore's where not ------------
ALLOW_DIR = "*\n!/dir/\n!/dir/**/\n!/dir/**/*.py\n"
AGREED = [  # (.funcignore text, a file's path, ignored)
    ("secrets\n", "secrets/key", True),  # a plain name, at any depth, file or folder
    ("secrets\n", "a/b/secrets", True),
    ("secrets\n", "a/secrets/key.py", True),
    ("secrets\n", "a/secrets.txt", False),
    ("*.pyc\n", "x.pyc", True),
    ("*.pyc\n", "a/b/x.pyc", True),
    ("*.pyc\n", "a/b/x.py", False),
    ("/build\n", "build/x", True),  # anchored: at the top only
    ("/build\n", "a/build/x", False),
    ("cache/\n", "a/cache/x", True),  # folders only
    ("cache/\n", "a/cache", False),
    ("*\n!/keep.py\n", "keep.py", False),  # a negation lets a file back in
    ("*\n!/keep.py\n", "other.py", True),
    ("*\n!/keep.py\n", "a/keep.py", True),
    (ALLOW_DIR, "dir/a.py", False),
    (ALLOW_DIR, "dir/x/y/b.py", False),
    (ALLOW_DIR, "dir/a.txt", True),
    (ALLOW_DIR, "dir/x/a.txt", True),
    (ALLOW_DIR, "other/a.py", True),
    (ALLOW_DIR, "a.py", True),
    ("!x\nx\n", "x", True),  # the last matching line wins
    ("x\n!x\n", "x", False),
    ("build/\n!build/keep.py\n", "build/keep.py", True),  # an excluded folder is not walked
]


def _verdicts(tmp_path: Path, text: str, rel: str) -> tuple[bool, bool]:
    """(the model's verdict, git's verdict) on the file ``rel`` under the rules ``text``."""
    write(tmp_path, {".funcignore": text, rel: "x"})
    git(tmp_path, "init", "-q")
    (tmp_path / ".git" / "info" / "exclude").write_text(text)
    checked = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", "--no-index", "-q", rel],
                             capture_output=True, env=GIT_ENV)
    assert checked.returncode in (0, 1), checked.stderr
    return is_ignored(Path(rel), funcignore_patterns(tmp_path)), checked.returncode == 0


@pytest.mark.parametrize(("text", "rel", "ignored"), AGREED)
def test_the_matcher_agrees_with_git(tmp_path, text, rel, ignored):
    assert _verdicts(tmp_path, text, rel) == (ignored, ignored)


def test_an_anchored_star_crosses_folders_in_go_gitignore(tmp_path):
    """go-gitignore matches an anchored slash-free pattern against the whole path with
    fnmatch flags 0: ``/*`` matches ``a/b`` itself, so re-including the folder ``a`` does not
    bring its files back. git's ``/*`` matches the top level only, and lets ``a/b`` in."""
    assert _verdicts(tmp_path, "/*\n!/a/\n", "a/b") == (True, False)


# -- the model is not an allow-list in disguise -----------------------------------------------
def test_a_deny_list_funcignore_ships_what_it_does_not_name(tmp_path):
    write(tmp_path, {".funcignore": "tests\n", "shared/a.py": "", "tests/test_a.py": "",
                     ".venv-tools/x": "", "secrets/key": "", "local.settings.json": "{}",
                     ".azure/vish/.env": ""})
    shipped = {p.as_posix() for p in package_files(tmp_path)}
    assert shipped == {"shared/a.py", ".venv-tools/x", "secrets/key"}


# -- secrets stay out of git and out of the checkout ------------------------------------------
def test_local_secrets_live_outside_the_checkout_and_git_ignores_a_secrets_folder(tmp_path):
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    secrets = (ROOT / example["VISH_SECRETS_DIR"]).resolve()  # func start runs in the root
    assert not secrets.is_relative_to(ROOT), secrets
    for rel in ("secrets/sng-key", "shared/secrets/key.py", "local.settings.json"):
        done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "--no-index", rel])
        assert done.returncode == 0, f"git would track {rel}"


def test_a_windows_style_checkout_keeps_the_scripts_runnable_and_the_package_the_same(tmp_path):
    """Git for Windows checks text out with CRLF (core.autocrlf=true); bash then stops at
    `set -eu\\r`, and a byte comparison of .funcignore would refuse a clean tree."""
    tree = tmp_path / "crlf"
    subprocess.run(["git", "-c", "core.autocrlf=true", "clone", "-q", str(ROOT), str(tree)],
                   check=True, capture_output=True)
    subprocess.run(["git", "-C", str(tree), "config", "core.autocrlf", "true"], check=True)
    scripts = [p for p in git_paths(tree, "ls-files") if p.endswith(".sh") or p in ("run", ".ci/run")]
    assert len(scripts) >= 5
    for rel in [*scripts, ".funcignore", "infra-bicep/scripts/package.py"]:
        assert b"\r\n" not in (tree / rel).read_bytes(), f"{rel} has CRLF line endings"
    shipped = [p for p in git_paths(tree, "ls-files") if PRODUCT_FILE.fullmatch(p)]
    for rel in shipped:
        assert b"\r\n" not in (tree / rel).read_bytes(), f"{rel} would ship with CRLF through azd"
    # an editor that saves CRLF: git calls that no change, and the zip holds the commit's bytes
    for rel in ("README.md", "shared/config.py"):
        (tree / rel).write_bytes((tree / rel).read_bytes().replace(b"\n", b"\r\n"))
    out = tmp_path / "p.zip"
    done = subprocess.run([sys.executable, str(tree / "infra-bicep/scripts/package.py"), str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        assert archive.read("shared/config.py") == git(tree, "show", "HEAD:shared/config.py")


# -- what azd and package.py would pack differently: refused ----------------------------------
def _commit(tree: Path, message: str) -> None:
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", message)


def test_a_link_or_a_submodule_in_the_product_is_refused(tmp_path):
    """azd follows a link (and packs what it points to, maybe a secret outside the product);
    package.py would pack the link's text. Neither may be in the product."""
    tree = project_repo(tmp_path)
    (tree / "shared/domain/profiles/link.json").symlink_to("../../../organisations.example.json")
    _commit(tree, "a link in the product")
    done = run_package(tree, tmp_path / "p.zip")
    assert done.returncode == 2 and "shared/domain/profiles/link.json" in done.stderr, done.stderr
    assert "link" in done.stderr and not (tmp_path / "p.zip").exists()

    tree = project_repo(tmp_path / "sub")
    git(tree, "update-index", "--add", "--cacheinfo",
        "160000," + git(tree, "rev-parse", "HEAD").decode().strip() + ",shared/vendored.py")
    git(tree, "commit", "-q", "-m", "a submodule named like a module")
    done = run_package(tree, tmp_path / "q.zip")
    assert done.returncode == 2 and "shared/vendored.py" in done.stderr, done.stderr


def test_a_name_that_is_not_utf8_is_refused_in_the_product_and_harmless_elsewhere(tmp_path):
    tree = project_repo(tmp_path)
    outside = os.fsdecode(b"tests-data-caf\xe9.csv")
    (tree / outside).write_bytes(b"x\n")
    _commit(tree, "a latin-1 name outside the product")
    done = run_package(tree, tmp_path / "p.zip")
    assert done.returncode == 0, done.stderr
    (tree / os.fsdecode(b"shared/caf\xe9.py")).write_bytes(b"x = 1\n")
    _commit(tree, "a latin-1 name in the product")
    done = run_package(tree, tmp_path / "q.zip")
    assert done.returncode == 2 and "not UTF-8" in done.stderr and "Traceback" not in done.stderr
