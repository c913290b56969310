"""The layout is the architecture: imports point one way, and stand-ins stay out of the deployment.

Every Python file of the project is read with ``ast`` (imports inside functions and
``TYPE_CHECKING`` blocks count too, as do ``importlib.import_module("...")`` calls with a literal
name). The rules, from ``shared/__init__.py``:

* the domain imports only the standard library, pydantic and itself; no network, no process,
  no clock;
* support (config, log, clock) imports only the domain; adapters never import a use case, the
  wiring or an entry point; use cases never import the wiring or an entry point;
* no deployed module (what ``.funcignore`` leaves in the package) imports a development stand-in,
  a test, a benchmark or a development-only dependency;
* no import cycle between the project's modules.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Project layers, from the bottom up, and the project layers each may import.
ALLOWED = {
    "domain": {"domain"},
    "support": {"domain", "support"},
    "adapters": {"domain", "support", "adapters"},
    "usecases": {"domain", "support", "adapters", "usecases"},
    "wiring": {"domain", "support", "adapters", "usecases"},
    "entry": {"domain", "support", "adapters", "usecases", "wiring", "entry"},
}
SUPPORT = {"shared.config", "shared.log", "shared.clock"}
ENTRY = {"shared.cli", "shared.__main__", "function_app"}
NOT_DEPLOYED = ("devtools", "tests", "benchmarks")
# Standard-library modules the domain may not use: network, processes, the clock.
DOMAIN_FORBIDDEN_STDLIB = {"socket", "ssl", "http", "urllib", "ftplib", "smtplib", "asyncio",
                           "subprocess", "multiprocessing", "time"}
DOMAIN_THIRD_PARTY = {"pydantic"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


@dataclass(frozen=True)
class Import:
    target: str  # dotted module name as written (resolved for relative imports)
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path, modules: set[str] = frozenset()) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # ``from shared import wiring`` imports the module shared.wiring, not ``shared``
                sub = f"{base}.{alias.name}"
                found.append(Import(sub if sub in modules else base, node.lineno))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module",
                                                                            "__import__")))):
            found.append(Import(node.args[0].value, node.lineno))
    return found


def clock_calls(path: Path) -> list[int]:
    """Lines that ask the system for the time (``datetime.now()``, ``date.today()``, ...)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("datetime", "date", "time")]


def layer_of(module: str) -> str | None:
    """The project layer of a module, or None for what is not the project's deployed code."""
    top = module.split(".")[0]
    if module == "shared":
        return "package"  # shared/__init__.py: the layer map as a docstring, imports nothing
    if top in NOT_DEPLOYED:
        return top
    if module == "shared.domain" or module.startswith("shared.domain."):
        return "domain"
    if module == "shared.adapters" or module.startswith("shared.adapters."):
        return "adapters"
    if module == "shared.usecases" or module.startswith("shared.usecases."):
        return "usecases"
    if module in SUPPORT:
        return "support"
    if module == "shared.wiring":
        return "wiring"
    if module in ENTRY or top == "functions":
        return "entry"
    return None


