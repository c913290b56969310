"""The layout is the architecture: imports point one way, and only the product is deployed.

The rules and the reader are in ``tests/layering.py``; here they run on the project, and on
small planted trees to prove that each rule can fail.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from datetime import date
from pathlib import Path

import pytest

from tests.layering import (
    NOT_DEPLOYED,
    ROOT,
    funcignore_patterns,
    is_ignored,
    layer_of,
    module_name,
    package_files,
    python_files,
    runtime_imports,
    violations,
)


# -- the project ------------------------------------------------------------------------------
def test_the_project_keeps_its_layers():
    runtime, _ = runtime_imports()
    assert violations(ROOT, runtime) == []


def test_every_layer_is_a_folder_with_code_in_it():
    for folder in ("shared/domain", "shared/adapters", "shared/usecases", "devtools"):
        modules = [p for p in (ROOT / folder).rglob("*.py") if p.name != "__init__.py"]
        assert len(modules) >= 3, folder
    layers = {layer_of(module_name(p, ROOT)) for p in python_files(ROOT)
              if p.relative_to(ROOT).parts[0] in ("shared", "functions")}
    assert None not in layers  # every product module sits in a known layer
    assert {"package", "domain", "support", "adapters", "usecases", "wiring", "entry"} == layers


def test_the_stand_ins_are_outside_the_deployed_package():
    patterns = funcignore_patterns(ROOT)
    assert all(is_ignored(Path(folder), patterns, is_dir=True) for folder in NOT_DEPLOYED)
    shared = {p.stem for p in (ROOT / "shared").rglob("*.py")}
    assert not {"demo", "devservices", "sftp_testserver", "sample"} & shared
    runtime, elsewhere = runtime_imports()
    assert {"azure", "paramiko", "pydantic"} <= runtime
    # the SFTP test server's library and the test tools are not installed in Azure
    assert {"asyncssh", "pytest", "hypothesis"} <= elsewhere


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
    "shared/domain/rules.py": "import re\nfrom datetime import date, datetime\nx = date(2026, 1, 1)\n",
    "shared/config.py": "import os\nfrom shared.domain.rules import y\n",
    "shared/adapters/store.py": "import paramiko\nfrom shared.domain import rules\n",
    "shared/usecases/work.py": "from shared.adapters.store import x\nfrom shared.domain.rules import y\n",
    "shared/wiring.py": "def f():\n    from shared.usecases.work import z\n",
    "functions/fn.py": "from shared.wiring import f\n",
    "shared/cli.py": '"""Use ``vish-dev`` or tests for that."""\nfrom shared import config, wiring\n',
    "devtools/demo.py": "from shared.wiring import f\nimport asyncssh\n",
}
RUNTIME = {"paramiko", "azure"}


def test_a_clean_tree_passes(tmp_path):
    assert violations(_tree(tmp_path, CLEAN), RUNTIME) == []


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("shared/domain/bad.py", "from shared.adapters.store import x\n", "domain imports adapters"),
    ("shared/domain/bad.py", "def f():\n    from shared.usecases import work\n",
     "domain imports usecases"),
    ("shared/domain/bad.py", "import azure.storage.blob\n", "domain imports azure.storage.blob"),
    ("shared/domain/bad.py", "import paramiko\n", "domain imports paramiko"),
    ("shared/domain/bad.py", "from shared import config\n", "domain imports support"),
    ("shared/domain/bad.py", "import socket\n", "not a pure standard-library module"),
    ("shared/domain/bad.py", "import os\nx = os.environ['A']\n", "not a pure standard-library"),
    ("shared/domain/bad.py", "from time import monotonic\n", "not a pure standard-library"),
    ("shared/domain/bad.py", "from datetime import datetime\nx = datetime.now()\n",
     "domain reads the clock"),
    ("shared/domain/bad.py", "import datetime as dt\nx = dt.date.today()\n",
     "domain reads the clock"),
    ("shared/domain/bad.py", "from datetime import datetime as D\nx = D.utcnow()\n",
     "domain reads the clock"),
    ("shared/domain/bad.py", "from devtools.sample import x\n", "deployed code imports devtools"),
    ("shared/adapters/bad.py", "from shared.usecases.work import z\n",
     "adapters imports usecases"),
    ("shared/adapters/bad.py", "from shared import wiring\n", "adapters imports wiring"),
    ("shared/usecases/bad.py", "from shared.cli import main\n", "usecases imports entry"),
    ("shared/usecases/bad.py", "from . import work\nfrom ..wiring import f\n",
     "usecases imports wiring"),
    ("shared/cli.py", "def demo():\n    from devtools.demo import run\n",
     "deployed code imports devtools.demo"),
    ("shared/cli.py", "import importlib\nimportlib.import_module('devtools.demo')\n",
     "deployed code imports devtools.demo"),
    ("shared/cli.py", "import runpy\nrunpy.run_module('devtools')\n",
     "deployed code imports devtools"),
    ("shared/cli.py", "import subprocess\nsubprocess.run(['vish-dev', 'demo'])\n",
     "deployed code imports devtools"),
    ("shared/cli.py", "x = __import__('shared.wiring')\ny = __import__('hypothesis.core')\n",
     "deployed code imports hypothesis.core, which requirements.txt does not install"),
    ("functions/bad.py", "import asyncssh\n", "deployed code imports asyncssh, which"),
    ("function_app.py", "from tests import helpers\n", "deployed code imports tests"),
    ("shared/domain/a.py", "from shared.domain import b\n", "import cycle"),
    ("shared/usecases/__init__.py", "from shared.usecases.work import z\n", "import cycle"),
])
def test_a_planted_wrong_arrow_is_found(tmp_path, name, text, expected):
    files = {**CLEAN, name: text}
    if name == "shared/domain/a.py":
        files["shared/domain/b.py"] = "def f():\n    from shared.domain import a\n"
    if name == "shared/usecases/__init__.py":  # a package and its submodule import each other
        files["shared/usecases/work.py"] = "from shared.usecases import z\n"
    problems = violations(_tree(tmp_path, files), RUNTIME)
    assert any(expected in p for p in problems), problems


def test_a_stand_in_left_in_the_deployed_package_is_found(tmp_path):
    tree = _tree(tmp_path, {**CLEAN, "devtools/demo.py": "x = 1\n"})
    (tree / ".funcignore").write_text("tests\nbenchmarks\n")
    assert any("not excluded by .funcignore" in p for p in violations(tree, RUNTIME))


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
        module = importlib.import_module(".".join(parts))
        assert pathlib.Path(module.__file__).resolve().is_relative_to(pathlib.Path.cwd()), module
import function_app

print(json.dumps(sorted(f.get_function_name() for f in function_app.app.get_functions())))
from shared.cli import main

sys.exit(main(["validate", sys.argv[1], "--json"]))
"""


