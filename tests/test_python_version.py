"""One Python version everywhere: the one Azure runs (Bicep), the one ``./run`` sets the virtual
environments up with, the one these tests run on, and the one the pinned worker needs. And
``./run`` finds it without a machine path: ``$PYTHON``, ``python3.13`` on PATH, then pyenv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.layering import ROOT
from tests.test_infra import parsed

RUN = ROOT / "run"


def run_python_version() -> str:
    [version] = re.findall(r"^PYTHON_VERSION=(\S+)$", RUN.read_text(), flags=re.M)
    return version


def test_azure_the_set_up_and_these_tests_use_one_python():
    version = run_python_version()
    assert parsed("main.bicep")["parameters"]["pythonVersion"]["default"] == version
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" == version
    assert f'requires-python = ">={version}"' in (ROOT / "pyproject.toml").read_text()
    assert f'target-version = "py{version.replace(".", "")}"' in (ROOT / "pyproject.toml").read_text()


def test_the_worker_and_the_library_are_pinned_for_that_python():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M))
    assert pins["azure-functions"].startswith("2.")
    assert re.fullmatch(r"\d+\.\d+\.\d+", pins["azure-functions-runtime"])
    assert "azurefunctions-extensions-bindings-blob" not in pins  # a second blob converter: see blob_binding
    from importlib.metadata import version

    for name in ("azure-functions", "azure-functions-runtime", "azurefunctions-extensions-base"):
        assert version(name) == pins[name], name


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUN), *args], capture_output=True, text=True, env=env, timeout=60)


def _bare_path(tmp_path: Path) -> str:
    """A PATH with bash and coreutils but no Python 3.13 and no pyenv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("bash", "env", "dirname", "grep", "sort", "tail", "cat", "sed"):
        found = next((Path(d) / tool for d in ("/usr/bin", "/bin") if (Path(d) / tool).exists()), None)
        if found:
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_without_python_313_run_says_in_one_line_what_to_install(tmp_path):
    env = {"PATH": _bare_path(tmp_path), "HOME": str(tmp_path)}
    done = _run(["python"], env)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "needs Python 3.13" in line and "pyenv install 3.13" in line and "PYTHON=" in line


def test_a_python_of_another_version_is_refused(tmp_path):
    other = tmp_path / "python3.11"
    other.write_text("#!/bin/sh\necho 'Python 3.11.7'\nexit 1\n")
    other.chmod(0o755)
    done = _run(["python"], {"PATH": _bare_path(tmp_path), "PYTHON": str(other)})
    assert done.returncode == 2 and "is not Python 3.13" in done.stderr


def test_python_names_the_interpreter_given(tmp_path):
    done = _run(["python"], {"PATH": _bare_path(tmp_path), "PYTHON": sys.executable})
    assert done.returncode == 0 and done.stdout.strip() == sys.executable


def test_pyenv_is_asked_for_its_newest_313_when_none_is_on_path(tmp_path):
    """A stand-in pyenv with 3.12, two 3.13s (3.13.9 sorts after 3.13.10 as text) and a
    virtualenv: the newest 3.13.x by version is taken."""
    root = tmp_path / "pyenv-root"
    for version in ("3.12.9", "3.13.9", "3.13.10"):
        (root / "versions" / version / "bin").mkdir(parents=True)
    (root / "versions/3.13.10/bin/python3.13").symlink_to(sys.executable)
    (root / "versions/3.13.9/bin/python3.13").symlink_to(sys.executable)
    pyenv = Path(_bare_path(tmp_path)) / "pyenv"
    pyenv.write_text(f"#!/bin/sh\ncase \"$1\" in\n  root) echo {root} ;;\n"
                     "  versions) printf '3.12.9\\n3.13.10\\n3.13.9\\n3.13.10/envs/tools\\n' ;;\nesac\n")
    pyenv.chmod(0o755)
    done = _run(["python"], {"PATH": str(pyenv.parent), "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(root / "versions/3.13.10/bin/python3.13")



def _run_functions(*names: str) -> str:
    """The named shell functions of ./run, with its PYTHON_VERSION, as a script to source."""
    text = RUN.read_text()
    parts = [f"PYTHON_VERSION={run_python_version()}"]
    for name in names:
        [body] = re.findall(rf"^{name}\(\) \{{\n.*?^\}}\n", text, flags=re.M | re.S)
        parts.append(body)
    return "\n".join(parts)


def test_a_venv_of_a_python_that_no_longer_runs_is_made_anew_and_a_good_one_kept(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(tmp_path / "removed-python3.13")  # dangling
    (venv / "left-over").write_text("x")
    script = _run_functions("interpreter_of", "fresh_venv") + f'\nPY={sys.executable}\nfresh_venv "$1"\n'
    done = subprocess.run(["bash", "-c", script, "run", str(venv)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "a Python that no longer runs" in done.stdout and not (venv / "left-over").exists()
    base = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import os, sys; print(os.path.realpath(sys._base_executable))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert base == os.path.realpath(sys.executable)
    (venv / "kept").write_text("x")  # made by the same interpreter: left alone
    again = subprocess.run(["bash", "-c", script, "run", str(venv)], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and again.stdout == "" and (venv / "kept").exists()