def project_module(target: str, modules: set[str]) -> str | None:
    """The project module an import refers to (``from shared.x import name`` -> shared.x)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def funcignored(root: Path) -> set[str]:
    lines = (root / ".funcignore").read_text(encoding="utf-8").splitlines()
    return {line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")}


def python_files(root: Path) -> list[Path]:
    skip = {".venv", ".venv-tools", "node_modules", ".git", "infra-bicep", ".python_packages"}
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))


def dev_only_imports() -> set[str]:
    """Top-level import names of packages in requirements-dev.txt but not in requirements.txt."""

    def names(file: str) -> set[str]:
        out = set()
        for line in (ROOT / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                out.add(line.split("==")[0].split(">=")[0].strip().lower().replace("_", "-"))
        return out

    dev = names("requirements-dev.txt") - names("requirements.txt")
    by_import = packages_distributions()
    return {top for top, dists in by_import.items()
            if {d.lower().replace("_", "-") for d in dists} & dev}


def violations(root: Path, dev_only: set[str] = frozenset()) -> list[str]:
    """Every broken rule in the tree at ``root``, as readable lines (empty: the layout holds)."""
    files = {module_name(p, root): p for p in python_files(root)}
    modules = set(files)
    excluded = funcignored(root)
    stdlib = set(sys.stdlib_module_names)
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for module, path in sorted(files.items()):
        layer = layer_of(module)
        rel = path.relative_to(root)
        deployed = rel.parts[0] not in excluded
        if deployed and module.split(".")[0] in NOT_DEPLOYED:
            problems.append(f"{rel}: not excluded by .funcignore, but not product code")
        for imp in imports_of(path, root, modules):
            top = imp.target.split(".")[0]
            target = project_module(imp.target, modules)
            where = f"{rel}:{imp.line}"
            if target is not None and target != module:
                graph.setdefault(module, set()).add(target)
            if deployed and (top in NOT_DEPLOYED or top in dev_only):
                problems.append(f"{where}: deployed code imports {imp.target} (not deployed)")
            if layer == "domain":
                if target is None and top not in stdlib and top not in DOMAIN_THIRD_PARTY:
                    problems.append(f"{where}: domain imports {imp.target}")
                elif top in DOMAIN_FORBIDDEN_STDLIB:
                    problems.append(f"{where}: domain imports {imp.target} (network, process "
                                    "or clock)")
            if layer in ALLOWED and target is not None:
                target_layer = layer_of(target)
                if target_layer in ALLOWED and target_layer not in ALLOWED[layer]:
                    problems.append(f"{where}: {layer} imports {target_layer} ({target})")
        if layer == "domain":
            problems += [f"{rel}:{line}: domain reads the clock" for line in clock_calls(path)]
        if layer == "package" and graph.get(module):
            problems.append(f"{rel}: the package's __init__ imports {sorted(graph[module])}")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan), in a readable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            # a package importing its own submodule (``__init__`` re-exports) is not a cycle
            real = [m for m in group if not any(o.startswith(m + ".") for o in group)]
            if len(real) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# -- the project ------------------------------------------------------------------------------
def test_the_project_keeps_its_layers():
    assert violations(ROOT, dev_only_imports()) == []


def test_every_layer_is_a_folder_with_code_in_it():
    for folder in ("shared/domain", "shared/adapters", "shared/usecases", "devtools"):
        modules = [p for p in (ROOT / folder).rglob("*.py") if p.name != "__init__.py"]
        assert len(modules) >= 3, folder
    layers = {layer_of(module_name(p, ROOT)) for p in python_files(ROOT)
              if p.relative_to(ROOT).parts[0] in ("shared", "functions")}
    assert None not in layers  # every product module sits in a known layer
    assert {"package", "domain", "support", "adapters", "usecases", "wiring", "entry"} == layers


def test_the_stand_ins_are_outside_the_deployed_package():
    ignored = funcignored(ROOT)
    assert {"devtools", "tests", "benchmarks"} <= ignored
    shared = {p.stem for p in (ROOT / "shared").rglob("*.py")}
    assert not {"demo", "devservices", "sftp_testserver", "sample"} & shared
    assert "asyncssh" in dev_only_imports()  # the SFTP test server's library is development-only


def test_each_part_of_the_validation_reads_in_one_sitting():
    """The old validation.py had 680 lines and a 280-line class. Now: modules of at most 300
    lines, classes of at most 200, functions of at most 120 (the hot loop of the fast path is
    one function on purpose: its speed comes from local names)."""
    limits = {ast.ClassDef: 200, ast.FunctionDef: 120}
    for path in (ROOT / "shared" / "domain" / "validation").glob("*.py"):
        text = path.read_text()
        assert len(text.splitlines()) <= 300, path.name
        for node in ast.walk(ast.parse(text)):
            if type(node) in limits:
                assert node.end_lineno - node.lineno < limits[type(node)], (path.name, node.name)


# -- the checker itself: a planted wrong arrow is found ---------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".funcignore").write_text("devtools\ntests\nbenchmarks\n")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in {p.parent for p in tmp_path.rglob("*.py")}:
        if package != tmp_path:
            (package / "__init__.py").touch()
    return tmp_path


CLEAN = {
    "shared/domain/rules.py": "import re\nfrom datetime import date\n",
    "shared/config.py": "from shared.domain.rules import y\n",
    "shared/adapters/store.py": "from shared.domain import rules\n",
    "shared/usecases/work.py": "from shared.adapters.store import x\nfrom shared.domain.rules import y\n",
    "shared/wiring.py": "def f():\n    from shared.usecases.work import z\n",
    "functions/fn.py": "from shared.wiring import f\n",
    "shared/cli.py": "from shared import config, wiring\n",
    "devtools/demo.py": "from shared.wiring import f\nimport asyncssh\n",
}


def test_a_clean_tree_passes(tmp_path):
    assert violations(_tree(tmp_path, CLEAN), {"asyncssh"}) == []


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("shared/domain/bad.py", "from shared.adapters.store import x\n", "domain imports adapters"),
    ("shared/domain/bad.py", "def f():\n    from shared.usecases import work\n",
     "domain imports usecases"),
    ("shared/domain/bad.py", "import azure.storage.blob\n", "domain imports azure.storage.blob"),
    ("shared/domain/bad.py", "import paramiko\n", "domain imports paramiko"),
    ("shared/domain/bad.py", "from shared import config\n", "domain imports support"),
    ("shared/domain/bad.py", "import socket\n", "network, process or clock"),
    ("shared/domain/bad.py", "from datetime import datetime\nx = datetime.now()\n",
     "domain reads the clock"),
    ("shared/domain/bad.py", "from devtools.sample import x\n", "deployed code imports devtools"),
    ("shared/adapters/bad.py", "from shared.usecases.work import z\n",
     "adapters imports usecases"),
    ("shared/adapters/bad.py", "from shared import wiring\n", "adapters imports wiring"),
    ("shared/usecases/bad.py", "from shared.cli import main\n", "usecases imports entry"),
    ("shared/cli.py", "def demo():\n    from devtools.demo import run\n",
     "deployed code imports devtools.demo"),
    ("shared/cli.py", "import importlib\nimportlib.import_module('devtools.demo')\n",
     "deployed code imports devtools.demo"),
    ("functions/bad.py", "import asyncssh\n", "deployed code imports asyncssh"),
    ("function_app.py", "from tests import helpers\n", "deployed code imports tests"),
    ("shared/domain/a.py", "from shared.domain import b\n", "import cycle"),
])
def test_a_planted_wrong_arrow_is_found(tmp_path, name, text, expected):
    files = {**CLEAN, name: text}
    if name == "shared/domain/a.py":
        files["shared/domain/b.py"] = "def f():\n    from shared.domain import a\n"
    problems = violations(_tree(tmp_path, files), {"asyncssh"})
    assert any(expected in p for p in problems), problems


def test_a_stand_in_left_in_the_deployed_package_is_found(tmp_path):
    tree = _tree(tmp_path, {**CLEAN, "devtools/demo.py": "x = 1\n"})
    (tree / ".funcignore").write_text("tests\nbenchmarks\n")
    assert any("not excluded by .funcignore" in p for p in violations(tree, {"asyncssh"}))


# -- the deployed package, as the Functions host gets it ----------------------------------------
BLOCKED_IN_DEPLOYMENT = ("devtools", "tests", "benchmarks")


def deployed_files(root: Path) -> list[Path]:
    """What git tracks, minus what ``.funcignore`` excludes (entries are names or globs)."""
    import fnmatch
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                             check=True).stdout.decode().split("\0")
    patterns = funcignored(root)
    return [Path(rel) for rel in tracked if rel and (root / rel).is_file()
            and not any(fnmatch.fnmatch(part, pattern) for part in Path(rel).parts
                        for pattern in patterns)]


DEPLOYED_RUN = """
import importlib, importlib.abc, json, pathlib, sys