def test_the_deployed_package_runs_without_the_development_tools(tmp_path):
    """A copy of the package, run with ``-S`` (no .pth files, so no editable install pointing
    back at the work tree) and only site-packages beside it: every module imports, the nine
    functions index, and ``vish validate`` works, with devtools, tests, benchmarks and every
    package that requirements.txt does not install refused."""
    from devtools.sample import write_sample_extract

    package = tmp_path / "package"
    for rel in package_files(ROOT):
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, package / rel)
    extract = tmp_path / "extract.csv"
    write_sample_extract(extract, 30, today=date(2026, 11, 28), error_rate=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VISH_", "AzureWebJobs"))}
    paths = sysconfig.get_paths()
    env["PYTHONPATH"] = os.pathsep.join([str(package), paths["purelib"], paths["platlib"]])
    _, elsewhere = runtime_imports()
    blocked = ",".join(sorted({*NOT_DEPLOYED, *elsewhere}))
    done = subprocess.run([sys.executable, "-S", "-c", DEPLOYED_RUN, str(extract), blocked],
                          cwd=package, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    functions, verdict = done.stdout.strip().splitlines()[-2:]
    assert json.loads(functions) == ["confirm_delivery", "connection_test", "deliver_daily", "deliver_one",
                                     "deliver_poison", "redeliver", "release_delivery", "release_extract",
                                     "status", "status_org", "validate_extract"]
    assert json.loads(verdict)["decision"] == "accepted"
