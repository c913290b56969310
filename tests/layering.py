"""Reads the project's imports and its deployment package, for ``tests/test_layout.py``.

Every Python file is read with ``ast``: imports inside functions and ``TYPE_CHECKING`` blocks
count, as do ``importlib.import_module("...")``/``__import__("...")`` calls and any other string
that names a module which is not deployed (``runpy``, ``subprocess`` with ``vish-dev``). The
rules, drawn in ``shared/__init__.py``:

* the domain imports only pure standard-library modules (an allow-list: no network, no
  processes, no environment, no clock), pydantic and itself, and never reads the clock;
* support (config, log, clock) imports only the domain; adapters never import a use case, the
  wiring or an entry point; use cases never import the wiring or an entry point;
* the deployment package (the work tree minus ``.funcignore``) holds only the product, and no
  module in it imports a development stand-in, a test, a benchmark or a package that
  ``requirements.txt`` does not install;
* no import cycle between the project's modules.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

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
# What the deployment package may hold at its top level: the product and nothing else.
PRODUCT = {"function_app.py", "functions", "shared", "host.json", "requirements.txt"}
# Each file the package may hold (what .funcignore's allow-list lets in).
PRODUCT_FILE = re.compile(r"(?:functions|shared)/.+\.py|shared/domain/profiles/[^/]+\.json"
                          r"|function_app\.py|host\.json|requirements\.txt")
# Standard-library modules the domain may use: computation on values and streams. Not on the
# list (so refused): network, processes, threads of work, the environment, the clock.
DOMAIN_STDLIB = {
    "__future__", "abc", "array", "bisect", "codecs", "collections", "contextlib", "copy", "csv",
    "dataclasses", "datetime", "decimal", "enum", "functools", "gc", "hashlib", "heapq", "html",
    "io", "itertools", "json", "math", "operator", "pathlib", "re", "statistics", "string",
    "struct", "tempfile", "textwrap", "threading", "typing", "unicodedata", "zlib", "zoneinfo",
}
DOMAIN_THIRD_PARTY = {"pydantic"}
CLOCK_METHODS = {"now", "utcnow", "today"}
_NOT_DEPLOYED_NAME = re.compile(r"(?:devtools|tests|benchmarks)(?:\.\w+)*|vish-dev")


@dataclass(frozen=True)
class Import:
    target: str  # dotted module name (relative imports resolved)
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def imports_of(path: Path, root: Path, modules: set[str] = frozenset()) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    docstrings = _docstrings(tree)
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
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings):
            text = node.value.strip()
            if _NOT_DEPLOYED_NAME.fullmatch(text):  # runpy, import_module, a subprocess ...
                found.append(Import(text.replace("vish-dev", "devtools"), node.lineno))
            elif (re.fullmatch(r"[A-Za-z_]\w*(?:\.\w+)+", text)
                  and _is_import_call_argument(node, tree)):
                found.append(Import(text, node.lineno))
    return found


def _is_import_call_argument(constant: ast.Constant, tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and node.args[0] is constant:
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            return callee in ("import_module", "__import__", "run_module", "resolve_name")
    return False


def clock_calls(path: Path) -> list[int]:
    """Lines that ask the system for the time: ``datetime.now()``, ``dt.date.today()``, an
    aliased class ... (``time`` itself is not on the domain's allow-list)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()  # names bound to the datetime module
    classes: set[str] = set()  # names bound to datetime.datetime or datetime.date
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "datetime"}
        elif isinstance(node, ast.ImportFrom) and node.module == "datetime":
            classes |= {a.asname or a.name for a in node.names if a.name in ("datetime", "date")}

    def is_clock_class(value: ast.AST) -> bool:
        if isinstance(value, ast.Name):
            return value.id in classes
        return (isinstance(value, ast.Attribute) and value.attr in ("datetime", "date")
                and isinstance(value.value, ast.Name) and value.value.id in modules)

    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_METHODS and is_clock_class(node.func.value)]


def layer_of(module: str) -> str | None:
    """The project layer of a module, or None for what is not the project's deployed code."""
    top = module.split(".")[0]
    if module == "shared":
        return "package"  # shared/__init__.py: the layer map as a docstring, imports nothing
    if top in NOT_DEPLOYED:
        return top
    for layer in ("domain", "adapters", "usecases"):
        if module == f"shared.{layer}" or module.startswith(f"shared.{layer}."):
            return layer
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


@dataclass(frozen=True)
class IgnorePattern:
    """One ``.funcignore`` line, read as azd reads it (github.com/denormal/go-gitignore, which
    azd's ``createDeployableZip`` uses): ``!`` negates, a leading ``/`` anchors, a trailing
    ``/`` matches folders only. A pattern without ``/`` is a *name* (unanchored: the last path
    part, anchored: the whole path, ``*`` crossing ``/``); one with ``**`` matches part by part
    from the top; any other pattern with ``/`` matches the whole path, ``*`` within one part."""

    text: str
    negated: bool
    anchored: bool
    directory: bool
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, line: str) -> IgnorePattern:
        body = line.rstrip()
        negated = body.startswith("!")
        body = body[negated:]
        anchored = body.startswith("/")
        body = body[anchored:]
        directory = body.endswith("/")
        body = body[: len(body) - directory]
        return cls(line, negated, anchored, directory, tuple(body.split("/")))

    def matches(self, rel: str, is_dir: bool) -> bool:
        if self.directory and not is_dir:
            return False
        if "**" in self.parts:
            return _match_any(self.parts, rel.split("/"))
        if len(self.parts) > 1:
            path = rel.split("/")
            return len(path) == len(self.parts) and all(
                fnmatch.fnmatchcase(p, g) for p, g in zip(path, self.parts, strict=True))
        target = rel if self.anchored else rel.rpartition("/")[2]
        return fnmatch.fnmatchcase(target, self.parts[0])


