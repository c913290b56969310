"""Cold start: what ``import function_app`` costs beyond ``import azure.functions``, and the first
status request, each in fresh processes, median of several runs (same-run baseline). Then the
same through the pinned worker (``azure-functions-runtime``, driven by the host-contract test's
stand-in host): a fresh worker process from spawn to init, indexing and loading every function,
and its first ``GET /api/status``, as ratios to a fresh interpreter that imports
``azure.functions`` (measured in the same run).

Also lists the heaviest modules ``function_app`` pulls in (``python -X importtime``) and which of
the delivery SDKs are loaded at import (they should load only on first use).

    ./run bench coldstart [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 0.35
TIMED_IMPORT = ("import time; t = time.perf_counter(); import {module}; "
                "print(time.perf_counter() - t)")
FIRST_REQUEST = """
import time, json
t = time.perf_counter()
import function_app
import azure.functions as func
from devtools.devservices import user_function
imported = time.perf_counter()
req = func.HttpRequest("GET", "http://localhost/api/status", params={}, headers={}, body=b"")
response = user_function("status")(req)
done = time.perf_counter()
print(json.dumps({"import": imported - t, "first_request": done - imported,
                  "status": response.status_code}))
"""


def run(code: str, env: dict | None = None) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT, env=env).stdout.strip().splitlines()[-1]


def median_import(module: str, runs: int) -> float:
    return statistics.median(float(run(TIMED_IMPORT.format(module=module))) for _ in range(runs))


def heaviest(limit: int = 8) -> list[tuple[str, float]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import function_app"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip()
            if name.count(".") <= 2 and not name.startswith(" "):
                rows.append((name, int(parts[1]) / 1e6))
    top = {}
    for name, seconds in rows:
        top[name] = max(top.get(name, 0.0), seconds)
    return sorted(top.items(), key=lambda kv: -kv[1])[:limit]


def loaded_sdks() -> dict:
    code = ("import sys, json, function_app; print(json.dumps({m: m in sys.modules for m in "
            "('paramiko', 'azure.keyvault.secrets', 'azure.identity', 'azure.storage.blob', "
            "'azure.data.tables')}))")
    return json.loads(run(code))


def first_request(runs: int) -> dict:
    from devtools.devservices import Azurite

    with Azurite() as azurite:
        env = {**os.environ, "VISH_STORAGE_CONNECTION_STRING": azurite.connection_string}
        results = [json.loads(run(FIRST_REQUEST, env)) for _ in range(runs)]
    return {"import_s": statistics.median(r["import"] for r in results),
            "first_request_s": statistics.median(r["first_request"] for r in results),
            "http_status": results[-1]["status"]}


def bare_process(runs: int) -> float:
    """Wall time of a fresh interpreter that imports azure.functions: the baseline process."""
    import time

    def once() -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import azure.functions"], check=True, cwd=ROOT)
        return time.perf_counter() - start

    return statistics.median(once() for _ in range(runs))


def through_the_worker(runs: int) -> dict:
    """Spawn to every function loaded, and the first status request, in fresh worker processes."""
    import tempfile
    import time

    from devtools.devservices import Azurite
    from tests.host_contract.host import StandInHost, app_env, package_copy

    boots, firsts = [], []
    with tempfile.TemporaryDirectory() as scratch, Azurite() as azurite:
        scratch = Path(scratch)
        app = package_copy(scratch / "wwwroot")
        env = app_env(azurite.connection_string, json.dumps({"organisations": [{
            "code": "bench", "name": "Benchgemeente", "aansluitcode": "B-1",
            "contact": {"naam": "Team", "telefoon": "14 0999", "email": "b@voorbeeld.nl"}}]}))
        for _ in range(runs):
            start = time.perf_counter()
            with StandInHost(app, scratch, env) as host:
                host.boot()
                booted = time.perf_counter()
                status = host.http("status", "GET", "status").status
                done = time.perf_counter()
            boots.append(booted - start)
            firsts.append(done - booted)
    return {"boot_s": statistics.median(boots), "first_status_s": statistics.median(firsts),
            "http_status": status, "worker": _worker_version()}


def _worker_version() -> str:
    from importlib.metadata import version

    return f"azure-functions-runtime {version('azure-functions-runtime')}, Python {sys.version.split()[0]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = median_import("azure.functions", args.runs)
    app = median_import("function_app", args.runs)
    figures = {"azure_functions_s": base, "function_app_s": app, "beyond_azure_functions_s": app - base,
               "goal_s": GOAL_SECONDS, "goal_met": app - base <= GOAL_SECONDS,
               "sdks_loaded_at_import": loaded_sdks(), "heaviest_imports": heaviest(),
               "first_status_request": first_request(max(3, args.runs // 2))}
    baseline = bare_process(args.runs)
    worker = through_the_worker(max(3, args.runs // 2))
    figures["baseline_process_s"] = baseline
    figures["worker"] = {**worker, "boot_ratio": worker["boot_s"] / baseline,
                         "first_status_ratio": worker["first_status_s"] / baseline}
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    print(f"import azure.functions: {base:.3f} s; import function_app: {app:.3f} s "
          f"(median of {args.runs} fresh processes)")
    print(f"cost beyond azure.functions: {app - base:.3f} s (goal <= {GOAL_SECONDS} s: "
          f"{'met' if figures['goal_met'] else 'NOT met'})")
    print("SDKs loaded by the import: " + ", ".join(f"{k}={'yes' if v else 'no'}"
                                                    for k, v in figures["sdks_loaded_at_import"].items()))
    print("heaviest imports (cumulative s): "
          + ", ".join(f"{n} {s:.2f}" for n, s in figures["heaviest_imports"]))
    fr = figures["first_status_request"]
    print(f"first GET /api/status after import: {fr['first_request_s']:.3f} s "
          f"(HTTP {fr['http_status']})")
    w = figures["worker"]
    print(f"through the pinned worker ({w['worker']}): spawn to 9 functions loaded {w['boot_s']:.3f} s = "
          f"{w['boot_ratio']:.2f} x a fresh 'python -c \"import azure.functions\"' ({baseline:.3f} s); "
          f"first GET /api/status {w['first_status_s']:.3f} s = {w['first_status_ratio']:.2f} x "
          f"(HTTP {w['http_status']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
