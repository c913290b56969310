"""The local demo: the daily flow on Azurite and a local SFTP server, with the real functions.

Starts Azurite and an SFTP server on loopback standing in for SNG, writes a fictitious extract,
drops it in ``extracts/voorbeeld/``, invokes the registered ``validate_extract`` function with a
real ``BlobClient`` (as the Functions host would), drops the same file again to show that nothing
happens twice, then runs the ``deliver_daily`` timer body: the SNG file is built, archived in the
outbox and uploaded over SFTP (pinned host key, key from the local secret store). A second tick
shows that the day is not delivered twice. Stops what it started. Output for people is Dutch.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from shared.clock import local_today


def run_demo(out: Path, rows: int = 250) -> int:
    from azure.storage.blob import BlobClient

    from devtools.devservices import Azurite, user_function
    from devtools.sample import write_sample_extract
    from devtools.sftp_testserver import SftpTestServer
    from shared import config, wiring
    from shared.adapters.secrets import env_name
    from shared.config import EXAMPLE_ORGANISATIONS
    from shared.domain.issues import Code
    from shared.domain.report import DECISION_NL, reason_message
    from shared.usecases.intake import EXTRACTS_CONTAINER

    out.mkdir(parents=True, exist_ok=True)
    with Azurite() as azurite, SftpTestServer(out / "sng-sftp") as sng:
        print(f"Azurite draait (blob :{azurite.blob_port}, table :{azurite.table_port}); "
              f"SFTP-server voor SNG op 127.0.0.1:{sng.port}")
        os.environ["VISH_STORAGE_CONNECTION_STRING"] = azurite.connection_string
        example = json.loads(json.dumps(EXAMPLE_ORGANISATIONS))
        example["organisations"][0].update(send_time="00:00", sftp={
            "host": "127.0.0.1", "port": sng.port, "username": sng.username,
            "host_key": sng.host_key_line, "secret_name": "sng-sftp-key"})
        os.environ["VISH_ORGANISATIONS_JSON"] = json.dumps(example)
        os.environ[env_name("sng-sftp-key")] = sng.client_private_key
        os.environ.setdefault("VISH_DELIVERY_SCHEDULE", "0 */15 * * * *")
        config.get_settings.cache_clear()
        wiring.intake.cache_clear()
        wiring.delivery.cache_clear()
        service = wiring.intake()
        org = service.organisations.organisations[0].code

        today = local_today()
        extract = out / f"{org}-clienten-{today:%Y-%m-%d}.csv"
        write_sample_extract(extract, rows, today=today, seed=7, error_rate=0.02)
        print(f"Voorbeeldextract (fictief): {extract} ({rows} regels)")

        validate_extract = user_function("validate_extract")
        for attempt in (1, 2):
            blob_name = f"{org}/{extract.name}"
            service.blobs.upload(EXTRACTS_CONTAINER, blob_name, extract.read_bytes())
            print(f"\n[{attempt}] extracts/{blob_name} geplaatst; validate_extract draait ...")
            validate_extract(client=BlobClient.from_connection_string(
                azurite.connection_string, EXTRACTS_CONTAINER, blob_name))
            latest = service.outcomes.latest(org, "extract")
            history = service.outcomes.history(org, limit=10, kind="extract")
            print(f"    uitkomsten in tabel: {len(history)}; laatste: "
                  f"{DECISION_NL.get(latest['decision'], latest['decision'])}"
                  + (f" ({reason_message(Code(latest['reason']))})" if latest.get("reason") else ""))

        s = service.settings
        print("\nResultaat:")
        print(f"  regels {latest['rows_total']}, geldig {latest['rows_valid']}, ongeldig "
              f"{latest['rows_invalid']}, nog niet aan te melden {latest['rows_ineligible']}")
        print(f"  personen in snapshot: {latest['people']} (incl. partners)")
        print(f"  snapshot: {s.snapshots_container}/{org}/current.csv")
        report_path = latest["report"].split("/", 1)[1]
        report = json.loads(service.blobs.read_bytes(s.reports_container, report_path))
        # the counsellor's copy byte for byte, with its UTF-8 BOM (Excel reads it as UTF-8 then)
        (out / "rapport.csv").write_bytes(service.blobs.read_bytes(s.reports_container,
                                                                   report_path[:-5] + ".csv"))
        (out / "rapport.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
        print(f"  rapport: {latest['report']} (kopie in {out / 'rapport.csv'})")
        print("  besluit, zoals de consulent het leest:")
        for line in textwrap.wrap(report["besluit"], 92):
            print(f"    {line}")
        print("  eerste meldingen (kolom zoals in het bestand):")
        columns = report.get("columns") or {}
        for issue in report["issues"][:6]:
            where = f"regel {issue['row']}" if issue["row"] else "bestand"
            field = f" [{columns.get(issue['field'], issue['field'])}]" if issue["field"] else ""
            print(f"    {where}{field}: {issue['message']}")
        left = service.blobs.list_names(EXTRACTS_CONTAINER)
        print(f"  extracts/ na verwerking: {len(left)} bestanden (origineel verwijderd)")

        delivered = _deliver(service, sng, org)
        _status(out)
    print("Azurite en SFTP-server gestopt.")
    return 0 if latest["decision"] == "accepted" and delivered else 1


def _deliver(service, sng, org: str) -> bool:
    from azure.functions.timer import TimerRequest

    from devtools.devservices import user_function
    from shared import wiring

    deliver_daily = user_function("deliver_daily")
    deliver_one = user_function("deliver_one")
    print("\nLevering (timer deliver_daily zet verzoeken in de wachtrij, deliver_one levert;"
          " verzendtijd voor de demo 00:00):")
    for tick in (1, 2):
        deliver_daily(timer=TimerRequest(past_due=False))
        queue = wiring.delivery().queue  # the one the timer function filled
        queued = queue.waiting()
        taken = _as_the_host(queue, deliver_one)
        history = service.outcomes.history(org, limit=10, kind="delivery")
        print(f"  [tick {tick}] verzoeken in de wachtrij: {queued}; afgehandeld: {taken}; "
              f"leveringen in tabel: {len(history)}")
    latest = service.outcomes.latest(org, "delivery")
    if not latest or latest.get("status") != "succeeded":
        print(f"  levering mislukt: {latest.get('error_kind') if latest else 'geen uitkomst'}")
        return False
    on_server = sng.files()
    records = f"{latest['records']} {'regel' if latest['records'] == 1 else 'regels'}"
    print(f"  bestand bij SNG: {latest['file']} ({records}, {latest['size']} bytes)")
    print(f"  SHA-256: {latest['sha256']}")
    print(f"  archief: {latest['archive']}; op de SFTP-server: {sorted(on_server)}")
    return list(on_server) == [latest["file"]]


def _as_the_host(queue, deliver_one) -> int:
    """What the Functions host does with the delivery queue: take each message, hand it to the
    queue trigger ``deliver_one``, delete it when the function ends well."""
    from azure.functions.queue import QueueMessage

    taken = 0
    while (message := queue.receive(visibility_timeout=600)) is not None:
        deliver_one(message=QueueMessage(id=message.id, body=message.text.encode(),
                                         dequeue_count=message.dequeue_count))
        queue.delete(message)
        taken += 1
    return taken


def _status(out: Path) -> None:
    from shared import wiring
    from shared.cli import main as vish

    wiring.status_service.cache_clear()
    print()
    vish(["status", "--html", str(out / "status.html")])