def _match_any(globs: tuple[str, ...], parts: list[str]) -> bool:
    if not globs:
        return not parts
    if globs[0] == "**":
        return _match_any(globs[1:], parts) or (bool(parts) and _match_any(globs, parts[1:]))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], globs[0]) and _match_any(globs[1:], parts[1:])


def funcignore_patterns(root: Path) -> list[IgnorePattern]:
    text = (root / ".funcignore").read_text(encoding="utf-8-sig")  # azd strips a BOM too
    return [IgnorePattern.parse(line) for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def is_ignored(rel: Path, patterns: list[IgnorePattern], is_dir: bool = False) -> bool:
    """The last pattern that matches decides; no match: not ignored. A path whose folder is
    ignored is ignored too (azd does not walk into it)."""
    parts = rel.parts
    for depth in range(1, len(parts) + 1):
        here, folder = "/".join(parts[:depth]), depth < len(parts) or is_dir
        for pattern in reversed(patterns):
            if pattern.matches(here, folder):
                if not pattern.negated:
                    return True
                break
    return False


# What azd leaves out of a function app's zip whatever .funcignore says (createDeployableZip).
AZD_ALWAYS_LEFT_OUT = {".funcignore", "local.settings.json"}


def package_files(root: Path) -> list[Path]:
    """The deployment package as ``azd deploy`` builds it: every file of the work tree (tracked
    or not) that ``.funcignore`` does not exclude, walking only folders it does not exclude."""
    patterns = funcignore_patterns(root)
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if d != ".azure" and not is_ignored(here / d, patterns, True)]
        found += [here / f for f in files
                  if f not in AZD_ALWAYS_LEFT_OUT and not is_ignored(here / f, patterns)]
    return sorted(found)


def python_files(root: Path) -> list[Path]:
    skip = {".venv", ".venv-tools", "node_modules", ".git", "infra-bicep", ".python_packages"}
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(root: Path = ROOT) -> set[str]:
    """The distributions ``requirements.txt`` installs, with everything they require."""
    from packaging.requirements import Requirement

    todo = []
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            todo.append(Requirement(line).name)
    seen: set[str] = set()
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in needs:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def runtime_imports(root: Path = ROOT) -> tuple[set[str], set[str]]:
    """Top-level import names installed here: (what requirements.txt brings, what it does not)."""
    runtime = runtime_distributions(root)
    inside, outside = set(), set()
    for top, dists in packages_distributions().items():
        names = {_canonical(d) for d in dists} - {"vish-bridge"}  # the project's own install
        if names:
            (inside if names & runtime else outside).add(top)
    return inside, outside - inside - set(sys.stdlib_module_names)


def violations(root: Path, runtime: set[str] | None = None) -> list[str]:
    """Every broken rule in the tree at ``root`` as readable lines (empty: the layout holds).
    ``runtime``: the third-party import names a deployed module may use (None: not checked)."""
    files = {module_name(p, root): p for p in python_files(root)}
    modules = set(files)
    patterns = funcignore_patterns(root)
    stdlib = set(sys.stdlib_module_names)
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for module, path in sorted(files.items()):
        layer = layer_of(module)
        rel = path.relative_to(root)
        deployed = not is_ignored(rel, patterns)
        if deployed and module.split(".")[0] in NOT_DEPLOYED:
            problems.append(f"{rel}: not excluded by .funcignore, but not product code")
        for imp in imports_of(path, root, modules):
            top = imp.target.split(".")[0]
            target = project_module(imp.target, modules)
            where = f"{rel}:{imp.line}"
            if target is not None and target != module:
                graph.setdefault(module, set()).add(target)
            if deployed and top in NOT_DEPLOYED:
                problems.append(f"{where}: deployed code imports {imp.target} (not deployed)")
            elif (deployed and runtime is not None and target is None and top not in stdlib
                  and top not in runtime):
                problems.append(f"{where}: deployed code imports {imp.target}, which "
                                "requirements.txt does not install")
            if layer == "domain" and target is None:
                if top in stdlib and top not in DOMAIN_STDLIB:
                    problems.append(f"{where}: domain imports {imp.target} (not a pure "
                                    "standard-library module: network, process, environment "
                                    "or clock)")
                elif top not in stdlib and top not in DOMAIN_THIRD_PARTY:
                    problems.append(f"{where}: domain imports {imp.target}")
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
    """The modules of each strongly connected group of more than one (Tarjan)."""
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
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
