"""The host contract: the pinned Python worker (``azure-functions-runtime``, requirements.txt) runs
the deployment package the way the Functions host drives it on Azure.

A stand-in host (``tests/host_contract``) starts the worker in its own process on a copy of the
package, on Python 3.13, and speaks the host's protocol messages to it: init, metadata, load,
then invocations shaped as the host sends them (model binding data for the blob trigger, RpcHttp
for HTTP, the timer's JSON). Azurite and an SFTP server on loopback are the storage and SNG.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from devtools.sample import HEADER, sample_rows
from devtools.sftp_testserver import SftpTestServer
from shared import config, wiring
from shared.adapters.secrets import env_name
from shared.clock import local_today
from shared.usecases.intake import EXTRACTS_CONTAINER, SNAPSHOT_NAME
from tests.conftest import organisations_for
from tests.host_contract.host import StandInHost, app_env, machine_env, package_copy
from tests.layering import ROOT

pytestmark = pytest.mark.integration

# What the host reads from the worker's metadata, per function: the trigger's type, its route or
# path and its other settings, and the HTTP output. Azure builds the app's triggers from exactly
# this; a change here is a change of the deployed interface.
HTTP_OUT = {"direction": "OUT", "type": "http", "name": "$return"}


def _http(route: str, method: str, auth: str) -> list[dict]:
    return [{"direction": "IN", "type": "httpTrigger", "name": "req", "methods": [method],
             "authLevel": auth, "route": route}, HTTP_OUT]


EXPECTED_BINDINGS = {
    "validate_extract": [{"direction": "IN", "type": "blobTrigger", "name": "client",
                          "path": "extracts/{org}/{name}", "connection": "AzureWebJobsStorage",
                          "source": "EventGrid", "properties": {"SupportsDeferredBinding": True}}],
    "deliver_daily": [{"direction": "IN", "type": "timerTrigger", "name": "timer",
                       "schedule": "%VISH_DELIVERY_SCHEDULE%", "runOnStartup": False, "useMonitor": True}],
    "deliver_one": [{"direction": "IN", "type": "queueTrigger", "name": "message",
                     "queueName": "%VISH_DELIVERY_QUEUE%", "connection": "AzureWebJobsStorage"}],
    "deliver_poison": [{"direction": "IN", "type": "queueTrigger", "name": "message",
                        "queueName": "%VISH_DELIVERY_QUEUE%-poison", "connection": "AzureWebJobsStorage"}],
    "status": _http("status", "GET", "FUNCTION"),
    "status_org": _http("status/{org}", "GET", "FUNCTION"),
    "redeliver": _http("deliveries/{org}", "POST", "ADMIN"),
    "connection_test": _http("connection-test/{org}", "POST", "ADMIN"),
    "release_extract": _http("extracts/{org}/release", "POST", "ADMIN"),
    "release_delivery": _http("deliveries/{org}/release", "POST", "ADMIN"),
    "confirm_delivery": _http("deliveries/{org}/confirm", "POST", "ADMIN"),
}
DEFERRED = {"validate_extract"}


def pinned(distribution: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.split("#")[0].strip().startswith(f"{distribution}=="):
            return line.split("==", 1)[1].split("#")[0].strip()
    raise AssertionError(f"{distribution} is not pinned in requirements.txt")


def contract_problems(host: StandInHost) -> list[str]:
    """Everything that differs from the contract the host relies on (empty: all is well)."""
    problems = []
    ok = host.protos.StatusResult.Success
    if host.init_response is None or host.init_response.result.status != ok:
        message = host.init_response.result.exception.message if host.init_response else "no answer"
        return [f"worker init failed: {message}"]
    if host.metadata_response.result.status != ok:
        return [f"indexing failed: {host.metadata_response.result.exception.message}"]
    indexed = {name: fn.raw_bindings for name, fn in host.functions.items()}
    if set(indexed) != set(EXPECTED_BINDINGS):
        problems.append(f"functions indexed: {sorted(indexed)}, expected {sorted(EXPECTED_BINDINGS)}")
    for name, bindings in indexed.items():
        deferred = any(b.get("properties", {}).get("SupportsDeferredBinding") is True for b in bindings)
        if deferred != (name in DEFERRED):
            problems.append(f"{name}: SupportsDeferredBinding is {'on' if deferred else 'off'}")
        if name in EXPECTED_BINDINGS and bindings != EXPECTED_BINDINGS[name]:
            problems.append(f"{name}: raw bindings {bindings}")
    return problems


def worker_env(azurite, work_dir: Path, organisations: str, **extra: str) -> dict[str, str]:
    """The app settings the host gives the worker process (local values)."""
    return app_env(azurite.connection_string, organisations, work_dir, **extra)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return package_copy(tmp_path_factory.mktemp("wwwroot"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("host")


@pytest.fixture(scope="module")
def booted(package, scratch, azurite, tmp_path_factory):
    """The worker on the package, booted, with an organisation that has no SFTP target, on a
    storage account as a first deployment finds it (no outcomes table yet)."""
    orgs = organisations_for("hcidle").model_dump_json()
    env = worker_env(azurite, tmp_path_factory.mktemp("work"), orgs,
                     VISH_OUTCOMES_TABLE=f"fresh{os.getpid()}{int(time.time())}")
    with StandInHost(package, scratch, env) as host:
        host.boot()
        yield host


# -- init and metadata ---------------------------------------------------------------------------

def test_the_worker_is_the_pinned_runtime_on_python_313(booted):
    metadata = booted.init_response.worker_metadata
    assert metadata.worker_version == pinned("azure-functions-runtime")
    assert metadata.runtime_version == "3.13" == f"{sys.version_info[0]}.{sys.version_info[1]}"
    from importlib.metadata import version

    assert version("azure-functions") == pinned("azure-functions")


def test_metadata_carries_the_raw_bindings_of_every_function_and_deferred_binding_only_on_the_blob(booted):
    assert contract_problems(booted) == []
    assert not booted.metadata_response.use_default_metadata_indexing
    assert all(fn.metadata.properties["worker_indexed"] == "True" for fn in booted.functions.values())


def test_the_app_was_imported_from_the_package_alone(booted, package):
    """The worker ran the copy of the deployment package, not the checkout (a file missing from
    the package would have failed the import)."""
    assert Path(booted.functions["validate_extract"].metadata.directory) == package.resolve()
    log = booted.worker_log()
    for module in ("function_app", "shared"):
        [line] = [x for x in log.splitlines() if x.startswith(f"stand-in worker: {module} from ")]
        assert line.split(" from ", 1)[1].startswith(str(package.resolve())), line


def test_status_answers_on_a_fresh_deployment_before_any_outcome(booted):
    """The first status request after deployment: no table yet. An answer, never a 500."""
    for name, path, params in (("status", "status", {}), ("status_org", "status/hcidle", {"org": "hcidle"})):
        answer = booted.http(name, "GET", path, route_params=params)
        # An organisation without an SFTP target yet is "nog niet aangesloten": healthy (200).
        assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
        assert "hcidle" in answer.body.decode() and "not_connected" in answer.body.decode()
    assert "Request URL" not in booted.worker_log()  # the SDK's per-request INFO lines are quieted


# -- the blob trigger's binding data -------------------------------------------------------------

def test_a_bytes_datum_fails_with_the_cause_named(booted):
    response = booted.invoke("validate_extract", {"client": booted.protos.TypedData(bytes=b"BSN;...")})
    message = booted.failure(response)
    assert message.startswith("BlobBindingError: ") and "'bytes' data" in message
    assert "deferred binding is off" in message and "AttributeError" not in message


def test_an_empty_datum_fails_with_the_cause_named(booted):
    response = booted.invoke("validate_extract", {"client": booted.protos.TypedData()})
    message = booted.failure(response)
    assert message.startswith("BlobBindingError: ") and "no data" in message
    assert "AttributeError" not in message


@pytest.mark.parametrize("missing", ["BlobName", "ContainerName", "Connection"])
def test_binding_data_without_a_key_names_the_key_and_never_the_blob(booted, missing):
    reference = booted.blob_reference(EXTRACTS_CONTAINER, "hcidle/999999990.csv", **{missing: None})
    message = booted.failure(booted.invoke("validate_extract", {"client": reference}))
    assert message.startswith("BlobBindingError: ") and f"lacks {missing}" in message
    assert "999999990" not in message


def test_an_unconfigured_other_connection_is_refused_by_its_setting_names(booted):
    reference = booted.blob_reference(EXTRACTS_CONTAINER, "hcidle/x.csv", connection="OtherStorage")
    message = booted.failure(booted.invoke("validate_extract", {"client": reference}))
    assert "connection 'OtherStorage' is not configured" in message
    assert "OtherStorage__blobServiceUri" in message


# -- a whole day through the worker: blob, timer, status, admin ------------------------------------

def _extract(today: date) -> tuple[bytes, list[str]]:
    rows = list(sample_rows(30, today=today, seed=11, error_rate=0))
    personal = set()
    for row in rows:
        fields = row.split(";")
        personal.update(v for v in (fields[0], fields[1], fields[2], fields[3]) if v)
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8"), sorted(personal)


def test_a_day_through_the_worker(package, scratch, azurite, tmp_path, settings, monkeypatch, org_code):
    org = org_code  # and a table of its own: the session's Azurite outlives this test
    table = f"day{org_code}"
    monkeypatch.setenv("VISH_OUTCOMES_TABLE", table)
    with SftpTestServer(tmp_path / "sng") as sng:
        sftp = {"host": "127.0.0.1", "port": sng.port, "username": "sng", "host_key": sng.host_key_line,
                "secret_name": "sng-key", "backoff_seconds": 0, "connect_timeout": 3,
                "operation_timeout": 10}
        orgs = organisations_for(org, sftp=sftp, send_time="00:00").model_dump_json()
        monkeypatch.setenv("VISH_ORGANISATIONS_JSON", orgs)
        config.get_settings.cache_clear()
        intake = wiring.build_intake(config.get_settings())
        intake.ensure_storage()
        env = worker_env(azurite, tmp_path / "work", orgs, VISH_OUTCOMES_TABLE=table,
                         VISH_DELIVERY_QUEUE=settings.delivery_queue,
                         **{env_name("sng-key"): sng.client_private_key})
        delivery = wiring.build_delivery(config.get_settings())
        queue = delivery.queue
        queue.ensure()

        def from_the_queue(*, poison: bool = False) -> str:
            """What the host takes from the queue and hands the queue trigger (then deletes)."""
            message = queue.receive(poison=poison, visibility_timeout=60)
            assert message is not None
            function = "deliver_poison" if poison else "deliver_one"
            answer = host.queue(function, message.text, message_id=message.id,
                                dequeue_count=message.dequeue_count)
            assert host.failure(answer) is None
            queue.delete(message, poison=poison)
            return message.text
        data, personal = _extract(local_today())
        personal.append("999999990")  # a BSN in the file's name
        name = f"{org}/export 999999990.csv"
        intake.blobs.upload(EXTRACTS_CONTAINER, name, data)
        bodies: list[bytes] = []
        with StandInHost(package, scratch, env) as host:
            host.boot()

            # 1. the blob trigger, as the host sends it with deferred binding on
            reference = host.blob_reference(EXTRACTS_CONTAINER, name)
            metadata = host.blob_metadata(EXTRACTS_CONTAINER, name, intake.blobs.service.url.rstrip("/"))
            response = host.invoke("validate_extract", {"client": reference}, metadata)
            assert host.failure(response) is None
            extract = intake.outcomes.latest(org, "extract")
            assert extract["decision"] == "accepted" and extract["people"] > 0
            assert intake.blobs.info(settings.snapshots_container, f"{org}/{SNAPSHOT_NAME}") is not None
            container, report = extract["report"].split("/", 1)
            assert json.loads(intake.blobs.read_bytes(container, report))["decision"] == "accepted"

            # 2. the timer: the organisation is due from 00:00, so the tick queues its request,
            # and the queue trigger delivers it to SNG
            assert host.failure(host.timer("deliver_daily")) is None
            assert sng.files() == {} and queue.waiting() == 1
            from_the_queue()
            [delivered] = sng.files()
            assert re.fullmatch(r"VISH_TST-1_\d{8}_001\.csv", delivered)
            assert intake.outcomes.latest(org, "delivery")["status"] == "succeeded"

            # 3. status through the worker's HTTP path: 200 while all is well
            status = host.http("status", "GET", "status")
            bodies.append(status.body)
            assert status.status == 200, status.body
            assert status.json()["organisations"][0]["health"] in ("ok", "pending")
            assert status.headers["content-type"].startswith("application/json")

            # 4. an admin POST: a manual re-delivery with its reason
            answer = host.http("redeliver", "POST", f"deliveries/{org}", route_params={"org": org},
                               body=json.dumps({"reason": "contracttest"}),
                               headers={"Content-Type": "application/json"})
            bodies.append(answer.body)
            assert answer.status == 202 and answer.json()["status"] == "queued"
            from_the_queue()
            assert len(sng.files()) == 2

            refused = host.http("redeliver", "POST", f"deliveries/{org}", route_params={"org": org},
                                headers={"Content-Type": "application/json"})
            bodies.append(refused.body)
            assert refused.status == 400 and refused.json()["code"] == "reason_required"

            # 5. SNG unreachable: the manual delivery fails, and status turns 503 with its reason
            sng.stop()
            failed = host.http("redeliver", "POST", f"deliveries/{org}", route_params={"org": org},
                               body=json.dumps({"reason": "contracttest"}).encode())
            bodies.append(failed.body)
            assert failed.status == 202
            from_the_queue()
            assert intake.outcomes.latest(org, "delivery")["error_kind"] == "connect"

            # 6. a request that used every try (the worker died each time) lands in the poison
            # queue: its trigger records it as the organisation's failure
            died = delivery.new_request(org, local_today(), reason="contracttest", manual=True)
            queue.poison.send_message(died.to_json())
            from_the_queue(poison=True)
            assert intake.outcomes.latest(org, "delivery")["error_kind"] == "queue_poison"
            status = host.http("status", "GET", "status")
            bodies.append(status.body)
            assert status.status == 503, status.body
            assert status.json()["organisations"][0]["health"] == "failing"
            page = host.http("status_org", "GET", f"status/{org}", route_params={"org": org},
                             headers={"Accept": "text/html"})
            bodies.append(page.body)
            assert page.status == 503 and page.headers["content-type"].startswith("text/html")
        log = host.worker_log()
        # nothing personal from the extract in any answer or in the worker's whole log
        seen = b"\n".join(bodies).decode() + log
        leaked = [value for value in personal if value in seen]
        assert leaked == [], leaked
        assert "Successfully indexed function app" in log
        assert_only_the_package_and_its_requirements(host)


def assert_only_the_package_and_its_requirements(host: StandInHost) -> None:
    """After a day of work: nothing was imported from the checkout outside the package, and
    every module outside the standard library came with requirements.txt (the development
    environment has more installed than Azure will)."""
    from tests.layering import runtime_imports

    from_checkout, tops = host.modules_report()
    assert from_checkout == []
    _, not_required = runtime_imports()
    stand_in = {"google", "function_rpc_pb2"}  # the stand-in's own protobuf messages
    assert sorted(set(tops) & not_required - stand_in) == []


# -- the two traps: the contract check fails when they happen -------------------------------------

def _variant(package: Path, target: Path, edits: dict[str, tuple[str, str]]) -> Path:
    import shutil

    shutil.copytree(package, target)
    for rel, (old, new) in edits.items():
        text = (target / rel).read_text()
        assert old in text, (rel, old)
        (target / rel).write_text(text.replace(old, new))
    return target


def test_the_check_fails_when_deferred_binding_is_off(package, scratch, azurite, tmp_path):
    """The trap: the converter's module imported lazily (here: inside the function, the parameter
    without its annotation). The host would send every extract's bytes; the check says so."""
    variant = _variant(package, tmp_path / "lazy", {
        "function_app.py": ("import shared.adapters.blob_binding  # noqa: F401\n", ""),
        "functions/validate_extract.py": (
            "from shared.adapters.blob_binding import StreamingBlob\n", ""),
    })
    text = (variant / "functions/validate_extract.py").read_text()
    (variant / "functions/validate_extract.py").write_text(
        text.replace("def validate_extract(client: StreamingBlob) -> None:",
                     "def validate_extract(client) -> None:\n"
                     "    from shared.adapters.blob_binding import StreamingBlob  # noqa: F401"))
    env = worker_env(azurite, tmp_path / "work", organisations_for("hclazy").model_dump_json())
    with StandInHost(variant, scratch, env) as host:
        host.initialise()
        host.index()
        assert "validate_extract: SupportsDeferredBinding is off" in contract_problems(host)


