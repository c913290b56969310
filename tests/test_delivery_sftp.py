"""The daily delivery end to end: Azurite (snapshot, outbox, outcomes, lease) and a real SFTP
server on loopback (asyncssh) standing in for SNG, with the faults real servers have."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from devtools.devservices import user_function
from devtools.sample import HEADER, sample_rows
from devtools.sftp_testserver import SftpTestServer
from shared import config
from shared.adapters.secrets import LocalSecrets, SecretError, SecretProvider, env_name
from shared.usecases.delivery import DeliveryService
from shared.usecases.intake import EXTRACTS_CONTAINER
from tests.conftest import organisations_for
from tests.helpers import TODAY, run_tick

pytestmark = pytest.mark.integration
DAY = date(2026, 11, 28)
AFTER_SEND = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)  # 07:30 local, send time 06:00


@pytest.fixture
def sng(tmp_path):
    with SftpTestServer(tmp_path / "sng") as server:
        yield server


def target(server, **overrides):
    return {"host": "127.0.0.1", "port": server.port, "username": "sng",
            "host_key": server.host_key_line, "secret_name": "sng-key", "backoff_seconds": 0,
            "connect_timeout": 5, "operation_timeout": 10, **overrides}


@pytest.fixture
def service(settings, org_code, sng, monkeypatch):
    return make_service(settings, org_code, sng, monkeypatch)


def make_service(settings, org_code, sng, monkeypatch, *, profile="vish-minimaal", secrets=None,
                 **sftp) -> DeliveryService:
    from shared.wiring import build_delivery

    orgs = organisations_for(org_code, sftp=target(sng, **sftp), profile=profile)
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", orgs.model_dump_json())
    config.get_settings.cache_clear()
    service = build_delivery(config.get_settings())
    service.secrets = secrets or LocalSecrets(environ={env_name("sng-key"): sng.client_private_key})
    service.now = lambda: AFTER_SEND
    service.sleep = lambda seconds: None
    from shared.wiring import build_intake

    build_intake(config.get_settings()).ensure_storage()
    service.queue.ensure()
    return service


def accept_extract(service, azurite, org, rows=40, seed=3):
    from azure.storage.blob import BlobClient

    data = ("\r\n".join([HEADER, *sample_rows(rows, today=TODAY, seed=seed, error_rate=0)]) + "\r\n").encode()
    name = f"{org}/export-{seed}.csv"
    service.blobs.upload(EXTRACTS_CONTAINER, name, data)
    from shared import wiring

    wiring.intake.cache_clear()
    user_function("validate_extract")(client=BlobClient.from_connection_string(
        azurite.connection_string, EXTRACTS_CONTAINER, name))
    assert service.outcomes.latest(org, "extract")["decision"] == "accepted"
    return data


def test_a_due_tick_delivers_the_file_once_and_archives_the_exact_bytes(service, azurite, org_code, sng):
    accept_extract(service, azurite, org_code)
    [outcome] = run_tick(service)
    assert outcome.status == "succeeded" and outcome.attempts == 1
    files = sng.files()
    assert list(files) == ["VISH_TST-1_20261128_001.csv"]
    archived = service.blobs.read_bytes("outbox", f"{org_code}/2026-11-28/VISH_TST-1_20261128_001.csv")
    assert files["VISH_TST-1_20261128_001.csv"] == archived
    latest = service.outcomes.latest(org_code, "delivery")
    assert latest["status"] == "succeeded" and latest["sha256"] == outcome.sha256
    assert latest["records"] == outcome.records > 0 and latest["day"] == "2026-11-28"
    assert run_tick(service) == []  # the next tick: already delivered today
    assert len(sng.files()) == 1


def test_the_timer_function_runs_the_same_path(service, azurite, org_code, sng, monkeypatch):
    from shared import wiring

    accept_extract(service, azurite, org_code)
    wiring.delivery.cache_clear()
    monkeypatch.setattr(wiring, "delivery", lambda: service)
    from azure.functions.queue import QueueMessage
    from azure.functions.timer import TimerRequest

    from shared.domain.delivery_request import parse_request

    user_function("deliver_daily")(timer=TimerRequest(past_due=True))
    assert sng.files() == {}  # the timer only queues the request ...
    taken = service.queue.receive(visibility_timeout=60)
    assert parse_request(taken.text).org == org_code
    # ... the queue trigger delivers it (the host hands the function the decoded body)
    user_function("deliver_one")(message=QueueMessage(id=taken.id, body=taken.text.encode(),
                                                      dequeue_count=taken.dequeue_count))
    assert list(sng.files()) == ["VISH_TST-1_20261128_001.csv"]


def test_duplicate_and_concurrent_deliveries_give_one_file(service, azurite, org_code, sng):
    accept_extract(service, azurite, org_code)
    results = []
    threads = [threading.Thread(target=lambda: results.append(service.deliver(org_code, DAY, reason="t")))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results).count("succeeded") == 1
    assert {r.status for r in results} <= {"succeeded", "busy", "skipped"}
    assert len(sng.files()) == 1
    assert service.deliver(org_code, DAY, reason="again").status == "skipped"


def test_manual_redelivery_goes_through_the_same_path_with_a_new_sequence(service, azurite, org_code, sng):
    accept_extract(service, azurite, org_code)
    service.deliver(org_code, DAY, reason="schedule")
    again = service.deliver(org_code, DAY, reason="SNG vroeg om herlevering", manual=True)
    assert again.status == "succeeded" and again.file.endswith("_002.csv")
    assert sorted(sng.files()) == ["VISH_TST-1_20261128_001.csv", "VISH_TST-1_20261128_002.csv"]
    manual = service.outcomes.latest(org_code, "manual")
    assert manual["reason"] == "SNG vroeg om herlevering" and manual["action"] == "redeliver"


def test_connection_cut_mid_upload_is_retried_and_leaves_exactly_one_final_file(
        service, azurite, org_code, sng):
    accept_extract(service, azurite, org_code, rows=400)
    sng.faults.cut_after_bytes, sng.faults.cuts_left = 2000, 1
    outcome = service.deliver(org_code, DAY, reason="t")
    assert outcome.status == "succeeded" and outcome.attempts == 2
    assert list(sng.files()) == [outcome.file]  # no .part left behind


@pytest.mark.parametrize(("setup", "kind", "attempts_expected"), [
    (lambda sng: {"port": 1}, "connect", True),
    (lambda sng: {"host_key": SftpTestServer(sng.root).host_key_line}, "host_key", False),
    (lambda sng: {"username": "iemand-anders"}, "auth", False),
])
def test_connection_failures_are_recorded_and_only_transient_ones_retried(
        settings, org_code, sng, monkeypatch, azurite, setup, kind, attempts_expected, caplog):
    service = make_service(settings, org_code, sng, monkeypatch, **setup(sng))
    accept_extract(service, azurite, org_code)
    outcome = service.deliver(org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind) == ("failed", kind)
    latest = service.outcomes.latest(org_code, "delivery")
    assert latest["status"] == "failed" and latest["error_kind"] == kind
    assert service.outcomes.latest(org_code, "delivery_success") is None
    retried = "retrying" in caplog.text
    assert retried is attempts_expected
    assert sng.files() == {}


def test_permission_denied_is_not_retried(service, azurite, org_code, sng, caplog):
    accept_extract(service, azurite, org_code)
    sng.faults.deny_write = True
    outcome = service.deliver(org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind) == ("failed", "permission")
    assert "retrying" not in caplog.text


def test_a_refused_rename_fails_and_the_next_attempt_cleans_up(service, azurite, org_code, sng):
    accept_extract(service, azurite, org_code)
    sng.faults.deny_rename = True
    outcome = service.deliver(org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind) == ("failed", "rename")
    assert sng.files() == {}  # the refused file is removed: the answer was known
    assert service.outcomes.intent(org_code) is None  # so nothing is left to reconcile
    sng.faults.deny_rename = False
    sng.faults.refuse_overwrite = True
    assert service.deliver(org_code, DAY, reason="retry").status == "succeeded"
    assert list(sng.files()) == ["VISH_TST-1_20261128_001.csv"]


class Unreachable(SecretProvider):
    def get(self, name):
        raise SecretError(f"Key Vault niet bereikbaar bij het lezen van geheim '{name}'", transient=True)


def test_key_vault_unreachable_is_a_recorded_failure(settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch, secrets=Unreachable())
    accept_extract(service, azurite, org_code)
    outcome = service.deliver(org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind) == ("failed", "secret")
    assert "sng-key" in service.outcomes.latest(org_code, "delivery")["error"]


def test_no_accepted_extract_yet_is_a_clear_failure(service, org_code):
    outcome = service.deliver(org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind) == ("failed", "no_snapshot")


def test_password_authentication(settings, org_code, tmp_path, monkeypatch, azurite):
    with SftpTestServer(tmp_path / "pw", password="geheim-wachtwoord") as server:
        service = make_service(settings, org_code, server, monkeypatch, auth="password",
                               secrets=LocalSecrets(environ={env_name("sng-key"): "geheim-wachtwoord"}))
        accept_extract(service, azurite, org_code)
        assert service.deliver(org_code, DAY, reason="t").status == "succeeded"


def test_mutation_profile_sends_only_changes_against_the_last_delivered_file(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch, profile="voorbeeld-mutaties")
    accept_extract(service, azurite, org_code, rows=30, seed=3)
    first = service.deliver(org_code, DAY, reason="t")
    assert first.records == first.people
    service.now = lambda: datetime(2026, 11, 29, 6, 30, tzinfo=UTC)
    second = service.deliver(org_code, date(2026, 11, 29), reason="t")
    assert second.status == "succeeded" and second.records == 0  # nothing changed
    text = sng.files()[second.file].decode("windows-1252")
    assert text == "EINDE|0\r\n"


def test_dry_run_builds_without_sending_or_recording(service, azurite, org_code, sng):
    accept_extract(service, azurite, org_code)
    outcome = service.deliver(org_code, DAY, reason="t", dry_run=True)
    assert outcome.status == "dry_run" and outcome.records > 0 and sng.files() == {}
    assert service.outcomes.latest(org_code, "delivery") is None


def test_vish_deliver_and_sftp_check_drive_the_same_code(settings, org_code, sng, monkeypatch, azurite,
                                                        capsys):
    import json

    from shared.cli import main

    service = make_service(settings, org_code, sng, monkeypatch)
    monkeypatch.setenv(env_name("sng-key"), sng.client_private_key)
    accept_extract(service, azurite, org_code)
    assert main(["sftp-check", "--org", org_code, "--probe", "--json"]) == 0
    check = json.loads(capsys.readouterr().out)
    assert check["ok"] and [s["step"] for s in check["steps"]][-1] == "proefbestand"
    assert main(["deliver", "--org", org_code, "--date", "2026-11-28", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "dry_run" and sng.files() == {}
    assert main(["deliver", "--org", org_code, "--date", "2026-11-28"]) == 0
    assert "verzonden" in capsys.readouterr().out and len(sng.files()) == 1
    assert main(["deliver", "--org", org_code, "--date", "2026-11-28", "--force"]) == 2
    assert main(["deliver", "--org", org_code, "--date", "2026-11-28", "--force",
                 "--reason", "test herlevering", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["file"].endswith("_002.csv")


def test_no_bsn_in_delivery_outcomes_or_logs(service, azurite, org_code, sng, debug_logs):
    import json

    data = accept_extract(service, azurite, org_code)
    sng.faults.cut_after_bytes, sng.faults.cuts_left = 500, 1
    assert service.deliver(org_code, DAY, reason="t").status == "succeeded"
    numbers = {cell for line in data.decode().splitlines()[1:] for cell in line.split(";")[:2] if cell}
    entities = list(service.outcomes.table.query_entities("PartitionKey eq @o", parameters={"o": org_code}))
    corpus = json.dumps(entities, default=str) + debug_logs.text
    assert "delivery" in corpus and not [n for n in numbers if n in corpus]


def test_a_pem_rsa_key_with_a_passphrase_from_the_secret_store(settings, org_code, tmp_path, monkeypatch,
                                                              azurite):
    with SftpTestServer(tmp_path / "rsa", client_key_type="ssh-rsa") as server:
        pem = server.client_key.export_private_key("pkcs1-pem", passphrase="zeer-geheim").decode()
        assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
        secrets = LocalSecrets(environ={env_name("sng-key"): pem, env_name("sng-pass"): "zeer-geheim"})
        service = make_service(settings, org_code, server, monkeypatch, secrets=secrets,
                               passphrase_secret="sng-pass")
        accept_extract(service, azurite, org_code)
        assert service.deliver(org_code, DAY, reason="t").status == "succeeded"
        service.secrets = LocalSecrets(environ={env_name("sng-key"): pem, env_name("sng-pass"): "fout"})
        outcome = service.deliver(org_code, DAY, reason="verkeerde wachtwoordzin", manual=True)
        assert (outcome.status, outcome.error_kind) == ("failed", "auth")
        service.secrets = LocalSecrets(environ={env_name("sng-key"): pem})
        outcome = service.deliver(org_code, DAY, reason="geen wachtwoordzin", manual=True)
        assert (outcome.status, outcome.error_kind) == ("failed", "secret")