blocked = set(sys.argv[2].split(","))


class NotDeployed(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in the deployment package", name=name)
        return None


sys.meta_path.insert(0, NotDeployed())
for path in sorted(pathlib.Path(".").rglob("*.py")):
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[-1] != "__main__":
        importlib.import_module(".".join(parts))
import function_app

print(json.dumps(sorted(f.get_function_name() for f in function_app.app.get_functions())))
from shared.cli import main

sys.exit(main(["validate", sys.argv[1], "--json"]))
"""


def test_the_deployed_package_runs_without_the_development_tools(tmp_path):
    import json
    import os
    import shutil
    import subprocess
    from datetime import date

    from devtools.sample import write_sample_extract

    package = tmp_path / "package"
    files = deployed_files(ROOT)
    for rel in files:
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, package / rel)
    tops = {rel.parts[0] for rel in files}
    assert {"function_app.py", "functions", "shared", "host.json", "requirements.txt"} <= tops
    assert not tops & {"devtools", "tests", "benchmarks", "infra-bicep", ".ci"}
    extract = tmp_path / "extract.csv"
    write_sample_extract(extract, 30, today=date(2026, 11, 28), error_rate=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VISH_", "AzureWebJobs"))}
    blocked = ",".join((*BLOCKED_IN_DEPLOYMENT, *sorted(dev_only_imports())))
    done = subprocess.run([sys.executable, "-c", DEPLOYED_RUN, str(extract), blocked], cwd=package,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    functions, verdict = done.stdout.strip().splitlines()[-2:]
    assert json.loads(functions) == ["connection_test", "deliver_daily", "redeliver",
                                     "release_extract", "status", "status_org", "validate_extract"]
    assert json.loads(verdict)["decision"] == "accepted"