def test_the_check_fails_when_a_second_blob_converter_is_registered(package, scratch, azurite, tmp_path):
    """The trap: the official blob extension imported next to ours. Two converters for 'blob'
    make the whole app fail to index; the check says so."""
    variant = _variant(package, tmp_path / "twice", {
        "function_app.py": ("import shared.adapters.blob_binding  # noqa: F401\n",
                            "import shared.adapters.blob_binding  # noqa: F401\n"
                            "import azurefunctions.extensions.bindings.blob  # noqa: F401\n"),
    })
    env = worker_env(azurite, tmp_path / "work", organisations_for("hctwice").model_dump_json())
    with StandInHost(variant, scratch, env) as host:
        host.initialise()
        host.index()
        [problem] = contract_problems(host)
        assert problem.startswith("worker init failed") and "cannot register a converter" in problem


def test_a_placeholder_worker_specialised_to_the_app(package, scratch, azurite, tmp_path):
    """How a worker can also get the app: started for an empty placeholder site, then given the
    app's folder and settings (FunctionEnvironmentReloadRequest), which replace the process
    environment and are appended to sys.path. The app reads no setting at import, so the
    specialised worker indexes it and answers with the new settings."""
    placeholder = tmp_path / "placeholder"
    placeholder.mkdir()
    start_env = machine_env()
    app_env = worker_env(azurite, tmp_path / "work", organisations_for("hcspecial").model_dump_json(),
                         VISH_OUTCOMES_TABLE=f"special{os.getpid()}{int(time.time())}")
    with StandInHost(placeholder, scratch, start_env) as host:
        init = host.initialise()
        assert init.result.status == host.protos.StatusResult.Success
        host.index()
        assert host.functions == {}  # nothing to index in a placeholder
        reloaded = host.specialise(package, app_env)
        assert reloaded.result.status == host.protos.StatusResult.Success, reloaded.result.exception.message
        host.index()
        assert contract_problems(host) == []
        assert all(loaded.result.status == host.protos.StatusResult.Success
                   for loaded in host.load_all().values())
        status = host.http("status_org", "GET", "status/hcspecial", route_params={"org": "hcspecial"})
        assert status.status == 200 and status.json()["code"] == "hcspecial"
        assert status.json()["health"] == "not_connected"
